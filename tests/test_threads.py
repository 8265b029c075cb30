"""n_threads: a batch of at least 128 rows is computed in parts whose
gradients are added in part order (or, for networks with more parameters
than the batch has activations, in blocks of each dW over all rows), so the
number of threads never changes a bit of the result; the parts' sum is the
batch gradient (the NumPy backend, which never splits, agrees to rounding);
the setting and its errors."""
import numpy as np
import pytest
from helpers import tolerance

import fastbp as fb
from fastbp import _kernels

COMPILED = [b for b in ("baseline", "avx2", "avx512") if b in _kernels.available()]

CASES = [
    # (batch_size, optimizer (a fresh one per fit), fit options)
    (128, "sgd", {}),
    (150, lambda: fb.Adam(lr=0.01), {"alpha": 1e-3}),
    (200, "momentum", {"shuffle": True, "seed": 3}),
    (None, lambda: fb.Adam(lr=0.01), {}),                  # the whole data in two parts
    (130, lambda: fb.AdamW(lr=0.01, weight_decay=0.1),
     {"dropout": 0.2, "clip_norm": 0.5, "seed": 1}),
    (256, "rmsprop", {"sample_weight": "random", "l1": 1e-3}),
    (64, "adagrad", {}),                                   # not split
]


# (inputs, hidden layers): small, so each part sums its own gradient; wide,
# more weights (202,000) than a 128-row pass's activation values (128 x 903),
# so the gradients are summed over all rows in blocks of each dW: of its
# columns for the widening first layer (100 -> 400), of its rows for the others
SHAPES = {"small": (7, [16, 8]), "wide": (100, [400, 400])}


def data(dtype, n=333, seed=0, n_in=7):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_in)).astype(dtype)
    y = rng.integers(0, 3, n)
    return X, y, rng.random(n).astype(dtype)


def trained(dtype, batch_size, optimizer, options, n_threads, epochs=2, shape="small"):
    n_in, hidden = SHAPES[shape]
    X, y, w = data(dtype, n_in=n_in)
    options = dict(options)
    if options.get("sample_weight") == "random":
        options["sample_weight"] = w
    options.setdefault("shuffle", False)
    net = fb.MLP([n_in, *hidden, 3], hidden="tanh", output="softmax", loss="cross_entropy",
                 seed=0, dtype=dtype)
    history = net.fit(X, y, optimizer=optimizer if isinstance(optimizer, str) else optimizer(),
                      batch_size=batch_size, epochs=epochs, n_threads=n_threads, **options)
    return net.params.copy(), history.loss


@pytest.mark.parametrize("backend_name", COMPILED)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_any_number_of_threads_gives_the_same_bits(backend_name, case, dtype):
    batch_size, optimizer, options = CASES[case]
    with _kernels.use(backend_name):
        results = [trained(dtype, batch_size, optimizer, options, n) for n in (1, 2, 3)]
    for params, loss in results[1:]:
        assert np.array_equal(params, results[0][0])
        assert loss == results[0][1]


@pytest.mark.parametrize("backend_name", COMPILED)
@pytest.mark.parametrize("case", [0, 4])
def test_gradient_blocks_of_a_wide_network_give_the_same_bits(backend_name, case, dtype):
    batch_size, optimizer, options = CASES[case]
    with _kernels.use(backend_name):
        results = [trained(dtype, batch_size, optimizer, options, n, epochs=1, shape="wide")
                   for n in (1, 2)]
    assert np.array_equal(results[1][0], results[0][0])
    assert results[1][1] == results[0][1]
    if case == 0:  # SGD: Adam's steps would magnify the rounding of near-zero gradients
        with _kernels.use("numpy"):
            reference, _ = trained(dtype, batch_size, optimizer, options, 1, epochs=1,
                                   shape="wide")
        np.testing.assert_allclose(results[0][0], reference, rtol=tolerance(dtype),
                                   atol=tolerance(dtype))


@pytest.mark.parametrize("backend_name", COMPILED)
def test_parts_add_up_to_the_batch_gradient(backend_name, dtype):
    # the NumPy backend computes each batch in one product: the parts' sum
    # must agree with it to rounding, dropout's masks included
    for batch_size, optimizer, options in CASES:
        with _kernels.use("numpy"):
            reference, ref_loss = trained(dtype, batch_size, optimizer, options, 1)
        with _kernels.use(backend_name):
            params, loss = trained(dtype, batch_size, optimizer, options, 2)
        np.testing.assert_allclose(params, reference, rtol=tolerance(dtype), atol=tolerance(dtype))
        np.testing.assert_allclose(loss, ref_loss, rtol=tolerance(dtype))


def test_the_setting_and_its_context():
    default = fb.get_num_threads()
    assert default >= 1
    with fb.set_num_threads(1):
        assert fb.get_num_threads() == 1
        with fb.set_num_threads(3):
            assert fb.get_num_threads() == 3
        assert fb.get_num_threads() == 1
    assert fb.get_num_threads() == default


@pytest.mark.parametrize("value, error", [(0, ValueError), (-2, ValueError),
                                          (1.5, TypeError), (True, TypeError), ("2", TypeError)])
def test_bad_thread_counts_are_refused(value, error):
    net = fb.MLP([2, 3, 1], seed=0)
    before = net.params.copy()
    with pytest.raises(error, match="n_threads"):
        net.fit(np.zeros((4, 2)), np.zeros(4), n_threads=value)
    assert np.array_equal(net.params, before)
    with pytest.raises(error, match="n_threads"):
        fb.set_num_threads(value)


def test_the_environment_sets_the_default(monkeypatch):
    monkeypatch.setenv("FASTBP_NUM_THREADS", "3")
    assert fb.get_num_threads() == 3
    with fb.set_num_threads(1):
        assert fb.get_num_threads() == 1
    monkeypatch.setenv("FASTBP_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="FASTBP_NUM_THREADS must be a whole number >= 1, "
                                         "got 'many'"):
        fb.get_num_threads()


def test_blas_is_on_one_thread_while_batches_are_split_and_set_back_after():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from fastbp._threads import blas_limited

    def blas_threads():
        return [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
                if lib["user_api"] == "blas"]

    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        with blas_limited(128):
            split = blas_threads()
        with blas_limited(64):  # not split: BLAS's threads are left alone
            whole = blas_threads()
        after = blas_threads()
    assert split and set(split) == {1}
    assert set(whole) == set(after) == {2}


@pytest.mark.parametrize("backend_name", COMPILED)
@pytest.mark.parametrize("optimizer, options", [
    ("sgd", {}),
    (lambda: fb.AdamW(lr=0.01, weight_decay=0.1),
     {"dropout": 0.2, "clip_norm": 0.5, "seed": 1, "shuffle": True, "sample_weight": "random"}),
])
def test_one_thread_takes_a_split_pass_whole_with_the_same_bits(backend_name, optimizer,
                                                                options, dtype):
    """On one thread a split pass multiplies all its rows at once (so BLAS
    packs each weight matrix once, not once per part) where the plan found
    that this BLAS gives the parts' bits for every product of the epoch;
    the result stays that of two threads."""
    backend = _kernels.get(backend_name)
    make, plans = backend.EpochPlan, []

    def recording(*args, **kwargs):
        plans.append(make(*args, **kwargs))
        return plans[-1]

    with _kernels.use(backend_name):
        backend.EpochPlan = recording
        try:
            one = trained(dtype, 128, optimizer, options, 1, epochs=1, shape="wide")
        finally:
            backend.EpochPlan = make
        two = trained(dtype, 128, optimizer, options, 2, epochs=1, shape="wide")
    assert np.array_equal(one[0], two[0]) and one[1] == two[1]
    if not plans[0].whole_products:
        pytest.skip("this BLAS's products over 128 rows differ from the halves': passes split")


@pytest.mark.parametrize("m, n, k", [(128, 256, 784), (1000, 256, 784), (1000, 128, 256),
                                     (200, 100, 64), (150, 300, 20), (130, 7, 400)])
def test_the_agreement_check_finds_what_blas_does(m, n, k, dtype):
    """whole_products_agree's check of a forward product, against the same
    BLAS routine called through SciPy on other values: all m rows at once
    and two halves of rows, the same bits or not."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from scipy.linalg import blas

    from fastbp._kernels import _passes

    gemm = blas.dgemm if dtype == "float64" else blas.sgemm
    rng = np.random.default_rng(5)
    A, W = rng.normal(size=(m, k)).astype(dtype), rng.normal(size=(k, n)).astype(dtype)

    def product(rows):  # Z = A.W as fastbp calls BLAS: Z^T = W^T.A^T, column-major
        return gemm(1.0, W.T, rows.T).T

    with threadpoolctl.threadpool_limits(1, user_api="blas"):  # as in training
        _passes._agreement.clear()
        checked = _passes._agrees(_passes.Product.FORWARD, m, n, k, 1, dtype)
        split = np.vstack([product(A[:m // 2]), product(A[m // 2:])])
        assert checked == np.array_equal(product(A), split)


@pytest.mark.parametrize("n, batch_size, cap, sizes", [
    (1024, 128, 128, {(128, False)}),
    (1000, 128, 128, {(128, False), (104, False)}),           # the last batch: 104 rows
    (1000, 300, 128, {(128, False), (128, True), (44, True),  # 300 = 128 + 128 + 44
                      (100, False)}),                          # the last batch: 100 rows
    (50, 200, 128, {(50, False)}),                             # one batch, all the rows
])
def test_a_plan_knows_every_pass_its_epoch_runs(n, batch_size, cap, sizes):
    from fastbp._kernels._train import pass_sizes

    assert pass_sizes(n, batch_size, cap) == sizes
