"""`Intervention`: transmission changes at an unknown time in an epidemic."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._epidemic import _Epidemic
from ._trajectory import substitute_doc
from ._wrapping import SHARED_DOCS, ObservationWrapper


@substitute_doc(**SHARED_DOCS)
class Intervention(ObservationWrapper):
    r"""An epidemic whose transmission changes at an unknown time.

    From the start of day ``ceil(intervention_day)`` on, the transmission
    rate :math:`\beta` of the wrapped :class:`SIR` or :class:`SEIR` is
    multiplied by ``1 - intervention_effect``: a lockdown, a school closure,
    a change in behaviour, or (with a negative effect) a relaxation. The
    epidemic's own observation noise is drawn around the changed curve.

    Parameters
    ----------
    simulator : SIR or SEIR
        The epidemic, unwrapped: the change acts inside its dynamics. Wrap
        observation models around the ``Intervention``, not inside it. Its
        parameters are reached as ``simulator__name``.
    intervention_day : tuple, float or scipy.stats distribution, default=(0.0, 60.0)
        Prior of the day the change starts (non-negative; a day after the
        observed window changes nothing seen). The default is uniform over
        the default 60-day window. A prior is a ``(low, high)`` tuple
        (uniform), a fixed number, or an object with scipy.stats'
        ``rvs(size=..., random_state=...)``.
    intervention_effect : tuple, float or scipy.stats distribution, default=(0.0, 0.8)
        Prior of the share by which transmission drops, below 1 (0 is no
        change, 0.5 halves it, a negative value raises it).
    %(targets)s

    See Also
    --------
    ReportingDelay : Reports spread over later days.

    Notes
    -----
    %(wrapper_notes)s

    ``R0`` stays the basic reproduction number before the change; derived
    targets such as ``total_infections`` follow the changed epidemic. The
    curve is deterministic given the parameters, so :meth:`log_likelihood`
    stays exact.

    Examples
    --------
    >>> import numpy as np
    >>> from sgnn_sklearn.simulators import Intervention, SIR
    >>> sir = SIR(n_days=40, noise="poisson")
    >>> halved = Intervention(sir, intervention_day=20, intervention_effect=0.5)
    >>> params = halved.sample_params(3, random_state=0)
    >>> changed = halved.simulate_latent_from_params(params).X
    >>> free = sir.simulate_latent_from_params(params[:, :-2]).X
    >>> bool(np.allclose(changed[:, :20], free[:, :20]))
    True
    >>> bool((changed[:, 21:].sum(axis=1) < free[:, 21:].sum(axis=1)).all())
    True
    """

    _own_params = ("intervention_day", "intervention_effect")
    _own_domains = {
        "intervention_day": (lambda v: np.isfinite(v) & (v >= 0), "a day >= 0"),
        "intervention_effect": (lambda v: np.isfinite(v) & (v < 1), "below 1"),
    }
    _needs = "the transmission dynamics of an SIR or SEIR"

    def __init__(
        self,
        simulator: Any,
        *,
        intervention_day: Any = (0.0, 60.0),
        intervention_effect: Any = (0.0, 0.8),
        targets: Any = None,
    ) -> None:
        self.simulator = simulator
        self.intervention_day = intervention_day
        self.intervention_effect = intervention_effect
        self.targets = targets

    def _epidemic(self) -> _Epidemic:
        simulator = self.simulator
        if not isinstance(simulator, _Epidemic):
            raise TypeError(
                "Intervention changes transmission inside an epidemic, so it "
                "wraps an SIR or SEIR directly; got "
                f"{type(simulator).__name__}. Put observation wrappers around "
                "it instead, e.g. ReportingDelay(Intervention(SIR()))."
            )
        return simulator

    def _check_settings(self) -> None:
        self._epidemic()
        super()._check_settings()

    def generate_latent(
        self, params: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray | None]:
        self._check_settings()
        epidemic = self._epidemic()
        inner, own = self._split(params)
        epidemic._check_settings()
        values = epidemic._param_columns(inner)
        change = (own["intervention_day"], 1.0 - own["intervention_effect"])
        mean, derived = epidemic._solve(values, change)
        trajectory, y = epidemic._latent_of(values, mean, derived)
        return trajectory, self._targets(y, params)
