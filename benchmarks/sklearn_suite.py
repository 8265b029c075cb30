#!/usr/bin/env python
"""Run scikit-learn's own MLP tests against fastbp's drop-in estimators.

The installed scikit-learn's ``sklearn/neural_network/tests/test_mlp.py`` is
copied to a temporary directory (never into this repository), its import of
``MLPClassifier, MLPRegressor`` pointed at ``fastbp.estimators``, and run
with pytest; extra arguments go to pytest::

    PYTHONPATH=. python benchmarks/sklearn_suite.py -q
    PYTHONPATH=. python benchmarks/sklearn_suite.py -q -k partial_fit

Tests that read scikit-learn's private attributes (``_label_binarizer``'s
internals, ``_no_improvement_count`` ...) may fail for reasons that are not
incompatibilities; the summary lists them by name.
"""
import os
import sys
import tempfile

import pytest
import sklearn

ORIGINAL = "from sklearn.neural_network import MLPClassifier, MLPRegressor"
REDIRECTED = "from fastbp.estimators import MLPClassifier, MLPRegressor"

# scikit-learn's own conftest provides this fixture (its default value, 42)
CONFTEST = """import pytest


@pytest.fixture(params=[42])
def global_random_seed(request):
    return request.param
"""


def main(argv):
    source = os.path.join(os.path.dirname(sklearn.__file__), "neural_network", "tests",
                          "test_mlp.py")
    with open(source) as f:
        text = f.read()
    if ORIGINAL not in text:
        sys.exit(f"{source} no longer imports the estimators as expected: {ORIGINAL!r}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "test_mlp_fastbp.py")
        with open(path, "w") as f:
            f.write(text.replace(ORIGINAL, REDIRECTED))
        with open(os.path.join(tmp, "conftest.py"), "w") as f:
            f.write(CONFTEST)
        return pytest.main([path, "-p", "no:cacheprovider", "--rootdir", tmp, *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
