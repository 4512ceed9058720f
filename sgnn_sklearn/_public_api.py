"""The public API, discovered from ``__all__``: what the docs and tests cover."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import sgnn_sklearn


def public_modules() -> list[str]:
    """Names of the package's public modules that declare ``__all__``.

    A module is public when no part of its dotted name starts with an
    underscore. The package itself comes first, then the others sorted.

    Returns
    -------
    list of str

    Examples
    --------
    >>> modules = public_modules()
    >>> modules[0], "sgnn_sklearn.estimators" in modules
    ('sgnn_sklearn', True)
    """
    names = []
    for info in pkgutil.walk_packages(sgnn_sklearn.__path__, "sgnn_sklearn."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        if hasattr(importlib.import_module(info.name), "__all__"):
            names.append(info.name)
    return ["sgnn_sklearn", *sorted(names)]


def public_objects() -> dict[str, list[tuple[str, Any]]]:
    """The public classes and functions of each public module.

    Each object is listed once, under the first module (in the order of
    :func:`public_modules`) whose ``__all__`` names it; modules left with
    nothing to list are dropped.

    Returns
    -------
    dict of str to list of (str, object)
        Module name to ``(name, object)`` pairs, sorted by name.

    Examples
    --------
    >>> objects = public_objects()
    >>> [name for name, _ in objects["sgnn_sklearn"]]
    ['CacheWarning', 'ModelPortabilityWarning', 'ModelVersionWarning',
     'SimulationGroundedClassifier', 'SimulationGroundedRegressor']
    """
    seen: set[int] = set()
    found = {}
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        members = []
        for name in sorted(module.__all__, key=str.lower):
            obj = getattr(module, name)
            documentable = inspect.isclass(obj) or inspect.isfunction(obj)
            if documentable and id(obj) not in seen:
                seen.add(id(obj))
                members.append((name, obj))
        if members:
            found[module_name] = members
    return found
