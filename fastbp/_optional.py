"""Optional dependencies: imported when a feature needs them, with an error
that names the package and the extra that installs it."""
import importlib

# import name -> (pip name, fastbp extra)
_PACKAGES = {
    "tqdm": ("tqdm", "progress"),
    "matplotlib": ("matplotlib", "plot"),
    "sklearn": ("scikit-learn", "demo"),
}


def require(module, feature):
    """Import ``module`` (a key of _PACKAGES) or raise ImportError saying how
    to install it for ``feature``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        pip_name, extra = _PACKAGES[module]
        raise ImportError(
            f"{feature} needs {pip_name}, which is not installed: "
            f"pip install {pip_name}  (or pip install 'fastbp[{extra}]')"
        ) from None


def available(module):
    """Whether ``module`` can be imported."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
