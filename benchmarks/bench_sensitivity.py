"""Time the sensitivity analysis: ``explain`` by design, and the given-data section of a run.

Prints (never asserts):

- ``riskmodel.explain`` on ``scenarios/mali/baseline.yaml`` (or, while that
  file is missing, ``benchmarks/mali_shape.yaml``) at N = 1,024 base samples:
  wall time, paths simulated, paths per second;
- the given-data section of a 1e5-path run of the same scenario: the run
  itself, then :func:`riskmodel.given_data` by parameter, by factor and by
  evidence class (one pass) and :func:`riskmodel.tornado` of every risk
  output (one pass), each timed;
- :func:`riskmodel.judgment_share` at its default N (a design of its own).

Run from the repository root:

    python benchmarks/bench_sensitivity.py [--paths 100000] [--base-samples 1024]
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import riskmodel
from riskmodel import sensitivity

ROOT = Path(__file__).resolve().parents[1]
MALI = ROOT / "scenarios" / "mali" / "baseline.yaml"
MALI_SHAPE = ROOT / "benchmarks" / "mali_shape.yaml"


def _timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    print(f"  {label:<46s} {dt:8.2f} s")
    return out, dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--base-samples", type=int, default=1024)
    args = ap.parse_args()

    path = MALI if MALI.is_file() else MALI_SHAPE
    scenario = riskmodel.validate(path)
    sampled = len(sensitivity._sampled_parameters(scenario))
    print(f"riskmodel {riskmodel.__version__}, Python {platform.python_version()}, {platform.machine()}")
    print(f"scenario: {path.relative_to(ROOT)} ({sampled} uncertain parameters, {len(scenario.states)} states, "
          f"{scenario.horizon_months} months, {len(scenario.risks)} risks)")

    print(f"\nexplain, N = {args.base_samples:,} base samples (first risk's output)")
    ex, dt = _timed("explain", lambda: riskmodel.explain(scenario, base_samples=args.base_samples))
    print(f"  {ex.evaluations:,} paths simulated ({ex.evaluations / dt:,.0f} paths/s); "
          f"{len(ex.parameters)} units, {len(ex.groups)} groups")

    print(f"\ngiven-data section of a {args.paths:,}-path run")
    res, _ = _timed("run (simulate + register)", lambda: riskmodel.run(scenario, samples=args.paths, judgment_samples=0))
    outputs = sensitivity._risk_outputs(scenario)
    total = 0.0
    _, dt = _timed(f"given_data, 3 tables ({len(outputs)} outputs, 200 boot)",
                   lambda: riskmodel.given_data(res, scenario, by=("parameter", "factor", "evidence")))
    total += dt
    _, dt = _timed(f"tornado, {len(outputs)} outputs", lambda: riskmodel.tornado(res, scenario, outputs))
    total += dt
    print(f"  {'given-data section, total':<46s} {total:8.2f} s")

    print("\njudgment share (a design of its own, all risks at once)")
    js, dt = _timed("judgment_share, N = 1,024", lambda: riskmodel.judgment_share(res, scenario))
    if len(js):
        print(f"  {int(js['evaluations'].iloc[0]):,} paths simulated; largest 95% half-width "
              f"{((js['judgment_ST_high'] - js['judgment_ST_low']) / 2).max():.3f}")


if __name__ == "__main__":
    main()
