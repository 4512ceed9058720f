"""The real data sets shipped with the package."""

import numpy as np
import pytest

from sgnn_sklearn.datasets import load_influenza_boarding_school


def test_boarding_school_shape_and_values():
    flu = load_influenza_boarding_school()
    assert flu.data.shape == flu.convalescent.shape == (1, 14)
    assert flu.feature_names == [f"day{i}" for i in range(14)]
    # Checksums of the published reading (outbreaks::influenza_england_1978_school).
    assert flu.data.sum() == 1559 and flu.convalescent.sum() == 937
    assert flu.data[0, :6].tolist() == [3, 8, 26, 76, 225, 298]
    assert int(np.argmax(flu.data)) == 5  # the peak, 27 January
    assert flu.dates[0] == np.datetime64("1978-01-22")
    assert flu.dates[-1] == np.datetime64("1978-02-04")
    assert np.all(np.diff(flu.dates) == np.timedelta64(1, "D"))
    assert (flu.population, flu.n_ill) == (763, 512)
    assert flu.frame is None


def test_boarding_school_descr_states_source_and_licence():
    descr = load_influenza_boarding_school().DESCR
    for needed in (
        "British Medical Journal",
        "6112",
        "outbreaks",
        "Licence",
        "BSD-3-Clause",
        "prevalence",
    ):
        assert needed in descr


def test_boarding_school_as_frame():
    pd = pytest.importorskip("pandas")
    flu = load_influenza_boarding_school(as_frame=True)
    assert isinstance(flu.data, pd.DataFrame)
    assert list(flu.data.columns) == flu.feature_names
    assert flu.frame.shape == (14, 3)
    assert list(flu.frame.columns) == ["date", "in_bed", "convalescent"]
    np.testing.assert_array_equal(flu.frame["in_bed"], flu.data.iloc[0])
    assert flu.frame["date"].iloc[5] == pd.Timestamp("1978-01-27")
