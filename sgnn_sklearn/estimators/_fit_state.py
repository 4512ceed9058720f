"""A fit that fails leaves the estimator as it was.

scikit-learn's rule: after a failed ``fit`` the estimator is either still in
its earlier fitted state or unfitted, never half of each. Here it keeps the
earlier state: ``fit`` runs on a copy that holds the parameters but none of
an earlier fit's attributes (:func:`fresh_copy`), and only a fit that
completes replaces the estimator's state by the copy's (:func:`commit`).
"""

from __future__ import annotations

import copy
from typing import Any

# The attributes a fit set, beyond scikit-learn's trailing underscore:
# private ones (the seeds, the label encoder, ...) are listed here at commit.
FITTED_KEYS = "_fitted_keys"


def _fitted_keys(estimator: Any) -> set[str]:
    keys = set(getattr(estimator, FITTED_KEYS, ()))
    keys |= {
        key for key in vars(estimator) if key.endswith("_") and not key.startswith("__")
    }
    return keys | {FITTED_KEYS}


def fresh_copy(estimator: Any) -> Any:
    """A shallow copy of ``estimator`` without what an earlier fit set.

    Parameters and configuration (``set_output``, metadata requests) are
    shared with the original; nothing is deep-copied.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> est = Ridge().fit([[0.0], [1.0]], [0.0, 1.0])
    >>> hasattr(fresh_copy(est), "coef_"), fresh_copy(est).alpha
    (False, 1.0)
    """
    fresh = copy.copy(estimator)
    for key in _fitted_keys(estimator):
        fresh.__dict__.pop(key, None)
    return fresh


def commit(estimator: Any, fitted: Any) -> None:
    """Give ``estimator`` the state of ``fitted``, a completed fit of its copy.

    What an earlier fit of ``estimator`` set is removed; everything the fit of
    ``fitted`` added is recorded, so that the next :func:`fresh_copy` leaves
    it out.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> est = Ridge()
    >>> fitted = fresh_copy(est)
    >>> fitted._private = 1
    >>> commit(est, fitted.fit([[0.0], [1.0]], [0.0, 1.0]))
    >>> hasattr(est, "coef_"), hasattr(fresh_copy(est), "_private")
    (True, False)
    """
    before = set(vars(fresh_copy(estimator)))
    state = vars(fitted)
    added = sorted(key for key in state if key not in before)
    vars(estimator).clear()
    vars(estimator).update(state)
    setattr(estimator, FITTED_KEYS, tuple(added))
