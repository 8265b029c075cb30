import sys

import numpy as np
import pytest
from helpers import run_python

from fastbp import datasets
from fastbp.cli import demo


def test_spirals_shapes_and_labels():
    X, y = datasets.spirals(n_per_class=50, n_classes=3, seed=1)
    assert X.shape == (150, 2) and y.shape == (150,)
    assert np.bincount(y).tolist() == [50, 50, 50]
    assert np.abs(X).max() < 1.2
    np.testing.assert_array_equal(X, datasets.spirals(n_per_class=50, n_classes=3, seed=1)[0])


def test_xor_is_xor():
    X, y = datasets.xor()
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]))


def _epoch_lines(out):
    return [ln for ln in out.splitlines() if ln.startswith("epoch ")]


def test_demo_learns_the_spirals_and_reports(capsys, tmp_path):
    net, history, accuracy = demo.main(epochs=40, dataset="spirals", plot=None)
    out = capsys.readouterr().out
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert accuracy["train"] > 0.9 and accuracy["test"] > 0.85
    lines = _epoch_lines(out)  # the loss of every epoch
    assert len(lines) == 40 and lines[-1].startswith("epoch 40/40 - loss ")
    assert f"loss {history.loss[-1]:.6g}" in lines[-1]
    assert f"accuracy: train {accuracy['train']:.3f}, test {accuracy['test']:.3f}" in out


def test_demo_on_the_digits_writes_the_loss_curve(capsys, tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    png = tmp_path / "loss.png"
    net, history, accuracy = demo.main(epochs=8, plot=str(png))  # auto: digits
    out = capsys.readouterr().out
    assert "handwritten digits" in out and net.layer_sizes == [64, 64, 10]
    assert accuracy["test"] > 0.9
    assert png.read_bytes()[:4] == b"\x89PNG" and f"loss curve written to {png}" in out


def test_demo_without_the_optional_packages(monkeypatch, capsys, tmp_path):
    for name in ("sklearn", "matplotlib", "tqdm"):
        monkeypatch.setitem(sys.modules, name, None)
    net, history, accuracy = demo.main(epochs=3, plot=str(tmp_path / "x.png"))
    out = capsys.readouterr().out
    assert "using the built-in spirals: the digits data set needs scikit-learn" in out
    assert "no loss curve drawn: the loss curve needs matplotlib, which is not installed: " \
           "pip install matplotlib  (fastbp's 'plot' extra)" in out
    assert len(_epoch_lines(out)) == 3 and not (tmp_path / "x.png").exists()
    assert net.layer_sizes == [2, 64, 64, 3]


def test_demo_runs_as_a_module_and_as_the_command(tmp_path):
    for args in (["-m", "fastbp.cli.demo"], ["-m", "fastbp", "demo", "--epochs", "3"]):
        result = run_python(args, tmp_path)
        assert result.returncode == 0, result.stderr
        assert "accuracy: train" in result.stdout
