"""How long the command line takes to start, next to bare ``import typer`` measured in the same run.

Each command runs in a fresh interpreter (``python -m riskmodel ...``), the
best of ``--repeat`` wall-clock times, so the numbers include Python's own
start-up exactly as a user's shell pays it. Targets (issue 14): ``--version``
and ``--help`` well under 0.5 s, ``validate`` of a small file under 1 s.
Nothing is asserted; run from the repository root:

    python benchmarks/bench_cli.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMANDS = [
    ("python -c 'import typer' (reference)", [sys.executable, "-c", "import typer"]),
    ("riskmodel --version", [sys.executable, "-m", "riskmodel", "--version"]),
    ("riskmodel --help", [sys.executable, "-m", "riskmodel", "--help"]),
    ("riskmodel run --help", [sys.executable, "-m", "riskmodel", "run", "--help"]),
    ("riskmodel validate tests/corpus/base.yaml (no SciPy)",
     [sys.executable, "-m", "riskmodel", "validate", "tests/corpus/base.yaml"]),
    ("riskmodel validate scenarios/examples/minimal.yaml",
     [sys.executable, "-m", "riskmodel", "validate", "scenarios/examples/minimal.yaml"]),
    ("riskmodel validate scenarios/mali/baseline.yaml",
     [sys.executable, "-m", "riskmodel", "validate", "scenarios/mali/baseline.yaml"]),
]


def best_wall_s(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"CLI start-up, best of {args.repeat} fresh interpreters (wall clock)")
    ref = None
    for label, cmd in COMMANDS:
        if not (ROOT / cmd[-1]).suffix == ".yaml" or (ROOT / cmd[-1]).is_file():
            s = best_wall_s(cmd, args.repeat)
            ref = s if ref is None else ref
            print(f"{label:<56} {s:6.3f} s  {s / ref:5.1f}x typer")


if __name__ == "__main__":
    main()
