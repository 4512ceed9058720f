"""Split-conformal calibration: coverage, the finite-sample rule, MAPIE, bad input."""

import numpy as np
import pytest
from _fitted_estimators import fitted_regressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError

from sgnn_sklearn import SimulationGroundedRegressor
from sgnn_sklearn.calibration import SplitConformalRegressor
from sgnn_sklearn.diagnostics import interval_coverage
from sgnn_sklearn.simulators import LinearGaussian

NOISIER = LinearGaussian(n_features=4, noise_std=1.5)  # the simulator says 0.5


def _coverage(conformal, data, level=0):
    _, intervals = conformal.predict_interval(data.X)
    return interval_coverage(data.y, intervals[:, 0, level], intervals[:, 1, level])


@pytest.mark.parametrize("score", ["normalized", "absolute", "interval"])
def test_calibration_restores_coverage_on_a_misspecified_process(score):
    est = fitted_regressor()
    labelled = NOISIER.simulate(200, random_state=1)
    later = NOISIER.simulate(4000, random_state=2)
    before = interval_coverage(later.y, *est.predict_interval(later.X, 0.9))
    conformal = SplitConformalRegressor(est, 0.9, conformity_score=score)
    after = _coverage(conformal.conformalize(labelled.X, labelled.y), later)
    assert before < 0.6
    assert 0.87 <= after <= 0.93


def test_half_width_is_the_finite_sample_quantile_of_the_scores():
    est = fitted_regressor()
    data = NOISIER.simulate(19, random_state=3)
    conformal = SplitConformalRegressor(
        est, [0.5, 0.9], conformity_score="normalized"
    ).conformalize(data.X, data.y)
    mean, std = est.predict(data.X, return_std=True)
    scores = np.sort(np.abs(data.y - mean) / std)
    # ceil((19 + 1) * 0.5) = 10th and ceil(20 * 0.9) = 18th smallest score.
    np.testing.assert_allclose(conformal.conformity_quantiles_, scores[[9, 17]])
    np.testing.assert_allclose(np.sort(conformal.conformity_scores_), scores)
    y_pred, y_pis = conformal.predict_interval(data.X)
    np.testing.assert_array_equal(y_pred, mean)
    np.testing.assert_allclose(y_pis[:, 1, 1] - y_pis[:, 0, 1], 2 * scores[17] * std)
    assert y_pis.shape == (19, 2, 2)
    np.testing.assert_array_equal(conformal.predict(data.X), mean)


def test_the_interval_score_moves_the_estimators_own_interval_ends():
    est = fitted_regressor()
    data = NOISIER.simulate(19, random_state=3)
    conformal = SplitConformalRegressor(
        est, [0.5, 0.9], conformity_score="interval"
    ).conformalize(data.X, data.y)
    for j, level in enumerate([0.5, 0.9]):
        lower, upper = est.predict_interval(data.X, level)
        scores = np.maximum(lower - data.y, data.y - upper)
        np.testing.assert_allclose(conformal.conformity_scores_[:, j], scores)
        # ceil((19 + 1) * 0.5) = 10th and ceil(20 * 0.9) = 18th smallest score.
        expected = np.sort(scores)[[9, 17][j]]
        np.testing.assert_allclose(conformal.conformity_quantiles_[j], expected)
        y_pred, y_pis = conformal.predict_interval(data.X)
        np.testing.assert_allclose(y_pis[:, 0, j], lower - expected)
        np.testing.assert_allclose(y_pis[:, 1, j], upper + expected)
    np.testing.assert_array_equal(y_pred, est.predict(data.X))
    # The simulator's own intervals are too narrow here: they widen.
    assert np.all(conformal.conformity_quantiles_ > 0)


def test_the_interval_score_never_turns_an_interval_inside_out():
    # Real series far less noisy than simulated: the own intervals are too
    # wide, the shift is negative, and an interval shrinks at most to a point.
    est = fitted_regressor()
    quiet = LinearGaussian(n_features=4, noise_std=0.05)
    labelled, later = quiet.simulate(200, random_state=1), quiet.simulate(500, 2)
    conformal = SplitConformalRegressor(est, 0.5, conformity_score="interval")
    conformal.conformalize(labelled.X, labelled.y)
    assert conformal.conformity_quantiles_[0] < 0
    _, y_pis = conformal.predict_interval(later.X)
    assert np.all(y_pis[:, 0, 0] <= y_pis[:, 1, 0])


def test_the_interval_score_reads_a_pipelines_last_step():
    est = fitted_regressor()
    pipe = make_pipeline(FunctionTransformer(lambda X: X + 0.0), est)
    data = NOISIER.simulate(50, random_state=8)
    direct = SplitConformalRegressor(est).conformalize(data.X, data.y)
    piped = SplitConformalRegressor(pipe).conformalize(data.X, data.y)
    np.testing.assert_array_equal(
        piped.conformity_quantiles_, direct.conformity_quantiles_
    )
    for got, expected in zip(
        piped.predict_interval(data.X), direct.predict_interval(data.X), strict=True
    ):
        np.testing.assert_array_equal(got, expected)


def test_the_interval_score_needs_the_estimators_own_intervals():
    data = NOISIER.simulate(30, random_state=5)
    model = LinearRegression().fit(data.X, data.y)
    with pytest.raises(ValueError, match=r"predict_interval\(X, coverage\)"):
        SplitConformalRegressor(model, conformity_score="interval").conformalize(
            data.X, data.y
        )


def test_nine_labels_suffice_for_ninety_percent_and_eight_do_not():
    est = fitted_regressor()
    data = NOISIER.simulate(9, random_state=4)
    SplitConformalRegressor(est).conformalize(data.X, data.y)
    with pytest.raises(ValueError, match="at least 9 labelled series .* got 8"):
        SplitConformalRegressor(est).conformalize(data.X[:8], data.y[:8])
    with pytest.raises(ValueError, match="at least 19 labelled series"):
        SplitConformalRegressor(est, [0.5, 0.95]).conformalize(data.X, data.y)


@pytest.mark.parametrize(
    "X, y, message",
    [
        (np.zeros((30, 3)), np.zeros(30), "X has 3 features, but .* expecting 4"),
        (np.full((30, 4), np.nan), np.zeros(30), "missing or infinite values in 30"),
        (
            np.zeros((30, 4)),
            np.r_[np.nan, np.zeros(29)],
            "targets y has missing .* in 1",
        ),
        (np.zeros((30, 4)), np.zeros(29), "inconsistent numbers of samples"),
    ],
)
def test_bad_calibration_sets_are_refused_clearly(X, y, message):
    with pytest.raises(ValueError, match=message):
        SplitConformalRegressor(fitted_regressor()).conformalize(X, y)


def test_order_of_calls_and_settings_are_checked():
    est = fitted_regressor()
    data = NOISIER.simulate(30, random_state=5)
    with pytest.raises(ValueError, match="fit must not be called"):
        SplitConformalRegressor(est).fit(data.X, data.y)
    with pytest.raises(NotFittedError, match="needs a fitted estimator"):
        SplitConformalRegressor(SimulationGroundedRegressor()).conformalize(
            data.X, data.y
        )
    with pytest.raises(NotFittedError, match="call fit"):
        SplitConformalRegressor(est, prefit=False).conformalize(data.X, data.y)
    with pytest.raises(NotFittedError, match="call conformalize"):
        SplitConformalRegressor(est).predict_interval(data.X)
    with pytest.raises(InvalidParameterError):
        SplitConformalRegressor(est, 1.5).conformalize(data.X, data.y)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        SplitConformalRegressor(est, [0.5, 1.2]).conformalize(data.X, data.y)
    with pytest.raises(ValueError, match="return_std"):
        SplitConformalRegressor(
            LinearRegression().fit(data.X, data.y), conformity_score="normalized"
        ).conformalize(data.X, data.y)


def test_prefit_false_fits_a_clone_then_calibrates():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = X @ [1.0, -1.0, 0.5] + rng.normal(size=400)
    base = LinearRegression()
    conformal = SplitConformalRegressor(base, conformity_score="absolute", prefit=False)
    conformal.fit(X[:200], y[:200]).conformalize(X[200:300], y[200:300])
    assert not hasattr(base, "coef_") and conformal.n_features_in_ == 3
    _, y_pis = conformal.predict_interval(X[300:])
    inside = (y_pis[:, 0, 0] <= y[300:]) & (y[300:] <= y_pis[:, 1, 0])
    assert 0.8 <= inside.mean() <= 0.99
    conformal.fit(X[:200], y[:200])  # a refit drops the calibration
    with pytest.raises(NotFittedError, match="call conformalize"):
        conformal.predict_interval(X)


def test_several_targets_are_refused():
    X = np.random.default_rng(0).normal(size=(30, 3))
    est = SimulationGroundedRegressor(max_epochs=2).fit(X, X[:, :2])
    with pytest.raises(ValueError, match="calibrates one target"):
        SplitConformalRegressor(est).conformalize(X, X[:, 0])


class _PredictedStd:
    """The SGNN's predicted std as MAPIE's prefit residual model."""

    def __init__(self, est):
        self.est = est
        self.fitted_ = True

    def fit(self, X, y):
        return self

    def predict(self, X):
        return self.est.predict(X, return_std=True)[1]


@pytest.mark.parametrize("score", ["normalized", "absolute"])
def test_same_intervals_as_mapie(score):
    mapie_regression = pytest.importorskip("mapie.regression")
    from mapie.conformity_scores import ResidualNormalisedScore

    est = fitted_regressor()
    labelled, later = (
        NOISIER.simulate(50, random_state=6),
        NOISIER.simulate(100, random_state=7),
    )
    mapie_score = (
        ResidualNormalisedScore(_PredictedStd(est), prefit=True)
        if score == "normalized"
        else "absolute"
    )
    theirs = mapie_regression.SplitConformalRegressor(
        est, confidence_level=[0.8, 0.9], conformity_score=mapie_score, prefit=True
    ).conformalize(labelled.X, labelled.y)
    ours = SplitConformalRegressor(
        est, confidence_level=[0.8, 0.9], conformity_score=score
    ).conformalize(labelled.X, labelled.y)
    for got, expected in zip(
        ours.predict_interval(later.X), theirs.predict_interval(later.X), strict=True
    ):
        np.testing.assert_allclose(got, expected, rtol=1e-6)


class _Bound:
    """One end of the SGNN's own interval, as MAPIE's prefit quantile model."""

    def __init__(self, est, end, level):
        self.est, self.end, self.level, self.fitted_ = est, end, level, True

    def fit(self, X, y):
        return self

    def predict(self, X):
        return self.est.predict_interval(X, self.level)[self.end]


def test_the_interval_score_gives_mapies_symmetric_cqr_intervals():
    mapie_regression = pytest.importorskip("mapie.regression")
    est = fitted_regressor()
    labelled, later = (
        NOISIER.simulate(50, random_state=6),
        NOISIER.simulate(100, random_state=7),
    )
    quantile_models = [_Bound(est, 0, 0.9), _Bound(est, 1, 0.9), est]
    theirs = mapie_regression.ConformalizedQuantileRegressor(
        quantile_models, confidence_level=0.9, prefit=True
    ).conformalize(labelled.X, labelled.y)
    ours = SplitConformalRegressor(est, 0.9).conformalize(labelled.X, labelled.y)
    for got, expected in zip(
        ours.predict_interval(later.X),
        theirs.predict_interval(later.X, symmetric_correction=True),
        strict=True,
    ):
        np.testing.assert_allclose(got, expected, rtol=1e-6)
