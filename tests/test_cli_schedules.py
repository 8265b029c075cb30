"""``fastbp train --schedule cosine|one-cycle|polynomial --warmup N``: the
lengths default to the run, the warm-up counts epochs, and bad combinations
are refused."""
import re

import numpy as np
import pytest

import fastbp as fb
from fastbp import cli
from fastbp.cli import _options

S = fb.schedules


def _args(*argv):
    return cli.build_parser().parse_args(["train", "data.csv", "--target", "y", *argv])


def _schedule(*argv, steps=7):
    return _options.build_optimizer(_args(*argv), steps_per_epoch=steps).lr


@pytest.mark.parametrize("argv,expected", [
    # the length is the whole run: 20 epochs of 7 updates
    (["--schedule", "cosine", "--epochs", "20"], S.CosineAnnealing(0.001, 140)),
    (["--schedule", "cosine", "--epochs", "20", "--per", "epoch", "--min-lr", "1e-4"],
     S.CosineAnnealing(0.001, 20, min_lr=1e-4, per="epoch")),
    (["--schedule", "polynomial", "--epochs", "3", "--power", "2", "--end-lr", "1e-5"],
     S.Polynomial(0.001, 21, power=2.0, end_lr=1e-5)),
    (["--schedule", "one-cycle", "--lr", "0.1", "--epochs", "10", "--three-phase",
      "--anneal-strategy", "linear"],
     S.OneCycle(0.1, 70, anneal_strategy="linear", three_phase=True)),
    # after a warm-up of 5 epochs (35 updates), the cosine spans the 15 epochs left
    (["--schedule", "cosine", "--epochs", "20", "--warmup", "5"],
     S.Warmup(S.CosineAnnealing(0.001, 105), 35)),
    (["--schedule", "cosine", "--epochs", "20", "--warmup", "5", "--per", "epoch",
      "--warmup-start-factor", "0.5"],
     S.Warmup(S.CosineAnnealing(0.001, 15, per="epoch"), 5, start_factor=0.5)),
    # a length given is kept; restarts with the first period given
    (["--schedule", "cosine", "--length", "50", "--restarts", "--length-mult", "2",
      "--warmup", "2"],
     S.Warmup(S.CosineAnnealing(0.001, 50, restarts=True, length_mult=2), 14)),
    # any schedule takes a warm-up, in its own unit
    (["--warmup", "2", "--optimizer", "sgd"], S.Warmup(S.Constant(0.01), 14)),
    (["--schedule", "step", "--warmup", "3"], S.Warmup(S.StepDecay(0.001), 3)),
    (["--schedule", "exponential", "--k", "0.01"], S.ExponentialDecay(0.001, k=0.01)),
])
def test_lengths_default_to_the_run_and_the_warmup_counts_epochs(argv, expected):
    assert _schedule(*argv) == expected
    assert S.warmup_length(_schedule(*argv)) == (expected.length if "--warmup" in argv else 0)


def test_the_default_steps_per_epoch_is_one():
    assert _options.build_optimizer(_args("--schedule", "polynomial", "--epochs", "9")).lr \
        == S.Polynomial(0.001, 9)


@pytest.mark.parametrize("argv,code,message", [
    (["--warmup", "20", "--epochs", "20"], 2,
     r"--warmup 20 must be less than --epochs \(20\)"),
    (["--warmup-start-factor", "0.5"], 2, "--warmup-start-factor applies with --warmup"),
    (["--schedule", "polynomial", "--restarts"], 2, "--restarts does not apply to --schedule "
                                                    "polynomial"),
    (["--warmup", "1", "--warmup-start-factor", "2"], 1, r"start_factor must be in \[0.0, 1.0\]"),
    (["--schedule", "cosine", "--min-lr", "0.5"], 1, r"min_lr must be in \[0.0, 0.001\]"),
    (["--schedule", "cosine", "--length-mult", "2"], 1, "length_mult=2 needs restarts=True"),
    # 3 epochs of one update (--mode batch) are too short for a one-cycle's rise
    (["--schedule", "one-cycle", "--mode", "batch"], 1, r"pct_start \* length must be > 1"),
])
def test_bad_combinations_are_refused(tmp_path, capsys, argv, code, message):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(12)))
    got = cli.main(["train", str(path), "--target", "y", "--epochs", "3", "--progress", "none",
                    "-o", str(tmp_path / "m.npz"), *argv])
    err = capsys.readouterr().err
    assert got == code and re.search(message, err), err
    assert not (tmp_path / "m.npz").exists()


def test_the_option_mistakes_come_before_the_data_is_read(capsys):
    code = cli.main(["train", "missing.csv", "--target", "y", "--warmup", "4", "--epochs", "4"])
    assert code == 2 and "--warmup 4 must be less than --epochs" in capsys.readouterr().err


def test_train_end_to_end_with_a_warmed_up_cosine(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n" + "".join(f"{a!r},{b!r},{a - 2 * b!r}\n" for a, b in X.tolist()))
    model = tmp_path / "m.npz"
    code = cli.main(["train", str(path), "--target", "y", "--epochs", "6", "--warmup", "2",
                     "--schedule", "cosine", "--optimizer", "sgd", "--lr", "0.05",
                     "--batch-size", "16", "--progress", "none", "-o", str(model)])
    assert code == 0, capsys.readouterr().err
    # 40 training rows in batches of 16: 3 updates an epoch
    sched = S.Warmup(S.CosineAnnealing(0.05, 12), 6)
    ckpt = fb.load_checkpoint(model)
    assert ckpt.optimizer.lr == sched and ckpt.optimizer.t == 18
    np.testing.assert_allclose(ckpt.history.lr, sched(3 * np.arange(6)), rtol=1e-12)
