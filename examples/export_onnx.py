"""Train a classifier on scikit-learn's digits, export it to ONNX and run it
with onnxruntime: the same labels and probabilities as fastbp's.  Then a
scikit-learn Pipeline (scaler + fastbp estimator) through skl2onnx.

Needs scikit-learn, onnx, onnxruntime and skl2onnx
(pip install onnx onnxruntime skl2onnx scikit-learn).

    python examples/export_onnx.py
"""
import warnings

import numpy as np

import fastbp as fb
from fastbp._optional import available


def main(out="digits.onnx", max_iter=30):
    # a few epochs suffice here: scikit-learn's "not converged" warning is noise
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Stochastic Optimizer")
        return _main(out, max_iter)


def _main(out, max_iter):
    needed = [m for m in ("sklearn", "onnx", "onnxruntime", "skl2onnx") if not available(m)]
    if needed:
        print(f"skipped: this example needs {', '.join(needed)}")
        return None
    import onnxruntime as ort
    import skl2onnx
    from sklearn.datasets import load_digits
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import fastbp.onnx

    X, y = load_digits(return_X_y=True)
    X32 = X.astype(np.float32)
    clf = fb.MLPClassifier((32,), max_iter=max_iter, random_state=0, dtype="float32").fit(X32, y)
    fastbp.onnx.save_onnx(clf, out)
    session = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    label, proba = session.run(None, {"X": X32})
    print(f"{out}: onnxruntime's labels equal fastbp's on {np.mean(label == clf.predict(X32)):.1%} "
          f"of the digits; largest probability difference "
          f"{np.abs(proba - clf.predict_proba(X32)).max():.2g}")
    pipe = make_pipeline(StandardScaler(), fb.MLPClassifier((32,), max_iter=max_iter,
                                                            random_state=0)).fit(X, y)
    proto = skl2onnx.to_onnx(pipe, X[:1].astype(np.float64), options={"zipmap": False})
    label, proba = ort.InferenceSession(proto.SerializeToString(),
                                        providers=["CPUExecutionProvider"]).run(None, {"X": X})
    gap = np.abs(proba - pipe.predict_proba(X)).max()
    print(f"Pipeline(StandardScaler, MLPClassifier) through skl2onnx, float64: labels equal on "
          f"{np.mean(label == pipe.predict(X)):.1%}; largest probability difference {gap:.2g}")
    return clf, pipe, gap


if __name__ == "__main__":
    main()
