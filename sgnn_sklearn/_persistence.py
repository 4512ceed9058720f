"""The package version in every pickle of an estimator, checked on load.

A fitted estimator holds a torch network and private attributes whose layout
may change between releases; loading it with another version of
sgnn_sklearn can fail later, or predict differently, without an error.
"""

from __future__ import annotations

import warnings
from typing import Any

from ._version import __version__

VERSION_KEY = "_sgnn_sklearn_version"


class ModelVersionWarning(UserWarning):
    """A model was pickled by a version of sgnn_sklearn other than the one loading it.

    Examples
    --------
    >>> import warnings
    >>> from sgnn_sklearn._persistence import ModelVersionWarning, check_version
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = check_version({"_sgnn_sklearn_version": "0.0.1"}, "Model")
    >>> caught[0].category is ModelVersionWarning
    True
    """


def add_version(state: dict[str, Any]) -> dict[str, Any]:
    """A copy of the pickled ``state`` with the package version added.

    Examples
    --------
    >>> from sgnn_sklearn import __version__
    >>> add_version({"a": 1})["_sgnn_sklearn_version"] == __version__
    True
    """
    return {**state, VERSION_KEY: __version__}


def check_version(state: dict[str, Any], name: str) -> dict[str, Any]:
    """Remove the stored version from ``state``; warn if it is not this one.

    Parameters
    ----------
    state : dict
        The unpickled state of an estimator.
    name : str
        The estimator's class name, for the message.

    Returns
    -------
    dict
        ``state`` without the version.

    Examples
    --------
    >>> from sgnn_sklearn import __version__
    >>> check_version({"a": 1, "_sgnn_sklearn_version": __version__}, "Model")
    {'a': 1}
    """
    state = dict(state)
    stored = state.pop(VERSION_KEY, None)
    if stored != __version__:
        origin = (
            "without a version (by an sgnn_sklearn older than 0.1, or not by "
            "pickling the estimator)"
            if stored is None
            else f"by sgnn_sklearn {stored}"
        )
        warnings.warn(
            ModelVersionWarning(
                f"This {name} was pickled {origin} and is being loaded by "
                f"sgnn_sklearn {__version__}. Only the version that saved a model "
                "is guaranteed to load it correctly and predict the same: refit "
                "it with this version, or load it with the one that saved it."
            ),
            stacklevel=3,
        )
    return state
