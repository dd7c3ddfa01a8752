"""Validation of the language additions: dimensions, per-element arguments, schedules.

Helpers called by :func:`riskmodel.validate.validate`, one per concern, each
adding its problems to the shared checker as ``file:line: key.path``.
A dimensioned item is expanded into one item per element, named
``name[element]``; later stages see the expanded items (each parameter
element its own column and random stream, each state element its own
series) and :attr:`Scenario.dimensioned` to know which names go together.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from .errors import did_you_mean
from .model import Month, Schedule

__all__ = ["read_dimensions", "dimension_of", "per_element", "expand_correlation", "read_schedules", "element_name"]


def element_name(base: str, element: str) -> str:
    """The expanded name of one element: ``base[element]``."""
    return f"{base}[{element}]"


def read_dimensions(c, tree: Mapping) -> dict:
    """``dimensions:`` -> {dimension: (element, ...)}; duplicate elements reported."""
    out: dict = {}
    raw = tree.get("dimensions")
    if not isinstance(raw, dict):
        return out
    for dim, elements in raw.items():
        if not isinstance(dim, str):
            continue
        if not isinstance(elements, list) or not all(isinstance(e, str) for e in elements):
            continue  # the structure check has said what is wrong
        seen: set = set()
        for i, e in enumerate(elements):
            if e in seen:
                c.add(("dimensions", dim, i), f"element '{e}' is listed twice in {dim}", "list each element once")
            seen.add(e)
        out[dim] = tuple(dict.fromkeys(elements))
    return out


def dimension_of(c, here: tuple, raw: Any, dimensions: Mapping) -> Optional[str]:
    """The item's ``over:`` when it names a declared dimension, else None (reported)."""
    if not isinstance(raw, dict) or raw.get("over") is None:
        return None
    over = raw["over"]
    if not isinstance(over, str):
        return None  # the structure check has said what is wrong
    if over not in dimensions:
        c.add(here + ("over",), f"unknown dimension '{over}'",
              did_you_mean(str(over), dimensions) or ("declared: " + ", ".join(dimensions) if dimensions
                                                      else "declare it under `dimensions:`, e.g. country: [a, b]"))
        return None
    return over


def per_element(c, here: tuple, key: str, value: Any, dim: Optional[str], elements: tuple) -> Optional[dict]:
    """A per-element argument as {element: value}; a number applies to every element.

    Reports a mapping on an undimensioned item, a mapping missing an element,
    and a key that is not an element. Returns None when it cannot be read.
    """
    if not isinstance(value, dict):
        return {e: value for e in elements} if dim is not None else {None: value}
    if dim is None:
        c.add(here + (key,), f"{key}: a mapping per element, but this has no dimension",
              "add over: <dimension>, or give one number")
        return None
    ok = True
    for k in value:
        if k not in elements:
            ok = False
            c.add(here + (key, k), f"'{k}' is not an element of {dim}",
                  did_you_mean(str(k), elements) or f"{dim}: {', '.join(elements)}")
    missing = [e for e in elements if e not in value]
    if missing:
        ok = False
        c.add(here + (key,), f"{key}: the mapping does not name {', '.join(missing)}",
              f"name every element of {dim} ({', '.join(elements)}), or give one number for all")
    return dict(value) if ok else None


def expand_correlation(a: str, b: str, dim_of: Mapping, dimensions: Mapping) -> list:
    """Pairs of expanded names: a whole dimensioned parameter correlates element with element."""
    da, db = dim_of.get(a), dim_of.get(b)
    if da is not None and db is not None:
        if da != db:
            return []
        return [(element_name(a, e), element_name(b, e)) for e in dimensions[da]]
    if da is not None:
        return [(element_name(a, e), b) for e in dimensions[da]]
    if db is not None:
        return [(a, element_name(b, e)) for e in dimensions[db]]
    return [(a, b)]


def read_schedules(c, tree: Mapping, origin: Optional[Month], check_factor, check_cites, model) -> list:
    """``schedules:`` -> [Schedule]; each point's month checked, the evidence rules applied."""
    out = []
    raw_all = tree.get("schedules")
    if not isinstance(raw_all, dict):
        return out
    for name, raw in raw_all.items():
        here = ("schedules", name)
        if not isinstance(raw, dict):
            continue
        check_factor(here + ("factor",), raw.get("factor"))
        sm = c.parse_item(model, raw)
        if sm is None:
            continue
        points = []
        for month_text, value in sm.points.items():
            points.append((Month.parse(month_text), float(value)))
        points.sort()
        if sm.evidence == "cited" and not sm.cite:
            c.add(here, "evidence is cited but no quote is given",
                  "add `cite: [{source: <id>, quote: \"...\"}]` stating the points, or class it judgment with a rationale")
        if sm.evidence == "judgment" and not sm.rationale.strip():
            c.add(here, "evidence is judgment but no rationale is given", "add `rationale:` saying where the points come from")
        cites = check_cites(here + ("cite",), raw.get("cite"))
        out.append(Schedule(name=name, factor=sm.factor, points=tuple(points), interpolate=sm.interpolate,
                            evidence=sm.evidence, rationale=sm.rationale, cite=cites, unit=sm.unit, title=sm.title,
                            description=sm.description, position=c.pos(here)))
    return out
