"""Real data sets to take an SGNN from simulations to real observations.

Each loader returns a :class:`sklearn.utils.Bunch` in the style of
``sklearn.datasets``, with the series as rows of ``data`` and a ``DESCR``
that states the source and the licence.
"""

from ._boarding_school import load_influenza_boarding_school

__all__ = ["load_influenza_boarding_school"]
