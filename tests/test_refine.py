"""Refinement around given observations, against LinearGaussian's exact posterior."""

import numpy as np
import pytest
from scipy.stats import norm

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.simulators import (
    SIR,
    FunctionSimulator,
    LinearGaussian,
    TruncatedSimulator,
)

# Posterior sd 0.023: 2.3% of the prior's (the "at most 5%").
SIM = LinearGaussian(noise_std=0.02)
# The default max_epochs: with fresh observation noise (the default on
# LinearGaussian) 50 epochs stopped short (series 102 refined to 0.30 sd).
FIT = dict(n_simulations=2000, hidden_layer_sizes=(64, 64))


@pytest.fixture(scope="module")
def amortised():
    return SimulationGroundedRegressor(SIM, random_state=0, **FIT).fit()


def _off_and_mass(est, x):
    exact, sd = SIM.posterior_mean(x)[0], SIM.posterior_std()[0]
    lower, upper = est.predict_interval(x, 0.9)
    mass = norm.cdf(upper[0], exact, sd) - norm.cdf(lower[0], exact, sd)
    return abs(est.predict(x)[0] - exact) / sd, mass


def _refine_checked(amortised, seed):
    x = SIM.simulate(1, random_state=seed).X
    refined = amortised.refine(x)  # 2 rounds of 1000: twice the amortised budget
    off, mass = _off_and_mass(refined, x)
    # Measured for seeds 100-102 (last round an ensemble of 5, fresh noise,
    # the training defaults of 3 December 2026 with validation_fraction="auto"):
    # 0.009, 0.040, 0.104 sd; mass 0.879, 0.889, 0.885 (the amortised fit:
    # 0.054, 0.095, 0.094 sd). With a tenth held out (before
    # validation_fraction="auto"): 0.024, 0.012, 0.005 sd; mass 0.918, 0.861,
    # 0.909 (amortised 0.073, 0.073, 0.045 sd).
    assert off < 0.25
    assert 0.85 <= mass <= 0.95
    return refined, x


def test_refined_posterior_is_the_exact_one(amortised):
    refined, x = _refine_checked(amortised, 101)
    # The answer says which prior it is conditioned on: a box around x's posterior.
    assert isinstance(refined.simulator_, TruncatedSimulator)
    low, high = refined.simulator_.bounds["theta0"]
    exact, sd = SIM.posterior_mean(x)[0], SIM.posterior_std()[0]
    assert low < exact - 4 * sd and exact + 4 * sd < high
    assert high - low < 0.3  # the prior's sd is 1
    assert refined.n_simulations == 1000
    assert refined.simulator_.simulator is SIM
    # The last round is an ensemble: five members unless asked otherwise.
    assert refined.n_estimators == 5 and len(refined.nets_) == 5


@pytest.mark.slow
@pytest.mark.parametrize("seed", [100, 102])
def test_refined_posterior_is_the_exact_one_for_more_series(amortised, seed):
    _refine_checked(amortised, seed)


def test_a_box_that_cuts_the_posterior_biases_it():
    """The check above has teeth: a truncation through the posterior moves the mean."""
    x = SIM.simulate(1, random_state=101).X
    exact, sd = SIM.posterior_mean(x)[0], SIM.posterior_std()[0]
    cut = TruncatedSimulator(SIM, {"theta0": (exact, exact + 10 * sd)})
    est = SimulationGroundedRegressor(cut, random_state=0, **FIT).fit()
    assert (est.predict(x)[0] - exact) / sd > 0.5  # half-normal mean: 0.8 sd


class _Overconfident(SimulationGroundedRegressor):
    """Its amortised posterior sd is 100 times too small: the box cuts."""

    def predict(self, X, return_std=False):
        out = super().predict(X, return_std=return_std)
        if return_std and not isinstance(self.simulator_, TruncatedSimulator):
            return out[0], out[1] / 100
        return out


def test_a_box_that_cuts_warns_at_the_callers_line():
    est = _Overconfident(SIM, 300, max_epochs=5, random_state=0).fit()
    x = SIM.simulate(1, random_state=101).X
    with pytest.warns(UserWarning, match="reaches the edge") as record:
        est.refine(x, n_rounds=1, n_simulations=300, n_estimators=1)
    assert [w.filename for w in record if "reaches the edge" in str(w.message)] == [
        __file__
    ]


def test_refine_bad_input(amortised):
    x = SIM.simulate(1, random_state=1).X
    with pytest.raises(ValueError, match="n_rounds"):
        amortised.refine(x, n_rounds=0)
    with pytest.raises(ValueError, match="width"):
        amortised.refine(x, width=-1.0)
    with pytest.raises(ValueError, match="n_simulations"):
        amortised.refine(x, n_simulations=0)
    with pytest.raises(ValueError, match="n_estimators"):
        amortised.refine(x, n_estimators=0)
    plain = SimulationGroundedRegressor(max_epochs=2, random_state=0)
    data = SIM.simulate(50, random_state=0)
    with pytest.raises(ValueError, match="fitted on a simulator"):
        plain.fit(data.X, data.y).refine(x)
    sir = SIR(n_days=20, targets=("attack_rate",))
    est = SimulationGroundedRegressor(sir, 100, max_epochs=1, random_state=0).fit()
    with pytest.raises(ValueError, match="attack_rate"):
        est.refine(sir.simulate(1, random_state=0).X)


def test_truncated_simulator_keeps_the_prior_inside_the_box():
    box = TruncatedSimulator(SIM, {"theta0": (0.0, 0.5)})
    draws = box.sample_params(4000, random_state=0)[:, 0]
    assert draws.min() >= 0 and draws.max() <= 0.5
    # The normal prior restricted to [0, 0.5]: its mean is known.
    expected = (norm.pdf(0) - norm.pdf(0.5)) / (norm.cdf(0.5) - norm.cdf(0))
    assert abs(draws.mean() - expected) < 0.01
    assert np.array_equal(
        box.simulate(5, random_state=1).X, box.simulate(5, random_state=1).X
    )
    with pytest.raises(ValueError, match="not parameters"):
        TruncatedSimulator(SIM, {"beta": (0, 1)}).sample_params(3)
    with pytest.raises(ValueError, match="low < high"):
        TruncatedSimulator(SIM, {"theta0": (1, 0)}).sample_params(3)
    with pytest.raises(ValueError, match="almost no prior"):
        TruncatedSimulator(SIM, {"theta0": (30, 31)}).sample_params(3)


def test_refine_trains_the_members_asked_for_in_the_last_round_only():
    est = SimulationGroundedRegressor(SIM, 200, max_epochs=2, random_state=0).fit()
    x = SIM.simulate(1, random_state=0).X
    refined = est.refine(x, n_rounds=2, n_estimators=2)
    assert refined.n_estimators == 2 and len(refined.nets_) == 2
    assert est.n_estimators == 1  # the amortised estimator is left as it was
    # An ensemble asked of the amortised fit is kept when it is larger.
    wide = SimulationGroundedRegressor(
        SIM, 200, max_epochs=2, n_estimators=6, random_state=0
    ).fit()
    assert len(wide.refine(x, n_rounds=1).nets_) == 6


def test_truncated_simulator_draws_noise_apart_when_the_wrapped_one_does():
    box = TruncatedSimulator(SIM, {"theta0": (0.0, 0.5)})
    rng = np.random.default_rng(3)
    latent = box.simulate_latent(50, rng)
    observed = box.observe(latent, rng)
    # The same draws as simulate: parameters from the box, then the noise.
    again = box.simulate(50, random_state=np.random.default_rng(3))
    assert np.array_equal(observed.X, again.X) and np.array_equal(observed.y, again.y)
    assert observed.y.min() >= 0 and observed.y.max() <= 0.5
    assert not np.array_equal(latent.X, observed.X)
    # So a fit on the truncated prior draws fresh noise every epoch, by default
    # too, as the amortised fit does; refinement rounds included.
    for noise in ("fresh", "auto"):
        est = SimulationGroundedRegressor(
            box, 200, max_epochs=3, observation_noise=noise, random_state=0
        ).fit()
        assert est.observation_noise_ == "fresh"
    x = SIM.simulate(1, random_state=0).X
    assert est.refine(x, n_rounds=1, n_estimators=1).observation_noise_ == "fresh"


def test_truncated_simulator_has_no_latent_step_when_the_wrapped_one_has_none():
    plain = FunctionSimulator(lambda p, rng: [p["a"] + rng.normal()], {"a": (0, 1)})
    box = TruncatedSimulator(plain, {"a": (0.0, 0.5)})
    assert not hasattr(box, "simulate_latent") and not hasattr(box, "observe")
    with pytest.raises(AttributeError, match="not a LatentSimulator"):
        box.observe  # noqa: B018
