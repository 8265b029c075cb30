"""Update rules: the compiled kernel driven by the optimizer objects, step for
step against the published formulas written out in NumPy (the reference
optimizer of fastbp._kernels._numpy, in the form torch.optim uses), and
against torch.optim itself when it is installed."""
import pickle

import numpy as np
import pytest

import fastbp as fb
from fastbp import _kernels
from fastbp._kernels import _numpy as ref

# every test runs on every kernel backend (see the backend fixture)
pytestmark = pytest.mark.usefixtures("backend")

N = 37
STEPS = 25


def reference_steps(kind, p, grads, lr, **h):
    """Apply the update rule of ``kind`` for each gradient in ``grads``; returns
    the parameters after every step.  The rules are fastbp's one NumPy
    reference, written out as torch.optim's docs state them."""
    opt = ref.ReferenceOptimizer(kind, lr, **h)
    p = p.copy()
    out = []
    for g in grads:
        opt.step([p], [g])
        out.append(p.copy())
    return out


class _Owner:
    pass


def kernel_steps(opt, p, grads, dtype=np.float64):
    p = p.astype(dtype)
    owner = _Owner()
    s1, s2 = opt._bind(owner, p.shape[0], np.dtype(dtype))
    out = []
    eps, h1, h2, eps_hat = opt.hyper
    for g in grads:
        (lr,) = opt.rates(1)
        _kernels.active().update(opt.rule, p, g.astype(dtype), s1, s2, lr, eps, h1, h2, eps_hat,
                                 t=opt.t + 1)
        opt.t += 1
        out.append(p.astype(np.float64))
    return out


CASES = [
    ("sgd", fb.SGD, dict(lr=0.1)),
    ("sgd", fb.SGD, dict(lr=0.05, momentum=0.9)),
    ("sgd", fb.SGD, dict(lr=0.05, momentum=0.5, nesterov=True)),
    ("adagrad", fb.AdaGrad, dict(lr=0.1)),
    ("adagrad", fb.AdaGrad, dict(lr=0.3, eps=1e-3)),
    ("rmsprop", fb.RMSprop, dict(lr=0.01)),
    ("rmsprop", fb.RMSprop, dict(lr=0.02, decay=0.9, eps=1e-6)),
    ("adam", fb.Adam, dict(lr=0.001)),
    ("adam", fb.Adam, dict(lr=0.05, beta1=0.5, beta2=0.9, eps=1e-4)),
]


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=N)
    grads = [rng.normal(size=N) * rng.uniform(0.01, 3) for _ in range(STEPS)]
    grads[3][:5] = 0.0  # zero gradients must not divide by zero
    return p0, grads


@pytest.mark.parametrize("kind,cls,kwargs", CASES)
def test_update_rules_match_the_formulas(kind, cls, kwargs, problem, dtype):
    p0, grads = problem
    got = kernel_steps(cls(**kwargs), p0, grads, dtype)
    want = reference_steps(kind, p0, grads, **kwargs)
    rtol = 1e-13 if dtype == np.float64 else 1e-4
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("kind,cls,kwargs", CASES)
def test_update_rules_match_torch_optim(kind, cls, kwargs, problem):
    torch = pytest.importorskip("torch")
    p0, grads = problem
    tkw = dict(kwargs)
    if "decay" in tkw:
        tkw["alpha"] = tkw.pop("decay")
    if "beta1" in tkw:
        tkw["betas"] = (tkw.pop("beta1"), tkw.pop("beta2"))
    torch_cls = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad,
                 "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam}[kind]
    tp = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    topt = torch_cls([tp], **tkw)
    got = kernel_steps(cls(**kwargs), p0, grads)
    for g, mine in zip(grads, got):
        tp.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
        np.testing.assert_allclose(mine, tp.detach().numpy(), rtol=1e-13, atol=1e-15)


def test_adam_eps_hat_is_the_papers_efficient_form(problem):
    # Kingma & Ba, section 2: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t),
    # p -= lr_t m / (sqrt(v) + eps_hat)  (scikit-learn's convention)
    p0, grads = problem
    got = kernel_steps(fb.Adam(lr=0.01, eps=1e-3, eps_hat=True), p0, grads)
    want = reference_steps("adam", p0, grads, 0.01, eps=1e-3, eps_hat=True)
    for mine, p in zip(got, want):
        np.testing.assert_allclose(mine, p, rtol=1e-13)
    assert not np.allclose(got[-1], kernel_steps(fb.Adam(lr=0.01, eps=1e-3), p0, grads)[-1],
                           rtol=1e-6)


def test_learning_rate_schedule_drives_the_steps(problem):
    p0, grads = problem
    sched = fb.schedules.InverseTimeDecay(0.1, k=0.5)
    got = kernel_steps(fb.SGD(lr=sched), p0, grads)
    p = p0.copy()
    for t, (g, mine) in enumerate(zip(grads, got)):
        p -= 0.1 / (1 + 0.5 * t) * g
        np.testing.assert_allclose(mine, p, rtol=1e-14)


@pytest.mark.parametrize("make,match", [
    (lambda: fb.SGD(lr=0), "lr must be a finite number > 0"),
    (lambda: fb.SGD(lr=-1), "lr must be a finite number > 0"),
    (lambda: fb.SGD(lr=float("nan")), "lr must be a finite number > 0"),
    (lambda: fb.SGD(momentum=1.0), r"momentum must be in \[0.0, 1.0\)"),
    (lambda: fb.SGD(momentum=-0.1), "momentum"),
    (lambda: fb.SGD(nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda: fb.AdaGrad(eps=0), "eps"),
    (lambda: fb.RMSprop(decay=1.0), "decay"),
    (lambda: fb.Adam(beta1=1.0), "beta1"),
    (lambda: fb.Adam(beta2=-0.5), "beta2"),
    (lambda: fb.Adam(eps=-1e-8), "eps"),
])
def test_bad_hyperparameters_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_non_numbers_are_refused():
    with pytest.raises(TypeError, match="lr must be"):
        fb.SGD(lr="fast")
    with pytest.raises(TypeError, match="momentum must be a real number"):
        fb.SGD(momentum=None)
    with pytest.raises(TypeError, match="nesterov"):
        fb.SGD(momentum=0.9, nesterov="yes")


def test_unknown_optimizer_name_is_refused():
    from fastbp.optimizers import get_optimizer
    with pytest.raises(ValueError, match="unknown optimizer 'lamb'"):
        get_optimizer("lamb")
    with pytest.raises(TypeError, match="optimizer must be"):
        get_optimizer(3)
    assert isinstance(get_optimizer("ADAM"), fb.Adam)
    assert get_optimizer("nesterov").nesterov


def test_optimizers_pickle_with_their_state(problem):
    p0, grads = problem
    opt = fb.Adam(lr=0.01)
    kernel_steps(opt, p0, grads[:5])
    clone = pickle.loads(pickle.dumps(opt))
    assert clone.t == 5 and repr(clone) == repr(opt)
    for a, b in zip(clone._state, opt._state):
        np.testing.assert_array_equal(a, b)


def test_kernel_refuses_mismatched_vectors():
    p = np.zeros(4)
    with pytest.raises(ValueError, match="grads has 3 entries"):
        _kernels.active().update(_kernels.Rule.SGD, p, np.zeros(3), p[:0], p[:0], 0.1)
    with pytest.raises(ValueError, match="state vector 1"):
        _kernels.active().update(_kernels.Rule.ADAM, p, np.zeros(4), p[:0], p[:0], 0.1)
    with pytest.raises(ValueError, match="unknown update rule"):
        _kernels.active().update(17, p, np.zeros(4), p, p, 0.1)
    with pytest.raises(ValueError, match="dtype mismatch"):
        _kernels.active().update(_kernels.Rule.SGD, p, np.zeros(4, dtype=np.float32), p, p, 0.1)
