"""Compiling checked expressions to vectorised NumPy callables.

:mod:`riskmodel.expressions` parses and checks the language; this module turns
a checked :class:`~riskmodel.expressions.Expr` into a tree of Python closures
over NumPy ufuncs, evaluated against an :class:`EvalContext`. The compiler
walks the tree with the checker's own code (:class:`_Compiler` subclasses the
checker and overrides its hooks), so what is allowed is decided in one place.
User text is never passed to ``eval``, ``exec`` or ``compile``.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Mapping, Optional

import numpy as np

from .expressions import (_COUNT_MAX, SIGNATURES, ExpressionError, Expr, NumericalError, _bound, _Checker,
                          _prepare)

__all__ = ["EvalContext", "compile_expression"]


class EvalContext:
    """What an expression sees when it is evaluated.

    Fields may be reassigned between evaluations (the engine may keep one
    context per block and update ``t``, ``self_name`` and the mappings).

    Parameters
    ----------
    values : mapping of str to ndarray (n,) or float
        Current values of parameters, states (this month) and outputs.
        Arrays should be float64.
    n : int
        Number of paths; every result has shape ``(n,)``.
    prev : mapping of str to ndarray (n,), optional
        Each state's value in the previous month (for ``prev`` and ``prev(x)``).
    self_name : str or None, optional
        The state whose bare ``prev`` is meant; None where bare ``prev`` is
        meaningless (evaluating it then raises :class:`ExpressionError`).
    t : int, optional
        Month index, 0 at the origin.
    rng : numpy.random.Generator or None, optional
        Source of random draws; a draw with ``rng`` None raises :class:`ExpressionError`.
    """

    __slots__ = ("values", "prev", "self_name", "t", "rng", "n")

    def __init__(
        self,
        values: Optional[Mapping[str, Any]] = None,
        *,
        n: int,
        prev: Optional[Mapping[str, np.ndarray]] = None,
        self_name: Optional[str] = None,
        t: int = 0,
        rng: Optional[np.random.Generator] = None,
    ):
        self.values = {} if values is None else values
        self.prev = {} if prev is None else prev
        self.self_name = self_name
        self.t = t
        self.rng = rng
        self.n = int(n)

    def __repr__(self) -> str:
        return (f"EvalContext(n={self.n}, t={self.t}, self_name={self.self_name!r}, "
                f"values={sorted(self.values)}, prev={sorted(self.prev)}, rng={'set' if self.rng is not None else None})")


# ---------------------------------------------------------------------------
# ---------------------------------------------------------------------------
# Random draws: validate vectorised, then draw (n,) float64
# ---------------------------------------------------------------------------


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


def _finite(function, argument, x, n):
    _require(np.isfinite(x), function, argument, x, "finite", n)


def _draw_poisson(rng, n, lam):
    lam = np.asarray(lam, dtype=np.float64)
    _require((lam >= 0) & (lam <= _COUNT_MAX), "poisson", "lam", lam, f"finite, >= 0 and <= {_COUNT_MAX:g}", n)
    return rng.poisson(lam + 0.0, size=n).astype(np.float64)


def _draw_bernoulli(rng, n, p):
    p = np.asarray(p, dtype=np.float64)
    _require((p >= 0) & (p <= 1), "bernoulli", "p", p, "between 0 and 1", n)
    return (rng.random(n) < p).astype(np.float64)


def _draw_binomial(rng, n, count, p):
    count = np.asarray(count, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    whole = np.floor(count + 0.5)  # nearest whole number, halves up
    _require((whole >= 0) & (whole <= _COUNT_MAX), "binomial", "n", count,
             f"finite, >= 0 and <= {_COUNT_MAX:g} once rounded", n)
    _require((p >= 0) & (p <= 1), "binomial", "p", p, "between 0 and 1", n)
    return rng.binomial(whole.astype(np.int64), p + 0.0, size=n).astype(np.float64)


def _draw_normal(rng, n, mu, sigma):
    mu = np.asarray(mu, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    _finite("normal", "mu", mu, n)
    _require(np.isfinite(sigma) & (sigma >= 0), "normal", "sigma", sigma, "finite and >= 0", n)
    return rng.normal(mu, sigma + 0.0, size=n)  # + 0.0: NumPy refuses -0.0


def _draw_lognormal(rng, n, mu, sigma):
    mu = np.asarray(mu, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    _finite("lognormal", "mu", mu, n)
    _require(np.isfinite(sigma) & (sigma >= 0), "lognormal", "sigma", sigma, "finite and >= 0", n)
    return rng.lognormal(mu, sigma + 0.0, size=n)


def _draw_gamma(rng, n, shape, scale):
    shape = np.asarray(shape, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    _require(np.isfinite(shape) & (shape >= 0), "gamma", "shape", shape, "finite and >= 0", n)
    _require(np.isfinite(scale) & (scale >= 0), "gamma", "scale", scale, "finite and >= 0", n)
    return rng.gamma(shape + 0.0, scale + 0.0, size=n)


def _draw_beta(rng, n, a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    _require(np.isfinite(a) & (a > 0), "beta", "a", a, "finite and > 0", n)
    _require(np.isfinite(b) & (b > 0), "beta", "b", b, "finite and > 0", n)
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


# ---------------------------------------------------------------------------
# Compiling
# ---------------------------------------------------------------------------


_NDARRAY = np.ndarray
_F64 = np.dtype(np.float64)
_UNARY_UFUNCS = frozenset({"abs", "exp", "log", "sqrt", "sin", "cos"})  # float64 ufuncs taking out=


def _is_temporary(node) -> bool:
    """Whether the node's value is a new array no one else holds (not a name, constant or prev)."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return False
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "prev":
        return False
    return True


def _constant_getter(value: float):
    return lambda ctx: value


class _Compiler(_Checker):
    """The checker's walk, building closures: ``build(node)`` gives a float or ``f(ctx) -> ndarray | scalar``."""

    def combine(self, fn, parts, node, children=None):
        """``fn`` over built parts (not all constant) as a closure.

        ``children`` (the parts' nodes) is given when ``fn`` is a float64 ufunc
        taking ``out=``: a part that is a temporary of this evaluation is then
        reused as the output buffer, as NumPy's own operators do.
        """
        if children is not None:
            reuse = self.reusing(fn, parts, children)
            if reuse is not None:
                return reuse
        if len(parts) == 2:  # the common case: bind constants directly
            a, b = parts
            if isinstance(a, float):
                return lambda ctx: fn(a, b(ctx))
            if isinstance(b, float):
                return lambda ctx: fn(a(ctx), b)
            return lambda ctx: fn(a(ctx), b(ctx))
        getters = [p if not isinstance(p, float) else _constant_getter(p) for p in parts]
        if len(getters) == 1:
            (g0,) = getters
            return lambda ctx: fn(g0(ctx))
        if len(getters) == 3:
            g0, g1, g2 = getters
            return lambda ctx: fn(g0(ctx), g1(ctx), g2(ctx))
        getters = tuple(getters)
        return lambda ctx: fn(*[g(ctx) for g in getters])

    @staticmethod
    def reusing(fn, parts, children):
        """A closure writing into a temporary operand, or None when no operand is one.

        An operand is a temporary when its node computes a new array (anything
        but a name, a constant or prev); at run time it must also be a float64
        array of the result's shape.
        """
        fresh = [not isinstance(p, float) and _is_temporary(c) for p, c in zip(parts, children)]
        if len(parts) == 1:
            if not fresh[0]:
                return None
            (a,) = parts

            def unary_in_place(ctx):
                x = a(ctx)
                if x.__class__ is _NDARRAY and x.dtype == _F64:
                    return fn(x, out=x)
                return fn(x)

            return unary_in_place
        a, b = parts
        if fresh[0]:
            if isinstance(b, float):
                def left_in_place_constant(ctx):
                    x = a(ctx)
                    if x.__class__ is _NDARRAY and x.dtype == _F64:
                        return fn(x, b, out=x)
                    return fn(x, b)

                return left_in_place_constant

            def left_in_place(ctx):
                x = a(ctx)
                y = b(ctx)
                if x.__class__ is _NDARRAY and x.dtype == _F64 and (y.__class__ is not _NDARRAY or y.shape == x.shape or y.ndim == 0):
                    return fn(x, y, out=x)
                return fn(x, y)

            return left_in_place
        if fresh[1]:
            if isinstance(a, float):
                def right_in_place_constant(ctx):
                    y = b(ctx)
                    if y.__class__ is _NDARRAY and y.dtype == _F64:
                        return fn(a, y, out=y)
                    return fn(a, y)

                return right_in_place_constant

            def right_in_place(ctx):
                x = a(ctx)
                y = b(ctx)
                if y.__class__ is _NDARRAY and y.dtype == _F64 and (x.__class__ is not _NDARRAY or x.shape == y.shape or x.ndim == 0):
                    return fn(x, y, out=y)
                return fn(x, y)

            return right_in_place
        return None

    # -- values ------------------------------------------------------------

    def name_value(self, name, col):
        text = self.text

        def value(ctx):
            try:
                return ctx.values[name]
            except KeyError:
                raise ExpressionError(f"no value for '{name}'", "", col, text) from None

        return value

    def t_value(self):
        return lambda ctx: float(ctx.t)

    def bare_prev(self, node):
        col, text = self.col(node), self.text

        def previous(ctx):
            state = ctx.self_name
            if state is None:
                raise ExpressionError("bare 'prev' needs a state, and none is given here",
                                      "use bare prev in a state's update, or name the state: prev(x)", col, text)
            try:
                return ctx.prev[state]
            except KeyError:
                raise ExpressionError(f"no previous value for state '{state}'", "", col, text) from None

        return previous

    def prev_value(self, state, col):
        text = self.text

        def previous(ctx):
            try:
                return ctx.prev[state]
            except KeyError:
                raise ExpressionError(f"no previous value for state '{state}'", "", col, text) from None

        return previous

    def random_draw(self, name, parts, node):
        draw = _DRAWS[name]
        col, text = self.col(node), self.text
        getters = [p if not isinstance(p, float) else _constant_getter(p) for p in parts]

        def no_rng():
            return ExpressionError(f"{name}() draws at random, and no random generator is given here",
                                   "random draws belong in a state's update", col, text)

        if len(getters) == 1:
            (g0,) = getters

            def random1(ctx):
                rng = ctx.rng
                if rng is None:
                    raise no_rng()
                return draw(rng, ctx.n, g0(ctx))

            return random1
        g0, g1 = getters

        def random2(ctx):
            rng = ctx.rng
            if rng is None:
                raise no_rng()
            return draw(rng, ctx.n, g0(ctx), g1(ctx))

        return random2


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def compile_expression(expr: Expr) -> Callable[[EvalContext], np.ndarray]:
    """Compile a checked expression into a vectorised callable.

    The tree is turned into nested Python closures over NumPy ufuncs bound
    at compile time; constant sub-trees are folded to floats. User text is
    never passed to ``eval``/``exec``/``compile``.

    Parameters
    ----------
    expr : Expr
        From :func:`parse_expression`.

    Returns
    -------
    callable
        ``f(ctx: EvalContext) -> ndarray`` of shape ``(ctx.n,)``, float64,
        a fresh array (never one of the context's own). Scalars are
        broadcast; truth values become 1.0/0.0. Division by zero and other
        floating-point trouble give inf/NaN quietly: the caller checks
        finiteness.

    Raises
    ------
    NumericalError
        When called: a random draw got arguments outside its domain (names
        the function and the first offending path).
    ExpressionError
        When called: a name or ``prev(x)`` missing from the context, bare
        ``prev`` with ``ctx.self_name`` None, or a random draw with
        ``ctx.rng`` None.

    Notes
    -----
    Intermediate arrays are reused as output buffers (as NumPy's operators
    do with temporaries); the context's own arrays are never written to.
    Operands are evaluated left to right, all of them (``and``, ``or`` and
    ``where`` do not short-circuit), so the random draws an expression
    consumes do not depend on the data. The callable holds closures and
    does not pickle: send the :class:`Expr` (which does) and compile where
    it runs.
    """
    if not isinstance(expr, Expr):
        raise TypeError(f"compile_expression takes an Expr from parse_expression, not {type(expr).__name__}")
    # Build from the checked tree; the builder is the checker, so a tree altered since parsing is checked again.
    text, src, lead = _prepare(expr.text)
    tree = expr.tree
    if not isinstance(tree, ast.Expression):
        raise TypeError("expr.tree is not an ast.Expression: build Expr with parse_expression")
    builder = _Compiler(text, src.encode("utf-8"), lead)
    _bound(tree, builder)
    root = builder.build(tree.body)

    if isinstance(root, float):
        constant = root

        def evaluate_constant(ctx: EvalContext) -> np.ndarray:
            return np.full(ctx.n, constant)

        return evaluate_constant

    body = tree.body
    # these give back an array from the context itself: copy it so callers may keep or mutate the result
    aliasing = isinstance(body, ast.Name) or (isinstance(body, ast.Call) and isinstance(body.func, ast.Name)
                                              and body.func.id == "prev")
    def evaluate(ctx: EvalContext) -> np.ndarray:
        with np.errstate(all="ignore"):
            raw = root(ctx)
        out = np.asarray(raw, dtype=np.float64)
        n = ctx.n
        if out.shape != (n,):
            try:
                out = np.broadcast_to(out, (n,)).copy()
            except ValueError:
                raise ValueError(f"the expression {expr.text!r} gave shape {out.shape}, expected ({n},): "
                                 "the context's arrays do not match n") from None
        elif aliasing and out is raw:
            out = out.copy()
        return out

    return evaluate
