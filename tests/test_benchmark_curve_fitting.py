"""The curve-fitting benchmark: least squares as a user runs it, scored fairly."""

import numpy as np
import pytest

from benchmarks import curve_fitting
from benchmarks.curve_fitting import (
    LEAST_SQUARES,
    least_squares,
    run,
    score,
    slim_reference,
)
from sgnn_sklearn.diagnostics import posterior_mass_inside, reference_posterior
from sgnn_sklearn.simulators import DampedOscillator


def test_least_squares_finds_the_truth_and_stays_in_the_box():
    sim = DampedOscillator(noise_std=0.01)
    data = sim.simulate(10, random_state=0)
    fit = least_squares(sim, data.X)
    np.testing.assert_allclose(fit["mean"], data.y, rtol=0.05)
    # 90% intervals: most of the 30 hold their parameter, and none is empty.
    inside = (fit["lower"] <= data.y) & (data.y <= fit["upper"])
    assert inside.mean() >= 0.7 and np.all(fit["lower"] < fit["upper"])
    low, high = np.array(sim.param_bounds()).T
    wide = least_squares(DampedOscillator(noise_std=3.0), data.X)
    for bound in wide.values():
        assert np.all((bound >= low) & (bound <= high))


def test_score_of_the_reference_itself_is_the_bayes_limit():
    sim = DampedOscillator()
    data = sim.simulate(6, random_state=0)
    post = reference_posterior(sim, data.X, tol=0.5)
    bounds = post.quantiles([0.05, 0.95])
    exact = score(data.y, post, post.mean, bounds[..., 0], bounds[..., 1])
    assert exact["excess / Bayes risk (mean)"] == 0.0
    assert exact["rmse"] == pytest.approx(
        np.sqrt(np.mean((post.mean - data.y) ** 2, axis=0)).tolist()
    )
    assert exact["reference mass in 90%"] == pytest.approx(0.9, abs=1e-3)
    # One posterior sd off everywhere: the excess risk is the Bayes risk.
    off = score(data.y, post, post.mean + post.std)
    expected = np.mean(post.std**2, axis=0) / np.mean(post.std**2, axis=0)
    assert off["excess / Bayes risk"] == pytest.approx(expected.tolist())
    assert np.isnan(off["coverage of truth"])


def test_slim_reference_is_the_full_one_without_its_draws(monkeypatch):
    monkeypatch.setattr(curve_fitting, "REFERENCE_CHUNK", 4)
    sim = DampedOscillator(amplitude=1.0, targets=("damping", "frequency"))
    X = sim.simulate(6, random_state=2).X
    full = reference_posterior(
        sim, X, n_grid=curve_fitting.REFERENCE_GRID, tol=curve_fitting.REFERENCE_TOL
    )
    slim = slim_reference(sim, X)
    assert slim.draws.shape == (6, 0, 3) and slim.weights.shape == (6, 0)
    for name in ("mean", "std", "change", "converged", "log_evidence"):
        np.testing.assert_array_equal(getattr(slim, name), getattr(full, name))
    lower, upper = full.mean - full.std, full.mean + 2 * full.std
    np.testing.assert_array_equal(
        posterior_mass_inside(slim, lower, upper),
        posterior_mass_inside(full, lower, upper),
    )


def test_run_compares_every_method_on_the_same_series():
    out = run(quick=True, n_test=8, n_simulations=200)
    methods = [row["method"] for row in out["rows"]]
    assert methods == [
        "reference posterior (Bayes limit)",
        LEAST_SQUARES,
        "MaximumLikelihoodRegressor",
        "SimulationGroundedRegressor (default)",
        "recipe",
        "previous defaults",
    ]
    assert out["rows"][0]["excess / Bayes risk (mean)"] == 0.0
    assert all(row["excess / Bayes risk (mean)"] > 0 for row in out["rows"][1:])
    rmse = {row["method"]: row["rmse"] for row in out["summary"]}
    for target, method in zip(out["targets"], methods[-3:], strict=True):
        assert method in target["target"]
        assert target["met"] == all(
            a < b for a, b in zip(rmse[method], rmse[LEAST_SQUARES], strict=True)
        )
    assert any("MSE / least squares' MSE" in note for note in out["notes"])
