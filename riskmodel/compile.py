"""Stage 3, compile: distributions to samplers, expressions to callables, order.

``compile_scenario()`` turns a validated :class:`~riskmodel.model.Scenario`
into a :class:`CompiledModel` the simulator steps through: sampled
parameters with their inverse CDFs, derived parameters and states in
dependency order, interventions as month windows, outputs as aggregates or
callables. Nothing here draws a number.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import distributions as _dist
from . import expressions as _expr
from .model import Scenario

__all__ = ["CompiledModel", "CompiledState", "CompiledOutput", "CompiledIntervention", "compile_scenario"]


@dataclass(frozen=True)
class CompiledState:
    name: str
    update: Callable  # EvalContext -> ndarray (n,)
    init: Callable  # EvalContext -> ndarray (n,)
    update_text: str
    nonnegative: bool
    random: bool  # the update draws random numbers (needs the state's stream)


@dataclass(frozen=True)
class CompiledIntervention:
    name: str
    first: int  # month index, inclusive
    last: int  # month index, inclusive
    sets: tuple  # ((parameter, callable), ...)


@dataclass(frozen=True)
class CompiledOutput:
    name: str
    state_index: int | None  # aggregate of this state ...
    agg: str | None
    first: int  # month window, inclusive
    last: int
    expr: Callable | None  # ... or a callable over outputs and parameters


@dataclass(frozen=True)
class CompiledModel:
    """Everything the simulator needs, in evaluation order.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario (for names, metadata and messages).
    sampled : tuple of str
        Parameters drawn from distributions, in file order (columns of the design).
    distributions : tuple
        Frozen distributions (``ppf``) for ``sampled``, same order.
    correlation : ndarray (len(sampled), len(sampled)) or None
        Target Spearman matrix, None when the scenario declares none.
    derived : tuple of (str, callable)
        Derived parameters in dependency order.
    states : tuple of CompiledState
        In dependency order of bare names (a state follows those it names).
    interventions, outputs : tuples
        As compiled; outputs state-based first, then expressions in dependency order.
    """

    scenario: Scenario
    sampled: tuple
    distributions: tuple
    correlation: np.ndarray | None
    derived: tuple
    states: tuple
    interventions: tuple
    outputs: tuple
    n_months: int
    hoisted: tuple = field(default=())  # ((name, callable), ...): parts of updates over parameters alone

    @property
    def parameter_names(self) -> tuple:
        return self.sampled + tuple(name for name, _ in self.derived)


def _topological(names: list[str], deps: dict[str, set]) -> list[str]:
    """Order names so each follows its dependencies (ties in the given order)."""
    order, done, busy = [], set(), set()

    def visit(n: str) -> None:
        if n in done:
            return
        if n in busy:  # validation reports cycles; never reached for a validated scenario
            raise ValueError(f"cycle through {n}")
        busy.add(n)
        for d in names:
            if d in deps.get(n, ()):
                visit(d)
        busy.discard(n)
        done.add(n)
        order.append(n)

    for n in names:
        visit(n)
    return order


def _invariant(node, parameters: frozenset) -> bool:
    """Whether a sub-tree depends on parameters and constants alone (the same every month).

    A whitelist: names of (undimensioned) parameters, numbers, arithmetic, comparisons, logic and the
    language's deterministic functions. Anything else (``t``, ``prev``, states, random draws,
    subscripts, any construct added later) makes the sub-tree vary.
    """
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.Name):
        return node.id in parameters
    if isinstance(node, ast.BinOp):
        return _invariant(node.left, parameters) and _invariant(node.right, parameters)
    if isinstance(node, ast.UnaryOp):
        return _invariant(node.operand, parameters)
    if isinstance(node, ast.BoolOp):
        return all(_invariant(v, parameters) for v in node.values)
    if isinstance(node, ast.Compare):
        return _invariant(node.left, parameters) and all(_invariant(c, parameters) for c in node.comparators)
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        return (name in _expr.FUNCTIONS and name not in _expr.RANDOM_FUNCTIONS and not node.keywords
                and all(_invariant(a, parameters) for a in node.args))
    return False


class _Hoister(ast.NodeTransformer):
    """Replace each largest sub-tree over parameters alone by a name whose value is computed once."""

    def __init__(self, parameters: frozenset, taken: set, found: dict):
        self.parameters, self.taken, self.found = parameters, taken, found

    def visit(self, node):
        if (isinstance(node, ast.expr) and not isinstance(node, (ast.Name, ast.Constant))
                and _invariant(node, self.parameters)
                and any(isinstance(sub, ast.Name) and sub.id in self.parameters for sub in ast.walk(node))):
            text = ast.unparse(node)
            if text not in self.found:
                k = len(self.found)
                while f"hoisted{k}" in self.taken:
                    k += 1
                self.taken.add(f"hoisted{k}")
                self.found[text] = f"hoisted{k}"
            return ast.copy_location(ast.Name(id=self.found[text], ctx=ast.Load()), node)
        return self.generic_visit(node)


def _hoist_updates(updates: dict, parameters: frozenset, taken: set) -> tuple:
    """Updates with their month-invariant parts named, and those parts: ``(updates, {text: name})``.

    Monthly evaluation then reads a name instead of recomputing, say, ``base_attacks * vacuum_mult``
    on every path in every month. The parts are evaluated as the same expressions they were inside
    the update (same operations, same order), so every number is unchanged.
    """
    found: dict = {}
    out = {}
    for name, expr in updates.items():
        tree = _Hoister(parameters, taken, found).visit(ast.parse(ast.unparse(expr.tree.body), mode="eval"))
        text = ast.unparse(tree)
        out[name] = expr if text == ast.unparse(expr.tree.body) else _expr.parse_expression(text)
    return out, found


def compile_scenario(scenario: Scenario, *, hoist: bool = True) -> CompiledModel:
    """Compile a validated scenario for simulation.

    Parameters
    ----------
    scenario : Scenario
        From :func:`riskmodel.validate`.
    hoist : bool
        Compute the parts of state updates that depend on parameters alone once per path instead of
        every month (:attr:`CompiledModel.hoisted`); the numbers are the same either way.

    Returns
    -------
    CompiledModel
    """
    sampled = tuple(p.name for p in scenario.parameters if p.distribution is not None)
    dists = tuple(_dist.make_distribution(p.distribution) for p in scenario.parameters if p.distribution is not None)

    correlation = None
    if scenario.correlations:
        index = {n: i for i, n in enumerate(sampled)}
        correlation = np.eye(len(sampled))
        for c in scenario.correlations:
            correlation[index[c.a], index[c.b]] = correlation[index[c.b], index[c.a]] = c.rho

    derived_exprs = {p.name: _expr.parse_expression(p.formula) for p in scenario.parameters if p.formula is not None}
    derived_order = _topological(list(derived_exprs), {n: set(e.names) for n, e in derived_exprs.items()})
    derived = tuple((n, _expr.compile_expression(derived_exprs[n])) for n in derived_order)

    state_names = [s.name for s in scenario.states]
    updates = {s.name: _expr.parse_expression(s.update) for s in scenario.states}
    order = _topological(state_names, {n: set(e.names) & set(state_names) for n, e in updates.items()})
    by_name = {s.name: s for s in scenario.states}
    random = {n: bool(e.random_calls) for n, e in updates.items()}
    # parameters with one value per path; anything dimensioned or per element (issue 16) is left in place
    dimensioned = {base for base, *_ in getattr(scenario, "dimensioned", ())}
    plain = frozenset(p.name for p in scenario.parameters if p.name not in dimensioned
                      and getattr(p, "over", None) is None and getattr(p, "element", None) is None)
    taken = set(state_names) | {p.name for p in scenario.parameters} | {o.name for o in scenario.outputs}
    updates, parts = _hoist_updates(updates, plain, taken) if hoist else (updates, {})
    hoisted = tuple((name, _expr.compile_expression(_expr.parse_expression(text))) for text, name in parts.items())
    states = tuple(
        CompiledState(
            name=n,
            update=_expr.compile_expression(updates[n]),
            init=_expr.compile_expression(_expr.parse_expression(by_name[n].init)),
            update_text=by_name[n].update,
            nonnegative=by_name[n].nonnegative,
            random=random[n],
        )
        for n in order
    )
    state_index = {s.name: i for i, s in enumerate(states)}

    horizon = scenario.horizon_months
    origin = scenario.origin

    def window(start, until) -> tuple[int, int]:
        first = 0 if start is None else max(0, start.index_from(origin))
        last = horizon - 1 if until is None else min(horizon - 1, until.index_from(origin))
        return first, last

    interventions = tuple(
        CompiledIntervention(i.name, *window(i.start, i.until),
                             tuple((k, _expr.compile_expression(_expr.parse_expression(v))) for k, v in i.set))
        for i in scenario.interventions
    )

    aggregated = [
        CompiledOutput(o.name, state_index[o.state], o.agg, *window(o.start, o.until), None)
        for o in scenario.outputs if o.expr is None
    ]
    expr_outputs = {o.name: _expr.parse_expression(o.expr) for o in scenario.outputs if o.expr is not None}
    expr_order = _topological(list(expr_outputs), {n: set(e.names) for n, e in expr_outputs.items()})
    computed = [CompiledOutput(n, None, None, 0, horizon - 1, _expr.compile_expression(expr_outputs[n]))
                for n in expr_order]

    return CompiledModel(
        scenario=scenario, sampled=sampled, distributions=dists, correlation=correlation, derived=derived,
        states=states, interventions=interventions, outputs=tuple(aggregated + computed), n_months=horizon,
        hoisted=hoisted,
    )
