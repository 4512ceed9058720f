"""Benchmarks of sgnn_sklearn: speed, memory and accuracy at scale.

Run them all with ``python -m benchmarks`` (``--quick`` for a short run);
results go to ``benchmarks/results/`` as JSON and a markdown table. They are
not part of the unit tests.
"""
