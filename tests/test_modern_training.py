"""Dropout, L1, gradient clipping, AdamW and the units after ReLU, all in the
compiled loop: against PyTorch (where installed), finite differences, the
NumPy reference, and the guarantees dropout makes (masks from (seed, epoch,
step) alone, p = 0 bit for bit, predictions without dropout)."""
import numpy as np
import pytest

import fastbp as fb
from fastbp._kernels import _numpy as ref

pytestmark = pytest.mark.usefixtures("backend")

UNITS = ["leaky_relu", "elu", "gelu", "softplus", "silu", "leaky_relu(0.2)", "elu(0.5)",
         "softplus(2.0)"]


def _problem(sizes=(4, 6, 5, 3), hidden="tanh", n=20, seed=0, dtype="float64"):
    net = fb.MLP(list(sizes), hidden=hidden, output="softmax", loss="cross_entropy",
                 seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 1)
    for b in net.biases:
        b[...] = rng.uniform(-0.3, 0.3, b.shape)
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    return net, X, y


# --- PyTorch, step for step --------------------------------------------------------
def _torch_twin(net, torch):
    """A torch.nn model with ``net``'s weights (Linear stores W transposed)."""
    F = torch.nn.functional
    units = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu,
             "identity": lambda z: z, "gelu": F.gelu, "silu": F.silu}
    layers = []
    for W, b in zip(net.weights, net.biases):
        lin = torch.nn.Linear(*W.shape, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b.copy()))
        layers.append(lin)

    def unit(spec):
        name, _, param = spec.partition("(")
        if name in units:
            return units[name]
        value = float(param.rstrip(")")) if param else None
        if name == "leaky_relu":
            return lambda z: F.leaky_relu(z, 0.01 if value is None else value)
        if name == "elu":
            return lambda z: F.elu(z, 1.0 if value is None else value)
        return lambda z: F.softplus(z, 1.0 if value is None else value)

    hidden = [unit(h) for h in net.hidden]

    def logits(x):
        for lin, f in zip(layers, hidden):
            x = f(lin(x))
        return layers[-1](x)
    return layers, logits


def _torch_params(layers):
    return np.concatenate([np.concatenate([lin.weight.detach().numpy().T.ravel(),
                                           lin.bias.detach().numpy()]) for lin in layers])


@pytest.mark.parametrize("hidden", UNITS)
def test_units_forward_and_gradients_match_torch(hidden):
    torch = pytest.importorskip("torch")
    net, X, y = _problem(hidden=hidden)
    X[0, :] = [30.0, -30.0, 0.0, 1e-3]  # saturation, softplus' threshold, zero
    layers, logits = _torch_twin(net, torch)
    out = torch.softmax(logits(torch.from_numpy(X)), dim=1).detach().numpy()
    np.testing.assert_allclose(net.forward(X), out, rtol=1e-12, atol=1e-15)
    loss = torch.nn.functional.cross_entropy(logits(torch.from_numpy(X)), torch.from_numpy(y))
    loss.backward()
    want = np.concatenate([np.concatenate([lin.weight.grad.numpy().T.ravel(),
                                           lin.bias.grad.numpy()]) for lin in layers])
    dW, db = net.gradients(X, y)
    got = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(dW, db)])
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14)


def _torch_run(net, X, y, make_opt, clip, epochs=2, batch=5):
    torch = pytest.importorskip("torch")
    layers, logits = _torch_twin(net, torch)
    opt = make_opt(layers)
    params = [p for lin in layers for p in lin.parameters()]
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(epochs):
        for start in range(0, len(X), batch):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(logits(Xt[start:start + batch]),
                                              yt[start:start + batch]).backward()
            clip(params)
            opt.step()
    return _torch_params(layers)


def test_clip_norm_matches_torch_clip_grad_norm():
    torch = pytest.importorskip("torch")
    net, X, y = _problem()
    want = _torch_run(net, X, y, lambda ls: torch.optim.SGD(
        [p for lin in ls for p in lin.parameters()], lr=0.5, momentum=0.9),
        lambda ps: torch.nn.utils.clip_grad_norm_(ps, 0.3))
    net.fit(X, y, fb.SGD(lr=0.5, momentum=0.9), epochs=2, batch_size=5, shuffle=False,
            clip_norm=0.3)
    np.testing.assert_allclose(net.params, want, rtol=1e-10, atol=1e-13)


def test_clip_value_matches_torch_clip_grad_value():
    torch = pytest.importorskip("torch")
    net, X, y = _problem()
    want = _torch_run(net, X, y, lambda ls: torch.optim.Adam(
        [p for lin in ls for p in lin.parameters()], lr=0.01),
        lambda ps: torch.nn.utils.clip_grad_value_(ps, 0.02))
    net.fit(X, y, fb.Adam(lr=0.01), epochs=2, batch_size=5, shuffle=False, clip_value=0.02)
    np.testing.assert_allclose(net.params, want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("hidden", ["relu", "gelu"])
def test_adamw_matches_torch_adamw_with_biases_not_decayed(hidden):
    torch = pytest.importorskip("torch")
    net, X, y = _problem(hidden=hidden)

    def adamw(layers):
        return torch.optim.AdamW(
            [{"params": [lin.weight for lin in layers], "weight_decay": 0.1},
             {"params": [lin.bias for lin in layers], "weight_decay": 0.0}],
            lr=0.02, betas=(0.9, 0.99), eps=1e-7)
    want = _torch_run(net, X, y, adamw, lambda ps: None, epochs=3)
    net.fit(X, y, fb.AdamW(lr=0.02, beta2=0.99, eps=1e-7, weight_decay=0.1), epochs=3,
            batch_size=5, shuffle=False)
    np.testing.assert_allclose(net.params, want, rtol=1e-10, atol=1e-13)


def test_adamw_without_decay_is_adam_bit_for_bit():
    a, X, y = _problem()
    b = a.copy()
    a.fit(X, y, fb.AdamW(lr=0.01, weight_decay=0.0), epochs=2, batch_size=4, seed=0)
    b.fit(X, y, fb.Adam(lr=0.01), epochs=2, batch_size=4, seed=0)
    np.testing.assert_array_equal(a.params, b.params)


# --- finite differences ------------------------------------------------------------
def _one_step_gradient(net, X, y, **fit_args):
    """The gradient the compiled loop applied: one full-batch SGD step at lr 1."""
    before = net.params.copy()
    history = net.fit(X, y, fb.SGD(lr=1.0), epochs=1, batch_size=None, shuffle=False,
                      **fit_args)
    return before - net.params, history


def _central_differences(f, params, h=1e-6):
    grad = np.empty_like(params)
    for i in range(params.size):
        old = params[i]
        params[i] = old + h
        up = f()
        params[i] = old - h
        down = f()
        params[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def test_l1_gradient_and_loss_match_finite_differences():
    net, X, y = _problem(hidden="elu")
    assert np.abs(np.concatenate([w.ravel() for w in net.weights])).min() > 1e-4
    start = net.copy()
    fd = _central_differences(lambda: start.loss(X, y, alpha=0.1, l1=0.05), start.params)
    loss_at_start = start.loss(X, y, alpha=0.1, l1=0.05)
    grad, history = _one_step_gradient(net, X, y, alpha=0.1, l1=0.05)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)
    assert history.loss[0] == pytest.approx(loss_at_start, rel=1e-13)


def test_dropout_gradient_is_that_of_the_masked_network():
    net, X, y = _problem(hidden="sigmoid", n=12)
    seed, rates = 5, [0.25, 0.5, 0.3]  # inputs, hidden 1, hidden 2
    masks = [(ref.dropout_keep(seed, 0, 0, layer, len(X), width, 1 - rate), 1 - rate)
             for layer, (rate, width) in enumerate(zip(rates, net.layer_sizes[:-1]))]
    T = np.eye(3)[y]
    start = net.copy()

    def masked_loss():
        W, b = start.weights, start.biases
        out = ref.forward(W, b, list(start.hidden) + ["softmax"], X, masks=masks)[-1]
        return ref.example_losses("softmax", "cross_entropy", out, T).mean()
    fd = _central_differences(masked_loss, start.params)
    grad, _ = _one_step_gradient(net, X, y, dropout=rates[1:], input_dropout=rates[0],
                                 seed=seed)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)
    assert not np.allclose(grad, _one_step_gradient(start.copy(), X, y)[0], atol=1e-6)


# --- dropout's guarantees ----------------------------------------------------------
def test_dropout_rate_zero_trains_bit_for_bit_as_without():
    a, X, y = _problem()
    b, c = a.copy(), a.copy()
    a.fit(X, y, "adam", epochs=2, batch_size=4, shuffle=True, seed=1)
    b.fit(X, y, "adam", epochs=2, batch_size=4, shuffle=True, seed=1, dropout=0.0,
          input_dropout=0.0)
    c.fit(X, y, "adam", epochs=2, batch_size=4, shuffle=True, seed=1, dropout=[0.0, 0.0])
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.params, c.params)


def test_kept_fraction_matches_the_rate():
    for rate in (0.1, 0.5, 0.8):
        kept = np.mean([ref.dropout_keep(3, e, s, 1, 64, 50, 1 - rate).mean()
                        for e in range(3) for s in range(10)])
        sigma = np.sqrt(rate * (1 - rate) / (3 * 10 * 64 * 50))
        assert abs(kept - (1 - rate)) < 5 * sigma
    # and a different mask each step, layer and epoch
    first = ref.dropout_keep(3, 0, 0, 1, 8, 8, 0.5)
    for other in ((3, 0, 1, 1), (3, 1, 0, 1), (3, 0, 0, 2), (4, 0, 0, 1)):
        assert not np.array_equal(first, ref.dropout_keep(*other, 8, 8, 0.5))


def test_dropout_follows_the_numpy_reference_and_predictions_ignore_it():
    net, X, y = _problem(hidden="relu")
    with fb._kernels.use("numpy"):
        want = net.copy()
        want.fit(X, y, "rmsprop", epochs=3, batch_size=6, shuffle=True, seed=2, dropout=0.4,
                 input_dropout=0.1)
    net.fit(X, y, "rmsprop", epochs=3, batch_size=6, shuffle=True, seed=2, dropout=0.4,
            input_dropout=0.1)
    np.testing.assert_allclose(net.params, want.params, rtol=1e-12, atol=1e-15)
    out = net.forward(X)
    np.testing.assert_array_equal(out, net.forward(X))
    W, b = net.weights, net.biases
    np.testing.assert_allclose(out, ref.forward(W, b, ["relu", "relu", "softmax"], X)[-1],
                               rtol=1e-12)


def test_dropout_masks_depend_on_seed_epoch_and_step_only(tmp_path):
    a, X, y = _problem(hidden="gelu")
    b = a.copy()
    opt_a, opt_b = fb.Adam(lr=0.01), fb.Adam(lr=0.01)
    kwargs = dict(batch_size=4, shuffle=True, seed=7, dropout=0.3)
    a.fit(X, y, opt_a, epochs=3, **kwargs)
    b.fit(X, y, opt_b, epochs=1, **kwargs)
    b.save(tmp_path / "m.npz", optimizer=opt_b)
    ckpt = fb.load_checkpoint(tmp_path / "m.npz")
    ckpt.model.fit(X, y, ckpt.optimizer, epochs=2, **kwargs)
    np.testing.assert_array_equal(a.params, ckpt.model.params)
    c = a.copy()
    c.fit(X, y, fb.Adam(lr=0.01), epochs=1, **{**kwargs, "seed": 8})
    assert not np.array_equal(c.params, b.params)


def test_dropout_in_float32_and_per_example():
    net, X, y = _problem(dtype="float32")
    h = net.fit(X, y, "sgd", epochs=5, batch_size=1, dropout=0.2, seed=0, l1=1e-4,
                clip_norm=5.0)
    assert np.isfinite(h.loss).all() and h.loss[-1] < h.loss[0]
    assert net.params.dtype == np.float32


# --- the units' parameters and bad values ------------------------------------------
def test_unit_specs_are_normalized_pickled_and_saved(tmp_path):
    net = fb.MLP([3, 4, 4, 2], hidden=["leaky_relu( 0.2 )", "softplus(2)"], seed=0)
    assert net.hidden == ["leaky_relu(0.2)", "softplus(2.0)"]
    X = np.random.default_rng(0).normal(size=(5, 3))
    net.save(tmp_path / "m.npz", optimizer=fb.AdamW(weight_decay=0.3))
    ckpt = fb.load_checkpoint(tmp_path / "m.npz")
    assert ckpt.model.hidden == net.hidden and ckpt.optimizer.weight_decay == 0.3
    np.testing.assert_array_equal(ckpt.model.forward(X), net.forward(X))
    np.testing.assert_array_equal(net.copy().forward(X), net.forward(X))
    default = fb.MLP([3, 4, 4, 2], hidden=["leaky_relu", "softplus"], seed=0)
    assert not np.array_equal(default.forward(X), net.forward(X))


@pytest.mark.parametrize("kwargs,match", [
    ({"dropout": 1.0}, r"dropout\[0\] must be in \[0.0, 1.0\)"),
    ({"dropout": -0.1}, r"dropout\[0\] must be in"),
    ({"dropout": [0.1]}, "dropout lists 1 rates for 2 hidden layers"),
    ({"dropout": "0.1"}, "dropout must be a rate"),
    ({"input_dropout": 1}, r"input_dropout must be in \[0.0, 1.0\)"),
    ({"clip_norm": -1.0}, "clip_norm must be a finite number > 0"),
    ({"clip_norm": 0}, "clip_norm must be a finite number > 0"),
    ({"clip_value": -2}, "clip_value must be a finite number > 0"),
    ({"l1": -1e-3}, "l1 must be a finite number >= 0"),
    ({"l1": float("nan")}, "l1 must be a finite number >= 0"),
])
def test_bad_values_are_refused_before_training(kwargs, match):
    net, X, y = _problem()
    before = net.params.copy()
    with pytest.raises((ValueError, TypeError), match=match):
        net.fit(X, y, "sgd", epochs=1, **kwargs)
    np.testing.assert_array_equal(net.params, before)


@pytest.mark.parametrize("spec,match", [
    ("swish", "unknown hidden activation 'swish'"),
    ("relu(0.2)", "'relu' takes no parameter"),
    ("leaky_relu(-1)", "negative_slope must be a finite number >= 0"),
    ("elu(0)", "alpha must be a finite number > 0"),
    ("softplus(x)", "beta must be a finite number > 0"),
    ("gelu(", "unknown hidden activation"),
])
def test_bad_units_are_refused(spec, match):
    with pytest.raises(ValueError, match=match):
        fb.MLP([2, 3, 1], hidden=spec)


def test_adamw_refuses_negative_decay_and_warmup_longer_than_training():
    with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
        fb.AdamW(weight_decay=-0.1)
    net, X, y = _problem()
    lr = fb.schedules.Warmup(fb.schedules.CosineAnnealing(0.1, 100), 50)
    # fit warns (a run split over several calls may stop inside the warm-up) ...
    with pytest.warns(UserWarning, match="warm-up of 50 steps is longer than") as caught:
        net.fit(X, y, fb.SGD(lr=lr), epochs=2, batch_size=5)  # 8 steps
    assert caught[0].filename == __file__
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.fit(X, y, fb.SGD(lr=lr), epochs=13, batch_size=5)  # 52 steps: fine
    # ... the estimators' fit, which trains max_iter epochs at most, refuses
    pytest.importorskip("sklearn")
    est = fb.MLPClassifier((4,), solver="sgd", learning_rate=lr, max_iter=3, batch_size=5)
    with pytest.raises(ValueError, match=r"learning_rate: .*warm-up of 50 steps.*max_iter=3"):
        est.fit(X, y)


# --- the estimators and the command line -------------------------------------------
def _digits(n=300):
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    return X[:n] / 16, y[:n]


def test_estimator_extras_train_and_default_to_scikit_learns_results():
    pytest.importorskip("sklearn")
    X, y = _digits()
    kw = dict(hidden_layer_sizes=(20,), max_iter=3, random_state=0)
    with pytest.warns(Warning):  # ConvergenceWarning after 3 iterations
        base = fb.MLPClassifier(**kw).fit(X, y)
    with pytest.warns(Warning):
        zero = fb.MLPClassifier(**kw, dropout=0.0, clip_norm=None).fit(X, y)
    with pytest.warns(Warning):
        adamw = fb.MLPClassifier(**kw, solver="adamw", weight_decay=0.0).fit(X, y)
    for other in (zero, adamw):
        for a, b in zip(base.coefs_, other.coefs_):
            np.testing.assert_array_equal(a, b)
    with pytest.warns(Warning):
        dropped = fb.MLPClassifier(**kw, dropout=0.3, clip_norm=1.0,
                                   activation="leaky_relu(0.1)").fit(X, y)
    assert dropped._net.hidden == ["leaky_relu(0.1)"]
    assert not np.array_equal(dropped.coefs_[0], base.coefs_[0])
    np.testing.assert_array_equal(dropped.predict_proba(X), dropped.predict_proba(X))


@pytest.mark.parametrize("kwargs,match", [
    ({"solver": "lbfgs", "dropout": 0.1}, "not to solver='lbfgs'"),
    ({"solver": "lbfgs", "clip_norm": 1.0}, "not to solver='lbfgs'"),
    ({"dropout": 1.0}, r"dropout must be in \[0.0, 1.0\)"),
    ({"clip_norm": 0.0}, "clip_norm must be a finite number > 0"),
    ({"activation": "swish"}, "activation must be one of"),
    ({"solver": "adamw", "weight_decay": -1.0}, "weight_decay must be"),
])
def test_estimators_refuse_bad_extras(kwargs, match):
    pytest.importorskip("sklearn")
    X, y = _digits(50)
    with pytest.raises(ValueError, match=match):
        fb.MLPRegressor(**kwargs).fit(X, y.astype(float))


def test_the_command_line_trains_with_dropout_clipping_adamw_and_a_warm_cosine(
        tmp_path, capsys):
    from fastbp import cli
    X, y = _digits(120)
    path = tmp_path / "d.csv"
    np.savetxt(path, np.column_stack([X[:, :8], y]), delimiter=",", comments="",
               header=",".join([f"x{i}" for i in range(8)] + ["label"]))
    args = ["train", str(path), "--target", "label", "--layers", "16,8", "--hidden", "silu",
            "--dropout", "0.2,0.1", "--clip-norm", "1", "--optimizer", "adamw", "--warmup", "2",
            "--schedule", "cosine", "--epochs", "6", "--progress", "none",
            "-o", str(tmp_path / "m.npz")]
    assert cli.main(args) in (0, None)
    ckpt = fb.load_checkpoint(tmp_path / "m.npz")
    assert isinstance(ckpt.optimizer, fb.AdamW) and ckpt.model.hidden == ["silu", "silu"]
    assert type(ckpt.optimizer.lr).__name__ == "Warmup"
    capsys.readouterr()
    assert cli.main(args[:-2] + ["--dropout", "1.5", "-o", str(tmp_path / "x.npz")]) != 0
    err = capsys.readouterr().err
    assert "dropout[0] must be in [0.0, 1.0), got 1.5" in err and "Traceback" not in err
