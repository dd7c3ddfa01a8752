"""Scale: one process, 2 local workers and a 2-worker Dask LocalCluster, with peak memory.

Runs ``benchmarks/mali_shape.yaml`` (20 parameters, 11 states, 36 months)
at 1e4, 1e5, 1e6 and 1e7 paths (``--quick``: up to 1e6) in each mode, each
cell in a fresh subprocess, and the hand-written NumPy reference of
``bench_engine.py`` in the same run. Prints paths per second, speed-up over
one process, peak resident memory of the driving process (and of its
children, for local workers), and the memory per path kept (per-path
outputs and parameters) from the growth between the two largest sizes.

    python benchmarks/bench_scale.py [--quick] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODEL = HERE / "mali_shape.yaml"


def _child(mode: str, n: int) -> None:
    if mode == "reference":
        sys.path.insert(0, str(HERE))
        from bench_engine import reference_mali_shape

        t0 = time.perf_counter()
        reference_mali_shape(n)
        seconds = time.perf_counter() - t0
    else:
        import riskmodel

        kwargs = {}
        cluster = client = None
        if mode == "workers2":
            kwargs["workers"] = 2
        elif mode == "dask2":
            from distributed import Client, LocalCluster

            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
            kwargs["scheduler"] = client
            riskmodel.run(MODEL, samples=4096, sampler="mc", judgment_samples=0, **kwargs)  # warm the workers (imports, compile)
        t0 = time.perf_counter()
        riskmodel.run(MODEL, samples=n, sampler="mc", judgment_samples=0, **kwargs)
        seconds = time.perf_counter() - t0
        if client is not None:
            client.close()
            cluster.close()
    print(json.dumps({
        "seconds": seconds,
        "peak_self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "peak_children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
    }))


def _measure(mode: str, n: int, repeat: int) -> dict:
    sys.path.insert(0, str(HERE))
    from bench_engine import best_of

    return best_of(__file__, mode, n, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="stop at 1e6 paths")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per cell (default 1)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    import numpy as np

    import riskmodel
    from riskmodel.simulate import BLOCK_SIZE, DEFAULT_MEMORY_BYTES

    sizes = [10**4, 10**5, 10**6] + ([] if args.quick else [10**7])
    print(f"riskmodel {riskmodel.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} cores, block size {BLOCK_SIZE}, "
          f"memory budget {DEFAULT_MEMORY_BYTES / 2**30:.0f} GiB, best of {args.repeat}")
    modes = [("1 process", "serial"), ("2 local workers", "workers2"), ("Dask LocalCluster x2", "dask2"),
             ("NumPy reference", "reference")]
    header = f"{'mode':<22}{'paths':>12}{'paths/s':>12}{'speed-up':>10}{'vs ref':>8}{'peak MiB':>10}{'workers MiB':>13}"
    print(header)
    print("-" * len(header))
    table: dict = {}
    for n in sizes:
        for label, mode in modes:
            table[(mode, n)] = _measure(mode, n, args.repeat)
        base = table[("serial", n)]["seconds"]
        ref = table[("reference", n)]["seconds"]
        for label, mode in modes:
            row = table[(mode, n)]
            speed = base / row["seconds"]
            print(f"{label:<22}{n:>12,}{n / row['seconds']:>12,.0f}{speed:>10.2f}{ref / row['seconds']:>8.2f}"
                  f"{row['peak_self'] / 2**20:>10,.0f}{row['peak_children'] / 2**20:>13,.0f}")
    if len(sizes) >= 2:
        a, b = sizes[-2], sizes[-1]
        grow = (table[("serial", b)]["peak_self"] - table[("serial", a)]["peak_self"]) / (b - a)
        print(f"peak memory growth of one process from {a:,} to {b:,} paths: {grow:,.0f} bytes per path "
              "(per-path outputs and parameters, which are kept whole, and their DataFrames)")
    print("speed-up: over 1 process at the same size; vs ref: the hand-written NumPy model's time / this time.")


if __name__ == "__main__":
    main()
