"""Every script in examples/ runs (with small settings) and does what it says."""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def test_every_example_is_tested_and_listed():
    scripts = sorted(p.stem for p in EXAMPLES.glob("*.py"))
    assert scripts == ["compare_optimizers", "dask_training", "digits", "dropout_and_schedules",
                       "export_onnx", "initialization_matters", "optimizer_race", "regression",
                       "regularization_grid", "sklearn_pipeline", "trace_any_network",
                       "worked_example", "xor"]
    listing = (EXAMPLES / "README.md").read_text()
    assert all(f"`{s}.py`" in listing for s in scripts)


def test_worked_example(capsys):
    load("worked_example").main()
    assert "w46 = -0.261" in capsys.readouterr().out


def test_xor_needs_a_hidden_layer(capsys):
    results = load("xor").main(epochs=1500)
    _, out, _ = results[(2, 2, 1)]
    np.testing.assert_array_equal(out > 0.5, [False, True, True, False])
    _, out, _ = results[(2, 1)]
    assert (out > 0.5).tolist() != [False, True, True, False]
    assert "WRONG" in capsys.readouterr().out


def test_compare_optimizers(capsys):
    pytest.importorskip("matplotlib")
    fig = load("compare_optimizers").main(epochs=100, out="c.png")
    final = {ln.get_label().split(" ")[0]: ln.get_ydata()[-1] for ln in fig.axes[0].lines}
    assert set(final) == {"SGD", "momentum", "AdaGrad", "RMSprop", "Adam"}
    assert final["Adam"] < 0.1 and final["Adam"] < 0.2 * final["SGD"]
    assert Path("c.png").exists() and "final training loss" in capsys.readouterr().out


def test_optimizer_race_momentum_and_adaptive_rates_win(capsys):
    counts = load("optimizer_race").main(out=None)
    printed = {line.split()[0]: int(line.split()[1])
               for line in capsys.readouterr().out.splitlines()[1:]}
    assert printed == counts and set(counts) == {"SGD", "momentum", "Nesterov", "AdaGrad", "Adam"}
    # every fast optimizer needs less than half of plain gradient descent's steps
    assert all(counts[name] < counts["SGD"] / 2 for name in counts if name != "SGD")
    assert counts["SGD"] > 300


def test_optimizer_race_draws_the_race(capsys):
    pytest.importorskip("matplotlib")
    load("optimizer_race").main(max_steps=600, out="race.png")
    assert Path("race.png").read_bytes()[:4] == b"\x89PNG"
    assert "figure written to race.png" in capsys.readouterr().out


def test_regularization_grid(capsys):
    pytest.importorskip("matplotlib")
    fig = load("regularization_grid").main(out="r.png", hidden_sizes=(2, 64), alphas=(0.0, 1e-3))
    acc = [float(ax.get_title().rsplit(" ", 1)[1]) for ax in fig.axes]
    # two hidden units underfit; 64 fit well without a penalty; a strong penalty flattens them
    assert acc[2] > acc[0] + 0.2 and acc[2] > acc[3] + 0.2
    assert Path("r.png").exists()


def test_digits(capsys):
    pytest.importorskip("sklearn")
    net, accuracy = load("digits").main(epochs=15)
    assert accuracy > 0.9 and "confusion matrix" in capsys.readouterr().out


def test_digits_without_scikit_learn_skips_with_a_message(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert load("digits").main() is None
    assert ("skipped: this example (scikit-learn's digits data set) needs scikit-learn, which "
            "is not installed: pip install scikit-learn  (fastbp's 'sklearn' extra)"
            ) in capsys.readouterr().out


def test_sklearn_pipeline_tunes_the_drop_in_classifier(capsys):
    pytest.importorskip("sklearn")
    search, accuracy = load("sklearn_pipeline").main(max_iter=200)
    assert type(search.best_estimator_[-1]).__module__.startswith("fastbp.")
    assert len(search.cv_results_["params"]) == 4 and accuracy > 0.9
    assert "test accuracy" in capsys.readouterr().out


def test_sklearn_pipeline_without_scikit_learn_skips_with_a_message(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert load("sklearn_pipeline").main() is None
    assert "skipped" in capsys.readouterr().out


def test_regression(capsys):
    net, rmse = load("regression").main(epochs=150, out=None)
    assert rmse < 0.1 and net.loss_name == "squared" and net.output == "identity"


def test_figure_examples_without_matplotlib(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert load("compare_optimizers").main(epochs=1) is None
    assert load("regularization_grid").main(epochs=1) is None
    assert capsys.readouterr().out.count("(it draws a figure) needs matplotlib") == 2


def test_trace_any_network(capsys):
    tr, check = load("trace_any_network").main()
    out = capsys.readouterr().out
    assert check.ok and "every layer agrees" in out
    assert tr.net.layer_sizes == [3, 3, 1] and set(tr.state) == {"m", "v"}
    assert "w47" in out and "w36" in out and "| m " in out  # hidden units 4-6, output 7


def test_initialization_matters(capsys):
    found = load("initialization_matters").main(width=60, examples=100, out=None)
    too_small, glorot, he = (found["tanh", "uniform(0.01)"], found["tanh", "glorot"],
                             found["relu", "he"])
    assert too_small[0][-1] < 1e-10  # activations vanish with depth
    assert 0.1 < glorot[0][-1] < 1 and 0.2 < he[0][-1] < 5  # kept about constant
    assert found["relu", "uniform(1.0)"][0][-1] > 1e4  # explode
    saturated = found["tanh", "uniform(1.0)"][0]
    assert min(saturated) > 0.85  # tanh pinned near -1 and 1 (a uniform spread has std 0.58)
    assert "std of the activations" in capsys.readouterr().out


def test_initialization_matters_draws_the_figures(capsys):
    pytest.importorskip("matplotlib")
    load("initialization_matters").main(width=20, examples=40)
    assert Path("init-tanh-glorot.png").read_bytes()[:4] == b"\x89PNG"
    assert Path("init-relu-uniform1.0.png").exists()


def test_export_onnx(capsys, tmp_path):
    for name in ("sklearn", "onnx", "onnxruntime", "skl2onnx"):
        pytest.importorskip(name)
    clf, pipe, gap = load("export_onnx").main(out=str(tmp_path / "d.onnx"), max_iter=10)
    assert gap < 1e-12 and (tmp_path / "d.onnx").exists()
    assert "labels equal fastbp's on 100.0%" in capsys.readouterr().out


def test_dropout_and_schedules(capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    curves = load("dropout_and_schedules").main(epochs=8, out="d.png")
    (plain, _, lr_plain), (dropped, _, _), (warm, accuracy, lr) = curves.values()
    assert len(plain) == len(dropped) == 8 and plain != dropped
    assert lr_plain == [1e-3] * 8
    assert lr[0] < lr[4] < lr[5] and lr[5] > lr[6] > lr[7]  # warm-up, then cosine
    assert accuracy[-1] > 0.8 and Path("d.png").exists()
    assert "best validation loss" in capsys.readouterr().out


def test_dask_training(capsys):
    pytest.importorskip("distributed")
    results = load("dask_training").main(rows=600)
    assert results["full batch"][0] < 1e-12 and results["sync"][0] < 1e-12
    assert all(accuracy > 0.9 for _, accuracy in results.values())
    assert "local      batch 32" in capsys.readouterr().out
