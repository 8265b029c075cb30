"""fastbp inside a scikit-learn script: fastbp.MLPClassifier in a Pipeline
after a StandardScaler, tuned by GridSearchCV over the L2 penalty and the
hidden width, on scikit-learn's digits.  The estimator takes scikit-learn's
own MLPClassifier parameters; only the import changes.  Needs scikit-learn;
without it the example says so and stops.

    python examples/sklearn_pipeline.py [--max-iter N]
"""
import argparse

from fastbp._optional import missing


def main(max_iter=200, seed=0):
    problem = missing("sklearn", "this example")
    if problem:
        print(f"skipped: {problem}")
        return None
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from fastbp import MLPClassifier  # instead of sklearn.neural_network

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed)
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=max_iter, early_stopping=True,
                                                         random_state=seed))
    grid = {"mlpclassifier__alpha": [1e-4, 1e-2],
            "mlpclassifier__hidden_layer_sizes": [(32,), (64,)]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X_train, y_train)
    accuracy = search.score(X_test, y_test)
    print(f"best of {len(search.cv_results_['params'])} settings: {search.best_params_}")
    print(f"cross-validated accuracy {search.best_score_:.3f}; test accuracy {accuracy:.3f}")
    return search, accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=200)
    main(parser.parse_args().max_iter)
