"""Side by side at one budget: the default regressor, MLPRegressor, sbi's NPE."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian, simulate_chunked

from ._common import SEED, timed

NPE_SAMPLES = 500


def _problems() -> dict[str, Any]:
    from sgnn_sklearn import simulators

    found: dict[str, Any] = {"LinearGaussian": LinearGaussian()}
    if hasattr(simulators, "SIR"):
        found["SIR (R0)"] = simulators.SIR()
    return found


def _error(sim: Any, test: Any, pred: np.ndarray) -> dict[str, float]:
    """Posterior-mean error where the posterior is exact; else MSE against truth."""
    pred = np.asarray(pred, dtype=float).reshape(test.y.shape)
    out = {"mse_vs_truth": float(np.mean((pred - test.y) ** 2))}
    if isinstance(sim, LinearGaussian):
        out["posterior_mean_error"] = float(
            np.mean((pred - sim.posterior_mean(test.X)) ** 2)
        )
    return out


def _sbi_prior(sim: Any) -> Any:
    import torch
    from sbi.utils import BoxUniform

    if isinstance(sim, LinearGaussian):
        return torch.distributions.Independent(
            torch.distributions.Normal(
                torch.full((1,), float(sim.prior_mean)),
                torch.full((1,), float(sim.prior_std)),
            ),
            1,
        )
    low, high = sim.R0
    return BoxUniform(torch.tensor([float(low)]), torch.tensor([float(high)]))


def _npe(sim: Any, train: Any, test: Any) -> np.ndarray:
    import torch
    from sbi.inference import NPE

    theta = torch.as_tensor(np.asarray(train.y, dtype=np.float32).reshape(-1, 1))
    x = torch.as_tensor(train.X.astype(np.float32))
    inference = NPE(prior=_sbi_prior(sim), show_progress_bars=False)
    inference.append_simulations(theta, x).train()
    posterior = inference.build_posterior()
    samples = posterior.sample_batched(
        (NPE_SAMPLES,),
        x=torch.as_tensor(test.X.astype(np.float32)),
        show_progress_bars=False,
    )
    return samples.mean(dim=0)[:, 0].numpy()


def run(quick: bool) -> dict[str, Any]:
    budgets = (10_000,) if quick else (10_000, 100_000)
    try:
        import sbi  # noqa: F401

        have_sbi = True
    except ImportError:
        have_sbi = False
    rows = []
    for name, sim in _problems().items():
        test = sim.simulate(2_000, random_state=SEED + 1)
        for n in budgets:
            est = SimulationGroundedRegressor(sim, n, random_state=SEED)
            with timed() as t_sgnn:
                est.fit()
            base = {"problem": name, "n_simulations": n}
            rows.append(
                {
                    **base,
                    "method": "SimulationGroundedRegressor (default)",
                    "wall_s": t_sgnn["wall_s"],
                    "cpu_s": t_sgnn["cpu_s"],
                    **_error(sim, test, est.predict(test.X)),
                }
            )
            # The very simulations the SGNN trained on (same seed, same chunks).
            with timed() as t_sim:
                train = simulate_chunked(sim, n, random_state=est._seeds["simulate"])
            mlp = make_pipeline(
                StandardScaler(), MLPRegressor(early_stopping=True, random_state=SEED)
            )
            with timed() as t_mlp, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mlp.fit(train.X, np.ravel(train.y))
            rows.append(
                {
                    **base,
                    "method": "MLPRegressor (StandardScaler, early_stopping)",
                    "wall_s": t_sim["wall_s"] + t_mlp["wall_s"],
                    "cpu_s": t_sim["cpu_s"] + t_mlp["cpu_s"],
                    **_error(sim, test, mlp.predict(test.X)),
                }
            )
            if have_sbi:
                with timed() as t_npe, warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    pred = _npe(sim, train, test)
                rows.append(
                    {
                        **base,
                        "method": f"sbi NPE (mean of {NPE_SAMPLES} samples)",
                        "wall_s": t_sim["wall_s"] + t_npe["wall_s"],
                        "cpu_s": t_sim["cpu_s"] + t_npe["cpu_s"],
                        **_error(sim, test, pred),
                    }
                )
    notes = [
        "All methods learn from the same simulations (the SGNN's own, re-drawn "
        "with its seed); MLPRegressor's and NPE's times include simulating them.",
        "posterior_mean_error: mean squared distance to the exact posterior mean "
        "(LinearGaussian only); mse_vs_truth: against the true parameter (it "
        "adds the Bayes risk).",
        "NPE time includes drawing the posterior samples for the 2000 test series.",
    ]
    if not have_sbi:
        notes.append("sbi is not installed: NPE skipped (pip install sbi).")
    return {"rows": rows, "notes": notes}
