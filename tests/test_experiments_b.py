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
from sgnn_sklearn.experiments._misspecification import COLUMNS, broadened, scenarios
from sgnn_sklearn.experiments._unobservable import has_peaked
from sgnn_sklearn.simulators import SIR, LatentSimulator, Overdispersed

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
    _check_table(result, "misspecification", COLUMNS, len(scenarios(SIR())))
    assert result.rows[0][0] == "well-specified"
    assert result.settings["seeds"] == [0]
    gaps = [row[1] for row in result.rows]
    assert all(gap > 0 for gap in gaps)
    # The series that leave the simulated support the most are the ones whose
    # noise and timing are both changed.
    assert gaps[-1] > gaps[0]
    assert any("broad SGNN" in note for note in result.notes)


def test_every_test_generator_lies_inside_the_broadened_simulator():
    sim = SIR(n_days=60)
    as_written, broad = (component for _, component in broadened(sim).simulators)
    assert as_written is sim
    bounds = dict(zip(broad.param_names, broad.param_bounds(), strict=True))
    generators = scenarios(sim)
    for name, reality in generators.items():
        settings = reality.get_params()
        checked = {
            "intervention_day": settings.get("intervention_day", np.inf),
            "intervention_effect": settings.get("intervention_effect", 0.0),
            "delay_mean": settings.get("delay_mean", 0.0),
            "dispersion": settings.get("dispersion", sim.dispersion),
        }
        # The outermost setting of a name is the one that acts (shortest key).
        for key in sorted(settings, key=len, reverse=True):
            for param in checked:
                if key.endswith(param):
                    checked[param] = settings[key]
        for param, value in checked.items():
            low, high = bounds[param]
            if param == "intervention_day" and value == np.inf:
                continue  # no intervention: the prior reaches past the window
            assert low <= value <= high, (name, param, value)
    assert bounds["intervention_day"][1] > sim.n_days


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


# -- test generators ------------------------------------------------------------


def test_scenarios_are_the_simulator_with_public_wrappers():
    sim = SIR(n_days=30)
    generators = scenarios(sim)
    assert generators["well-specified"] is sim
    for name, reality in generators.items():
        assert isinstance(reality, LatentSimulator), name
        assert reality.target_names == ("R0",)
        assert reality.feature_names == sim.feature_names
    # The same parameters give the same epidemic up to the intervention day.
    cut = generators["intervention (beta halved from day 25)"]
    params = cut.sample_params(20, random_state=0)
    before = cut.simulate_latent_from_params(params).X
    np.testing.assert_array_equal(
        before[:, :25], sim.simulate_latent_from_params(params[:, :-2]).X[:, :25]
    )


def test_overdispersed_scenario_widens_the_noise():
    sim = SIR(n_days=30, R0=3.0, gamma=0.2, rho=0.5, i0=1e-3)
    calm = scenarios(sim)["well-specified"].simulate(2000, random_state=0)
    wild = scenarios(sim)["overdispersed reports (k=2)"].simulate(2000, random_state=0)
    assert wild.X[:, 10].var() > 2 * calm.X[:, 10].var()
    np.testing.assert_array_equal(calm.y, wild.y)


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
    reality = Overdispersed(SIR(n_days=20, noise="poisson"), dispersion=3.0)
    real = reality.simulate(30, random_state=1)
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
    with pytest.raises(ValueError, match="lr_scale must be positive or None"):
        FineTunedCopy(clone(est).fit(), lr_scale=0.0).fit(real.X, real.y)
