"""Run the benchmarks: ``python -m benchmarks [--quick] [--only NAME ...]``.

Writes ``benchmarks/results/results.json`` and ``results.md`` after every
section, so a long run that is stopped keeps what it measured.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from ._common import RESULTS, machine, write_results

SECTIONS = (
    "simulation",
    "training",
    "threads",
    "memory",
    "amortisation",
    "comparison",
    "curve_fitting",
)


def _targets(sections: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, where this run measured them."""
    targets = []

    def add(target: str, measured: str, met: bool) -> None:
        targets.append({"target": target, "measured": measured, "met": bool(met)})

    for row in sections.get("simulation", {}).get("rows", []):
        if row["simulator"] == "SIR" and row["n_jobs"] == 1:
            seconds = row["wall_s"] * 100_000 / row["n_samples"]
            cpu = row["cpu_s (this process)"] * 100_000 / row["n_samples"]
            add(
                "SIR: 1e5 series of 60 days in <= 2 s",
                f"{seconds:.2f} s wall, {cpu:.2f} s CPU",
                seconds <= 2,
            )
    for row in sections.get("fit", {}).get("rows", []):
        label = (
            f"batch_size={row['batch_size']}, lr={row['lr']}"
            if "batch_size" in row
            else "default"
        )
        if row["n_simulations"] == 100_000:
            add(
                f"{label} regressor fit on 1e5 ({row['simulator']}) <= 60 s",
                f"{row['fit_wall_s']:.1f} s wall, {row['fit_cpu_s']:.1f} s CPU "
                f"({row['fit_training_thread_cpu_s']:.1f} s on the training thread), "
                f"{row['epochs']} epochs",
                row["fit_wall_s"] <= 60,
            )
        if row["n_simulations"] == 100_000 and "excess / Bayes risk" in row:
            ratio = row["excess / Bayes risk"]
            add(
                f"LinearGaussian excess risk <= 5% of Bayes risk at 1e5 ({label})",
                f"{100 * ratio:.2f}%",
                ratio <= 0.05,
            )
    for row in sections.get("predict", {}).get("rows", []):
        add(
            f"predict 1e4 series <= 0.5 s ({row['model']})",
            f"{row['predict_wall_s']:.3f} s wall, {row['predict_cpu_s']:.3f} s CPU",
            row["predict_wall_s"] <= 0.5,
        )
    if "amortisation" in sections:
        ratio = sections["amortisation"]["ratio"]
        add("amortisation ratio >= 1000x (AIC)", f"{ratio:.0f}x", ratio >= 1000)
    memory = sections.get("memory", {}).get("ratios", {})
    if "online" in memory:
        add(
            "online peak memory at the larger budget within 10% of the smaller",
            f"{memory['online']:.3f}x",
            memory["online"] <= 1.10,
        )
    threads = sections.get("threads", {}).get("ratios", {})
    if threads:
        loaded = threads["default loaded / default idle"]
        idle = threads["default idle / torch default idle"]
        add(
            "default fit on 1e4, one competing process: <= 1.5x idle",
            f"{loaded:.2f}x (torch's default threads: "
            f"{threads['torch default loaded / idle']:.2f}x)",
            loaded <= 1.5,
        )
        add(
            "default fit on 1e4, idle: no slower than torch's default threads",
            f"{idle:.2f}x",
            idle <= 1.0,
        )
    rows = sections.get("comparison", {}).get("rows", [])
    for row in rows:
        if not row["method"].startswith("SimulationGrounded"):
            continue
        where = f"{row['problem']} at {row['n_simulations']}"
        options = row["method"].split(" (", 1)[1].rstrip(")")
        if options != "default":  # an ensemble: say which
            where += f", {options}"
        for other in rows:
            same = (other["problem"], other["n_simulations"]) == (
                row["problem"],
                row["n_simulations"],
            )
            if not same or other["method"].startswith("SimulationGrounded"):
                continue
            ratio = row["posterior_mean_error"] / other["posterior_mean_error"]
            rival = other["method"].split(" (")[0]
            if "NPE" in rival:
                add(
                    f"{where}: posterior-mean error <= 0.8x {rival}, in <= 1/4 "
                    "of its CPU time",
                    f"{ratio:.2f}x; {row['cpu_s']:.1f} s vs {other['cpu_s']:.1f} s CPU",
                    ratio <= 0.8 and row["cpu_s"] <= 0.25 * other["cpu_s"],
                )
            else:
                add(
                    f"{where}: posterior-mean error <= 0.8x {rival}",
                    f"{ratio:.2f}x",
                    ratio <= 0.8,
                )
        mass, worst = row["mass in 90%"], row["mass in 90%, worst decile"]
        add(
            f"{where}: 90% intervals hold 88-92% of the posterior, worst decile >= 80%",
            f"{100 * mass:.1f}%, worst decile {100 * worst:.1f}%",
            0.88 <= mass <= 0.92 and worst >= 0.80,
        )
    targets += sections.get("curve_fitting", {}).get("targets", [])
    return targets


def _run_section(name: str, args: argparse.Namespace, sections: dict) -> None:
    if name == "simulation":
        from . import simulation

        sections["simulation"] = simulation.run(args.quick)
    elif name == "training":
        from . import training

        sections.update(training.run(args.quick, args.max_budget))
    elif name == "threads":
        from . import threads

        sections["threads"] = threads.run(args.quick)
    elif name == "memory":
        from . import memory

        sections["memory"] = memory.run(args.quick, args.threads)
    elif name == "comparison":
        from . import comparison

        sections["comparison"] = comparison.run(
            args.quick, args.seeds, partial=args.out / "comparison_partial.json"
        )
    elif name == "curve_fitting":
        from . import curve_fitting

        sections["curve_fitting"] = curve_fitting.run(args.quick, args.seeds)
    elif name == "amortisation":
        from . import amortisation

        sections["amortisation"] = amortisation.run(args.quick)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small budgets (minutes)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (default 1; see benchmarks/README.md)",
    )
    parser.add_argument(
        "--max-budget", type=int, default=1_000_000, help="largest fit budget"
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=None,
        help="seeds of comparison and curve_fitting (default 0 1 2; 0 with --quick)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    results: dict[str, Any] = {
        "machine": machine(),
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "sections": {},
        "targets": [],
    }
    sections = results["sections"]
    for name in args.only:
        start = time.perf_counter()
        print(f"[benchmarks] {name} ...", flush=True)
        try:
            _run_section(name, args, sections)
        except Exception as exc:  # keep the other sections' figures
            sections[name] = {"rows": [], "notes": [f"FAILED: {exc!r}"]}
            print(f"[benchmarks] {name} failed: {exc!r}", flush=True)
        print(
            f"[benchmarks] {name} took {time.perf_counter() - start:.0f} s", flush=True
        )
        results["targets"] = _targets(sections)
        results["machine"]["load_average_end"] = os.getloadavg()
        json_path, md_path = write_results(results, args.out)
    print(f"[benchmarks] wrote {json_path} and {md_path}")
    return results


if __name__ == "__main__":
    main()
