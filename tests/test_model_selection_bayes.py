"""The model-selection Bayes integral, checked against closed forms and references."""

import numpy as np
import pytest
from scipy import integrate, stats
from sklearn.exceptions import ConvergenceWarning

from sgnn_sklearn.diagnostics import reference_posterior
from sgnn_sklearn.experiments import _model_selection as ms
from sgnn_sklearn.experiments._evidence import _ReportingRateIntegrated, _UniformBox
from sgnn_sklearn.experiments._grid_evidence import grid_log_evidence
from sgnn_sklearn.experiments._importance_evidence import log_marginal_likelihood
from sgnn_sklearn.experiments._ridge_evidence import ridge_log_evidence
from sgnn_sklearn.simulators import SEIR, SIR, ExponentialGrowth, LogisticGrowth


def test_reporting_rate_integrated_exactly():
    sim = SIR(20, noise="poisson")
    box = _UniformBox.of(sim)
    integrated = _ReportingRateIntegrated(sim, box)
    params = sim.sample_params(3, random_state=0)
    X = sim.simulate_from_params(params, random_state=1).X
    # Midpoint rule over rho on its prior (0.2, 0.8), 20,000 cells.
    edges = np.linspace(0.2, 0.8, 20_001)
    rhos = (edges[1:] + edges[:-1]) / 2
    for i in range(3):
        grid = np.repeat(params[[i]], len(rhos), axis=0)
        grid[:, 2] = rhos
        values = sim.log_likelihood(grid, np.repeat(X[[i]], len(rhos), axis=0))
        numeric = np.logaddexp.reduce(values) + np.log(1 / len(rhos))
        exact = integrated.log_likelihood(params[[i]], X[[i]])[0]
        assert exact == pytest.approx(numeric, abs=1e-3)


@pytest.mark.parametrize("cls", [SIR, SEIR])
def test_evidence_matches_the_reference_posteriors_quadrature(cls):
    # R0 and the reporting rate unknown: the grid's evidence is the yardstick.
    kwargs = {"gamma": 1 / 7, "i0": 5e-4, "noise": "poisson"}
    if cls is SEIR:
        kwargs["sigma"] = 1 / 4
    sim = cls(25, **kwargs)
    X = sim.simulate(6, random_state=3).X
    reference = reference_posterior(sim, X)
    assert reference.converged.all()
    # 8,000 draws: at 2,000 the error is up to 0.026 with 8 adaptation rounds
    # and 0.02 with 3 (the random stream, not a bias: 0.004 at 20,000 draws).
    estimate = log_marginal_likelihood(sim, X, n_draws=8000, random_state=0)
    np.testing.assert_allclose(estimate, reference.log_evidence, atol=0.02)


@pytest.mark.slow
def test_bayes_decisions_stable_between_draw_counts():
    # Poisson epidemics, all four parameters of SIR and five of SEIR unknown:
    # the case whose integral did not converge before (19.5% of decisions
    # changed between 250 and 1,000 draws on 400 series; 6.5%, then 4.5%,
    # between 500 and 2,000). On the growth-rate chart 1 of these 40 changes.
    candidates = ms.epidemic_candidates(30, "poisson")
    test = ms.MixtureSimulator(candidates).simulate(40, random_state=5)
    out = ms.bayes_errors(candidates, test.X, np.asarray(test.mechanism), 2000, 0)
    assert out["flips"] <= 0.05


def test_grid_evidence_matches_adaptive_quadrature_to_1e_4():
    # Three Poisson counts around x0 * exp(r t), r ~ U(0.1, 0.4), x0 ~ U(5, 20).
    sim = ExponentialGrowth(n_times=3, noise="poisson")
    X = np.array([[9.0, 12.0, 16.0], [14.0, 22.0, 28.0]])

    def exact(x):
        def density(x0, r):
            return np.prod(stats.poisson.pmf(x, x0 * np.exp(r * np.arange(3))))

        value, _ = integrate.dblquad(density, 0.1, 0.4, 5.0, 20.0, epsabs=1e-14)
        return np.log(value / (0.3 * 15.0))

    expected = np.array([exact(x) for x in X])
    estimate = grid_log_evidence(sim, X, random_state=0)
    np.testing.assert_allclose(estimate, expected, atol=1e-4)
    # The tolerance is tight enough to catch a lattice too coarse: at step 2
    # the error is 0.02-0.03.
    coarse = grid_log_evidence(sim, X, step=2.0, random_state=0)
    assert np.abs(coarse - expected).max() > 1e-3


def test_grid_evidence_matches_the_reference_posteriors_three_parameters():
    # Logistic growth with r, K and x0 unknown: the reference posterior's
    # zoomed midpoint grid (converging towards the lattice: 1e-4 at 64 points
    # per axis) is the yardstick.
    sim = LogisticGrowth(n_times=8, noise="poisson")
    X = sim.simulate(4, random_state=1).X
    reference = reference_posterior(sim, X, n_grid=32)
    assert reference.converged.all()
    estimate = grid_log_evidence(sim, X, random_state=0)
    np.testing.assert_allclose(estimate, reference.log_evidence, atol=1e-3)


def test_grid_evidence_warns_when_the_lattice_runs_out():
    sim = ExponentialGrowth(n_times=1, noise="poisson", r=0.2)
    with pytest.warns(ConvergenceWarning, match="reached its largest extent"):
        grid_log_evidence(sim, [[8.0]], step=0.005, random_state=0)
    with pytest.raises(ValueError, match=r"step must be a number in \(0, 4\]"):
        grid_log_evidence(sim, [[8.0]], step=0.0)


def test_bayes_errors_on_the_grid_compares_a_quarter_of_the_nodes():
    candidates = ms.growth_candidates(12, "poisson")
    test = ms.MixtureSimulator(candidates).simulate(30, random_state=2)
    truth = np.asarray(test.mechanism)
    out = ms.bayes_errors(candidates, test.X, truth, 0, 0, method="grid")
    # Both resolutions are converged on such compact posteriors.
    assert out["flips"] == 0.0
    assert out["full"]["error"] == out["quarter"]["error"] < 0.5
    with pytest.raises(
        ValueError, match="method must be 'importance', 'grid' or 'ridge'"
    ):
        ms.bayes_errors(candidates, test.X, truth, 40, 0, method="quadrature")


def _dense_grid_log_evidence(sim, X, n=600):
    """Brute force: the midpoint rule on n x n cells of the unit square of the
    two free parameters left once the reporting rate is integrated out."""
    box = _UniformBox.of(sim)
    integrated = _ReportingRateIntegrated(sim, box)
    box = box.fixing(integrated.column)
    assert len(box.free) == 2
    u = (np.arange(n) + 0.5) / n
    unit = np.stack(np.meshgrid(u, u, indexing="ij"), -1).reshape(-1, 2)
    params = np.tile(box.low, (len(unit), 1))
    width = (box.high - box.low)[box.free]
    params[:, box.free] = box.low[box.free] + unit * width
    return np.array(
        [
            np.logaddexp.reduce(
                integrated.log_likelihood(params, np.repeat(x[None], len(params), 0))
            )
            - 2 * np.log(n)
            for x in X
        ]
    )


def test_ridge_evidence_matches_a_dense_grid_where_one_lattice_does_not():
    # R0 and i0 unknown (the reporting rate integrated exactly): the growth
    # rate is well identified, R0 and i0 trade off along a curved ridge.
    sim = SIR(12, noise="poisson", gamma=1 / 7)
    X = sim.simulate(3, random_state=4).X[[0, 2]]
    expected = _dense_grid_log_evidence(sim, X)
    estimate = ridge_log_evidence(sim, X, random_state=0)
    np.testing.assert_allclose(estimate, expected, atol=2e-3)
    # The same check fails for one lattice whitened at the mode.
    single = grid_log_evidence(sim, X, random_state=0)
    assert np.abs(single - expected).max() > 0.02


def test_ridge_evidence_matches_the_reference_posterior_three_parameters():
    # R0, gamma and i0 unknown under negative-binomial noise.
    sim = SIR(12, noise="negbin", rho=0.5)
    X = sim.simulate(3, random_state=4).X
    reference = reference_posterior(sim, X, n_grid=32)
    assert reference.converged.all()
    estimate = ridge_log_evidence(sim, X, random_state=0)
    np.testing.assert_allclose(estimate, reference.log_evidence, atol=3e-3)


def test_ridge_evidence_bad_input():
    with pytest.raises(ValueError, match=r"step must be a number in \(0, 4\]"):
        ridge_log_evidence(SIR(5), np.ones((1, 5)), step=5.0)
    with pytest.raises(ValueError, match="at least two free parameters"):
        ridge_log_evidence(
            ExponentialGrowth(n_times=1, noise="poisson", r=0.2), [[8.0]]
        )


def test_bayes_errors_by_the_ridge_converge_on_short_epidemics():
    # The convergence check of the experiment: the full step and a step
    # giving a quarter of the nodes agree on every decision.
    candidates = ms.epidemic_candidates(12, "poisson")
    test = ms.MixtureSimulator(candidates).simulate(6, random_state=2)
    truth = np.asarray(test.mechanism)
    out = ms.bayes_errors(candidates, test.X, truth, 0, 0, method="ridge")
    assert out["flips"] == 0.0
    # 0.08 measured: the coarse step (1.59 sds) is off by that much at worst.
    assert out["max_delta"] < 0.15
