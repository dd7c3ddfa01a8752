"""Stage 3, compile: distributions to samplers, expressions to callables, order.

``compile_scenario()`` turns a validated :class:`~riskmodel.model.Scenario`
into a :class:`CompiledModel` the simulator steps through: sampled
parameters with their inverse CDFs, derived parameters and states in
dependency order, interventions as month windows, outputs as aggregates or
callables. Nothing here draws a number.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def compile_scenario(scenario: Scenario) -> CompiledModel:
    """Compile a validated scenario for simulation.

    Parameters
    ----------
    scenario : Scenario
        From :func:`riskmodel.validate`.

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
    states = tuple(
        CompiledState(
            name=n,
            update=_expr.compile_expression(updates[n]),
            init=_expr.compile_expression(_expr.parse_expression(by_name[n].init)),
            update_text=by_name[n].update,
            nonnegative=by_name[n].nonnegative,
            random=bool(updates[n].random_calls),
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
    )
