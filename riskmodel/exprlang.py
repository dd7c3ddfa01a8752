"""The expression language's vocabulary: its functions, reserved names, limits, errors and operators.

What the language *is* (:mod:`riskmodel.expressions` documents it for the
analyst): the functions and their numbers of arguments, the random draws
and their signatures, the reserved names, the size limits, the two error
classes, and the NumPy ufuncs each operator and function means. The
checker (:mod:`riskmodel.exprcheck`) and the compiler
(:mod:`riskmodel.exprcompile`) read these tables; every name here is
importable from :mod:`riskmodel.expressions` as well.
"""

from __future__ import annotations

import ast
import functools
import keyword
from types import MappingProxyType
from typing import Mapping, Optional

import numpy as np



# ---------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------

MAX_LENGTH = 2000  # characters of expression text
MAX_NODES = 300  # expression nodes in the syntax tree (names, numbers, operations, calls)
MAX_DEPTH = 100  # nesting of expression nodes (a + b + c is 3 deep), and of brackets in the text
MAX_CONSTANT = 1e300  # a constant (literal or folded) larger in magnitude is refused as an overflow

_COUNT_MAX = 1e18  # largest poisson lam / binomial n accepted (NumPy works in int64)

# ---------------------------------------------------------------------------
# The language: functions and reserved names
# ---------------------------------------------------------------------------

FUNCTIONS: Mapping[str, tuple] = MappingProxyType({
    # name: (least number of arguments, most number of arguments or None for no limit)
    "where": (3, 3),
    "min": (1, None),  # one dimensioned argument: reduces over its dimension; two or more: elementwise
    "max": (1, None),
    "sum": (1, 1),  # reductions over a dimension
    "mean": (1, 1),
    "any": (1, 1),
    "all": (1, 1),
    "monthly": (1, 2),  # annual (or over `years`) probability -> monthly hazard
    "date": (1, 1),  # date("YYYY-MM"): that month's index t
    "clip": (3, 3),
    "abs": (1, 1),
    "exp": (1, 1),
    "log": (1, 1),
    "sqrt": (1, 1),
    "sin": (1, 1),
    "cos": (1, 1),
})
"""Deterministic functions: name -> ``(min_args, max_args)``, ``max_args`` None for no limit."""

RANDOM_FUNCTIONS: Mapping[str, int] = MappingProxyType({
    "poisson": 1,
    "bernoulli": 1,
    "binomial": 2,
    "normal": 2,
    "lognormal": 2,
    "gamma": 2,
    "beta": 2,
    "uniform": 2,
    "event": 1,  # absorbing 0/1 event with monthly hazard h, in a state's update
})
"""Random draws: name -> number of arguments."""

SIGNATURES: Mapping[str, str] = MappingProxyType({
    "where": "where(condition, a, b)",
    "min": "min(a, b, ...) or min(x) over a dimension",
    "max": "max(a, b, ...) or max(x) over a dimension",
    "sum": "sum(x)",
    "mean": "mean(x)",
    "any": "any(x)",
    "all": "all(x)",
    "monthly": "monthly(p) or monthly(p, years)",
    "date": 'date("YYYY-MM")',
    "event": "event(h)",
    "clip": "clip(x, lo, hi)",
    "abs": "abs(x)",
    "exp": "exp(x)",
    "log": "log(x)",
    "sqrt": "sqrt(x)",
    "sin": "sin(x)",
    "cos": "cos(x)",
    "poisson": "poisson(lam)",
    "bernoulli": "bernoulli(p)",
    "binomial": "binomial(n, p)",
    "normal": "normal(mu, sigma)",
    "lognormal": "lognormal(mu, sigma)",
    "gamma": "gamma(shape, scale)",
    "beta": "beta(a, b)",
    "uniform": "uniform(low, high)",
    "prev": "prev(state)",
})
"""How each function is called, for hints and documentation."""

_SPECIAL_NAMES = frozenset({"prev", "t", "pi", "year", "month"})

RESERVED_NAMES: frozenset = frozenset(
    set(FUNCTIONS) | set(RANDOM_FUNCTIONS) | _SPECIAL_NAMES | set(keyword.kwlist)
)
"""Names a parameter, state or output may not take: the language's own words and Python keywords."""

_ALLOWED_LIST = (
    "allowed functions: " + ", ".join(sorted(FUNCTIONS))
    + "; random draws: " + ", ".join(sorted(RANDOM_FUNCTIONS))
    + "; and prev(state)"
)

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ExpressionError(ValueError):
    """An expression that is not allowed, or cannot be evaluated as written.

    Parameters
    ----------
    message : str
        What is wrong, naming the construct (``"lambda is not allowed"``).
    hint : str, optional
        What would be right (the allowed functions, a did-you-mean).
    col : int or None, optional
        0-based column in the expression text, where known.
    text : str or None, optional
        The expression text.

    Notes
    -----
    ``str(error)`` is ``"message; hint"`` (or ``message`` alone), ready for a
    :class:`riskmodel.errors.Problem`.
    """

    def __init__(self, message: str, hint: str = "", col: Optional[int] = None, text: Optional[str] = None):
        self.message = message
        self.hint = hint
        self.col = col
        self.text = text
        super().__init__(f"{message}; {hint}" if hint else message)

    def __reduce__(self):  # keep every field across processes (workers, Dask)
        return (type(self), (self.message, self.hint, self.col, self.text))


class NumericalError(ArithmeticError):
    """A random draw given arguments outside its domain, found while evaluating.

    Parameters
    ----------
    message : str
        What is wrong, e.g. ``"poisson(lam): lam must be finite and >= 0; got -1.0 at path 3"``.
    function : str
        The random function, e.g. ``"poisson"``.
    path_index : int
        Index (in the evaluated arrays) of the first offending path.
    argument : str, optional
        The offending argument's name, e.g. ``"lam"``.
    value : float or None, optional
        The offending argument's value at ``path_index``.
    """

    def __init__(self, message: str, function: str, path_index: int, argument: str = "", value: Optional[float] = None):
        self.message = message
        self.function = function
        self.path_index = path_index
        self.argument = argument
        self.value = value
        super().__init__(message)

    def __reduce__(self):
        return (type(self), (self.message, self.function, self.path_index, self.argument, self.value))


# ---------------------------------------------------------------------------
# Operators
# ---------------------------------------------------------------------------


def _f64(ufunc):
    """The ufunc computing in float64 whatever comes in (bools, ints, floats)."""
    return functools.partial(ufunc, dtype=np.float64)


_BINOPS = {
    ast.Add: _f64(np.add),
    ast.Sub: _f64(np.subtract),
    ast.Mult: _f64(np.multiply),
    ast.Div: _f64(np.true_divide),
    ast.Pow: _f64(np.power),
    ast.Mod: _f64(np.remainder),
    ast.FloorDiv: _f64(np.floor_divide),
}

_BAD_BINOPS = {  # op: (symbol, hint)
    ast.BitXor: ("^", "use ** for powers"),
    ast.BitAnd: ("&", "use 'and'"),
    ast.BitOr: ("|", "use 'or'"),
    ast.LShift: ("<<", ""),
    ast.RShift: (">>", ""),
    ast.MatMult: ("@", "use * to multiply"),
}

_CMPOPS = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
}

_BAD_CMPOPS = {
    ast.Is: ("is", "use == to compare numbers"),
    ast.IsNot: ("is not", "use != to compare numbers"),
    ast.In: ("in", "comparisons are <, <=, >, >=, ==, !="),
    ast.NotIn: ("not in", "comparisons are <, <=, >, >=, ==, !="),
}


def _reduce_min(*xs):
    return functools.reduce(np.minimum, xs)


def _reduce_max(*xs):
    return functools.reduce(np.maximum, xs)


def _clip(x, lo, hi):
    out = np.maximum(x, lo)  # a new array: the minimum can go into it (never into x, which may be a value's own)
    if out.__class__ is np.ndarray and out.ndim and out.dtype == np.float64:
        return np.minimum(out, hi, out=out)
    return np.minimum(out, hi)


def _chain_compare(ufuncs):
    """Elementwise ``a < b <= c ...``: every operand evaluated once."""

    def compare(*xs):
        out = ufuncs[0](xs[0], xs[1])
        for k in range(1, len(ufuncs)):
            out = np.logical_and(out, ufuncs[k](xs[k], xs[k + 1]))
        return out

    return compare


def _logical_all(*xs):
    return functools.reduce(np.logical_and, xs)


def _logical_any(*xs):
    return functools.reduce(np.logical_or, xs)


_REDUCTIONS = frozenset({"sum", "mean", "any", "all"})  # always reductions; min/max are with one argument


def _monthly(p, years=1.0):
    """Monthly hazard from a probability ``p`` over ``years`` years: ``1 - (1 - p) ** (1 / (12 * years))``."""
    return 1.0 - np.power(1.0 - np.asarray(p, dtype=np.float64), 1.0 / (12.0 * np.asarray(years, dtype=np.float64)))


_DETERMINISTIC = {
    "monthly": _monthly,
    "where": np.where,
    "min": _reduce_min,
    "max": _reduce_max,
    "clip": _clip,
    "abs": _f64(np.absolute),
    "exp": _f64(np.exp),
    "log": _f64(np.log),
    "sqrt": _f64(np.sqrt),
    "sin": _f64(np.sin),
    "cos": _f64(np.cos),
}

