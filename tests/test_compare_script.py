"""Smoke test of benchmarks/compare.py: it runs, prints and writes its report.

The script runs in a subprocess with --quick (tiny sizes, a few seconds).
scikit-learn and PyTorch are optional for it: whatever is installed here is
used, and a second run hides both, so the skipping path is tested either
way.  Nothing here looks at the timings.
"""
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "compare.py"

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="benchmarks/ not in this checkout")


def run(*args, timeout=50):
    # The environment is inherited, so the subprocess imports the same fastbp
    # as this test session (an installed wheel or PYTHONPATH=.).
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--repeats", "1", *args],
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def rows_of(out, workload):
    """The lines of the final Speed table for one workload."""
    table = out.split("\nSpeed\n", 1)[1].split("\nCorrectness\n", 1)[0]
    return [line.split() for line in table.splitlines() if line.startswith(workload + " ")]


def test_quick_run_every_workload(tmp_path):
    md = tmp_path / "results.md"
    out = run("--markdown", str(md))
    for workload in ("W1", "W1b", "W2", "W3", "W4"):
        impls = [r[2] for r in rows_of(out, workload)]
        assert "fastbp" in impls, (workload, out)
    assert "scipy" in {r[2] for r in rows_of(out, "W4")}

    text = md.read_text(encoding="utf-8")
    assert text.startswith("# fastbp comparison")
    for label in ("date", "machine", "python", "numpy", "scipy", "fastbp", "scikit-learn", "torch"):
        assert f"**{label}**" in text
    assert "| workload | dtype | implementation |" in text
    # The agreement checks (the same training done by two implementations)
    # hold at any size; those needing no optional package always run.
    assert "W1 plain-Python loop vs fastbp" in out and "W1 NumPy loop vs fastbp" in out
    correctness = out.split("\nCorrectness\n", 1)[1].splitlines()
    agreement = [line for line in correctness if " vs " in line]
    assert agreement and not [line for line in agreement if "**NO**" in line], correctness


def test_quick_run_without_optional_packages():
    out = run("--workloads", "W1,W2", "--dtypes", "float32,float64", "--without", "sklearn,torch")
    impls = {r[2] for r in rows_of(out, "W1") + rows_of(out, "W2")}
    assert "fastbp" in impls and "NumPy" in impls
    assert "scikit-learn" not in impls and "PyTorch" not in impls
    assert "synthetic 1,797 rows" in out


def test_rejects_unknown_workload():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--workloads", "W9"],
                          capture_output=True, text=True, timeout=50)
    assert proc.returncode != 0 and "unknown workloads" in proc.stderr
