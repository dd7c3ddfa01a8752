"""Engine speed and memory against hand-written NumPy references, in one run.

Times each model shape at 1e4, 1e5, 2e5 and 1e6 paths (1e7 with --large), the
engine (``riskmodel.run``, ``judgment_samples=0``: the simulation alone) next
to the same model written by hand in vectorised NumPy, all paths at once, one
generator, parameters drawn with NumPy's own samplers (no inverse CDFs):

- ``mali``: ``benchmarks/mali_shape.yaml``, a model of the Mali case's shape
  (20 parameters, 11 states, 36 months, Poisson, binomial and Bernoulli draws
  each month with per-path parameters, outputs with windows), beside
  :func:`reference_mali_shape`;
- ``normals``: 40 normal parameters feeding 4 states with normal draws;
- ``thinning``: binomial thinning of a per-path count (Poisson incidents, a
  binomial share of them hit, a binomial share of those killed);
- ``derived``: 30 derived parameters in a chain;
- ``states20``: 20 states (counts, stocks, absorbing flags, running sums).

The shapes other than ``mali`` are written as scenario files under the
system's temporary folder at run time (:func:`shape_file`), each beside its
``reference_*`` function. Each (implementation, shape, size) runs in a fresh
subprocess so that peak resident memory (``ru_maxrss``) belongs to that run
alone; the best of ``--repeat`` runs by CPU time is kept. Paths per second and
ratios are per CPU second (``time.process_time``, which stays steady when other
work shares the machine's cores, unlike wall-clock time), the engine pinned to
one process (``workers=1``) as the reference is. The last column is wall clock:
the engine as a user calls it (``workers`` unset, so every core from 50,000
paths: :func:`riskmodel.simulate.auto_workers`) against the reference, the
CPU of the engine's worker processes counted with its own. The "session" column
times both in one process that has run the engine once already (what a notebook
or an analyst's session sees once its imports are loaded): the engine's one-time
costs left out, ``riskmodel.run`` otherwise whole.
Run from the repository root:

    python benchmarks/bench_engine.py [--sizes 1e5,2e5] [--shapes mali,normals] [--repeat 3] [--large] [--small-pages]
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


# ---- further shapes (issue 14, item 6): each a scenario written out at run time and its hand-written twin

_HEAD = """schema: riskmodel/1
name: bench-{name}
title: Benchmark shape {name}
origin: 2024-01
horizon_months: {months}
samples: 10000
seed: 1
sampler: mc
factors:
  f: {{title: Benchmark}}
"""
_J = "factor: f, evidence: judgment, rationale: benchmark"
N_NORMAL = 40  # normal parameters in the "normals" shape
N_DERIVED = 30  # derived parameters in the "derived" shape
N_STATES = 20  # states in the "states20" shape


def _yaml_normals() -> str:
    params = "".join(f"  x{i}: {{{_J}, dist: normal, mu: {i % 5}, sigma: {1 + i % 3}}}\n" for i in range(N_NORMAL))
    groups = [" + ".join(f"x{i}" for i in range(k, N_NORMAL, 4)) for k in range(4)]
    states = "".join(f"  s{k}: {{factor: f, update: \"prev + normal(({g}) / 10, 1)\"}}\n" for k, g in enumerate(groups))
    outputs = "".join(f"  s{k}_end: {{state: s{k}, agg: end}}\n" for k in range(4))
    return (_HEAD.format(name="normals", months=36) + "parameters:\n" + params + "states:\n" + states
            + "outputs:\n" + outputs + "risks:\n  - {id: r, title: High, factor: f, output: s0_end, threshold: 100}\n")


def reference_normals(n: int, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    x = [rng.normal(i % 5, 1 + i % 3, n) for i in range(N_NORMAL)]
    mus = [sum(x[i] for i in range(k, N_NORMAL, 4)) / 10 for k in range(4)]
    s = [np.zeros(n) for _ in range(4)]
    for _ in range(36):
        for k in range(4):
            s[k] = s[k] + rng.normal(mus[k], 1, n)
    return {"s0_end": s[0]}


def _yaml_thinning() -> str:
    return _HEAD.format(name="thinning", months=36) + f"""parameters:
  rate: {{{_J}, dist: lognormal, ci90: [20, 200]}}
  p_hit: {{{_J}, dist: beta, a: 2, b: 5}}
  p_kill: {{{_J}, dist: uniform, low: 0.05, high: 0.3}}
states:
  incidents: {{factor: f, update: "poisson(rate)", nonnegative: true}}
  hits: {{factor: f, update: "binomial(incidents, p_hit)", nonnegative: true}}
  deaths: {{factor: f, update: "binomial(hits, p_kill)", nonnegative: true}}
outputs:
  incidents_total: {{state: incidents, agg: sum}}
  hits_total: {{state: hits, agg: sum}}
  deaths_total: {{state: deaths, agg: sum}}
risks:
  - {{id: r, title: Many deaths, factor: f, output: deaths_total, threshold: 300}}
"""


def reference_thinning(n: int, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    rate = _lognormal_ci90(rng, 20, 200, n)
    p_hit, p_kill = rng.beta(2, 5, n), rng.uniform(0.05, 0.3, n)
    totals = np.zeros((3, n))
    for _ in range(36):
        incidents = rng.poisson(rate).astype(float)
        hits = rng.binomial(incidents.astype(np.int64), p_hit).astype(float)
        deaths = rng.binomial(hits.astype(np.int64), p_kill).astype(float)
        totals[0] += incidents
        totals[1] += hits
        totals[2] += deaths
    return {"deaths_total": totals[2]}


def _yaml_derived() -> str:
    params = "".join(f"  u{i}: {{{_J}, dist: uniform, low: 0, high: 1}}\n" for i in range(5))
    params += "  d0: {factor: f, evidence: derived, formula: \"u0 + u1\"}\n"
    params += "".join(f"  d{i}: {{factor: f, evidence: derived, formula: \"d{i - 1} * 0.9 + u{i % 5} * exp(-u{(i + 1) % 5})\"}}\n"
                      for i in range(1, N_DERIVED))
    last = N_DERIVED - 1
    return (_HEAD.format(name="derived", months=36) + "parameters:\n" + params + f"""states:
  level: {{factor: f, update: "prev * 0.95 + d{last} + d{last // 2}"}}
  events: {{factor: f, update: "poisson(d{last})", nonnegative: true}}
outputs:
  level_end: {{state: level, agg: end}}
  events_total: {{state: events, agg: sum}}
risks:
  - {{id: r, title: High level, factor: f, output: level_end, threshold: 20}}
""")


def reference_derived(n: int, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    u = [rng.uniform(0, 1, n) for _ in range(5)]
    d = [u[0] + u[1]]
    for i in range(1, N_DERIVED):
        d.append(d[i - 1] * 0.9 + u[i % 5] * np.exp(-u[(i + 1) % 5]))
    level, events = np.zeros(n), np.zeros(n)
    a, b = d[N_DERIVED - 1], d[(N_DERIVED - 1) // 2]
    for _ in range(36):
        level = level * 0.95 + a + b
        events += rng.poisson(a).astype(float)
    return {"level_end": level}


def _yaml_states20() -> str:
    params = "".join(f"  r{i}: {{{_J}, dist: gamma, shape: 2, scale: {1 + i % 4}}}\n" for i in range(10))
    params += f"  decay: {{{_J}, dist: beta, a: 2, b: 20}}\n"
    states = []
    for k in range(N_STATES):
        if k % 4 == 0:
            states.append(f"  s{k}: {{factor: f, update: \"poisson(r{k % 10})\", nonnegative: true}}")
        elif k % 4 == 1:
            states.append(f"  s{k}: {{factor: f, update: \"prev * (1 - decay) + s{k - 1}\", nonnegative: true}}")
        elif k % 4 == 2:
            states.append(f"  s{k}: {{factor: f, update: \"max(prev, bernoulli(clip(0.001 * s{k - 2}, 0, 1)))\"}}")
        else:
            states.append(f"  s{k}: {{factor: f, update: \"prev + s{k - 3} * r{(k + 1) % 10} / 10\"}}")
    outputs = "".join(f"  o{k}: {{state: s{k}, agg: {'sum' if k % 4 == 0 else 'end'}}}\n" for k in range(N_STATES))
    return (_HEAD.format(name="states20", months=36) + "parameters:\n" + params + "states:\n" + "\n".join(states)
            + "\noutputs:\n" + outputs + "risks:\n  - {id: r, title: Flag, factor: f, output: o2, threshold: 0.5}\n")


def reference_states20(n: int, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    r = [rng.gamma(2, 1 + i % 4, n) for i in range(10)]
    decay = rng.beta(2, 20, n)
    s = [np.zeros(n) for _ in range(N_STATES)]
    acc = [np.zeros(n) for _ in range(N_STATES)]
    for _ in range(36):
        new = []
        for k in range(N_STATES):
            if k % 4 == 0:
                x = rng.poisson(r[k % 10]).astype(float)
            elif k % 4 == 1:
                x = s[k] * (1 - decay) + new[k - 1]
            elif k % 4 == 2:
                x = np.maximum(s[k], (rng.random(n) < np.clip(0.001 * new[k - 2], 0, 1)).astype(float))
            else:
                x = s[k] + new[k - 3] * r[(k + 1) % 10] / 10
            new.append(x)
        s = new
        for k in range(0, N_STATES, 4):
            acc[k] += s[k]
    return {"o2": s[2]}


#: shape -> (label, scenario text or file, reference)
SHAPES = {
    "mali": ("mali-shape (20p, 11s)", None, reference_mali_shape),
    "normals": (f"normals ({N_NORMAL} normal p)", _yaml_normals, reference_normals),
    "thinning": ("binomial thinning", _yaml_thinning, reference_thinning),
    "derived": (f"derived ({N_DERIVED} formulas)", _yaml_derived, reference_derived),
    "states20": (f"{N_STATES} states", _yaml_states20, reference_states20),
}


def shape_file(shape: str) -> Path:
    """The scenario file of a shape (written under the system's temporary folder)."""
    if shape == "mali":
        return MALI_SHAPE
    import tempfile

    folder = Path(tempfile.gettempdir()) / "riskmodel-bench-engine"
    folder.mkdir(exist_ok=True)
    path = folder / f"{shape}.yaml"
    text = SHAPES[shape][1]()
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def _child(kind: str, n: int, warm_imports: bool = False) -> None:
    """One measurement in this (fresh) process; prints JSON."""
    if kind != "reference":
        import riskmodel  # imported before the clock starts, as in a notebook
        if warm_imports and not kind.startswith("reference"):  # --warm-imports: the modules the engine imports on first use, too (pandas, scipy.special)
            import pandas  # noqa: F401
            import scipy.special  # noqa: F401

            import riskmodel.pipeline
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    impl, _, shape = kind.partition(":")
    shape = shape or "mali"
    path = MINIMAL if impl == "example" else shape_file(shape)
    simulate_s = None
    t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
    if impl == "reference":
        out = SHAPES[shape][2](n)
        check = float(np.mean(next(iter(out.values()))))
    else:  # "engine": one process, as the reference; "auto": the workers riskmodel.run chooses
        res = riskmodel.run(path, samples=n, sampler="mc", judgment_samples=0,  # the simulation alone
                            workers=1 if impl == "engine" else None)
        check = float(res.register["likelihood"].iloc[0])
        simulate_s = res.meta["timings"]["total_s"]
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0 + _children_cpu() - k0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    workers = res.meta["workers"] if impl != "reference" else 1
    print(json.dumps({"kind": kind, "n": n, "seconds": seconds, "cpu": cpu, "simulate_s": simulate_s, "peak_bytes": peak,
                      "base_bytes": base, "check": check, "workers": workers}))


def _session(shape: str, n: int, repeat: int) -> None:
    """Reference and engine in one process, as in a notebook or an analyst's session: the engine's one-time
    costs (imports, first compilation, first touch of memory) paid by a first, untimed run; then each is
    timed ``repeat`` times, alternately, and the best CPU time of each kept. Prints JSON."""
    import riskmodel

    path = shape_file(shape)
    riskmodel.run(path, samples=n, sampler="mc", judgment_samples=0, workers=1)  # the session's first run
    best = {"reference": None, "engine": None}
    for _ in range(repeat):
        for kind in best:
            c0 = time.process_time()
            if kind == "reference":
                SHAPES[shape][2](n)
            else:
                riskmodel.run(path, samples=n, sampler="mc", judgment_samples=0, workers=1)
            cpu = time.process_time() - c0
            best[kind] = cpu if best[kind] is None else min(best[kind], cpu)
    print(json.dumps({"shape": shape, "n": n, **best}))


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished children (the engine's worker processes)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


WARM_IMPORTS = False  # set by --warm-imports
CHILD_ENV = None  # set by --small-pages: the children's environment


def _small_pages_env() -> dict:
    """This environment with NumPy's huge-page advice off from import (``NUMPY_MADVISE_HUGEPAGE=0``)."""
    import os

    return {**os.environ, "NUMPY_MADVISE_HUGEPAGE": "0"}


def best_of(script: str, kind: str, n: int, repeat: int) -> dict:
    """Run ``script --child kind n`` in fresh processes; the fastest run's JSON line."""
    best = None
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, script, "--child", kind, str(n)]
                              + (["--warm-imports"] if WARM_IMPORTS else []), capture_output=True, text=True,
                              cwd=ROOT, check=True, env=CHILD_ENV)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        if best is None or row["cpu"] < best["cpu"]:
            best = row
    return best


def _measure(kind: str, n: int, repeat: int) -> dict:
    return best_of(__file__, kind, n, repeat)


def _measure_pair(a: str, b: str, n: int, repeat: int) -> tuple:
    """Best of ``repeat`` for each of two kinds, run alternately (a, b, a, b, ...) so that a change in
    the machine's load falls on both alike."""
    best: dict = {a: None, b: None}
    for _ in range(repeat):
        for kind in (a, b):
            row = best_of(__file__, kind, n, 1)
            if best[kind] is None or row["cpu"] < best[kind]["cpu"]:
                best[kind] = row
    return best[a], best[b]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also 1e7 paths")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per cell (default 3)")
    parser.add_argument("--sizes", help="comma-separated path counts (default 1e4,1e5,2e5,1e6)")
    parser.add_argument("--shapes", help="comma-separated shapes: " + ", ".join(SHAPES) + " (default all)")
    parser.add_argument("--example", action="store_true", help="also time scenarios/examples/minimal.yaml")
    parser.add_argument("--warm-imports", action="store_true",
                        help="import pandas, scipy.special and riskmodel.pipeline before the engine's clock starts "
                             "(what a notebook has already loaded): the engine's one-time imports left out")
    parser.add_argument("--small-pages", action="store_true",
                        help="run every measurement with NUMPY_MADVISE_HUGEPAGE=0, the reference too: the engine "
                             "turns NumPy's huge-page advice off for its runs; this takes the reference's "
                             "compaction stalls out of the comparison as well")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--session", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]), args.warm_imports)
        return
    if args.session:
        _session(args.session[0], int(args.session[1]), int(args.session[2]))
        return
    global WARM_IMPORTS, CHILD_ENV
    WARM_IMPORTS = args.warm_imports
    CHILD_ENV = _small_pages_env() if args.small_pages else None
    sizes = [10**4, 10**5, 2 * 10**5, 10**6] + ([10**7] if args.large else [])
    if args.sizes:
        sizes = [int(float(x)) for x in args.sizes.split(",")]
    shapes = args.shapes.split(",") if args.shapes else list(SHAPES)
    import riskmodel
    from riskmodel.simulate import BLOCK_SIZE

    print(f"riskmodel {riskmodel.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
          f"{platform.machine()}, block size {BLOCK_SIZE}, best of {args.repeat}"
          + (", engine's imports warm (--warm-imports)" if args.warm_imports else "")
          + (", NUMPY_MADVISE_HUGEPAGE=0 for both (--small-pages)" if args.small_pages else ""))
    header = f"{'model':<26}{'paths':>10}{'engine paths/s':>16}{'reference paths/s':>19}{'ratio':>7}" \
             f"{'sim. ratio':>11}{'session':>9}{'engine peak MiB':>17}{'ref peak MiB':>14}{'wall ratio':>11}" \
             f"{'workers':>8}"
    print(header)
    print("-" * len(header))
    for shape in shapes:
        label = SHAPES[shape][0]
        for n in sizes:
            eng, ref = _measure_pair(f"engine:{shape}", f"reference:{shape}", n, args.repeat)
            sim_cpu = eng["simulate_s"] * eng["cpu"] / eng["seconds"]  # simulate()'s share of the CPU time
            auto = min((best_of(__file__, f"auto:{shape}", n, 1) for _ in range(args.repeat)),
                       key=lambda row: row["seconds"])
            proc = subprocess.run([sys.executable, __file__, "--session", shape, str(n), str(args.repeat)],
                                  capture_output=True, text=True, cwd=ROOT, check=True, env=CHILD_ENV)
            session = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"{label:<26}{n:>10,}{n / eng['cpu']:>16,.0f}{n / ref['cpu']:>19,.0f}"
                  f"{ref['cpu'] / eng['cpu']:>7.2f}{ref['cpu'] / sim_cpu:>11.2f}"
                  f"{session['reference'] / session['engine']:>9.2f}"
                  f"{eng['peak_bytes'] / 2**20:>17,.0f}{ref['peak_bytes'] / 2**20:>14,.0f}"
                  f"{ref['seconds'] / auto['seconds']:>11.2f}{auto['workers']:>8}", flush=True)
    if args.example:
        for n in sizes:
            ex = _measure("example", n, args.repeat)
            print(f"{'examples/minimal':<26}{n:>10,}{n / ex['cpu']:>16,.0f}{'':>19}{'':>7}{'':>11}"
                  f"{ex['peak_bytes'] / 2**20:>17,.0f}")
    print("paths/s per CPU second (process time: steady when other work shares the cores; one thread each).")
    print("ratio = reference CPU time / engine CPU time for riskmodel.run (validation and compilation included),")
    print("the engine in one process (workers=1);")
    print("sim. ratio = the same with the engine's simulate() alone (its share of the run), without reading the YAML.")
    print("session = the ratio in one process that has run the engine once already (a notebook's or an analyst's")
    print("session: imports, first compilation and first touch of memory paid), riskmodel.run whole, best of --repeat.")
    print("wall ratio = reference wall clock / engine wall clock, the engine as a user calls it: workers unset,")
    print("so it chooses them (the workers column: every core from 50,000 paths).")
    print("Higher is better; target >= 0.8 on every shape. Reference and engine run in fresh processes, same machine.")


if __name__ == "__main__":
    main()
