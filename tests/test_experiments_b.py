"""Experiments misspecification, unobservable and few-labels: quick runs and helpers."""

import math
from numbers import Real

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.experiments import run_experiment
from sgnn_sklearn.experiments._few_labels import N_LABELS, FineTunedCopy
from sgnn_sklearn.experiments._misspecification import (
    PerturbedSIR,
    _delay,
    scenarios,
)
from sgnn_sklearn.experiments._unobservable import has_peaked
from sgnn_sklearn.simulators import SIR

pytest.importorskip("matplotlib")


def _check_table(result, name, columns, n_rows):
    assert result.name == name
    assert result.columns == columns
    assert len(result.rows) == n_rows
    assert result.is_complete()
    for row in result.rows:
        numbers = [cell for cell in row if isinstance(cell, Real)]
        assert numbers and all(math.isfinite(float(cell)) for cell in numbers)
    assert result.notes and result.figure is not None
    assert result.settings["seed"] == 0 and result.settings["mode"] == "quick"


# -- quick runs -----------------------------------------------------------------


def test_misspecification_quick():
    result = run_experiment("misspecification", quick=True, seed=0)
    columns = [
        "test data",
        "gap score",
        "outside support",
        "SGNN RMSE",
        "ML RMSE",
        "ABC RMSE",
        "growth-rate RMSE",
    ]
    _check_table(result, "misspecification", columns, len(scenarios(SIR())))
    assert result.rows[0][0] == "well-specified"
    gaps = [row[1] for row in result.rows]
    assert all(gap > 0 for gap in gaps)
    # The series that leave the simulated support the most are the ones whose
    # noise and timing are both changed.
    assert gaps[-1] > gaps[0]


def test_unobservable_quick():
    result = run_experiment("unobservable", quick=True, seed=0)
    columns = [
        "method",
        "learns from",
        "RMSE (thousands)",
        "median rel. error",
        "median rel. error, peaked",
        "median rel. error, still rising",
    ]
    _check_table(result, "unobservable", columns, 5)
    by_method = {row[0]: row for row in result.rows}
    # Reported cases undercount infections by the reporting rate (at most 0.8),
    # so their median relative error is at least 0.2.
    assert by_method["reported total"][3] >= 0.2


def test_few_labels_quick():
    result = run_experiment("few-labels", quick=True, seed=0)
    columns = ["labels n", "method", "CV RMSE", "CV RMSE sd", "held-out RMSE"]
    _check_table(result, "few-labels", columns, 5 * len(N_LABELS))
    assert [row[0] for row in result.rows[::5]] == list(N_LABELS)
    zero_shot = [row[4] for row in result.rows if row[1].endswith("(no labels)")]
    # The zero-shot SGNN uses no label: its held-out error does not depend on n.
    assert len(set(zero_shot)) == 1


# -- perturbed generators -------------------------------------------------------


def test_perturbed_sir_without_perturbation_is_the_simulator():
    sim = SIR(n_days=40)
    params = sim.sample_params(20, random_state=0)
    np.testing.assert_array_equal(
        PerturbedSIR(sim).mean_incidence(params), sim.mean_trajectory(params)
    )
    # The intervention's own integration, with no effect, is the SIR's.
    no_effect = PerturbedSIR(sim, intervention_day=15, intervention_effect=0.0)
    np.testing.assert_allclose(
        no_effect._intervention_mean(params), sim.mean_trajectory(params), rtol=1e-9
    )


def test_intervention_lowers_incidence_only_after_its_day():
    sim = SIR(n_days=40)
    params = sim.sample_params(20, random_state=0)
    mean = sim.mean_trajectory(params)
    cut = PerturbedSIR(sim, intervention_day=15, intervention_effect=0.5)
    perturbed = cut.mean_incidence(params)
    np.testing.assert_allclose(perturbed[:, :15], mean[:, :15], rtol=1e-9)
    assert (perturbed[:, 16:].sum(axis=1) < mean[:, 16:].sum(axis=1)).all()


def test_delay_is_a_geometric_convolution():
    mean = np.zeros((1, 50))
    mean[0, 0] = 1.0
    delayed = _delay(mean, 3.0)
    # All mass stays (the window is long), with mean delay 3 days.
    assert delayed.sum() == pytest.approx(1.0, abs=1e-5)
    assert (delayed * np.arange(50)).sum() == pytest.approx(3.0, abs=1e-2)
    np.testing.assert_array_equal(_delay(mean, 0.0), mean)


def test_perturbed_sir_overdispersion_widens_the_noise():
    sim = SIR(n_days=30, R0=3.0, gamma=0.2, rho=0.5, i0=1e-3)
    calm = PerturbedSIR(sim).simulate(2000, random_state=0)
    wild = PerturbedSIR(sim, dispersion=1.0).simulate(2000, random_state=0)
    assert wild.X[:, 10].var() > 3 * calm.X[:, 10].var()
    np.testing.assert_array_equal(calm.y, wild.y)
    assert calm.target_names == ("R0",)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dispersion": 0.0}, "dispersion must be positive"),
        ({"delay_mean": -1.0}, "delay_mean must be >= 0"),
        ({"intervention_effect": 1.0}, r"intervention_effect must be in \[0, 1\)"),
        ({"intervention_day": 30}, r"intervention_day must be in \(0, 30\)"),
    ],
)
def test_perturbed_sir_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PerturbedSIR(SIR(n_days=30), **kwargs)


def test_perturbed_sir_needs_an_R0_sir():
    with pytest.raises(ValueError, match="targets=\\('R0',\\)"):
        PerturbedSIR(SIR(targets=("R0", "gamma")))
    with pytest.raises(ValueError, match="noise='negbin'"):
        PerturbedSIR(SIR(noise="poisson"))


# -- classical estimator and other helpers ---------------------------------------


def test_has_peaked_separates_fast_and_slow_epidemics():
    sim = SIR(n_days=60)
    fast = [4.0, 0.25, 0.5, 1e-3, 10.0]
    slow = [1.3, 1 / 14, 0.5, 1e-4, 10.0]
    assert has_peaked(sim, np.array([fast, slow])).tolist() == [True, False]


@pytest.fixture(scope="module")
def tiny_sgnn():
    sim = SIR(n_days=20)
    est = SimulationGroundedRegressor(
        sim, n_simulations=300, max_epochs=3, random_state=0
    )
    real = PerturbedSIR(sim, dispersion=3.0).simulate(30, random_state=1)
    return est, real


def test_fine_tuned_copy_equals_fit_with_real_data(tiny_sgnn):
    est, real = tiny_sgnn
    direct = clone(est).fit(real.X, real.y)
    zero_shot = clone(est).fit()
    copied = FineTunedCopy(zero_shot).fit(real.X, real.y)
    np.testing.assert_array_equal(copied.predict(real.X), direct.predict(real.X))
    # The zero-shot network itself is left as it was.
    np.testing.assert_array_equal(
        zero_shot.predict(real.X), clone(est).fit().predict(real.X)
    )


def test_fine_tuned_copy_survives_clone_and_cross_validation(tiny_sgnn):
    est, real = tiny_sgnn
    zero_shot = clone(est).fit()
    learner = FineTunedCopy(zero_shot, lr_scale=0.1)
    assert clone(learner).zero_shot is zero_shot
    scores = cross_val_score(
        learner, real.X, real.y, cv=3, scoring="neg_root_mean_squared_error"
    )
    assert np.isfinite(scores).all()


def test_fine_tuned_copy_bad_input(tiny_sgnn):
    est, real = tiny_sgnn
    with pytest.raises(ValueError, match="real_data='finetune'"):
        FineTunedCopy(clone(est).set_params(real_data="ignore").fit()).fit(
            real.X, real.y
        )
    with pytest.raises(ValueError, match="lr_scale must be positive"):
        FineTunedCopy(clone(est).fit(), lr_scale=0.0).fit(real.X, real.y)
