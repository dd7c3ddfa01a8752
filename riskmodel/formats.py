"""How a number reads, everywhere it is shown: terminal, HTML, Markdown and figure labels.

One rule per kind of number, so that a run's register reads the same in each:
a likelihood in percent with one decimal (:func:`fmt_pct`), never rounded up to
``100.0%`` or down to ``0.0%`` unless it is exactly that (``>99.9%``,
``0.004%``); its standard error with two decimals (:func:`fmt_se`); the two
together by :func:`fmt_likelihood`, an interval by :func:`fmt_interval`; a
difference in percentage points (:func:`fmt_pp`); any other number with three
significant digits (:func:`fmt_num`). No import beyond the standard library:
the CLI formats its tables without loading matplotlib.
"""

from __future__ import annotations

import math

__all__ = ["fmt_num", "fmt_pct", "fmt_se", "fmt_pp", "fmt_likelihood", "fmt_interval", "fmt_error"]


def fmt_num(x: float, digits: int = 3) -> str:
    """A number for people: thousands separators, ``digits`` significant digits, no exponent below 1e9."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e9:
        return f"{x:.{digits}g}".replace("e+0", "e").replace("e+", "e").replace("-", "−")
    if a >= 10 ** (digits - 1):  # separators from 10,000 (not in years); a minus sign, as below, not a hyphen
        return (f"{round(x):,}" if a >= 1e4 else str(round(x))).replace("-", "−")
    decimals = max(0, digits - 1 - int(math.floor(math.log10(a))))
    text = f"{x:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", "−")


def fmt_pct(p, digits: int = 1) -> str:
    """A probability in percent: ``0.3124`` -> ``31.2%``; small values keep two significant digits.

    Never more than ``digits`` decimals above 1%: a value that would round up to 100 reads ``>99.9%``.
    Below 0.0001% (a weighted share, or an interval's end) it reads ``<0.0001%``, not ``2.4e-07%``.
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    v = float(p) * 100
    if v == 0 or v == 100:
        return f"{v:.{digits}f}%"
    if 0 < v < 1e-4:
        return "<0.0001%"
    if abs(v) < 1:
        return f"{v:.2g}%"
    if v < 100 and float(f"{v:.{digits}f}") == 100:
        return f">{100 - 10 ** -digits:.{digits}f}%"  # never "100.0%" for a likelihood below 1, never more digits
    return f"{v:.{digits}f}%"


def fmt_se(se) -> str:
    """A standard error of a probability in percent, two decimals (``0.49%``, ``0.50%``); tiny ones two digits."""
    if se is None or (isinstance(se, float) and math.isnan(se)):
        return "–"
    v = float(se) * 100
    return f"{v:.2f}%" if v == 0 or v >= 0.01 else f"{v:.2g}%"


def fmt_pp(d, digits: int = 1, sign: bool = True) -> str:
    """A difference of probabilities in percentage points: ``+3.1 pp``."""
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return "–"
    v = float(d) * 100
    text = f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}"
    if round(v, digits) == 0 and v != 0:  # only what would read as zero gets two significant digits
        text = f"{v:+.2g}" if sign else f"{v:.2g}"
    return text.replace("-", "−") + " pp"


def fmt_likelihood(p, se, *, compact: bool = False) -> str:
    """A likelihood and its standard error: ``42.4% ± 0.35%`` (``compact``: ``42.4%±0.35%``, ``100.0% (all)``).

    Where every path, or none, has the risk, the plug-in standard error is 0, which would claim no Monte
    Carlo error at all: the likelihood then says so instead (its Wilson interval, shown beside it, gives
    the error).

    >>> fmt_likelihood(0.99996, 0.00004)
    '>99.9% ± 0.004%'
    >>> fmt_likelihood(1.0, 0.0), fmt_likelihood(0.0, 0.0)
    ('100.0% (all paths)', '0.0% (no path)')
    """
    if se is not None and not (isinstance(se, float) and math.isnan(se)) and float(se) == 0 and p in (0, 1):
        if compact:  # a narrow column: "100.0% (all)"
            return f"{fmt_pct(p)} ({'all' if p == 1 else 'none'})"
        return f"{fmt_pct(p)} ({'all paths' if p == 1 else 'no path'})"
    return f"{fmt_pct(p)}{'±' if compact else ' ± '}{fmt_se(se)}"


def fmt_interval(low, high) -> str:
    """A 95% interval of a likelihood: ``41.8% – 43.1%``."""
    return f"{fmt_pct(low)} – {fmt_pct(high)}"


def fmt_error(se) -> str:
    """A standard error in a quantity's own unit (a CRPS's): whole with separators from 100, else two
    significant digits, trailing zero kept (``1,971``, ``2.0``, ``0.17``); ``–`` when not finite."""
    if se is None or not math.isfinite(float(se)):
        return "–"
    return f"{se:,.0f}" if abs(se) >= 100 else f"{se:#.2g}"
