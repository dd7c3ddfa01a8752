"""The whole default run (``riskmodel run``, report included) next to its simulation's own time.

For each size, one fresh ``python -m riskmodel run SCENARIO --samples N`` in a
temporary folder: the wall clock of the whole command (Python's start-up
included), each phase as the run recorded it in ``run.json``
(``run_timings``: validate, simulate, judgment share, drivers, figures,
write), the CPU seconds of the command and every process it started (user +
system: the work done, which other work on the machine changes less than the
wall clock), and the issue-14 target, ``2 x simulate + 1 s`` and never over
5 s. Best of ``--repeat`` by wall clock. Nothing is asserted; run from the
repository root:

    python benchmarks/bench_run.py [--sizes 1e4 2e4 1e5] [--repeat 1] [--scenario FILE] [-- extra run options]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("start-up", "validate", "simulate", "judgment share", "drivers", "figures", "write")


def one_run(scenario: Path, n: int, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "riskmodel", "run", str(scenario), "--samples", str(n),
                        "--out", str(out), *extra], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        timings = json.loads((out / "run.json").read_text())["run_timings"]
        figures = len(list((out / "figures").glob("*.png"))) if (out / "figures").is_dir() else 0
    return {"wall": wall, "cpu": cpu, "figures": figures, **timings}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "mali" / "baseline.yaml")
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e4, 2e4, 1e5])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("extra", nargs="*", help="options passed to riskmodel run (after --)")
    args = ap.parse_args()
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"default run of {args.scenario.relative_to(ROOT) if args.scenario.is_relative_to(ROOT) else args.scenario}"
          f" {' '.join(args.extra)}; {os.cpu_count()} cores, load average {load:.1f} at start")
    head = f"{'paths':>8} {'wall s':>7} {'target s':>8} {'cpu s':>6}  " + " ".join(f"{p[:9]:>9}" for p in PHASES) + "  figures"
    print(head)
    for size in args.sizes:
        n = int(size)
        best = min((one_run(args.scenario, n, args.extra) for _ in range(args.repeat)), key=lambda r: r["wall"])
        ph = best["phases_s"]
        target = min(5.0, 2 * ph.get("simulate", 0.0) + 1.0)
        print(f"{n:>8,} {best['wall']:>7.2f} {target:>8.2f} {best['cpu']:>6.2f}  "
              + " ".join(f"{ph.get(p, 0.0):>9.2f}" for p in PHASES) + f"  {best['figures']:>7}")
    print("target: 2 x simulate + 1 s, at most 5 s (issue 14); wall includes Python's start-up and imports;")
    print("cpu: user + system seconds of the command and the processes it started (figures, judgment share)")


if __name__ == "__main__":
    main()
