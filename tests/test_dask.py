"""fastbp.dask: training on a dask cluster equals single-machine training
(full batch and synchronous mini-batches, to rounding); local SGD averages
what independent fits on each block give."""
import sys

import numpy as np
import pytest

import fastbp as fb

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
fbd = pytest.importorskip("fastbp.dask")


def _data(n=230, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    labels = np.sort(rng.integers(0, 3, n))  # sorted: the first block has no class 2
    return X, labels, rng.uniform(0.2, 2.0, n)


def _net(dtype="float64"):
    return fb.MLP([4, 6, 3], hidden="tanh", output="softmax", loss="cross_entropy",
                  dtype=dtype, seed=1)


def _chunked(*arrays, chunks=(60, 50, 0, 70, 50)):
    return [da.from_array(a, chunks=(chunks,) + a.shape[1:]) for a in arrays]


def test_full_batch_equals_fit(client):
    X, y, w = _data()
    Xd, yd, wd = _chunked(X, y, w)
    kw = dict(epochs=4, batch_size=None, shuffle=False, alpha=0.01, sample_weight=w, l1=1e-3)
    ref, net = _net(), _net()
    expected = ref.fit(X, y, optimizer=fb.Adam(lr=0.05), **kw)
    kw["sample_weight"] = wd
    got = fbd.fit(net, Xd, yd, client=client, optimizer=fb.Adam(lr=0.05), **kw)
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.loss, expected.loss, rtol=1e-10)
    assert not np.allclose(ref.params, _net().params)  # it trained


def test_gradient_sums_equal_the_network_gradient(client):
    X, y, w = _data()
    net = _net()
    blocks = fbd._data.Blocks(client, net, *_chunked(X, y, w))
    try:
        runner = fbd._driver.DistributedRunner(net, fb.SGD(), blocks, None, 0.0,
                                               fb._regularization.Regularization(), False,
                                               None)
        loss_sum, wsum, grad = runner.gradient()
    finally:
        blocks.release()
    assert wsum == pytest.approx(w.sum(), rel=1e-14)
    assert loss_sum / wsum == pytest.approx(net.loss(X, y, sample_weight=w), rel=1e-12)
    dW, db = net.gradients(X, y, sample_weight=w)
    expected = np.concatenate([a.ravel() for pair in zip(dW, db) for a in pair])
    np.testing.assert_allclose(grad / wsum, expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("optimizer", [
    lambda: fb.SGD(lr=0.2, momentum=0.9),
    lambda: fb.AdamW(lr=fb.schedules.StepDecay(0.02, 0.5, 1), weight_decay=0.1),
])
def test_sync_minibatches_equal_fit(client, optimizer):
    X, y, w = _data()
    kw = dict(epochs=2, batch_size=40, shuffle=True, seed=7, alpha=1e-3, clip_norm=0.3)
    ref, net = _net(), _net()
    expected = ref.fit(X, y, optimizer=optimizer(), sample_weight=w, **kw)
    Xd, yd, wd = _chunked(X, y, w)
    got = fbd.fit(net, Xd, yd, client=client, optimizer=optimizer(), mode="sync",
                  sample_weight=wd, **kw)
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got.loss, expected.loss, rtol=1e-10)
    assert got.lr == expected.lr


@pytest.mark.parametrize(("batch_size", "mode"), [(40, "sync"), (None, None)])
def test_dropout_draws_the_masks_of_fit(client, batch_size, mode):
    """Each row of a batch gets the masks fit gives it, whichever block
    holds it (full batch too: fit shuffles its one batch, and the masks
    follow the positions)."""
    X, y, w = _data()
    kw = dict(epochs=2, batch_size=batch_size, shuffle=True, seed=11, dropout=0.3,
              input_dropout=0.2, alpha=1e-3)
    ref, net = _net(), _net()
    expected = ref.fit(X, y, optimizer=fb.Adam(lr=0.05), sample_weight=w, **kw)
    Xd, yd, wd = _chunked(X, y, w)
    got = fbd.fit(net, Xd, yd, client=client, optimizer=fb.Adam(lr=0.05), mode=mode,
                  sample_weight=wd, **kw)
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got.loss, expected.loss, rtol=1e-10)
    other = _net()  # another dropout seed: other masks, another result
    other.fit(X, y, optimizer=fb.Adam(lr=0.05), sample_weight=w, **{**kw, "seed": 12})
    assert not np.allclose(other.params, ref.params, rtol=1e-6)


def test_step_masks_are_the_reference_masks():
    from fastbp._kernels._numpy_math import dropout_keep

    step = fbd._dropout.StepMasks(np.array([0.8, 1.0, 0.5]), seed=7, epoch=3, step=2)
    positions = np.array([5, 0, 17, 9])
    masks = step.at([4, 6, 6], positions)
    assert masks[1] is None
    for layer, width in ((0, 4), (2, 6)):
        kept, keep = masks[layer]
        expected = dropout_keep(7, 3, 2, layer, 18, width, step.keep[layer])[positions]
        assert keep == step.keep[layer] and np.array_equal(kept, expected)
    assert 0 < masks[2][0].mean() < 1


def test_sync_continues_the_optimizer_as_fit_does(client):
    """One distributed epoch, then one local: the same as two local epochs."""
    X, y, _ = _data()
    kw = dict(batch_size=50, shuffle=True, seed=3)
    ref, net = _net(), _net()
    ref.fit(X, y, optimizer=fb.Adam(lr=0.01), epochs=2, **kw)
    opt = fb.Adam(lr=0.01)
    fbd.fit(net, *_chunked(X, y), client=client, optimizer=opt, epochs=1, mode="sync", **kw)
    net.fit(X, y, optimizer=opt, epochs=1, **kw)
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-10, atol=1e-13)


def test_blocks_are_spread_over_the_workers(client):
    """Every worker holds its share of the blocks, fit after fit (left to
    itself, the scheduler put three blocks of four on one worker in about
    half of such fits, which then ran at one worker's speed)."""
    for seed in range(6):
        rs = da.random.RandomState(seed)  # blocks made on the workers, wherever dask likes
        X = rs.normal(size=(20_000, 4), chunks=(5000, 4))
        y = rs.randint(0, 3, size=20_000, chunks=5000)
        blocks = fbd._data.Blocks(client, _net(), X, y)
        try:
            homes = [home[0] for home in blocks._homes]
        finally:
            blocks.release()
        assert sorted(homes.count(w) for w in set(homes)) == [2, 2]


def test_reruns_are_bit_identical(client):
    X, y, _ = _data()
    nets = [_net(), _net()]
    for net in nets:
        fbd.fit(net, *_chunked(X, y), client=client, optimizer="adam", epochs=2, batch_size=30,
                shuffle=True, seed=5, mode="sync")
    assert np.array_equal(nets[0].params, nets[1].params)


def test_local_mode_with_one_block_equals_fit(client):
    X, y, _ = _data()
    kw = dict(epochs=3, batch_size=16, shuffle=True, seed=2, dropout=0.2, l1=1e-4)
    ref, net = _net(), _net()
    expected = ref.fit(X, y, optimizer=fb.Adam(lr=0.01), **kw)
    got = fbd.fit(net, *_chunked(X, y, chunks=(len(X),)), client=client,
                  optimizer=fb.Adam(lr=0.01), mode="local", sync_every=2, **kw)
    assert np.array_equal(net.params, ref.params)
    assert got.loss == expected.loss


def test_local_mode_averages_the_blocks_fits(client):
    X, y, _ = _data()
    chunks = (150, 80)
    net = _net()
    opt = fb.SGD(lr=0.1, momentum=0.5)
    fbd.fit(net, *_chunked(X, y, chunks=chunks), client=client, optimizer=opt, epochs=1,
            batch_size=10, shuffle=False, mode="local")
    # independently: one fit per block from the same start, averaged by rows
    fits = []
    for rows in (slice(0, 150), slice(150, 230)):
        part, part_opt = _net(), fb.SGD(lr=0.1, momentum=0.5)
        part.fit(X[rows], y[rows], optimizer=part_opt, epochs=1, batch_size=10, shuffle=False)
        fits.append((part.params, part_opt._state[0], part_opt.t))
    expected = (150 * fits[0][0] + 80 * fits[1][0]) / 230
    np.testing.assert_allclose(net.params, expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(opt._state[0], (150 * fits[0][1] + 80 * fits[1][1]) / 230,
                               rtol=1e-13, atol=1e-15)
    assert (opt.t, opt.epochs) == (15, 1)


def test_dataframe_input_and_validation(client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X, y, _ = _data()
    Xdf = dd.from_pandas(pd.DataFrame(X, columns=list("abcd")), npartitions=3)
    ydf = dd.from_pandas(pd.Series(y), npartitions=3)
    ref, net = _net(), _net()
    expected = ref.fit(X, y, optimizer="sgd", epochs=2, batch_size=None, shuffle=False)
    got = fbd.fit(net, Xdf, ydf, client=client, optimizer="sgd", epochs=2, batch_size=None,
                  validation_data=_chunked(X[:100], y[:100], chunks=(40, 60)))
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got.loss, expected.loss, rtol=1e-10)
    assert got.val_loss[-1] == pytest.approx(net.loss(X[:100], y[:100]), rel=1e-12)


def test_float32(client):
    X, y, _ = _data()
    ref, net = _net("float32"), _net("float32")
    ref.fit(X, y, optimizer="adam", epochs=3, batch_size=None, shuffle=False)
    fbd.fit(net, *_chunked(X, y), client=client, optimizer="adam", epochs=3, batch_size=None)
    assert net.params.dtype == np.float32
    np.testing.assert_allclose(net.params, ref.params, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mode": "local", "batch_size": None}, "mode='local'"),
    ({"mode": "sync", "batch_size": 10, "dropout": 1.0}, "dropout"),
    ({"mode": "fast", "batch_size": 10}, "mode must be"),
    ({"batch_size": 0}, "batch_size"),
    ({"sync_every": 0, "batch_size": 4}, "sync_every"),
])
def test_bad_arguments_are_refused(client, kwargs, message):
    X, y, _ = _data()
    net = _net()
    before = net.params.copy()
    with pytest.raises(ValueError, match=message):
        fbd.fit(net, *_chunked(X, y), client=client, **kwargs)
    assert np.array_equal(net.params, before)


def test_bad_data_is_refused(client):
    X, y, _ = _data()
    net = _net()
    with pytest.raises(ValueError, match="Y has 200 rows but X has 230"):
        fbd.fit(net, *_chunked(X), da.from_array(y[:200]), client=client, batch_size=None)
    with pytest.raises(ValueError, match="class labels in Y"):
        fbd.fit(net, *_chunked(X, y + 1), client=client, batch_size=None)


def test_import_fastbp_does_not_import_dask(tmp_path):
    from helpers import run_python

    code = ("import sys, fastbp; "
            "assert 'dask' not in sys.modules and 'distributed' not in sys.modules")
    result = run_python(["-c", code], cwd=tmp_path)
    assert result.returncode == 0, result.stderr


# --- the estimators -------------------------------------------------------------------------

def _labelled(n=230):
    X, labels, _ = _data(n)
    return X, np.array(["ant", "bee", "cat"])[labels]


@pytest.mark.parametrize(("solver", "extra"), [
    ("lbfgs", {}),  # 10 L-BFGS iterations over the distributed objective
    ("adam", {"batch_size": 230, "mode": None}),  # full batch through fit's runner
    ("sgd", {"batch_size": 32, "mode": "sync"}),
    ("adam", {"batch_size": 50, "mode": "sync", "dropout": 0.25}),  # seed from random_state
])
def test_classifier_equals_the_local_estimator(client, solver, extra):
    X, y = _labelled()
    mode = extra.pop("mode", None)
    params = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=10, random_state=0,
                  class_weight="balanced", **extra)
    with pytest.warns(Warning):  # not converged in 10 iterations, both
        ref = fb.MLPClassifier(**params).fit(X, y)
    Xd, yd = _chunked(X, y, chunks=(70, 70, 90))  # the first block has no "cat"
    with pytest.warns(Warning):
        est = fbd.MLPClassifier(**params, client=client, mode=mode).fit(Xd, yd)
    assert est.n_iter_ == ref.n_iter_ == 10
    np.testing.assert_allclose(est._net.params, ref._net.params, rtol=1e-9, atol=1e-12)
    assert est.loss_ == pytest.approx(ref.loss_, rel=1e-10)
    predicted = est.predict(Xd)
    assert isinstance(predicted, da.Array)
    assert np.array_equal(predicted.compute(), ref.predict(X))
    np.testing.assert_allclose(est.predict_proba(Xd).compute(), ref.predict_proba(X),
                               rtol=1e-9, atol=1e-12)
    assert est.score(Xd, yd) == ref.score(X, y)
    local = est.to_local()
    assert type(local) is fb.MLPClassifier and "client" not in local.get_params()
    assert np.array_equal(local.predict(X), ref.predict(X))
    local.coefs_[0][...] = 0  # an independent copy
    np.testing.assert_allclose(est._net.params, ref._net.params, rtol=1e-9, atol=1e-12)


def test_regressor_and_its_parameters(client):
    X, _, _ = _data()
    y = np.sin(X[:, 0]) + X[:, 1]
    params = dict(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=15, random_state=1, tol=0)
    with pytest.warns(Warning):
        ref = fb.MLPRegressor(**params).fit(X, y)
        est = fbd.MLPRegressor(**params, client=client).fit(*_chunked(X, y))
    np.testing.assert_allclose(est._net.params, ref._net.params, rtol=1e-9, atol=1e-12)
    assert est.get_params()["client"] is client
    assert {"mode", "sync_every"} <= set(est.get_params())
    np.testing.assert_allclose(est.predict(_chunked(X)[0]).compute(), ref.predict(X),
                               rtol=1e-9, atol=1e-12)
    assert est.score(*_chunked(X, y)) == pytest.approx(ref.score(X, y), rel=1e-12)


def test_estimator_refusals(client):
    X, y = _labelled()
    Xd, yd = _chunked(X, y)
    with pytest.raises(ValueError, match="explicit validation set"):
        fbd.MLPClassifier(early_stopping=True, client=client).fit(Xd, yd)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        fbd.MLPClassifier(early_stopping=True, client=client).partial_fit(Xd, yd, classes=y)


# --- out of core ----------------------------------------------------------------------------

def test_out_of_core_from_npy_files(client, tmp_path):
    """From a memory-mapped .npy (X) and a stack of .npy files (y), each
    block read again by every task (persist=False): the same training."""
    X, y, _ = _data()
    np.save(tmp_path / "X.npy", X)
    for i, rows in enumerate((slice(0, 100), slice(100, 230))):
        np.save(tmp_path / f"y{i}.npy", y[rows])
    Xd = fbd.from_npy(tmp_path / "X.npy", chunks=100)
    yd = fbd.from_npy([tmp_path / "y0.npy", tmp_path / "y1.npy"])
    assert Xd.chunks[0] == (100, 100, 30) and yd.chunks[0] == (100, 130)
    kw = dict(epochs=2, batch_size=64, shuffle=True, seed=4)
    ref, net = _net(), _net()
    ref.fit(X, y, optimizer="adam", **kw)
    fbd.fit(net, Xd, yd, client=client, optimizer="adam", mode="sync", persist=False, **kw)
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-10, atol=1e-13)


def test_out_of_core_from_parquet(client, tmp_path):
    """A Parquet data set (three files) through dask.dataframe.read_parquet,
    each partition read again by every task: the same training."""
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    X, y, w = _data()
    names = np.array(["ant", "bee", "cat"])[y]
    frame = pd.DataFrame(X, columns=list("abcd")).assign(label=y, weight=w, name=names)
    dd.from_pandas(frame, npartitions=3, sort=False).to_parquet(tmp_path / "data")
    assert len(list((tmp_path / "data").glob("*.parquet"))) == 3
    df = dd.read_parquet(tmp_path / "data")
    kw = dict(epochs=2, batch_size=64, shuffle=True, seed=4)
    ref, net = _net(), _net()
    ref.fit(X, y, optimizer="adam", sample_weight=w, **kw)
    fbd.fit(net, df[list("abcd")], df["label"], sample_weight=df["weight"], client=client,
            optimizer="adam", mode="sync", persist=False, **kw)
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-10, atol=1e-13)
    # string labels (pandas' str dtype) through the estimator
    params = dict(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5, random_state=0)
    with pytest.warns(Warning):  # not converged in 5 iterations, both
        local = fb.MLPClassifier(**params).fit(X, names)
        est = fbd.MLPClassifier(**params, client=client, persist=False).fit(
            df[list("abcd")], df["name"])
    assert list(est.classes_) == ["ant", "bee", "cat"]
    np.testing.assert_allclose(est._net.params, local._net.params, rtol=1e-9, atol=1e-12)


# --- faults ---------------------------------------------------------------------------------

def test_a_killed_worker_changes_nothing():
    """A worker process killed between two rounds: its blocks are recomputed
    elsewhere and the training equals an undisturbed run."""
    import os
    import signal

    X, y, _ = _data()
    ref, net = _net(), _net()
    ref.fit(X, y, optimizer="adam", epochs=4, batch_size=None, shuffle=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        pids = c.run(os.getpid)
        victim = next(iter(pids.values()))

        def kill(epoch, logs):  # noqa: ARG001 - the callback's signature
            if epoch == 1:
                os.kill(victim, signal.SIGKILL)
        fbd.fit(net, *_chunked(X, y), client=c, optimizer="adam", epochs=4, batch_size=None,
                shuffle=False, callbacks=[kill])
        assert victim not in c.run(os.getpid).values()
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-9, atol=1e-12)


_BOUNDED = """
import ctypes, os, resource, shutil, sys, time
# a small address space to start from (so the limit and the data stay small):
# one BLAS thread, one malloc arena (glibc reserves 64 MB per arena)
os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"
ctypes.CDLL(None).mallopt(-8, 1)  # M_ARENA_MAX
import numpy as np
from distributed import Client, LocalCluster
import fastbp as fb, fastbp.dask as fbd

HEADROOM = 256 << 20  # the address space training may add
ROWS, WIDTH = 40_000, 64  # a block: 20 MB of float64


def vm_size():
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return int(status["VmSize"].split()[0]) * 1024


with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                  dashboard_address=":0") as cluster, Client(cluster) as client:
    net = fb.MLP([WIDTH, 1], output="identity", seed=0)  # cheap: the reading is measured
    small = np.zeros((100, WIDTH))  # every import and thread in place first
    fbd.fit(net.copy(), small, small[:, 0], client=client, optimizer="sgd", batch_size=None)
    limit = vm_size() + HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # the data set, written block by block under the limit: twice the limit on disk
    n = -(-2 * limit // (ROWS * WIDTH * 8)) * ROWS
    if shutil.disk_usage(sys.argv[1]).free < 2 * n * WIDTH * 8:  # X and y, with room to spare
        print("not enough disk", n * (WIDTH + 1) * 8)
        sys.exit()
    block = np.random.default_rng(0).normal(size=(ROWS, WIDTH))
    for name, part in (("X", block), ("y", block[:, :3].sum(axis=1))):
        with open(sys.argv[1] + f"/{name}.npy", "wb") as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False,
                                                     "shape": (n, *part.shape[1:])})
            for _ in range(n // ROWS):
                part.tofile(f)
    try:
        np.load(sys.argv[1] + "/X.npy")
        print("loaded whole")
    except MemoryError:
        print("too large to load")
    start = time.perf_counter()
    X = fbd.from_npy(sys.argv[1] + "/X.npy", chunks=ROWS)
    y = fbd.from_npy(sys.argv[1] + "/y.npy", chunks=ROWS)
    history = fbd.fit(net, X, y, client=client, optimizer=fb.SGD(lr=0.1), epochs=2,
                      batch_size=None, persist=False)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(limit, X.nbytes, peak, time.perf_counter() - start, *history.loss)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc and sets glibc's malloc options")
def test_out_of_core_under_a_memory_limit(tmp_path):
    """A child process limits its address space (RLIMIT_AS, as ``ulimit -v``)
    to what it uses plus 256 MB, writes a data set twice that size, cannot
    load it whole, and trains on it through memory-bounded blocks
    (persist=False)."""
    from helpers import run_python

    script = tmp_path / "bounded.py"
    script.write_text(_BOUNDED)
    try:
        result = run_python([str(script), str(tmp_path)], cwd=tmp_path, timeout=300)
    finally:  # the data set is about 2 GB: never left behind
        for name in ("X.npy", "y.npy"):
            (tmp_path / name).unlink(missing_ok=True)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.split("\n")
    if lines[0].startswith("not enough disk"):
        pytest.skip(f"needs {int(lines[0].split()[-1]) >> 20} MB of free disk for its data set")
    assert lines[0] == "too large to load"
    limit, data, peak, seconds, first, second = map(float, lines[1].split())
    assert data >= 2 * limit and peak < limit
    assert second < first  # it trained


def test_a_lost_client_is_a_clear_error():
    X, y, _ = _data()
    net = _net()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        c = distributed.Client(cluster)
        after_one = _net()
        after_one.fit(X, y, optimizer=fb.SGD(lr=0.1), epochs=1, batch_size=None, shuffle=False)

        def close(epoch, logs):  # noqa: ARG001 - the callback's signature
            c.close()
        with pytest.raises(ConnectionError, match="lost its connection"):
            fbd.fit(net, *_chunked(X, y), client=c, optimizer=fb.SGD(lr=0.1), epochs=3,
                    batch_size=None, shuffle=False, callbacks=[close])
    np.testing.assert_allclose(net.params, after_one.params, rtol=1e-10)  # one whole epoch


def test_estimator_local_mode_with_one_block_equals_the_local_estimator(client):
    X, _, _ = _data()
    y = np.sin(X[:, 0]) + X[:, 1]
    params = dict(hidden_layer_sizes=(4,), solver="adam", batch_size=20, shuffle=False,
                  max_iter=5, random_state=1, alpha=1e-3)
    with pytest.warns(Warning):  # not converged in 5 epochs, both
        ref = fb.MLPRegressor(**params).fit(X, y)
        est = fbd.MLPRegressor(**params, client=client, mode="local").fit(
            *_chunked(X, y, chunks=(len(X),)))
    assert np.array_equal(est._net.params, ref._net.params)
    assert est.loss_curve_ == ref.loss_curve_ and est.n_iter_ == ref.n_iter_ == 5
