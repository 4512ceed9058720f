"""Estimators set torch's thread count for their own work, then restore the caller's."""

import numpy as np
import pytest
import torch

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.estimators._networks import MLP
from sgnn_sklearn.simulators import LinearGaussian

# Batches of 512 rows over 20 features: large enough for torch to split the
# matrix products of training between two threads, so that a fit with 1 and
# with 2 threads rounds differently (with the default batch of 128 they agree).
SPLIT = dict(
    n_simulations=2000, max_epochs=2, batch_size=512, random_state=0, verbose=0
)
SIM = LinearGaussian(n_features=20)


class ThreadRecordingMLP(MLP):
    """An MLP that records torch's thread count whenever it embeds a batch."""

    seen: list[int] = []

    def embed(self, X):
        ThreadRecordingMLP.seen.append(torch.get_num_threads())
        return super().embed(X)


@pytest.fixture
def caller_threads():
    """Run the test with the caller at 2 threads; put the original back after."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(before)


def _fit_predict(caller, **params):
    torch.set_num_threads(caller)
    est = SimulationGroundedRegressor(SIM, **SPLIT, **params).fit()
    return est.predict(SIM.simulate(200, random_state=1).X)


def test_fit_and_predict_use_n_threads_and_restore_the_callers(caller_threads):
    ThreadRecordingMLP.seen = []
    est = SimulationGroundedRegressor(
        SIM, 200, max_epochs=1, architecture=ThreadRecordingMLP, random_state=0
    ).fit()
    assert torch.get_num_threads() == caller_threads
    est.predict(SIM.simulate(5, random_state=1).X)
    est.explain_mechanism(SIM.simulate(5, random_state=1).X, n_neighbors=5)
    est.simulation_gap(SIM.simulate(5, random_state=1).X)
    assert torch.get_num_threads() == caller_threads
    assert ThreadRecordingMLP.seen and set(ThreadRecordingMLP.seen) == {1}


def test_classifier_predict_proba_uses_n_threads(caller_threads):
    X = np.r_[np.zeros((30, 2)), np.ones((30, 2))]
    y = np.r_[np.zeros(30), np.ones(30)]
    clf = SimulationGroundedClassifier(
        architecture=ThreadRecordingMLP, max_epochs=1, random_state=0
    ).fit(X, y)
    ThreadRecordingMLP.seen = []
    clf.predict(X)
    assert set(ThreadRecordingMLP.seen) == {1}
    assert torch.get_num_threads() == caller_threads


@pytest.mark.parametrize("method", ["pinball", "mixture"])
def test_learnt_quantiles_use_n_threads(caller_threads, method):
    est = SimulationGroundedRegressor(
        SIM,
        200,
        max_epochs=1,
        architecture=ThreadRecordingMLP,
        interval_method=method,
        random_state=0,
    ).fit()
    ThreadRecordingMLP.seen = []
    est.predict_quantiles(SIM.simulate(5, random_state=1).X, [0.1, 0.9])
    est.predict_interval(SIM.simulate(5, random_state=1).X)
    assert ThreadRecordingMLP.seen and set(ThreadRecordingMLP.seen) == {1}
    assert torch.get_num_threads() == caller_threads


def test_none_follows_the_callers_setting(caller_threads):
    ThreadRecordingMLP.seen = []
    SimulationGroundedRegressor(
        SIM,
        200,
        max_epochs=1,
        architecture=ThreadRecordingMLP,
        n_threads=None,
        random_state=0,
    ).fit()
    assert set(ThreadRecordingMLP.seen) == {caller_threads}


def test_results_do_not_depend_on_the_callers_thread_count(caller_threads):
    assert np.array_equal(_fit_predict(1), _fit_predict(2))
    assert np.array_equal(_fit_predict(1, n_threads=2), _fit_predict(2, n_threads=2))
    # What n_threads guards against: torch's own result can change with the
    # count. Whether it does here depends on the machine and its load (it did
    # on an idle 2-core machine, not on the same machine at load 8), so it is
    # reported, not asserted.
    if np.array_equal(_fit_predict(1, n_threads=None), _fit_predict(2, n_threads=None)):
        pytest.skip(
            "the checks above passed; torch itself rounded alike with 1 and 2 "
            "threads on this machine, so what they guard against did not show"
        )


def test_an_exception_inside_fit_still_restores_the_callers_setting(caller_threads):
    with pytest.raises(ValueError, match="too few for early stopping"):
        SimulationGroundedRegressor(SIM, 5).fit()
    assert torch.get_num_threads() == caller_threads


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_bad_n_threads_is_refused_at_fit(bad):
    with pytest.raises(ValueError, match="n_threads"):
        SimulationGroundedRegressor(SIM, 100, n_threads=bad).fit()
