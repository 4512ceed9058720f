"""Latent trajectories kept in a temporary file: the same fit, no file left behind."""

import gc
import mmap
import os
import tempfile

import numpy as np
import pytest
from test_offline_memory import _assert_same_fit, _rss_mb

from sgnn_sklearn import SimulationGroundedRegressor, _pages
from sgnn_sklearn.estimators import _ensemble, _fresh_noise
from sgnn_sklearn.simulators import SIR, _observation

pytestmark = pytest.mark.skipif(
    not hasattr(mmap.mmap, "madvise") or not os.path.exists("/proc/self/maps"),
    reason="spilling needs mmap.madvise; the checks read /proc/self/maps",
)

FAST = dict(hidden_layer_sizes=(16,), random_state=0, observation_noise="fresh")


def _spill_maps():
    """The temporary files of spill_to_file that this process has mapped."""
    with open("/proc/self/maps") as maps:
        return [line for line in maps if _pages.SPILL_PREFIX in line]


class _SeesSpill(_fresh_noise.FreshObservations):
    """Notes, at each epoch, whether a spill file is mapped."""

    seen: list = []

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        _SeesSpill.seen.append(bool(_spill_maps()))
        super().on_epoch_begin(net, dataset_train=dataset_train, **kwargs)


@pytest.fixture
def sees_spill(monkeypatch):
    _SeesSpill.seen = []
    monkeypatch.setattr(_ensemble, "FreshObservations", _SeesSpill)
    return _SeesSpill.seen


@pytest.mark.parametrize(
    "noise, blocks, prefetch",
    [("negbin", True, True), ("poisson", True, False), ("negbin", False, True)],
)
def test_spilled_latent_trajectories_give_the_fit_kept_in_memory(
    monkeypatch, sees_spill, noise, blocks, prefetch
):
    # Every fit spills (no size threshold); count noise drawn in blocks of
    # 1,000 rows, each let go of once read, or the noise drawn whole; the
    # next draw ahead in a thread, or written over the first draw's inputs
    # (two members): the bits of the fit that kept the trajectories in memory.
    monkeypatch.setattr(_observation, "DRAW_BLOCK_ROWS", 1000)
    if not prefetch:
        monkeypatch.setattr(_fresh_noise, "PREFETCH_MAX_BYTES", 0)
    if not blocks:
        monkeypatch.setattr(_fresh_noise, "observation_blocks", lambda *args: None)
    forgotten = []
    forget = _pages.forget_rows

    def spy(X, rows):
        found = _pages._rows_in_map(X, 0, len(X))
        if found is not None and isinstance(found[0], _pages._SpillMap):
            forgotten.append(rows)
        forget(X, rows)

    monkeypatch.setattr(_observation, "forget_rows", spy)
    monkeypatch.setattr(_fresh_noise, "forget_rows", spy)
    sim = SIR(n_days=20, noise=noise)
    X = sim.simulate(300, random_state=1).X
    options = {**FAST, "max_epochs": 3, "n_estimators": 1 if prefetch else 2}
    monkeypatch.setattr(_pages, "SPILL_MIN_BYTES", 0)
    spilled = SimulationGroundedRegressor(sim, 6000, **options).fit()
    assert sees_spill and all(sees_spill)
    # The first draw and two more, each of six blocks (whole: one).
    assert len(forgotten) >= (6 * 3 if blocks else 3)
    sees_spill.clear()
    monkeypatch.setattr(_pages, "SPILL_MIN_BYTES", 2**62)
    kept = SimulationGroundedRegressor(sim, 6000, **options).fit()
    assert sees_spill and not any(sees_spill)
    _assert_same_fit(spilled, kept, X)
    assert not _spill_maps()


def test_small_fits_never_touch_the_disk(sees_spill):
    # 6,000 series of 20 days (0.9 MiB of trajectories), far below 128 MiB.
    SimulationGroundedRegressor(SIR(n_days=20), 6000, max_epochs=2, **FAST).fit()
    assert sees_spill == [False, False]
    X = np.ones((1000, 20))
    assert _pages.spill_to_file(X) is X


@pytest.mark.parametrize("where", ["training", "before training"])
def test_a_failed_fit_lets_the_spill_file_go(monkeypatch, sees_spill, where):
    # Even while the exception (and every frame it holds) is still alive, the
    # failed fit holds no trajectories: the file's space is given back.
    monkeypatch.setattr(_pages, "SPILL_MIN_BYTES", 0)

    def fail(*args, **kwargs):
        assert _spill_maps()  # the trajectories are in the file until now
        raise RuntimeError("stop here")

    if where == "training":
        monkeypatch.setattr(_SeesSpill, "on_epoch_end", fail, raising=False)
    else:
        monkeypatch.setattr(SimulationGroundedRegressor, "_fit_inputs", fail)
    est = SimulationGroundedRegressor(SIR(n_days=20), 3000, max_epochs=2, **FAST)
    with pytest.raises(RuntimeError, match="stop here") as info:
        est.fit()
    gc.collect()
    assert not _spill_maps()
    assert info.value is not None  # the exception was alive during the check
    assert sees_spill == ([True] if where == "training" else [])


def test_a_fit_leaves_no_spill_file(monkeypatch):
    monkeypatch.setattr(_pages, "SPILL_MIN_BYTES", 0)
    folder = tempfile.gettempdir()
    before = {n for n in os.listdir(folder) if n.startswith(_pages.SPILL_PREFIX)}
    SimulationGroundedRegressor(SIR(n_days=20), 3000, max_epochs=2, **FAST).fit()
    gc.collect()
    assert not _spill_maps()
    after = {n for n in os.listdir(folder) if n.startswith(_pages.SPILL_PREFIX)}
    assert after <= before


def test_forgotten_rows_leave_memory_and_read_the_same(monkeypatch):
    monkeypatch.setattr(_pages, "SPILL_MIN_BYTES", 0)
    X = np.random.default_rng(0).normal(size=(1 << 16, 128))  # 64 MiB
    spilled = _pages.spill_to_file(X)
    assert not spilled.flags.writeable and len(_spill_maps()) == 1
    # Unlinked at once: mapped, but no longer named in the temporary folder.
    assert _spill_maps()[0].rstrip().endswith("(deleted)")
    np.testing.assert_array_equal(spilled, X)  # every page read in
    before = _rss_mb()
    _pages.forget_rows(spilled[100:], slice(0, 1 << 16))  # a view's rows
    assert before - _rss_mb() > 48
    np.testing.assert_array_equal(spilled, X)
    _pages.forget_rows(X, slice(0, 10))  # anything else is left alone
    del spilled
    gc.collect()
    assert not _spill_maps()


def test_no_spill_where_it_would_save_nothing(monkeypatch):
    monkeypatch.setattr(_pages, "SPILL_MIN_BYTES", 0)
    X = np.ones((600, 20))
    objects = X.astype(object)
    assert _pages.spill_to_file(objects) is objects

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(tempfile, "NamedTemporaryFile", full_disk)
        assert _pages.spill_to_file(X) is X
    if os.path.isdir("/dev/shm") and not _pages._is_on_disk("/dev/shm"):
        monkeypatch.setattr(tempfile, "tempdir", "/dev/shm")
        assert _pages.spill_to_file(X) is X
