"""Messy inputs to fit, predict and predict_proba: a correct result or a clear error."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import sparse

from sgnn_sklearn import SimulationGroundedClassifier, SimulationGroundedRegressor
from sgnn_sklearn.simulators import LinearGaussian, MixtureSimulator

pd = pytest.importorskip("pandas")

FAST = dict(max_epochs=2, hidden_layer_sizes=(4,), random_state=0)
N_FEATURES = 3
SIMULATOR = LinearGaussian(n_features=N_FEATURES)
NAMES = list(SIMULATOR.feature_names)
X_GOOD = SIMULATOR.simulate(6, random_state=1).X
CORNER = np.eye(6, N_FEATURES, dtype=bool)


@pytest.fixture(scope="module")
def fitted():
    """Each way to fit, with the methods that predict from X."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, N_FEATURES))
    mixture = MixtureSimulator(
        [
            ("quiet", LinearGaussian(n_features=N_FEATURES, noise_std=0.3)),
            ("noisy", LinearGaussian(n_features=N_FEATURES, noise_std=3.0)),
        ]
    )
    return {
        "regressor on simulator": (
            SimulationGroundedRegressor(SIMULATOR, n_simulations=200, **FAST).fit(),
            ("predict",),
        ),
        "regressor on X, y": (
            SimulationGroundedRegressor(**FAST).fit(X, X[:, 0]),
            ("predict",),
        ),
        "classifier on simulator": (
            SimulationGroundedClassifier(mixture, n_simulations=200, **FAST).fit(),
            ("predict", "predict_proba"),
        ),
        "classifier on X, y": (
            SimulationGroundedClassifier(**FAST).fit(X, X[:, 0] > 0),
            ("predict", "predict_proba"),
        ),
    }


def _methods(fitted):
    for name, (est, methods) in fitted.items():
        for method in methods:
            yield f"{name}.{method}", getattr(est, method)


# (input, exception type, message) for every method that predicts from X
BAD_X = {
    "NaN": (np.where(CORNER, np.nan, X_GOOD), ValueError, "Input X contains NaN"),
    "inf": (np.where(CORNER, np.inf, X_GOOD), ValueError, "Input X contains infinity"),
    "-inf": (
        np.where(CORNER, -np.inf, X_GOOD),
        ValueError,
        "Input X contains infinity",
    ),
    "empty": (
        np.empty((0, N_FEATURES)),
        ValueError,
        r"Found array with 0 sample\(s\) \(shape=\(0, 3\)\) while a minimum of 1",
    ),
    "too few features": (
        X_GOOD[:, :2],
        ValueError,
        "X has 2 features, but .* is expecting 3 features",
    ),
    "too many features": (
        np.c_[X_GOOD, X_GOOD],
        ValueError,
        "X has 6 features, but .* expecting 3",
    ),
    "strings": (
        np.array([["a", "b", "c"]]),
        ValueError,
        "dtype='numeric' is not compatible with arrays of bytes/strings",
    ),
    "numeric strings": (
        X_GOOD.astype(str),
        ValueError,
        "dtype='numeric' is not compatible with arrays of bytes/strings",
    ),
    "complex": (X_GOOD + 1j, ValueError, "Complex data not supported"),
    "sparse CSR": (
        sparse.csr_matrix(X_GOOD),
        TypeError,
        "Sparse data was passed for X, but dense data is required",
    ),
    "sparse COO array": (
        sparse.coo_array(X_GOOD),
        TypeError,
        "Sparse data was passed for X",
    ),
    "3-D": (X_GOOD[:, :, None], ValueError, "Found array with dim 3, while dim <= 2"),
    "masked array with masked entries": (
        np.ma.masked_array(X_GOOD, mask=CORNER),
        ValueError,
        "X is a masked array with 3 masked entries of 18",
    ),
    "1-D": (X_GOOD[0], ValueError, "Expected 2D array, got 1D array instead"),
    "scalar": (1.0, ValueError, "Expected 2D array, got scalar array instead"),
    "None": (None, ValueError, "Expected 2D array, got scalar array instead"),
    "values overflowing float32": (
        X_GOOD * 1e300,
        ValueError,
        "X has values too large for the network",
    ),
}


@pytest.mark.parametrize("case", list(BAD_X))
def test_bad_X_gives_a_clear_error_in_every_predicting_method(fitted, case):
    X, error, message = BAD_X[case]
    for name, method in _methods(fitted):
        with pytest.raises(error, match=message):
            method(X)
            pytest.fail(f"{name} accepted {case}")


# Inputs that must give exactly the result of the float64 array X_GOOD.
SAME_AS_ARRAY = {
    "plain list": X_GOOD.tolist(),
    "masked array with nothing masked": np.ma.masked_array(X_GOOD),
    "object array": X_GOOD.astype(object),
    "float32": X_GOOD.astype(np.float32).astype(np.float64),
    "Fortran order": np.asfortranarray(X_GOOD),
    "non-contiguous view": np.c_[X_GOOD, X_GOOD][:, ::2][:, :N_FEATURES],
}


@pytest.mark.parametrize("case", list(SAME_AS_ARRAY))
def test_array_likes_give_the_array_result(fitted, case):
    X = SAME_AS_ARRAY[case]
    expected_X = np.asarray(X, dtype=float)
    for _, method in _methods(fitted):
        np.testing.assert_array_equal(method(X), method(expected_X))


def test_one_sample_gives_its_row_of_the_batch_exactly(fitted):
    for name, method in _methods(fitted):
        batch = method(X_GOOD)
        for i in range(len(X_GOOD)):
            one = method(X_GOOD[i : i + 1])
            assert one.shape == (1,) + batch.shape[1:], name
            np.testing.assert_array_equal(one[0], batch[i], err_msg=name)


def test_boolean_input_is_read_as_numbers(fitted):
    for _, method in _methods(fitted):
        np.testing.assert_array_equal(
            method(X_GOOD > 0), method((X_GOOD > 0).astype(float))
        )


# -- DataFrames and column names ------------------------------------------------


def test_dataframe_with_the_simulator_names_needs_no_warning(fitted):
    frame = pd.DataFrame(X_GOOD, columns=NAMES)
    for name in ("regressor on simulator", "classifier on simulator"):
        est, methods = fitted[name]
        for method in methods:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                result = getattr(est, method)(frame)
            np.testing.assert_array_equal(result, getattr(est, method)(X_GOOD))


@pytest.mark.parametrize(
    "columns, message",
    [
        (
            ["a", "b", "c"],
            r"X has the feature names \['a', 'b', 'c'\], but the "
            r"simulator produces \['x0', 'x1', 'x2'\]\. Rename",
        ),
        (NAMES[::-1], r"simulator produces \['x0', 'x1', 'x2'\] in another order"),
        (NAMES[:2] + ["extra"], "but the simulator produces"),
    ],
)
def test_dataframe_with_other_names_than_the_simulator_is_refused(
    fitted, columns, message
):
    frame = pd.DataFrame(X_GOOD, columns=columns)
    for name in ("regressor on simulator", "classifier on simulator"):
        est, methods = fitted[name]
        for method in methods:
            with pytest.raises(ValueError, match=message):
                getattr(est, method)(frame)


def test_dataframe_names_after_fit_on_a_dataframe_follow_scikit_learn():
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 3)), columns=NAMES)
    est = SimulationGroundedRegressor(**FAST).fit(X, X["x0"])
    assert est.feature_names_in_.tolist() == NAMES
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        est.predict(X.set_axis(["a", "b", "c"], axis=1))
    with pytest.raises(ValueError, match="must be in the same order"):
        est.predict(X[NAMES[::-1]])
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        np.testing.assert_array_equal(est.predict(X), est.predict(X.to_numpy()))


def test_real_data_must_carry_the_simulator_names_when_named():
    est = SimulationGroundedRegressor(SIMULATOR, n_simulations=100, **FAST)
    X = SIMULATOR.simulate(30, random_state=2)
    with pytest.raises(ValueError, match="but the simulator produces"):
        est.fit(pd.DataFrame(X.X, columns=["a", "b", "c"]), X.y)
    est.fit(pd.DataFrame(X.X, columns=NAMES), X.y)
    assert not hasattr(est, "feature_names_in_")


def test_refit_on_a_simulator_forgets_dataframe_names():
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 3)), columns=list("abc"))
    est = SimulationGroundedRegressor(**FAST).fit(X, X["a"])
    est.set_params(simulator=SIMULATOR, n_simulations=100).fit()
    assert not hasattr(est, "feature_names_in_")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.predict(X_GOOD)


# -- fit on labelled data ---------------------------------------------------------

RNG = np.random.default_rng(0)
X_FIT = RNG.normal(size=(30, N_FEATURES))
Y_FIT = X_FIT[:, 0] + 0.1 * RNG.normal(size=30)
ROW3 = np.arange(30) == 3

BAD_FIT = {
    "NaN in X": (
        np.where(ROW3[:, None], np.nan, X_FIT),
        Y_FIT,
        ValueError,
        "Input X contains NaN",
    ),
    "inf in X": (
        np.where(ROW3[:, None], np.inf, X_FIT),
        Y_FIT,
        ValueError,
        "Input X contains infinity",
    ),
    "NaN in y": (
        X_FIT,
        np.where(ROW3, np.nan, Y_FIT),
        ValueError,
        "Input y contains NaN",
    ),
    "inf in y": (
        X_FIT,
        np.where(ROW3, np.inf, Y_FIT),
        ValueError,
        "Input y contains infinity",
    ),
    "empty": (
        np.empty((0, 3)),
        np.empty(0),
        ValueError,
        r"Found array with 0 sample\(s\)",
    ),
    "y of another length": (
        X_FIT,
        Y_FIT[:-1],
        ValueError,
        r"inconsistent numbers of samples: \[30, 29\]",
    ),
    "strings in X": (
        X_FIT.astype(str),
        Y_FIT,
        ValueError,
        "dtype='numeric' is not compatible",
    ),
    "complex X": (X_FIT + 1j, Y_FIT, ValueError, "Complex data not supported"),
    "complex y": (X_FIT, Y_FIT + 1j, ValueError, "Complex data not supported"),
    "sparse X": (
        sparse.csr_matrix(X_FIT),
        Y_FIT,
        TypeError,
        "Sparse data was passed for X",
    ),
    "3-D X": (X_FIT[:, :, None], Y_FIT, ValueError, "Found array with dim 3"),
    "1-D X": (X_FIT[:, 0], Y_FIT, ValueError, "Expected 2D array, got 1D array"),
    "X values overflowing float32": (
        X_FIT * 1e300,
        Y_FIT,
        ValueError,
        "X has values too large for the network",
    ),
    "masked X": (
        np.ma.masked_array(X_FIT, mask=ROW3[:, None] & np.ones(N_FEATURES, bool)),
        Y_FIT,
        ValueError,
        "X is a masked array with 3 masked entries of 90",
    ),
    "a string as X": (
        "data.csv",
        Y_FIT,
        TypeError,
        "fit expects array-like X or a simulator; got a str",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FIT))
@pytest.mark.parametrize(
    "cls", [SimulationGroundedRegressor, SimulationGroundedClassifier]
)
def test_bad_fit_input_gives_a_clear_error(cls, case):
    X, y, error, message = BAD_FIT[case]
    if cls is SimulationGroundedClassifier and not np.iscomplexobj(y):
        y = np.where(np.isfinite(y), y > 0, y)  # two classes, same NaN/inf
    with pytest.raises(error, match=message):
        cls(**FAST).fit(X, y)


@pytest.mark.parametrize("with_simulator", [False, True])
def test_masked_targets_are_refused_not_read_under_the_mask(with_simulator):
    y = np.ma.masked_array(Y_FIT, mask=ROW3)
    est = SimulationGroundedRegressor(
        SIMULATOR if with_simulator else None, n_simulations=100, **FAST
    )
    with pytest.raises(ValueError, match="y is a masked array with 1 masked entry"):
        est.fit(X_FIT, y)


def test_regressor_refuses_labels_as_targets():
    with pytest.raises(
        ValueError,
        match=r"needs numeric targets y; got dtype <U1 \(first value 'a'\)\. For "
        "class labels use SimulationGroundedClassifier",
    ):
        SimulationGroundedRegressor(**FAST).fit(X_FIT, np.array(["a", "b"] * 15))


def test_one_sample_fits_a_regressor_and_not_a_classifier():
    est = SimulationGroundedRegressor(**FAST).fit(X_FIT[:1], Y_FIT[:1])
    assert est.predict(X_FIT[:2]).shape == (2,)
    with pytest.raises(
        ValueError, match="at least 2 classes to learn from; got 1 class: 'only'"
    ):
        SimulationGroundedClassifier(**FAST).fit(X_FIT[:1], ["only"])


def test_fit_on_lists_and_dataframes_equals_fit_on_arrays():
    expected = SimulationGroundedRegressor(**FAST).fit(X_FIT, Y_FIT).predict(X_FIT)
    from_lists = SimulationGroundedRegressor(**FAST).fit(X_FIT.tolist(), Y_FIT.tolist())
    frame = pd.DataFrame(X_FIT, columns=NAMES)
    from_frame = SimulationGroundedRegressor(**FAST).fit(frame, pd.Series(Y_FIT))
    np.testing.assert_array_equal(from_lists.predict(X_FIT), expected)
    np.testing.assert_array_equal(from_frame.predict(frame), expected)


def test_real_data_with_other_features_than_the_simulator_is_refused():
    est = SimulationGroundedRegressor(SIMULATOR, n_simulations=100, **FAST)
    with pytest.raises(
        ValueError,
        match="X has 2 features, but the simulator LinearGaussian produces 3",
    ):
        est.fit(X_FIT[:, :2], Y_FIT)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.fit(np.where(ROW3[:, None], np.nan, X_FIT), Y_FIT)


# -- properties over shapes and values --------------------------------------------

FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
PROPERTY = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TINY = dict(max_epochs=1, hidden_layer_sizes=(3,), random_state=0)


@st.composite
def datasets(draw):
    n = draw(st.integers(1, 25))
    p = draw(st.integers(1, 4))
    X = draw(arrays(np.float64, (n, p), elements=FINITE))
    y = draw(arrays(np.float64, (n,), elements=FINITE))
    return X, y


@PROPERTY
@given(datasets())
def test_property_regressor_predicts_finite_values_of_the_right_shape(data):
    X, y = data
    est = SimulationGroundedRegressor(**TINY).fit(X, y)
    pred = est.predict(X)
    assert pred.shape == (len(X),) and np.isfinite(pred).all()
    np.testing.assert_array_equal(est.predict(X[-1:]), pred[-1:])


@PROPERTY
@given(datasets(), st.integers(2, 4))
def test_property_classifier_probabilities_are_distributions(data, n_classes):
    X, _ = data
    X = np.tile(X, (-(-n_classes // len(X)), 1))  # room for every class
    y = np.arange(len(X)) % n_classes
    clf = SimulationGroundedClassifier(**TINY).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), n_classes) and np.isfinite(proba).all()
    assert (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert set(clf.predict(X)) <= set(clf.classes_)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 8),
    st.data(),
    st.sampled_from([np.nan, np.inf, -np.inf]),
)
def test_property_any_nonfinite_value_is_refused(fitted_regressor, n, data, value):
    X = np.zeros((n, N_FEATURES))
    X[data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, N_FEATURES - 1))] = (
        value
    )
    with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
        fitted_regressor.predict(X)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(0, 9).filter(lambda p: p != N_FEATURES))
def test_property_wrong_feature_count_is_named(fitted_regressor, n, p):
    message = (
        r"0 feature\(s\) \(shape=\(\d+, 0\)\) while a minimum of 1"
        if p == 0
        else f"X has {p} features?, but .* expecting 3"
    )
    with pytest.raises(ValueError, match=message):
        fitted_regressor.predict(np.zeros((n, p)))


@settings(max_examples=15, deadline=None)
@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 30), st.just(N_FEATURES)), elements=FINITE
    )
)
def test_property_prediction_does_not_depend_on_batching(fitted_regressor, X):
    whole = fitted_regressor.predict(X)
    split = np.concatenate(
        [fitted_regressor.predict(X[i : i + 7]) for i in range(0, len(X), 7)]
    )
    np.testing.assert_array_equal(whole, split)


@pytest.fixture(scope="module")
def fitted_regressor(fitted):
    return fitted["regressor on simulator"][0]
