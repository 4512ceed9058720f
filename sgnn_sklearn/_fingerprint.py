"""Keys for the ``memory`` caches: what determines a simulator's output, code included.

A cache answers only for the same inputs *and the same code*: naming a
function by its module and name, or a simulator by its class and parameters,
would hand back the old simulations after the function's body, a module
global it reads, or a subclass's ``_simulate`` was edited. So a key is a hash
of a *description* of the object in which

- a function of the user's own code (a script, a notebook, a project not
  installed into site-packages) is described by its bytecode and constants,
  its default arguments, the contents of its closure, and every module global
  its code names, each described in turn (functions reached through them
  too, and the attributes a user module is read for);
- a class of the user's code by everything its own class bodies hold (methods,
  properties, class attributes), over its whole method resolution order;
- sgnn_sklearn's own code by a hash of the package's source files;
- code installed into site-packages or the standard library by its module,
  name and the version of its top-level package (its source is not read);
- a frozen ``scipy.stats`` distribution by its distribution, arguments and
  data, not by the random generator it holds (numpy's global one by default,
  which would make the key change whenever anything draws from it);
- any other object by its class and its attributes, and data (arrays,
  numbers, strings) by value.

What cannot be described this way raises :class:`UncacheableError`, whose
message names the path to it; callers then run without the cache and warn.
Limits, documented in the user guide: compiled code (C extensions, Cython,
numba) and installed packages are keyed by version only; files and other
external state a simulator reads are not keyed; code reached through
``getattr`` with a computed name is not followed.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import sys
import sysconfig
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import joblib
import numpy as np

# Class-body entries that hold bookkeeping, not behaviour.
_CLASS_ENTRIES_SKIPPED = frozenset(
    {
        "__dict__",
        "__weakref__",
        "__module__",
        "__qualname__",
        "__doc__",
        "__slots__",
        "__annotations__",
        "__abstractmethods__",
        "__parameters__",
        "__orig_bases__",
        "_abc_impl",
    }
)
# Attributes of a scipy distribution object that are not part of its law.
_SCIPY_DIST_SKIPPED = frozenset({"_random_state", "__doc__", "_ctor_param"})
_MAX_DEPTH = 40


class UncacheableError(TypeError):
    """An object that a cache key cannot describe (see :func:`fingerprint`).

    Examples
    --------
    >>> import threading
    >>> try:
    ...     fingerprint({"lock": threading.Lock()})
    ... except UncacheableError as error:
    ...     print(str(error).split(":")[0])
    cannot key obj['lock'] (a lock)
    """


def fingerprint(obj: Any, name: str = "obj") -> str:
    """A hex digest of what determines ``obj``'s behaviour, its code included.

    Equal for equal data and code in any process (it never reads a random
    generator's state as a side effect, nor object ids); different as soon
    as a function body, a global it reads, or a method of a class changes.

    Parameters
    ----------
    obj : object
        A simulator, an estimator's parameters, a function...
    name : str, default="obj"
        How ``obj`` is named in the message of an :class:`UncacheableError`.

    Returns
    -------
    str

    Raises
    ------
    UncacheableError
        When part of ``obj`` can be neither described nor pickled (a lock, an
        open file...); the message names the path to it.

    Examples
    --------
    >>> def f(x):
    ...     return x + 1
    >>> key = fingerprint(f)
    >>> def f(x):
    ...     return x + 2
    >>> key == fingerprint(f)
    False
    >>> fingerprint(lambda x: x) == fingerprint(lambda x: x)
    True
    """
    return joblib.hash(_Describer().describe(obj, name, 0))


@functools.lru_cache(maxsize=1)
def package_fingerprint() -> str:
    """A hash of sgnn_sklearn's source files and the versions it runs with.

    Read once per process: the package's own code is keyed by it, since its
    simulators and estimators call into many private helpers.

    Examples
    --------
    >>> len(package_fingerprint())
    32
    """
    digest = hashlib.md5(usedforsecurity=False)
    root = _package_dir()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    for module in ("numpy", "scipy", "sklearn", "torch", "skorch", "joblib"):
        digest.update(f"{module}={_version_of(module)};".encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _package_dir() -> Path:
    return Path(__file__).resolve().parent


@functools.lru_cache(maxsize=1)
def _installed_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(os.path.realpath(d) + os.sep for d in dirs if d)


def _code_origin(filename: str | None) -> str:
    """``"package"``, ``"installed"`` or ``"user"``: whose code a file holds."""
    if not filename or filename.startswith("<frozen"):
        return "installed"
    if filename.startswith("<"):  # a notebook cell, a doctest, exec'd text
        return "user"
    path = os.path.realpath(filename)
    if path.startswith(str(_package_dir()) + os.sep):
        return "package"
    if path.startswith(_installed_dirs()):
        return "installed"
    return "user"


def _version_of(module_name: str | None) -> str | None:
    top = (module_name or "").partition(".")[0]
    module = sys.modules.get(top)
    version = getattr(module, "__version__", None)
    return version if isinstance(version, str) else None


def _class_origin(cls: type) -> str:
    for value in vars(cls).values():
        code = _code_of(value)
        if code is not None:
            return _code_origin(code.co_filename)
    module = sys.modules.get(cls.__module__)
    return _code_origin(getattr(module, "__file__", None))


def _code_of(value: Any) -> types.CodeType | None:
    """The code of a Python function in a class body (not of compiled ones)."""
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    if isinstance(value, property):
        value = value.fget
    return value.__code__ if isinstance(value, types.FunctionType) else None


def _all_names(code: types.CodeType) -> Iterator[str]:
    """The global and attribute names ``code`` and its nested code objects use."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _all_names(const)


def _describe_code(code: types.CodeType) -> tuple[Any, ...]:
    return (
        code.co_code,
        tuple(
            _describe_code(c) if isinstance(c, types.CodeType) else c
            for c in code.co_consts
        ),
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_argcount,
        code.co_kwonlyargcount,
        code.co_flags & ~inspect.CO_NESTED,  # where it was defined, not what it does
    )


def _is_scipy_distribution(obj: Any) -> bool:
    return any(
        (klass.__module__ or "").startswith("scipy.stats.")
        for klass in type(obj).__mro__[:-1]
    )


def _is_named_callable(obj: Any) -> bool:
    """Functions and methods implemented in C (builtins, ufuncs, method slots)."""
    return isinstance(
        obj,
        types.BuiltinFunctionType
        | types.MethodDescriptorType
        | types.WrapperDescriptorType
        | types.MethodWrapperType
        | types.ClassMethodDescriptorType
        | np.ufunc,
    )


class _Describer:
    """Turns an object into nested tuples of plain data (see the module docs)."""

    def __init__(self) -> None:
        self._on_path: dict[int, str] = {}

    def describe(self, obj: Any, path: str, depth: int) -> Any:
        if obj is None or isinstance(obj, bool | int | float | complex | str | bytes):
            return obj
        if isinstance(obj, np.ndarray | np.generic):
            return ("array", joblib.hash(obj))
        if depth > _MAX_DEPTH:
            raise UncacheableError(
                f"cannot key {path}: nested more than {_MAX_DEPTH} levels deep."
            )
        if id(obj) in self._on_path:  # a cycle: name where it closes
            return ("cycle", self._on_path[id(obj)])
        self._on_path[id(obj)] = path
        try:
            return self._describe_new(obj, path, depth + 1)
        finally:
            del self._on_path[id(obj)]

    def _describe_new(self, obj: Any, path: str, depth: int) -> Any:
        describe = self.describe
        if isinstance(obj, list | tuple):
            items = tuple(describe(v, f"{path}[{i}]", depth) for i, v in enumerate(obj))
            return (type(obj).__name__, items)
        if isinstance(obj, dict):
            return (
                "dict",
                tuple(
                    (describe(k, path, depth), describe(v, f"{path}[{k!r}]", depth))
                    for k, v in obj.items()
                ),
            )
        if isinstance(obj, set | frozenset):
            return (
                "set",
                tuple(sorted(joblib.hash(describe(v, path, depth)) for v in obj)),
            )
        if isinstance(obj, types.ModuleType):
            return self._describe_module(obj)
        if isinstance(obj, type):
            return self._describe_class(obj, path, depth)
        if isinstance(obj, types.FunctionType):
            return self._describe_function(obj, path, depth)
        if isinstance(obj, types.MethodType):
            return (
                "method",
                describe(obj.__func__, f"{path}.__func__", depth),
                describe(obj.__self__, f"{path}.__self__", depth),
            )
        if isinstance(obj, functools.partial):
            return (
                "partial",
                describe(obj.func, f"{path}.func", depth),
                describe(obj.args, f"{path}.args", depth),
                describe(obj.keywords, f"{path}.keywords", depth),
            )
        if _is_named_callable(obj):
            owner = getattr(obj, "__self__", None)
            module = getattr(obj, "__module__", None) or type(obj).__module__
            return (
                "compiled",
                module,
                getattr(obj, "__qualname__", getattr(obj, "__name__", None)),
                _version_of(module),
                None
                if owner is None or isinstance(owner, types.ModuleType | type)
                else describe(owner, f"{path}.__self__", depth),
            )
        if isinstance(obj, staticmethod | classmethod):
            return (type(obj).__name__, describe(obj.__func__, path, depth))
        if isinstance(obj, property):
            return (
                "property",
                *(describe(f, path, depth) for f in (obj.fget, obj.fset, obj.fdel)),
            )
        if isinstance(obj, functools.cached_property):
            return ("cached_property", describe(obj.func, path, depth))
        if _is_scipy_distribution(obj):
            return self._describe_scipy_distribution(obj, path, depth)
        return self._describe_instance(obj, path, depth)

    def _describe_module(self, module: types.ModuleType) -> Any:
        return ("module", module.__name__, _version_of(module.__name__))

    def _describe_function(
        self, function: types.FunctionType, path: str, depth: int
    ) -> Any:
        code = function.__code__
        module = function.__module__
        origin = _code_origin(code.co_filename)
        if origin == "package":
            return ("package function", module, function.__qualname__)
        if origin == "installed":
            return ("function", module, function.__qualname__, _version_of(module))
        describe = self.describe
        names = sorted(set(_all_names(code)))
        namespace = function.__globals__
        used_globals = []
        for name in names:
            if name not in namespace:
                continue
            value = namespace[name]
            if isinstance(value, types.ModuleType):
                used_globals.append(
                    (name, self._describe_used_module(value, names, path, depth))
                )
            else:
                used_globals.append(
                    (name, describe(value, f"{path}.__globals__[{name!r}]", depth))
                )
        closure = tuple(
            (var, describe(cell.cell_contents, f"{path} (closure {var!r})", depth))
            for var, cell in zip(
                code.co_freevars, function.__closure__ or (), strict=True
            )
            if _cell_is_set(cell)
        )
        return (
            "function",
            _describe_code(code),
            tuple(used_globals),
            closure,
            describe(function.__defaults__, f"{path}.__defaults__", depth),
            describe(function.__kwdefaults__, f"{path}.__kwdefaults__", depth),
            describe(vars(function), f"{path}.__dict__", depth),
        )

    def _describe_used_module(
        self, module: types.ModuleType, names: list[str], path: str, depth: int
    ) -> Any:
        """A module a function reads: a user's module by the attributes it names."""
        if _code_origin(getattr(module, "__file__", None)) != "user":
            return self._describe_module(module)
        attributes = tuple(
            (
                name,
                self.describe(
                    getattr(module, name), f"{path} ({module.__name__}.{name})", depth
                ),
            )
            for name in names
            if hasattr(module, name)
            and not isinstance(getattr(module, name), types.ModuleType)
        )
        return ("user module", module.__name__, attributes)

    def _describe_class(self, cls: type, path: str, depth: int) -> Any:
        origin = _class_origin(cls)
        if origin != "user":
            version = None if origin == "package" else _version_of(cls.__module__)
            return ("class", origin, cls.__module__, cls.__qualname__, version)
        bodies = []
        for klass in cls.__mro__:
            if klass is object:
                continue
            if _class_origin(klass) != "user":
                bodies.append(self._describe_class(klass, path, depth))
                continue
            body = tuple(
                (
                    name,
                    self.describe(
                        value, f"{path} ({klass.__qualname__}.{name})", depth
                    ),
                )
                for name, value in vars(klass).items()
                if name not in _CLASS_ENTRIES_SKIPPED
            )
            bodies.append(("user class", klass.__qualname__, body))
        return ("class", tuple(bodies))

    def _describe_scipy_distribution(self, dist: Any, path: str, depth: int) -> Any:
        """A distribution by its law: class, arguments and data, not its generator.

        ``sample_prior`` always passes its own generator to ``rvs``, so the
        one the distribution holds (numpy's global one by default) is unused.
        """
        if all(hasattr(dist, a) for a in ("dist", "args", "kwds")):  # frozen
            return (
                "frozen",
                self.describe(dist.dist, f"{path}.dist", depth),
                self.describe(dist.args, f"{path}.args", depth),
                self.describe(dist.kwds, f"{path}.kwds", depth),
            )
        law = tuple(
            (name, self.describe(value, f"{path}.{name}", depth))
            for name, value in sorted(vars(dist).items())
            if name not in _SCIPY_DIST_SKIPPED and _is_data(value)
        )
        return ("scipy.stats", self.describe(type(dist), f"type({path})", depth), law)

    def _describe_instance(self, obj: Any, path: str, depth: int) -> Any:
        cls = self.describe(type(obj), f"type({path})", depth)
        state = getattr(obj, "__dict__", None)
        if isinstance(state, dict):
            return ("object", cls, self.describe(state, f"{path}.__dict__", depth))
        try:
            return ("object", cls, joblib.hash(obj))
        except Exception as error:
            kind = type(obj).__name__.lower().lstrip("_")
            raise UncacheableError(
                f"cannot key {path} (a {kind}): it is neither data, code nor an "
                f"object with attributes, and pickling it failed: {error!r}"
            ) from error


def _is_data(value: Any) -> bool:
    if isinstance(value, tuple | list):
        return all(_is_data(v) for v in value)
    return value is None or isinstance(
        value, bool | int | float | str | np.ndarray | np.generic
    )


def _cell_is_set(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:  # a closure variable not yet assigned
        return False
    return True
