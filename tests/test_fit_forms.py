"""The fit forms of both estimators, and the errors for what they cannot take."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import FunctionTransformer

from conftest import FAST
from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian, Simulation


def _mse_to_posterior(est, sim, seed=1):
    data = sim.simulate(1000, random_state=seed)
    return float(np.mean((est.predict(data.X) - sim.posterior_mean(data.X)) ** 2))


def test_fit_without_arguments_uses_the_constructor_simulator(linear):
    est = SimulationGroundedRegressor(linear, **FAST).fit()
    assert est.simulator_ is linear
    assert est.n_simulations_ == FAST["n_simulations"]
    assert est.n_features_in_ == 4
    assert est.target_names_ == ("theta0",)
    # Close to the exact posterior mean: much closer than the prior variance 1.
    assert _mse_to_posterior(est, linear) < 0.05


def test_fit_simulator_argument_overrides_constructor(linear):
    other = LinearGaussian(n_features=4, noise_std=0.5, design_seed=3)
    est = SimulationGroundedRegressor(linear, **FAST).fit(other)
    assert est.simulator_ is other
    assert est.simulator is linear  # the parameter is left untouched
    assert _mse_to_posterior(est, other) < 0.05


def test_fit_simulator_rejects_y(linear):
    with pytest.raises(ValueError, match="takes no y"):
        SimulationGroundedRegressor(**FAST).fit(linear, np.zeros(3))


def test_supervised_fit_without_simulator(linear):
    data = linear.simulate(500, random_state=0)
    est = SimulationGroundedRegressor(**FAST).fit(data.X, data.y)
    assert est.simulator_ is None and est.n_simulations_ == 0
    assert est.score(data.X, data.y) > 0.5


def test_fit_X_only_checks_feature_count(linear):
    X = linear.simulate(10, random_state=1).X
    est = SimulationGroundedRegressor(linear, **FAST).fit(X)
    assert est.n_features_in_ == 4
    with pytest.raises(ValueError, match="X has 3 features, but the simulator"):
        SimulationGroundedRegressor(linear, **FAST).fit(X[:, :3])


def test_real_data_ignore_keeps_the_zero_shot_network(linear):
    real = linear.simulate(200, random_state=2)
    zero_shot = SimulationGroundedRegressor(linear, **FAST).fit()
    ignored = SimulationGroundedRegressor(linear, real_data="ignore", **FAST).fit(
        real.X, real.y
    )
    np.testing.assert_array_equal(zero_shot.predict(real.X), ignored.predict(real.X))
    with pytest.raises(ValueError, match="y has 2 targets"):
        SimulationGroundedRegressor(linear, real_data="ignore", **FAST).fit(
            real.X, np.c_[real.y, real.y]
        )


def test_finetune_adapts_to_shifted_real_data(linear):
    # Real data come from a generator whose targets are shifted by +2: the
    # zero-shot network cannot know that; fine-tuning on labelled data learns it.
    real = linear.simulate(400, random_state=3)
    y_real = real.y + 2.0
    zero_shot = SimulationGroundedRegressor(linear, **FAST).fit()
    tuned = SimulationGroundedRegressor(linear, **FAST).fit(real.X, y_real)
    test = linear.simulate(500, random_state=4)
    err_zero = np.mean((zero_shot.predict(test.X) - (test.y + 2.0)) ** 2)
    err_tuned = np.mean((tuned.predict(test.X) - (test.y + 2.0)) ** 2)
    assert err_tuned < 0.5 * err_zero


def test_finetune_lr_sets_the_fine_tuning_rate_only(linear):
    real = linear.simulate(200, random_state=3)
    y_real = real.y + 2.0
    test = linear.simulate(100, random_state=4).X

    def fit(**params):
        return SimulationGroundedRegressor(linear, **FAST, **params).fit(real.X, y_real)

    # By default fine-tuning takes a tenth of the simulation phase's step.
    default, tenth = fit(), fit(finetune_lr=0.1 * FAST["lr"])
    np.testing.assert_array_equal(default.predict(test), tenth.predict(test))
    assert default.net_.optimizer_.param_groups[0]["lr"] == 0.1 * FAST["lr"]
    slow = fit(finetune_lr=1e-6)
    assert slow.net_.optimizer_.param_groups[0]["lr"] == 1e-6
    # At a negligible rate fine-tuning leaves the zero-shot network in place.
    zero_shot = SimulationGroundedRegressor(linear, **FAST).fit()
    np.testing.assert_allclose(slow.predict(test), zero_shot.predict(test), atol=1e-2)
    full = fit(finetune_lr=FAST["lr"])
    assert not np.allclose(full.predict(test), zero_shot.predict(test), atol=0.1)


def test_multi_target_regression():
    sim = LinearGaussian(n_features=6, n_params=2)
    est = SimulationGroundedRegressor(sim, **FAST).fit()
    X = sim.simulate(50, random_state=1).X
    assert est.predict(X).shape == (50, 2)
    assert est.target_names_ == ("theta0", "theta1")


def test_classifier_on_mixture_predicts_mechanisms(mixture):
    clf = SimulationGroundedClassifier(mixture, **FAST).fit()
    assert clf.classes_.tolist() == ["noisy", "quiet"]
    test = mixture.simulate(500, random_state=1)
    proba = clf.predict_proba(test.X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.score(test.X, test.mechanism) > 0.85


def test_classifier_finetune_rejects_unknown_labels(mixture):
    X = mixture.simulate(30, random_state=1).X
    with pytest.raises(ValueError, match=r"labels \['other'\]"):
        SimulationGroundedClassifier(mixture, **FAST).fit(X, ["other"] * 30)


def test_cnn_architecture_learns(linear):
    est = SimulationGroundedRegressor(linear, architecture="cnn", **FAST).fit()
    assert _mse_to_posterior(est, linear) < 0.1


def test_preprocessor_is_fitted_on_simulations_and_applied_at_predict(linear):
    log_shift = FunctionTransformer(lambda X: X * 10.0)
    est = SimulationGroundedRegressor(linear, preprocessor=log_shift, **FAST).fit()
    assert est.preprocessor_ is not log_shift
    assert _mse_to_posterior(est, linear) < 0.05


# -- bad input ------------------------------------------------------------------


def test_fit_with_nothing_says_what_to_pass():
    with pytest.raises(ValueError, match="pass a simulator"):
        SimulationGroundedRegressor().fit()


def test_fit_with_an_object_that_is_neither_data_nor_simulator():
    with pytest.raises(TypeError, match=r"simulate\(n_samples, random_state"):
        SimulationGroundedRegressor().fit(object())


def test_wrong_feature_count_at_predict_names_both_counts(linear):
    est = SimulationGroundedRegressor(linear, **FAST).fit()
    with pytest.raises(ValueError, match="X has 3 features.*expecting 4 features"):
        est.predict(np.zeros((2, 3)))


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        SimulationGroundedRegressor().predict(np.zeros((2, 3)))


class _BadShape:
    def simulate(self, n_samples, random_state=None):
        return Simulation(
            X=np.zeros((n_samples + 1, 3)),
            y=np.zeros(n_samples + 1),
            params=np.zeros((n_samples + 1, 0)),
            feature_names=("a", "b", "c"),
            target_names=("t",),
            param_names=(),
        )


class _NonFinite(_BadShape):
    def simulate(self, n_samples, random_state=None):
        X = np.ones((n_samples, 3))
        X[0, 1] = np.nan
        return Simulation(
            X=X,
            y=np.zeros(n_samples),
            params=np.zeros((n_samples, 1)),
            feature_names=("a", "b", "c"),
            target_names=("t",),
            param_names=("p",),
        )


class _NotASimulation:
    def simulate(self, n_samples, random_state=None):
        return np.zeros((n_samples, 3))


def test_simulator_with_wrong_shape_is_named():
    with pytest.raises(ValueError, match=r"Simulator _BadShape returned X.*expected"):
        SimulationGroundedRegressor(_BadShape(), n_simulations=50).fit()


def test_simulator_with_non_finite_output_is_named():
    # The default fault policy drops the row and says so; "raise" stops fit.
    with pytest.warns(UserWarning, match="1 of 50 simulations from _NonFinite"):
        SimulationGroundedRegressor(_NonFinite(), n_simulations=50).fit()
    with pytest.raises(ValueError, match="Simulator _NonFinite produced NaN or inf"):
        SimulationGroundedRegressor(
            _NonFinite(), n_simulations=50, on_invalid="raise"
        ).fit()


def test_simulator_returning_the_wrong_type_is_named():
    with pytest.raises(TypeError, match="_NotASimulation.simulate returned ndarray"):
        SimulationGroundedRegressor(_NotASimulation(), n_simulations=50).fit()


def test_cuda_without_gpu_is_a_clear_error(linear):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="finds no CUDA GPU"):
        SimulationGroundedRegressor(linear, device="cuda", **FAST).fit()
