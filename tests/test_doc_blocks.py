"""Every code block of the README and the user guide runs as written.

A document's ```python blocks run in order in one namespace (a reader pasting
them into one session), in a temporary directory, with warnings as errors.
Its ```bash blocks run too, with `fastbp` meaning `python -m fastbp` and the
tables a command reads (data.csv, new.csv, test.csv with a `label` column)
written first. A block preceded by `<!-- not run: REASON -->` is skipped:
the reason says why (installs, rebuilds, minutes of benchmarks, or
signatures rather than a program).
"""
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import fastbp
from fastbp.datasets import spirals

ROOT = Path(__file__).resolve().parents[1]
DOCS = {"README": ROOT / "README.md", "user_guide": ROOT / "docs" / "user_guide.md"}
BLOCK = re.compile(r"(?:<!-- not run: (?P<why>[^>]*?) -->\n)?```(?P<lang>\w*)\n(?P<code>.*?)^```",
                   re.S | re.M)


def blocks(doc, lang):
    """(line number, code, reason not run or None) of each `lang` block."""
    text = DOCS[doc].read_text()
    return [(text[:m.start("code")].count("\n") + 1, m["code"], m["why"])
            for m in BLOCK.finditer(text) if m["lang"] == lang]


pytestmark = pytest.mark.skipif(not DOCS["README"].exists(),
                                reason="the docs are not next to the tests (installed wheel)")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def test_every_block_is_python_bash_or_text():
    for doc in DOCS:
        text = DOCS[doc].read_text()
        langs = {m["lang"] for m in BLOCK.finditer(text)}
        assert langs <= {"python", "bash", "text"}, (doc, langs)
        # a reason must sit right above a fence, or it marks nothing
        assert text.count("<!-- not run:") == sum(m["why"] is not None
                                                  for m in BLOCK.finditer(text))


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_python_blocks_run_as_written(doc, capsys):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    namespace = {"__name__": "__doc_blocks__"}
    ran = 0
    for line, code, why in blocks(doc, "python"):
        if why:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                exec(compile(code, f"{DOCS[doc].name}:{line}", "exec"), namespace)
            except Exception as e:
                raise AssertionError(f"{DOCS[doc].name}, the block at line {line}: {e!r}") from e
        ran += 1
    assert ran >= 3
    capsys.readouterr()


def write_tables():
    X, y = spirals(n_per_class=60, n_classes=3, turns=1.0, noise=0.05)
    names = np.array(["red", "green", "blue"])[y]
    rows = [f"{a:.17g},{b:.17g},{c}" for (a, b), c in zip(X, names)]
    for name, part in (("data.csv", rows), ("test.csv", rows[::3]), ("new.csv", rows[1::3])):
        Path(name).write_text("x1,x2,label\n" + "\n".join(part) + "\n")


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_bash_blocks_run_as_written(doc):
    pytest.importorskip("matplotlib")
    write_tables()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(fastbp.__file__).parents[1]), os.environ.get("PYTHONPATH", "")]))
    prelude = f'set -euo pipefail\nfastbp() {{ "{sys.executable}" -m fastbp "$@"; }}\n'
    for line, code, why in blocks(doc, "bash"):
        if why:
            continue
        done = subprocess.run(["bash", "-c", prelude + code], env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, (f"{DOCS[doc].name}, the block at line {line}:\n"
                                      f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
