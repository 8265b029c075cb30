"""Saving and loading: round trips, exact resumption, and refusal of bad files."""
import json
import pickle
import zipfile

import numpy as np
import pytest

import fastbp as fb
from fastbp import saving
from fastbp.datasets import spirals

S = fb.schedules
OPTIMIZERS = [
    lambda: fb.SGD(lr=0.1),
    lambda: fb.SGD(lr=S.StepDecay(0.1, factor=0.5, every=1), momentum=0.9, nesterov=True),
    lambda: fb.AdaGrad(lr=S.InverseTimeDecay(0.1, k=0.01)),
    lambda: fb.RMSprop(lr=S.Scaled(S.ExponentialDecay(0.01, k=1e-3), 0.5), decay=0.9),
    lambda: fb.Adam(lr=S.InverseScaling(0.01, power=0.25), eps_hat=True),
]


def _problem():
    X, y = spirals(n_per_class=30, n_classes=3, seed=0)
    net = fb.MLP([2, 7, 3], hidden="tanh", output="softmax", loss="cross_entropy", seed=0)
    return net, X, y


def _fit(net, opt, X, y, epochs):
    return net.fit(X, y, optimizer=opt, epochs=epochs, batch_size=16, alpha=1e-3,
                   shuffle=True, seed=7)


def test_round_trip_keeps_architecture_parameters_and_outputs(tmp_path, dtype):
    net = fb.MLP([3, 5, 4, 2], hidden=["relu", "tanh"], output="sigmoid", loss="cross_entropy",
                 init="he_normal", dtype=dtype, seed=3)
    path = tmp_path / "model.npz"
    assert net.save(path) == str(path)
    back = fb.load(path)
    assert repr(back) == repr(net) and back.init == "he_normal" and back.dtype == dtype
    assert back.params.dtype == dtype
    np.testing.assert_array_equal(back.params, net.params)
    X = np.random.default_rng(0).normal(size=(6, 3))
    np.testing.assert_array_equal(back.forward(X), net.forward(X))
    ckpt = fb.load_checkpoint(path)
    assert ckpt.optimizer is None and ckpt.history is None and ckpt.metadata is None


def test_the_name_is_used_as_given_and_nothing_else_is_left_behind(tmp_path):
    net, _, _ = _problem()
    net.save(tmp_path / "m.fastbp")
    assert [p.name for p in tmp_path.iterdir()] == ["m.fastbp"]
    np.testing.assert_array_equal(fb.load(tmp_path / "m.fastbp").params, net.params)


@pytest.mark.parametrize("make_opt", OPTIMIZERS,
                         ids=["sgd", "nesterov", "adagrad", "rmsprop", "adam"])
def test_a_saved_model_resumes_training_bit_identically(tmp_path, make_opt, dtype):
    net, X, y = _problem()
    net = fb.MLP([2, 7, 3], hidden="tanh", output="softmax", loss="cross_entropy", seed=0,
                 dtype=dtype)
    straight, opt = net.copy(), make_opt()
    h2 = _fit(straight, opt, X, y, 2)

    first, opt1 = net.copy(), make_opt()
    h1 = _fit(first, opt1, X, y, 1)
    first.save(tmp_path / "m.npz", optimizer=opt1, history=h1)
    ckpt = fb.load_checkpoint(tmp_path / "m.npz")
    assert repr(ckpt.optimizer) == repr(opt1) and ckpt.optimizer.t == opt1.t
    assert ckpt.history.loss == h1.loss and ckpt.history.lr == h1.lr
    h = _fit(ckpt.model, ckpt.optimizer, X, y, 1)

    np.testing.assert_array_equal(ckpt.model.params, straight.params)
    assert ckpt.history.loss + h.loss == h2.loss and h.lr == h2.lr[1:]
    for a, b in zip(ckpt.optimizer._state, opt._state):
        np.testing.assert_array_equal(a, b)


def test_without_the_optimizer_state_the_resumed_run_differs(tmp_path):
    # guards the test above: resuming with a fresh Adam is not the same run
    net, X, y = _problem()
    straight = net.copy()
    _fit(straight, fb.Adam(lr=0.01), X, y, 2)
    _fit(net, fb.Adam(lr=0.01), X, y, 1)
    net.save(tmp_path / "m.npz")
    back = fb.load(tmp_path / "m.npz")
    _fit(back, fb.Adam(lr=0.01), X, y, 1)
    assert not np.array_equal(back.params, straight.params)


def test_an_optimizer_that_never_ran_loads_fresh(tmp_path):
    net, X, y = _problem()
    net.save(tmp_path / "m.npz", optimizer=fb.Adam(lr=0.02, beta1=0.8))
    ckpt = fb.load_checkpoint(tmp_path / "m.npz")
    assert (ckpt.optimizer.t, ckpt.optimizer.beta1, ckpt.optimizer.lr) == (0, 0.8, S.Constant(0.02))
    a, b = net.copy(), ckpt.model
    _fit(a, fb.Adam(lr=0.02, beta1=0.8), X, y, 1)
    _fit(b, ckpt.optimizer, X, y, 1)
    np.testing.assert_array_equal(a.params, b.params)


def test_metadata_round_trips_and_must_be_json(tmp_path):
    net, _, _ = _problem()
    meta = {"features": ["a", "b"], "classes": ["x", "y", "z"], "mean": [0.5, -1.25]}
    net.save(tmp_path / "m.npz", metadata=meta)
    assert fb.load_checkpoint(tmp_path / "m.npz").metadata == meta
    with pytest.raises(ValueError, match="JSON-serializable"):
        net.save(tmp_path / "bad.npz", metadata={"f": object()})
    with pytest.raises(ValueError, match="JSON-serializable"):
        net.save(tmp_path / "bad.npz", metadata={"f": float("nan")})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_saving_refuses_what_the_format_cannot_hold(tmp_path):
    net, X, y = _problem()

    class MyAdam(fb.Adam):
        pass

    with pytest.raises(TypeError, match="optimizer of class .*MyAdam"):
        net.save(tmp_path / "m.npz", optimizer=MyAdam())

    class Half(S.Constant):
        pass

    with pytest.raises(TypeError, match="schedule of class .*Half"):
        net.save(tmp_path / "m.npz", optimizer=fb.SGD(lr=Half(0.1)))
    opt = fb.Adam()
    _fit(net.copy(), opt, X, y, 1)
    with pytest.raises(ValueError, match="state of a different network"):
        net.save(tmp_path / "m.npz", optimizer=opt)
    with pytest.raises(TypeError, match="history must be a fastbp.History"):
        net.save(tmp_path / "m.npz", history=[1.0])


def test_pickle_still_works_with_a_scaled_schedule():
    opt = fb.SGD(lr=S.Scaled(S.StepDecay(0.1, every=3), 0.25), momentum=0.5)
    clone = pickle.loads(pickle.dumps(opt))
    assert clone.lr == opt.lr and clone.lr(7) == pytest.approx(0.25 * 0.1 * 0.5**2)


# --- bad files ----------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    net, X, y = _problem()
    opt = fb.Adam(lr=0.01)
    h = _fit(net, opt, X, y, 1)
    path = tmp_path / "m.npz"
    net.save(path, optimizer=opt, history=h)
    return path, net


def _rewrite(path, header=None, arrays=None):
    """Write an archive with a modified header or arrays (what a buggy or
    malicious writer could produce; every member's CRC is valid)."""
    with np.load(path) as f:
        members = {k: f[k] for k in f.files}
    h = json.loads(members["header"].tobytes())
    if header:
        header(h)
    members["header"] = np.frombuffer(json.dumps(h).encode(), dtype=np.uint8)
    if arrays:
        arrays(members)
    with open(path, "wb") as out:
        np.savez(out, **members)


def test_every_truncation_is_refused(saved):
    path, _ = saved
    data = path.read_bytes()
    for n in list(range(0, len(data), max(1, len(data) // 200))) + [len(data) - 1]:
        path.write_bytes(data[:n])
        with pytest.raises(fb.ModelFileError, match=f"^{path}"):
            fb.load(path)


def test_a_flipped_byte_anywhere_is_refused_or_harmless(saved):
    path, net = saved
    data = path.read_bytes()
    refused = 0
    for i in range(len(data)):
        corrupt = bytearray(data)
        corrupt[i] ^= 0x5A
        path.write_bytes(bytes(corrupt))
        try:
            ckpt = fb.load_checkpoint(path)
        except fb.ModelFileError as e:
            assert str(path) in str(e)
            refused += 1
            continue
        # zip fields nobody reads (timestamps, attributes) may change: the model may not
        np.testing.assert_array_equal(ckpt.model.params, net.params)
        assert repr(ckpt.model) == repr(net)
    assert refused > 0.8 * len(data)


@pytest.mark.parametrize("edit,match", [
    (lambda h: h.update(format_version=2), "format version 2.*upgrade fastbp"),
    (lambda h: h.update(format="something-else"), "not a fastbp model file"),
    (lambda h: h.pop("model"), "no 'model'"),
    (lambda h: h["model"].update(layer_sizes=[2, 7, 4]), "'params' has shape"),
    (lambda h: h["model"].update(dtype="float32"), "'params' has shape .* dtype float64"),
    (lambda h: h["model"].update(output="softmax2"), "invalid model description"),
    (lambda h: h["optimizer"].update({"class": "os.system"}),
     "unknown optimizer class 'os.system'"),
    (lambda h: h["optimizer"]["params"].update(beta1=2.0), "invalid optimizer Adam.*beta1"),
    (lambda h: h["optimizer"]["params"].update(command="rm"), "invalid optimizer Adam"),
    (lambda h: h["optimizer"]["lr"].update({"class": "Lambda"}), "unknown schedule class 'Lambda'"),
    (lambda h: h["optimizer"].update(n_state=1), "inconsistent optimizer counters"),
    (lambda h: h["optimizer"].update(t="3"), "'t' must be int"),
    (lambda h: h["history"].update(loss=["x"]), "history 'loss' must be a list of numbers"),
    (lambda h: h.update(metadata=[1]), "metadata must be a JSON object"),
])
def test_inconsistent_headers_are_refused_by_name(saved, edit, match):
    path, _ = saved
    _rewrite(path, header=edit)
    err = fb.UnsupportedFormatError if "upgrade" in match else fb.ModelFileError
    with pytest.raises(err, match=match):
        fb.load_checkpoint(path)


def test_future_versions_are_a_value_error_subclass(saved):
    path, _ = saved
    _rewrite(path, header=lambda h: h.update(format_version=99, fastbp_version="9.0"))
    with pytest.raises(ValueError, match=r"format version 99 \(written by fastbp 9.0\).*up to 1"):
        fb.load(path)


@pytest.mark.parametrize("edit,match", [
    (lambda a: a.pop("params"), "no 'params' array"),
    (lambda a: a.update(params=np.full_like(a["params"], np.nan)), "'params' contains NaN"),
    (lambda a: a.update(optimizer_state_1=a["optimizer_state_1"][:-1]),
     "'optimizer_state_1' has shape"),
    (lambda a: a.update(header=np.array(["{}"])), "not a readable fastbp model file.*dtype <U2"),
    (lambda a: a.update(header=np.frombuffer(b"[1, 2]", np.uint8)), "names format None"),
    (lambda a: a.update(header=np.frombuffer(b"{'a'", np.uint8)), "header is not valid JSON"),
])
def test_bad_arrays_are_refused_by_name(saved, edit, match):
    path, _ = saved
    _rewrite(path, arrays=edit)
    with pytest.raises(fb.ModelFileError, match=match):
        fb.load(path)


def test_other_files_are_refused_without_running_anything(tmp_path):
    net, _, _ = _problem()
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps(net))
    with pytest.raises(fb.ModelFileError, match=r"not a \.npz \(zip\) archive"):
        fb.load(pickled)
    marker = tmp_path / "executed"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = tmp_path / "evil.npz"
    with evil.open("wb") as f:
        np.save(f, np.array([Payload()], dtype=object), allow_pickle=True)
    with pytest.raises(fb.ModelFileError):
        fb.load(evil)
    with zipfile.ZipFile(evil, "w") as z:  # an archive whose header member is a pickle
        z.writestr("header.npy", pickled.read_bytes())
        with z.open("params.npy", "w") as member:
            np.save(member, np.array([Payload()], dtype=object), allow_pickle=True)
    with pytest.raises(fb.ModelFileError, match="not a readable fastbp model"):
        fb.load(evil)
    assert not marker.exists()
    np.save(tmp_path / "a.npy", np.array([net], dtype=object), allow_pickle=True)
    with pytest.raises(fb.ModelFileError):
        fb.load(tmp_path / "a.npy")
    with zipfile.ZipFile(tmp_path / "plain.zip", "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(fb.ModelFileError):
        fb.load(tmp_path / "plain.zip")
    np.savez(tmp_path / "other.npz", x=np.ones(3))
    with pytest.raises(fb.ModelFileError, match="no header"):
        fb.load(tmp_path / "other.npz")
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(fb.ModelFileError, match="it is empty"):
        fb.load(tmp_path / "empty.npz")
    with pytest.raises(FileNotFoundError):
        fb.load(tmp_path / "missing.npz")


def test_the_header_documents_itself(saved):
    path, net = saved
    with np.load(path, allow_pickle=False) as f:
        header = json.loads(f["header"].tobytes())
        assert sorted(f.files) == ["header", "optimizer_state_0", "optimizer_state_1", "params"]
    assert header["format"] == "fastbp-model" and header["format_version"] == saving.FORMAT_VERSION
    assert header["fastbp_version"] == fb.__version__
    assert header["model"]["layer_sizes"] == [2, 7, 3]
    assert header["arrays"]["params"] == {"shape": [net.n_params], "dtype": "float64"}
    assert header["optimizer"]["class"] == "Adam" and header["optimizer"]["t"] == 6
