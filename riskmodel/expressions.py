"""The expression language of scenario files: safe, whitelisted, vectorised.

Expressions are Python-like formulas over arrays of paths (``update``,
``init``, ``formula``, an intervention's ``set``, an output's ``expr``). The
text is parsed with :func:`ast.parse` and every node is checked against a
whitelist; the checked tree is then compiled into a tree of Python closures
over NumPy ufuncs. User text is never passed to ``eval``, ``exec`` or
``compile``.

The language:

- numbers (``3``, ``0.25``, ``1e6``, ``True``/``False`` as 1/0) and ``pi``;
- names of parameters, states and outputs (a bare state name is its value
  this month); ``prev`` (this state's last value); ``prev(x)`` (state ``x``'s
  last value); ``t`` (the month index, 0 at ``origin``);
- arithmetic ``+ - * / ** % //`` and unary ``-``/``+``; comparisons
  ``< <= > >= == !=`` (chained, as in Python); ``and``, ``or``, ``not``
  (elementwise, all operands always evaluated);
- functions ``where(c, a, b)``, ``min``/``max`` (elementwise, two or more
  arguments), ``clip(x, lo, hi)``, ``abs``, ``exp``, ``log``, ``sqrt``,
  ``sin``, ``cos``;
- random draws, a fresh draw per path per call: ``poisson(lam)``,
  ``bernoulli(p)``, ``binomial(n, p)`` (``n`` rounded to the nearest whole
  number, halves up), ``normal(mu, sigma)``, ``lognormal(mu, sigma)``
  (parameters of the underlying normal, as NumPy), ``gamma(shape, scale)``,
  ``beta(a, b)``, ``uniform(low, high)``.

Everything else (attribute access, subscripts, other calls, keyword
arguments, strings, lambdas, comprehensions, conditional expressions, ...)
is refused with an :class:`ExpressionError` naming the construct. Size is
bounded by :data:`MAX_LENGTH`, :data:`MAX_NODES` and :data:`MAX_DEPTH`;
constant sub-expressions are folded at parse time and a constant that
overflows (``10**10**10``) is refused before anything runs.

Truth values: a comparison gives 1.0 or 0.0; ``where``, ``and``, ``or`` and
``not`` treat any non-zero value (NaN included, as NumPy does) as true.

Examples
--------
>>> import numpy as np
>>> from riskmodel.exprcompile import EvalContext, compile_expression
>>> e = parse_expression("prev + 2 * attacks - 0.1 * prev")
>>> sorted(e.names), e.uses_prev
(['attacks'], True)
>>> f = compile_expression(e)
>>> ctx = EvalContext({"attacks": np.array([1.0, 2.0])}, n=2,
...                   prev={"idps": np.array([10.0, 20.0])}, self_name="idps")
>>> f(ctx)
array([11., 22.])
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Optional

from .errors import did_you_mean
from .exprlang import (MAX_LENGTH, MAX_NODES, MAX_DEPTH, MAX_CONSTANT, _COUNT_MAX, FUNCTIONS, RANDOM_FUNCTIONS,
                       SIGNATURES, _SPECIAL_NAMES, RESERVED_NAMES, _ALLOWED_LIST, ExpressionError,
                       NumericalError, _f64, _BINOPS, _BAD_BINOPS, _CMPOPS, _BAD_CMPOPS, _reduce_min,
                       _reduce_max, _clip, _chain_compare, _logical_all, _logical_any, _REDUCTIONS, _monthly,
                       _DETERMINISTIC)  # noqa: F401 - importable from here
from .exprcheck import (_REFUSED, _KEYWORDS_IN_EXPRESSIONS, _normalise, _diagnose_syntax, _UNARY_UFUNCS,
                        _Varies, VARIES, _Checker, _prepare, _parse, _bound)  # noqa: F401 - importable from here

__all__ = [
    # errors
    "ExpressionError", "NumericalError",
    # data
    "Expr", "EvalContext",
    # entry points
    "parse_expression", "compile_expression", "check_names", "is_valid_name",
    # the language
    "FUNCTIONS", "RANDOM_FUNCTIONS", "SIGNATURES", "RESERVED_NAMES",
    # limits
    "MAX_LENGTH", "MAX_NODES", "MAX_DEPTH", "MAX_CONSTANT",
]


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    """A checked expression: its text, tree, and what it refers to.

    Built by :func:`parse_expression` only. Equality and hashing use the
    text and the derived fields, not the tree object.
    """

    text: str  # as given
    tree: ast.Expression = field(compare=False, repr=False)  # the checked tree
    names: frozenset = frozenset()  # bare names: parameters, states, outputs (not functions, prev, t, pi)
    prev_refs: frozenset = frozenset()  # states x used as prev(x)
    uses_prev: bool = False  # bare `prev` used
    uses_t: bool = False  # `t` used
    calendar: frozenset = frozenset()  # of "year", "month": the calendar names used
    dates: tuple = ()  # ((text, col), ...): date("YYYY-MM") arguments, checked months
    subscripts: tuple = ()  # ((name, label, col, via_prev), ...): x[label] and prev(x)[label]
    reductions: tuple = ()  # ((function, col), ...): sum/mean/any/all and one-argument min/max
    random_calls: tuple = ()  # random functions called, in order of appearance in the text
    constant: Optional[float] = None  # the value, when the whole expression is constant
    references: tuple = field(default=(), compare=False, repr=False)
    # ((name, col, via_prev), ...): every bare name and prev(x) argument with its 0-based column, in text order

    def column_of(self, name: str) -> Optional[int]:
        """0-based column of the first reference to ``name`` (bare or in ``prev(...)``), or None."""
        for ref, col, _ in self.references:
            if ref == name:
                return col
        return None


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def parse_expression(text: str) -> Expr:
    """Parse and check an expression.

    Parameters
    ----------
    text : str
        The expression as written in the scenario file. Newlines and tabs
        count as spaces. (An int or float is accepted and read as its repr.)

    Returns
    -------
    Expr
        The checked expression and what it refers to. Names are not
        resolved here: see :func:`check_names`.

    Raises
    ------
    ExpressionError
        On a syntax error, a construct outside the language, a wrong number
        of arguments, a size limit exceeded, or a constant that overflows.

    Examples
    --------
    >>> e = parse_expression("poisson(base * where(t >= 12, 1.5, 1)) + prev(idps) / 1000")
    >>> sorted(e.names), sorted(e.prev_refs), e.uses_t, e.random_calls
    (['base'], ['idps'], True, ('poisson',))
    >>> parse_expression("2 ** 10 / 4").constant
    256.0

    Notes
    -----
    A text is parsed and checked once per process (a run reads each
    expression in validation, in the dependency graph and in compilation):
    each call gives a new :class:`Expr`, so replacing one's fields leaves
    the next call's alone. Its ``tree`` is shared with those calls; treat
    it as read-only. A text that is refused is checked again on each call.
    """
    if isinstance(text, str):
        return dataclasses.replace(_parsed(text))
    return _parse_uncached(text)


@functools.lru_cache(maxsize=8192)
def _parsed(text: str) -> Expr:
    """:func:`parse_expression` of a text, kept (an :class:`ExpressionError` is not kept)."""
    return _parse_uncached(text)


def _parse_uncached(text) -> Expr:
    text, tree, builder = _parse(text)
    root = builder.build(tree.body)
    return Expr(
        text=text,
        tree=tree,
        names=frozenset(builder.names),
        prev_refs=frozenset(builder.prev_refs),
        uses_prev=builder.uses_prev,
        uses_t=builder.uses_t,
        calendar=frozenset(builder.calendar),
        dates=tuple(builder.dates),
        subscripts=tuple(builder.subscripts),
        reductions=tuple(builder.reductions),
        random_calls=tuple(builder.random_calls),
        constant=root if isinstance(root, float) else None,
        references=tuple(builder.references),
    )


def check_names(expr: Expr, known: Iterable[str], *, states: Optional[Iterable[str]] = None) -> None:
    """Check that every name an expression refers to exists.

    Parameters
    ----------
    expr : Expr
        A parsed expression.
    known : iterable of str
        Names a bare reference may use here (e.g. parameters and states).
    states : iterable of str, optional
        Names ``prev(x)`` may use; defaults to ``known``.

    Raises
    ------
    ExpressionError
        For the first unknown reference in the text, with its column and a
        did-you-mean where one is close.
    """
    known = set(known)
    states = known if states is None else set(states)
    for name, col, via_prev in expr.references:
        pool = states if via_prev else known
        if name in pool:
            continue
        close = did_you_mean(name, pool)
        if via_prev:
            message = f"prev({name}): '{name}' is not a state"
        else:
            message = f"unknown name '{name}'"
        if not close:
            listed = sorted(pool)
            close = "known: " + (", ".join(listed[:12]) + (", ..." if len(listed) > 12 else "") if listed else "none")
        raise ExpressionError(message, close, col, expr.text)


def is_valid_name(name: str) -> bool:
    """Whether ``name`` may name a parameter, state or output in an expression.

    A valid name is a Python identifier in NFKC normal form, does not start
    with an underscore and is not in :data:`RESERVED_NAMES`.
    """
    return (
        isinstance(name, str)
        and name.isidentifier()
        and not name.startswith("_")
        and name not in RESERVED_NAMES
        and unicodedata.normalize("NFKC", name) == name
    )


def __getattr__(name: str):
    """``EvalContext`` and ``compile_expression`` live in :mod:`riskmodel.exprcompile`; reachable from here too."""
    if name in ("EvalContext", "compile_expression"):
        from . import exprcompile

        return getattr(exprcompile, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
