"""Validation, evidence section: quotes that say something, cited numbers that stand in their quotes,
derived parameters with inputs, no hindsight, and the lints (warnings) of a valid scenario.

Each check takes the shared checker of :mod:`riskmodel.validate` (``add``, ``pos``, ``tree``) and the
objects already built; errors go to the checker, warnings are returned as :class:`~riskmodel.model.Lint`.
"""

from __future__ import annotations

import ast
import datetime as _dt
import math
from . import distributions as _dist
from . import expressions as _expr
from . import numbers as _num
from . import sources as _sources
from .errors import Problem
from .model import Citation, DefiningNumber, Lint, Month

__all__ = ["read_cite", "defining_numbers", "check_cited_numbers", "check_derived_formula", "as_of_date",
           "check_hindsight", "lints", "MIN_QUOTE_WORDS"]

#: A quote needs at least this many words of the source, or a number with the word it counts.
MIN_QUOTE_WORDS = 3

_JUDGMENT_HINT = "a cited number must stand in its quote, or list it under judgment with a rationale"


def _warn(c, key_path: tuple, message: str, hint: str = "", level: str = "warning", kind: str = "") -> Lint:
    return Lint(level, Problem(c.pos(key_path), tuple(key_path), message, hint), kind)


# --------------------------------------------------------------------------- quotes


def read_cite(c, here: tuple, cm, source, *, unit: str = "") -> Citation | None:
    """One cite: length rule, quote found (stored text) or recorded (reference), ``states:`` checked.

    Returns the Citation, or None after reporting why not.
    """
    words, numbers = _num.word_count(cm.quote)
    if words < MIN_QUOTE_WORDS and not (numbers >= 1 and words >= 1):
        c.add(here + ("quote",), f"quote {cm.quote!r} is too short to cite ({words} word{'s' * (words != 1)}"
              f"{', no number' if not numbers else ''})",
              f"quote at least {MIN_QUOTE_WORDS} words of the source, or a number with the word it counts "
              "(e.g. \"1,000 Wagner fighters\")")
        return None
    line = None
    reference = bool(getattr(source, "reference", False))
    if not reference:
        match = _sources.find_quote(source, cm.quote)
        if match is None:
            c.add(here + ("quote",), f"quote not found in '{cm.source}'",
                  f"closest passage: {_sources.suggest_passage(source, cm.quote)}")
            return None
        line = match.line
    stated = _num.stated_values(cm.quote, unit=unit)
    supports: tuple = ()
    if cm.states is not None:
        wanted = cm.states if isinstance(cm.states, list) else [cm.states]
        ok = True
        for i, x in enumerate(wanted):
            if not any(_num.same_number(x, v) for v in stated):
                ok = False
                key = here + ("states",) + ((i,) if isinstance(cm.states, list) else ())
                c.add(key, f"the quote does not state {_num.format_number(x)}; "
                      + (f"it states {_num.format_numbers(stated)}" if stated else "it states no number"),
                      "name a number the quote states, or quote the passage that states it")
        if not ok:
            return None
        supports = tuple(float(x) for x in wanted)
    return Citation(cm.source, cm.quote, line, c.pos(here), states=stated, supports=supports, reference=reference)


# --------------------------------------------------------------------------- cited numbers

#: The keys whose numbers define each distribution (``ci90`` where given, else mu/sigma).
_DEFINING = {
    "constant": ("value",), "uniform": ("low", "high"), "pert": ("low", "mode", "high"),
    "triangular": ("low", "mode", "high"), "beta": ("a", "b"), "gamma": ("shape", "scale"),
    "bernoulli": ("p",), "discrete": ("values",),
}


def defining_numbers(dist) -> list[tuple[str, int | None, float]]:
    """(key, index, value) of each number that defines a distribution."""
    if dist is None:
        return []
    keys = _DEFINING.get(dist.kind)
    if keys is None:  # normal, lognormal
        keys = ("ci90",) if dist.arg("ci90") is not None else ("mu", "sigma")
    out = []
    for key in keys:
        v = dist.arg(key)
        if v is None:
            continue
        if isinstance(v, tuple):
            out.extend((key, i, float(x)) for i, x in enumerate(v))
        else:
            out.append((key, None, float(v)))
    return out


def _interval90(dist) -> tuple[float, float] | None:
    try:
        return _dist.make_distribution(dist).interval90()
    except Exception:  # noqa: BLE001 - a distribution validation accepted but cannot invert: no range check
        return None


def check_cited_numbers(c, here: tuple, pm, dist, cites: tuple, lint_out: list) -> tuple:
    """Each defining number of a parameter: stated by a quote, or named under ``judgment``.

    Returns ``(judgment, numbers)`` for the Parameter. Errors: a defining number of a cited parameter
    neither stated nor judgment; judgment naming no defining key; judgment without rationale; a
    cited number outside its own distribution's 90% range.
    """
    judgment = tuple(pm.judgment)
    defining = defining_numbers(dist)
    keys = list(dict.fromkeys(k for k, _, _ in defining))
    if judgment and pm.evidence != "cited":
        c.add(here + ("judgment",), f"`judgment` lists the analyst's numbers of a cited parameter, not a {pm.evidence} one",
              "remove it (a judgment parameter is the analyst's throughout), or class the parameter cited")
    for i, name in enumerate(judgment):
        if dist is not None and name not in keys:
            c.add(here + ("judgment", i), f"'{name}' is not a defining number of this {dist.kind}",
                  f"name one of {', '.join(keys)}")
    if judgment and not pm.rationale.strip():
        c.add(here + ("judgment",), "the analyst's numbers are listed but no rationale is given",
              "add `rationale:` saying where the judgment numbers come from")

    def stating(value: float) -> int | None:
        for i, cit in enumerate(cites):
            pool = cit.supports if cit.supports else cit.states
            if any(_num.same_number(value, v) for v in pool):
                return i
        return None

    numbers = tuple(DefiningNumber(k, v, idx, stating(v)) for k, idx, v in defining)
    if pm.evidence != "cited" or dist is None or not cites:
        return judgment, (numbers if pm.evidence == "cited" else ())

    missing = [n for n in numbers if n.cite is None and n.key not in judgment]
    if missing:
        what = ", ".join(f"{n.label} is {_num.format_number(n.value)}" for n in missing)
        key_word = "value" if [n.key for n in missing] == ["value"] else None
        desc = f"the parameter's value is {_num.format_number(missing[0].value)}" if key_word else f"the parameter's {what}"
        if len(cites) == 1:
            stated = cites[0].supports or cites[0].states
            said = f"states {_num.format_numbers(stated)}" if stated else "states no number"
            c.add(here + ("cite", 0, "quote"), said, f"{desc} ({_JUDGMENT_HINT})")
        else:
            c.add(here + (missing[0].key,), f"no quote states it; {desc}", f"({_JUDGMENT_HINT})")

    # a stated number must fall inside its own distribution
    interval = _interval90(dist)
    if interval is None:
        return judgment, numbers
    lo, hi = interval
    slack = 1e-9 * max(1.0, abs(lo), abs(hi))
    inside = lambda v: lo - slack <= v <= hi + slack or any(_num.same_number(v, n.value) for n in numbers)  # noqa: E731
    for i, cit in enumerate(cites):
        for v in cit.supports:
            if not inside(v):
                c.add(here + ("cite", i, "states"), f"the stated {_num.format_number(v)} lies outside the "
                      f"distribution's 90% range {_num.format_number(lo)} – {_num.format_number(hi)}",
                      "a cited number must fall inside its own distribution; widen the distribution or correct it")
    if not missing and not any(n.cite is not None for n in numbers):
        # every defining number is the analyst's: the quotes must state the figure they stand for, inside the range
        stated = [v for cit in cites for v in (cit.supports or cit.states)]
        if not any(inside(v) for v in stated):
            where = here + ("cite", 0, "quote")
            if stated:
                c.add(where, f"states {_num.format_numbers(stated)}, outside the distribution's 90% range "
                      f"{_num.format_number(lo)} – {_num.format_number(hi)}",
                      "a cited number must fall inside its own distribution; correct the distribution, "
                      "or class it judgment")
            else:
                c.add(where, "states no number", "a cited parameter rests on a figure its quote states (with "
                      "judgment: [...] for the spread); without one, class it judgment with a rationale")
    for name in judgment:
        if name in keys and all(n.cite is not None for n in numbers if n.key == name):
            lint_out.append(_warn(c, here + ("judgment",), f"'{name}' is listed as the analyst's but a quote states it",
                                  f"remove '{name}' from judgment"))
    return judgment, numbers


def check_derived_formula(c, here: tuple, parsed) -> None:
    """A derived parameter's formula names at least one parameter."""
    if parsed is not None and not parsed.names:
        c.add(here + ("formula",), "the formula names no parameter, so its number has no support",
              "a derived parameter is computed from other parameters; make a constant `cited` (with a quote "
              "that states it) or `judgment` (with a rationale)")


# --------------------------------------------------------------------------- hindsight


def as_of_date(c, tree: dict, origin: Month | None) -> _dt.date | None:
    """The scenario's ``as_of``, or the last day of the month before ``origin``."""
    raw = tree.get("as_of")
    if isinstance(raw, _dt.datetime):
        raw = raw.date()
    if isinstance(raw, _dt.date):
        day = raw
    elif isinstance(raw, str):
        try:
            day = _dt.date.fromisoformat(raw)
        except ValueError:
            c.add(("as_of",), f"{raw!r} is not a calendar date", "write YYYY-MM-DD, e.g. 2023-12-31")
            return None
    elif raw is None:
        if origin is None or not origin.plus(-1).in_calendar():  # 0001-01: validate says to give as_of
            return None
        return origin.plus(-1).last_day()
    else:
        return None  # the structure check reports the type
    return day


def check_hindsight(c, as_of: _dt.date | None, registry, cited: list[tuple[tuple, str]], lint_out: list) -> None:
    """Each cited source dated no later than ``as_of``; undated sources are warnings (once each)."""
    if as_of is None or registry is None:
        return
    warned: set = set()
    for here, sid in cited:
        s = registry.get(sid)
        if s is None:
            continue
        span = _sources.date_range(s.date)
        if span is not None:
            first, last = span
            if first > as_of:
                c.add(here + ("source",), f"source '{sid}' is dated {s.date}, after the scenario's as_of {as_of}",
                      "cite only what was known by as_of (no hindsight), or set `as_of:` to a later day")
            elif last > as_of and sid not in warned:
                warned.add(sid)
                lint_out.append(_warn(c, here + ("source",), f"source '{sid}' is dated {s.date}, which may be after "
                                      f"the scenario's as_of {as_of}", "give the source's full date in the registry"))
            continue
        if sid in warned:
            continue
        warned.add(sid)
        if s.date_not_after:
            bound = _dt.date.fromisoformat(s.date_not_after)
            if bound > as_of:
                lint_out.append(_warn(c, here + ("source",), f"source '{sid}' is undated and known only to be no "
                                      f"later than {s.date_not_after}, after the scenario's as_of {as_of}",
                                      "find the text's date, or check it was known by as_of"))
        else:
            lint_out.append(_warn(c, here + ("source",), f"source '{sid}' is undated, so hindsight cannot be checked",
                                  "add the text's `date:` (or `date_not_after:`) to the registry"))


# --------------------------------------------------------------------------- lints


def _names(text: str) -> set:
    try:
        return set(_expr.parse_expression(text).names)
    except _expr.ExpressionError:
        return set()


def _is_indicator(node: ast.AST, indicator_states: set, this_state: str | None) -> bool:
    """Whether an expression's value is always 0 or 1 (knowable from its form)."""
    if isinstance(node, ast.Expression):
        return _is_indicator(node.body, indicator_states, this_state)
    if isinstance(node, (ast.Compare, ast.BoolOp)) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
        return True
    if isinstance(node, ast.Constant):
        return node.value in (0, 1) and not isinstance(node.value, str)
    if isinstance(node, ast.Name):
        return node.id in indicator_states or (node.id == "prev" and this_state in indicator_states)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        f, args = node.func.id, node.args
        if f in ("bernoulli", "event"):
            return True
        if f in ("max", "min"):
            return bool(args) and all(_is_indicator(a, indicator_states, this_state) for a in args)
        if f == "where" and len(args) == 3:
            return all(_is_indicator(a, indicator_states, this_state) for a in args[1:])
        if f == "prev" and len(args) == 1 and isinstance(args[0], ast.Name):
            return args[0].id in indicator_states
    return False


def _indicator_states(states) -> set:
    """States whose every value is 0 or 1: init 0/1 and an update that keeps it so (a fixed point)."""
    parsed = {}
    for s in states:
        try:
            parsed[s.name] = ast.parse(s.update, mode="eval")
        except SyntaxError:
            continue
    cand = {s.name for s in states if s.name in parsed and str(s.init).strip() in ("0", "1", "0.0", "1.0")}
    changed = True
    while changed:
        changed = False
        for name in sorted(cand):
            if not _is_indicator(parsed[name], cand, name):
                cand.discard(name)
                changed = True
    return cand


def lints(c, *, factors, parameters, states, interventions, outputs, risks, dims=None) -> list[Lint]:
    """Warnings for a valid scenario: unused parameters, factors with nothing or no citation, risks that
    cannot be crossed; notes (info) for outputs no risk or output uses.

    ``dims`` maps each dimensioned base name to its elements: a parameter's element ``x[north]`` is used
    where an expression reads it, as the dependency graph counts reads (a bare ``x`` in a state's
    element ``north``, ``x[north]``, a reduction over ``x``).
    """
    from .graph import names_read

    dims = dims or {}

    def reads(text, element=None) -> set:
        try:
            return names_read(text, dims, element)
        except _expr.ExpressionError:
            return set()

    out: list[Lint] = []
    used: set = set()
    for s in states:
        used |= reads(s.update, s.element) | reads(s.init, s.element)
    for o in outputs:
        if o.expr is not None:
            used |= reads(o.expr, o.element)
    for iv in interventions:
        for target, text in iv.set:
            elements = dims.get(target.partition("[")[0], (None,)) if "[" not in target else (
                target.partition("[")[2].rstrip("]"),)
            for e in elements:
                used |= reads(text, e)
    for p in parameters:
        if p.formula:
            used |= reads(p.formula, p.element) - {p.name}
    for p in parameters:
        if p.name not in used:
            out.append(_warn(c, ("parameters", p.name), f"parameter '{p.name}' is not used by any state, output, "
                             "intervention or formula", "use it, or remove it"))
    attached = {p.factor for p in parameters} | {s.factor for s in states} | {r.factor for r in risks}
    for f in factors:
        if f.modelled and f.name not in attached:
            out.append(_warn(c, ("factors", f.name), f"factor '{f.name}' is modelled but has no parameter, state or risk",
                             "attach a parameter, state or risk to it, or set `modelled: false`"))
        if not f.cite:
            out.append(_warn(c, ("factors", f.name), f"factor '{f.name}' cites no source",
                             "add `cite:` with the passage that names this risk"))
    used_outputs = {r.output for r in risks}
    for o in outputs:
        if o.expr is not None:
            used_outputs |= _names(o.expr)
    for o in outputs:
        if o.name not in used_outputs:
            out.append(_warn(c, ("outputs", o.name), f"output '{o.name}' is used by no risk or output",
                             "fine for a figure of interest; otherwise remove it", level="info", kind="unused_output"))
    indicators = _indicator_states(states)
    ind_outputs = {o.name for o in outputs if o.state in indicators and o.agg in ("end", "max", "min")}
    for o in outputs:
        if o.expr is not None:
            try:
                if _is_indicator(ast.parse(o.expr, mode="eval"), ind_outputs, None):
                    ind_outputs.add(o.name)
            except SyntaxError:
                pass
    for i, r in enumerate(risks):
        if r.output in ind_outputs and math.isfinite(r.threshold):
            at0, at1 = (0 > r.threshold, 1 > r.threshold) if r.direction == "above" else (0 < r.threshold, 1 < r.threshold)
            if at0 == at1:
                what = "never" if not at0 else "always"
                out.append(_warn(c, ("risks", i, "threshold"), f"output '{r.output}' is 0 or 1, so a threshold of "
                                 f"{_num.format_number(r.threshold)} ({r.direction}) is {what} crossed",
                                 "use a threshold between 0 and 1 (e.g. 0.5) for a yes/no output"))
    return out
