"""matplotlib's pyplot for fastbp's figures (fastbp.plot and its descent view)."""
import os
import sys

from fastbp._optional import require


def pyplot():
    """Import matplotlib.pyplot (ImportError naming the extra without it);
    select the Agg backend when there is no display and none was chosen."""
    mpl = require("matplotlib", "fastbp.plot")
    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt
