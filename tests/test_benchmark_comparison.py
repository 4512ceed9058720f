"""The comparison benchmark scores every method against the reference posterior."""

import numpy as np
import pytest

from benchmarks.comparison import _run_seed, problems, score, summarise
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
        rows += _run_seed("LG", sim, test, post, 300, seed, npe=False)
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
