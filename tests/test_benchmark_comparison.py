"""The comparison benchmark scores every method against the reference posterior."""

import numpy as np
import pytest

from benchmarks.__main__ import _targets
from benchmarks.comparison import (
    ENSEMBLES,
    OPTIONS,
    _run_seed,
    option_label,
    problems,
    score,
    summarise,
)
from sgnn_sklearn.diagnostics import reference_posterior
from sgnn_sklearn.simulators import LinearGaussian


def test_score_against_the_exact_posterior():
    sim = LinearGaussian()
    post = reference_posterior(sim, sim.simulate(100, random_state=0).X)
    z = 1.6448536269514722
    exact = score(post, post.mean, post.mean - z * post.std, post.mean + z * post.std)
    assert exact["posterior_mean_error"] == 0.0
    assert exact["mass in 90%"] == pytest.approx(0.9, abs=1e-4)
    assert exact["mass in 90%, worst decile"] == pytest.approx(0.9, abs=1e-4)
    shifted = score(post, post.mean + post.std, post.mean, post.mean + 2 * post.std)
    assert shifted["error / posterior var"] == pytest.approx(1.0)
    assert shifted["mass in 90%"] == pytest.approx(0.4772, abs=1e-3)
    no_interval = score(post, post.mean)
    assert np.isnan(no_interval["mass in 90%"])


def test_methods_scored_on_the_same_observations_and_summarised():
    sim = LinearGaussian(n_features=3)
    test = sim.simulate(30, random_state=1)
    post = reference_posterior(sim, test.X)
    rows = []
    for seed in (0, 1):
        rows += _run_seed("LG", sim, test, post, 300, seed, npe=False, options=())
    assert {r["method"].split(" ")[0] for r in rows} == {
        "SimulationGroundedRegressor",
        "MLPRegressor",
    }
    summary = summarise(rows)
    assert len(summary) == 2 and summary[0]["seeds"] == "0,1"
    sgnn = [r for r in rows if r["method"].startswith("Simulation")]
    mean_error = np.mean([r["posterior_mean_error"] for r in sgnn])
    assert summary[0]["posterior_mean_error"] == pytest.approx(mean_error)
    assert 0 < summary[0]["mass in 90%"] <= 1


def test_six_problems_each_with_a_converged_reference_posterior():
    found = problems()
    assert len(found) == 6
    for name, sim in found.items():
        post = reference_posterior(sim, sim.simulate(3, random_state=2).X)
        assert post.converged.all(), name


def _figures(row):
    return {k: v for k, v in row.items() if k not in ("cpu_s", "wall_s")}


def test_ensemble_rows_leave_the_other_rows_as_they_were():
    sim = LinearGaussian(n_features=3)
    test = sim.simulate(30, random_state=1)
    post = reference_posterior(sim, test.X)
    alone = _run_seed("LG", sim, test, post, 300, 0, npe=False, options=())
    params = {"n_estimators": 2, "hidden_layer_sizes": (8,)}
    rows = _run_seed("LG", sim, test, post, 300, 0, npe=False, options=(params,))
    assert [_figures(r) for r in rows[:2]] == [_figures(r) for r in alone]
    assert [r["method"] for r in rows[2:]] == [
        "SimulationGroundedRegressor (n_estimators=2, hidden_layer_sizes=(8,))"
    ]
    assert rows[2]["posterior_mean_error"] != rows[0]["posterior_mean_error"]
    assert 0 < rows[2]["mass in 90%"] <= 1 and rows[2]["cpu_s"] > 0


def test_the_suite_scores_ensembles_of_three_and_five():
    assert [p["n_estimators"] for p in ENSEMBLES] == [3, 5, 5]
    assert option_label(ENSEMBLES[0]) == (
        "SimulationGroundedRegressor (n_estimators=3)"
    )


def test_the_suite_also_scores_the_previous_training_defaults():
    assert OPTIONS[: len(ENSEMBLES)] == ENSEMBLES and len(OPTIONS) == 5
    assert OPTIONS[len(ENSEMBLES)] == {"interval_method": "mixture"}
    assert option_label(OPTIONS[-1]) == (
        "SimulationGroundedRegressor (lr_schedule='constant', n_iter_no_change=10, "
        "max_epochs=100, validation_fraction=0.1)"
    )


def test_each_regressor_row_is_a_target_against_mlp_and_npe_only():
    def row(method, error, cpu):
        return {
            "problem": "P",
            "n_simulations": 10,
            "method": method,
            "posterior_mean_error": error,
            "cpu_s": cpu,
            "mass in 90%": 0.9,
            "mass in 90%, worst decile": 0.85,
        }

    rows = [
        row("SimulationGroundedRegressor (default)", 1.0, 1.0),
        row("MLPRegressor (StandardScaler, early_stopping)", 2.0, 1.0),
        row("sbi NPE (1000 samples)", 1.0, 20.0),
        row("SimulationGroundedRegressor (n_estimators=3)", 0.5, 3.0),
    ]
    found = {t["target"]: t for t in _targets({"comparison": {"rows": rows}})}
    assert len(found) == 6
    assert found["P at 10: posterior-mean error <= 0.8x MLPRegressor"]["met"]
    npe = "P at 10: posterior-mean error <= 0.8x sbi NPE, in <= 1/4 of its CPU time"
    assert not found[npe]["met"] and found[npe]["measured"].startswith("1.00x")
    ensemble = "P at 10, n_estimators=3: posterior-mean error <= 0.8x"
    assert found[f"{ensemble} MLPRegressor"]["measured"] == "0.25x"
    assert found[f"{ensemble} sbi NPE, in <= 1/4 of its CPU time"]["met"]
