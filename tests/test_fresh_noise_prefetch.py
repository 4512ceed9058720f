"""The next epoch's fresh noise drawn in the background: same bits, no stray thread."""

import threading
import time

import numpy as np
import pytest
import torch
from skorch.dataset import Dataset

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.estimators import _fresh_noise, _heads, _interrupts, _variance
from sgnn_sklearn.estimators._batches import ArrayRows
from sgnn_sklearn.estimators._networks import MLP
from sgnn_sklearn.simulators import SIR

SMALL = dict(
    n_simulations=3000,
    hidden_layer_sizes=(16,),
    max_epochs=5,
    observation_noise="fresh",
    random_state=0,
)
THREAD = "sgnn-fresh-noise"


class SlowNoise(SIR):
    """SIR whose noise takes long to draw outside the main thread."""

    def observe(self, latent, random_state=None):
        if threading.current_thread() is not threading.main_thread():
            time.sleep(0.5)
        return super().observe(latent, random_state)


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name == THREAD and t.is_alive()]


def _count_prefetches(monkeypatch):
    started = []
    prefetch = _fresh_noise._Prefetch

    def counting(epoch, compute):
        started.append(epoch)
        return prefetch(epoch, compute)

    monkeypatch.setattr(_fresh_noise, "_Prefetch", counting)
    return started


@pytest.mark.parametrize("n_estimators", [1, 2])
def test_noise_drawn_ahead_gives_the_bits_of_noise_drawn_at_each_epoch(
    monkeypatch, n_estimators
):
    sim = SIR(n_days=20)
    X = sim.simulate(300, random_state=1).X
    params = dict(SMALL, n_estimators=n_estimators)
    started = _count_prefetches(monkeypatch)
    ahead = SimulationGroundedRegressor(sim, **params).fit()
    # Every epoch but the last has the next one's noise drawn during it.
    assert started == [2, 3, 4, 5] * n_estimators
    assert ahead.n_epochs_ == 5
    started.clear()
    monkeypatch.setattr(_fresh_noise, "PREFETCH_MAX_BYTES", 0)
    at_each_epoch = SimulationGroundedRegressor(sim, **params).fit()
    assert started == []
    for mine, theirs in zip(
        ahead.predict(X, return_std=True),
        at_each_epoch.predict(X, return_std=True),
        strict=True,
    ):
        np.testing.assert_array_equal(mine, theirs)
    assert not _prefetch_threads()


def test_a_draw_above_the_limit_is_made_at_its_epoch(monkeypatch):
    # 2,400 training series of 20 days (600 of 3,000 held out): 384,000
    # bytes in float64.
    started = _count_prefetches(monkeypatch)
    monkeypatch.setattr(_fresh_noise, "PREFETCH_MAX_BYTES", 2400 * 20 * 8 - 1)
    SimulationGroundedRegressor(SIR(n_days=20), **SMALL).fit()
    assert started == []
    monkeypatch.setattr(_fresh_noise, "PREFETCH_MAX_BYTES", 2400 * 20 * 8)
    SimulationGroundedRegressor(SIR(n_days=20), **SMALL).fit()
    assert started == [2, 3, 4, 5]


def _fail_at_epoch(monkeypatch, epoch, error):
    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == epoch:
            raise error

    monkeypatch.setattr(_interrupts.InterruptGuard, "on_epoch_end", on_epoch_end)


def test_no_draw_outlives_a_fit_that_fails_mid_training(monkeypatch):
    sim = SlowNoise(n_days=20)
    X = sim.simulate(50, random_state=1).X
    est = SimulationGroundedRegressor(sim, **dict(SMALL, max_epochs=2)).fit()
    before = est.predict(X)
    _fail_at_epoch(monkeypatch, 2, RuntimeError("boom"))
    # Epoch 3's noise is being drawn (slowly) when epoch 2 raises.
    with pytest.raises(RuntimeError, match="boom"):
        est.set_params(max_epochs=4).fit()
    assert not _prefetch_threads()
    # The failed refit left the model it had.
    np.testing.assert_array_equal(est.predict(X), before)


def test_no_draw_outlives_an_interrupted_fit(monkeypatch):
    _fail_at_epoch(monkeypatch, 2, KeyboardInterrupt())
    est = SimulationGroundedRegressor(SlowNoise(n_days=20), **SMALL)
    with pytest.warns(UserWarning, match="interrupted"):
        est.fit()
    assert not _prefetch_threads()
    assert est.n_epochs_ == 2


class NoiseFailsAtThirdDraw(SIR):
    """SIR whose third noise draw (epoch 3's) raises."""

    draws = 0

    def observe(self, latent, random_state=None):
        type(self).draws += 1
        if type(self).draws == 3:
            raise ValueError("the third draw failed")
        return super().observe(latent, random_state)


@pytest.mark.parametrize("limit", [0, _fresh_noise.PREFETCH_MAX_BYTES])
def test_a_draw_that_fails_in_the_background_raises_from_fit(monkeypatch, limit):
    monkeypatch.setattr(_fresh_noise, "PREFETCH_MAX_BYTES", limit)
    monkeypatch.setattr(NoiseFailsAtThirdDraw, "draws", 0)
    est = SimulationGroundedRegressor(NoiseFailsAtThirdDraw(n_days=20), **SMALL)
    with pytest.raises(ValueError, match="the third draw failed"):
        est.fit()
    assert not _prefetch_threads()


def test_batches_taken_by_numpy_are_the_rows_skorch_takes():
    rng = np.random.default_rng(0)
    data = Dataset(rng.normal(size=(50, 3)).astype(np.float32), rng.normal(size=50))
    for rows in ([4, 0, 49, 4], np.array([7, 3, 1]), slice(5, 9)):
        for mine, theirs in zip(ArrayRows(data)[rows], data[rows], strict=True):
            np.testing.assert_array_equal(mine, theirs)
    # Anything but two plain arrays is indexed by skorch.
    unlabelled = Dataset(np.ones((4, 2), np.float32))
    X, y = ArrayRows(unlabelled)[[0, 1]]
    assert X.shape == (2, 2) and torch.equal(y, unlabelled[[0, 1]][1])
    assert len(ArrayRows(data)) == 50


def test_hidden_rows_by_index_select_are_those_indexing_gives():
    torch.manual_seed(0)
    net = _variance.GaussianHead(
        MLP, n_features=3, n_outputs=1, hidden_layer_sizes=(5,)
    )
    inputs = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    frozen = _heads.FrozenNetwork(net, inputs, np.zeros(40, np.float32), 8, "cpu")
    assert frozen._hidden is not None
    for rows in (torch.tensor([3, 39, 3, 0]), np.arange(10, 20), [1, 2]):
        assert torch.equal(frozen.hidden(rows), frozen._hidden[rows])
