"""Dimensioned engine speed against a hand-written NumPy reference, in one run.

The model is ``benchmarks/mali_shape.yaml`` (20 parameters, 11 states, 36
months) with every parameter and state ``over:`` a dimension of 4 elements:
80 sampled columns and 44 state series per path, each element with its own
random streams. The hand-written reference is the same arithmetic over a
``(paths x elements)`` array: :func:`bench_engine.reference_mali_shape` on
``4 n`` independent rows (its arrays are ``(n * 4,)``, i.e. paths x elements
flattened), all at once, cheap NumPy generators (no inverse CDFs).

Alongside, the undimensioned Mali shape at ``4 n`` paths: the same number of
element-paths, to show what the dimension costs. Each cell runs in a fresh
subprocess (best of ``--repeat``). Run from the repository root:

    python benchmarks/bench_dims.py [--repeat 3] [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_engine import MALI_SHAPE, reference_mali_shape  # noqa: E402

ELEMENTS = ("r1", "r2", "r3", "r4")


def dimensioned_shape(folder: Path) -> Path:
    """mali_shape.yaml with ``dimensions: {region: [r1..r4]}`` and every parameter, state and risk over it."""
    from ruamel.yaml import YAML

    yaml = YAML()
    doc = yaml.load(MALI_SHAPE.read_text())
    doc["name"] = "bench-dims-shape"
    doc["dimensions"] = {"region": list(ELEMENTS)}
    for section in ("parameters", "states"):
        for item in doc[section].values():
            item["over"] = "region"
    for risk in doc.get("risks", []):
        risk["over"] = "region"
        risk["title"] = str(risk["title"]) + " ({region})"
    path = folder / "dims_shape.yaml"
    with path.open("w") as fh:
        yaml.dump(doc, fh)
    return path


def _child(kind: str, n: int) -> None:
    if kind != "reference":
        import riskmodel
    t0 = time.perf_counter()
    if kind == "reference":
        out = reference_mali_shape(n * len(ELEMENTS))
        check = float(np.mean(out["idps_end"].reshape(n, len(ELEMENTS)) > 600000))
    elif kind == "engine":
        with tempfile.TemporaryDirectory() as tmp:
            res = riskmodel.run(dimensioned_shape(Path(tmp)), samples=n, sampler="mc", judgment_samples=0)
        check = float(res.register["likelihood"].iloc[0])
    else:  # flat: the undimensioned shape at as many element-paths
        res = riskmodel.run(MALI_SHAPE, samples=n * len(ELEMENTS), sampler="mc", judgment_samples=0)
        check = float(res.register["likelihood"].iloc[0])
    print(json.dumps({"kind": kind, "n": n, "seconds": time.perf_counter() - t0, "check": check}))


def best_of(kind: str, n: int, repeat: int) -> dict:
    best = None
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, __file__, "--child", kind, str(n)], capture_output=True, text=True,
                              cwd=ROOT, check=True)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        if best is None or row["seconds"] < best["seconds"]:
            best = row
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs per cell (default 3)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**4, 10**5], help="paths (default 1e4 1e5)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    import riskmodel

    print(f"riskmodel {riskmodel.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
          f"{platform.machine()}, {len(ELEMENTS)} elements, best of {args.repeat}")
    header = (f"{'paths':>9}{'engine paths/s':>16}{'reference paths/s':>19}{'ratio':>7}"
              f"{'flat 4n paths/s':>17}{'dims/flat':>11}")
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        eng, ref, flat = best_of("engine", n, args.repeat), best_of("reference", n, args.repeat), \
            best_of("flat", n, args.repeat)
        print(f"{n:>9,}{n / eng['seconds']:>16,.0f}{n / ref['seconds']:>19,.0f}{ref['seconds'] / eng['seconds']:>7.2f}"
              f"{4 * n / flat['seconds'] / 4:>17,.0f}{flat['seconds'] / eng['seconds']:>11.2f}")
    print("paths/s count paths of 4 elements each; ratio = engine / reference (higher is better);")
    print("flat: the undimensioned shape at 4n paths, shown per 4 element-paths; dims/flat near 1 means the")
    print("dimension costs nothing beyond its element-paths.")


if __name__ == "__main__":
    main()
