"""Issue 14, item 5: model files built to exhaust memory or escape
ModelFileError are refused, naming the path and the problem, before
anything large is read or allocated."""
import json
import tracemalloc
import zipfile

import numpy as np
import pytest

import fastbp as fb


@pytest.fixture
def saved(tmp_path):
    net = fb.MLP([2, 3, 1], seed=0)
    opt = fb.Adam(lr=0.01)
    net.fit(np.ones((4, 2)), np.ones(4), optimizer=opt, batch_size=2)
    path = tmp_path / "m.npz"
    net.save(path, optimizer=opt)
    return path


def _members(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def _write(path, members, compress=False):
    (np.savez_compressed if compress else np.savez)(path, **members)


def _header(path):
    return json.loads(_members(path)["header"].tobytes())


def _with_header(path, header, **extra):
    members = _members(path)
    members["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    members.update(extra)
    _write(path, members)


def _refused(path, match):
    with pytest.raises(fb.ModelFileError, match=match) as info:
        fb.load_checkpoint(path)
    assert str(path) in str(info.value)


def test_a_deeply_nested_header_is_refused(saved):
    members = _members(saved)
    members["header"] = np.frombuffer(b"[" * 100_000 + b"]" * 100_000, dtype=np.uint8)
    _write(saved, members)
    _refused(saved, "nested too deeply")


def test_nested_schedules_are_refused_or_bounded(saved):
    header = _header(saved)
    inner = json.dumps(header["optimizer"]["lr"])
    header["optimizer"]["lr"] = "LR"
    k = 5000  # json.dumps itself cannot nest this deep: write the text
    lr = '{"class": "Scaled", "params": {"schedule": ' * k + inner + ', "scale": 1.0}}' * k
    members = _members(saved)
    text = json.dumps(header).replace('"LR"', lr)
    members["header"] = np.frombuffer(text.encode(), dtype=np.uint8)
    _write(saved, members)
    _refused(saved, "nested too deeply")


def test_declared_sizes_are_checked_against_the_arrays_before_allocating(saved):
    header = _header(saved)
    header["model"]["layer_sizes"] = [10_000, 10_000]  # 800 MB of parameters, none in the file
    _with_header(saved, header)
    tracemalloc.start()
    try:
        _refused(saved, r"'params' has shape \(13,\).*expected \(100010000,\)")
        assert tracemalloc.get_traced_memory()[1] < 50 << 20
    finally:
        tracemalloc.stop()
    header["model"]["layer_sizes"] = [10**6, 10**6]
    _with_header(saved, header)
    _refused(saved, "'params' has shape")


def test_a_params_header_that_lies_about_its_size_is_refused(saved):
    members = _members(saved)
    _write(saved, members)
    data = saved.read_bytes()
    # the .npy header of params says 13 entries; give it 12 entries' worth of data
    with zipfile.ZipFile(saved) as z:
        raw = z.read("params.npy")
    with zipfile.ZipFile(saved, "w") as z:
        for name, value in members.items():
            body = raw[:-8] if name == "params" else None
            if body is None:
                with z.open(name + ".npy", "w") as f:
                    np.save(f, value)
            else:
                z.writestr(name + ".npy", body)
    _refused(saved, "'params' is truncated")
    saved.write_bytes(data)


def test_a_compressed_bomb_is_not_inflated(saved):
    members = _members(saved)
    members["bomb"] = np.zeros(32 << 20)  # 256 MiB of zeros, a few hundred kB compressed
    _write(saved, members, compress=True)
    assert saved.stat().st_size < 2 << 20
    tracemalloc.start()
    try:
        fb.load_checkpoint(saved)  # only the members a model has are read
        assert tracemalloc.get_traced_memory()[1] < 50 << 20
    finally:
        tracemalloc.stop()
    # and a model member that inflates past its declared size is refused
    with zipfile.ZipFile(saved, "w", zipfile.ZIP_DEFLATED) as z:
        for name, value in members.items():
            if name == "bomb":
                continue
            with z.open(name + ".npy", "w") as f:
                np.save(f, value)
                if name == "params":
                    f.write(bytes(64 << 20))
    tracemalloc.start()
    try:
        _refused(saved, "more data than its header declares")
        assert tracemalloc.get_traced_memory()[1] < 50 << 20
    finally:
        tracemalloc.stop()


def test_too_many_members_are_refused(saved):
    members = _members(saved)
    members.update({f"x{i}": np.zeros(1) for i in range(100)})
    _write(saved, members)
    _refused(saved, "100|members")


def test_a_huge_header_member_is_refused(saved, monkeypatch):
    from fastbp import _archive

    monkeypatch.setattr(_archive, "MAX_HEADER_BYTES", 100)
    _refused(saved, "'header' must be 1-D uint8 of at most 100")


@pytest.mark.parametrize("edit, match", [
    (lambda h: h["optimizer"].update(t=10**30), "inconsistent optimizer counters"),
    (lambda h: h["optimizer"].update(epochs=10**30), "inconsistent optimizer counters"),
    (lambda h: h["optimizer"].update(lr={"class": "Scaled", "params": {
        "schedule": {"class": "Scaled", "params": {"schedule": h["optimizer"]["lr"],
                                                   "scale": 1e308}},
        "scale": 1e308}}), "not finite"),
    (lambda h: h.update(metadata={"a": [[[[1]]]]}) or h["model"].update(layer_sizes="ab"),
     "invalid model description"),
])
def test_values_that_would_fail_later_are_refused_at_load(saved, edit, match):
    header = _header(saved)
    edit(header)
    _with_header(saved, header)
    _refused(saved, match)


def test_values_that_load_train(saved):
    ckpt = fb.load_checkpoint(saved)
    ckpt.model.fit(np.ones((4, 2)), np.ones(4), optimizer=ckpt.optimizer, batch_size=2)
    assert ckpt.optimizer.t == 4


def test_paths_may_be_bytes(saved):
    net = fb.load(bytes(saved))
    assert net.layer_sizes == [2, 3, 1]
    with pytest.raises(FileNotFoundError):
        fb.load(b"/nonexistent/model.npz")
