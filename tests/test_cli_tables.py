"""The command line on real tables: text feature columns (--categorical),
missing cells (--impute), and the encoding stored in the model and applied
again by predict and evaluate."""
import csv

import numpy as np
import pytest

import fastbp as fb
from fastbp import cli


def run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


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
