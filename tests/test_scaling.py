"""The blockwise StandardScaler is StandardScaler().fit to the last bit."""

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from sgnn_sklearn.estimators import _scaling
from sgnn_sklearn.estimators._scaling import fit_standard_scaler


def _assert_same(a, b):
    for name in ("mean_", "var_", "scale_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).dtype == getattr(b, name).dtype
    np.testing.assert_array_equal(a.n_samples_seen_, b.n_samples_seen_)
    assert type(a.n_samples_seen_) is type(b.n_samples_seen_)
    assert a.n_features_in_ == b.n_features_in_


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: rng.lognormal(3.0, 2.0, size=(5003, 7)),  # skewed, like counts
        lambda rng: rng.poisson(40.0, size=(4000, 5)).astype(float),
        lambda rng: np.c_[rng.normal(1e6, 1e-3, 3001), np.full(3001, 2.5)],  # constant
        lambda rng: rng.normal(size=(3, 4)),
    ],
)
def test_blockwise_statistics_are_bit_identical(monkeypatch, make):
    monkeypatch.setattr(_scaling, "BLOCK_ROWS", 1000)  # several blocks
    X = make(np.random.default_rng(0))
    _assert_same(fit_standard_scaler(X), StandardScaler().fit(X))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_data_are_left_to_standard_scaler(bad):
    X = np.random.default_rng(0).normal(size=(50, 3))
    X[4, 1] = bad
    try:
        expected = StandardScaler().fit(X)
    except ValueError as exc:
        with pytest.raises(ValueError, match=str(exc)[:20]):
            fit_standard_scaler(X)
    else:
        _assert_same(fit_standard_scaler(X), expected)


@pytest.mark.parametrize("n_samples", [5003, 3])
def test_statistics_of_log_blocks_are_those_of_the_whole_log(monkeypatch, n_samples):
    monkeypatch.setattr(_scaling, "BLOCK_ROWS", 1000)
    rng = np.random.default_rng(0)
    X = rng.negative_binomial(2, 0.01, size=(n_samples, 6)).astype(float)
    seen = []

    def log1p(block):
        seen.append(len(block))
        return np.log1p(block)

    _assert_same(fit_standard_scaler(X, log1p), StandardScaler().fit(np.log1p(X)))
    assert max(seen) <= 1000


def test_log_of_non_finite_data_is_left_to_standard_scaler():
    X = np.random.default_rng(0).poisson(50.0, size=(50, 3)).astype(float)
    X[4, 1] = np.nan
    _assert_same(fit_standard_scaler(X, np.log1p), StandardScaler().fit(np.log1p(X)))
