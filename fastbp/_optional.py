"""Optional dependencies: imported when a feature needs them, with an error
that names the package and the extra that installs it."""
import importlib

# import name -> (pip name, fastbp extra)
_PACKAGES = {
    "tqdm": ("tqdm", "progress"),
    "matplotlib": ("matplotlib", "plot"),
    "sklearn": ("scikit-learn", "sklearn"),
    "PIL": ("pillow", "plot"),
    "onnx": ("onnx", "onnx"),
    "skl2onnx": ("skl2onnx", "onnx"),
    "pandas": ("pandas", "pandas"),
    "dask": ("dask[array,dataframe]", "dask"),
    "distributed": ("distributed", "dask"),
}


def missing(module, feature):
    """None when ``module`` (a key of _PACKAGES) imports; else a message
    saying that ``feature`` needs it and how to install it."""
    if available(module):
        return None
    pip_name, extra = _PACKAGES[module]
    return (f"{feature} needs {pip_name}, which is not installed: "
            f"pip install {pip_name}  (fastbp's '{extra}' extra)")


def require(module, feature):
    """Import ``module`` or raise ImportError with :func:`missing`'s message."""
    message = missing(module, feature)
    if message:
        raise ImportError(message)
    return importlib.import_module(module)


def available(module):
    """Whether ``module`` can be imported."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
