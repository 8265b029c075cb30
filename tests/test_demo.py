import subprocess
import sys

import numpy as np

from fastbp import datasets, demo


def test_spirals_shapes_and_labels():
    X, y = datasets.spirals(n_per_class=50, n_classes=3, seed=1)
    assert X.shape == (150, 2) and y.shape == (150,)
    assert np.bincount(y).tolist() == [50, 50, 50]
    assert np.abs(X).max() < 1.2
    np.testing.assert_array_equal(X, datasets.spirals(n_per_class=50, n_classes=3, seed=1)[0])


def test_xor_is_xor():
    X, y = datasets.xor()
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]))


def test_demo_learns_the_spirals(capsys):
    net, history, accuracy = demo.main(epochs=40)
    out = capsys.readouterr().out
    assert "O6 = 0.474" in out and "accuracy: train" in out
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert accuracy["train"] > 0.9 and accuracy["test"] > 0.85


def test_demo_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "fastbp.demo"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "w46 = -0.261" in result.stdout
