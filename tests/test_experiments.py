"""The experiments: quick runs give complete tables, the CLI writes them, and the
pure helpers behind them give known answers."""

import json
import math

import numpy as np
import pytest
from scipy import integrate, stats

from sgnn_sklearn.experiments import EXPERIMENTS, ExperimentResult, run_experiment
from sgnn_sklearn.experiments import __main__ as cli
from sgnn_sklearn.experiments import _model_selection as ms
from sgnn_sklearn.experiments import _parameter_recovery as pr
from sgnn_sklearn.experiments._bayes_selection import bayes_posterior
from sgnn_sklearn.experiments._importance_evidence import log_marginal_likelihood
from sgnn_sklearn.simulators import SEIR, SIR, ExponentialGrowth


def _check_table(result, name, columns, n_rows):
    assert isinstance(result, ExperimentResult)
    assert result.name == name
    assert result.columns == columns
    assert len(result.rows) == n_rows
    assert result.is_complete()
    for row in result.rows:
        for cell in row:
            if not isinstance(cell, str):
                assert math.isfinite(float(cell)), row
    assert result.notes and result.figure is not None


def _check_cli(name, result, tmp_path, monkeypatch):
    """The command line writes the table, notes and figure of ``result``."""
    # The experiment itself ran once already; the CLI is checked on its result.
    monkeypatch.setattr(cli, "run_experiment", lambda *args, **kwargs: result)
    out = tmp_path / "results"
    assert cli.main([name, "--quick", "--seed", "0", "--out", str(out)]) == 0
    for suffix in ("md", "json", "png"):
        assert (out / f"{name}.{suffix}").stat().st_size > 0
    saved = json.loads((out / f"{name}.json").read_text())
    assert saved["columns"] == result.columns
    assert len(saved["rows"]) == len(result.rows)
    assert "seconds" in saved["settings"]


# ---------------------------------------------------------------------------
# exp-a: model-selection and parameter-recovery
# ---------------------------------------------------------------------------


def test_model_selection_quick(tmp_path, monkeypatch):
    result = run_experiment("model-selection", quick=True, seed=0)
    n_rows = len(ms.QUICK["noises"]) * (
        len(ms.QUICK["growth_lengths"]) + len(ms.QUICK["epidemic_lengths"])
    )
    _check_table(result, "model-selection", ms.COLUMNS, n_rows)
    assert [row[0] for row in result.rows] == ["growth", "epidemic"]
    for row in result.rows:
        errors = row[4:8] + row[10:13]
        assert all(0.0 <= e <= 1.0 for e in errors)
        # No decision has a smaller posterior risk than the posterior's own
        # choice: the SGNN's expected error is at least the Bayes one.
        sgnn_expected, bayes_expected, ratio = row[11:14]
        assert sgnn_expected >= bayes_expected
        assert ratio == pytest.approx(sgnn_expected / max(bayes_expected, 1 / row[3]))
    assert any("SGNN" in note and "AIC" in note for note in result.notes)
    _check_cli("model-selection", result, tmp_path, monkeypatch)


def test_posterior_risk_is_the_posterior_mass_of_the_other_mechanisms():
    posterior = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    risk = ms.posterior_risk(posterior, ["a", "b", "c"], np.array(["b", "c"]))
    np.testing.assert_allclose(risk, [0.8, 0.2])
    with pytest.raises(ValueError, match=r"not among the names"):
        ms.posterior_risk(posterior, ["a", "b", "c"], ["a", "d"])


def test_parameter_recovery_quick(tmp_path, monkeypatch):
    result = run_experiment("parameter-recovery", quick=True, seed=0)
    n_methods = 5
    n_rows = (
        len(pr.QUICK["rates"]) * 2 * n_methods + 1 + 2 * len(pr.QUICK["linear_sizes"])
    )
    _check_table(result, "parameter-recovery", pr.COLUMNS, n_rows)
    methods = {row[1] for row in result.rows}
    assert {"SGNN", "maximum likelihood", "rejection ABC", "growth rate"} <= methods
    exact = next(r for r in result.rows if r[1] == "exact posterior mean")
    # The exact posterior mean's MSE over 5000 test draws is its Bayes risk.
    assert exact[4] == pytest.approx(1.0, abs=0.1)
    _check_cli("parameter-recovery", result, tmp_path, monkeypatch)


def test_experiment_registry_points_to_run_functions():
    assert EXPERIMENTS["model-selection"] == ms.__name__
    assert EXPERIMENTS["parameter-recovery"] == pr.__name__


@pytest.mark.parametrize("proposal", ["laplace", "prior"])
def test_log_marginal_likelihood_matches_quadrature(proposal):
    # Three Poisson counts around x0 * exp(r t) with r ~ U(0.1, 0.4) and
    # x0 ~ U(5, 20): the integral over the prior box, by quadrature.
    sim = ExponentialGrowth(n_times=3, noise="poisson")
    X = np.array([[9.0, 12.0, 16.0], [14.0, 22.0, 28.0]])

    def exact(x):
        def density(x0, r):
            mean = x0 * np.exp(r * np.arange(3))
            return np.prod(stats.poisson.pmf(x, mean))

        value, _ = integrate.dblquad(density, 0.1, 0.4, 5.0, 20.0, epsabs=1e-14)
        return np.log(value / (0.3 * 15.0))

    expected = np.array([exact(x) for x in X])
    n_draws = 3000 if proposal == "laplace" else 20000
    estimate = log_marginal_likelihood(
        sim, X, n_draws=n_draws, proposal=proposal, random_state=0
    )
    assert np.abs(estimate - expected).max() < 0.03


def test_log_marginal_likelihood_rejects_non_uniform_priors_and_bad_settings():
    X = np.zeros((1, 5))
    with pytest.raises(ValueError, match="uniform .low, high. priors.*r="):
        log_marginal_likelihood(
            ExponentialGrowth(n_times=5, r=stats.uniform(0.1, 0.3)), X, n_draws=10
        )
    with pytest.raises(ValueError, match="proposal must be 'laplace' or 'prior'"):
        log_marginal_likelihood(
            ExponentialGrowth(n_times=5), X, n_draws=10, proposal="mcmc"
        )
    with pytest.raises(ValueError, match="n_draws must be a positive integer"):
        log_marginal_likelihood(ExponentialGrowth(n_times=5), X, n_draws=0)


def test_bayes_posterior_normalises_with_prior_weights():
    posterior = bayes_posterior(np.log([[1.0, 1.0], [2.0, 6.0]]), weights=[3, 1])
    np.testing.assert_allclose(posterior, [[0.75, 0.25], [0.5, 0.5]])


@pytest.mark.parametrize("model", ["SIR", "SEIR"])
def test_growth_rate_r0_recovers_r0_from_early_mean_incidence(model):
    # Noise-free early incidence (few infected, so the growth is exponential):
    # the growth-rate method is then exact up to the depletion of susceptibles.
    if model == "SIR":
        sim = SIR(n_days=30, noise="poisson", gamma=pr.GAMMA)
        params = [[2.0, pr.GAMMA, 0.5, 1e-4]]
        sigma = None
    else:
        sim = SEIR(n_days=30, noise="poisson", gamma=pr.GAMMA, sigma=pr.SIGMA)
        params = [[2.0, pr.GAMMA, pr.SIGMA, 0.5, 1e-4]]
        sigma = pr.SIGMA
    X = np.round(sim.mean_trajectory(np.array(params)) * 100)
    r0 = pr.growth_rate_r0(X, gamma=pr.GAMMA, sigma=sigma)
    assert r0[0] == pytest.approx(2.0, rel=0.05)


def test_growth_rate_r0_fits_at_most_max_days():
    # Growth at r = 0.2 for 10 days, then at r = 0.05: only a window that
    # stops before day 10 sees the early rate alone.
    days = np.arange(30)
    X = 1e3 * np.exp(np.where(days < 10, 0.2 * days, 2.0 + 0.05 * (days - 10)))[None]
    early = pr.growth_rate_r0(X, gamma=0.2, max_days=10)
    whole = pr.growth_rate_r0(X, gamma=0.2)
    assert early[0] == pytest.approx(2.0, rel=0.01)
    assert whole[0] < 1.8


def test_growth_rate_r0_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 5 days; got shape \\(3,\\)"):
        pr.growth_rate_r0(np.ones(3), gamma=0.2)
    with pytest.raises(ValueError, match="gamma and sigma must be positive"):
        pr.growth_rate_r0(np.ones((1, 10)), gamma=0.0)


# ---------------------------------------------------------------------------
# end of exp-a
# ---------------------------------------------------------------------------
