"""Issue 14, item 8: the command line reports every problem in one line,
never a traceback, and reads what it should."""
import csv
import json
import os
import stat

import numpy as np
import pytest

from fastbp import _validation, cli


def run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _one_line_error(code, err):
    assert code != 0 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0], err
    return lines[0]


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    path = tmp_path / "t.csv"
    with path.open("w") as f:
        f.write("a,b,label\n")
        for (a, b) in X.tolist():
            f.write(f"{a!r},{b!r},{'yes' if a > 0 else 'no'}\n")
    return path


def test_a_cell_beyond_the_csv_field_limit(tmp_path, capsys):
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" + "1" * (csv.field_size_limit() + 10) + ",2\n")
    line = _one_line_error(*run(["train", path, "--target", "b"], capsys)[::2])
    assert "field larger than field limit" in line


def test_a_truncated_npz_data_file(tmp_path, capsys):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.ones((50, 2)), y=np.ones(50))
    path.write_bytes(path.read_bytes()[:300])
    _one_line_error(*run(["train", path, "--target", "y"], capsys)[::2])


def test_huge_layers_are_refused(table, capsys, monkeypatch):
    monkeypatch.setattr(_validation, "_physical_memory", lambda: 16 * 2**30)
    line = _one_line_error(*run(["train", table, "--target", "label", "--layers",
                                 "100000,100000"], capsys)[::2])
    assert "layer_sizes" in line and "GiB" in line


def _train(table, tmp_path, capsys):
    model = tmp_path / "m.npz"
    code, _, err = run(["train", table, "--target", "label", "--epochs", "2", "--progress",
                        "none", "-o", model], capsys)
    assert code == 0, err
    return model


@pytest.mark.parametrize("edit", [lambda p: p.update(classes=[]),
                                  lambda p: p.update(features=5)])
def test_a_model_with_malformed_metadata(table, tmp_path, capsys, edit):
    model = _train(table, tmp_path, capsys)
    with np.load(model) as f:
        members = {k: f[k] for k in f.files}
    header = json.loads(members["header"].tobytes())
    edit(header["metadata"]["preprocessing"])
    members["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(model, **members)
    line = _one_line_error(*run(["predict", model, table], capsys)[::2])
    assert "preprocessing metadata is malformed" in line


def test_a_deeply_nested_model_file(table, tmp_path, capsys):
    model = _train(table, tmp_path, capsys)
    np.savez(model, header=np.frombuffer(b"[" * 100_000 + b"]" * 100_000, dtype=np.uint8))
    assert "nested too deeply" in _one_line_error(*run(["predict", model, table], capsys)[::2])


def test_a_byte_order_mark_is_dropped(table, tmp_path, capsys):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + table.read_bytes())
    code, out, err = run(["train", bom, "--target", "a", "--features", "b", "--epochs", "1",
                          "--progress", "none", "-o", tmp_path / "m.npz"], capsys)
    assert code == 0, err


def test_finite_extremes_are_not_called_infinite(tmp_path, capsys):
    path = tmp_path / "x.csv"
    rng = np.random.default_rng(0)
    with path.open("w") as f:
        f.write("big,y\n")
        for v in rng.uniform(-1, 1, 30).tolist():
            f.write(f"{v * 1e308!r},{v!r}\n")
    code, _, err = run(["train", path, "--target", "y", "--epochs", "1", "--progress", "none",
                        "-o", tmp_path / "m.npz"], capsys)
    assert code == 0 and "NaN or infinity" not in err, err


def test_a_huge_regression_target_trains_or_is_refused_clearly(tmp_path, capsys):
    path = tmp_path / "y.csv"
    rng = np.random.default_rng(0)
    with path.open("w") as f:
        f.write("x,y\n")
        for v in rng.uniform(-1, 1, 30).tolist():
            f.write(f"{v!r},{v * 1e307 + 5e307!r}\n")
    code, out, err = run(["train", path, "--target", "y", "--epochs", "1", "--progress", "none",
                          "-o", tmp_path / "m.npz"], capsys)
    assert "JSON-serializable" not in err and "Traceback" not in err
    assert code == 0, err
    code, out, err = run(["predict", tmp_path / "m.npz", path], capsys)
    predictions = [float(r) for r in out.splitlines()[1:]]
    assert code == 0 and np.isfinite(predictions).all()
    assert 1e306 < np.median(predictions) < 1e308


def test_numpy_warnings_do_not_reach_stderr(tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text("a,y\n" + "".join(f"{1e308 * (-1) ** i!r},{i % 2}\n" for i in range(20)))
    code, _, err = run(["train", path, "--target", "y", "--task", "regression", "--epochs", "1",
                        "--progress", "none", "-o", tmp_path / "m.npz"], capsys)
    assert "Warning" not in err


def test_divergence_is_reported_in_one_line(table, tmp_path, capsys):
    line = _one_line_error(*run(["train", table, "--target", "label", "--optimizer", "adam",
                                 "--lr", "1e300", "--progress", "none", "-o",
                                 tmp_path / "m.npz"], capsys)[::2])
    assert "diverged" in line


def test_model_files_follow_the_umask_and_help_says_o_overwrites(table, tmp_path, capsys):
    old = os.umask(0o022)
    try:
        model = _train(table, tmp_path, capsys)
    finally:
        os.umask(old)
    assert stat.S_IMODE(model.stat().st_mode) == 0o644
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    assert "overwritten" in capsys.readouterr().out
