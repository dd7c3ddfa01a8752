"""Dimensions in expressions: which values are per element, and whether they fit.

A name declared with ``over: <dimension>`` has one value per element. In an
expression, operations between values of the same dimension are elementwise
and an undimensioned value broadcasts; ``x[label]`` picks one element;
``sum``, ``mean``, ``any``, ``all`` and one-argument ``min``/``max`` reduce a
dimensioned argument to one value. :func:`check_dimensions` finds the
mistakes (an unknown element, a subscript of an undimensioned value, a
reduction of a value with no dimension, two dimensions in one operation, a
result over a dimension where none is wanted) as messages for validation.
"""

from __future__ import annotations

import ast
from typing import Mapping, Optional

from .errors import did_you_mean
from .expressions import Expr

__all__ = ["check_dimensions", "element_dependencies"]

_REDUCING = frozenset({"sum", "mean", "any", "all"})


def check_dimensions(expr: Expr, dim_of: Mapping[str, str], elements: Mapping[str, tuple],
                     context: Optional[str] = None) -> list:
    """The dimension mistakes in a checked expression, as ``(message, hint)`` pairs.

    Parameters
    ----------
    expr : Expr
        From :func:`riskmodel.expressions.parse_expression`.
    dim_of : mapping of str to str
        Dimensioned names (parameters, states, outputs) -> their dimension.
    elements : mapping of str to tuple of str
        Each dimension's elements.
    context : str or None
        The dimension of what the expression computes (a dimensioned state's
        update), or None: then its result must have no dimension.
    """
    problems: list = []

    def add(message, hint=""):
        if (message, hint) not in problems:
            problems.append((message, hint))

    def visit(node) -> Optional[str]:
        if isinstance(node, ast.Name):
            return dim_of.get(node.id)
        if isinstance(node, ast.Constant):
            return None
        if isinstance(node, ast.Subscript):
            value, label = node.value, node.slice
            name = value.args[0].id if isinstance(value, ast.Call) else value.id
            dim = dim_of.get(name)
            if dim is None:
                add(f"{name}[{label.id}]: '{name}' has no dimension, so it has no elements",
                    f"write {name} alone, or declare it with over: <dimension>")
            elif label.id not in elements[dim]:
                add(f"{name}[{label.id}]: '{label.id}' is not an element of {dim}",
                    did_you_mean(label.id, elements[dim]) or f"{dim}: {', '.join(elements[dim])}")
            return None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            fname = node.func.id
            if fname == "prev":
                return dim_of.get(node.args[0].id) if node.args and isinstance(node.args[0], ast.Name) else None
            if fname == "date":
                return None
            dims = [visit(a) for a in node.args]
            if fname in _REDUCING or (fname in ("min", "max") and len(node.args) == 1):
                if dims[0] is None:
                    add(f"{fname}() of a value with no dimension: it reduces over a dimension",
                        f"give it a dimensioned value, e.g. {fname}(x) with x over a dimension"
                        + ("; elementwise min/max take two or more arguments" if fname in ("min", "max") else ""))
                return None
            return merge(dims, node)
        children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
        return merge([visit(c) for c in children], node)

    def merge(dims, node) -> Optional[str]:
        found = sorted({d for d in dims if d is not None})
        if len(found) > 1:
            add(f"values over different dimensions ({' and '.join(found)}) in one operation",
                "pick elements (x[label]) or reduce (sum(x)) so that at most one dimension remains")
        return found[0] if found else None

    result = visit(expr.tree.body)
    if result is not None and result != context:
        if context is None:
            add(f"the expression has one value per element of {result}, and one value is wanted here",
                "pick an element (x[label]) or reduce over the dimension (sum, mean, any, all, min, max)")
        else:
            add(f"the expression is over {result}, and this is over {context}", "use values over the same dimension")
    return problems


def element_dependencies(expr: Expr, elements_of: Mapping[str, tuple], element: Optional[str] = None) -> set:
    """The expanded names an expression reads this month (not through prev).

    A bare dimensioned name in an expression for ``element`` reads
    ``name[element]``; ``x[label]`` reads ``x[label]``; inside a reduction
    every element is read. Used to order states and find cycles element by
    element (``x[b]`` may read ``x[a]``).
    """
    out: set = set()

    def visit(node, reducing: bool) -> None:
        if isinstance(node, ast.Subscript):
            if isinstance(node.value, ast.Name):
                out.add(f"{node.value.id}[{node.slice.id}]")
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "prev":
                return
            if node.func.id in _REDUCING or (node.func.id in ("min", "max") and len(node.args) == 1):
                for a in node.args:
                    visit(a, True)
                return
            for a in node.args:
                visit(a, reducing)
            return
        if isinstance(node, ast.Name):
            els = elements_of.get(node.id)
            if els is None:
                out.add(node.id)
            elif reducing or element is None:
                out.update(f"{node.id}[{e}]" for e in els)
            else:
                out.add(f"{node.id}[{element}]")
            return
        for child in ast.iter_child_nodes(node):
            visit(child, reducing)

    visit(expr.tree.body, False)
    return out
