"""The expression language's random draws: arguments checked vectorised, then (n,) float64 draws.

Each ``_draw_<name>(rng, n, *args)`` checks its arguments with two reductions
(min, max) and, only when one fails, the exact per-path test that names the
first offending path (:func:`_require`, raising
:class:`~riskmodel.expressions.NumericalError`); then draws from ``rng`` (a
NumPy generator, or the engine's per-block split of one). Used by
:mod:`riskmodel.exprcompile`.
"""

from __future__ import annotations

import weakref

import numpy as np

from .expressions import _COUNT_MAX, SIGNATURES, NumericalError

__all__ = ["DRAWS"]


def _require(ok, function: str, argument: str, value, requirement: str, n: int) -> None:
    """Raise :class:`NumericalError` at the first path where ``ok`` is false."""
    if np.all(ok):
        return
    bad = np.broadcast_to(np.logical_not(ok), (n,))
    i = int(np.argmax(bad))
    v = float(np.broadcast_to(value, (n,))[i])
    raise NumericalError(
        f"{SIGNATURES[function]}: {argument} must be {requirement}; got {v!r} at path {i}",
        function, i, argument, v,
    )


def _bounds(x) -> tuple:
    """(min, max) of ``x``: two reductions and no temporary arrays. With NaN both are NaN, so every
    range test on them fails and the exact check (:func:`_require`) then finds the path."""
    return x.min(), x.max()


def _finite(function, argument, x, n):
    lo, hi = _bounds(x)
    if not (-np.inf < lo and hi < np.inf):
        _require(np.isfinite(x), function, argument, x, "finite", n)


def _finite_nonnegative(function, argument, x, n):
    lo, hi = _bounds(x)
    if not (0 <= lo and hi < np.inf):
        _require(np.isfinite(x) & (x >= 0), function, argument, x, "finite and >= 0", n)


def _finite_positive(function, argument, x, n):
    lo, hi = _bounds(x)
    if not (0 < lo and hi < np.inf):
        _require(np.isfinite(x) & (x > 0), function, argument, x, "finite and > 0", n)


def _checked_min(x: np.ndarray, memo, check) -> float:
    """The minimum of ``x`` once ``check(lo, hi)`` has passed on its bounds.

    ``memo`` (a one-item list, from a call site whose argument is a name) keeps the last array checked
    there and its minimum, so that an argument that is a parameter, or a month-invariant part of an
    update, is checked once, not every month (the engine never writes into such an array).
    """
    last = memo[0] if memo is not None else None  # one read: (weak reference, minimum), set whole
    if last is not None and last[0]() is x:
        return last[1]
    lo, hi = _bounds(x)
    check(lo, hi)
    if memo is not None and x.ndim:
        memo[0] = (weakref.ref(x), lo)
    return lo


def _draw_poisson(rng, n, lam, memo=None):
    lam = np.asarray(lam, dtype=np.float64)

    def check(lo, hi):
        if not (0 <= lo and hi <= _COUNT_MAX):
            _require((lam >= 0) & (lam <= _COUNT_MAX), "poisson", "lam", lam, f"finite, >= 0 and <= {_COUNT_MAX:g}", n)

    lo = _checked_min(lam, memo, check)
    # counts come back as int64 (float64 when drawn block by block); + 0.0 only where a -0.0 may be
    return np.asarray(rng.poisson(lam + 0.0 if lo == 0 else lam, size=n), dtype=np.float64)


def _draw_bernoulli(rng, n, p):
    p = np.asarray(p, dtype=np.float64)
    lo, hi = _bounds(p)
    if not (0 <= lo and hi <= 1):
        _require((p >= 0) & (p <= 1), "bernoulli", "p", p, "between 0 and 1", n)
    u = rng.random(n)
    return np.less(u, p, out=u, casting="unsafe")  # 1.0 where u < p, else 0.0: written into u


def _draw_hit(rng, n, h, prev=None, prev_first: bool = True, nan=("bernoulli", "p", "between 0 and 1")):
    """``bernoulli(clip(h, 0, 1))``, or with ``prev`` ``max(prev, bernoulli(clip(h, 0, 1)))`` (the operands in
    the order written: ``prev_first``), in four passes and no temporary array.

    For a uniform ``u`` in [0, 1), ``u < clip(h, 0, 1)`` exactly when ``u < h``: above 1 both hold, at or below
    0 neither does. So the clip is never computed; NaN, the one value it leaves out of [0, 1], is found by one
    reduction (``min`` propagates it), and then the exact check names the first path as ``nan``'s
    (function, argument, requirement) would have. The same draws and numbers as the long form.
    """
    h = np.asarray(h, dtype=np.float64)
    if h.size and np.isnan(h.min()):
        function, argument, requirement = nan
        _require(~np.isnan(h), function, argument, h, requirement, n)
    u = rng.random(n)
    np.less(u, h, out=u, casting="unsafe")  # 1.0 where u < h, else 0.0: written into u
    if prev is None:
        return u
    return np.maximum(prev, u, out=u) if prev_first else np.maximum(u, prev, out=u)


def _draw_binomial(rng, n, count, p, memo=None):
    count = np.asarray(count, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    whole = count + 0.5  # nearest whole number, halves up
    if whole.ndim:
        np.floor(whole, out=whole)
    else:
        whole = np.floor(whole)
    lo, hi = _bounds(whole)
    if not (0 <= lo and hi <= _COUNT_MAX):
        _require((whole >= 0) & (whole <= _COUNT_MAX), "binomial", "n", count,
                 f"finite, >= 0 and <= {_COUNT_MAX:g} once rounded", n)

    def check(lo, hi):
        if not (0 <= lo and hi <= 1):
            _require((p >= 0) & (p <= 1), "binomial", "p", p, "between 0 and 1", n)

    p_lo = _checked_min(p, memo, check)  # memo: p's call site, when p is a name
    return np.asarray(rng.binomial(whole.astype(np.int64), p + 0.0 if p_lo == 0 else p, size=n), dtype=np.float64)


def _draw_normal(rng, n, mu, sigma):
    mu = np.asarray(mu, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    _finite("normal", "mu", mu, n)
    _finite_nonnegative("normal", "sigma", sigma, n)
    return rng.normal(mu, sigma + 0.0, size=n)  # + 0.0: NumPy refuses -0.0


def _draw_lognormal(rng, n, mu, sigma):
    mu = np.asarray(mu, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    _finite("lognormal", "mu", mu, n)
    _finite_nonnegative("lognormal", "sigma", sigma, n)
    return rng.lognormal(mu, sigma + 0.0, size=n)


def _draw_gamma(rng, n, shape, scale):
    shape = np.asarray(shape, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    _finite_nonnegative("gamma", "shape", shape, n)
    _finite_nonnegative("gamma", "scale", scale, n)
    return rng.gamma(shape + 0.0, scale + 0.0, size=n)


def _draw_beta(rng, n, a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    _finite_positive("beta", "a", a, n)
    _finite_positive("beta", "b", b, n)
    return rng.beta(a, b, size=n)


def _draw_uniform(rng, n, low, high):
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    _finite("uniform", "low", low, n)
    _finite("uniform", "high", high, n)
    _require(high >= low, "uniform", "high", high, "at least low", n)
    _require(np.isfinite(high - low), "uniform", "high", high, "within a finite range of low", n)
    return rng.uniform(low + 0.0, high + 0.0, size=n)


_DRAWS = {
    "poisson": _draw_poisson,
    "bernoulli": _draw_bernoulli,
    "binomial": _draw_binomial,
    "normal": _draw_normal,
    "lognormal": _draw_lognormal,
    "gamma": _draw_gamma,
    "beta": _draw_beta,
    "uniform": _draw_uniform,
}

DRAWS = _DRAWS  # name -> draw function
