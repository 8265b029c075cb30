"""Training on a dask cluster: data-parallel, and out of core.

``import fastbp.dask`` needs dask and distributed (fastbp's ``dask``
extra); ``import fastbp`` never imports them.  See docs/dask.md.
"""
from fastbp._optional import require

require("dask", "fastbp.dask")
require("distributed", "fastbp.dask")

from fastbp.dask._data import from_npy  # noqa: E402
from fastbp.dask._estimators import MLPClassifier, MLPRegressor  # noqa: E402
from fastbp.dask._fit import fit  # noqa: E402 - after the friendly import check

__all__ = ["fit", "MLPClassifier", "MLPRegressor", "from_npy"]
