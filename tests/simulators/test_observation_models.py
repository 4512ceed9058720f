"""Observation-model wrappers: composition, parameters, likelihoods, bad priors."""

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.simulators import (
    SEIR,
    SIR,
    DayOfWeekEffect,
    ExponentialGrowth,
    FunctionSimulator,
    Intervention,
    LinearGaussian,
    LogisticGrowth,
    MissingReports,
    Overdispersed,
    ReportingDelay,
    UnderReported,
)
from sgnn_sklearn.simulators._epidemic import _integrate_daily
from sgnn_sklearn.simulators._observation import CountLaw, count_log_pmf, law_log_pmf

WRAPPERS = [
    Overdispersed,
    UnderReported,
    ReportingDelay,
    DayOfWeekEffect,
    MissingReports,
    Intervention,
]


def _poisson_sir(**kwargs):
    return SIR(n_days=30, noise="poisson", **kwargs)


def _everything():
    """Every wrapper at once, with fixed observation parameters."""
    return MissingReports(
        UnderReported(
            ReportingDelay(
                DayOfWeekEffect(
                    Overdispersed(
                        Intervention(
                            _poisson_sir(),
                            intervention_day=12.0,
                            intervention_effect=0.4,
                        ),
                        dispersion=4.0,
                    ),
                    weekend_factor=0.6,
                    first_weekday=2.0,
                ),
                delay_mean=2.0,
            ),
            reporting_rate=0.7,
        ),
        missing_rate=0.1,
    )


@pytest.mark.parametrize("wrapper", WRAPPERS, ids=lambda w: w.__name__)
def test_each_wrapper_simulates_and_keeps_the_hook(wrapper):
    sim = wrapper(_poisson_sir())
    data = sim.simulate(50, random_state=0)
    assert data.X.shape == (50, 30) and data.y.shape == (50,)
    assert data.param_names[:4] == ("R0", "gamma", "rho", "i0")
    assert data.param_names[4:] == wrapper._own_params
    assert (data.X >= 0).all() and (data.X == np.round(data.X)).all()
    # The same seed gives the same data; simulate = observe(simulate_latent).
    np.testing.assert_array_equal(sim.simulate(50, random_state=0).X, data.X)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(
        sim.observe(sim.simulate_latent(50, rng), rng).X, data.X
    )
    latent = sim.simulate_latent(50, random_state=1)
    a, b = sim.observe(latent, random_state=2), sim.observe(latent, random_state=3)
    assert not np.array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)


@pytest.mark.parametrize("wrapper", WRAPPERS, ids=lambda w: w.__name__)
def test_parameters_are_nested_and_searchable(wrapper):
    sim = wrapper(_poisson_sir())
    params = sim.get_params()
    assert params["simulator__R0"] == (1.2, 4.0)
    for name in wrapper._own_params:
        assert name in params
    sim.set_params(simulator__R0=2.5, **{wrapper._own_params[0]: 0.5})
    assert sim.simulator.R0 == 2.5
    assert getattr(sim, wrapper._own_params[0]) == 0.5
    copy = clone(sim)
    assert copy.get_params()["simulator__R0"] == 2.5
    assert copy.simulator is not sim.simulator
    # As an estimator's simulator, the priors are grid-searchable parameters.
    estimator = SimulationGroundedRegressor(sim)
    estimator.set_params(simulator__simulator__R0=(1.5, 3.0))
    assert estimator.get_params()["simulator__simulator__R0"] == (1.5, 3.0)


def test_wrappers_compose_and_keep_a_likelihood_that_matches_their_draws():
    sim = _everything()
    assert sim.param_names[4:] == (
        "intervention_day",
        "intervention_effect",
        "dispersion",
        "weekend_factor",
        "first_weekday",
        "delay_mean",
        "reporting_rate",
        "missing_rate",
    )
    row = sim.sample_params(1, random_state=0)
    row[0, :4] = [2.5, 0.2, 0.5, 1e-3]
    params = np.repeat(row, 20_000, axis=0)
    X = sim.simulate_from_params(params, random_state=1).X
    law = sim._count_law(sim.simulate_latent_from_params(row).X, row)
    mean = law.mean[0]
    variance = mean + mean**2 / law.dispersion[0]
    kept = 1.0 - law.missing[0]
    expected_mean = kept * mean
    expected_var = kept * (variance + mean**2) - expected_mean**2
    # The draws have the moments of the law the likelihood uses, day by day.
    np.testing.assert_allclose(X.mean(axis=0), expected_mean, rtol=0.05, atol=0.05)
    np.testing.assert_allclose(X.var(axis=0), expected_var, rtol=0.1, atol=0.1)
    # The zero-inflated law sums to one.
    counts = np.arange(5000.0)[:, None]
    one_day = CountLaw(
        np.full((5000, 1), mean[5]), "negbin", law.dispersion, law.missing
    )
    assert np.exp(law_log_pmf(counts, one_day)).sum() == pytest.approx(1.0, abs=1e-9)
    # The likelihood of a series is the sum of its days' log probabilities.
    np.testing.assert_allclose(
        sim.log_likelihood(params[:5], X[:5]),
        law_log_pmf(X[:5], law._replace(mean=law.mean.repeat(5, 0))).sum(axis=1),
        rtol=1e-12,
    )


def test_overdispersed_likelihood_is_the_negative_binomial_simulators():
    wrapped = Overdispersed(_poisson_sir(), dispersion=(1.0, 20.0))
    native = SIR(n_days=30, noise="negbin", dispersion=(1.0, 20.0))
    assert wrapped.param_names == native.param_names
    data = wrapped.simulate(40, random_state=0)
    np.testing.assert_allclose(
        wrapped.log_likelihood(data.params, data.X),
        native.log_likelihood(data.params, data.X),
        rtol=1e-12,
    )


def test_under_reporting_likelihood_is_a_lower_reporting_rate():
    wrapped = UnderReported(_poisson_sir(), reporting_rate=0.5)
    data = wrapped.simulate(40, random_state=0)
    lowered = data.params[:, :4].copy()
    lowered[:, 2] *= 0.5
    np.testing.assert_allclose(
        wrapped.log_likelihood(data.params, data.X),
        _poisson_sir().log_likelihood(lowered, data.X),
        rtol=1e-12,
    )
    # ... and its draws have the thinned mean.
    params = np.repeat(data.params[:1], 20_000, axis=0)
    X = wrapped.simulate_from_params(params, random_state=1).X
    mean = 0.5 * _poisson_sir().mean_trajectory(params[:1, :4])[0]
    np.testing.assert_allclose(X.mean(axis=0), mean, rtol=0.05, atol=0.05)


def test_delay_likelihood_and_the_experiments_geometric_delay():
    sim = ReportingDelay(_poisson_sir(), delay_mean=3.0)
    params = sim.sample_params(10, random_state=0)
    mean = _poisson_sir().mean_trajectory(params[:, :4])
    delayed = sim.simulate_latent_from_params(params).X
    # Cases are kept unless reported after the window; the mean delay is 3 d.
    assert (delayed.sum(axis=1) <= mean.sum(axis=1) + 1e-9).all()
    impulse = np.zeros((1, 60))
    impulse[0, 0] = 1.0
    from sgnn_sklearn.simulators._reporting import delay_pmf

    for distribution in ("geometric", "poisson"):
        pmf = delay_pmf(np.array([3.0]), 60, distribution)[0]
        assert pmf.sum() == pytest.approx(1.0, abs=1e-5)
        assert (pmf * np.arange(60)).sum() == pytest.approx(3.0, abs=1e-3)
    X = sim.simulate_from_params(params, random_state=1).X
    np.testing.assert_allclose(
        sim.log_likelihood(params, X),
        count_log_pmf(X, delayed, "poisson").sum(axis=1),
        rtol=1e-12,
    )


def test_day_of_week_effect_keeps_weekly_totals():
    sim = DayOfWeekEffect(ExponentialGrowth(r=0.0, x0=10.0, n_times=28))
    latent = sim.simulate_latent(200, random_state=0)
    weekly = latent.X.reshape(200, 4, 7).sum(axis=2)
    np.testing.assert_allclose(weekly, 70.0)
    weekend = latent.params[:, -2]
    assert np.allclose(
        latent.X.min(axis=1), np.minimum(10 * weekend, 10 * (7 - 2 * weekend) / 5)
    )


def test_missing_reports_are_zero_and_the_likelihood_is_zero_inflated():
    inner = _poisson_sir(R0=3.0, rho=0.8)
    sim = MissingReports(inner, missing_rate=0.3)
    data = sim.simulate(400, random_state=0)
    assert np.mean(data.X[:, 15:25] == 0) == pytest.approx(0.3, abs=0.03)
    none_missing = MissingReports(inner, missing_rate=0.0)
    np.testing.assert_allclose(
        none_missing.log_likelihood(
            np.column_stack([data.params[:, :4], np.zeros(400)]), data.X
        ),
        inner.log_likelihood(data.params[:, :4], data.X),
        rtol=1e-12,
    )
    # The true missing rate explains the zeros better than none or many.
    scores = {
        rate: MissingReports(inner, missing_rate=rate)
        .log_likelihood(
            np.column_stack([data.params[:, :4], np.full(400, rate)]), data.X
        )
        .sum()
        for rate in (0.1, 0.3, 0.6)
    }
    assert max(scores, key=scores.get) == 0.3


def test_intervention_changes_transmission_from_its_day():
    sir = SIR(n_days=40, noise="poisson")
    sim = Intervention(sir, intervention_day=15.0, intervention_effect=0.5)
    params = sim.sample_params(20, random_state=0)
    changed = sim.simulate_latent_from_params(params).X
    # The reference: integrate to day 15, then on with beta halved.
    R0, gamma, rho, i0 = params[:, :4].T

    def sir_rhs(beta):
        def derivative(state, out):
            s, i = state
            out[0] = -beta * s * i
            out[1] = beta * s * i - gamma * i

        return derivative

    state = np.stack((1.0 - i0, i0))
    before, state = _integrate_daily(sir_rhs(R0 * gamma), state, 15, 2, lambda s: s[0])
    after, _ = _integrate_daily(sir_rhs(0.5 * R0 * gamma), state, 25, 2, lambda s: s[0])
    susceptible = np.concatenate((before, after[1:]))
    reference = 1e5 * rho[:, None] * np.maximum(susceptible[:-1] - susceptible[1:], 0).T
    np.testing.assert_allclose(changed, reference, rtol=1e-9)
    # No effect: exactly the epidemic; R0 stays the pre-intervention target.
    none = Intervention(sir, intervention_day=15.0, intervention_effect=0.0)
    unchanged = np.column_stack([params[:, :-1], np.zeros(20)])
    np.testing.assert_array_equal(
        none.simulate_latent_from_params(unchanged).X,
        sir.mean_trajectory(params[:, :4]),
    )
    np.testing.assert_array_equal(sim.simulate_from_params(params).y, params[:, 0])


def test_intervention_on_seir_lowers_total_infections():
    seir = SEIR(n_days=60, noise="poisson", targets=("R0", "total_infections"))
    sim = Intervention(seir, intervention_day=10.0, intervention_effect=0.6)
    params = sim.sample_params(30, random_state=0)
    changed = sim.simulate_from_params(params).y
    free = seir.simulate_from_params(params[:, :-2]).y
    np.testing.assert_array_equal(changed[:, 0], free[:, 0])
    assert (changed[:, 1] < free[:, 1]).all()


def test_targets_can_name_the_observation_parameters():
    sim = ReportingDelay(
        Overdispersed(_poisson_sir(targets=("R0", "attack_rate"))),
        targets=("delay_mean", "R0", "dispersion", "attack_rate"),
    )
    data = sim.simulate(20, random_state=0)
    assert data.target_names == ("delay_mean", "R0", "dispersion", "attack_rate")
    np.testing.assert_array_equal(data.y[:, 0], data.params[:, -1])
    np.testing.assert_array_equal(data.y[:, 1], data.params[:, 0])
    np.testing.assert_array_equal(data.y[:, 2], data.params[:, -2])
    plain = ReportingDelay(Overdispersed(_poisson_sir(targets=("R0", "attack_rate"))))
    np.testing.assert_array_equal(
        data.y[:, 3], plain.simulate(20, random_state=0).y[:, 1]
    )
    with pytest.raises(ValueError, match="unknown target"):
        ReportingDelay(_poisson_sir(), targets=("lag",)).simulate(2)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: ReportingDelay(_poisson_sir(), delay_mean=(-1.0, 3.0)), "delay_mean"),
        (lambda: UnderReported(_poisson_sir(), reporting_rate=(0.5, 1.2)), "(0, 1]"),
        (lambda: UnderReported(_poisson_sir(), reporting_rate=0.0), "reporting_rate"),
        (lambda: Overdispersed(_poisson_sir(), dispersion=(-2.0, 5.0)), "positive"),
        (lambda: MissingReports(_poisson_sir(), missing_rate=1.0), "missing_rate"),
        (lambda: DayOfWeekEffect(_poisson_sir(), first_weekday=-1.0), "first_weekday"),
        (lambda: Intervention(_poisson_sir(), intervention_effect=1.5), "below 1"),
        (
            lambda: ReportingDelay(_poisson_sir(), delay_mean=stats.norm(0, 1)),
            "row",
        ),
        (lambda: ReportingDelay(_poisson_sir(), distribution="gamma"), "geometric"),
        (lambda: Overdispersed(SIR()), "noise='poisson'"),
        (lambda: ReportingDelay(ReportingDelay(SIR())), "already has"),
    ],
)
def test_bad_priors_and_settings_are_clear_errors(make, message):
    with pytest.raises(
        ValueError, match=message.replace("(", r"\(").replace("]", r"\]")
    ):
        make().simulate(50, random_state=0)


def test_wrapping_a_simulator_without_a_latent_trajectory_says_what_it_needs():
    function = FunctionSimulator(lambda p, rng: [p["a"]], {"a": (0, 1)})
    with pytest.raises(TypeError, match="latent trajectory.*LatentSimulator"):
        Overdispersed(function).simulate(5)
    with pytest.raises(TypeError, match="SIR or SEIR directly"):
        Intervention(ReportingDelay(SIR())).simulate(5)
    with pytest.raises(TypeError, match="SIR or SEIR directly"):
        Intervention(LogisticGrowth()).simulate(5)


def test_wrappers_without_counts_or_likelihood_are_clear():
    linear = LinearGaussian(n_features=3)
    with pytest.raises(ValueError, match="non-negative"):
        Overdispersed(linear).simulate(20, random_state=0)
    with pytest.raises(ValueError, match="whole non-negative"):
        UnderReported(linear).simulate(20, random_state=0)
    delayed = ReportingDelay(linear)
    data = delayed.simulate(5, random_state=0)  # a delay needs no counts
    with pytest.raises(TypeError, match="no log_likelihood here"):
        delayed.log_likelihood(data.params, data.X)


def test_maximum_likelihood_fits_through_wrappers():
    from sgnn_sklearn.baselines import MaximumLikelihoodRegressor

    sim = UnderReported(
        ExponentialGrowth(n_times=20, noise="poisson", x0=20.0), reporting_rate=0.5
    )
    data = sim.simulate(30, random_state=0)
    mle = MaximumLikelihoodRegressor(sim, n_init=20, random_state=0).fit(data.X)
    error = np.sqrt(np.mean((mle.predict(data.X) - data.y) ** 2))
    assert error < 0.02  # r spans 0.1 to 0.4
    assert sim.free_params == ("r",)


@pytest.mark.parametrize(
    "noise, dispersion",
    [("poisson", None), ("negbin", "per row"), ("negbin", 10.0), ("negbin", "per day")],
)
def test_counts_are_drawn_as_before_without_whole_temporaries(
    monkeypatch, noise, dispersion
):
    # Each stage draws block by block (several blocks here, the last short):
    # the counts are those of the one-line algorithm before, to the last bit,
    # and nothing of the counts' size is held beside them.
    import tracemalloc

    from sgnn_sklearn.simulators import _observation

    monkeypatch.setattr(_observation, "DRAW_BLOCK_ROWS", 64)
    rng = np.random.default_rng(0)
    mean = rng.uniform(0.0, 500.0, size=(2000, 60))
    k = {
        "per row": rng.uniform(1.0, 20.0, size=(2000, 1)),
        "per day": rng.uniform(1.0, 20.0, size=(1, 60)),
    }.get(dispersion, dispersion)
    rng = np.random.default_rng(1)
    before = rng.poisson(rng.gamma(k, mean / k) if noise == "negbin" else mean)
    before = before.astype(np.float64)
    tracemalloc.start()
    try:
        drawn = _observation.sample_counts(mean, noise, np.random.default_rng(1), k)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(drawn, before)
    assert drawn.dtype == np.float64 and drawn.shape == mean.shape
    # The counts and a few blocks' temporaries (before: two to three times
    # the counts).
    assert peak < mean.nbytes + 4 * mean[:64].nbytes
