"""The running average of the weights: what is averaged, judged and kept."""

import pickle

import numpy as np
import pytest
import torch
from skorch import NeuralNetRegressor
from skorch.callbacks import Callback
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.estimators._averaging import WINDOW, WeightAverage
from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator


class Steps(Callback):
    """The weights after every training step, and before each epoch's first."""

    def on_train_begin(self, net, **kwargs):
        self.initial = _weights(net)
        self.after, self.epoch_starts = [], []

    def on_batch_begin(self, net, training=False, **kwargs):
        if training and len(net.history[-1]["batches"]) == 1:
            self.epoch_starts.append(_weights(net))

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.after.append(_weights(net))


def _weights(net):
    return np.concatenate(
        [p.detach().numpy().ravel().astype(float) for p in net.module_.parameters()]
    )


def _net(callbacks, **kwargs):
    return NeuralNetRegressor(
        torch.nn.Linear,
        module__in_features=3,
        module__out_features=1,
        batch_size=10,
        lr=0.1,
        verbose=0,
        callbacks=callbacks,
        **kwargs,
    )


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=n)).astype(np.float32)
    return X, y[:, None]


def _expected_average(steps):
    average = steps.initial
    for t, after in enumerate(steps.after, start=1):
        average = average + (WINDOW - 1) / (WINDOW + t) * (after - average)
    return average


def test_the_network_kept_is_the_running_average_of_the_stepped_weights():
    steps = Steps()
    average = WeightAverage()
    net = _net([average, steps], train_split=None, max_epochs=3)
    net.fit(*_data())
    assert average.n_steps_ == len(steps.after) == 12
    np.testing.assert_allclose(_weights(net), _expected_average(steps), rtol=1e-5)
    # The average is not the last step's weights, which training would keep.
    assert not np.allclose(_weights(net), steps.after[-1], rtol=1e-3)


def test_each_epoch_resumes_from_the_stepped_weights_not_from_the_average():
    steps = Steps()
    net = _net([WeightAverage(), steps], train_split=None, max_epochs=3)
    net.fit(*_data())
    # Four steps an epoch: epoch 2 starts where step 4 left the weights.
    np.testing.assert_array_equal(steps.epoch_starts[1], steps.after[3])
    np.testing.assert_array_equal(steps.epoch_starts[2], steps.after[7])


def test_the_validation_loss_is_the_averaged_networks():
    X, y = _data()
    Xv, yv = _data(20, seed=1)
    net = _net(
        [WeightAverage()], train_split=predefined_split(Dataset(Xv, yv)), max_epochs=4
    )
    net.fit(X, y)
    with torch.no_grad():
        residual = net.module_(torch.as_tensor(Xv)) - torch.as_tensor(yv)
        loss = float(torch.mean(residual**2))
    assert net.history[-1, "valid_loss"] == pytest.approx(loss, rel=1e-5)


def test_a_spent_average_keeps_no_copy_of_the_weights():
    average = WeightAverage()
    _net([average], train_split=None, max_epochs=2).fit(*_data())
    assert average._average == [] and average._stepped is None


def test_the_estimators_average_deterministically_and_differently():
    sim = LinearGaussian(n_features=4)
    X = sim.simulate(30, random_state=1).X
    params = dict(hidden_layer_sizes=(16,), max_epochs=6, random_state=0)

    def predict(**kwargs):
        est = SimulationGroundedRegressor(sim, 400, **params, **kwargs)
        return est.fit().predict(X)

    averaged = predict(average_weights=True)
    np.testing.assert_array_equal(averaged, predict(average_weights=True))
    assert not np.array_equal(averaged, predict(average_weights=False))
    mix = MixtureSimulator(
        [("a", LinearGaussian(noise_std=0.3)), ("b", LinearGaussian(noise_std=2.0))]
    )
    clf = SimulationGroundedClassifier(mix, 400, average_weights=True, **params).fit()
    plain = SimulationGroundedClassifier(mix, 400, **params).fit()
    Xm = mix.simulate(30, random_state=1).X
    assert not np.array_equal(clf.predict_proba(Xm), plain.predict_proba(Xm))


def test_a_model_pickled_before_average_weights_existed_loads_without_it():
    est = SimulationGroundedRegressor(
        LinearGaussian(n_features=4), 200, hidden_layer_sizes=(8,), max_epochs=2
    ).fit()
    del est.average_weights
    again = pickle.loads(pickle.dumps(est))
    assert again.get_params()["average_weights"] is False
