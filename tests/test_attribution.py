"""explain_mechanism: back-to-simulation attribution, consistent with the posterior."""

import sys

import numpy as np
import pytest
from _fitted_estimators import (
    BUDGET,
    fitted_classifier,
    fitted_regressor,
    linear,
    overlapping_mixture,
)
from sklearn.exceptions import NotFittedError

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.attribution import MechanismExplanation, explain_mechanism
from sgnn_sklearn.diagnostics import interval_coverage, reliability_curve
from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator, simulate_chunked


@pytest.fixture(scope="module", name="overlapping_mixture")
def overlapping_mixture_fixture():
    return overlapping_mixture()


@pytest.fixture(scope="module")
def classifier():
    return fitted_classifier()


@pytest.fixture(scope="module")
def mixture_test(overlapping_mixture):
    return overlapping_mixture.simulate(1000, random_state=7)


@pytest.fixture(scope="module", name="linear")
def linear_fixture():
    return linear()


@pytest.fixture(scope="module")
def regressor():
    return fitted_regressor()


def test_mechanism_shares_agree_with_predict_proba(classifier, mixture_test):
    proba = classifier.predict_proba(mixture_test.X)
    assert np.mean(proba.max(axis=1) < 0.9) > 0.1  # the task is ambiguous
    explanation = classifier.explain_mechanism(mixture_test.X, n_neighbors=100)
    assert explanation.mechanism_names == tuple(classifier.classes_)
    np.testing.assert_allclose(explanation.mechanism_proba.sum(axis=1), 1.0)
    assert np.abs(explanation.mechanism_proba - proba).mean() < 0.05


def test_mechanism_shares_are_calibrated(classifier, mixture_test):
    explanation = classifier.explain_mechanism(mixture_test.X, n_neighbors=100)
    curve = reliability_curve(
        mixture_test.mechanism, explanation.mechanism_proba, explanation.mechanism_names
    )
    assert curve.expected_calibration_error < 0.05


def test_parameter_intervals_cover_at_their_nominal_rate(regressor, linear):
    test = linear.simulate(1000, random_state=8)
    explanation = regressor.explain_mechanism(test.X, n_neighbors=100, coverage=0.9)
    coverage = interval_coverage(
        test.params, explanation.param_lower, explanation.param_upper
    )
    assert 0.86 <= coverage[0] <= 0.94
    # and they are informative: about as wide as the exact posterior's
    exact_width = 2 * 1.645 * linear.posterior_std()[0]
    width = np.mean(explanation.param_upper - explanation.param_lower)
    assert 0.8 < width / exact_width < 1.25


def test_single_mechanism_gives_parameter_attribution_only(regressor, linear):
    explanation = regressor.explain_mechanism(
        linear.simulate(5, random_state=1).X, n_neighbors=30
    )
    assert explanation.mechanism_names is None
    assert explanation.mechanism_proba is None
    assert explanation.neighbor_mechanism is None
    assert explanation.param_names == ("theta0",)
    assert explanation.param_mean.shape == (5, 1)
    assert np.all(explanation.param_lower <= explanation.param_mean)
    assert np.all(explanation.param_mean <= explanation.param_upper)


def test_neighbors_are_training_simulations_nearest_first(regressor, linear):
    explanation = regressor.explain_mechanism(
        linear.simulate(4, random_state=1).X, n_neighbors=25
    )
    assert explanation.neighbor_index.shape == (4, 25)
    assert np.all(np.diff(explanation.neighbor_distance, axis=1) >= 0)
    np.testing.assert_allclose(explanation.neighbor_weight.sum(axis=1), 1.0)
    # the indices are rows of the simulations drawn at fit
    drawn = simulate_chunked(
        linear, regressor.n_simulations_, random_state=regressor._seeds["simulate"]
    )
    np.testing.assert_array_equal(
        drawn.params[explanation.neighbor_index], explanation.neighbor_params
    )
    n_valid = regressor._n_validation(regressor.n_simulations_)
    assert explanation.neighbor_index.min() >= n_valid  # never the held-out share


def test_regressor_on_a_mixture_attributes_mechanisms(
    overlapping_mixture, mixture_test
):
    est = SimulationGroundedRegressor(
        overlapping_mixture, **dict(BUDGET, max_epochs=10)
    ).fit()
    explanation = est.explain_mechanism(mixture_test.X[:20], n_neighbors=50)
    assert explanation.mechanism_proba.shape == (20, 2)
    assert set(np.unique(explanation.neighbor_mechanism)) <= {"noisy", "quiet"}


def test_mixture_without_shared_target_works_on_the_classifier():
    mix = MixtureSimulator(
        [
            ("one", LinearGaussian(n_features=4, n_params=1)),
            ("two", LinearGaussian(n_features=4, n_params=2, noise_std=2.0)),
        ]
    )
    assert mix.target_names == ()
    clf = SimulationGroundedClassifier(
        mix, **dict(BUDGET, n_simulations=1500, max_epochs=10)
    ).fit()
    X = mix.simulate(30, random_state=2).X
    explanation = clf.explain_mechanism(X, n_neighbors=40)
    assert explanation.param_names == ("theta0", "theta1")
    assert explanation.mechanism_proba.shape == (30, 2)
    # theta1 exists for mechanism "two" only: summarised over those neighbours
    only_one = (
        explanation.mechanism_proba[:, list(explanation.mechanism_names).index("two")]
        == 0
    )
    assert np.all(np.isnan(explanation.param_mean[only_one, 1]))
    assert np.all(np.isfinite(explanation.param_mean[~only_one, 1]))
    assert np.all(np.isfinite(explanation.param_mean[:, 0]))


def test_gaussian_kernel_weighs_nearer_neighbors_more(classifier, mixture_test):
    explanation = classifier.explain_mechanism(
        mixture_test.X[:10], n_neighbors=50, kernel="gaussian"
    )
    assert np.all(np.diff(explanation.neighbor_weight, axis=1) <= 1e-12)
    np.testing.assert_allclose(explanation.mechanism_proba.sum(axis=1), 1.0)


def test_bank_is_refreshed_after_finetuning(linear):
    real = linear.simulate(200, random_state=3)
    est = SimulationGroundedRegressor(
        linear, **dict(BUDGET, n_simulations=800, max_epochs=5)
    ).fit(real.X, real.y)
    bank = est.memory_bank_
    np.testing.assert_allclose(bank.embeddings, est._embed_inputs(bank.inputs))


def test_memory_bank_size_bounds_the_bank(linear):
    est = SimulationGroundedRegressor(
        linear, memory_bank_size=150, **dict(BUDGET, n_simulations=600, max_epochs=2)
    ).fit()
    assert len(est.memory_bank_) == 150
    with pytest.raises(
        ValueError, match="larger than the memory bank, which holds 150"
    ):
        est.explain_mechanism(linear.simulate(2, random_state=0).X, n_neighbors=151)


def test_explanation_is_deterministic(regressor, linear):
    X = linear.simulate(5, random_state=4).X
    a = regressor.explain_mechanism(X, n_neighbors=20)
    b = explain_mechanism(regressor, X, n_neighbors=20)
    np.testing.assert_array_equal(a.neighbor_index, b.neighbor_index)
    np.testing.assert_array_equal(a.param_upper, b.param_upper)


def test_explanation_survives_pickling(regressor, linear):
    import pickle

    X = linear.simulate(5, random_state=4).X
    restored = pickle.loads(pickle.dumps(regressor))
    np.testing.assert_array_equal(
        restored.explain_mechanism(X, 20).neighbor_index,
        regressor.explain_mechanism(X, 20).neighbor_index,
    )


# -- bad input ------------------------------------------------------------------


def test_before_fit_raises_not_fitted():
    for est in (SimulationGroundedRegressor(), SimulationGroundedClassifier()):
        with pytest.raises(NotFittedError):
            est.explain_mechanism(np.zeros((2, 3)))


def test_fitted_without_simulator_says_there_are_no_mechanisms():
    X, y = np.random.default_rng(0).normal(size=(40, 3)), np.r_[[0] * 20, [1] * 20]
    clf = SimulationGroundedClassifier(max_epochs=2).fit(X, y)
    assert clf.memory_bank_ is None
    with pytest.raises(ValueError, match="fit\\(X, y\\) and no simulator"):
        clf.explain_mechanism(X)


def test_memory_bank_size_zero_says_so(linear):
    est = SimulationGroundedRegressor(
        linear, memory_bank_size=0, **dict(BUDGET, n_simulations=300, max_epochs=2)
    ).fit()
    with pytest.raises(ValueError, match="memory_bank_size=0"):
        est.explain_mechanism(linear.simulate(2, random_state=0).X)


@pytest.mark.parametrize("n_neighbors", [0, -3, 2.5, True, "10"])
def test_bad_n_neighbors(regressor, linear, n_neighbors):
    with pytest.raises(ValueError, match="n_neighbors must be a positive integer"):
        regressor.explain_mechanism(linear.simulate(2, random_state=0).X, n_neighbors)


def test_n_neighbors_larger_than_the_bank(regressor, linear):
    with pytest.raises(ValueError, match="larger than the memory bank"):
        regressor.explain_mechanism(
            linear.simulate(2, random_state=0).X,
            n_neighbors=len(regressor.memory_bank_) + 1,
        )


def test_bad_kernel_and_coverage(regressor, linear):
    X = linear.simulate(2, random_state=0).X
    with pytest.raises(ValueError, match="kernel must be"):
        regressor.explain_mechanism(X, 10, kernel="tophat")
    with pytest.raises(ValueError, match="coverage must be"):
        regressor.explain_mechanism(X, 10, coverage=1.0)


def test_wrong_number_of_features(regressor):
    with pytest.raises(ValueError, match="features"):
        regressor.explain_mechanism(np.zeros((2, 7)), 10)


# -- frame and plot -------------------------------------------------------------


def test_to_frame(classifier, mixture_test):
    pd = pytest.importorskip("pandas")
    frame = classifier.explain_mechanism(mixture_test.X[:6], 30).to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [
        "proba_noisy",
        "proba_quiet",
        "theta0_mean",
        "theta0_lower",
        "theta0_upper",
        "nearest_distance",
    ]
    assert len(frame) == 6


def test_plot(classifier, mixture_test):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    explanation = classifier.explain_mechanism(mixture_test.X[:3], 30)
    fig = explanation.plot(2)
    assert len(fig.axes) == 2
    with pytest.raises(IndexError, match="out of range"):
        explanation.plot(3)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_clear_import_errors_without_pandas_or_matplotlib(
    regressor, linear, monkeypatch
):
    explanation = regressor.explain_mechanism(linear.simulate(2, random_state=0).X, 5)
    assert isinstance(explanation, MechanismExplanation)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        explanation.to_frame()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        explanation.plot(0)
