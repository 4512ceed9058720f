"""A KeyboardInterrupt during training leaves a usable model with the best weights."""

import warnings
from copy import deepcopy

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator

FAST = dict(hidden_layer_sizes=(8,), max_epochs=8, lr=0.05, random_state=0)


class InterruptAt(Callback):
    """Raise KeyboardInterrupt (what Ctrl-C raises) at the end of an epoch or batch."""

    def __init__(self, epoch, batch=None):
        self.epoch = epoch
        self.batch = batch

    def on_batch_end(self, net, training=False, **kwargs):
        if (
            self.batch is not None
            and training
            and len(net.history) == self.epoch
            and len(net.history[-1]["batches"]) == self.batch
        ):
            raise KeyboardInterrupt

    def on_epoch_end(self, net, **kwargs):
        if self.batch is None and len(net.history) == self.epoch:
            raise KeyboardInterrupt


class Recorder(Callback):
    """Keep each finished epoch's weights and monitored loss."""

    def __init__(self, monitor):
        self.monitor = monitor

    def on_train_begin(self, net, **kwargs):
        self.epochs = []

    def on_epoch_end(self, net, **kwargs):
        self.epochs.append(
            (net.history[-1, self.monitor], deepcopy(net.module_.state_dict()))
        )


@pytest.fixture
def inject(monkeypatch):
    """Add callbacks to the skorch net that the estimators build."""

    def add(cls, *callbacks):
        make_net = cls._make_net

        def with_callbacks(self, **kwargs):
            named = [(f"test_{i}", cb) for i, cb in enumerate(callbacks)]
            kwargs["callbacks"] = kwargs["callbacks"] + named
            return make_net(self, **kwargs)

        monkeypatch.setattr(cls, "_make_net", with_callbacks)

    return add


def _fit_interrupted(est, *args):
    with pytest.warns(UserWarning, match="training was interrupted") as caught:
        est.fit(*args)
    messages = [str(w.message) for w in caught]
    [message] = [m for m in messages if ": training was interrupted" in m]
    return message


def _best(recorder):
    losses = [loss for loss, _ in recorder.epochs]
    best = int(np.argmin(losses))
    return best + 1, recorder.epochs[best][1]


def _assert_weights(est, expected):
    """The network's weights are those recorded; the regressor's variance head,
    trained after the network (see SimulationGroundedRegressor), is left out."""
    actual = est.net_.module_.state_dict()
    compared = [key for key in expected if not key.startswith("log_variance.")]
    assert compared
    for key in compared:
        assert torch.equal(actual[key], expected[key]), key


@pytest.mark.parametrize("average_weights", [False, True])
@pytest.mark.parametrize("early_stopping", [True, False])
@pytest.mark.parametrize("where", ["epoch end", "mid-epoch"])
def test_interrupt_keeps_the_best_weights_so_far_and_warns(
    inject, early_stopping, where, average_weights
):
    # With average_weights the weights recorded at each epoch's end, judged
    # and restored are the running average's.
    sim = LinearGaussian(n_features=4)
    monitor = "valid_loss" if early_stopping else "train_loss"
    recorder = Recorder(monitor)
    interrupt = InterruptAt(4) if where == "epoch end" else InterruptAt(4, batch=2)
    inject(SimulationGroundedRegressor, recorder, interrupt)
    est = SimulationGroundedRegressor(
        sim,
        n_simulations=600,
        batch_size=64,
        early_stopping=early_stopping,
        average_weights=average_weights,
        **FAST,
    )
    message = _fit_interrupted(est)
    completed = 4 if where == "epoch end" else 3
    assert len(recorder.epochs) == completed
    best_epoch, best_weights = _best(recorder)
    assert (
        f"training was interrupted (KeyboardInterrupt) after {completed} of at most "
        f"8 epochs. The network keeps the weights of epoch {best_epoch}, the best so "
        "far; it is fitted and usable."
    ) in message
    _assert_weights(est, best_weights)
    X = sim.simulate(20, random_state=1).X
    assert np.isfinite(est.predict(X)).all()


@pytest.mark.parametrize("average_weights", [False, True])
def test_without_early_stopping_an_uninterrupted_fit_keeps_the_last_weights(
    inject, average_weights
):
    recorder = Recorder("train_loss")
    inject(SimulationGroundedRegressor, recorder)
    est = SimulationGroundedRegressor(
        LinearGaussian(),
        n_simulations=200,
        early_stopping=False,
        average_weights=average_weights,
        **FAST,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit()
    assert len(recorder.epochs) == 8
    _assert_weights(est, recorder.epochs[-1][1])


def test_early_stopping_is_not_reported_as_an_interrupt():
    est = SimulationGroundedRegressor(
        LinearGaussian(),
        n_simulations=300,
        n_iter_no_change=1,
        **{**FAST, "max_epochs": 200, "lr": 0.5},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit()
    assert est.n_epochs_ < 200  # it did stop early, by a KeyboardInterrupt inside


def test_interrupt_before_any_epoch_ends_keeps_the_current_weights(inject):
    inject(SimulationGroundedRegressor, InterruptAt(1, batch=1))
    est = SimulationGroundedRegressor(
        LinearGaussian(), n_simulations=300, batch_size=32, **FAST
    )
    message = _fit_interrupted(est)
    assert "after 0 of at most 8 epochs" in message
    assert "keeps the weights it had when interrupted" in message
    assert np.isfinite(est.predict(np.zeros((2, 5)))).all()


def test_interrupt_while_learning_from_simulations_skips_finetuning(inject):
    inject(SimulationGroundedClassifier, InterruptAt(2))
    mix = MixtureSimulator(
        [("a", LinearGaussian(noise_std=0.3)), ("b", LinearGaussian(noise_std=2.0))]
    )
    real = mix.simulate(40, random_state=1)
    clf = SimulationGroundedClassifier(mix, n_simulations=300, **FAST)
    message = _fit_interrupted(clf, real.X, real.mechanism)
    assert message.endswith("Fine-tuning on the real data was skipped.")
    assert len(clf.net_.history) == 2  # no fine-tuning epochs were added
    proba = clf.predict_proba(real.X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_interrupted_model_survives_pickling(inject):
    import pickle

    inject(SimulationGroundedRegressor, InterruptAt(2))
    est = SimulationGroundedRegressor(LinearGaussian(), n_simulations=200, **FAST)
    _fit_interrupted(est)
    X = np.linspace(-2, 2, 50).reshape(10, 5)
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


class CountingFlaky(LinearGaussian):
    """Counts the rows it returns; about a tenth of them hold NaN."""

    drawn = 0

    def simulate(self, n_samples, random_state=None):
        simulation = super().simulate(n_samples, random_state)
        simulation.X[simulation.params[:, 0] > 1.3, 0] = np.nan
        type(self).drawn += n_samples
        return simulation


@pytest.mark.parametrize("batch", [None, 3])
def test_online_counts_add_up_to_what_was_drawn_after_an_interrupt(inject, batch):
    inject(SimulationGroundedRegressor, InterruptAt(2, batch=batch))
    CountingFlaky.drawn = 0
    est = SimulationGroundedRegressor(
        CountingFlaky(),
        n_simulations=400,
        simulation="online",
        batch_size=32,
        **FAST,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit()
    assert est.n_invalid_simulations_ > 0
    assert est.n_simulations_ + est.n_invalid_simulations_ == CountingFlaky.drawn


# -- interrupts outside the epoch loop -------------------------------------------


def _interrupt_on_call(n):
    """A function that raises KeyboardInterrupt on its n-th call."""
    calls = []

    def maybe_interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt

    maybe_interrupt.calls = calls
    return maybe_interrupt


def _bank_is_embedded_by_the_network(est):
    bank = est.memory_bank_
    np.testing.assert_array_equal(bank.embeddings, est._embed_inputs(bank.inputs))


@pytest.mark.parametrize("first_fit", [True, False])
def test_an_interrupt_while_the_network_is_set_up_cancels_the_fit(
    monkeypatch, first_fit
):
    from sgnn_sklearn.estimators._inference import ReproducibleNetRegressor

    sim = LinearGaussian()
    est = SimulationGroundedRegressor(sim, n_simulations=200, **FAST)
    if not first_fit:
        est.fit()
    before = dict(vars(est))
    interrupt = _interrupt_on_call(1)
    initialize_optimizer = ReproducibleNetRegressor.initialize_optimizer

    def set_up(net, *args, **kwargs):
        interrupt()
        return initialize_optimizer(net, *args, **kwargs)

    monkeypatch.setattr(ReproducibleNetRegressor, "initialize_optimizer", set_up)
    with pytest.raises(KeyboardInterrupt):
        est.fit()
    # No untrained network marked fitted: the estimator is as it was.
    assert vars(est).keys() == before.keys()
    assert all(vars(est)[key] is value for key, value in before.items())
    if first_fit:
        with pytest.raises(NotFittedError):
            est.predict(np.zeros((2, 5)))


def test_an_interrupt_in_the_variance_head_keeps_a_usable_consistent_model(
    monkeypatch,
):
    from sgnn_sklearn.estimators import _variance

    sim = LinearGaussian(n_features=4)
    real = sim.simulate(40, random_state=1)
    # Call 1 scores the head before training; call 3 is a training step.
    interrupt = _interrupt_on_call(3)
    nll = _variance.gaussian_nll

    def interrupted_nll(*args):
        interrupt()
        return nll(*args)

    est = SimulationGroundedRegressor(sim, n_simulations=300, **FAST).fit()
    monkeypatch.setattr(_variance, "gaussian_nll", interrupted_nll)
    with pytest.warns(UserWarning, match="uncertainty heads was interrupted"):
        est.fit(real.X, real.y)
    assert len(interrupt.calls) == 3  # it stopped at once
    assert est.n_finetune_epochs_ == 0  # fine-tuning was skipped
    mean, std = est.predict(real.X, return_std=True)
    assert np.isfinite(mean).all() and (std > 0).all()
    _bank_is_embedded_by_the_network(est)


@pytest.mark.parametrize("method", ["gaussian", "mixture"])
def test_the_variance_head_honours_the_first_interrupt(inject, monkeypatch, method):
    from sgnn_sklearn.estimators import _variance

    calls = []
    nll = _variance.gaussian_nll

    def counted_nll(*args):
        calls.append(1)
        return nll(*args)

    monkeypatch.setattr(_variance, "gaussian_nll", counted_nll)
    inject(SimulationGroundedRegressor, InterruptAt(2))
    sim = LinearGaussian(n_features=4)
    est = SimulationGroundedRegressor(
        sim, n_simulations=300, interval_method=method, **FAST
    )
    with pytest.warns(UserWarning) as caught:
        est.fit()
    messages = " ".join(str(w.message) for w in caught)
    assert "training was interrupted" in messages
    assert "uncertainty heads were not trained" in messages
    assert len(calls) <= 2  # scored, never trained
    X = sim.simulate(20, random_state=2).X
    std = est.predict(X, return_std=True)[1]
    assert np.isfinite(std).all() and np.ptp(std) == 0
    # An untrained mixture is the training residuals' spread, for every row.
    lower, upper = est.predict_interval(X)
    assert np.all(lower < upper) and np.ptp(upper - lower) < 1e-6


@pytest.mark.parametrize("when", ["zero-shot", "after fine-tuning"])
def test_an_interrupt_while_embedding_the_memory_bank_drops_it(monkeypatch, when):
    from sgnn_sklearn.estimators._memory import MemoryBank

    sim = LinearGaussian(n_features=4)
    real = sim.simulate(40, random_state=1)
    est = SimulationGroundedRegressor(
        sim, n_simulations=300, early_stopping=False, **FAST
    ).fit()
    interrupt = _interrupt_on_call(1 if when == "zero-shot" else 2)
    embedded_by = MemoryBank.embedded_by

    def interrupted(bank, embed):
        interrupt()
        return embedded_by(bank, embed)

    monkeypatch.setattr(MemoryBank, "embedded_by", interrupted)
    with pytest.warns(UserWarning, match="embedding the memory bank was interrupted"):
        est.fit(real.X, real.y)
    # Never a bank embedded by another network than the one that predicts.
    assert est.memory_bank_ is None
    assert est.n_finetune_epochs_ == (0 if when == "zero-shot" else 8)
    assert np.isfinite(est.predict(real.X)).all()
    with pytest.raises(ValueError, match="kept no training simulations"):
        est.explain_mechanism(real.X)
