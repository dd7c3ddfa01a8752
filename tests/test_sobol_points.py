"""riskmodel._sobol_points gives scipy's scrambled Sobol' points bit for bit, without scipy.stats.

The comparison runs in a fresh interpreter where the points are drawn first and
scipy.stats is imported only afterwards: in a process that has imported
scipy.stats already, the module uses scipy's own loaded kernels, and the check
would compare scipy with itself.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np

from riskmodel import _sobol_points

_CHECK = textwrap.dedent("""
    import sys
    import numpy as np
    from riskmodel._sobol_points import scrambled_sobol, _kernels
    cases = [(d, m, bits, seed) for d in (1, 2, 7, 40, 130) for m in (0, 1, 3, 10) for bits in (30, 40)
             for seed in (0, 2**31 + 5)]
    ours = [scrambled_sobol(d, m, np.random.default_rng(seed), bits=bits) for d, m, bits, seed in cases]
    print("standalone", _kernels() is not None and "scipy.stats" not in sys.modules)
    from scipy.stats import qmc
    same = [np.array_equal(u, qmc.Sobol(d, scramble=True, bits=bits, rng=np.random.default_rng(seed))
                           .random_base2(m)) and u.shape == (2**m, d) and u.dtype == np.float64
            for u, (d, m, bits, seed) in zip(ours, cases)]
    print("cases", len(cases), "equal", sum(same))
""")


def test_points_equal_scipys_drawn_without_scipy_stats():
    out = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True, check=True)
    assert out.stderr == ""  # no "Exception ignored" from the compiled kernels
    assert out.stdout.split() == ["standalone", "True", "cases", "80", "equal", "80"]


def test_without_the_kernels_scipy_gives_the_same_points(monkeypatch):
    from scipy.stats import qmc

    monkeypatch.setattr(_sobol_points, "_KERNELS", [None])
    got = _sobol_points.scrambled_sobol(5, 6, np.random.default_rng(3))
    assert np.array_equal(got, qmc.Sobol(5, scramble=True, rng=np.random.default_rng(3)).random_base2(6))
