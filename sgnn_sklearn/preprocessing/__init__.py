"""Transforms of simulated and real inputs before the network sees them.

:class:`LogCounts` puts counts on a log scale; the estimators choose it for
simulations made of counts (``preprocessor="auto"``, their default), as
:func:`auto_preprocessor` says.
"""

from ._counts import LogCounts, auto_preprocessor

__all__ = ["LogCounts", "auto_preprocessor"]
