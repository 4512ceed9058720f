"""The classical baselines: AIC/BIC selection, maximum likelihood, rejection ABC."""

import warnings

import numpy as np
import pytest
from joblib import parallel_config
from scipy import stats
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from sgnn_sklearn.baselines import (
    AICModelSelector,
    LikelihoodFitWarning,
    MaximumLikelihoodRegressor,
    RejectionABCRegressor,
)
from sgnn_sklearn.baselines._lockstep import run_in_lockstep
from sgnn_sklearn.simulators import (
    SIR,
    ExponentialGrowth,
    FunctionSimulator,
    LinearGaussian,
    LogisticGrowth,
    Simulator,
)
from sgnn_sklearn.simulators._prior import prior_bounds


class GaussianTrend(Simulator):
    """``x_t ~ N(mu + slope * t, 1)``: a likelihood for series of any length.

    The estimator checks feed data of many widths; this simulator says
    nothing about its width (no ``feature_names``), so it accepts them all.
    """

    prior_params = ("mu", "slope")

    def __init__(self, mu=(-5.0, 5.0), slope=0.0):
        self.mu = mu
        self.slope = slope

    @property
    def target_names(self):
        return ("mu",)

    def param_bounds(self):
        return [prior_bounds(p, n) for n, p in self._priors().items()]

    def log_likelihood(self, params, X):
        X = np.asarray(X, dtype=float)
        t = np.arange(X.shape[1])
        mean = params[:, :1] + params[:, 1:2] * t
        return stats.norm.logpdf(X, mean, 1.0).sum(axis=1)


LEVEL_AND_TREND = [
    ("level", GaussianTrend()),
    ("trend", GaussianTrend(slope=(-1.0, 1.0))),
]

# Every estimator check that cannot apply to these baselines, with the reason:
# one table for the three estimators. Their model is fixed by the simulator
# (fit learns nothing from X and y), the selector's classes are its candidates'
# names, and a simulator fixes the number of features.
_NAMES = (
    "the classes are the candidate names (strings), not the labels y given to "
    "fit; the check compares predictions with y, or numerically"
)
_FIXED_MODEL = "the model is fixed by the simulator; the check wants y learned from X"
_Y_IGNORED = "y is ignored (documented), so a 2-D or continuous y raises nothing"
_N_ITER = (
    "max_iter bounds the optimisations run per series at predict; fit does not "
    "iterate, so there is no n_iter_"
)
_N_OUTPUTS = "the number of outputs is the simulator's number of targets, not y's"
_WIDTH = (
    "the simulator fixes the number of features, and the check fits on another "
    "number (covered by test_abc_estimator_api_at_its_own_width)"
)
EXPECTED_FAILED_CHECKS = {
    "AICModelSelector": {
        "check_classifiers_train": _NAMES,
        "check_classifiers_classes": _NAMES,
        "check_classifiers_one_label": _NAMES,
        "check_classifier_data_not_an_array": _NAMES,
        "check_fit_score_takes_y": _NAMES,
        "check_pipeline_consistency": _NAMES,
        "check_estimators_pickle": _NAMES,
        "check_estimators_pickle(readonly_memmap=True)": _NAMES,
        "check_fit_idempotent": _NAMES,
        "check_methods_sample_order_invariance": _NAMES,
        "check_methods_subset_invariance": _NAMES,
        "check_classifiers_regression_target": _Y_IGNORED,
        "check_supervised_y_2d": _Y_IGNORED,
        "check_non_transformer_estimators_n_iter": _N_ITER,
    },
    "MaximumLikelihoodRegressor": {
        "check_regressors_train": _FIXED_MODEL,
        "check_regressor_multioutput": _N_OUTPUTS,
        "check_non_transformer_estimators_n_iter": _N_ITER,
    },
    "RejectionABCRegressor": {
        "check_regressors_train": _FIXED_MODEL,
        "check_regressor_data_not_an_array": _FIXED_MODEL,
        "check_regressors_int": _FIXED_MODEL,
        "check_regressor_multioutput": _N_OUTPUTS,
        "check_supervised_y_2d": _Y_IGNORED,
        **{
            name: _WIDTH
            for name in (
                "check_fit_score_takes_y",
                "check_dont_overwrite_parameters",
                "check_n_features_in_after_fitting",
                "check_positive_only_tag_during_fit",
                "check_estimators_dtypes",
                "check_dtype_object",
                "check_pipeline_consistency",
                "check_estimators_nan_inf",
                "check_estimators_pickle",
                "check_estimators_pickle(readonly_memmap=True)",
                "check_f_contiguous_array_estimator",
                "check_regressors_no_decision_function",
                "check_methods_sample_order_invariance",
                "check_methods_subset_invariance",
                "check_fit2d_1sample",
                "check_fit2d_1feature",
                "check_dict_unchanged",
                "check_fit2d_predict1d",
            )
        },
    },
}


def _expected_failed_checks(estimator):
    if isinstance(estimator, RejectionABCRegressor) and estimator.simulator is None:
        return {}  # learns from (X, y): every check applies
    return EXPECTED_FAILED_CHECKS[type(estimator).__name__]


@parametrize_with_checks(
    [
        AICModelSelector(LEVEL_AND_TREND, n_init=5, n_starts=1, random_state=0),
        MaximumLikelihoodRegressor(
            GaussianTrend(), n_init=5, n_starts=1, random_state=0
        ),
        RejectionABCRegressor(LinearGaussian(n_features=2), 200, random_state=0),
        RejectionABCRegressor(n_accept=3),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_baseline(estimator, check):
    check(estimator)


# -- lockstep ---------------------------------------------------------------------


def test_lockstep_answers_each_task_its_own_values_and_errors():
    def task(k):
        def run(request):
            first = request(np.full(2, float(k)))
            second = request(np.full(3, float(k)))  # a second round
            return float(first.sum() + second.sum())

        return run

    def evaluate(batch):
        return [
            ValueError(f"bad {index}") if index == 2 else points * 10
            for index, points in batch
        ]

    out = run_in_lockstep([task(k) for k in range(4)], evaluate)
    assert out[0] == 0.0 and out[1] == 50.0 and out[3] == 150.0
    assert isinstance(out[2], ValueError) and "bad 2" in str(out[2])


# -- AICModelSelector -------------------------------------------------------------


@pytest.fixture
def growth_candidates():
    return [
        ("exponential", ExponentialGrowth(n_times=20, noise="poisson")),
        ("logistic", LogisticGrowth(n_times=20, noise="poisson")),
    ]


def test_aic_tells_saturating_from_exponential_growth(growth_candidates):
    expo = ExponentialGrowth(n_times=20, noise="poisson").simulate(6, random_state=0)
    logi = LogisticGrowth(n_times=20, noise="poisson", r=0.4, K=(200.0, 400.0))
    logi = logi.simulate(6, random_state=1)
    X = np.r_[expo.X, logi.X]
    truth = ["exponential"] * 6 + ["logistic"] * 6
    selector = AICModelSelector(growth_candidates, random_state=0).fit(X)
    assert selector.predict(X).tolist() == truth
    assert selector.n_free_params_ == {"exponential": 2, "logistic": 3}
    proba = selector.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert cross_val_score(selector, X, truth, cv=2).mean() == 1.0


def test_bic_differs_from_aic_by_its_penalty_only(growth_candidates):
    X = LogisticGrowth(n_times=20, noise="poisson").simulate(4, random_state=2).X
    aic = AICModelSelector(growth_candidates, random_state=0).fit(X)
    bic = clone(aic).set_params(criterion="bic").fit(X)
    difference = bic.information_criterion(X) - aic.information_criterion(X)
    # k = 2 (exponential) and 3 (logistic); BIC's penalty is k log(20), AIC's 2k.
    np.testing.assert_allclose(
        difference, [[2 * (np.log(20) - 2), 3 * (np.log(20) - 2)]] * 4
    )


def test_selector_is_deterministic_and_independent_of_n_jobs(
    growth_candidates, monkeypatch
):
    monkeypatch.setattr("sgnn_sklearn.baselines._likelihood.CHUNK_SIZE", 4)
    X = LogisticGrowth(n_times=20, noise="poisson").simulate(10, random_state=3).X
    selector = AICModelSelector(growth_candidates, n_init=10, random_state=0).fit(X)
    once = selector.information_criterion(X)
    np.testing.assert_array_equal(once, selector.information_criterion(X))
    with parallel_config(backend="threading"):
        parallel = selector.set_params(n_jobs=2).information_criterion(X)
    np.testing.assert_array_equal(once, parallel)


def test_candidate_without_likelihood_is_named_in_the_error():
    def series(params, rng):
        return rng.poisson(10.0, size=20)

    candidates = [
        ("exponential", ExponentialGrowth(n_times=20)),
        ("my_model", FunctionSimulator(series, priors={"a": (0.0, 1.0)})),
    ]
    with pytest.raises(TypeError, match=r"'my_model' \(FunctionSimulator\) has no "):
        AICModelSelector(candidates).fit(np.zeros((2, 20)))


def test_wrong_number_of_features_is_named_with_the_candidate(growth_candidates):
    with pytest.raises(ValueError, match="X has 5 features, but candidate 'exp"):
        AICModelSelector(growth_candidates).fit(np.zeros((2, 5)))


class FragileLogistic(LogisticGrowth):
    """Logistic growth whose likelihood cannot be evaluated on large first counts."""

    def log_likelihood(self, params, X):
        X = np.asarray(X, dtype=float)
        if (X[:, 0] > 12).any():
            raise FloatingPointError("cannot evaluate")
        return super().log_likelihood(params, X)


def test_failed_fit_is_marked_counted_and_the_others_decide():
    X = ExponentialGrowth(n_times=20, noise="poisson", x0=10.0)
    X = X.simulate(8, random_state=0).X
    X[:, 0] = [20.0, 30.0, 40.0] + [10.0] * 5  # fragile fails on the first 3
    candidates = [
        ("exponential", ExponentialGrowth(n_times=20, noise="poisson")),
        ("fragile", FragileLogistic(n_times=20, noise="poisson")),
    ]
    selector = AICModelSelector(candidates, n_init=10, random_state=0).fit(X)
    with pytest.warns(LikelihoodFitWarning, match=r"'fragile': 3\b.*cannot evaluate"):
        criteria = selector.information_criterion(X)
    assert np.isnan(criteria[:3, 1]).all() and np.isfinite(criteria[3:]).all()
    with pytest.warns(LikelihoodFitWarning, match="assigned among the candidates"):
        proba = selector.predict_proba(X)
    np.testing.assert_array_equal(proba[:3], [[1.0, 0.0]] * 3)


# -- MaximumLikelihoodRegressor ---------------------------------------------------


def test_mle_recovers_parameters_and_derives_targets_by_the_simulator():
    sim = SIR(n_days=40, noise="poisson", targets=("R0", "beta", "total_infections"))
    data = sim.simulate(6, random_state=0)
    mle = MaximumLikelihoodRegressor(sim, n_init=30, random_state=0).fit(data.X)
    estimate = mle.predict(data.X)
    assert estimate.shape == (6, 3)
    # The growth phase pins R0 down only together with gamma; the total
    # infections, which set the whole curve, are recovered more tightly.
    relative = np.abs(estimate / data.y - 1)
    assert np.median(relative[:, 2]) < 0.1
    # beta is R0 * gamma at the estimates: gamma within its prior's support.
    gamma = estimate[:, 1] / estimate[:, 0]
    assert ((gamma >= 1 / 14 - 1e-9) & (gamma <= 1 / 4 + 1e-9)).all()


def test_mle_marks_failed_series_nan_and_warns():
    X = ExponentialGrowth(n_times=20, noise="poisson", x0=10.0)
    X = X.simulate(5, random_state=0).X
    X[:, 0] = [10.0, 50.0, 10.0, 10.0, 10.0]
    mle = MaximumLikelihoodRegressor(
        FragileLogistic(n_times=20, noise="poisson"), n_init=10, random_state=0
    ).fit(X)
    with pytest.warns(LikelihoodFitWarning, match="1 of 5 series"):
        estimate = mle.predict(X)
    assert np.isnan(estimate[1]) and np.isfinite(np.delete(estimate, 1)).all()


def test_mle_needs_a_likelihood():
    with pytest.raises(TypeError, match=r"'simulator' \(FunctionSimulator\)"):
        MaximumLikelihoodRegressor(
            FunctionSimulator(lambda p, rng: [p["a"]], priors={"a": (0, 1)})
        ).fit(np.zeros((2, 1)))


# -- RejectionABCRegressor --------------------------------------------------------


def test_abc_approaches_the_exact_posterior_mean():
    sim = LinearGaussian(n_features=2, noise_std=0.5)
    test = sim.simulate(300, random_state=1)
    exact = sim.posterior_mean(test.X)
    errors = {}
    for n in (500, 20_000):
        abc = RejectionABCRegressor(sim, n, n_accept=50, random_state=0).fit(test.X)
        errors[n] = np.mean((abc.predict(test.X) - exact) ** 2)
    assert errors[20_000] < errors[500] / 2


def test_abc_without_simulator_uses_the_labelled_data_as_its_table():
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    table = LinearGaussian(n_features=3, n_params=2).simulate(500, random_state=0)
    test = LinearGaussian(n_features=3, n_params=2).simulate(50, random_state=1)
    abc = RejectionABCRegressor(quantile=0.02).fit(table.X, table.y)
    knn = make_pipeline(StandardScaler(), KNeighborsRegressor(n_neighbors=10))
    np.testing.assert_allclose(
        abc.predict(test.X), knn.fit(table.X, table.y).predict(test.X)
    )
    assert abc.n_accept_ == 10 and abc.target_names_ == ("y0", "y1")
    with pytest.raises(ValueError, match="requires y to be passed"):
        RejectionABCRegressor().fit(table.X)


def test_abc_quantile_n_accept_and_preprocessor():
    sim = ExponentialGrowth(n_times=10, targets=("r", "x0"))
    data = sim.simulate(20, random_state=1)
    abc = RejectionABCRegressor(
        sim,
        2000,
        quantile=0.02,
        preprocessor=FunctionTransformer(np.log1p),
        random_state=0,
    ).fit(data.X)
    assert abc.n_accept_ == 40
    assert abc.predict(data.X).shape == (20, 2)
    assert abc.set_params(n_accept=7).fit(data.X).n_accept_ == 7
    a = abc.predict(data.X)
    np.testing.assert_array_equal(a, clone(abc).fit(data.X).predict(data.X))


def test_abc_drops_non_finite_simulations_with_a_count():
    def sometimes_nan(params, rng):
        return [np.nan if params["a"] > 0.9 else params["a"], 1.0]

    sim = FunctionSimulator(sometimes_nan, priors={"a": (0.0, 1.0)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        abc = RejectionABCRegressor(sim, 200, random_state=0).fit(np.zeros((1, 2)))
    message = next(
        str(w.message) for w in caught if "reference table" in str(w.message)
    )
    n_dropped = int(message.split(":")[1].split()[0])
    assert 0 < n_dropped < 200 and len(abc.reference_y_) == 200 - n_dropped


def test_abc_estimator_api_at_its_own_width():
    """What the estimator checks cannot test at other widths."""
    import pickle

    sim = LinearGaussian(n_features=3)
    X = sim.simulate(30, random_state=0).X
    abc = RejectionABCRegressor(sim, 500, n_accept=10, random_state=0).fit(X)
    pred = abc.predict(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(abc)).predict(X), pred)
    order = np.random.default_rng(0).permutation(30)
    np.testing.assert_array_equal(abc.predict(X[order]), pred[order])
    np.testing.assert_array_equal(abc.predict(X[:7]), pred[:7])
    with pytest.raises(ValueError, match="NaN"):
        abc.predict(np.where(np.eye(30, 3) > 0, np.nan, X))
    with pytest.raises(ValueError, match="2 features, but the simulator"):
        abc.fit(X[:, :2])


def test_likelihood_fits_do_not_depend_on_row_order_or_batch():
    candidates = [
        ("exponential", ExponentialGrowth(n_times=15, noise="poisson")),
        ("logistic", LogisticGrowth(n_times=15, noise="poisson")),
    ]
    X = LogisticGrowth(n_times=15, noise="poisson").simulate(10, random_state=4).X
    selector = AICModelSelector(candidates, n_init=10, random_state=0).fit(X)
    full = selector.information_criterion(X)
    np.testing.assert_array_equal(selector.information_criterion(X[::-1]), full[::-1])
    np.testing.assert_array_equal(selector.information_criterion(X[3:5]), full[3:5])
