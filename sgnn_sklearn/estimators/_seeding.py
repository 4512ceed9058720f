"""Every training draws its random numbers from a torch generator of its own.

torch's global generator is shared by all threads: two fits at once in
threads (``GridSearchCV`` with the threading backend, say) would interleave
their draws, and neither would be reproducible. Within :func:`fit_generator`
a training phase draws instead from a ``torch.Generator`` of the calling
thread, seeded as ``torch.manual_seed(seed)`` seeds the global one, and
reached by the three kinds of draws that training makes:

- the initial weights, drawn while the network is built inside
  :class:`DrawsFromFitGenerator`, which hands the generator to any random
  function called without one (``nn.init``, ``Tensor.uniform_``, ...);
- dropout masks, by :class:`GeneratorDropout`, which replaces every
  ``nn.Dropout`` of the network (:func:`use_generator_dropout`);
- the shuffling of every epoch, by ``iterate_batches``.

The numbers drawn are those the global generator gave when seeded the same
way, so results for a given ``random_state`` are unchanged. A custom
architecture that draws in its ``forward`` other than by ``nn.Dropout``
(``F.dropout``, ``torch.rand``) still draws from the global generator.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils.data import RandomSampler

_local = threading.local()

# torch's random in-place methods and functions that take ``generator=``
# but whose signature cannot be inspected (they are written in C++).
_RANDOM_BUILTINS = frozenset(
    {
        "bernoulli",
        "bernoulli_",
        "cauchy_",
        "exponential_",
        "geometric_",
        "log_normal_",
        "multinomial",
        "normal",
        "normal_",
        "poisson",
        "rand",
        "randint",
        "randn",
        "randperm",
        "random_",
        "uniform_",
    }
)


@contextmanager
def fit_generator(seed: int) -> Iterator[None]:
    """Within: this thread's training draws from generators seeded with ``seed``.

    One generator per device, made when first asked for.

    Examples
    --------
    >>> import torch
    >>> with fit_generator(0):
    ...     a = torch.rand(2, generator=active_generator())
    >>> torch.equal(a, torch.rand(2, generator=torch.Generator().manual_seed(0)))
    True
    >>> print(active_generator())
    None
    """
    previous = getattr(_local, "generators", None)
    _local.generators = {"seed": seed}
    try:
        yield
    finally:
        _local.generators = previous


def active_generator(device: Any = "cpu") -> torch.Generator | None:
    """This thread's generator for ``device`` within :func:`fit_generator`, or None.

    Examples
    --------
    >>> print(active_generator())
    None
    """
    generators = getattr(_local, "generators", None)
    if generators is None:
        return None
    device = torch.device(device)
    if device not in generators:
        generators[device] = torch.Generator(device=device).manual_seed(
            generators["seed"]
        )
    generator: torch.Generator = generators[device]
    return generator


@contextmanager
def fork_rng() -> Iterator[None]:
    """Draws made within leave the active generator (or the global one) as it was.

    Examples
    --------
    >>> import torch
    >>> with fit_generator(0):
    ...     with fork_rng():
    ...         _ = torch.rand(3, generator=active_generator())
    ...     a = torch.rand(1, generator=active_generator())
    >>> torch.equal(a, torch.rand(1, generator=torch.Generator().manual_seed(0)))
    True
    """
    generator = active_generator()
    if generator is None:
        with torch.random.fork_rng(devices=[]):
            yield
        return
    state = generator.get_state()
    try:
        yield
    finally:
        generator.set_state(state)


def _takes_generator(func: Any) -> bool:
    try:
        return _takes_generator_cached(func)
    except TypeError:  # an unhashable callable
        return _inspect_generator(func)


@cache
def _takes_generator_cached(func: Any) -> bool:
    return _inspect_generator(func)


def _inspect_generator(func: Any) -> bool:
    if getattr(func, "__name__", None) in _RANDOM_BUILTINS:
        return True
    try:
        return "generator" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


class DrawsFromFitGenerator(TorchFunctionMode):
    """Within: random functions called without a generator use the active one.

    Meant for building a network (its initial weights); outside
    :func:`fit_generator` it changes nothing.

    Examples
    --------
    >>> import torch
    >>> with fit_generator(0), DrawsFromFitGenerator():
    ...     layer = torch.nn.Linear(3, 2)
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> torch.equal(layer.weight, torch.nn.Linear(3, 2).weight)
    True
    """

    def __torch_function__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        if kwargs.get("generator") is None and _takes_generator(func):
            tensor = args[0] if args and isinstance(args[0], torch.Tensor) else None
            generator = active_generator("cpu" if tensor is None else tensor.device)
            if generator is not None:
                kwargs = {**kwargs, "generator": generator}
        return func(*args, **kwargs)


class GeneratorDropout(nn.Dropout):
    """``nn.Dropout`` whose masks come from the active generator while training.

    The same computation as ``F.dropout`` on CPU (a Bernoulli mask scaled by
    ``1 / (1 - p)``), so the same numbers; outside :func:`fit_generator` it is
    ``nn.Dropout``.

    Examples
    --------
    >>> import torch
    >>> x = torch.ones(2, 4)
    >>> with fit_generator(0):
    ...     ours = GeneratorDropout(0.5)(x)
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> torch.equal(ours, torch.nn.Dropout(0.5)(x))
    True
    """

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        generator = active_generator(input.device) if self.training else None
        if generator is None or not 0 < self.p < 1 or input.numel() == 0:
            return super().forward(input)
        noise = torch.empty_like(input).bernoulli_(1 - self.p, generator=generator)
        noise.div_(1 - self.p)
        return input.mul_(noise) if self.inplace else input * noise


def use_generator_dropout(module: nn.Module) -> None:
    """Replace every ``nn.Dropout`` inside ``module`` by a :class:`GeneratorDropout`.

    Examples
    --------
    >>> from torch import nn
    >>> net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.3))
    >>> use_generator_dropout(net)
    >>> type(net[1]).__name__, net[1].p
    ('GeneratorDropout', 0.3)
    """
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.Dropout:
                setattr(parent, name, GeneratorDropout(child.p, child.inplace))


class GeneratorRandomSampler(RandomSampler):
    """``RandomSampler`` that seeds each epoch from a given generator.

    As ``RandomSampler`` without a generator does from the global one: one
    64-bit draw seeds a fresh generator for the epoch's permutation.

    Examples
    --------
    >>> import torch
    >>> sampler = GeneratorRandomSampler(range(5), torch.Generator().manual_seed(0))
    >>> sorted(sampler)
    [0, 1, 2, 3, 4]
    """

    def __init__(self, data_source: Any, source: torch.Generator) -> None:
        super().__init__(data_source)
        self.source = source

    def __iter__(self) -> Iterator[int]:
        seed = int(torch.empty((), dtype=torch.int64).random_(generator=self.source))
        self.generator = torch.Generator().manual_seed(seed)
        yield from super().__iter__()
