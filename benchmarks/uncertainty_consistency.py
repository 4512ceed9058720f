"""Measure issue 3's figures: uncertainty, attribution consistency, simulation gap.

Run from the project root::

    python benchmarks/uncertainty_consistency.py            # seed 0, 10k sims
    python benchmarks/uncertainty_consistency.py --seeds 0 1 2

Every figure is measured on held-out simulations (fresh seeds), never on the
training simulations. Printed:

1. Regressor uncertainty. On ``LinearGaussian`` (exact posterior): coverage
   of 90% intervals (target 0.88-0.92), predicted std against the exact
   posterior std (target within 10%), the coverage curve and SBC ranks, and
   the MSE to the exact posterior mean with and without the variance head
   (same seed). On a heteroscedastic scale model (posterior by quadrature):
   coverage and std error where the posterior std varies tenfold.
2. Attribution. A classifier on two mixtures whose mechanisms overlap: the
   mean absolute difference between ``explain_mechanism``'s mechanism shares
   and ``predict_proba`` (target < 0.05), the expected calibration error of
   both, and the coverage of the neighbours' 90% parameter intervals.
3. Simulation gap. A regressor trained on ``LinearGaussian(noise_std=1)``
   scores data from misspecified generators (more noise, shifted inputs, a
   wider prior): the gap score and share outside the support against the
   prediction error, with their rank correlation.
4. Fit-time warning. The same simulator fitted with real ``X`` from those
   generators: whether ``fit`` raises a ``SimulationGapWarning`` (it should
   when most real rows lie outside the simulated support) and the share of
   rows outside.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import torch
from scipy.stats import spearmanr

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.diagnostics import (
    SimulationGapWarning,
    coverage_curve,
    interval_coverage,
    posterior_draws,
    reliability_curve,
    sbc_ranks,
)
from sgnn_sklearn.estimators._inference import ReproducibleNetRegressor
from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator, Simulator

N_TEST = 10_000


class SquaredLossOnly(SimulationGroundedRegressor):
    """The regressor without its variance head: the plain squared-loss network.

    Everything but the head is the regressor's own (the training loop, the
    ensemble members, fresh observation noise), so its means must equal the
    regressor's bit for bit: the head is fitted after the network, on its
    embeddings, and never changes the mean.
    """

    def _make_net(self, **kwargs):
        return ReproducibleNetRegressor(
            criterion=torch.nn.MSELoss, **self._with_recipe(kwargs)
        )

    def _fit_uncertainty(self, *args, **kwargs):
        """No variance head."""

    def predict(self, X):
        scaled = self.net_.predict(self._network_inputs(X)).astype(np.float64)
        return self.target_scaler_.inverse_transform(scaled)[:, 0]


class Scale(Simulator):
    """x_i ~ N(theta, (0.5 theta)^2), theta ~ U(0.2, 2): heteroscedastic posterior."""

    prior_params = ("theta",)

    def __init__(self, n_features=5, theta=(0.2, 2.0)):
        self.n_features = n_features
        self.theta = theta

    @property
    def feature_names(self):
        return tuple(f"x{i}" for i in range(self.n_features))

    @property
    def target_names(self):
        return ("theta",)

    def generate(self, params, rng):
        theta = params[:, :1]
        noise = rng.standard_normal((len(theta), self.n_features))
        return theta + 0.5 * theta * noise, params[:, 0]

    def posterior(self, X):
        """Posterior mean, std and CDF on a grid, by quadrature."""
        grid = np.linspace(*self.theta, 4000)
        scale = 0.5 * grid
        loglik = (-0.5 * ((X[:, :, None] - grid) / scale) ** 2).sum(1)
        loglik -= self.n_features * np.log(scale)
        weights = np.exp(loglik - loglik.max(1, keepdims=True))
        weights /= weights.sum(1, keepdims=True)
        mean = weights @ grid
        std = np.sqrt(weights @ grid**2 - mean**2)
        return mean, std, grid, np.cumsum(weights, 1)


def timed_fit(est, *args):
    start = time.perf_counter()
    est.fit(*args)
    return est, time.perf_counter() - start


def regressor_uncertainty(seed: int, n_simulations: int) -> None:
    print(f"\n## 1. Regressor uncertainty (seed {seed}, {n_simulations} simulations)")
    for n_params in (1, 3):
        sim = LinearGaussian(n_features=5, n_params=n_params)
        test = sim.simulate(N_TEST, random_state=10_000 + seed)
        est, seconds = timed_fit(
            SimulationGroundedRegressor(sim, n_simulations, random_state=seed)
        )
        mean, std = est.predict(test.X, return_std=True)
        lower, upper = est.predict_interval(test.X, coverage=0.9)
        y = test.y.reshape(N_TEST, -1)
        std = std.reshape(N_TEST, -1)
        exact_std = sim.posterior_std()
        ratio = std / exact_std
        coverage = np.atleast_1d(interval_coverage(test.y, lower, upper))
        curve = coverage_curve(est, test.X, test.y)
        draws = posterior_draws(est, test.X[:2000], 99, random_state=seed)
        sbc = sbc_ranks(test.y[:2000], draws)
        print(
            f"LinearGaussian(n_params={n_params}) fit {seconds:.1f}s, "
            f"{est.n_epochs_} epochs"
        )
        for j in range(n_params):
            print(
                f"  theta{j}: 90% coverage {coverage[j]:.4f} | mean std / exact "
                f"{ratio[:, j].mean():.3f} | median |std/exact - 1| "
                f"{np.median(np.abs(ratio[:, j] - 1)):.3f} | share within 10% "
                f"{np.mean(np.abs(ratio[:, j] - 1) < 0.1):.3f}"
            )
        print(
            f"  coverage curve {np.round(curve.nominal, 2).tolist()} -> "
            f"{np.round(curve.observed, 3).tolist()}; max error "
            f"{curve.max_error:.3f}"
        )
        print(
            f"  SBC ranks (99 Gaussian draws, 2000 sims): chi-square p "
            f"{np.round(np.atleast_1d(sbc.pvalue()), 3).tolist()}"
        )
        if n_params == 1:
            plain, plain_seconds = timed_fit(
                SquaredLossOnly(
                    sim, n_simulations, random_state=seed, memory_bank_size=0
                )
            )
            exact = sim.posterior_mean(test.X)
            mse_head = np.mean((mean - exact) ** 2)
            mse_plain = np.mean((plain.predict(test.X) - exact) ** 2)
            print(
                f"  MSE to the exact posterior mean: with variance head "
                f"{mse_head:.6f}, without {mse_plain:.6f} (bit-identical means: "
                f"{np.array_equal(mean, plain.predict(test.X))}); fit "
                f"{seconds:.1f}s vs {plain_seconds:.1f}s; Bayes risk "
                f"{sim.bayes_risk():.4f}, model MSE to theta "
                f"{np.mean((mean - y[:, 0]) ** 2):.4f}"
            )

    sim = Scale()
    test = sim.simulate(N_TEST, random_state=20_000 + seed)
    est, seconds = timed_fit(
        SimulationGroundedRegressor(sim, n_simulations, random_state=seed)
    )
    _, std = est.predict(test.X, return_std=True)
    lower, upper = est.predict_interval(test.X)
    _, exact_std, grid, cdf = sim.posterior(test.X)
    mass = np.array(
        [
            np.interp(u, grid, c) - np.interp(lo, grid, c)
            for lo, u, c in zip(lower, upper, cdf, strict=True)
        ]
    )
    print(
        f"Scale (heteroscedastic; exact std {exact_std.min():.3f} to "
        f"{exact_std.max():.3f}) fit {seconds:.1f}s: 90% coverage "
        f"{interval_coverage(test.y, lower, upper):.4f} | exact posterior mass "
        f"of the intervals {mass.mean():.4f} | median |std/exact - 1| "
        f"{np.median(np.abs(std / exact_std - 1)):.3f} | corr(std, exact) "
        f"{np.corrcoef(std, exact_std)[0, 1]:.3f}"
    )
    quartiles = np.quantile(exact_std, [0, 0.25, 0.5, 0.75, 1])
    inside = (lower <= test.y) & (test.y <= upper)
    for low, high in zip(quartiles[:-1], quartiles[1:], strict=True):
        rows = (exact_std >= low) & (exact_std <= high)
        print(
            f"  exact std {low:.3f}-{high:.3f}: coverage {inside[rows].mean():.3f}"
            f", median std / exact {np.median(std[rows] / exact_std[rows]):.3f}"
        )


def attribution(seed: int, n_simulations: int) -> None:
    print(f"\n## 2. Attribution (seed {seed}, {n_simulations} simulations)")
    mixtures = {
        "noise levels 0.5 vs 1.5": MixtureSimulator(
            [
                ("quiet", LinearGaussian(noise_std=0.5)),
                ("noisy", LinearGaussian(noise_std=1.5)),
            ]
        ),
        "design matrices 0 vs 1": MixtureSimulator(
            [
                ("a", LinearGaussian(design_seed=0)),
                ("b", LinearGaussian(design_seed=1)),
            ]
        ),
    }
    for name, mix in mixtures.items():
        test = mix.simulate(2000, random_state=30_000 + seed)
        clf, seconds = timed_fit(
            SimulationGroundedClassifier(mix, n_simulations, random_state=seed)
        )
        proba = clf.predict_proba(test.X)
        ece_clf = reliability_curve(test.mechanism, proba, clf.classes_)
        print(
            f"mixture, {name}: fit {seconds:.1f}s, accuracy "
            f"{np.mean(clf.predict(test.X) == test.mechanism):.3f}, share of "
            f"ambiguous rows (max proba < 0.9) {np.mean(proba.max(1) < 0.9):.2f}, "
            f"predict_proba ECE {ece_clf.expected_calibration_error:.4f}"
        )
        for k in (50, 100, 200):
            for kernel in ("uniform", "gaussian"):
                explanation = clf.explain_mechanism(test.X, k, kernel=kernel)
                mad = np.abs(explanation.mechanism_proba - proba).mean()
                ece = reliability_curve(
                    test.mechanism,
                    explanation.mechanism_proba,
                    explanation.mechanism_names,
                )
                coverage = interval_coverage(
                    test.params, explanation.param_lower, explanation.param_upper
                )
                print(
                    f"  n_neighbors={k:3d} {kernel:8s}: mean |share - proba| "
                    f"{mad:.4f} | shares ECE {ece.expected_calibration_error:.4f} "
                    f"| 90% parameter-interval coverage {coverage[0]:.3f}"
                )
    for n_params in (1, 3):
        sim = LinearGaussian(n_params=n_params)
        test = sim.simulate(2000, random_state=40_000 + seed)
        est, _ = timed_fit(
            SimulationGroundedRegressor(sim, n_simulations, random_state=seed)
        )
        explanation = est.explain_mechanism(test.X, 100)
        coverage = interval_coverage(
            test.params, explanation.param_lower, explanation.param_upper
        )
        width = (explanation.param_upper - explanation.param_lower).mean(0)
        exact_width = 2 * 1.6449 * sim.posterior_std()
        sbc = sbc_ranks(test.params, explanation.neighbor_params)
        print(
            f"regressor on LinearGaussian(n_params={n_params}), n_neighbors=100: "
            f"90% parameter-interval coverage {np.round(coverage, 3).tolist()}, "
            f"width / exact {np.round(width / exact_width, 3).tolist()}, "
            f"SBC p {np.round(np.atleast_1d(sbc.pvalue()), 3).tolist()}"
        )


def simulation_gap(seed: int, n_simulations: int) -> None:
    print(f"\n## 3. Simulation gap (seed {seed}, {n_simulations} simulations)")
    sim = LinearGaussian(noise_std=1.0)
    est, _ = timed_fit(
        SimulationGroundedRegressor(sim, n_simulations, random_state=seed)
    )
    families = {
        "noise_std": [
            (s, LinearGaussian(noise_std=s), 0.0)
            for s in (1.0, 1.25, 1.5, 2.0, 3.0, 5.0)
        ],
        "shift": [(s, sim, s) for s in (0.0, 0.5, 1.0, 2.0, 4.0)],
        "prior_std": [
            (s, LinearGaussian(prior_std=s), 0.0) for s in (1.0, 2.0, 3.0, 5.0)
        ],
    }
    for family, levels in families.items():
        scores, errors, percentiles, squared = [], [], [], []
        print(f"misspecified {family}:")
        for level, generator, shift in levels:
            real = generator.simulate(2000, random_state=50_000 + seed)
            X = real.X + shift
            gap = est.simulation_gap(X)
            error = (est.predict(X) - real.y) ** 2
            scores.append(gap.score)
            errors.append(error.mean())
            percentiles.append(gap.percentile)
            squared.append(error)
            print(
                f"  {family}={level}: gap score {gap.score:.3f} | mean percentile "
                f"{gap.percentile.mean():.3f} | outside support "
                f"{gap.outside_fraction:.3f} | MSE {error.mean():.3f}"
            )
        per_sample = spearmanr(np.concatenate(percentiles), np.concatenate(squared))
        print(
            f"  rank correlation of score with MSE across levels: "
            f"{spearmanr(scores, errors)[0]:.3f}; per sample (percentile vs "
            f"squared error, pooled): {per_sample[0]:.3f}"
        )


def fit_warning(seed: int, n_simulations: int) -> None:
    print(f"\n## 4. Fit-time warning (seed {seed}, {n_simulations} simulations)")
    sim = LinearGaussian(noise_std=1.0)
    cases = [
        ("noise_std=1 (the simulator)", LinearGaussian(noise_std=1.0), 0.0),
        ("noise_std=1.5", LinearGaussian(noise_std=1.5), 0.0),
        ("noise_std=2", LinearGaussian(noise_std=2.0), 0.0),
        ("noise_std=3", LinearGaussian(noise_std=3.0), 0.0),
        ("shift 2", sim, 2.0),
    ]
    for name, generator, shift in cases:
        real = generator.simulate(500, random_state=60_000 + seed)
        est = SimulationGroundedRegressor(sim, n_simulations, random_state=seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SimulationGapWarning)
            est.fit(real.X + shift, real.y)
        gap_warnings = [
            w for w in caught if issubclass(w.category, SimulationGapWarning)
        ]
        outside = est.simulation_gap(real.X + shift).outside_fraction
        print(
            f"  real data from {name}: outside support {outside:.3f} | "
            f"SimulationGapWarning: {'yes' if gap_warnings else 'no'}"
        )
        if gap_warnings:
            print(f"    {gap_warnings[0].message}")


def machine() -> str:
    """CPU model, cores and load: timings on a shared machine are noisy."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(
                line.split(":", 1)[1].strip()
                for line in cpuinfo
                if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else ()
    return (
        f"{model}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in load)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--n-simulations", type=int, default=10_000)
    args = parser.parse_args()
    print(
        f"machine: {machine()}; torch {torch.__version__} with "
        f"{torch.get_num_threads()} threads; python {platform.python_version()}"
    )
    for seed in args.seeds:
        regressor_uncertainty(seed, args.n_simulations)
        attribution(seed, args.n_simulations)
        simulation_gap(seed, args.n_simulations)
        fit_warning(seed, args.n_simulations)
    print(f"\nfinished; machine: {machine()}")


if __name__ == "__main__":
    main()
