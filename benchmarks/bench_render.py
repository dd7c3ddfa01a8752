"""How long rendering a report takes, separately from simulating, at 1e4, 1e5 and 1e6 paths.

Renders the Mali baseline (``scenarios/mali/baseline.yaml``; the minimal
example if the Mali case is absent) into a temporary folder. Simulation is
timed on its own; rendering is timed twice: the first render in the process
("cold": matplotlib's imports and font cache warm up) and the best of
``--repeat`` renders after it ("warm"). Nothing is asserted; run from the
repository root:

    python benchmarks/bench_render.py [--sizes 1e4 1e5 1e6] [--repeat 3] [--scenario FILE]

What grows with the number of paths: one sort per output (exceedance curves,
conditional medians), a cumulative sum per risk (convergence), quantiles of
derived parameters for the ledger; every figure draws a fixed number of
points (512 per exceedance curve, 160 per running estimate, the months of a
fan chart), so drawing costs the same at any size.

``--per-figure`` also prints the CPU time of single figures, each beside a
reference drawn in the same process: an exceedance curve with two thresholds
(tags and likelihood block placed where no curve runs) against the same curve
with none, and a fan chart with an intervention window (headroom for its
label) against one without.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import riskmodel  # noqa: E402
from riskmodel.render import render_report  # noqa: E402


def _default_scenario() -> Path:
    mali = ROOT / "scenarios" / "mali" / "baseline.yaml"
    return mali if mali.is_file() else ROOT / "scenarios" / "examples" / "minimal.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", type=Path, default=_default_scenario())
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--per-figure", action="store_true", help="also time single figures against a reference")
    args = ap.parse_args()
    if args.per_figure:
        per_figure()

    scenario = riskmodel.validate(args.scenario)
    print(f"render benchmark: {args.scenario.relative_to(ROOT) if args.scenario.is_relative_to(ROOT) else args.scenario}"
          f" ({len(scenario.states)} states, {len(scenario.outputs)} outputs, {len(scenario.risks)} risks, "
          f"{scenario.horizon_months} months)")
    print(f"python {platform.python_version()}, {platform.machine()}, riskmodel {riskmodel.__version__}")
    print(f"{'paths':>10} {'simulate s':>11} {'render cold s':>14} {'render warm s':>14} {'figures':>8} "
          f"{'index.html MB':>14}")
    cold_done = False
    for size in args.sizes:
        n = int(size)
        t0 = time.perf_counter()
        results = riskmodel.run(scenario, samples=n)
        simulate_s = time.perf_counter() - t0
        times = []
        with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
            for i in range(args.repeat + (0 if cold_done else 1)):
                folder = Path(tmp) / f"r{i}"
                folder.mkdir()
                t0 = time.perf_counter()
                render_report(results, scenario, folder)
                times.append(time.perf_counter() - t0)
            n_figures = len(list((folder / "figures").glob("*.png")))
            html_mb = (folder / "index.html").stat().st_size / 1e6
        cold = f"{times[0]:.2f}" if not cold_done else "–"
        warm = min(times[1:] if not cold_done else times)
        cold_done = True
        print(f"{n:>10,} {simulate_s:>11.2f} {cold:>14} {warm:>14.2f} {n_figures:>8} {html_mb:>14.2f}",
              flush=True)
    print("cold: the first render in the process (imports, font cache); warm: best of the renders after it.")


def per_figure(repeat: int = 15) -> None:
    """CPU time (best of ``repeat``) of single figures, each with its reference in the same process."""
    import numpy as np

    from riskmodel.model import Month
    from riskmodel.render import plots
    from riskmodel.render._stats import ExceedanceCurve

    x = np.linspace(0.05, 0.53, 512)
    curve = ExceedanceCurve(x=x, p=1 / (1 + np.exp((x - 0.23) / 0.04)), discrete=False, log_x=False, n=20_000)
    marks = [plots.ThresholdMark("#5 most undocumented", 0.5, "below", 0.9998, 0.9995, 0.9999),
             plots.ThresholdMark("#6 mostly unseen", 0.25, "below", 0.561, 0.554, 0.568)]
    months = [Month(2024 + i // 12, i % 12 + 1) for i in range(36)]
    t = np.arange(36.0)
    bands = {"q05": 10 + t, "q25": 20 + t, "q50": 30 + t, "q75": 40 + t, "q95": 60 + t, "mean": 32 + t}
    window = [plots.Window("regional force", months[6], months[35])]
    cases = [("exceedance, no threshold (reference)", lambda: plots.exceedance_plot(curve, title="t", unit="u")),
             ("exceedance, 2 thresholds placed", lambda: plots.exceedance_plot(curve, title="t", unit="u", marks=marks)),
             ("fan chart, no window (reference)", lambda: plots.fan_chart(months, bands, title="t", unit="u")),
             ("fan chart, 1 window labelled", lambda: plots.fan_chart(months, bands, title="t", unit="u",
                                                                      windows=window))]
    for _, f in cases:
        f()  # warm up: fonts, caches
    print(f"{'figure':<40} {'best CPU ms':>12}")
    for name, f in cases:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.process_time()
            f()
            best = min(best, time.process_time() - t0)
        print(f"{name:<40} {1000 * best:>12.1f}")


if __name__ == "__main__":
    main()
