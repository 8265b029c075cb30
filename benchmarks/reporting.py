"""Timing, the rows and checks of benchmarks/compare.py's report, and its
text and markdown tables."""
import datetime
import gc
import math
import os
import platform
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy

import fastbp as fb


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------
@dataclass
class Timing:
    median: float
    low: float
    high: float
    repeats: int
    number: int  # calls per timed repeat

    @property
    def spread(self):
        return (self.high - self.low) / self.median if self.median > 0 else 0.0


def measure(fn, repeats, min_time):
    """Median time of one call of ``fn`` over ``repeats`` repeats.

    One untimed warm-up call first; its duration decides how many calls each
    repeat makes (enough for ``min_time`` seconds), so millisecond epochs are
    not lost in timer and scheduler noise.  The garbage collector is off
    while timing, as in timeit.
    """
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    number = max(1, math.ceil(min_time / max(first, 1e-9)))
    samples = []
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            samples.append((time.perf_counter() - t0) / number)
    finally:
        if enabled:
            gc.enable()
    return Timing(statistics.median(samples), min(samples), max(samples), repeats, number)


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------
@dataclass
class Row:
    workload: str
    dtype: str
    impl: str
    measured: str           # what one timed call covered
    timing: Timing
    per: str                # "epoch", "example" or "call"
    scale: float = 1.0      # timing * scale = the reported time (e.g. batches -> epoch)
    target: str = ""
    judge: object = None    # callable(row, fastbp_row) -> bool, or None
    note: str = ""
    ratio: float = None     # filled in by finish_rows
    met: object = None

    @property
    def seconds(self):
        return self.timing.median * self.scale


@dataclass
class Check:
    name: str
    value: str
    target: str = ""
    met: object = None


@dataclass
class Report:
    rows: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    skipped: list = field(default_factory=list)


def finish_rows(rows, quick):
    """Fill in each row's ratio to fastbp (same workload and dtype) and judge
    its target."""
    for row in rows:
        base = next((r for r in rows if r.workload == row.workload and r.dtype == row.dtype
                     and r.impl == "fastbp"), None)
        if row.ratio is None and base is not None and base.per == row.per:
            row.ratio = row.seconds / base.seconds
        if row.judge is not None and base is not None:
            row.met = "n/a (quick)" if quick else bool(row.judge(row, base))



# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
def fmt_time(s):
    if s is None:
        return ""
    for unit, f in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= f or unit == "ns":
            v = s / f
            return f"{v:.3g} {unit}" if v < 1000 else f"{v:.0f} {unit}"


def fmt_met(met):
    if met is None:
        return ""
    if isinstance(met, str):
        return met
    return "yes" if met else "**NO**"


HEADERS = ("workload", "dtype", "implementation", "measured on", "time", "spread",
           "fastbp ×", "target", "met?", "notes")


def table_cells(rows):
    out = []
    for r in rows:
        out.append((r.workload, r.dtype, r.impl, r.measured,
                    f"{fmt_time(r.seconds)}/{r.per}", f"±{100 * r.timing.spread / 2:.0f}%",
                    "" if r.ratio is None else f"{r.ratio:.3g}", r.target, fmt_met(r.met),
                    r.note))
    return out


def text_table(headers, cells):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *cells)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for c in cells:
        lines.append("  ".join(str(x).ljust(w) for x, w in zip(c, widths)))
    return "\n".join(lines)


def md_table(headers, cells):
    def esc(x):
        return str(x).replace("|", "\\|")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(esc(x) for x in c) + " |" for c in cells]
    return "\n".join(lines)


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(path):
    try:
        out = subprocess.run(["git", "-C", str(path), "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def environment(ctx, threads, tpc):
    """(label, value) pairs for the header."""
    fb_dir = Path(fb.__file__).resolve().parent
    commit = git_commit(fb_dir)
    info = [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("machine", f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
                    f"{platform.release()}"),
        ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("python", platform.python_version()),
        ("numpy", np.__version__),
        ("scipy", scipy.__version__),
        ("fastbp", f"{fb.__version__} ({fb_dir}{', git ' + commit if commit else ''})"),
        ("scikit-learn", ctx.sklearn.__version__ if ctx.sklearn else "not used"),
        ("torch", ctx.torch.__version__ if ctx.torch else "not used"),
    ]
    if tpc is not None:
        for lib in tpc.threadpool_info():
            arch = f", {lib['architecture']}" if lib.get("architecture") else ""
            info.append((lib["user_api"].upper(),
                         f"{lib['internal_api']} {lib.get('version') or ''}{arch}, "
                         f"{Path(lib['filepath']).name}"))
    else:
        info.append(("BLAS", "unknown (threadpoolctl not installed; threads not limited)"))
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    if env:
        info.append(("environment", ", ".join(f"{k}={v}" for k, v in env.items())))
    pools = "BLAS/OpenMP/PyTorch" if tpc is not None else "PyTorch (BLAS not limited)"
    quick = ", --quick (sizes shrunk: targets not judged)" if ctx.quick else ""
    info.append(("settings", f"{threads} thread(s) for {pools}, "
                             f"median of {ctx.repeats} repeats after a warm-up{quick}"))
    return info


def markdown(report, info):
    parts = ["# fastbp comparison", ""]
    parts += [f"- **{k}**: {v}" for k, v in info]
    parts += ["", "Regenerate with `PYTHONPATH=. python benchmarks/compare.py --markdown "
              "benchmarks/RESULTS.md`; how to read the columns: the docstring of "
              "`benchmarks/compare.py`. `fastbp ×` = this row's time / fastbp's "
              "(> 1: fastbp is faster).", "", "## Speed", ""]
    parts.append(md_table(HEADERS, table_cells(report.rows)))
    if report.checks:
        parts += ["", "## Correctness", ""]
        parts.append(md_table(("check", "value", "target", "met?"),
                              [(c.name, c.value, c.target, fmt_met(c.met)) for c in report.checks]))
    if report.skipped:
        parts += ["", "## Skipped", ""] + [f"- {s}" for s in report.skipped]
    return "\n".join(parts) + "\n"


