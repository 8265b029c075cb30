"""The fastbp command line: help, train / predict / evaluate, errors."""
import argparse
import csv
import inspect
import json
import re

import numpy as np
import pytest
from helpers import run_python

import fastbp as fb
from fastbp import cli
from fastbp._optional import available
from fastbp.cli import _options
from fastbp.datasets import spirals
from fastbp.optimizers import NAMED

COLOURS = np.array(["red", "green", "blue"])


@pytest.fixture
def spiral_csv(tmp_path):
    X, y = spirals(n_per_class=60, n_classes=3, seed=0)
    path = tmp_path / "spirals.csv"
    with path.open("w") as f:
        f.write("x1,x2,colour,id\n")
        for i, (a, b) in enumerate(zip(X, y)):
            f.write(f"{float(a[0])!r},{float(a[1])!r},{COLOURS[b]},{i}\n")
    return path, X, COLOURS[y]


@pytest.fixture
def regression_npz(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = 10 * (X @ [1.0, -2.0, 0.5] + 3) + rng.normal(scale=0.5, size=200)
    path = tmp_path / "reg.npz"
    np.savez(path, X=X, y=y)
    return path, X, y


def run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


# --- help -------------------------------------------------------------------------------
def _subparsers(parser):
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_help_is_complete_at_every_level(capsys):
    parser = cli.build_parser()
    commands = _subparsers(parser)
    assert sorted(commands) == ["demo", "descent", "evaluate", "export", "predict", "trace",
                                "train", "worked-example"]
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    top = capsys.readouterr().out
    for name in commands:
        assert name in top
    for name, sub in commands.items():
        assert sub.description, name
        with pytest.raises(SystemExit) as info:
            cli.main([name, "--help"])
        assert info.value.code == 0
        text = capsys.readouterr().out
        for action in sub._actions:  # every option is listed and explained
            assert action.help, (name, action.dest)
            flag = action.option_strings[-1] if action.option_strings else action.metavar
            assert flag in text, (name, flag)


def test_the_train_options_cover_the_issue():
    train = _subparsers(cli.build_parser())["train"]
    flags = {f for a in train._actions for f in a.option_strings}
    for flag in ["--target", "--layers", "--hidden", "--output", "--loss", "--optimizer", "--lr",
                 "--momentum", "--beta1", "--beta2", "--eps", "--decay", "--schedule",
                 "--batch-size", "--mode", "--epochs", "--alpha", "--validation-split", "--seed",
                 "--dtype", "--model"]:
        assert flag in flags, flag


# --- train / predict / evaluate ---------------------------------------------------------
def test_classification_from_a_csv_end_to_end(spiral_csv, tmp_path, capsys):
    path, X, labels = spiral_csv
    model = tmp_path / "m.npz"
    code, out, err = run(["train", path, "--target", "colour", "--features", "x1,x2",
                          "--layers", "32,32", "--epochs", 80, "--lr", 0.01, "--progress", "none",
                          "--early-stopping", 0, "-o", model], capsys)
    assert code == 0, err
    assert "180 rows, 2 features, target 'colour' (classification, 3 classes); 144 for training, " \
           "36 for validation" in out
    assert f"model saved to {model}" in out

    ckpt = fb.load_checkpoint(model)
    assert ckpt.model.layer_sizes == [2, 32, 32, 3] and ckpt.model.output == "softmax"
    assert ckpt.optimizer.t == 80 * 5  # 144 rows in batches of 32: 5 steps per epoch
    assert len(ckpt.history.loss) == 80 and len(ckpt.history.val_loss) == 80
    # predictions: standardize with the statistics of the training rows, by hand
    order = np.random.default_rng(0).permutation(180)
    train_rows = np.sort(order[36:])
    mean, std = X[train_rows].mean(0), X[train_rows].std(0)
    out_by_hand = ckpt.model.forward((X - mean) / std)
    expected = np.array(sorted(COLOURS))[out_by_hand.argmax(1)]

    out_csv = tmp_path / "pred.csv"
    code, _, err = run(["predict", model, path, "-o", out_csv, "--proba"], capsys)
    assert code == 0 and "180 predictions written" in err
    rows = list(csv.reader(out_csv.read_text().splitlines()))
    assert rows[0] == ["prediction", "p_blue", "p_green", "p_red"]
    assert [r[0] for r in rows[1:]] == expected.tolist()
    np.testing.assert_allclose(np.array([r[1:] for r in rows[1:]], float), out_by_hand, rtol=1e-12)
    assert (expected == labels).mean() > 0.9

    code, out, _ = run(["evaluate", model, path, "--json"], capsys)
    metrics = json.loads(out)
    assert code == 0 and metrics["task"] == "classification" and metrics["n"] == 180
    assert metrics["accuracy"] == pytest.approx((expected == labels).mean(), abs=1e-15)
    confusion = [[int(np.sum((labels == a) & (expected == b))) for b in sorted(COLOURS)]
                 for a in sorted(COLOURS)]
    assert metrics["confusion"] == confusion
    code, out, _ = run(["evaluate", model, path], capsys)
    assert f"accuracy  {metrics['accuracy']:.4f}" in out and "confusion matrix" in out


def test_regression_from_an_npz_with_metrics_by_hand(regression_npz, tmp_path, capsys):
    path, X, y = regression_npz
    model = tmp_path / "r.npz"
    code, out, err = run(["train", path, "--target", "y", "--layers", 16, "--epochs", 60,
                          "--optimizer", "sgd", "--lr", 0.05, "--momentum", 0.9, "--schedule",
                          "step", "--every", 20, "--validation-split", 0, "--progress", "lines",
                          "-o", model],
                         capsys)
    assert code == 0, err
    assert ("(regression)" in out
            and len([ln for ln in out.splitlines() if ln.startswith("epoch ")]) == 60)
    ckpt = fb.load_checkpoint(model)
    assert ckpt.optimizer.lr == fb.schedules.StepDecay(0.05, factor=0.5, every=20)
    assert (ckpt.optimizer.momentum, ckpt.optimizer.t) == (0.9, 60 * 7)
    code, _, _ = run(["predict", model, path, "-o", tmp_path / "p.csv"], capsys)
    lines = (tmp_path / "p.csv").read_text().splitlines()
    pred = np.array([float(r[0]) for r in list(csv.reader(lines))[1:]])
    manual = ckpt.model.forward((X - X.mean(0)) / X.std(0))[:, 0] * y.std() + y.mean()
    np.testing.assert_allclose(pred, manual, rtol=1e-12)
    code, out, _ = run(["evaluate", model, path, "--json"], capsys)
    m = json.loads(out)
    err_ = pred - y
    assert m["mse"] == pytest.approx(np.mean(err_**2), rel=1e-9)
    assert m["mae"] == pytest.approx(np.mean(np.abs(err_)), rel=1e-9)
    assert m["r2"] == pytest.approx(1 - np.sum(err_**2) / np.sum((y - y.mean()) ** 2), rel=1e-9)
    assert m["r2"] > 0.95


@pytest.mark.parametrize("argv,steps_per_epoch", [
    (["--mode", "stochastic"], 160),
    (["--mode", "batch"], 1),
    (["--mode", "minibatch", "--batch-size", "50"], 4),
    ([], 5),
])
def test_training_modes(regression_npz, tmp_path, capsys, argv, steps_per_epoch):
    path, _, _ = regression_npz
    code, _, err = run(["train", path, "--target", "y", "--epochs", 2, "--progress", "none",
                        "-o", tmp_path / "m.npz", *argv], capsys)
    assert code == 0, err
    assert fb.load_checkpoint(tmp_path / "m.npz").optimizer.t == 2 * steps_per_epoch


@pytest.mark.parametrize("argv,check", [
    (["--optimizer", "nesterov", "--lr", "0.1", "--momentum", "0.8", "--schedule", "exponential",
      "--k", "0.01"],
     lambda o: isinstance(o, fb.SGD) and o.nesterov and o.momentum == 0.8
     and o.lr == fb.schedules.ExponentialDecay(0.1, k=0.01)),
    (["--optimizer", "momentum"], lambda o: o.momentum == 0.9 and not o.nesterov),
    (["--optimizer", "rmsprop", "--decay", "0.9", "--eps", "1e-6", "--schedule", "inverse-time",
      "--k", "0.5", "--per", "epoch"],
     lambda o: isinstance(o, fb.RMSprop) and (o.decay, o.eps) == (0.9, 1e-6)
     and o.lr == fb.schedules.InverseTimeDecay(0.01, k=0.5, per="epoch")),
    (["--optimizer", "adagrad", "--lr", "0.3", "--schedule", "inverse-scaling", "--power", "0.25"],
     lambda o: isinstance(o, fb.AdaGrad) and o.lr == fb.schedules.InverseScaling(0.3, power=0.25)),
    (["--optimizer", "adam", "--beta1", "0.8", "--beta2", "0.99", "--eps-hat"],
     lambda o: isinstance(o, fb.Adam) and (o.beta1, o.beta2, o.eps_hat) == (0.8, 0.99, True)
     and o.lr == fb.schedules.Constant(0.001)),
])
def test_optimizer_and_schedule_options(regression_npz, tmp_path, capsys, argv, check):
    path, _, _ = regression_npz
    code, _, err = run(["train", path, "--target", "y", "--epochs", 1, "--progress", "none",
                        "-o", tmp_path / "m.npz", *argv], capsys)
    assert code == 0, err
    assert check(fb.load_checkpoint(tmp_path / "m.npz").optimizer)


def test_network_options_seed_log_plot_and_early_stopping(spiral_csv, tmp_path, capsys):
    path, _, _ = spiral_csv
    argv = ["train", path, "--target", "colour", "--features", "x1,x2", "--layers", "8,4",
            "--hidden", "tanh,sigmoid", "--output", "sigmoid", "--loss", "squared", "--init",
            "glorot_normal", "--dtype", "float32", "--alpha", "0.001", "--epochs", 200, "--lr",
            0.05, "--early-stopping", 3, "--seed", 5, "--progress", "none"]
    code, out, err = run(argv + ["-o", tmp_path / "a.npz", "--log", tmp_path / "log.csv"], capsys)
    assert code == 0, err
    a = fb.load_checkpoint(tmp_path / "a.npz")
    assert repr(a.model) == ("MLP([2, 8, 4, 3], hidden=['tanh', 'sigmoid'], output='sigmoid', "
                             "loss='squared', dtype='float32')")
    assert a.model.init == "glorot_normal"
    stopped = len(a.history.loss)
    assert stopped < 200 and f"early stop after epoch {stopped}" in out
    rows = list(csv.reader((tmp_path / "log.csv").read_text().splitlines()))
    assert len(rows) == stopped + 1 and [float(r[1]) for r in rows[1:]] == a.history.loss
    code, _, _ = run(argv + ["-o", tmp_path / "b.npz"], capsys)
    np.testing.assert_array_equal(fb.load(tmp_path / "b.npz").params, a.model.params)  # same seed
    code, out, _ = run(argv + ["-o", tmp_path / "c.npz", "--plot", tmp_path / "c.png"], capsys)
    if available("matplotlib"):
        assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG" and "loss curve written" in out
    else:
        assert "no loss curve drawn: the loss curve needs matplotlib" in out


@pytest.mark.parametrize("argv,code,message", [
    (["--optimizer", "adam", "--momentum", "0.9"], 2,
     "--momentum does not apply to --optimizer adam"),
    (["--optimizer", "sgd", "--k", "0.1"], 2, "--k does not apply to --schedule constant"),
    (["--schedule", "exponential"], 2, "--schedule exponential needs --k"),
    (["--mode", "batch", "--batch-size", "4"], 2, "--batch-size applies to --mode minibatch"),
    (["--early-stopping", "3", "--validation-split", "0"], 2,
     "--early-stopping needs a validation"),
    (["--lr", "-1"], 1, "lr must be a finite number > 0.0"),
    (["--momentum", "1.5", "--optimizer", "sgd"], 1, r"momentum must be in \[0.0, 1.0\)"),
    (["--hidden", "tanh,relu"], 1, "hidden lists 2 activations for 1 hidden layers"),
    (["--hidden", "swish"], 1, "unknown hidden activation 'swish'"),
    (["--features", "x9"], 1, "has no column 'x9'"),
    (["--task", "regression"], 1, "regression needs a numeric target"),
    (["--output", "identity", "--loss", "cross_entropy"], 1, "needs output='softmax'"),
])
def test_bad_train_options_are_reported(spiral_csv, tmp_path, capsys, argv, code, message):
    path, _, _ = spiral_csv
    got, out, err = run(["train", path, "--target", "colour", "--epochs", 1, "--progress", "none",
                         "-o", tmp_path / "m.npz", *argv], capsys)
    assert got == code and err.startswith("fastbp train: error: ")
    assert re.search(message, err), err
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("argv,message", [
    (["--epochs", "-1"], "argument --epochs: must be >= 0"),
    (["--layers", "4,x"], "argument --layers: expected comma-separated integers"),
    (["--validation-split", "1"], "argument --validation-split: must be in [0, 1)"),
    (["--mode", "online"], "argument --mode: invalid choice"),
])
def test_malformed_options_are_usage_errors(spiral_csv, capsys, argv, message):
    path, _, _ = spiral_csv
    with pytest.raises(SystemExit) as info:
        cli.main(["train", str(path), "--target", "colour", *argv])
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_bad_data_and_model_files(spiral_csv, tmp_path, capsys):
    path, _, _ = spiral_csv
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,x\n3,,y\n")
    code, _, err = run(["train", bad, "--target", "c", "--validation-split", 0], capsys)
    assert code == 1 and "line 3: column 'b' is empty" in err and "--impute" in err
    bad.write_text(",a,b,c\n0,1,2,x\n1,3,4,y\n")  # pandas' to_csv with its index
    code, _, err = run(["train", bad, "--target", "c"], capsys)
    assert code == 1 and "column 1 has no name; it looks like a row index" in err
    bad.write_text("Unnamed: 0,a,c\n0,1,x\n1,3,y\n")
    assert "column 1 has no name" in run(["train", bad, "--target", "c"], capsys)[2]
    bad.write_text("a,b,c\n1,2\n")
    assert ("line 2 has 2 fields, the header has 3"
            in run(["train", bad, "--target", "c"], capsys)[2])
    bad.write_text("a,b,c\n1,q,x\n2,r,y\n")
    err = run(["train", bad, "--target", "c", "--validation-split", 0], capsys)[2]
    assert "feature column 'b' is not numeric (it holds 'q')" in err
    err = run(["train", bad, "--target", "c"], capsys)[2]
    assert "--validation-split 0.2 of 2 rows leaves 0 for validation" in err
    code, _, err = run(["evaluate", path, path], capsys)
    assert code == 1 and "not a .npz (zip) archive" in err
    code, _, err = run(["predict", tmp_path / "missing.npz", path], capsys)
    assert code == 1 and "No such file" in err
    model = tmp_path / "plain.npz"
    fb.MLP([2, 3]).save(model)
    code, _, err = run(["predict", model, path], capsys)
    assert code == 2 and "was not saved by 'fastbp train'" in err


def test_evaluate_refuses_unknown_labels_and_missing_columns(spiral_csv, tmp_path, capsys):
    path, _, _ = spiral_csv
    model = tmp_path / "m.npz"
    run(["train", path, "--target", "colour", "--features", "x1,x2", "--epochs", 1, "--progress",
         "none", "-o", model], capsys)
    other = tmp_path / "other.csv"
    other.write_text("x1,x2,colour\n0.1,0.2,purple\n")
    code, _, err = run(["evaluate", model, other], capsys)
    assert code == 1 and "labels the model was not trained on: 'purple'" in err
    other.write_text("x1,colour\n0.1,red\n")
    code, _, err = run(["predict", model, other], capsys)
    assert code == 1 and "has no column 'x2'" in err


# --- the other commands, and the entry points -------------------------------------------
def test_worked_example_command_prints_the_tables(capsys):
    from fastbp.examples import worked_example

    code, out, _ = run(["worked-example"], capsys)
    worked_example.main()
    assert code == 0 and out == capsys.readouterr().out
    assert "O6 = 0.474" in out and "Err6 = 0.1311" in out and "b4 = -0.408" in out
    code, out32, _ = run(["worked-example", "--dtype", "float32"], capsys)
    assert "float32" in out32 and "w46 = -0.261" in out32


def test_python_dash_m_fastbp_and_version(tmp_path):
    result = run_python(["-m", "fastbp", "worked-example"], tmp_path)
    assert result.returncode == 0 and "w46 = -0.261" in result.stdout
    result = run_python(["-m", "fastbp", "--version"], tmp_path)
    assert result.stdout.strip() == f"fastbp {fb.__version__}"
    result = run_python(["-m", "fastbp"], tmp_path)
    assert result.returncode == 2 and "required: COMMAND" in result.stderr


def test_fastbp_imports_without_the_optional_packages(tmp_path):
    code = ("import sys; sys.modules.update(tqdm=None, matplotlib=None, sklearn=None); "
            "import fastbp, fastbp.cli, fastbp.callbacks, fastbp.plot, fastbp.cli.demo, "
            "fastbp.cli.tables; print('ok')")
    result = run_python(["-c", code], tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


# --- the optimizer and schedule options come from the constructors' signatures ----------

OPTIMIZER_CLASSES = {"sgd": fb.SGD, "momentum": fb.SGD, "nesterov": fb.SGD, "adagrad": fb.AdaGrad,
                     "rmsprop": fb.RMSprop, "adam": fb.Adam, "adamw": fb.AdamW}
SCHEDULE_CLASSES = {"constant": fb.schedules.Constant, "step": fb.schedules.StepDecay,
                    "exponential": fb.schedules.ExponentialDecay,
                    "inverse-time": fb.schedules.InverseTimeDecay,
                    "inverse-scaling": fb.schedules.InverseScaling}


def _signature(cls, skip=()):
    return {n: p.default for n, p in inspect.signature(cls).parameters.items() if n not in skip}


def _flag(name):
    return "--" + name.replace("_", "-")


def _expected_optimizer_options(name):
    cls, preset = NAMED[name]
    # a flag the preset sets is no choice (nesterov is always Nesterov); other
    # preset values are defaults
    return {p: preset.get(p, d) for p, d in _signature(cls).items()
            if not isinstance(preset.get(p), bool)}


def _expected_schedule_options(name):
    cls = _options.SCHEDULES[name]
    # the first parameter, the rate, is --lr; a constant rate counts nothing (no --per);
    # a length defaults to the training run
    options = _signature(cls, skip=("lr", "per") if cls.constant else ("lr",))
    if options.get("length") is inspect.Parameter.empty:
        options["length"] = _options.RUN
    return options


def _option_value(param, default):
    """argv giving ``param`` a value other than ``default``, and that value."""
    if isinstance(default, bool):
        return [_flag(param)], not default
    if param in _options._CHOICES:
        value = next(c for c in _options._CHOICES[param] if c != default)
        return [_flag(param), value], value
    value = 30 if isinstance(default, int) or default is _options.RUN else 0.25
    return [_flag(param), str(value)], value


def _required(options, but=None):
    return [a for p, d in options.items() if d is inspect.Parameter.empty and p != but
            for a in (_flag(p), "0.5")]


def _train_args(*argv):
    return cli.build_parser().parse_args(["train", "data.csv", "--target", "y", *argv])


def _takes(capsys, argv):
    """The options an error message says the optimizer or schedule takes."""
    code, _, err = run(["train", "nonexistent.csv", "--target", "y", *argv], capsys)
    assert code == 2, err
    return re.search(r"\(it takes (.*)\)$", err.strip()).group(1)


def test_the_cli_offers_the_optimizer_and_schedule_tables_it_is_given():
    assert _options.OPTIMIZERS is NAMED  # one table of names and presets, in fastbp.optimizers
    assert {n: cls for n, (cls, _) in NAMED.items()} == OPTIMIZER_CLASSES
    assert NAMED["momentum"][1]["momentum"] == NAMED["nesterov"][1]["momentum"] == 0.9
    assert SCHEDULE_CLASSES.items() <= _options.SCHEDULES.items()  # more may come
    train = _subparsers(cli.build_parser())["train"]
    choices = {a.dest: a.choices for a in train._actions}
    assert choices["optimizer"] == list(NAMED)
    assert choices["schedule"] == list(_options.SCHEDULES)


@pytest.mark.parametrize("name", list(NAMED))
def test_each_optimizer_takes_its_signatures_parameters(name, capsys):
    expected = _expected_optimizer_options(name)
    assert list(_options.optimizer_options(name)) == list(expected)
    train = _subparsers(cli.build_parser())["train"]
    flags = {f for a in train._actions for f in a.option_strings}
    assert {_flag(p) for p in expected} <= flags
    # an option of another optimizer is refused, naming exactly the signature's
    every = {p: d for n in NAMED for p, d in _expected_optimizer_options(n).items()}
    foreign = sorted(set(every) - set(expected))[0]
    value = [] if isinstance(every[foreign], bool) else ["0.5"]
    argv = ["--optimizer", name, _flag(foreign), *value]
    assert _takes(capsys, argv) == ", ".join(_flag(p) for p in expected)
    # and each of its own is accepted and reaches the constructor
    for param, default in expected.items():
        value = True if isinstance(default, bool) else 0.25
        opt = _options.build_optimizer(_train_args(
            "--optimizer", name, _flag(param), *([] if value is True else [str(value)]),
            *(["--momentum", "0.5"] if param == "nesterov" else [])))
        got = opt.lr.lr if param == "lr" else getattr(opt, param)
        assert got == value, (name, param)


@pytest.mark.parametrize("name", list(_options.SCHEDULES))
def test_each_schedule_takes_its_signatures_parameters(name, capsys):
    expected = _expected_schedule_options(name)
    assert list(_options.schedule_options(name)) == list(expected)
    # an option of another schedule is refused, naming exactly the signature's
    every = {p: d for n in _options.SCHEDULES for p, d in _expected_schedule_options(n).items()}
    for foreign in sorted(set(every) - set(expected))[:3]:
        option, _ = _option_value(foreign, every[foreign])
        takes = _takes(capsys, ["--schedule", name, *_required(expected), *option])
        assert takes == (", ".join(_flag(p) for p in expected) or "no options")
    # and each of its own is accepted and reaches the constructor (--restarts lets
    # --length-mult apply; --lr 1 lets the lowest rates be 0.25)
    for param, default in expected.items():
        option, value = _option_value(param, default)
        argv = ["--schedule", name, "--lr", "1", *_required(expected, but=param), *option,
                *(["--restarts"] if param == "length_mult" else [])]
        assert getattr(_options.build_optimizer(_train_args(*argv)).lr, param) == value, param


def test_a_schedule_parameter_without_default_is_required(capsys):
    missing = [(name, p) for name in _options.SCHEDULES
               for p, d in _expected_schedule_options(name).items() if d is inspect.Parameter.empty]
    assert ("exponential", "k") in missing and ("inverse-time", "k") in missing
    for name, param in missing:
        argv = ["train", "nonexistent.csv", "--target", "y", "--schedule", name]
        code, _, err = run(argv, capsys)
        assert code == 2 and f"--schedule {name} needs {_flag(param)}" in err


def test_the_defaults_are_the_signatures():
    # the plainest case: adam's --lr is fb.Adam's lr
    assert _options.build_optimizer(_train_args("--optimizer", "adam")).lr.lr \
        == inspect.signature(fb.Adam).parameters["lr"].default
    for name, (cls, preset) in NAMED.items():
        opt = _options.build_optimizer(_train_args("--optimizer", name))
        assert type(opt) is cls and opt.lr == fb.schedules.Constant(_signature(cls)["lr"])
        for param, default in _signature(cls, skip=("lr",)).items():
            assert getattr(opt, param) == preset.get(param, default), (name, param)
    for name, cls in _options.SCHEDULES.items():
        expected = _expected_schedule_options(name)
        schedule = _options.build_optimizer(_train_args("--schedule", name,
                                                        *_required(expected))).lr
        assert type(schedule) is cls
        for param, default in _signature(cls, skip=("lr",)).items():
            if default is not inspect.Parameter.empty:
                assert getattr(schedule, param) == default, (name, param)
            elif expected[param] is _options.RUN:  # 100 epochs of (by default) one update
                assert getattr(schedule, param) == 100, (name, param)


def test_the_help_shows_the_signatures_defaults():
    train = _subparsers(cli.build_parser())["train"]
    helps = {a.dest: a.help for a in train._actions}
    for name in NAMED:
        for param, default in _expected_optimizer_options(name).items():
            assert name in helps[param] or param == "lr", (name, param)  # every one takes lr
            if not isinstance(default, bool):
                assert str(default) in helps[param], (name, param)
    for name in _options.SCHEDULES:
        for param, default in _expected_schedule_options(name).items():
            assert name in helps[param], (name, param)
            if not isinstance(default, bool):
                assert ("required" if default is inspect.Parameter.empty else str(default)) \
                    in helps[param], (name, param)


def test_a_changed_default_or_a_new_parameter_shows_up(monkeypatch, capsys):
    class Adam(fb.Adam):
        def __init__(self, lr=0.0123, beta1=0.85, beta2=0.999, eps=1e-8, eps_hat=False):
            super().__init__(lr, beta1, beta2, eps, eps_hat)

    class Step(fb.schedules.StepDecay):
        def __init__(self, lr, factor=0.25, every=7, per="epoch", floor=0.0):
            super().__init__(lr, factor, every, per)
            self.floor = floor

    monkeypatch.setitem(_options.OPTIMIZERS, "adam", (Adam, {}))
    monkeypatch.setitem(_options.SCHEDULES, "step", Step)
    opt = _options.build_optimizer(_train_args("--schedule", "step"))
    assert (opt.lr.lr, opt.beta1, opt.lr.factor, opt.lr.every) == (0.0123, 0.85, 0.25, 7)
    opt = _options.build_optimizer(_train_args("--schedule", "step", "--floor", "0.1"))
    assert opt.lr.floor == 0.1
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for shown in ("0.0123 for adam", "adam, adamw: first-moment decay (default: 0.85 for adam",
                  "step: the factor (default 0.25)", "(default 7)", "--floor"):
        assert shown in text, shown


# --- the package's layout ----------------------------------------------------------------
def _imports(path, package, submodules=()):
    """The modules of ``package`` that the module file ``path`` imports, at
    its top or in a function (``from package import x`` imports the module
    ``package.x`` when ``x`` is one of ``submodules``, else ``package``)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in submodules
                     else node.module for a in node.names]
        else:
            continue
        found.update(n for n in names if n == package or n.startswith(package + "."))
    return found


def test_no_import_cycles_in_the_cli_package():
    from pathlib import Path

    root = Path(cli.__file__).parent
    modules = {("fastbp.cli" if p.stem == "__init__" else f"fastbp.cli.{p.stem}"): p
               for p in root.glob("*.py")}
    graph = {m: _imports(p, "fastbp.cli", modules) - {m} for m, p in modules.items()}
    # the submodules import each other, never the package's __init__
    assert [m for m, deps in graph.items() if "fastbp.cli" in deps] == ["fastbp.cli.__main__"]
    done, active = set(), []

    def visit(m):
        assert m not in active, " -> ".join(active + [m])
        if m not in done:
            active.append(m)
            for d in graph[m]:
                visit(d)
            active.pop()
            done.add(m)

    for m in graph:
        visit(m)
    # and outside the package, only ``python -m fastbp`` imports it
    fastbp_dir = root.parent
    users = sorted(str(p.relative_to(fastbp_dir)) for p in fastbp_dir.rglob("*.py")
                   if root not in p.parents and _imports(p, "fastbp.cli"))
    assert users == ["__main__.py"]


def test_model_files_written_before_the_move_still_work(tmp_path, capsys):
    # the metadata exactly as fastbp.tabular.Preprocessing.to_metadata wrote it
    metadata = {"preprocessing": {"features": ["a", "b"], "target": "c", "task": "classification",
                                  "classes": ["no", "yes"], "x_mean": [0.5, 1.0],
                                  "x_scale": [2.0, 4.0], "y_mean": None, "y_scale": None},
                "data": "old.csv"}
    net = fb.MLP([2, 4, 2], seed=3)
    net.save(tmp_path / "old.npz", metadata=metadata)
    data = tmp_path / "new.csv"
    data.write_text("b,a,c\n1.0,2.0,yes\n-3.0,0.0,no\n5.0,-1.0,no\n")
    code, out, err = run(["predict", tmp_path / "old.npz", data], capsys)
    assert code == 0, err
    X = (np.array([[2.0, 1.0], [0.0, -3.0], [-1.0, 5.0]]) - [0.5, 1.0]) / [2.0, 4.0]
    expected = np.array(["no", "yes"])[net.forward(X).argmax(axis=1)]
    assert out.split() == ["prediction", *expected]
    code, out, err = run(["evaluate", tmp_path / "old.npz", data, "--json"], capsys)
    assert code == 0 and json.loads(out)["n"] == 3, err


# --- trace ------------------------------------------------------------------------------
SLIDES_WEIGHTS = {"w14": 0.2, "w15": -0.3, "w24": 0.4, "w25": 0.1, "w34": -0.5, "w35": 0.2,
                  "w46": -0.3, "w56": -0.2, "b4": -0.4, "b5": 0.2, "b6": 0.1}


def test_trace_command_prints_the_slides_step(tmp_path, capsys):
    from fastbp.examples.worked_example import build_network

    path = tmp_path / "weights.json"
    path.write_text(json.dumps(SLIDES_WEIGHTS))
    code, out, _ = run(["trace", "--layers", "3,2,1", "--weights", path, "--x", "1,0,1", "--t",
                        "1", "--lr", "0.9"], capsys)
    assert code == 0
    expected = fb.trace(build_network(), [1, 0, 1], 1, optimizer=fb.SGD(lr=0.9))
    assert out == str(expected) + "\n"
    assert "w46       | -0.3 | -0.0435235 | 0.0391712   | -0.260829" in out
    # the same weights as arrays, an optimizer with state, the layers' names
    arrays = {"weights": [[[0.2, -0.3], [0.4, 0.1], [-0.5, 0.2]], [[-0.3], [-0.2]]],
              "biases": [[-0.4, 0.2], [0.1]]}
    path.write_text(json.dumps(arrays))
    code, out, _ = run(["trace", "--layers", "3,2,1", "--weights", path, "--x", "1,0,1", "--t",
                        "1", "--optimizer", "adam", "--lr", "0.1", "--names", "layers"], capsys)
    want = fb.trace(build_network(), [1, 0, 1], 1, optimizer=fb.Adam(lr=0.1), names="layers")
    assert code == 0 and out == str(want) + "\n" and "W2[1,0]" in out


def test_trace_command_on_a_saved_model_and_a_table_row(tmp_path, capsys):
    data = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    rows = ["a,b,label"] + [f"{x:.3f},{y:.3f},{'yes' if x > y else 'no'}"
                            for x, y in rng.normal(size=(30, 2))]
    data.write_text("\n".join(rows) + "\n")
    model = tmp_path / "m.npz"
    assert run(["train", data, "--target", "label", "--layers", "3", "--epochs", "2",
                "--progress", "none", "-o", model], capsys)[0] == 0
    code, out, _ = run(["trace", "--model", model, "--row", 5, data, "--saved-optimizer"],
                       capsys)
    assert code == 0 and "Adam(" in out and "update 1" not in out
    code, out, _ = run(["trace", "--model", model, "--row", 5, data, "--lr", "0.5"], capsys)
    assert code == 0 and "update 1 at lr 0.5" in out
    # any model file, with the example on the command line
    net = fb.MLP([2, 3, 2], output="softmax", loss="cross_entropy", seed=1)
    net.save(tmp_path / "net.npz")
    code, out, _ = run(["trace", "--model", tmp_path / "net.npz", "--x", "0.5,1.5", "--t", "1"],
                       capsys)
    assert code == 0 and out == str(fb.trace(net, [0.5, 1.5], 1, optimizer="sgd")) + "\n"


def test_trace_command_errors(tmp_path, capsys):
    code, _, err = run(["trace", "--layers", "3,2,1", "--x", "1,0,1"], capsys)
    assert code == 2 and "--t" in err
    path = tmp_path / "w.json"
    path.write_text(json.dumps({k: v for k, v in SLIDES_WEIGHTS.items() if k != "b6"}))
    code, _, err = run(["trace", "--layers", "3,2,1", "--weights", path, "--x", "1,0,1",
                        "--t", "1"], capsys)
    assert code == 2 and "no value for b6" in err
    code, _, err = run(["trace", "--layers", "3,2,1", "--x", "1,0", "--t", "1"], capsys)
    assert code == 1 and "2 features per sample, the network expects 3" in err
    code, _, err = run(["trace", "--model", tmp_path / "none.npz"], capsys)
    assert code == 2 and "--row" in err
    code, _, err = run(["trace", "--layers", "3,2,1", "--x", "1,0,1", "--t", "1", "--row", 2],
                       capsys)
    assert code == 2 and "go with --model" in err
