"""Beta, PERT and gamma: inverse CDFs from a cubic Hermite table built once per distribution.

These families have no fast exact inverse CDF (``scipy.special.betaincinv`` runs at 0.4–2.5 M
values/s); each builds, on first use, a table accurate to ``FAST_PPF_TOLERANCE``, checked at every
interval midpoint against the exact inverse (see :class:`riskmodel._dist_frozen.FrozenDistribution`
for truncation and the shared interface, and the Notes of :class:`_Tabulated`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, Callable, ClassVar, Optional

import numpy as np

from ._dist_frozen import PERT_LAMB_DEFAULT, FrozenDistribution, _fmt, special

__all__ = ["Pert", "Beta", "Gamma", "FAST_PPF_TOLERANCE"]

#: Largest error of the tabulated inverse CDF that a table is accepted with,
#: checked at every interval midpoint against the exact inverse (where cubic
#: Hermite interpolation errs most) when the table is built. For ``beta`` and
#: ``pert`` it is an absolute error as a fraction of the range (high − low;
#: 1 for beta); for ``gamma`` a relative error. A table that cannot reach it
#: is not used (the exact inverse is).
FAST_PPF_TOLERANCE = 1e-9

_TABLE_T = 30.0  # the table covers logit(u) in [-30, 30], u in [9.4e-14, 1 - 9.4e-14]
_TABLE_H0 = 0.25  # first grid step in logit(u); halved until the tolerance is met
_TABLE_MAX_NODES = 2**17 + 1


class _HermiteTable:
    """Cubic Hermite interpolant of ``z(t)`` on a uniform grid over ``[-T, T]``.

    ``coef[i]`` holds the cubic on interval ``i`` in the local variable
    ``w = (t - t_i) / h`` in [0, 1]: ``c0 + c1 w + c2 w² + c3 w³``.
    """

    def __init__(self, t: np.ndarray, z: np.ndarray, m: np.ndarray):
        self.t0 = float(t[0])
        self.h = float(t[1] - t[0])
        self.n = len(t)
        hm = self.h * m
        dz = z[1:] - z[:-1]
        self.c0 = z[:-1].copy()
        self.c1 = hm[:-1].copy()
        self.c2 = 3 * dz - 2 * hm[:-1] - hm[1:]
        self.c3 = -2 * dz + hm[:-1] + hm[1:]

    def __call__(self, t: np.ndarray) -> np.ndarray:
        s = (t - self.t0) * (1.0 / self.h)
        i = np.minimum(s.astype(np.intp), self.n - 2)
        np.maximum(i, 0, out=i)
        if not (s.ndim and s.dtype == np.float64):
            w = s - i
            return self.c0[i] + w * (self.c1[i] + w * (self.c2[i] + w * self.c3[i]))
        w = np.subtract(s, i, out=s)  # Horner's rule written into the gathers: the same operations, fewer arrays
        y = self.c3[i]
        y *= w
        y += self.c2[i]
        y *= w
        y += self.c1[i]
        y *= w
        y += self.c0[i]
        return y

    @staticmethod
    def midpoints(z: np.ndarray, m: np.ndarray, h: float) -> np.ndarray:
        """The interpolant at the middle of every interval."""
        return 0.5 * (z[:-1] + z[1:]) + h / 8 * (m[:-1] - m[1:])


def _build_table(exact: Callable, error: Callable, tol: float) -> Optional[_HermiteTable]:
    """Halve the grid step until the midpoint error is below ``tol``.

    ``exact(t) -> (z, dz/dt)``; ``error(z_table, z_exact) -> array``. The
    midpoints checked at one step are the new nodes of the next, so every
    exact evaluation is used. None when the tolerance is out of reach or the
    exact values are not finite (extreme arguments): the caller then uses the
    exact inverse throughout.
    """
    n = int(round(2 * _TABLE_T / _TABLE_H0)) + 1
    t = np.linspace(-_TABLE_T, _TABLE_T, n)
    with np.errstate(all="ignore"):
        z, m = exact(t)
        while True:
            if not (np.all(np.isfinite(z)) and np.all(np.isfinite(m))):
                return None
            h = t[1] - t[0]
            tm = 0.5 * (t[:-1] + t[1:])
            zm, mm = exact(tm)
            if not (np.all(np.isfinite(zm)) and np.all(np.isfinite(mm))):
                return None
            if float(np.max(error(_HermiteTable.midpoints(z, m, h), zm))) <= tol:
                return _HermiteTable(t, z, m)
            if 2 * len(t) - 1 > _TABLE_MAX_NODES:
                return None
            t, z, m = (_interleave(a, b) for a, b in ((t, tm), (z, zm), (m, mm)))


def _interleave(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty(len(a) + len(b))
    out[0::2], out[1::2] = a, b
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return special.logit(p)


@dataclass(frozen=True, kw_only=True)
class _Tabulated(FrozenDistribution):
    """A family whose inverse CDF comes from a logit table (see the Notes above)."""

    def _exact_lower(self, p: np.ndarray) -> np.ndarray:
        """Exact inverse CDF, accurate for p ≤ 1/2."""
        raise NotImplementedError

    def _exact_upper(self, q: np.ndarray) -> np.ndarray:
        """Exact inverse survival function, accurate for q ≤ 1/2."""
        raise NotImplementedError

    def _exact_z(self, t: np.ndarray) -> tuple:
        raise NotImplementedError

    def _z_error(self, za: np.ndarray, zb: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _from_z(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @cached_property
    def _table(self) -> Optional[_HermiteTable]:
        return _build_table(self._exact_z, self._z_error, FAST_PPF_TOLERANCE)

    def _quantile_t(self, t: np.ndarray) -> np.ndarray:
        """The quantile at ``logit(u) = t``."""
        table = self._table
        out = np.empty(t.shape)
        inside = np.abs(t) <= _TABLE_T
        if table is not None and inside.all():
            return self._from_z(table(t))
        if table is not None:
            out[inside] = self._from_z(table(t[inside]))
        else:
            inside = np.zeros(t.shape, bool)
        low = ~inside & ~(t > 0)  # includes NaN, which stays NaN
        high = ~inside & (t > 0)
        if low.any():
            out[low] = self._exact_lower(special.expit(t[low]))
        if high.any():
            out[high] = self._exact_upper(special.expit(-t[high]))
        return out

    def _ppf(self, p):
        return self._quantile_t(_logit(p))

    def _isf(self, q):
        return self._quantile_t(-_logit(q))

    def exact_ppf(self, u: Any) -> np.ndarray:
        """Inverse CDF from ``scipy.special`` directly, without the table (slow; for checks)."""
        u = np.asarray(u, dtype=float)
        tr = self._trunc

        def exact(p):
            return np.where(p <= 0.5, self._exact_lower(np.minimum(p, 0.5)),
                            self._exact_upper(np.minimum(1.0 - p, 0.5)))

        if tr is None:
            return exact(u)
        lo, hi, f_lo, f_hi, s_lo, s_hi, upper = tr
        if upper:
            q = s_lo - u * (s_lo - s_hi)
            x = np.where(q <= 0.5, self._exact_upper(np.minimum(q, 0.5)), self._exact_lower(np.minimum(1 - q, 0.5)))
        else:
            x = exact(f_lo + u * (f_hi - f_lo))
        return np.clip(x, lo, hi)


def _betaincinv(a: float, b: float, p: np.ndarray) -> np.ndarray:
    """``scipy.special.betaincinv``, repaired where it gives NaN in the far lower tail.

    ``betaincinv`` returns NaN below about ``p = 1e-186`` for some shapes
    (e.g. ``Beta(2, 5)``), where the answer is tiny but representable. There
    ``I_x(a, b) = x^a / (a B(a, b)) · (1 + O(x))``: start from
    ``x = (p a B(a, b))^(1/a)`` and take Newton steps on ``log I_x(a, b) = log p``
    in ``log x``.
    """
    x = np.asarray(special.betaincinv(a, b, p), dtype=float)
    bad = np.isnan(x) & (np.asarray(p) > 0)
    if bad.any():
        pb = np.broadcast_to(p, x.shape)[bad]
        log_p = np.log(pb)
        log_x = (log_p + np.log(a) + special.betaln(a, b)) / a
        with np.errstate(all="ignore"):
            for _ in range(8):
                xs = np.exp(log_x)
                log_f = np.log(special.betainc(a, b, xs))
                # d log F / d log x = x f(x) / F(x)
                log_slope = (a * log_x + (b - 1) * np.log1p(-xs) - special.betaln(a, b)) - log_f
                step = (log_f - log_p) / np.exp(log_slope)
                log_x = np.where(np.isfinite(step), log_x - step, log_x)
        x = x.copy() if x.ndim else x
        x[bad] = np.exp(log_x)
    return x


@dataclass(frozen=True, kw_only=True)
class _ScaledBeta(_Tabulated):
    """``loc + scale · Y`` with ``Y ~ Beta(alpha, beta)``."""

    @property
    def _shape(self) -> tuple:
        """``(alpha, beta, loc, scale)``."""
        raise NotImplementedError

    def _exact_lower(self, p):
        a, b, loc, scale = self._shape
        return loc + scale * _betaincinv(a, b, p)

    def _exact_upper(self, q):
        a, b, loc, scale = self._shape
        return loc + scale * (1.0 - _betaincinv(b, a, q))

    def _exact_z(self, t):
        a, b = self._shape[:2]
        lower = t <= 0
        p, q = special.expit(t), special.expit(-t)
        y_lo = _betaincinv(a, b, np.where(lower, p, 0.5))  # x, exact where t <= 0
        y_hi = _betaincinv(b, a, np.where(lower, 0.5, q))  # 1 - x, exact where t > 0
        log_x = np.where(lower, np.log(y_lo), np.log1p(-y_hi))
        log_1mx = np.where(lower, np.log1p(-y_lo), np.log(y_hi))
        z = log_x - log_1mx
        # dz/dt = p q / (x (1-x) f(x)), f the beta density
        log_m = (special.log_expit(t) + special.log_expit(-t) - a * log_x - b * log_1mx
                 + special.betaln(a, b))
        return z, np.exp(log_m)

    def _z_error(self, za, zb):
        return np.abs(special.expit(za) - special.expit(zb))

    def _from_z(self, z):
        a, b, loc, scale = self._shape
        return np.clip(loc + scale * special.expit(z), loc, loc + scale)

    def _cdf(self, x):
        a, b, loc, scale = self._shape
        return special.betainc(a, b, np.clip((x - loc) / scale, 0.0, 1.0))

    def _sf(self, x):
        a, b, loc, scale = self._shape
        return special.betainc(b, a, np.clip((loc + scale - x) / scale, 0.0, 1.0))

    def _mean_full(self):
        a, b, loc, scale = self._shape
        return loc + scale * a / (a + b)

    def _mean_between(self, lo, hi):
        # E[Y; l ≤ Y ≤ h] = a/(a+b) · P_{Beta(a+1, b)}(l ≤ Y ≤ h)
        a, b, loc, scale = self._shape
        y_lo = min(max((lo - loc) / scale, 0.0), 1.0)
        y_hi = min(max((hi - loc) / scale, 0.0), 1.0)

        def mass(a_, b_):
            if special.betainc(a_, b_, y_lo) > 0.5:
                return special.betainc(b_, a_, 1 - y_lo) - special.betainc(b_, a_, 1 - y_hi)
            return special.betainc(a_, b_, y_hi) - special.betainc(a_, b_, y_lo)

        return loc + scale * a / (a + b) * mass(a + 1, b) / mass(a, b)


@dataclass(frozen=True, kw_only=True)
class Pert(_ScaledBeta):
    """PERT: ``Beta(1 + lamb·(mode−low)/(high−low), 1 + lamb·(high−mode)/(high−low))`` on [low, high].

    Its mean is ``(low + lamb·mode + high) / (lamb + 2)``.
    """

    kind: ClassVar[str] = "pert"
    low: float
    mode: float
    high: float
    lamb: float = PERT_LAMB_DEFAULT

    @property
    def _shape(self):
        r = self.high - self.low
        return (1 + self.lamb * (self.mode - self.low) / r, 1 + self.lamb * (self.high - self.mode) / r,
                self.low, r)

    def _mean_full(self):
        return (self.low + self.lamb * self.mode + self.high) / (self.lamb + 2)

    def _describe(self):
        lamb = "" if self.lamb == PERT_LAMB_DEFAULT else f", lamb={_fmt(self.lamb)}"
        return f"PERT({_fmt(self.low)}, {_fmt(self.mode)}, {_fmt(self.high)}{lamb})"


@dataclass(frozen=True, kw_only=True)
class Beta(_ScaledBeta):
    """Beta with shapes ``a`` and ``b`` on [0, 1]; mean ``a / (a + b)``."""

    kind: ClassVar[str] = "beta"
    a: float
    b: float

    @property
    def _shape(self):
        return (self.a, self.b, 0.0, 1.0)

    def _describe(self):
        return f"beta(a={_fmt(self.a)}, b={_fmt(self.b)})"


@lru_cache(maxsize=256)
def _gamma_table(shape: float) -> Optional[_HermiteTable]:
    """The table of ``z(t)`` for Gamma(shape, any scale): ``_exact_z`` and ``_z_error`` never read the scale."""
    unit = Gamma(shape=shape, scale=1.0)
    return _build_table(unit._exact_z, unit._z_error, FAST_PPF_TOLERANCE)


@dataclass(frozen=True, kw_only=True)
class Gamma(_Tabulated):
    """Gamma with ``shape`` k and ``scale`` θ; mean ``k·θ``."""

    kind: ClassVar[str] = "gamma"
    shape: float
    scale: float

    def _exact_lower(self, p):
        return self.scale * special.gammaincinv(self.shape, p)

    def _exact_upper(self, q):
        return self.scale * special.gammainccinv(self.shape, q)

    def _exact_z(self, t):
        k = self.shape
        lower = t <= 0
        x = np.where(lower, special.gammaincinv(k, np.where(lower, special.expit(t), 0.5)),
                     special.gammainccinv(k, np.where(lower, 0.5, special.expit(-t))))
        log_x = np.log(x)
        # z = log x; dz/dt = p q / (x f(x)), f the standard gamma density
        log_m = special.log_expit(t) + special.log_expit(-t) - k * log_x + x + special.gammaln(k)
        return log_x, np.exp(log_m)

    def _z_error(self, za, zb):
        return np.abs(np.expm1(za - zb))

    def _from_z(self, z):
        return self.scale * np.exp(z)

    @cached_property
    def _table(self) -> Optional[_HermiteTable]:
        return _gamma_table(self.shape)  # z = log(x / scale) depends on the shape alone: one table per shape

    def _cdf(self, x):
        return special.gammainc(self.shape, np.maximum(x, 0.0) / self.scale)

    def _sf(self, x):
        return special.gammaincc(self.shape, np.maximum(x, 0.0) / self.scale)

    def _mean_full(self):
        return self.shape * self.scale

    def _mean_between(self, lo, hi):
        # E[X; l ≤ X ≤ h] = kθ · P_{Gamma(k+1, θ)}(l ≤ X ≤ h)
        k = self.shape
        x_lo, x_hi = max(lo, 0.0) / self.scale, max(hi, 0.0) / self.scale

        def mass(k_):
            if special.gammainc(k_, x_lo) > 0.5:
                return special.gammaincc(k_, x_lo) - special.gammaincc(k_, x_hi)
            return special.gammainc(k_, x_hi) - special.gammainc(k_, x_lo)

        return k * self.scale * mass(k + 1) / mass(k)

    def _describe(self):
        return f"gamma(shape={_fmt(self.shape)}, scale={_fmt(self.scale)})"
