"""Fine-tuning on real labels moves only as far as held-out labels support."""

import warnings

import numpy as np
import pytest
import torch
from skorch import NeuralNetRegressor

from conftest import FAST
from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.estimators._finetune import choose_epochs
from sgnn_sklearn.simulators import LinearGaussian


def _rmse(est, data):
    return float(np.sqrt(np.mean((est.predict(data.X) - data.y) ** 2)))


@pytest.fixture(scope="module")
def noisy():
    # Few, noisy labels from the simulator itself: the zero-shot network is
    # already the posterior mean, so any move towards the labels is a loss.
    return LinearGaussian(n_features=4, noise_std=2.0)


# Label sets on which fine-tuning as it was (the simulation learning rate,
# early stopping on 10% of the labels) lost 1.8% and 2.4% against zero-shot.
@pytest.mark.parametrize("n_labels, seed", [(20, 3), (50, 2)])
def test_finetuning_is_never_worse_than_zero_shot(noisy, n_labels, seed):
    real = noisy.simulate(n_labels, random_state=seed)
    test = noisy.simulate(2000, random_state=2)
    zero_shot = SimulationGroundedRegressor(noisy, **FAST).fit()
    tuned = SimulationGroundedRegressor(noisy, **FAST).fit(real.X, real.y)
    assert _rmse(tuned, test) <= _rmse(zero_shot, test)


def test_zero_epochs_keep_the_zero_shot_network_bit_for_bit(noisy):
    real = noisy.simulate(50, random_state=1)
    test = noisy.simulate(200, random_state=2).X
    zero_shot = SimulationGroundedRegressor(noisy, **FAST).fit()
    tuned = SimulationGroundedRegressor(noisy, **FAST).fit(real.X, real.y)
    assert tuned.n_finetune_epochs_ == 0
    np.testing.assert_array_equal(tuned.predict(test), zero_shot.predict(test))
    assert zero_shot.n_finetune_epochs_ == 0


def test_labels_that_teach_something_are_learnt(linear):
    # Real targets shifted by +2: the labels support moving, and far.
    real = linear.simulate(200, random_state=3)
    tuned = SimulationGroundedRegressor(linear, **FAST).fit(real.X, real.y + 2.0)
    assert tuned.n_finetune_epochs_ > 0
    assert tuned.n_epochs_ == len(tuned.net_.history)


def test_without_early_stopping_all_epochs_run(linear):
    real = linear.simulate(30, random_state=3)
    est = SimulationGroundedRegressor(linear, early_stopping=False, **FAST)
    assert est.fit(real.X, real.y).n_finetune_epochs_ == FAST["max_epochs"]


def test_one_label_keeps_the_zero_shot_network_and_says_so(mixture):
    real = mixture.simulate(5, random_state=1)
    clf = SimulationGroundedClassifier(mixture, **FAST)
    with pytest.warns(UserWarning, match="1 labelled series cannot be split"):
        clf.fit(real.X[:1], real.mechanism[:1])
    assert clf.n_finetune_epochs_ == 0


def _linear_net(lr):
    return NeuralNetRegressor(
        torch.nn.Linear,
        module__in_features=1,
        module__out_features=1,
        lr=lr,
        train_split=None,
        verbose=0,
    ).initialize()


def test_choose_epochs_pools_held_out_loss_from_epoch_zero():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 1))
    # Noise with no mean and no slope in X: least squares gives exactly 2x.
    noise = rng.normal(scale=0.5, size=X.shape)
    design = np.c_[np.ones(len(X)), X]
    noise -= design @ np.linalg.lstsq(design, noise, rcond=None)[0]
    X, y = X.astype(np.float32), (2 * X + noise).astype(np.float32)
    net = _linear_net(lr=0.1)
    before = net.module_.weight.detach().clone()
    n_epochs, losses, interrupted = choose_epochs(
        net, X, y, max_epochs=40, patience=5, random_state=0
    )
    assert not interrupted and n_epochs == int(np.argmin(losses)) > 0
    assert len(losses) <= 41
    torch.testing.assert_close(net.module_.weight, before)  # net left alone
    # Started at the answer, any move fits the folds' noise: 0 epochs.
    with torch.no_grad():
        net.module_.weight.fill_(2.0)
        net.module_.bias.fill_(0.0)
    n_epochs, losses, _ = choose_epochs(
        net, X, y, max_epochs=40, patience=5, random_state=0
    )
    assert n_epochs == 0 and losses[1] > losses[0]


def test_an_interrupt_while_choosing_keeps_the_zero_shot_network(linear, monkeypatch):
    real = linear.simulate(30, random_state=3)
    test = linear.simulate(50, random_state=4).X
    zero_shot = SimulationGroundedRegressor(linear, **FAST).fit()

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(NeuralNetRegressor, "fit_loop", interrupted)
    est = SimulationGroundedRegressor(linear, **FAST)
    # The simulation phase trains through fit_loop too: let that run.
    monkeypatch.undo()
    est.fit()
    monkeypatch.setattr(NeuralNetRegressor, "fit_loop", interrupted)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est._use_real_data(real.X, real.y + 2.0, est.n_features_in_)
    assert any("zero-shot network is kept" in str(w.message) for w in caught)
    assert est.n_finetune_epochs_ == 0
    np.testing.assert_array_equal(est.predict(test), zero_shot.predict(test))
