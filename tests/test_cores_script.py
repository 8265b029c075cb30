"""Smoke test of benchmarks/cores.py (where the host put the first two
CPUs): its timeline runs, each probe gives a plausible number, and its words
follow the thresholds.  The numbers themselves depend on the host."""
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "cores.py"

pytestmark = [
    pytest.mark.skipif(not SCRIPT.exists(), reason="benchmarks/ not in this checkout"),
    pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs"),
]


@pytest.fixture(scope="module")
def cores():
    spec = importlib.util.spec_from_file_location("cores", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_round_trip_is_a_plausible_time(cores):
    ns = cores.round_trip_ns(seconds=0.01, windows=1)
    assert 5 < ns < 100_000


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
def test_placement_is_one_of_two_words(cores):
    assert cores.placement() in ("one die", "two dies")


def test_corun_ratio_is_a_plausible_ratio(cores):
    assert 0.2 < cores.corun_ratio(seconds=0.05) < 3


def test_words_follow_the_thresholds(cores):
    assert cores.describe(1.0, 300.0) == ("round trip 300 ns (two dies), "
                                          "together/alone 1.00 (have a core each)")
    assert cores.describe(0.5, 60.0) == ("round trip 60 ns (one die), "
                                         "together/alone 0.50 (share one core)")
    assert cores.describe() == "one CPU only"


def test_the_timeline_runs():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--seconds", "0.1"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "together/alone" in proc.stdout
