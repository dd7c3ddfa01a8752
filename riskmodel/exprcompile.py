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
import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

import numpy as np

from .exprdraws import _DRAWS, _draw_hit
from .exprlang import _clip, _reduce_max, _reduce_min
from .expressions import ExpressionError, Expr, _bound, _Checker, _prepare

__all__ = ["EvalContext", "Binding", "compile_expression", "REDUCERS"]


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
# Compiling (the random draws and their argument checks: riskmodel.exprdraws)
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
    """The checker's walk, building closures: ``build(node)`` gives a float or ``f(ctx) -> ndarray | scalar``.

    ``binding`` says what the names mean where the expression runs: the
    origin (for ``year``, ``month``, ``date()``), the dimensioned names and
    their elements, the element being computed, and the schedules.
    """

    def __init__(self, text, src_bytes, lead, binding: "Binding"):
        super().__init__(text, src_bytes, lead)
        self.binding = binding
        self.element = binding.element

    def key(self, name: str, col) -> str:
        """The context's key for a bare name here: ``x[element]`` for a dimensioned name."""
        elements = self.binding.dims.get(name)
        if elements is None:
            return name
        if self.element is None or self.element not in elements:
            raise ExpressionError(f"'{name}' has one value per element ({', '.join(elements)}) and this expression "
                                  "has none", f"pick one, {name}[{elements[0]}], or reduce it: sum({name})", col, self.text)
        return f"{name}[{self.element}]"

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
        elif isinstance(node, ast.Call) and fn is _reduce_max and len(parts) == 2 and (
                fused := self.hit_or_prev(parts, node)) is not None:
            return fused
        elif isinstance(node, ast.Call) and fn is _clip and parts[1:] == [0.0, 1.0] and not isinstance(parts[0], float):
            closure = self.clip_in_place(parts) if _is_temporary(node.args[0]) else self.combine(_clip, parts, None)
            closure.clip01 = parts[0]  # bernoulli(clip(h, 0, 1)) draws from h itself (riskmodel.exprdraws._draw_hit)
            return closure
        elif isinstance(node, ast.Call) and (fn is _reduce_max or fn is _reduce_min) and len(parts) == 2:
            # max(a, b), min(a, b): the ufunc itself (what the reduction computes for two), written into a temporary
            reuse = self.reusing(np.maximum if fn is _reduce_max else np.minimum, parts, node.args)
            if reuse is not None:
                return reuse
        elif isinstance(node, ast.Call) and fn is _clip and not isinstance(parts[0], float) \
                and _is_temporary(node.args[0]):
            return self.clip_in_place(parts)
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
    def hit_or_prev(parts, node):
        """``max(prev, bernoulli(clip(h, 0, 1)))`` (either order) as one fused draw, or None for any other max."""
        for i in (0, 1):
            arg, other = node.args[i], parts[1 - i]
            h = getattr(other, "hit", None)
            if h is not None and isinstance(arg, ast.Name) and arg.id == "prev":
                previous, prev_first, draw = parts[i], i == 0, other

                def prev_or_hit(ctx):
                    before = previous(ctx)  # operands left to right, as every call's
                    if ctx.rng is None:
                        return draw(ctx)  # its error
                    return _draw_hit(ctx.rng, ctx.n, h(ctx), before, prev_first)

                return prev_or_hit
        return None

    @staticmethod
    def clip_in_place(parts):
        """``clip(x, lo, hi)`` written into ``x`` when ``x`` is a temporary float64 array of the result's
        shape (the two passes of :func:`riskmodel.exprlang._clip`, without its new array)."""
        getters = [p if not isinstance(p, float) else _constant_getter(p) for p in parts]
        g0, g1, g2 = getters

        def clip_in_place(ctx):
            x, lo, hi = g0(ctx), g1(ctx), g2(ctx)  # left to right, as every call's operands
            if x.__class__ is _NDARRAY and x.dtype == _F64 and x.ndim and all(
                    v.__class__ is not _NDARRAY or v.shape == x.shape or v.ndim == 0 for v in (lo, hi)):
                np.maximum(x, lo, out=x)
                return np.minimum(x, hi, out=x)
            return _clip(x, lo, hi)

        return clip_in_place

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
        if name in self.binding.schedules:
            def scheduled(ctx):
                try:
                    series = ctx.values[name]
                except KeyError:
                    raise ExpressionError(f"no value for schedule '{name}'", "", col, text) from None
                return float(series[min(ctx.t, len(series) - 1)])

            return scheduled
        name = self.key(name, col)

        def value(ctx):
            try:
                return ctx.values[name]
            except KeyError:
                raise ExpressionError(f"no value for '{name}'", "", col, text) from None

        return value

    def t_value(self):
        return lambda ctx: float(ctx.t)

    def origin_index(self, node) -> int:
        origin = self.binding.origin
        if origin is None:
            raise self.error(node, "year, month and date() need the scenario's origin, and none is given here", "")
        return origin.year * 12 + origin.month - 1

    def calendar_value(self, which):
        k0 = self.origin_index(None)
        if which == "year":
            return lambda ctx: float((k0 + ctx.t) // 12)
        return lambda ctx: float((k0 + ctx.t) % 12 + 1)

    def date_value(self, year, month, node):
        return float(year * 12 + month - 1 - self.origin_index(node))

    def subscript_value(self, name, label, via_prev, col):
        key, text = f"{name}[{label}]", self.text
        elements = self.binding.dims.get(name)
        if elements is None or label not in elements:
            raise ExpressionError(f"{name}[{label}]: '{label}' is not an element of '{name}'"
                                  if elements else f"{name}[{label}]: '{name}' has no dimension", "", col, text)
        if via_prev:
            def previous(ctx):
                try:
                    return ctx.prev[key]
                except KeyError:
                    raise ExpressionError(f"no previous value for state '{key}'", "", col, text) from None

            return previous

        def value(ctx):
            try:
                return ctx.values[key]
            except KeyError:
                raise ExpressionError(f"no value for '{key}'", "", col, text) from None

        return value

    def reduction(self, name, arg_node, node):
        found = _free_dimensions(arg_node, self.binding.dims)
        if not found:
            raise self.error(node, f"{name}() of a value with no dimension", "reduce a dimensioned value, e.g. sum(spilled)")
        if len(found) > 1:
            raise self.error(node, f"{name}() of values over different dimensions", "")
        (elements,) = found
        saved = self.element
        parts = []
        try:
            for e in elements:
                self.element = e
                parts.append(self.build(arg_node))
        finally:
            self.element = saved
        fn = REDUCERS[name]
        k = float(len(elements))
        if all(isinstance(p, float) for p in parts):
            return self.fold(lambda *xs: fn(xs, k), parts, node)
        getters = tuple(p if not isinstance(p, float) else _constant_getter(p) for p in parts)
        return lambda ctx: fn([g(ctx) for g in getters], k)

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
        state = self.key(state, col)

        def previous(ctx):
            try:
                return ctx.prev[state]
            except KeyError:
                raise ExpressionError(f"no previous value for state '{state}'", "", col, text) from None

        return previous

    def random_draw(self, name, parts, node):
        col, text = self.col(node), self.text
        if name == "event":
            return self.event(parts, col, text)
        draw = _DRAWS[name]
        getters = [p if not isinstance(p, float) else _constant_getter(p) for p in parts]

        def no_rng():
            return ExpressionError(f"{name}() draws at random, and no random generator is given here",
                                   "random draws belong in a state's update", col, text)

        h = getattr(parts[0], "clip01", None) if name == "bernoulli" else None
        if h is not None:
            def bernoulli_clipped(ctx):
                rng = ctx.rng
                if rng is None:
                    raise no_rng()
                return _draw_hit(rng, ctx.n, h(ctx))

            bernoulli_clipped.hit = h
            return bernoulli_clipped
        checked = {"poisson": 0, "binomial": 1}.get(name)  # the argument a call site may check once (a name)
        if checked is not None and isinstance(node.args[checked], ast.Name):
            memo, gs = [None], tuple(getters)

            def draw_of_name(ctx):
                rng = ctx.rng
                if rng is None:
                    raise no_rng()
                return draw(rng, ctx.n, *[g(ctx) for g in gs], memo)

            return draw_of_name
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


    def event(self, parts, col, text):
        """``event(h)``: ``max(prev, bernoulli(clip(h, 0, 1)))``, one uniform per path per month."""
        (h,) = parts
        g = h if not isinstance(h, float) else _constant_getter(h)

        def event(ctx):
            rng, state = ctx.rng, ctx.self_name
            if rng is None or state is None:
                raise ExpressionError("event() belongs in a state's update (it needs the state and its random stream)",
                                      "", col, text)
            return _draw_hit(rng, ctx.n, g(ctx), ctx.prev[state], nan=("event", "h", "a number (it is clipped to [0, 1])"))

        return event


def _sum(xs, k):
    return functools.reduce(np.add, xs) + 0.0


REDUCERS = {
    "sum": _sum,
    "mean": lambda xs, k: _sum(xs, k) / k,
    "any": lambda xs, k: functools.reduce(np.logical_or, [np.asarray(x) != 0 for x in xs]).astype(np.float64),
    "all": lambda xs, k: functools.reduce(np.logical_and, [np.asarray(x) != 0 for x in xs]).astype(np.float64),
    "min": lambda xs, k: functools.reduce(np.minimum, xs) + 0.0,
    "max": lambda xs, k: functools.reduce(np.maximum, xs) + 0.0,
}
"""Reductions over a dimension: name -> ``f(list of arrays, number of elements)``."""

_REDUCING_CALLS = frozenset({"sum", "mean", "any", "all"})


def _free_dimensions(node, dims: Mapping[str, tuple]) -> set:
    """The element tuples of the dimensioned names in ``node`` not already picked (x[e]) or reduced."""
    found: set = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Subscript):
            continue
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and (
                n.func.id in _REDUCING_CALLS or (n.func.id in ("min", "max") and len(n.args) == 1)):
            continue
        if isinstance(n, ast.Name) and n.id in dims:
            found.add(tuple(dims[n.id]))
        stack.extend(ast.iter_child_nodes(n))
    return found


@dataclass(frozen=True)
class Binding:
    """What names mean where an expression is compiled.

    Attributes
    ----------
    origin : object with ``year`` and ``month``, or None
        The scenario's first month (``year``, ``month`` and ``date()`` need it).
    dims : mapping of str to tuple of str
        Dimensioned names (parameters, states, outputs) and their elements;
        their values are in the context as ``name[element]``.
    element : str or None
        The element this expression computes (a dimensioned state's update,
        a dimensioned parameter's formula), or None.
    schedules : frozenset of str
        Schedule names: each is in the context as its series by month, shape
        ``(n_months,)``, and reads as the value at ``ctx.t``.
    """

    origin: Any = None
    dims: Mapping = field(default_factory=dict)
    element: Optional[str] = None
    schedules: frozenset = frozenset()


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def compile_expression(expr: Expr, *, origin: Any = None, dims: Optional[Mapping[str, tuple]] = None,
                       element: Optional[str] = None, schedules=()) -> Callable[[EvalContext], np.ndarray]:
    """Compile a checked expression into a vectorised callable.

    The tree is turned into nested Python closures over NumPy ufuncs bound
    at compile time; constant sub-trees are folded to floats. User text is
    never passed to ``eval``/``exec``/``compile``.

    Parameters
    ----------
    expr : Expr
        From :func:`parse_expression`.
    origin : object with ``year`` and ``month``, optional
        The scenario's origin, for ``year``, ``month`` and ``date()``.
    dims : mapping of str to tuple of str, optional
        Dimensioned names and their elements (see :class:`Binding`).
    element : str, optional
        The element this expression computes, for a dimensioned context.
    schedules : iterable of str, optional
        Names that are schedules (series by month in the context).

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
    builder = _Compiler(text, src.encode("utf-8"), lead,
                        Binding(origin, dict(dims or {}), element, frozenset(schedules)))
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
