"""Engine speed and memory against a hand-written NumPy reference, in one run.

Times two scenarios at 1e4, 1e5 and 1e6 paths (1e7 with --large):

- ``scenarios/examples/minimal.yaml`` (2 states, 24 months);
- ``benchmarks/mali_shape.yaml``: a model of the Mali case's shape (20
  parameters, 11 states, 36 months, Poisson, binomial and Bernoulli draws
  each month), next to the same model written by hand in vectorised NumPy
  (:func:`reference_mali_shape`), parameters sampled cheaply with NumPy's own
  generators (no inverse CDFs), all paths at once.

Each (implementation, size) runs in a fresh subprocess so that peak resident
memory (``ru_maxrss``) belongs to that run alone. Prints paths per second,
peak memory and the engine/reference ratio. Run from the repository root:

    python benchmarks/bench_engine.py [--large] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MALI_SHAPE = ROOT / "benchmarks" / "mali_shape.yaml"
MINIMAL = ROOT / "scenarios" / "examples" / "minimal.yaml"
Z90 = 1.6448536269514722


def _lognormal_ci90(rng, lo, hi, n):
    mu, sigma = (np.log(lo) + np.log(hi)) / 2, (np.log(hi) - np.log(lo)) / (2 * Z90)
    return rng.lognormal(mu, sigma, n)


def _pert(rng, low, mode, high, n, lamb=4.0):
    a = 1 + lamb * (mode - low) / (high - low)
    b = 1 + lamb * (high - mode) / (high - low)
    return low + (high - low) * rng.beta(a, b, n)


def reference_mali_shape(n: int, seed: int = 1) -> dict:
    """benchmarks/mali_shape.yaml written by hand: all paths at once, one generator."""
    rng = np.random.default_rng(seed)
    u = rng.uniform
    base_attacks = _lognormal_ci90(rng, 20, 80, n)
    vacuum_mult = _pert(rng, 1.0, 1.4, 2.5, n)
    civ_share = rng.beta(3, 5, n)
    fighters = _lognormal_ci90(rng, 700, 1500, n)
    abuse_rate = u(0.5, 2.0, n)
    doc_share = u(0.5, 0.8, n)
    doc_decay = u(0.01, 0.05, n)
    displaced_per_attack = rng.gamma(4, 100, n)
    return_rate = rng.beta(2, 60, n)
    refugee_share = u(0.1, 0.3, n)
    idp0 = u(300000, 400000, n)
    spill = [u(0.001, 0.01, n), u(0.001, 0.01, n), u(0.0005, 0.005, n), u(0.0005, 0.005, n)]
    spill_per_attack = u(0.00001, 0.0001, n)
    collapse_base = u(0.005, 0.03, n)
    collapse_per_attack = u(0.0001, 0.0005, n)
    u(0.005, 0.03, n), rng.triangular(50, 150, 600, n)  # atrocity_p, atrocity_deaths: drawn, as in the scenario

    idps, refugees = idp0.copy(), np.zeros(n)
    flags = [np.zeros(n) for _ in range(4)]
    collapse = np.zeros(n)
    attacks_total, abuses_total, documented_total = np.zeros(n), np.zeros(n), np.zeros(n)
    collapse_12 = np.zeros(n)
    lam_attacks = base_attacks * vacuum_mult
    lam_abuses = fighters / 1000 * abuse_rate
    for t in range(36):
        attacks = rng.poisson(lam_attacks).astype(float)
        civ = rng.binomial(attacks.astype(np.int64), civ_share).astype(float)
        abuses = rng.poisson(lam_abuses).astype(float)
        documented = rng.binomial(abuses.astype(np.int64), doc_share * np.exp(-doc_decay * t)).astype(float)
        displaced = displaced_per_attack * civ
        idps = idps + displaced * (1 - refugee_share) - return_rate * idps
        refugees = refugees + displaced * refugee_share
        for i in range(4):
            p = np.clip(spill[i] + spill_per_attack * attacks, 0, 1)
            flags[i] = np.maximum(flags[i], (rng.random(n) < p).astype(float))
        p = np.clip(collapse_base + collapse_per_attack * attacks, 0, 1)
        collapse = np.maximum(collapse, (rng.random(n) < p).astype(float))
        attacks_total += attacks
        abuses_total += abuses
        documented_total += documented
        if t <= 11:
            collapse_12 = np.maximum(collapse_12, collapse)
    return {"idps_end": idps, "refugees_end": refugees, "attacks_total": attacks_total, "benin_end": flags[2],
            "collapse_12": collapse_12, "abuses_total": abuses_total, "documented_total": documented_total}


def _child(kind: str, n: int) -> None:
    """One measurement in this (fresh) process; prints JSON."""
    if kind != "reference":
        import riskmodel  # imported before the clock starts, as in a notebook
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    if kind == "reference":
        out = reference_mali_shape(n)
        check = float(np.mean(out["idps_end"] > 600000))
    else:
        path = MALI_SHAPE if kind == "engine" else MINIMAL
        res = riskmodel.run(path, samples=n, sampler="mc", judgment_samples=0)  # the simulation alone
        check = float(res.register["likelihood"].iloc[0])
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"kind": kind, "n": n, "seconds": seconds, "peak_bytes": peak, "base_bytes": base,
                      "check": check}))


def best_of(script: str, kind: str, n: int, repeat: int) -> dict:
    """Run ``script --child kind n`` in fresh processes; the fastest run's JSON line."""
    best = None
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, script, "--child", kind, str(n)], capture_output=True, text=True,
                              cwd=ROOT, check=True)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        if best is None or row["seconds"] < best["seconds"]:
            best = row
    return best


def _measure(kind: str, n: int, repeat: int) -> dict:
    return best_of(__file__, kind, n, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also 1e7 paths")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per cell (default 3)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    sizes = [10**4, 10**5, 10**6] + ([10**7] if args.large else [])
    import riskmodel
    from riskmodel.simulate import BLOCK_SIZE

    print(f"riskmodel {riskmodel.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
          f"{platform.machine()}, block size {BLOCK_SIZE}, best of {args.repeat}")
    header = f"{'model':<24}{'paths':>10}{'engine paths/s':>16}{'reference paths/s':>19}{'ratio':>7}" \
             f"{'engine peak MiB':>17}{'ref peak MiB':>14}"
    print(header)
    print("-" * len(header))
    for n in sizes:
        eng = _measure("engine", n, args.repeat)
        ref = _measure("reference", n, args.repeat)
        print(f"{'mali-shape (20p, 11s)':<24}{n:>10,}{n / eng['seconds']:>16,.0f}{n / ref['seconds']:>19,.0f}"
              f"{ref['seconds'] / eng['seconds']:>7.2f}{eng['peak_bytes'] / 2**20:>17,.0f}"
              f"{ref['peak_bytes'] / 2**20:>14,.0f}")
    for n in sizes:
        ex = _measure("example", n, args.repeat)
        print(f"{'examples/minimal':<24}{n:>10,}{n / ex['seconds']:>16,.0f}{'':>19}{'':>7}"
              f"{ex['peak_bytes'] / 2**20:>17,.0f}")
    print("ratio = engine paths/s / reference paths/s (higher is better; target >= 0.8 at 1e5 and above).")
    print("Times include parameter sampling; the engine's include validation and compilation.")


if __name__ == "__main__":
    main()
