"""Smoke test of benchmarks/rivals.py (fastbp against Numba and JAX).

The script runs in a subprocess with --quick (small sizes, seconds of
timing plus Numba's and XLA's compilation).  Numba and JAX are
benchmark-only tools: without them the run is skipped.  Nothing here looks at
the timings; the agreement of the three implementations' parameters after one
epoch holds at any size and is checked.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "rivals.py"

pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="benchmarks/ not in this checkout")


def test_quick_run_agrees_with_fastbp(tmp_path):
    pytest.importorskip("numba")
    pytest.importorskip("jax")
    md, js = tmp_path / "rivals.md", tmp_path / "rivals.json"
    # The environment is inherited: the subprocess imports this session's fastbp.
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--repeats", "1", "--threads",
                           "--markdown", str(md), "--json", str(js)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(js.read_text(encoding="utf-8"))

    seen = {(r["workload"], r["dtype"]) for r in result["rows"]}
    assert seen == {("W1", "float64"), ("W1b", "float64"), ("W2", "float64"),
                    ("W2", "float32"), ("W3", "float64"), ("W3", "float32")}
    for r in result["rows"]:
        impls = r["impls"]
        assert set(impls) == {"fastbp", "Numba", "JAX"}, r
        for name in ("Numba", "JAX"):
            # one epoch from the same weights: rounding-level in float64
            bound = 1e-10 if r["dtype"] == "float64" else 1e-3
            assert impls[name]["agreement"] <= bound, (r["workload"], r["dtype"], name, impls)
            assert impls[name]["seconds"] > 0 and impls[name]["ratio"] > 0

    # The thread report: fastbp on 1 and 2 threads, in a child given back the
    # CPUs that the pinned parent gave up; the same bits whatever the threads
    threads = result["threads"]
    if len(os.sched_getaffinity(0)) < 2:
        assert threads == "unavailable: this process may use only one CPU", threads
    else:
        assert isinstance(threads, list), threads
        assert {(r["workload"], r["dtype"]) for r in threads} == {
            ("W2", "float64"), ("W2", "float32"), ("W3", "float64"), ("W3", "float32")}
        assert all(r["identical"] and r["one"] > 0 and r["two"] > 0 for r in threads), threads
        # the one repeat's speed-up under the CPU placement that held through it, if any
        for r in threads:
            assert set(r["by_placement"]) <= {"one die", "two dies"}, r
            assert sum(v["repeats"] for v in r["by_placement"].values()) <= 1, r
            assert all(v["speedup"] > 0 for v in r["by_placement"].values()), r

    text = md.read_text(encoding="utf-8")
    assert text.startswith("# fastbp against Numba and JAX")
    for label in ("date", "machine", "load average at start", "load average at end", "numba",
                  "jax", "fastbp", "settings"):
        assert f"**{label}**" in text
    assert "| workload | dtype | measured on | fastbp | Numba | JAX |" in text
    assert "## fastbp thread scaling" in text


def test_rejects_unknown_workload():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--workloads", "W9"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "unknown workloads" in proc.stderr
    assert "Traceback" not in proc.stderr
