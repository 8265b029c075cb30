"""Smoke test of benchmarks/fit_overhead.py: it runs and prints its table and
its breakdown of a call (nothing here looks at the timings)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "fit_overhead.py"

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="benchmarks/ not in this checkout")


def test_a_short_run_prints_every_column_and_the_phases_of_a_call():
    pytest.importorskip("sklearn")  # the partial_fit scenario
    # the environment is inherited: the subprocess imports this session's fastbp
    proc = subprocess.run([sys.executable, str(SCRIPT), "--rounds", "3", "--dtype", "float32",
                           "--scenarios", "10", "partial_fit", "--breakdown", "--clock", "cpu"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    number = r"-?\d+\.\d"
    assert re.search(rf"^  10 rows(\s+{number}){{6}}$", out, re.M), out
    assert re.search(rf"^  partial_fit(\s+{number}){{4}}$", out, re.M), out  # no fixed, T0
    phases = {line.split()[0] for line in out.splitlines() if line.startswith("    ")}
    # the kernel's parts and the Python around them, each timed
    assert {"fit", "check_X_range", "Runner.__init__", "EpochPlan(...)", "train_epoch",
            "Runner.run_epoch"} <= phases, out
