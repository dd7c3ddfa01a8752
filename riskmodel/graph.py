"""The compiled model's dependency graph: which parameters can move which output.

Owned by the compile stage: built from a validated
:class:`~riskmodel.model.Scenario` (the same expressions
:func:`riskmodel.compile.compile_scenario` compiles) and computed once per
report. An edge ``a -> b`` means the value of ``b`` is computed from ``a``:

- a derived parameter from the names in its ``formula``;
- a state from the names in its ``update`` and ``init`` (``prev(x)`` counts as
  ``x``; a bare ``prev`` is the state itself);
- a parameter from the names in an intervention's ``set`` expression for it
  (while the intervention is active, its value is computed from them);
- an output from its ``state``, or from the names in its ``expr``.

A parameter with no path to an output cannot change it on any path: its
sampled values and the output are independent by construction, so any
association an estimator reports between them is Monte Carlo noise. The
report's drivers (tornados, heat map, group tables) are restricted to the
parameters :meth:`DependencyGraph.parameters_of` an output returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from . import expressions as _expr
from .model import Scenario

__all__ = ["DependencyGraph", "dependency_graph"]


@dataclass(frozen=True)
class DependencyGraph:
    """Nodes are the names of parameters, states and outputs; ``inputs[b]`` are the nodes ``b`` is computed from.

    Attributes
    ----------
    inputs : dict of str -> frozenset of str
        Direct inputs of each node.
    parameters : frozenset of str
        Every parameter (sampled and derived).
    sampled : tuple of str
        Parameters drawn from a distribution, in file order.
    """

    inputs: dict
    parameters: frozenset
    sampled: tuple

    def ancestors(self, node: str) -> frozenset:
        """Every node with a path to ``node`` (not ``node`` itself unless it lies on a cycle through ``prev``)."""
        seen: set = set()
        todo = list(self.inputs.get(node, ()))
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            todo.extend(self.inputs.get(n, ()))
        return frozenset(seen)

    def parameters_of(self, output: str) -> tuple:
        """The sampled parameters with a path to ``output``, in file order."""
        anc = self.ancestors(output)
        return tuple(p for p in self.sampled if p in anc)

    def has_path(self, parameter: str, output: str) -> bool:
        return parameter in self.ancestors(output)


def _names(text) -> set:
    """Names an expression reads (``prev(x)`` included as ``x``)."""
    parsed = _expr.parse_expression(str(text))
    return set(parsed.names) | set(getattr(parsed, "prev_refs", ()))


def dependency_graph(scenario: Scenario) -> DependencyGraph:
    """The dependency graph of a validated scenario's model (computed once per scenario, then cached)."""
    return _graph(scenario)


@lru_cache(maxsize=8)
def _graph(scenario: Scenario) -> DependencyGraph:
    inputs: dict = {}

    def add(node: str, names) -> None:
        inputs.setdefault(node, set()).update(n for n in names if n != node)

    for p in scenario.parameters:
        add(p.name, _names(p.formula) if p.formula is not None else ())
    for s in scenario.states:
        add(s.name, _names(s.update) | _names(s.init))
    for iv in scenario.interventions:
        for target, value in iv.set:
            add(target, _names(value))
    for o in scenario.outputs:
        add(o.name, {o.state} if o.state is not None else _names(o.expr) if o.expr is not None else ())
    return DependencyGraph(inputs={k: frozenset(v) for k, v in inputs.items()},
                           parameters=frozenset(p.name for p in scenario.parameters),
                           sampled=tuple(p.name for p in scenario.parameters if p.distribution is not None))
