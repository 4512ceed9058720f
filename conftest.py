"""Test-session settings shared by tests/ and the doctests in sgnn_sklearn/."""

import torch

# The tests train tiny networks, for which torch's intra-op threads cost more
# than they save; pytest-xdist already runs one worker per core.
torch.set_num_threads(1)
