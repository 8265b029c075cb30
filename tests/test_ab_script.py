"""Smoke test of benchmarks/ab.py (two builds of fastbp side by side): the
checkout against itself at the --quick sizes gives the same bits; what is not
a checkout is refused.  Nothing here looks at the timings."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "ab.py"

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="benchmarks/ not in this checkout")


def built_in_place(root):
    return any((root / "fastbp" / "_kernels").glob("_train*.so"))


@pytest.mark.skipif(not built_in_place(ROOT), reason="the kernels are not built in the checkout")
def test_the_checkout_against_itself_gives_the_same_bits():
    proc = subprocess.run([sys.executable, str(SCRIPT), str(ROOT), str(ROOT), "--quick",
                           "--workloads", "W1,W2", "--repeats", "1", "--fits", "1"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = [line.split("|")[1:-1] for line in proc.stdout.splitlines()
            if line.startswith("| W")]
    assert [(r[0].strip(), r[1].strip()) for r in rows] == [("W1", "float64"),
                                                            ("W2", "float64")]
    for r in rows:
        assert r[2].strip() == "pinned"
        assert float(r[5]) > 0 and r[6].strip() == "yes"


@pytest.mark.skipif(not built_in_place(ROOT), reason="the kernels are not built in the checkout")
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_two_threads_rows_say_where_the_cpus_were():
    proc = subprocess.run([sys.executable, str(SCRIPT), str(ROOT), str(ROOT), "--quick",
                           "--workloads", "W2", "--repeats", "2", "--fits", "1",
                           "--threads", "2"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = [line.split("|")[1:-1] for line in proc.stdout.splitlines()
            if line.startswith("| W2")]
    assert rows
    for r in rows:
        # a placement with its repeats counted, or every repeat dropped
        assert re.fullmatch(r"(one die|two dies) \([12]\)|moved during every repeat",
                            r[2].strip()) or r[2].strip() == "not probed"  # no C compiler


def test_threads_beyond_the_cpus_allowed_are_refused():
    proc = subprocess.run([sys.executable, str(SCRIPT), str(ROOT), str(ROOT), "--threads",
                           str(len(os.sched_getaffinity(0)) + 1)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--threads must be between 1 and" in proc.stderr


def test_a_directory_that_is_not_a_checkout_is_refused(tmp_path):
    proc = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "is not a fastbp checkout" in proc.stderr
    assert "Traceback" not in proc.stderr
