"""The user guide names every public name (estimators included), every
activation, loss and initialization, and every constructor parameter; its
links resolve."""
import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "user_guide.md"
MODULES = ["fastbp", "fastbp.network", "fastbp.optimizers", "fastbp.schedules", "fastbp.training",
           "fastbp.callbacks", "fastbp.saving", "fastbp.plot", "fastbp.descent", "fastbp.datasets",
           "fastbp.cli", "fastbp.cli.tables", "fastbp.cli.demo", "fastbp.examples.worked_example",
           "fastbp.tracing", "fastbp.gradcheck", "fastbp.onnx", "fastbp.estimators"]
try:  # fastbp.dask needs the optional dask and distributed
    import dask  # noqa: F401
    import distributed  # noqa: F401
    MODULES.append("fastbp.dask")
except ImportError:
    pass


@pytest.mark.skipif(not GUIDE.exists(), reason="docs/ is not next to the tests (installed wheel)")
@pytest.mark.parametrize("module", MODULES)
def test_the_user_guide_covers_every_public_name(module):
    text = GUIDE.read_text()
    missing = [n for n in importlib.import_module(module).__all__
               if not re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", text)
               and not re.search(rf"\.{re.escape(n)}(?!\w)", text)]
    assert not missing, f"{module}: {missing}"


def _mentioned(name, text):
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", text) or \
        re.search(rf"\.{re.escape(name)}(?!\w)", text)


@pytest.mark.skipif(not GUIDE.exists(), reason="docs/ is not next to the tests (installed wheel)")
def test_the_user_guide_covers_every_choice_and_every_constructor_parameter():
    import fastbp as fb
    from fastbp import network

    text = GUIDE.read_text()
    choices = [*network.HIDDEN_ACTIVATIONS, *network.OUTPUT_ACTIVATIONS, *network.LOSSES,
               *network.INITS]
    assert not [c for c in choices if f"`{c}`" not in text]
    classes = [fb.MLP, fb.SGD, fb.AdaGrad, fb.RMSprop, fb.Adam,
               *(getattr(fb.schedules, n) for n in fb.schedules.__all__),
               *(getattr(fb.callbacks, n) for n in fb.callbacks.__all__)]
    missing = [f"{cls.__name__}({p})" for cls in classes if isinstance(cls, type)
               for p in inspect.signature(cls).parameters
               if p not in ("self", "args", "kwargs") and not _mentioned(p, text)]
    assert not missing, missing


@pytest.mark.skipif(not GUIDE.exists(), reason="docs/ is not next to the tests (installed wheel)")
def test_relative_links_in_the_docs_resolve():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text()):
            assert (doc.parent / target).exists(), (doc.name, target)
