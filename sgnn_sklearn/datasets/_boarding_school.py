"""The 1978 influenza outbreak in an English boarding school."""

from __future__ import annotations

import csv
from importlib import resources
from typing import Any

import numpy as np
from sklearn.utils import Bunch

POPULATION = 763
N_ILL = 512


def _read_text(*parts: str) -> str:
    return resources.files(__package__).joinpath(*parts).read_text(encoding="utf-8")


def load_influenza_boarding_school(*, as_frame: bool = False) -> Bunch:
    """Load the boys confined to bed each day of a 1978 influenza outbreak.

    One outbreak in a boarding school of 763 boys, 14 daily counts of boys
    in bed (22 January to 4 February 1978), in the layout the estimators
    take: one series per row, one day per column. The counts are a
    prevalence (boys ill on the day), not an incidence. There is no target:
    the basic reproduction number is what one estimates from them. Source,
    how the numbers were checked and the licence: ``DESCR`` and
    :ref:`influenza_boarding_school_dataset`.

    Parameters
    ----------
    as_frame : bool, default=False
        Return ``data`` and ``convalescent`` as pandas DataFrames (one row,
        columns ``day0, ..., day13``) and ``frame``, the table with one row
        per day (``date``, ``in_bed``, ``convalescent``). Needs pandas.

    Returns
    -------
    Bunch
        Dictionary-like object with attributes:

        data : ndarray of shape (1, 14) or DataFrame
            Boys confined to bed on each day.
        convalescent : ndarray of shape (1, 14) or DataFrame
            Boys out of bed but not yet back in class on each day.
        dates : ndarray of shape (14,), dtype datetime64[D]
            The days of the columns, 1978-01-22 to 1978-02-04.
        feature_names : list of str
            ``["day0", ..., "day13"]``.
        population : int
            Boys at risk, 763.
        n_ill : int
            Boys who were ill during the outbreak, 512.
        frame : DataFrame of shape (14, 3) or None
            One row per day; only with ``as_frame=True``.
        DESCR : str
            Description: the outbreak, sources, verification, licence.

    Notes
    -----
    No ``return_X_y``: the data set has no target ``y``.

    Examples
    --------
    >>> from sgnn_sklearn.datasets import load_influenza_boarding_school
    >>> flu = load_influenza_boarding_school()
    >>> flu.data.shape, int(flu.data.max()), flu.population
    ((1, 14), 298, 763)
    >>> str(flu.dates[0]), flu.feature_names[:2]
    ('1978-01-22', ['day0', 'day1'])
    """
    rows = list(
        csv.DictReader(_read_text("data", "influenza_boarding_school.csv").splitlines())
    )
    dates = np.array([row["date"] for row in rows], dtype="datetime64[D]")
    in_bed = np.array([[int(row["in_bed"]) for row in rows]], dtype=float)
    convalescent = np.array([[int(row["convalescent"]) for row in rows]], dtype=float)
    feature_names = [f"day{i}" for i in range(len(rows))]
    data: Any = in_bed
    recovering: Any = convalescent
    frame = None
    if as_frame:
        try:
            import pandas as pd
        except ImportError as error:  # pragma: no cover - pandas is a test extra
            raise ImportError(
                "load_influenza_boarding_school(as_frame=True) needs pandas; "
                "install it (pip install pandas) or use as_frame=False."
            ) from error
        data = pd.DataFrame(in_bed, columns=feature_names)
        recovering = pd.DataFrame(convalescent, columns=feature_names)
        frame = pd.DataFrame(
            {
                "date": pd.to_datetime(dates),
                "in_bed": in_bed[0].astype(int),
                "convalescent": convalescent[0].astype(int),
            }
        )
    return Bunch(
        data=data,
        convalescent=recovering,
        dates=dates,
        feature_names=feature_names,
        population=POPULATION,
        n_ill=N_ILL,
        frame=frame,
        DESCR=_read_text("descr", "influenza_boarding_school.rst"),
    )
