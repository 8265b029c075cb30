"""Fuzzing (hypothesis) the two doors hostile input comes through: the
model-file reader and fit's arguments.  Whatever comes in, the outcome is a
model that works or one of the documented exceptions, and a failed call
leaves the network as it was (or, on divergence, with finite outputs)."""
import io
import json
import os
import tempfile
import zipfile

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import fastbp as fb  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
X4 = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.5, -0.5]])
Y4 = np.array([0.0, 1.0, 1.0, 0.5])


def _valid_file():
    net = fb.MLP([2, 3, 1], seed=0)
    opt = fb.Adam(lr=0.01)
    history = net.fit(X4, Y4, optimizer=opt, epochs=2, batch_size=2)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.npz")
        net.save(path, optimizer=opt, history=history, metadata={"k": [1, 2]})
        with open(path, "rb") as f:
            return f.read()


VALID = _valid_file()


def _loads_or_refuses(path):
    """Load ``path``: a ModelFileError, or a model that predicts and trains."""
    try:
        ckpt = fb.load_checkpoint(path)
    except fb.ModelFileError as e:
        assert str(path) in str(e)
        return False
    net = ckpt.model
    X = np.zeros((3, net.n_inputs))
    assert np.isfinite(net.forward(X)).all()
    try:
        net.fit(X, np.zeros((3, net.n_outputs)) + 0.5, optimizer=ckpt.optimizer or "sgd",
                batch_size=1)
    except fb.TrainingDiverged:
        assert np.isfinite(net.forward(X)).all()
    return True


@SETTINGS
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(1, 255)),
                      min_size=1, max_size=8),
       cut=st.just(len(VALID)) | st.integers(0, len(VALID)))
def test_mangled_bytes_are_refused_or_harmless(tmp_path, edits, cut):
    data = bytearray(VALID)
    for i, x in edits:
        data[i] ^= x
    path = tmp_path / "m.npz"
    path.write_bytes(bytes(data[:cut]))
    _loads_or_refuses(path)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=4),
    max_leaves=12)
FIELDS = [("model", "layer_sizes"), ("model", "hidden"), ("model", "output"), ("model", "loss"),
          ("model", "dtype"), ("model", "init_scale"), ("optimizer", "t"),
          ("optimizer", "epochs"), ("optimizer", "n_state"), ("optimizer", "lr"),
          ("optimizer", "params"), ("optimizer", "class"), ("history", "loss"),
          (None, "metadata"), (None, "format_version"), (None, "arrays")]


@SETTINGS
@given(changes=st.lists(st.tuples(st.sampled_from(FIELDS), JSON), min_size=1, max_size=4))
def test_any_header_values_are_refused_or_work(tmp_path, changes):
    with zipfile.ZipFile(io.BytesIO(VALID)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    header = json.loads(np.load(io.BytesIO(members["header.npy"])).tobytes())
    for (section, key), value in changes:
        target = header if section is None else header.setdefault(section, {})
        if isinstance(target, dict):
            target[key] = value
    out = io.BytesIO()
    np.save(out, np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))
    members["header.npy"] = out.getvalue()
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    _loads_or_refuses(path)


ARG = st.one_of(st.none(), st.booleans(), st.integers(-3, 10), st.floats(width=64),
                st.text(max_size=5), st.lists(st.integers(0, 3), max_size=3))


@settings(max_examples=150, deadline=None)
@given(data=st.fixed_dictionaries({}, optional={
    "optimizer": st.sampled_from(["sgd", "adam", "rmsprop", "adagrad", "bogus"]) | ARG,
    "epochs": ARG, "batch_size": ARG, "alpha": ARG, "shuffle": ARG, "seed": ARG,
    "callbacks": ARG, "verbose": st.sampled_from([0, 2, 3, "x"]),
    "on_divergence": st.sampled_from(["raise", "stop", "x"]),
    "sample_weight": st.lists(st.floats(width=64), min_size=4, max_size=4) | ARG,
    "validation_data": st.just((X4, Y4)) | ARG}),
    scale=st.floats(1e-300, 1e300), lr=st.floats(1e-8, 1e300))
def test_fit_with_any_arguments_trains_or_refuses_cleanly(data, scale, lr):
    net = fb.MLP([2, 3, 1], hidden="relu", output="identity", seed=0)
    before = net.params.copy()
    if data.get("optimizer") == "adam":
        data["optimizer"] = fb.Adam(lr=lr)
    try:
        history = net.fit(X4 * scale, Y4, **data)
    except (TypeError, ValueError) as e:
        if isinstance(e, fb.TrainingDiverged):
            assert np.isfinite(net.forward(X4 * scale)).all()
        else:  # refused before training: nothing changed
            np.testing.assert_array_equal(net.params, before)
        return
    assert isinstance(history, fb.History)
    assert np.isfinite(net.params).all() and np.isfinite(net.forward(X4 * scale)).all()
