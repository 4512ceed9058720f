"""Attribution: explain a prediction by the simulations the network finds alike.

"Back to simulation": an observation is matched, in the fitted network's own
representation, to the training simulations nearest to it; their mechanisms
and latent parameters approximate the posterior, in the simulator's terms.
"""

from ..estimators._memory import MemoryBank
from ._explain import explain_mechanism
from ._explanation import MechanismExplanation

__all__ = ["MechanismExplanation", "MemoryBank", "explain_mechanism"]
