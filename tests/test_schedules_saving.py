"""Model files with the warm-up, cosine, one-cycle and polynomial schedules:
round trips (nested ones too), exact resumption across the warm-up, files
written before they existed, and refusal of bad entries."""
import json

import numpy as np
import pytest

import fastbp as fb
from fastbp.datasets import spirals

S = fb.schedules
SCHEDULES = {
    "cosine": S.CosineAnnealing(0.05, 40, min_lr=1e-3),
    "restarts": S.CosineAnnealing(0.05, 7, restarts=True, length_mult=2, per="epoch"),
    "one-cycle": S.OneCycle(0.1, 60, pct_start=0.2, anneal_strategy="linear", div_factor=10.0,
                            final_div_factor=50.0, three_phase=True),
    "polynomial": S.Polynomial(0.05, 30, power=2.0, end_lr=1e-3, per="epoch"),
    "warmup-cosine": S.Warmup(S.CosineAnnealing(0.05, 40), 10, start_factor=0.25),
    "warmup-number": S.Warmup(0.02, 3, per="epoch"),
    "scaled-warmup-one-cycle": S.Scaled(S.Warmup(S.OneCycle(0.1, 60), 5), 0.5),
    "warmup-scaled-warmup": S.Warmup(S.Scaled(S.Warmup(S.Polynomial(0.05, 30), 4), 0.5), 2),
}


def _problem():
    X, y = spirals(n_per_class=30, n_classes=3, seed=0)
    net = fb.MLP([2, 7, 3], hidden="tanh", output="softmax", loss="cross_entropy", seed=0)
    return net, X, y


def _fit(net, opt, X, y, epochs):
    # 90 samples in batches of 16: 6 updates an epoch, so the warm-ups end mid-run
    return net.fit(X, y, optimizer=opt, epochs=epochs, batch_size=16, shuffle=True, seed=7)


# the first part of a split run stops inside the warm-up, which fit warns about
@pytest.mark.filterwarnings("ignore:the learning rate's warm-up")
@pytest.mark.parametrize("name", list(SCHEDULES))
def test_round_trip_and_bit_identical_resumption(tmp_path, name):
    sched = SCHEDULES[name]
    net, X, y = _problem()
    straight, opt = net.copy(), fb.Adam(lr=sched)
    h2 = _fit(straight, opt, X, y, 4)

    first, opt1 = net.copy(), fb.Adam(lr=sched)
    h1 = _fit(first, opt1, X, y, 2)
    first.save(tmp_path / "m.npz", optimizer=opt1, history=h1)
    ckpt = fb.load_checkpoint(tmp_path / "m.npz")
    assert ckpt.optimizer.lr == sched and type(ckpt.optimizer.lr) is type(sched)
    assert repr(ckpt.optimizer.lr) == repr(sched)
    h = _fit(ckpt.model, ckpt.optimizer, X, y, 2)
    np.testing.assert_array_equal(ckpt.model.params, straight.params)
    assert h.lr == h2.lr[2:] and h.loss == h2.loss[2:]


def _header(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}, json.loads(f["header"].tobytes())


def _write(path, members, header):
    members["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(path, "wb") as out:
        np.savez(out, **members)


def test_the_nested_entries_are_plain_json(tmp_path):
    net, _, _ = _problem()
    net.save(tmp_path / "m.npz", optimizer=fb.SGD(lr=SCHEDULES["scaled-warmup-one-cycle"]))
    _, header = _header(tmp_path / "m.npz")
    assert header["optimizer"]["lr"] == {"class": "Scaled", "params": {
        "schedule": {"class": "Warmup", "params": {
            "schedule": {"class": "OneCycle", "params": {
                "lr": 0.1, "per": "step", "length": 60, "pct_start": 0.3,
                "anneal_strategy": "cos", "div_factor": 25.0, "final_div_factor": 1e4,
                "three_phase": False}},
            "length": 5, "start_factor": 0.1}},
        "scale": 0.5}}
    assert header["format_version"] == 1  # the new classes need no new format


def test_a_file_written_before_these_schedules_still_loads(tmp_path):
    # the Scaled entry exactly as the first format version wrote it
    net, _, _ = _problem()
    net.save(tmp_path / "m.npz", optimizer=fb.SGD(lr=0.1))
    members, header = _header(tmp_path / "m.npz")
    header["optimizer"]["lr"] = {"class": "Scaled", "params": {
        "schedule": {"class": "StepDecay", "params": {"lr": 0.01, "per": "epoch",
                                                      "factor": 0.5, "every": 10}},
        "scale": 0.1}}
    _write(tmp_path / "m.npz", members, header)
    assert fb.load_checkpoint(tmp_path / "m.npz").optimizer.lr == S.Scaled(
        S.StepDecay(0.01, factor=0.5, every=10), 0.1)


def _deep(n):
    entry = {"class": "Constant", "params": {"lr": 0.1}}
    for _ in range(n):
        entry = {"class": "Warmup", "params": {"schedule": entry, "length": 1}}
    return entry


@pytest.mark.parametrize("lr,match", [
    ({"class": "Warmup", "params": {"length": 3}}, "no Warmup 'schedule'"),
    ({"class": "Warmup", "params": {"schedule": [1], "length": 3}},
     "Warmup 'schedule' must be dict"),
    ({"class": "Warmup", "params": {"schedule": {"class": "Constant", "params": {"lr": 0.1}},
                                    "length": 0}}, "invalid schedule Warmup.*length must be >= 1"),
    ({"class": "OneCycle", "params": {"lr": 0.1, "length": 3}},
     r"invalid schedule OneCycle.*pct_start \* length must be > 1"),
    ({"class": "CosineAnnealing", "params": {"lr": 0.1, "length": 9, "eval": "x"}},
     "invalid schedule CosineAnnealing"),
    (_deep(17), "schedules nested more than 16 deep"),
])
def test_bad_schedule_entries_are_refused_by_name(tmp_path, lr, match):
    net, _, _ = _problem()
    net.save(tmp_path / "m.npz", optimizer=fb.SGD(lr=0.1))
    members, header = _header(tmp_path / "m.npz")
    header["optimizer"]["lr"] = lr
    _write(tmp_path / "m.npz", members, header)
    with pytest.raises(fb.ModelFileError, match=match):
        fb.load_checkpoint(tmp_path / "m.npz")


def test_nesting_up_to_the_limit_loads(tmp_path):
    net, _, _ = _problem()
    net.save(tmp_path / "m.npz", optimizer=fb.SGD(lr=0.1))
    members, header = _header(tmp_path / "m.npz")
    header["optimizer"]["lr"] = _deep(16)
    _write(tmp_path / "m.npz", members, header)
    assert S.warmup_length(fb.load_checkpoint(tmp_path / "m.npz").optimizer.lr) == 16
