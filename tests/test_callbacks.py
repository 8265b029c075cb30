"""The callback protocol, the built-in callbacks, and the progress feedback."""
import csv
import io
import sys

import numpy as np
import pytest

import fastbp as fb
from fastbp import callbacks as C
from fastbp.datasets import spirals
from fastbp.schedules import Constant, Scaled, StepDecay


def _noisy_problem():
    """Few noisy training examples: the validation loss wanders (plateaus, rises)."""
    X, y = spirals(n_per_class=20, n_classes=2, noise=0.15, seed=0)
    Xv, yv = spirals(n_per_class=50, n_classes=2, noise=0.15, seed=1)
    net = fb.MLP([2, 32, 2], hidden="tanh", output="softmax", loss="cross_entropy", seed=0)
    return net, X, y, (Xv, yv)


def _fit(net, X, y, val, epochs, callbacks=None, opt=None, **kw):
    return net.fit(X, y, optimizer=opt or fb.Adam(lr=0.05), epochs=epochs, batch_size=8,
                   shuffle=True, seed=0, validation_data=val, callbacks=callbacks, **kw)


def _drive(cb, values, monitor="loss", model=None, optimizer=None):
    """Run a callback over a scripted sequence of logs, as fit would; returns
    the epoch after which it asked to stop, or None."""
    cb.set_context(model, optimizer, None)
    cb.on_train_begin({"epochs": len(values), "metrics": [monitor]})
    for epoch, v in enumerate(values):
        if cb.on_epoch_end(epoch, {monitor: v}):
            cb.on_train_end({"epochs": epoch + 1, "outcome": "stopped"})
            return epoch
    cb.on_train_end({"epochs": len(values), "outcome": "completed"})
    return None


# --- the protocol ------------------------------------------------------------------
class Recorder(C.Callback):
    def __init__(self, stop_at=None):
        self.calls, self.stop_at = [], stop_at

    def set_context(self, model, optimizer, history=None):
        super().set_context(model, optimizer, history)
        self.calls.append(("context",))

    def on_train_begin(self, logs):
        self.calls.append(("train_begin", dict(logs)))

    def on_epoch_begin(self, epoch, logs):
        self.calls.append(("epoch_begin", epoch, self.optimizer.epochs))

    def on_epoch_end(self, epoch, logs):
        self.calls.append(("epoch_end", epoch, dict(logs), self.optimizer.epochs))
        return epoch == self.stop_at

    def on_train_end(self, logs):
        self.calls.append(("train_end", dict(logs)))


def test_hooks_run_in_order_with_the_documented_logs():
    net, X, y, val = _noisy_problem()
    rec, opt = Recorder(), fb.SGD(lr=0.1)
    h = _fit(net, X, y, val, 2, rec, opt=opt)
    assert rec.model is net and rec.optimizer is opt and rec.history is h
    names = [c[0] for c in rec.calls]
    assert names == ["context", "train_begin", "epoch_begin", "epoch_end", "epoch_begin",
                     "epoch_end", "train_end"]
    assert rec.calls[1][1] == {"epochs": 2, "n_samples": 40, "batch_size": 8, "steps_per_epoch": 5,
                               "metrics": ["loss", "lr", "val_loss"]}
    # epoch_begin sees the optimizer before the epoch, epoch_end after it
    assert [c[2] for c in rec.calls if c[0] == "epoch_begin"] == [0, 1]
    assert [(c[1], c[3]) for c in rec.calls if c[0] == "epoch_end"] == [(0, 1), (1, 2)]
    assert rec.calls[3][2] == {"loss": h.loss[0], "lr": 0.1, "val_loss": h.val_loss[0]}
    assert rec.calls[-1][1] == {"epochs": 2, "outcome": "completed"}


def test_a_stop_is_reported_and_every_callback_still_sees_the_epoch():
    net, X, y, val = _noisy_problem()
    a, b = Recorder(stop_at=1), Recorder()
    h = _fit(net, X, y, val, 10, [a, b])
    assert h.epochs == 2
    assert [c[1] for c in b.calls if c[0] == "epoch_end"] == [0, 1]
    assert a.calls[-1][1] == b.calls[-1][1] == {"epochs": 2, "outcome": "stopped"}


def test_divergence_ends_training_for_the_callbacks():
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(20, 3)) * 10, rng.normal(size=(20, 1)) * 100
    net = fb.MLP([3, 8, 1], hidden="identity", output="identity", seed=0)
    rec = Recorder()
    with pytest.raises(fb.TrainingDiverged) as info:
        net.fit(X, T, optimizer=fb.SGD(lr=0.02, momentum=0.9), epochs=50, batch_size=4,
                callbacks=rec)
    assert rec.calls[-1] == ("train_end", {"epochs": info.value.epoch - 1, "outcome": "error"})


def test_plain_functions_and_duck_typed_objects_still_work():
    net, X, y, val = _noisy_problem()
    seen = []

    class Old:
        def on_epoch_end(self, epoch, logs):
            seen.append(("old", epoch))
            return epoch == 2

    h = _fit(net, X, y, val, 9, [lambda e, logs: seen.append(("fn", e)), Old()])
    assert h.epochs == 3 and seen == [("fn", 0), ("old", 0), ("fn", 1), ("old", 1), ("fn", 2),
                                      ("old", 2)]


def test_a_callback_can_add_a_metric_that_a_later_one_monitors():
    net, X, y, (Xv, yv) = _noisy_problem()

    class Accuracy(C.Callback):
        def on_train_begin(self, logs):
            logs["metrics"].append("val_accuracy")

        def on_epoch_end(self, epoch, logs):
            logs["val_accuracy"] = float((self.model.forward(Xv).argmax(1) == yv).mean())

    stop = C.EarlyStopping(monitor="val_accuracy", mode="max", patience=3)
    accs = []
    _fit(net, X, y, (Xv, yv), 60,
         [Accuracy(), stop, lambda e, logs: accs.append(logs["val_accuracy"])])
    assert stop.stopped_epoch == len(accs) - 1 and stop.best == max(accs)
    assert max(accs[-3:]) <= max(accs[:-3])  # three epochs without a new best


def test_changing_the_learning_rate_in_a_callback_takes_effect_next_epoch():
    net, X, y, val = _noisy_problem()
    twin = net.copy()

    class Halve(C.Callback):
        def on_epoch_begin(self, epoch, logs):
            if epoch == 1:
                self.optimizer.lr = Constant(0.025)

    h = _fit(net, X, y, val, 2, Halve(), opt=fb.SGD(lr=0.05))
    assert h.lr == [0.05, 0.025]
    opt = fb.SGD(lr=0.05)
    _fit(twin, X, y, val, 1, opt=opt)
    opt.lr = Constant(0.025)
    _fit(twin, X, y, val, 1, opt=opt)
    np.testing.assert_array_equal(net.params, twin.params)


# --- EarlyStopping -------------------------------------------------------------------
@pytest.mark.parametrize("values,patience,min_delta,stop,best", [
    ([1.0, 0.9, 0.95, 0.91, 0.89], 2, 0.0, 3, 0.9),
    ([1.0, 0.9, 0.89, 0.88, 0.87, 0.86], 2, 0.02, 3, 0.9),  # steps smaller than min_delta
    ([1.0, 0.9, 0.89, 0.88, 0.87, 0.86], 2, 0.0, None, 0.86),
    ([1.0, 1.0], 0, 0.0, 1, 1.0),
    ([3.0, 2.0, 2.5, 1.0, 1.5, 1.6, 1.7], 3, 0.0, 6, 1.0),
])
def test_early_stopping_by_hand(values, patience, min_delta, stop, best):
    es = C.EarlyStopping(monitor="loss", patience=patience, min_delta=min_delta)
    assert _drive(es, values) == stop and es.stopped_epoch == stop and es.best == best


def test_early_stopping_in_fit_restores_the_best_weights():
    net, X, y, val = _noisy_problem()
    full = _fit(net.copy(), X, y, val, 60)
    es = C.EarlyStopping(patience=4, restore_best_weights=True)
    h = _fit(net, X, y, val, 60, es)
    v = full.val_loss
    # independently: the first epoch that closes 4 epochs without a new minimum
    stop = next(e for e in range(4, 60) if min(v[e - 3: e + 1]) >= min(v[: e - 3]))
    assert es.stopped_epoch == stop and h.epochs == stop + 1 and h.val_loss == v[: stop + 1]
    best = int(np.argmin(v[: stop + 1]))
    assert es.best_epoch == best and es.best == v[best]
    again = _noisy_problem()[0]
    _fit(again, X, y, val, best + 1)
    np.testing.assert_array_equal(net.params, again.params)


def test_monitoring_a_missing_quantity_fails_before_training():
    net, X, y, _ = _noisy_problem()
    before = net.params.copy()
    for cb in (C.EarlyStopping(), C.ReduceLROnPlateau(),
               C.ModelCheckpoint("x.npz", save_best_only=True)):
        with pytest.raises(ValueError, match=r"monitors 'val_loss', but fit logs only "
                                             r"\['loss', 'lr'\] \(pass validation_data"):
            _fit(net, X, y, None, 3, cb)
    np.testing.assert_array_equal(net.params, before)


@pytest.mark.parametrize("make,match", [
    (lambda: C.EarlyStopping(patience=-1), "patience must be >= 0"),
    (lambda: C.EarlyStopping(mode="up"), "mode must be 'min' or 'max'"),
    (lambda: C.EarlyStopping(monitor=3), "monitor must be the name"),
    (lambda: C.ReduceLROnPlateau(factor=1.5), r"factor must be in \(0.0, 1.0\)"),
    (lambda: C.ReduceLROnPlateau(min_lr=-1), "min_lr must be"),
    (lambda: C.ProgressBar(log_every=-1), "log_every must be >= 0"),
])
def test_bad_callback_arguments(make, match):
    with pytest.raises((TypeError, ValueError), match=match):
        make()


# --- ReduceLROnPlateau ---------------------------------------------------------------
def test_reduce_on_plateau_by_hand():
    net = fb.MLP([2, 1])
    opt = fb.SGD(lr=StepDecay(1.0, factor=0.5, every=10))
    cb = C.ReduceLROnPlateau(monitor="loss", factor=0.1, patience=1, cooldown=1, min_lr=0.003)
    # epochs:      0    1    2    3    4    5    6    7    8
    values = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
    _drive(cb, values, model=net, optimizer=opt)
    # e2: 1 epoch without improvement -> x0.1; e3 cooldown; e4 wait 1 -> x0.1 (0.01);
    # e5 cooldown; e6: the next x0.1 would give 0.001 < min_lr: only down to 0.003; then nothing
    assert [e for e, _ in cb.reductions] == [2, 4, 6]
    assert [r for _, r in cb.reductions] == pytest.approx([0.1, 0.01, 0.003])
    assert isinstance(opt.lr, Scaled) and opt.lr.schedule == StepDecay(1.0, factor=0.5, every=10)
    assert opt.lr.scale == pytest.approx(0.003)
    opt.epochs = 10  # the wrapped schedule keeps its shape: halves after 10 epochs
    assert opt.rates(1)[0] == pytest.approx(0.0015)


def test_reduce_on_plateau_in_fit_follows_the_history():
    net, X, y, val = _noisy_problem()
    cb = C.ReduceLROnPlateau(factor=0.5, patience=2, min_delta=0.0)
    h = _fit(net, X, y, val, 40, cb, opt=fb.Adam(lr=0.05))
    # independently from the history: the rate halves after every 2 epochs without a new minimum
    lr, best, wait = 0.05, np.inf, 0
    for e, v in enumerate(h.val_loss):
        assert h.lr[e] == pytest.approx(lr)
        best, wait = (v, 0) if v < best else (best, wait + 1)
        if wait >= 2:
            lr, wait = lr * 0.5, 0
    assert len(cb.reductions) >= 2


def test_scaled_schedule_scales_and_flattens():
    inner = StepDecay(0.2, factor=0.5, every=2)
    s = Scaled(Scaled(inner, 0.5), 0.1)
    assert s.schedule is inner and s.scale == pytest.approx(0.05) and s.per == "epoch"
    np.testing.assert_allclose(s.rates(0, 3, 4), 0.05 * 0.2 * 0.25)
    assert s.lr == pytest.approx(0.01)
    with pytest.raises(TypeError, match="schedule must be"):
        Scaled(0.1, 0.5)
    with pytest.raises(ValueError, match="scale must be"):
        Scaled(inner, 0)


# --- ModelCheckpoint and CSVLogger ---------------------------------------------------
def test_checkpoint_keeps_the_best_model_and_can_resume(tmp_path):
    net, X, y, val = _noisy_problem()
    ck = C.ModelCheckpoint(tmp_path / "best-{epoch:02d}.npz", save_best_only=True)
    h = _fit(net, X, y, val, 12, ck)
    v = h.val_loss
    improving = [e for e in range(12) if v[e] < min(v[:e], default=np.inf)]
    assert [p.rsplit("/", 1)[1] for p in ck.saved] == [f"best-{e + 1:02d}.npz" for e in improving]
    best = fb.load_checkpoint(ck.saved[-1])
    assert (best.optimizer.epochs == improving[-1] + 1
            and best.history.val_loss == v[: improving[-1] + 1])
    # resuming the checkpoint retraces the original run
    _fit(best.model, X, y, val, 12 - best.optimizer.epochs, opt=best.optimizer)
    np.testing.assert_array_equal(best.model.params, net.params)


def test_checkpoint_every_epoch_and_bad_patterns(tmp_path):
    net, X, y, val = _noisy_problem()
    ck = C.ModelCheckpoint(tmp_path / "m-{epoch}-{loss:.3f}.npz", include_optimizer=False)
    h = _fit(net, X, y, val, 3, ck)
    assert [p.rsplit("/", 1)[1] for p in ck.saved] == [f"m-{e + 1}-{h.loss[e]:.3f}.npz"
                                                       for e in range(3)]
    assert fb.load_checkpoint(ck.saved[-1]).optimizer is None
    with pytest.raises(ValueError, match="cannot be filled in"):
        _fit(net, X, y, val, 1, C.ModelCheckpoint(tmp_path / "{accuracy}.npz"))


def test_csv_logger_writes_the_history_and_appends(tmp_path):
    net, X, y, val = _noisy_problem()
    path = tmp_path / "log.csv"
    opt = fb.Adam(lr=0.05)
    h1 = _fit(net, X, y, val, 3, C.CSVLogger(path), opt=opt)
    h2 = _fit(net, X, y, val, 2, C.CSVLogger(path, append=True), opt=opt)
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[0] == ["epoch", "loss", "val_loss", "lr"]
    assert [int(r[0]) for r in rows[1:]] == [1, 2, 3, 4, 5]
    assert [float(r[1]) for r in rows[1:]] == h1.loss + h2.loss  # exact: repr round-trips
    assert [float(r[2]) for r in rows[1:]] == h1.val_loss + h2.val_loss
    _fit(net, X, y, None, 1, C.CSVLogger(path, separator=";"))
    assert path.read_text().splitlines()[0] == "epoch;loss;lr"


# --- progress -------------------------------------------------------------------------
def test_progress_bar_shows_loss_val_loss_and_lr():
    pytest.importorskip("tqdm")
    net, X, y, val = _noisy_problem()
    out = io.StringIO()
    h = _fit(net, X, y, val, 3, C.ProgressBar(file=out, log_every=1), opt=fb.SGD(lr=0.05))
    text = out.getvalue()
    assert "3/3" in text and f"loss={h.loss[-1]:.4g}" in text
    assert f"val_loss={h.val_loss[-1]:.4g}" in text and "lr=0.05" in text
    assert C.ProgressBar.format_line(
        2, 3, {"loss": h.loss[2], "val_loss": h.val_loss[2], "lr": 0.05}) in text


def test_verbose_true_shows_a_bar_on_stderr(capsys):
    pytest.importorskip("tqdm")
    net, X, y, val = _noisy_problem()
    _fit(net, X, y, val, 2, verbose=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "2/2" in captured.err and "val_loss=" in captured.err


def test_without_tqdm_verbose_prints_plain_lines(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    net, X, y, val = _noisy_problem()
    h = _fit(net, X, y, val, 2, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [C.ProgressBar.format_line(e, 2, {"loss": h.loss[e], "val_loss": h.val_loss[e],
                                                      "lr": 0.05}) for e in range(2)]
    assert lines[1].startswith("epoch 2/2 - loss ")
    with pytest.raises(ImportError, match=r"pip install tqdm  \(fastbp's 'progress' extra\)"):
        _fit(net, X, y, val, 1, C.ProgressBar(bar=True))


@pytest.mark.parametrize("verbose", ["yes", 3, 1.0, -1])
def test_bad_verbose_is_refused(verbose):
    net, X, y, val = _noisy_problem()
    with pytest.raises(ValueError, match="verbose must be"):
        _fit(net, X, y, val, 1, verbose=verbose)
