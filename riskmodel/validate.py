"""Stage 2, validate: the whole contract, every mistake reported at once.

``validate()`` takes a loaded document (or a path) and returns a frozen
:class:`~riskmodel.model.Scenario`, or raises one
:class:`~riskmodel.errors.ScenarioError` listing every problem as
``file:line: key.path: what is wrong; what would be right``.

Checks: types, required and unknown keys (pydantic, :mod:`riskmodel.schema`);
names and their references; distribution arguments; what each evidence class
requires; quotes found in their sources; expressions against the whitelist,
with names resolved per context; no cycles among bare state names, derived
parameters or output expressions; months inside the horizon; correlations in
[-1, 1] forming a positive definite matrix.

The structure check and the shared checker are in :mod:`riskmodel._validate_structure`, the
checks that stand on their own (names, windows, cycles, correlations) in
:mod:`riskmodel._validate_checks`, evidence in :mod:`riskmodel._validate_evidence` and the
language additions in :mod:`riskmodel.validate_lang`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from . import _validate_evidence as _evidence
from . import distributions as _dist
from . import exprdims as _dims
from . import expressions as _expr
from . import validate_lang as _lang
from . import sources as _sources
from ._validate_checks import (_check_correlation_matrix, _check_name, _check_window, _freeze, _has_cites,
                               _report_cycles, override_warnings)
from ._validate_structure import _brief, _Checker
from .errors import ScenarioError, did_you_mean
from .load import LoadedDocument, load
from .model import (Correlation, Distribution, Factor, Intervention, Month, Output, Parameter, Risk,
                    Scenario, SourceRef, State)
from .schema import MODEL_FOR_SECTION, CiteModel, ScheduleModel

__all__ = ["validate", "RESERVED_NAMES", "override_warnings"]

#: Names an expression gives a meaning of its own; no parameter, state or output may take them.
RESERVED_NAMES = _expr.RESERVED_NAMES

_DIST_ARG_KEYS = tuple(k for k in ("low", "mode", "high", "lamb", "ci90", "mu", "sigma", "a", "b", "shape", "scale",
                                   "p", "values", "weights", "value"))


def _expression_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return str(value)


def validate(doc: LoadedDocument | str | Path, *, overrides=()) -> Scenario:
    """Check a scenario against the whole contract and build the frozen model.

    Parameters
    ----------
    doc : LoadedDocument or path-like
        A loaded document (``riskmodel.load.load``) or a scenario file path.
    overrides : sequence of str
        ``key.path=value`` overrides, when ``doc`` is a path.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        With every problem found, each naming file, line and key path.
    """
    if not isinstance(doc, LoadedDocument):
        doc = load(doc, overrides)
    c = _Checker(doc)
    c.structure()
    tree = c.tree

    # ---- header --------------------------------------------------------------
    origin = c.month(tree.get("origin"))
    horizon = tree.get("horizon_months") if isinstance(tree.get("horizon_months"), int) else None
    last_month = origin.plus(horizon - 1) if origin and horizon and horizon > 0 else None
    if last_month is not None and not last_month.in_calendar() and horizon <= 1200:  # (a longer one: its own error)
        c.add(("horizon_months",), f"{horizon} months from {origin} end in {last_month.year:04d}-"
              f"{last_month.month:02d}, past the calendar's last month 9999-12",
              f"use at most {Month(9999, 12).index_from(origin) + 1} months from this origin")
        last_month = None
    elif origin is not None and origin == Month(1, 1) and tree.get("as_of") is None:
        c.add(("origin",), "origin 0001-01 leaves no day before it for the default as_of",
              "give `as_of:` (YYYY-MM-DD), or start the scenario in a later month")

    # ---- sources ---------------------------------------------------------------
    registry = None
    cites_anything = _has_cites(tree)
    if doc.sources_path is not None and not Path(doc.sources_path).is_file():
        c.add(("sources",), f"source registry {'is a folder' if Path(doc.sources_path).is_dir() else 'not found'}: "
              f"{doc.sources_path}", "name the registry file; the path is relative to the file that names it")
    elif doc.sources_path is not None:
        try:
            registry = _sources.load_registry(doc.sources_path)
        except ScenarioError as exc:
            c.pc.extend(exc.problems)
    elif cites_anything:
        c.add(("sources",), "quotes are cited but no source registry is named",
              "add `sources: ../sources/registry.yaml` (relative to this file)")

    cited_sources: list = []  # (key path of a cite, source id), for the hindsight check
    lint_list: list = []  # warnings and notes (model.Lint)

    def check_cites(key_path: tuple, raw_cites: Any, *, unit: str = "") -> tuple:
        out = []
        if not isinstance(raw_cites, list):
            return ()
        for i, raw in enumerate(raw_cites):
            cm = c.parse_item(CiteModel, raw)
            if cm is None or registry is None:
                continue
            here = key_path + (i,)
            if cm.source not in registry.ids:
                c.add(here + ("source",), f"unknown source '{cm.source}'",
                      did_you_mean(cm.source, registry.ids) or "registered: " + ", ".join(registry.ids))
                continue
            cited_sources.append((here, cm.source))
            citation = _evidence.read_cite(c, here, cm, registry.get(cm.source), unit=unit)
            if citation is not None:
                out.append(citation)
        return tuple(out)

    # ---- factors ---------------------------------------------------------------
    factors: list[Factor] = []
    for name, raw in c.section("factors").items():
        here = ("factors", name)
        _check_name(c, here, name)
        fm = c.parse_item(MODEL_FOR_SECTION["factors"], raw)
        if fm is None:
            continue
        cites = check_cites(here + ("cite",), raw.get("cite"))
        factors.append(Factor(name, fm.title, fm.description, cites, fm.modelled, c.pos(here)))
    factor_names = set(c.section("factors"))
    qualitative = {f.name for f in factors if not f.modelled}

    def check_factor(key_path: tuple, factor: Any) -> None:
        if not isinstance(factor, str):
            return
        if factor not in factor_names:
            c.add(key_path, f"unknown factor '{factor}'", did_you_mean(factor, factor_names) or
                  "declare it under `factors:`")
        elif factor in qualitative:
            c.add(key_path, f"factor '{factor}' is declared qualitative (modelled: false)",
                  "set modelled: true on the factor, or attach this to a modelled factor")

    # ---- names shared by expressions ------------------------------------------
    param_raw = c.section("parameters")
    state_raw = c.section("states")
    output_raw = c.section("outputs")
    schedule_raw = c.section("schedules")
    dimensions = _lang.read_dimensions(c, tree)
    dim_of: dict[str, str] = {}  # dimensioned parameters, states and outputs -> their dimension
    for section, items in (("parameters", param_raw), ("states", state_raw)):
        for name, raw in items.items():
            dim = _lang.dimension_of(c, (section, name), raw, dimensions)
            if dim is not None:
                dim_of[name] = dim
    for name, raw in output_raw.items():  # an output is over its state's dimension unless it reduces it
        if isinstance(raw, dict) and isinstance(raw.get("state"), str) and raw["state"] in dim_of \
                and raw.get("reduce") is None:
            dim_of[name] = dim_of[raw["state"]]
    schedules = _lang.read_schedules(c, tree, origin, lambda k, f: check_factor(k, f),
                                     lambda k, r: check_cites(k, r), ScheduleModel)
    schedule_names = set(schedule_raw)
    owner: dict[str, str] = {}
    for section, items in (("parameters", param_raw), ("states", state_raw), ("outputs", output_raw),
                           ("schedules", schedule_raw)):
        for name in items:
            _check_name(c, (section, name), name)
            if name in owner:
                c.add((section, name), f"'{name}' is already a name under {owner[name]}",
                      "parameters, states, outputs and schedules share one namespace in expressions; rename one")
            else:
                owner[name] = section
    param_names, state_names, output_names = set(param_raw), set(state_raw), set(output_raw)

    def check_expression(key_path: tuple, value: Any, *, allowed: set, kinds: str, prev_ok: bool = False,
                         states_ok: bool = False, t_ok: bool = False, random_ok: bool = False,
                         context: str | None = None, event_ok: bool = False):
        text = _expression_text(value)
        try:
            parsed = _expr.parse_expression(text)
        except _expr.ExpressionError as exc:
            where = f" at column {exc.col + 1}" if exc.col is not None and exc.message.startswith("syntax error") else ""
            c.add(key_path, f"{exc.message}{where} in {_brief(text)}", exc.hint)
            return None
        ok = True
        for name in sorted(parsed.names):
            if name not in allowed:
                ok = False
                hint = did_you_mean(name, allowed) or f"{kinds} may be named here"
                where_else = owner.get(name)
                if where_else:
                    hint = f"'{name}' is one of the {where_else}, which cannot be used here; {kinds} may"
                c.add(key_path, f"unknown name '{name}' in {_brief(text)}", hint)
        if (parsed.uses_prev or parsed.prev_refs) and not prev_ok:
            ok = False
            c.add(key_path, f"prev is not allowed in {_brief(text)}", "prev belongs in a state's update")
        for name in sorted(parsed.prev_refs - state_names):
            ok = False
            c.add(key_path, f"prev({name}): '{name}' is not a state", did_you_mean(name, state_names) or
                  "prev(x) takes a state's name")
        if parsed.uses_t and not t_ok:
            ok = False
            c.add(key_path, f"t is not allowed in {_brief(text)}", "t (the month index) belongs in a state's update")
        if parsed.calendar and not t_ok:
            ok = False
            c.add(key_path, f"{sorted(parsed.calendar)[0]} is not allowed in {_brief(text)}",
                  "year and month (the simulated month's calendar) belong in a state's update; date(\"YYYY-MM\") is allowed")
        if "event" in parsed.random_calls and not event_ok:
            ok = False
            c.add(key_path, f"event() is only allowed in a state's update, not in {_brief(text)}",
                  "event(h) is an absorbing 0/1 event with monthly hazard h: write it in `update:`")
        elif parsed.random_calls and not random_ok:
            ok = False
            c.add(key_path, f"random draw {parsed.random_calls[0]}() is not allowed in {_brief(text)}",
                  "draw uncertain inputs through a parameter's distribution; monthly draws belong in a state's update")
        if ok:
            for message, hint in _dims.check_dimensions(parsed, dim_of, dimensions, context):
                ok = False
                c.add(key_path, f"{message} in {_brief(text)}", hint)
        return parsed if ok else None

    # ---- parameters -------------------------------------------------------------
    parameters: list[Parameter] = []
    derived_deps: dict[str, set] = {}
    for name, raw in param_raw.items():
        here = ("parameters", name)
        pm = c.parse_item(MODEL_FOR_SECTION["parameters"], raw)
        if not isinstance(raw, dict):
            continue
        check_factor(here + ("factor",), raw.get("factor"))
        if pm is None:
            continue
        dist = None
        dim = dim_of.get(name)
        elements = dimensions.get(dim, ())
        args = {k: raw[k] for k in _DIST_ARG_KEYS if raw.get(k) is not None}
        if pm.evidence == "derived":
            if pm.formula is None:
                c.add(here, "a derived parameter needs `formula`", "e.g. formula: \"other_parameter / 5\"")
            for key in sorted(set(args) | ({"dist"} if pm.dist else set()) | ({"bounds"} if pm.bounds else set())):
                c.add(here + (key,), f"'{key}' does not apply to a derived parameter",
                      "a derived parameter is computed by its formula; remove the key, or class it cited or judgment")
            if pm.formula is not None:
                parsed = check_expression(here + ("formula",), pm.formula, allowed=param_names,  # itself: a cycle
                                          kinds="other parameters", context=dim)
                _evidence.check_derived_formula(c, here, parsed)
                if parsed is not None:
                    derived_deps[name] = set(parsed.names)
        else:
            if pm.formula is not None:
                c.add(here + ("formula",), f"`formula` belongs to derived parameters, not {pm.evidence}",
                      "set evidence: derived, or give a distribution instead")
            if pm.dist is None:
                c.add(here, "required key missing: dist", "add `dist:` (e.g. pert, lognormal, uniform, constant)")
            else:
                bounds = tuple(pm.bounds) if pm.bounds is not None else None
                split = {k: _lang.per_element(c, here, k, v, dim, elements) for k, v in args.items()}
                dist = {} if all(v is not None for v in split.values()) else None
                for e in (elements if dim is not None else (None,)) if dist is not None else ():
                    args_e = {k: v[e] for k, v in split.items()}
                    problems = _dist.check_distribution(pm.dist, args_e, bounds)
                    for key, message, hint in problems:
                        c.add(here + ((key,) if key else ()),
                              message if e is None else f"{message} (element {e})", hint)
                    if problems:
                        dist = None
                        break
                    dist[e] = Distribution(pm.dist, tuple((k, _freeze(args_e[k])) for k in _DIST_ARG_KEYS
                                                          if k in args_e), bounds)
        if pm.evidence == "cited" and not pm.cite:
            c.add(here, "evidence is cited but no quote is given",
                  "add `cite: [{source: <id>, quote: \"...\"}]`, or class it judgment with a rationale")
        if pm.evidence == "judgment" and not pm.rationale.strip():
            c.add(here, "evidence is judgment but no rationale is given",
                  "add `rationale:` saying why this distribution (which passage motivates its direction)")
        cites = check_cites(here + ("cite",), raw.get("cite"), unit=pm.unit)
        for e in elements if dim is not None else (None,):
            dist_e = dist.get(e) if isinstance(dist, dict) else None
            judgment, numbers = _evidence.check_cited_numbers(c, here, pm, dist_e, cites, lint_list)
            parameters.append(Parameter(
                name=name if e is None else _lang.element_name(name, e), factor=pm.factor, evidence=pm.evidence,
                distribution=dist_e, formula=pm.formula, unit=pm.unit,
                description=pm.description, title=pm.title, rationale=pm.rationale, cite=cites, position=c.pos(here),
                judgment=judgment, numbers=numbers, element=e))
    _report_cycles(c, derived_deps, "parameters", "formula", "derived parameters")

    # ---- correlations -----------------------------------------------------------
    correlations: list[Correlation] = []
    sampled = {p.name for p in parameters if p.distribution is not None and p.distribution.kind != "constant"}
    # a cited or judgment parameter without a distribution: its own problem is reported above, and a
    # correlation with it is not a second one
    sampled |= {p.name for p in parameters if p.distribution is None and p.evidence != "derived"}
    seen_pairs: set = set()
    for i, item in enumerate(c.item_list("correlations")):
        here = ("correlations", i)
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str) and isinstance(item[1], str)
                and isinstance(item[2], (int, float)) and not isinstance(item[2], bool)):
            continue  # the structure check has said what is wrong
        a, b, rho = item
        bad = False
        expanded = {p.name for p in parameters}
        pairs = _lang.expand_correlation(a, b, dim_of, dimensions)
        if not pairs:
            c.add(here, f"'{a}' is over {dim_of[a]} and '{b}' over {dim_of[b]}",
                  "correlate parameters over the same dimension, or name elements: x[label]")
            continue
        if len(pairs) > 1 or pairs[0] != (a, b):
            for a2, b2 in pairs:
                if a2 in sampled and b2 in sampled and tuple(sorted((a2, b2))) not in seen_pairs:
                    seen_pairs.add(tuple(sorted((a2, b2))))
                    correlations.append(Correlation(a2, b2, float(rho), c.pos(here)))
                elif a2 not in sampled or b2 not in sampled:
                    c.add(here, f"'{a2 if a2 not in sampled else b2}' is not sampled from a distribution",
                          "correlate parameters that have a non-constant distribution")
            continue
        for name in (a, b):
            if name not in param_names and name in expanded:
                continue
            if name not in param_names:
                bad = True
                c.add(here, f"unknown parameter '{name}'", did_you_mean(name, param_names) or "name two parameters")
            elif name not in sampled and name in {p.name for p in parameters}:
                bad = True
                c.add(here, f"'{name}' is not sampled from a distribution (derived or constant)",
                      "correlate parameters that have a non-constant distribution")
        if a == b:
            bad = True
            c.add(here, f"a parameter correlated with itself ('{a}')", "name two different parameters")
        if not -1.0 <= float(rho) <= 1.0:
            bad = True
            c.add(here, f"correlation {rho} is outside [-1, 1]", "a Spearman rank correlation lies in [-1, 1]")
        pair = tuple(sorted((a, b)))
        if pair in seen_pairs:
            bad = True
            c.add(here, f"the pair ({a}, {b}) is correlated twice", "keep one entry per pair")
        seen_pairs.add(pair)
        if not bad:
            correlations.append(Correlation(a, b, float(rho), c.pos(here)))
    _check_correlation_matrix(c, correlations)

    # ---- states -------------------------------------------------------------------
    states: list[State] = []
    state_deps: dict[str, set] = {}
    state_elements = {n: dimensions[d] for n, d in dim_of.items() if n in state_names}
    expanded_states = {_lang.element_name(n, e) if n in state_elements else n
                       for n in state_names for e in state_elements.get(n, (None,))}
    for name, raw in state_raw.items():
        here = ("states", name)
        sm = c.parse_item(MODEL_FOR_SECTION["states"], raw)
        if not isinstance(raw, dict):
            continue
        check_factor(here + ("factor",), raw.get("factor"))
        if sm is None:
            continue
        dim = dim_of.get(name)
        elements = dimensions.get(dim, ())
        parsed = check_expression(here + ("update",), sm.update, allowed=param_names | state_names | schedule_names,
                                  kinds="parameters, states and schedules", prev_ok=True, states_ok=True, t_ok=True,
                                  random_ok=True, context=dim, event_ok=True)
        if parsed is not None and dim is None:
            state_deps[name] = _dims.element_dependencies(parsed, state_elements, None) & expanded_states
        elif parsed is not None:  # element by element: x[b] may read x[a] this month
            for e in elements:
                if e not in sm.update_for:
                    state_deps[_lang.element_name(name, e)] = _dims.element_dependencies(
                        parsed, state_elements, e) & expanded_states
        for e, text in sm.update_for.items():
            if dim is None or e not in elements:
                c.add(here + ("update_for", e), f"'{e}' is not an element of {dim}" if dim else
                      "update_for needs a dimensioned state", (did_you_mean(e, elements) or f"{dim}: {', '.join(elements)}")
                      if dim else "add over: <dimension>")
                continue
            parsed_e = check_expression(here + ("update_for", e), text, allowed=param_names | state_names | schedule_names,
                                        kinds="parameters, states and schedules", prev_ok=True, states_ok=True,
                                        t_ok=True, random_ok=True, context=dim, event_ok=True)
            if parsed_e is not None:
                state_deps[_lang.element_name(name, e)] = _dims.element_dependencies(
                    parsed_e, state_elements, e) & expanded_states
        check_expression(here + ("init",), sm.init, allowed=param_names, kinds="parameters", context=dim)
        for e in elements if dim is not None else (None,):
            states.append(State(name=name if e is None else _lang.element_name(name, e), factor=sm.factor,
                                update=_expression_text(sm.update_for.get(e, sm.update)),
                                init=_expression_text(sm.init), unit=sm.unit, title=sm.title,
                                nonnegative=sm.nonnegative, description=sm.description, position=c.pos(here),
                                element=e))
    _report_cycles(c, state_deps, "states", "update", "states (bare names mean this month's value; use prev(x))")

    # ---- interventions ----------------------------------------------------------
    interventions: list[Intervention] = []
    seen_names: set = set()
    for i, raw in enumerate(c.item_list("interventions")):
        here = ("interventions", i)
        im = c.parse_item(MODEL_FOR_SECTION["interventions"], raw)
        if im is None:
            continue
        if im.name in seen_names:
            c.add(here + ("name",), f"intervention '{im.name}' is named twice", "give each a distinct name")
        seen_names.add(im.name)
        start, until = Month.parse(im.from_), (Month.parse(im.until) if im.until else None)
        _check_window(c, here, start, until, origin, last_month)
        sets = []
        expanded_params = {p.name for p in parameters}
        for key, value in im.set.items():
            if key in schedule_names:
                if not isinstance(value, dict):
                    c.add(here + ("set", key), f"'{key}' is a schedule: set its points",
                          "e.g. set: {" + key + ": {2024-06: 0}}")
                else:
                    sets.append((key, tuple(sorted((Month.parse(m), float(v)) for m, v in value.items()))))
                continue
            if isinstance(value, dict):
                c.add(here + ("set", key), "a mapping of points sets a schedule, and this is not one",
                      "give an expression for a parameter")
                continue
            if key in expanded_params and key not in param_names:  # one element: spill_hazard[niger]
                if check_expression(here + ("set", key), value, allowed=param_names, kinds="parameters") is not None:
                    sets.append((key, _expression_text(value)))
                continue
            if key not in param_names:
                c.add(here + ("set", key), f"unknown parameter '{key}'",
                      did_you_mean(key, param_names) or "an intervention sets parameters")
                continue
            if check_expression(here + ("set", key), value, allowed=param_names, kinds="parameters",
                                context=dim_of.get(key)) is not None:
                sets.append((key, _expression_text(value)))
        if not im.set:
            c.add(here + ("set",), "an intervention that sets nothing", "e.g. set: {base_attacks: \"base_attacks * 0.8\"}")
        interventions.append(Intervention(im.name, start, until, tuple(sets), im.description, c.pos(here)))

    # ---- outputs ------------------------------------------------------------------
    outputs: list[Output] = []
    output_deps: dict[str, set] = {}
    for name, raw in output_raw.items():
        here = ("outputs", name)
        om = c.parse_item(MODEL_FOR_SECTION["outputs"], raw)
        if om is None:
            continue
        start = Month.parse(om.from_) if om.from_ else None
        until = Month.parse(om.until) if om.until else None
        if om.expr is not None:
            for key in ("state", "agg", "from", "until"):
                if raw.get(key) is not None:
                    c.add(here + (key,), f"'{key}' does not go with expr",
                          "an output is either {state, agg[, from, until]} or {expr}")
            parsed = check_expression(here + ("expr",), om.expr, allowed=output_names | param_names,  # itself: a cycle
                                      kinds="other outputs and parameters")
            if parsed is not None:
                output_deps[name] = set(parsed.names) & output_names
        else:
            if om.state is None:
                c.add(here, "an output needs `state` and `agg`, or `expr`", "e.g. {state: idps, agg: end}")
                continue
            if om.state not in state_names:
                c.add(here + ("state",), f"unknown state '{om.state}'",
                      did_you_mean(om.state, state_names) or "name a state under `states:`")
            if om.agg is None:
                c.add(here, "required key missing: agg", "add `agg:` (end, sum, mean, max, min or first)")
            if om.above is not None and om.agg != "first":
                c.add(here + ("above",), "`above` goes with agg: first", "set agg: first, or remove above")
            if om.reduce is not None and om.state in state_names and om.state not in dim_of:
                c.add(here + ("reduce",), f"state '{om.state}' has no dimension to reduce over",
                      "reduce an output of a state with over: <dimension>, or remove reduce")
            if start or until:
                _check_window(c, here, start or origin, until, origin, last_month, until_in_horizon=True)
        dim = dim_of.get(name)
        for e in dimensions.get(dim, ()) if dim is not None else (None,):
            outputs.append(Output(name=name if e is None else _lang.element_name(name, e),
                                  state=om.state if e is None else _lang.element_name(om.state, e), agg=om.agg,
                                  start=start, until=until,
                                  expr=_expression_text(om.expr) if om.expr is not None else None,
                                  unit=om.unit, title=om.title, description=om.description, position=c.pos(here),
                                  above=om.above, reduce=om.reduce, element=e))
    _report_cycles(c, output_deps, "outputs", "expr", "outputs")

    # ---- risks --------------------------------------------------------------------
    risks: list[Risk] = []
    seen_ids: set = set()
    for i, raw in enumerate(c.item_list("risks")):
        here = ("risks", i)
        rm = c.parse_item(MODEL_FOR_SECTION["risks"], raw)
        if not isinstance(raw, dict):
            continue
        check_factor(here + ("factor",), raw.get("factor"))
        if rm is None:
            continue
        if rm.id in seen_ids:
            c.add(here + ("id",), f"risk id '{rm.id}' is used twice", "give each risk a distinct id")
        seen_ids.add(rm.id)
        expanded_outputs = {o.name for o in outputs}
        if rm.output not in output_names and rm.output not in expanded_outputs:
            c.add(here + ("output",), f"unknown output '{rm.output}'",
                  did_you_mean(rm.output, output_names) or "name an output under `outputs:`")
        if not math.isfinite(float(rm.threshold)):
            c.add(here + ("threshold",), f"threshold is {rm.threshold}, not a finite number",
                  "write the number the output is compared with, e.g. threshold: 30")
        dim = _lang.dimension_of(c, here, raw, dimensions)
        if rm.over is not None and dim is not None and rm.output in output_names and dim_of.get(rm.output) != dim:
            c.add(here + ("over",), f"output '{rm.output}' is not over {dim}",
                  "a risk over a dimension needs an output over it (a state with over, aggregated without reduce)")
            continue
        if rm.over is None and rm.output in dim_of:
            c.add(here + ("output",), f"output '{rm.output}' has one value per element of {dim_of[rm.output]}",
                  f"add over: {dim_of[rm.output]} (one row per element), or name one: {rm.output}[<element>]")
            continue
        for e in dimensions.get(dim, ()) if dim is not None else (None,):
            if e is None:
                risks.append(Risk(rm.id, rm.title, rm.factor, rm.output, float(rm.threshold), rm.direction,
                                  rm.description, c.pos(here)))
            else:
                risks.append(Risk(_lang.element_name(rm.id, e), rm.title.replace("{" + dim + "}", e), rm.factor,
                                  _lang.element_name(rm.output, e), float(rm.threshold), rm.direction,
                                  rm.description, c.pos(here), element=e))

    # ---- sources the scenario cites -------------------------------------------
    used = ({cit.source for f in factors for cit in f.cite} | {cit.source for p in parameters for cit in p.cite}
            | {cit.source for sch in schedules for cit in sch.cite})
    refs = tuple(SourceRef(s.id, s.title, s.publisher or "", s.date or "", s.url or "",
                           "" if s.reference else str(s.file), s.sha256, date_not_after=s.date_not_after,
                           reference=s.reference)
                 for s in (registry.sources if registry is not None else ()) if s.id in used)

    # ---- evidence: no hindsight; lints ----------------------------------------
    as_of = _evidence.as_of_date(c, tree, origin)
    _evidence.check_hindsight(c, as_of, registry, cited_sources, lint_list)
    lint_list.extend(_evidence.lints(c, factors=factors, parameters=parameters, states=states,
                                     interventions=interventions, outputs=outputs, risks=risks,
                                     dims={base: dimensions[dim] for base, dim in dim_of.items()}))

    c.pc.raise_if_any()
    return Scenario(
        name=tree["name"], title=tree["title"], description=tree.get("description", "") or "",
        origin=origin, horizon_months=horizon, samples=int(tree.get("samples", 10_000)),
        seed=int(tree.get("seed", 20240101)), sampler=tree.get("sampler", "lhs"),
        factors=tuple(factors), parameters=tuple(parameters), correlations=tuple(correlations),
        states=tuple(states), interventions=tuple(interventions), outputs=tuple(outputs), risks=tuple(risks),
        dimensions=tuple(dimensions.items()), dimensioned=tuple(dim_of.items()), schedules=tuple(schedules),
        sources=refs, path=doc.path, files=doc.files, sha256=doc.sha256, document=doc.canonical,
        as_of=as_of.isoformat() if as_of else "", lints=tuple(lint_list),
        overrides=doc.overrides, file_sha256=doc.file_sha256,
        limitations=tuple(str(x) for x in (tree.get("limitations") or ())),
    )
