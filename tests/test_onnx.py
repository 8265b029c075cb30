"""fastbp.onnx: onnxruntime's outputs equal fastbp's predictions (1e-5
relative in float32, 1e-12 in float64) for every activation and output, on
random and real data, and through skl2onnx inside a Pipeline."""
import numpy as np
import pytest
from helpers import OUTPUT_LOSS, make_net

import fastbp as fb
from fastbp.network import HIDDEN_ACTIVATIONS

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
import fastbp.onnx as fbonnx  # noqa: E402 - after the skips

pytestmark = pytest.mark.filterwarnings("ignore:Stochastic Optimizer")
RTOL = {"float32": 1e-5, "float64": 1e-12}
LOOSER = {}  # (activation, dtype) -> rtol, for a form less exact than the others


def run(proto, X):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def close(got, want, rtol):
    # relative to each output's scale: near-zero outputs are compared absolutely
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * max(1.0, np.abs(want).max()))


@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("output,loss", OUTPUT_LOSS)
def test_every_activation_and_output(dtype, hidden, output, loss):
    net = make_net([5, 6, 4, 3], hidden, output, loss, dtype=dtype, seed=1, scale=0.8)
    X = np.random.default_rng(2).normal(size=(50, 5)).astype(dtype)
    (Y,) = run(fbonnx.to_onnx(net), X)
    assert Y.dtype == dtype and Y.shape == (50, 3)
    close(Y, net.forward(X), LOOSER.get((hidden, dtype.name), RTOL[dtype.name]))


@pytest.mark.parametrize("hidden", ["leaky_relu(0.2)", "leaky_relu(3.0)", "elu(0.5)",
                                    "softplus(2.0)", "softplus(0.5)"])
def test_units_with_their_parameter_set(dtype, hidden):
    net = make_net([5, 6, 4, 3], hidden, "identity", "squared", dtype=dtype, seed=1, scale=3.0)
    X = np.random.default_rng(2).normal(size=(50, 5)).astype(dtype) * 4
    (Y,) = run(fbonnx.to_onnx(net), X)
    close(Y, net.forward(X), RTOL[dtype.name])


def test_the_activation_table_covers_every_activation_fastbp_has():
    from fastbp.network import OUTPUT_ACTIVATIONS

    assert set(HIDDEN_ACTIVATIONS) | set(OUTPUT_ACTIVATIONS) <= set(fbonnx.ACTIVATIONS)


# independent formulas of every activation the table writes (the new hidden
# ones among them, tested here before the kernels have them)
ERF = np.vectorize(__import__("math").erf)
FORMULAS = {
    "identity": lambda z: z, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0), "exp": np.exp,
    "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(z)),
    "gelu": lambda z: z * 0.5 * (1 + ERF(z / np.sqrt(2))),
    # torch's (and fastbp's) softplus is z itself above its threshold of 20
    "softplus": lambda z: np.where(z > 20, z, np.logaddexp(0, z)),
    "silu": lambda z: z / (1 + np.exp(-z)),
}


@pytest.mark.parametrize("name", sorted(fbonnx.ACTIVATIONS))
def test_each_activation_s_onnx_form(name, dtype):
    from fastbp.onnx._convert import Builder

    b = Builder(dtype)
    b.op("Identity", [fbonnx.ACTIVATIONS[name](b, "Z")], out="A")
    info = [onnx.helper.make_tensor_value_info(n, onnx.helper.np_dtype_to_tensor_dtype(dtype),
                                               [None, 4]) for n in "ZA"]
    graph = onnx.helper.make_graph(b.nodes, "a", info[:1], info[1:], b.initializers)
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    Z = np.linspace(-30, 30, 4 * 41).reshape(-1, 4).astype(dtype)
    Z[20] = [-1e-3, 0.0, 1e-3, 0.5]
    (A,) = run(proto, Z)
    rtol = LOOSER.get((name, dtype.name), RTOL[dtype.name])
    # relative where the values are of order 1 and above; onnxruntime flushes the far tails
    # of sigmoid (and a float32 erf) to 0, which no network output notices
    np.testing.assert_allclose(A, FORMULAS[name](Z.astype(np.float64)), rtol=rtol * 4, atol=rtol)


def test_a_float64_network_exports_as_float32_and_save_writes_the_file(tmp_path):
    net = fb.MLP([3, 4, 2], hidden="relu", output="identity", seed=0)
    X = np.random.default_rng(0).normal(size=(9, 3))
    fbonnx.save_onnx(net, tmp_path / "m.onnx", dtype="float32")
    proto = onnx.load(tmp_path / "m.onnx")
    assert [o.name for o in proto.graph.output] == ["Y"]
    (Y,) = run(proto, X.astype(np.float32))
    close(Y, net.forward(X), 1e-5)


def _classifier_cases():
    return ["multiclass", "binary", "strings", "multilabel"]


@pytest.mark.parametrize("case", _classifier_cases())
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_classifiers_give_sklearn_s_layout(case, dt):
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 4))
    y = {"multiclass": (X[:, 0] > 0).astype(int) + (X[:, 1] > 0), "binary": X[:, 0] > 0.2,
         "strings": np.where(X[:, 2] > 0, "yes", "no"),
         "multilabel": np.c_[X[:, 0] > 0, X[:, 1] > 0.5, X[:, 2] < 0].astype(int)}[case]
    clf = fb.MLPClassifier((8,), max_iter=30, random_state=0, dtype=dt).fit(X, y)
    label, proba = run(fbonnx.to_onnx(clf), X.astype(dt))
    np.testing.assert_array_equal(label, clf.predict(X))
    close(proba, clf.predict_proba(X) if case != "multilabel" else clf.predict_proba(X),
          RTOL[dt])


def test_digits_and_diabetes():
    datasets = pytest.importorskip("sklearn.datasets")
    Xd, yd = datasets.load_digits(return_X_y=True)
    clf = fb.MLPClassifier((32,), activation="tanh", max_iter=30, random_state=0).fit(Xd, yd)
    label, proba = run(fbonnx.to_onnx(clf), Xd)
    np.testing.assert_array_equal(label, clf.predict(Xd))
    close(proba, clf.predict_proba(Xd), 1e-12)
    Xr, yr = datasets.load_diabetes(return_X_y=True)
    reg = fb.MLPRegressor(hidden_layer_sizes=(16,), max_iter=50, random_state=0,
                          dtype="float32").fit(Xr, yr)
    (pred,) = run(fbonnx.to_onnx(reg), Xr.astype(np.float32))
    assert pred.shape == (len(yr), 1)
    close(pred[:, 0], reg.predict(Xr), 1e-5)
    poisson = fb.MLPRegressor("poisson", hidden_layer_sizes=(8,), max_iter=20, random_state=0,
                              learning_rate_init=1e-4).fit(Xr, yr)
    (pred,) = run(fbonnx.to_onnx(poisson), Xr)
    close(pred[:, 0], poisson.predict(Xr), 1e-12)


@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_skl2onnx_converts_a_pipeline_with_a_scaler(dt):
    skl2onnx = pytest.importorskip("skl2onnx")
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    Xd, yd = datasets.load_digits(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), fb.MLPClassifier((16,), max_iter=20, random_state=0,
                                                            dtype=dt)).fit(Xd, yd)
    proto = skl2onnx.to_onnx(pipe, Xd[:1].astype(dt), options={"zipmap": False})
    label, proba = run(proto, Xd.astype(dt))
    assert (label == pipe.predict(Xd)).mean() > 0.999  # float32 scaling may flip a near-tie
    close(proba, pipe.predict_proba(Xd), RTOL[dt] * 10 if dt == "float32" else RTOL[dt])
    Xr, yr = datasets.load_diabetes(return_X_y=True)
    est = fb.MLPRegressor(hidden_layer_sizes=(8,), max_iter=50, random_state=0, dtype=dt)
    reg = make_pipeline(StandardScaler(), est).fit(Xr, yr)
    (pred,) = run(skl2onnx.to_onnx(reg, Xr[:1].astype(dt)), Xr.astype(dt))
    close(pred[:, 0], reg.predict(Xr), RTOL[dt] * 10 if dt == "float32" else RTOL[dt])


def test_zipmap_gives_a_list_of_dicts_by_class():
    skl2onnx = pytest.importorskip("skl2onnx")
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.where(X[:, 0] > 0, 3, 7)
    clf = fb.MLPClassifier((4,), max_iter=10, random_state=0).fit(X, y)
    label, proba = run(skl2onnx.to_onnx(clf, X[:1].astype(np.float32)), X.astype(np.float32))
    assert set(proba[0]) == {3, 7}
    np.testing.assert_allclose([p[7] for p in proba], clf.predict_proba(X)[:, 1], rtol=1e-5)


def test_what_cannot_be_converted_is_refused():
    with pytest.raises(TypeError, match="takes a fastbp.MLP or a fitted fastbp MLPClassifier"):
        fbonnx.to_onnx(object())
    pytest.importorskip("sklearn")
    with pytest.raises(TypeError, match="not fitted"):
        fbonnx.to_onnx(fb.MLPClassifier())
    with pytest.raises(ValueError, match="dtype must be 'float64' or 'float32'"):
        fbonnx.to_onnx(fb.MLP([2, 1]), dtype="float16")


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_export_command_on_a_trained_table_model(tmp_path, capsys, task):
    from fastbp.cli import main

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2)) * [10, 0.1] + [50, 3]  # raw, unscaled features
    target = (np.where(X[:, 0] > 50, "high", "low") if task == "classification"
              else 1000 + 30 * X[:, 1])
    data = tmp_path / "d.csv"
    data.write_text("size,rate,y\n" + "".join(f"{a:.17g},{b:.17g},{t}\n" for (a, b), t in
                                              zip(X, target)))
    model, graph, preds = tmp_path / "m.npz", tmp_path / "m.onnx", tmp_path / "p.csv"
    assert main(["train", str(data), "--target", "y", "--layers", "4", "--epochs", "5",
                 "--progress", "none", "-o", str(model)]) == 0
    assert main(["export", str(model), str(graph)]) == 0
    assert "raw features size, rate" in capsys.readouterr().out
    assert main(["predict", str(model), str(data), "-o", str(preds)] +
                (["--proba"] if task == "classification" else [])) == 0
    rows = [line.split(",") for line in preds.read_text().splitlines()[1:]]
    outputs = run(onnx.load(graph), X)
    if task == "classification":
        label, proba = outputs
        assert label.tolist() == [r[0] for r in rows]
        close(proba, np.array([[float(v) for v in r[1:]] for r in rows]), 1e-12)
    else:
        close(outputs[0][:, 0], np.array([float(r[0]) for r in rows]), 1e-12)


def test_export_command(tmp_path, capsys):
    from fastbp.cli import main

    net = fb.MLP([3, 4, 2], hidden="tanh", output="softmax", loss="cross_entropy", seed=0)
    net.save(tmp_path / "m.npz")
    assert main(["export", str(tmp_path / "m.npz"), str(tmp_path / "m.onnx")]) == 0
    assert "written to" in capsys.readouterr().out
    X = np.random.default_rng(0).normal(size=(5, 3))
    (Y,) = run(onnx.load(tmp_path / "m.onnx"), X)
    close(Y, net.forward(X), 1e-12)
