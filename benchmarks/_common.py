"""Timing, the machine's description, and writing results."""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
SEED = 0


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    """Wall-clock and CPU seconds of the block (CPU: all threads of this process).

    On a machine shared with other work, wall time grows with the load while
    CPU time does not; both are reported.
    """
    record: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield record
    finally:
        record["wall_s"] = time.perf_counter() - wall
        record["cpu_s"] = time.process_time() - cpu


def best_of(function: Any, repeat: int = 5) -> dict[str, float]:
    """Fastest of ``repeat`` timed calls (the least disturbed by other load)."""
    runs = []
    for _ in range(repeat):
        with timed() as t:
            function()
        runs.append(t)
    return min(runs, key=lambda r: r["wall_s"])


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import numpy
    import sklearn
    import torch

    import sgnn_sklearn

    return {
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
        "sgnn_sklearn": sgnn_sklearn.__version__,
        "load_average": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "seed": SEED,
    }


def _proc_status_mb(field: str) -> float | None:
    """A ``/proc/self/status`` memory field (Linux, in kB) in MiB; None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """This process's peak resident memory since start or :func:`reset_peak_rss`.

    Linux's ``VmHWM``, which belongs to the process's own address space. Not
    ``ru_maxrss``: that one survives ``exec``, so a child started from a large
    parent reports the parent's size. Elsewhere, ``ru_maxrss`` (KiB on Linux).
    """
    hwm = _proc_status_mb("VmHWM")
    if hwm is not None:
        return hwm
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """This process's resident memory now (``VmRSS``), or its peak elsewhere."""
    rss = _proc_status_mb("VmRSS")
    return peak_rss_mb() if rss is None else rss


def reset_peak_rss() -> bool:
    """Restart the peak at the current size (Linux >= 4.0); whether it could."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def report(sections: Callable[[], dict[str, Any]], out: Path) -> dict[str, Any]:
    """Measure ``sections()`` on one torch thread; write and print the results.

    ``sections()`` returns the measured sections by name; the run's targets
    are theirs, in that order. The load average is taken before and after.
    """
    import torch

    torch.set_num_threads(1)
    results: dict[str, Any] = {"machine": machine(), "sections": {}, "targets": []}
    results["sections"] = sections()
    results["targets"] = [
        target
        for section in results["sections"].values()
        for target in section.get("targets", [])
    ]
    results["machine"]["load_average_end"] = os.getloadavg()
    write_results(results, out)
    print(to_markdown(results))
    return results


def write_results(results: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """Write ``results.json`` and ``results.md``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "results.json"
    json_path.write_text(json.dumps(results, indent=2, default=float))
    md_path = out / "results.md"
    md_path.write_text(to_markdown(results))
    return json_path, md_path


def to_markdown(results: dict[str, Any]) -> str:
    """One table per section, then the targets."""
    lines = ["# sgnn_sklearn benchmarks", ""]
    env = results["machine"]
    lines.append(
        "Machine: {cpu_count} CPUs ({processor}), torch {torch} with "
        "{torch_threads} thread(s), load average at start {load}; {date}; "
        "seed {seed}.".format(
            load=tuple(round(x, 1) for x in env["load_average"]), **env
        )
    )
    lines.append("")
    for name, section in results["sections"].items():
        lines += [f"## {name}", ""]
        rows = section.get("rows", [])
        if rows:
            keys = list(dict.fromkeys(k for row in rows for k in row))
            lines.append("| " + " | ".join(keys) + " |")
            lines.append("| " + " | ".join("---" for _ in keys) + " |")
            for row in rows:
                lines.append(
                    "| " + " | ".join(_cell(row.get(k, "")) for k in keys) + " |"
                )
            lines.append("")
        for note in section.get("notes", []):
            lines += [f"- {note}"]
        lines.append("")
    if results.get("targets"):
        lines += [
            "## Targets",
            "",
            "| target | measured | met |",
            "| --- | --- | --- |",
        ]
        for target in results["targets"]:
            lines.append(
                f"| {target['target']} | {target['measured']} | "
                f"{'yes' if target['met'] else 'NO'} |"
            )
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
