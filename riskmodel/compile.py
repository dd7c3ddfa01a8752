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
from . import exprcompile as _exprc
from . import exprdims as _dims
from . import expressions as _expr
from .model import Scenario

__all__ = ["CompiledModel", "CompiledState", "CompiledOutput", "CompiledIntervention", "compile_scenario",
           "varying_parameters"]


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
    sets: tuple  # ((parameter, callable), ...): a dimensioned parameter once per element, name[element]
    texts: tuple = ()  # ((key as written, text), ...), aligned with sets (for messages)


@dataclass(frozen=True)
class CompiledOutput:
    name: str
    state_index: int | None  # aggregate of this state ...
    agg: str | None
    first: int  # month window, inclusive
    last: int
    expr: Callable | None  # ... or a callable over outputs and parameters
    above: float | None = None  # agg first: the level to exceed (None: non-zero)
    reduce: tuple | None = None  # (reducer over a list of arrays, (names of the per-element outputs, ...))


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
    schedules: tuple = ()  # ((name, ndarray (n_months,)), ...): each schedule's value by month
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


def _is_count_draw(text: str) -> bool:
    """Whether an update is a count drawn whole (``poisson(...)``, ``binomial(...)``): never negative, so a
    nonnegative state's check of every month has nothing to find."""
    body = ast.parse(text.strip(), mode="eval").body
    return isinstance(body, ast.Call) and isinstance(body.func, ast.Name) and body.func.id in ("poisson", "binomial")


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
    origin = scenario.origin
    dims = {}
    for base, dim in scenario.dimensioned:
        dims[base] = dict(scenario.dimensions)[dim]
    schedule_names = frozenset(s.name for s in scenario.schedules)

    def compiled(expr, element=None):
        return _exprc.compile_expression(expr, origin=origin, dims=dims, element=element, schedules=schedule_names)

    def expanded(expr, element=None) -> set:
        """Expanded names an expression reads (bare: this element's; x[e]; reduced: every element)."""
        out = set()
        for name in expr.names:
            if name in dims:
                out |= {f"{name}[{e}]" for e in dims[name]}
            else:
                out.add(name)
        out |= {f"{name}[{label}]" for name, label, _, via_prev in expr.subscripts if not via_prev}
        return out

    sampled = tuple(p.name for p in scenario.parameters if p.distribution is not None)
    dists = tuple(_dist.make_distribution(p.distribution) for p in scenario.parameters if p.distribution is not None)

    correlation = None
    if scenario.correlations:
        index = {n: i for i, n in enumerate(sampled)}
        correlation = np.eye(len(sampled))
        for c in scenario.correlations:
            correlation[index[c.a], index[c.b]] = correlation[index[c.b], index[c.a]] = c.rho

    elements = {p.name: p.element for p in scenario.parameters}
    derived_exprs = {p.name: _expr.parse_expression(p.formula) for p in scenario.parameters if p.formula is not None}
    derived_order = _topological(list(derived_exprs), {n: expanded(e) for n, e in derived_exprs.items()})
    derived = tuple((n, compiled(derived_exprs[n], elements[n])) for n in derived_order)

    state_names = [s.name for s in scenario.states]
    updates = {s.name: _expr.parse_expression(s.update) for s in scenario.states}
    by_name = {s.name: s for s in scenario.states}
    random = {n: bool(e.random_calls) for n, e in updates.items()}
    # parameters with one value per path; anything dimensioned or per element (issue 16) is left in place
    dimensioned = {base for base, *_ in getattr(scenario, "dimensioned", ())}
    plain = frozenset(p.name for p in scenario.parameters if p.name not in dimensioned
                      and getattr(p, "over", None) is None and getattr(p, "element", None) is None)
    taken = (set(state_names) | {p.name for p in scenario.parameters} | {o.name for o in scenario.outputs}
             | set(schedule_names))
    updates, parts = _hoist_updates(updates, plain, taken) if hoist else (updates, {})
    hoisted = tuple((name, compiled(_expr.parse_expression(text))) for text, name in parts.items())
    order = _topological(state_names, {n: _dims.element_dependencies(e, dims, by_name[n].element) & set(state_names)
                                       for n, e in updates.items()})
    states = tuple(
        CompiledState(
            name=n,
            update=compiled(updates[n], by_name[n].element),
            init=compiled(_expr.parse_expression(by_name[n].init), by_name[n].element),
            update_text=by_name[n].update,
            nonnegative=by_name[n].nonnegative and not _is_count_draw(updates[n].text),
            random=random[n],
        )
        for n in order
    )
    state_index = {s.name: i for i, s in enumerate(states)}

    horizon = scenario.horizon_months

    def window(start, until) -> tuple[int, int]:
        first = 0 if start is None else max(0, start.index_from(origin))
        last = horizon - 1 if until is None else min(horizon - 1, until.index_from(origin))
        return first, last

    by_schedule = {s.name: s for s in scenario.schedules}

    def setter(key, value):
        """(expanded key, callable) pairs for one `set` entry."""
        if key in by_schedule:  # new points for a schedule: its whole series while the intervention is active
            points = dict(by_schedule[key].points)
            points.update(dict(value))
            series = by_schedule[key].series(origin, horizon, tuple(points.items()))
            return [(key, lambda ctx, series=series: series)]
        parsed = _expr.parse_expression(value)
        if key in dims:
            return [(f"{key}[{e}]", compiled(parsed, e)) for e in dims[key]]
        return [(key, compiled(parsed, elements.get(key)))]

    def compiled_intervention(i) -> CompiledIntervention:
        sets, texts = [], []
        for k, v in i.set:
            for pair in setter(k, v):
                sets.append(pair)
                texts.append((k, v if isinstance(v, str) else ", ".join(f"{m}: {x:g}" for m, x in v)))
        return CompiledIntervention(i.name, *window(i.start, i.until), tuple(sets), tuple(texts))

    interventions = tuple(compiled_intervention(i) for i in scenario.interventions)

    aggregated, reduced = [], []
    for o in scenario.outputs:
        if o.expr is not None:
            continue
        if o.reduce is None:
            aggregated.append(CompiledOutput(o.name, state_index[o.state], o.agg, *window(o.start, o.until), None,
                                             above=o.above))
            continue
        keys = tuple(f"{o.name}[{e}]" for e in dims[o.state])  # per-element aggregates, not columns of the results
        aggregated += [CompiledOutput(k, state_index[f"{o.state}[{e}]"], o.agg, *window(o.start, o.until), None,
                                      above=o.above) for k, e in zip(keys, dims[o.state])]
        reduced.append(CompiledOutput(o.name, None, None, 0, horizon - 1, None,
                                      reduce=(_exprc.REDUCERS[o.reduce], keys)))
    expr_outputs = {o.name: _expr.parse_expression(o.expr) for o in scenario.outputs if o.expr is not None}
    expr_order = _topological(list(expr_outputs), {n: expanded(e) for n, e in expr_outputs.items()})
    computed = reduced + [CompiledOutput(n, None, None, 0, horizon - 1, compiled(expr_outputs[n]))
                          for n in expr_order]

    return CompiledModel(
        scenario=scenario, sampled=sampled, distributions=dists, correlation=correlation, derived=derived,
        states=states, interventions=interventions, outputs=tuple(aggregated + computed), n_months=horizon,
        schedules=tuple((s.name, s.series(origin, horizon)) for s in scenario.schedules),
        hoisted=hoisted,
    )


def varying_parameters(scenario: Scenario, model: CompiledModel) -> list:
    """Parameters with a distribution that is not a constant, in file order (a sensitivity design's columns).

    Here, beside the compiler, so that a run can ask which parameters the judgment share's design would
    vary without importing the sensitivity modules (and pandas with them).
    """
    varies = {name for name, dist in zip(model.sampled, model.distributions)
              if np.ptp(dist.ppf(np.array([0.001, 0.5, 0.999]))) > 0}
    return [p for p in scenario.parameters if p.name in varies]
