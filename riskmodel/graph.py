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
from typing import Optional

from . import expressions as _expr
from . import exprdims as _dims
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


def names_read(text, dims: dict, element: Optional[str] = None) -> set:
    """Expanded names an expression reads, this month or through ``prev``.

    For a dimensioned model the names are element names, as the compiled model
    orders them (:func:`riskmodel.exprdims.element_dependencies`): a bare
    dimensioned name in the expression of ``element`` reads ``name[element]``,
    ``x[label]`` reads ``x[label]``, a reduction reads every element.
    """
    if not isinstance(text, str):  # an intervention's per-element mapping of numbers reads no name
        return set()
    parsed = _expr.parse_expression(text)
    out = set(_dims.element_dependencies(parsed, dims, element))
    for name in getattr(parsed, "prev_refs", ()):
        if name in dims:
            out |= {f"{name}[{element}]"} if element is not None else {f"{name}[{e}]" for e in dims[name]}
        else:
            out.add(name)
    out |= {f"{name}[{label}]" for name, label, _, via_prev in getattr(parsed, "subscripts", ()) if via_prev}
    return out


def dependency_graph(scenario: Scenario) -> DependencyGraph:
    """The dependency graph of a validated scenario's model (computed once per scenario, then cached)."""
    return _graph(scenario)


@lru_cache(maxsize=8)
def _graph(scenario: Scenario) -> DependencyGraph:
    inputs: dict = {}
    dims = {base: dict(scenario.dimensions)[dim] for base, dim in scenario.dimensioned}

    def add(node: str, names) -> None:
        inputs.setdefault(node, set()).update(n for n in names if n != node)

    def nodes(name: str) -> list:  # a dimensioned base name stands for each of its elements
        return [f"{name}[{e}]" for e in dims[name]] if name in dims else [name]

    for p in scenario.parameters:
        add(p.name, names_read(p.formula, dims, p.element) if p.formula is not None else ())
    for s in scenario.states:
        add(s.name, names_read(s.update, dims, s.element) | names_read(s.init, dims, s.element))
    for iv in scenario.interventions:
        for target, value in iv.set:
            for node in nodes(target):
                add(node, names_read(value, dims, node.partition("[")[2].rstrip("]") or None))
    for o in scenario.outputs:
        if o.state is not None:
            add(o.name, nodes(o.state))
        elif o.expr is not None:
            add(o.name, names_read(o.expr, dims, o.element))
    return DependencyGraph(inputs={k: frozenset(v) for k, v in inputs.items()},
                           parameters=frozenset(p.name for p in scenario.parameters),
                           sampled=tuple(p.name for p in scenario.parameters if p.distribution is not None))
