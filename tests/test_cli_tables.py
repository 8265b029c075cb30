"""The command line on real tables: text feature columns (--categorical),
missing cells (--impute), and the encoding stored in the model and applied
again by predict and evaluate."""
import csv
import re

import numpy as np
import pytest

import fastbp as fb
from fastbp import cli


def run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a train without -o writes model.npz here


@pytest.fixture
def mixed_csv(tmp_path):
    """A numeric column x with a gap, a text column colour with a gap, and a
    label decided by both (yes when red xor x > 0)."""
    rng = np.random.default_rng(0)
    n = 150
    x = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], n)
    label = np.where((colour == "red") ^ (x > 0), "yes", "no")
    x_cells, colour_cells = [f"{v:.6f}" for v in x], list(colour)
    x_cells[5], colour_cells[7] = "", ""
    path = tmp_path / "mixed.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([["x", "colour", "label"],
                                 *zip(x_cells, colour_cells, label)])
    return path, x, colour


TRAIN = ["--target", "label", "--layers", "16", "--optimizer", "adam", "--lr", "0.02",
         "--epochs", "150", "--validation-split", "0", "--progress", "none"]


def test_text_features_and_missing_cells_are_refused_naming_the_remedy(mixed_csv, capsys):
    path, _, _ = mixed_csv
    code, _, err = run(["train", path, *TRAIN], capsys)
    assert code == 1 and "line 7: column 'x' is empty (1 missing cells in it)" in err
    assert "or pass --impute mean|median|most_frequent" in err
    code, _, err = run(["train", path, *TRAIN, "--impute", "mean"], capsys)
    assert code == 1 and "feature column 'colour' is not numeric (it holds 'red')" in err
    assert "pass --categorical auto to one-hot encode text columns" in err
    code, _, err = run(["train", path, *TRAIN, "--impute", "mean", "--categorical", "nope"],
                       capsys)
    assert code == 1 and "--categorical names 'nope', which is not a feature" in err


def test_categorical_and_impute_are_stored_and_applied_at_predict(mixed_csv, tmp_path, capsys):
    path, x, colour = mixed_csv
    model = tmp_path / "m.npz"
    code, _, err = run(["train", path, *TRAIN, "--impute", "median", "--categorical", "auto",
                        "-o", model], capsys)
    assert code == 0, err
    ckpt = fb.load_checkpoint(model)
    prep = ckpt.metadata["preprocessing"]
    assert prep["categories"] == {"colour": ["blue", "green", "red"]}
    present = np.delete(colour, 7)
    values, counts = np.unique(present, return_counts=True)
    assert prep["fill"] == {"x": pytest.approx(float(np.median(np.delete(np.round(x, 6), 5)))),
                            "colour": str(values[counts.argmax()])}
    assert ckpt.model.n_inputs == 1 + 3
    # the same encoding on new rows: a missing x, and a colour never seen (all zeros)
    new = tmp_path / "new.csv"
    new.write_text("x,colour\n1.0,red\n,green\n-1.0,purple\n")
    out_csv = tmp_path / "pred.csv"
    code, _, err = run(["predict", model, new, "-o", out_csv, "--proba"], capsys)
    assert code == 0, err
    rows = list(csv.reader(out_csv.read_text().splitlines()))[1:]
    raw = np.array([[1.0, 0, 0, 1], [prep["fill"]["x"], 0, 1, 0], [-1.0, 0, 0, 0]])
    manual = ckpt.model.forward((raw - prep["x_mean"]) / np.array(prep["x_scale"]))
    np.testing.assert_allclose([[float(p) for p in r[1:]] for r in rows], manual, rtol=1e-12)
    assert [r[0] for r in rows] == [prep["classes"][i] for i in manual.argmax(axis=1)]
    # the rule is learnable from the encoded inputs
    code, out, _ = run(["evaluate", model, path, "--json"], capsys)
    assert code == 0 and '"accuracy": ' in out
    assert float(out.split('"accuracy": ')[1].split(",")[0]) > 0.9


def test_old_model_files_without_the_new_fields_still_load(tmp_path, capsys):
    from fastbp.cli.tables import Preprocessing

    prep = Preprocessing.from_metadata({"preprocessing": {
        "features": ["a"], "target": "t", "task": "regression", "classes": None,
        "x_mean": [0.0], "x_scale": [1.0], "y_mean": 0.0, "y_scale": 1.0}})
    assert prep.categories == {} and prep.fill is None
    np.testing.assert_array_equal(prep.X({"a": np.array([1.0, 2.0])}), [[1.0], [2.0]])


def test_defaults_early_stopping_lines_without_a_terminal_and_metrics(mixed_csv, tmp_path,
                                                                     capsys):
    path, _, _ = mixed_csv
    model = tmp_path / "m.npz"
    # no --early-stopping: on (patience 10) because there is a validation split;
    # --progress bar, but stderr is not a terminal here: one line per epoch, no bar frames
    code, out, err = run(["train", path, "--target", "label", "--impute", "mean",
                          "--categorical", "auto", "--epochs", 400, "--lr", "0.05",
                          "--optimizer", "adam", "-o", model], capsys)
    assert code == 0, err
    assert out.splitlines()[0] == f"reading {path} ..."  # before anything slow
    assert "\r" not in err and "it/s" not in err and "epoch/s" not in err
    lines = [ln for ln in out.splitlines() if ln.startswith("epoch ")]
    stop = next(ln for ln in out.splitlines() if ln.startswith("early stop after epoch "))
    stopped = int(stop.split()[4].rstrip(";"))
    assert len(lines) == stopped < 400
    first = lines[0].split(" - ")
    assert [p.split()[0] for p in first[1:]] == ["loss", "accuracy", "val_loss", "val_accuracy",
                                                 "lr"]
    assert all(len(p.split()[1].split(".")[1]) == 4 for p in first[1:] if "accuracy" in p)
    training = next(ln for ln in out.splitlines() if ln.startswith("training: "))
    assert re.fullmatch(r"training: loss \S+, accuracy \d\.\d{4}", training)
    assert fb.load_checkpoint(model).optimizer.epochs == stopped
    # no validation split: early stopping is off by default (no error), and can be asked for
    code, out, _ = run(["train", path, *TRAIN, "--impute", "mean", "--categorical", "auto",
                        "--epochs", 5], capsys)
    assert code == 0 and "early stop" not in out
    code, _, err = run(["train", path, *TRAIN, "--early-stopping", 3], capsys)
    assert code == 2 and "--early-stopping needs a validation split" in err


def test_regression_reports_in_the_targets_units(tmp_path, capsys):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, 200)
    y = 1000 + 300 * x + rng.normal(scale=30, size=200)  # units far from standardized ones
    path = tmp_path / "reg.csv"
    path.write_text("x,y\n" + "".join(f"{a!s},{b!s}\n" for a, b in zip(x.tolist(), y.tolist())))
    model = tmp_path / "r.npz"
    code, out, err = run(["train", path, "--target", "y", "--epochs", 200, "--lr", "0.01",
                          "--optimizer", "adam", "--progress", "none", "-o", model], capsys)
    assert code == 0, err
    training = next(ln for ln in out.splitlines() if ln.startswith("training: "))
    assert re.fullmatch(r"training: mse \S+, rmse \S+, mae \S+, r2 \d\.\d{4}", training)
    rmse = float(training.split("rmse ")[1].split(",")[0])
    assert 20 < rmse < 60  # the noise is 30 in the target's units
    code, out, _ = run(["evaluate", model, path], capsys)
    assert code == 0 and "loss" not in out and re.search(r"rmse +\S+", out)
