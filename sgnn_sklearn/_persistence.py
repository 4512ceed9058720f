"""Saving an estimator: the version stored and checked, the simulator made portable.

A fitted estimator holds a torch network and private attributes whose layout
may change between releases; loading it with another version of
sgnn_sklearn can fail later, or predict differently, without an error.

It also holds its simulator, which pickle stores by reference: the module
and name of its class, and of any function it wraps. A lambda, or a function
or class defined inside another function, has no such name, and pickling
fails deep inside the pickler; a class defined in ``__main__`` (the script or
notebook) pickles, but loads only in a process that defines it again. Both are
said at dump time, with what to do (see the "Saving and loading" page).
"""

from __future__ import annotations

import pickle
import sys
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


class ModelPortabilityWarning(UserWarning):
    """A pickled model's simulator will load only where its ``__main__`` is the same.

    Raised at dump time when the simulator's class (or a function it wraps)
    is defined in ``__main__``, the script or notebook being run: pickle stores
    it as ``__main__.Name``, which another process cannot import.

    Examples
    --------
    >>> import pickle, warnings
    >>> from sgnn_sklearn import ModelPortabilityWarning
    >>> from sgnn_sklearn.simulators import FunctionSimulator
    >>> def draw(params, rng):
    ...     return rng.normal(params["mu"], 1.0, size=3)
    >>> draw.__module__ = "__main__"  # as if defined in a script
    >>> import __main__; __main__.draw = draw
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = check_portable({"simulator": FunctionSimulator(draw, {"mu": (0, 1)})},
    ...                        "Model")
    >>> caught[0].category is ModelPortabilityWarning
    True
    >>> del __main__.draw
    """


class SimulatorPicklingError(pickle.PicklingError):
    """The estimator's simulator cannot be pickled; the message says what to do.

    A subclass of :class:`pickle.PicklingError`, so code that falls back to
    another pickler on that error (as Dask does) still does.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import FunctionSimulator
    >>> check_portable(
    ...     {"simulator": FunctionSimulator(lambda p, rng: [p["mu"]], {"mu": (0, 1)})},
    ...     "Model")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sgnn_sklearn._persistence.SimulatorPicklingError: Model cannot be pickled: ...
    """


# Modules whose frames on the stack mean the estimator is being copied or
# pickled by value (cloudpickle stores lambdas and __main__ classes in the
# pickle itself: joblib's loky workers, Dask, Ray), not saved with pickle.
_BY_VALUE_MODULES = ("copy", "cloudpickle")


def _pickled_by_value() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module == _BY_VALUE_MODULES[0] or _BY_VALUE_MODULES[1] in module:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _defined_in_main(simulator: Any) -> list[str]:
    """Names of the simulator's class and wrapped functions that live in __main__."""
    found = []
    if type(simulator).__module__ == "__main__":
        found.append(f"the class {type(simulator).__qualname__}")
    for value in vars(simulator).values() if hasattr(simulator, "__dict__") else ():
        if callable(value) and getattr(value, "__module__", None) == "__main__":
            found.append(f"the function {getattr(value, '__qualname__', value)!r}")
        elif hasattr(value, "simulate"):  # a simulator inside a mixture, say
            found.extend(_defined_in_main(value))
        elif isinstance(value, list | tuple):
            for item in value:
                inner = item[-1] if isinstance(item, tuple) else item
                if hasattr(inner, "simulate"):
                    found.extend(_defined_in_main(inner))
    return found


def check_portable(state: dict[str, Any], name: str) -> dict[str, Any]:
    """Check, before pickling, that the simulators in ``state`` will load elsewhere.

    Raises a :class:`SimulatorPicklingError` saying what to do when a
    simulator cannot be pickled (a lambda or a function defined inside
    another function, in a ``FunctionSimulator``, say), and warns
    (:class:`ModelPortabilityWarning`) when one is defined in ``__main__``.
    Copies (``copy.deepcopy``, ``sklearn.clone``) and picklers that store
    such objects by value (cloudpickle: joblib's workers, Dask, Ray) are not
    checked.

    Parameters
    ----------
    state : dict
        The estimator's state about to be pickled.
    name : str
        The estimator's class name, for the messages.

    Returns
    -------
    dict
        ``state``, unchanged.

    Examples
    --------
    >>> from sgnn_sklearn.simulators import SIR
    >>> check_portable({"simulator": SIR(), "simulator_": None}, "Model")["simulator"]
    SIR()
    """
    simulators = [state.get(key) for key in ("simulator", "simulator_")]
    simulators = [s for s in simulators if s is not None]
    if not simulators or _pickled_by_value():
        return state
    for simulator in {id(s): s for s in simulators}.values():
        try:
            pickle.dumps(simulator)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise SimulatorPicklingError(
                f"{name} cannot be pickled: its simulator, a "
                f"{type(simulator).__name__}, holds something pickle cannot store "
                f"({exc}). pickle saves a function "
                "or class by its module and name, so a lambda, or a function or "
                "class defined inside another function, cannot be saved. Define "
                "it with def (or class) at the top level of a module that is "
                "importable where the model will be loaded, and pass that. To "
                "save it as it is, use cloudpickle (cloudpickle.dump(est, f)), "
                "which stores such functions by value, and load the file with "
                "the same Python and library versions. See the 'Saving and "
                "loading' page of the documentation."
            ) from exc
        in_main = _defined_in_main(simulator)
        if in_main:
            warnings.warn(
                ModelPortabilityWarning(
                    f"{name}'s simulator uses {', '.join(in_main)}, defined in "
                    "__main__ (the script or notebook being run). pickle stores "
                    "it as __main__.<name>, so the saved model loads only in a "
                    "process that defines it again before loading. To load it "
                    "anywhere, move it to a module (a .py file importable where "
                    "the model is loaded) and import it from there. See the "
                    "'Saving and loading' page of the documentation."
                ),
                stacklevel=3,
            )
    return state


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
