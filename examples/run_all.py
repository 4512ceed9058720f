"""Run every gallery example (``plot_*.py``) and report how long each takes.

Usage::

    python examples/run_all.py [--max-seconds S] [NAME ...]

Each example runs in its own Python process, in this folder, with the
non-interactive matplotlib backend, as sphinx-gallery would run it. The exit
status is 1 if any example fails (or, with ``--max-seconds``, takes longer
than ``S`` seconds), else 0.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_SECONDS = 60.0  # the documented budget per example, on 2 CPU cores


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_example(path: Path) -> tuple[bool, float, float, str]:
    """Run one example; return whether it succeeded, its wall and CPU times
    (CPU summed over its threads, which on a busy machine says more about its
    cost than the wall time) and its output."""
    env = dict(os.environ, MPLBACKEND="Agg")
    cpu_start = _children_cpu_seconds()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, path.name],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    cpu = _children_cpu_seconds() - cpu_start
    return done.returncode == 0, elapsed, cpu, done.stdout + done.stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="examples to run (default: all)")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="fail an example that takes longer than this (default: only report)",
    )
    args = parser.parse_args(argv)
    paths = sorted(HERE.glob("plot_*.py"))
    if args.names:
        wanted = {Path(name).stem for name in args.names}
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            parser.error(f"no such example: {', '.join(sorted(unknown))}")
        paths = [p for p in paths if p.stem in wanted]

    failures = []
    total = 0.0
    for path in paths:
        ok, elapsed, cpu, output = run_example(path)
        total += elapsed
        too_slow = args.max_seconds is not None and elapsed > args.max_seconds
        status = "ok" if ok and not too_slow else ("too slow" if ok else "FAILED")
        note = "  (over the 60 s target)" if elapsed > TARGET_SECONDS else ""
        print(
            f"{path.name:<32} {elapsed:6.1f} s wall {cpu:6.1f} s CPU  {status}{note}",
            flush=True,
        )
        if not ok:
            print(output[-4000:], file=sys.stderr)
        if status != "ok":
            failures.append(path.name)
    print(f"{len(paths)} examples ran in {total:.1f} s")
    print(f"examples: {len(paths) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
