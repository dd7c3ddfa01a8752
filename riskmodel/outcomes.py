"""Outcomes files: what actually happened, for ``riskmodel backtest``.

An outcomes file (``schema: riskmodel-outcomes/1``) names the scenario it
scores and lists observations. A *binary* observation names a risk id and
whether the risk happened; a *numeric* one names an output and the value
observed. Each cites a registered source with a quote (checked like a
scenario's quotes, with the closest passage suggested on a miss) or gives a
``url`` and a ``note``. An optional ``climatology`` gives a base-rate
probability per risk, the reference forecast the model must beat.

:func:`load_outcomes` reads and checks a file against its scenario and
returns a frozen :class:`Outcomes`, or raises one
:class:`~riskmodel.errors.ScenarioError` listing every problem as
``file:line: key.path: what is wrong; what would be right``.
:func:`json_schema` exports the JSON Schema (``riskmodel schema --outcomes``).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ValidationError

from . import sources as _sources
from .errors import Position, ProblemCollector, ScenarioError, did_you_mean
from .model import Citation, Month, Scenario
from .outcomes_schema import (_BINARY_KEYS, _CITE_KEYS, _NUMERIC_KEYS, _TOP_KEYS, OUTCOMES_SCHEMA_ID, BinaryObservationModel,
                              NumericObservationModel, OutcomesModel, _Header, json_schema)
from .schema import CiteModel
from .validate import validate
from .yamlio import YMap, position_of, read_yaml, resolve_named

__all__ = [
    # data
    "Outcomes",
    "BinaryObservation",
    "NumericObservation",
    # files
    "OUTCOMES_SCHEMA_ID",
    "load_outcomes",
    "json_schema",
    # pydantic models (the file's shape)
    "OutcomesModel",
    "BinaryObservationModel",
    "NumericObservationModel",
]

# --------------------------------------------------------------------------- the checked data


@dataclass(frozen=True)
class BinaryObservation:
    """A risk observed to have happened or not."""

    risk: str  # a risk id of the scenario
    happened: bool
    date: Month
    cite: tuple = ()  # tuple[Citation, ...], each found in its source
    url: str = ""
    note: str = ""
    position: Optional[Position] = None  # the list item in the outcomes file


@dataclass(frozen=True)
class NumericObservation:
    """An output's observed value."""

    output: str  # an output name of the scenario ("" for a state observation)
    value: float
    date: Optional[Month] = None
    cite: tuple = ()  # tuple[Citation, ...], each found in its source
    url: str = ""
    note: str = ""
    position: Optional[Position] = None
    state: str = ""  # a state name of the scenario, observed in month ``date`` (then ``output`` is "")
    error: Optional[tuple] = None  # ("sd", x) normal or ("relative", r) lognormal; None: not given

    @property
    def name(self) -> str:
        """The output's or the state's name."""
        return self.output or self.state


@dataclass(frozen=True)
class Outcomes:
    """A checked outcomes file.

    Attributes
    ----------
    path : str
        The outcomes file as given.
    scenario_path : str
        The scenario file it names, resolved against it.
    title, description : str
    climatology : tuple of (risk id, probability)
        Base rates for the reference forecast; empty when the file gives none.
    binary : tuple of BinaryObservation
    numeric : tuple of NumericObservation
        Observed outputs (scored by ``backtest``).
    states : tuple of NumericObservation
        Observed states in a month (``state`` set, ``output`` empty; used by ``update``).
    sources : tuple of SourceRef-like dicts
        The registered sources the observations cite (id, title, publisher, date, url).
    sha256 : str
        SHA-256 of the file's bytes.
    scenario : Scenario
        The validated scenario the names were checked against.
    """

    path: str
    scenario_path: str
    title: str = ""
    description: str = ""
    climatology: tuple = ()
    binary: tuple = ()
    numeric: tuple = ()
    states: tuple = ()
    sources: tuple = ()
    sha256: str = ""
    scenario: Any = field(default=None, repr=False, compare=False)

    def climatology_of(self, risk: str) -> Optional[float]:
        """The base rate the file gives for a risk, or None."""
        return dict(self.climatology).get(risk)


# --------------------------------------------------------------------------- checking

_TYPE_WORDS = {
    "float_type": "a number", "int_type": "a whole number", "string_type": "text", "bool_type": "true or false",
    "dict_type": "a mapping of keys", "list_type": "a list", "model_type": "a mapping of keys",
    "float_parsing": "a number", "finite_number": "a finite number (not .nan, .inf or beyond ±1.8e308)",
}


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return repr(value)
    return type(value).__name__


class _Checker:
    def __init__(self, path: str, tree: YMap):
        self.path = path
        self.tree = tree
        self.pc = ProblemCollector()
        self.file_pos = Position(path)

    def pos(self, key_path: tuple) -> Position:
        return position_of(self.tree, key_path, self.file_pos) or self.file_pos

    def add(self, key_path: tuple, message: str, hint: str = "") -> None:
        self.pc.add(self.pos(tuple(key_path)), tuple(key_path), message, hint)

    def report(self, exc: ValidationError, prefix: tuple, keys: tuple, other_keys: tuple = (),
               other_kind: str = "") -> None:
        """Map pydantic errors to problems at their lines (one problem per key).

        A key missing because it is misspelt is reported once, as the unknown
        key with its did-you-mean, not a second time as missing.
        """
        errors = exc.errors()
        meant: set = set()
        for err in errors:
            if err["type"] == "extra_forbidden":
                loc = prefix + tuple(err["loc"])
                choices = _CITE_KEYS if "cite" in loc[:-1] else keys
                close = difflib.get_close_matches(str(loc[-1]), choices, n=1, cutoff=0.6)
                meant.update(loc[:-1] + (k,) for k in close)
        seen: set = set()
        for err in errors:
            loc = prefix + tuple(p for p in err["loc"] if isinstance(p, (str, int)))
            if loc in seen or (err["type"] == "missing" and loc in meant):
                continue
            seen.add(loc)
            kind, value = err["type"], err.get("input")
            depth = len(loc) - len(prefix)
            if kind == "extra_forbidden":
                key = loc[-1]
                if "cite" in loc[:-1]:
                    self.add(loc, f"unknown key '{key}'",
                             did_you_mean(key, _CITE_KEYS) or "a citation has source and quote")
                elif depth == 1 and key in other_keys:
                    self.add(loc, f"'{key}' belongs to a {other_kind} observation",
                             f"this observation's keys are {', '.join(keys)}")
                else:
                    self.add(loc, f"unknown key '{key}'", did_you_mean(key, keys) or "allowed keys: " + ", ".join(keys))
            elif kind == "missing":
                self.add(loc, "required key missing", f"add `{loc[-1]}:`")
            elif kind == "literal_error":
                self.add(loc, f"{value!r} is not allowed", f"expected {err.get('ctx', {}).get('expected', '')}")
            elif kind == "string_pattern_mismatch":
                if loc[-1] == "url":
                    self.add(loc, f"{value!r} is not a web address", "write an http(s):// address")
                elif isinstance(value, str) and value[:5] == "0000-":
                    self.add(loc, f"{value!r} is not a month of the calendar: there is no year 0000",
                             "write a month from 0001-01 to 9999-12, e.g. 2024-09")
                else:
                    self.add(loc, f"{value!r} is not a month", "write YYYY-MM, e.g. 2024-09")
            elif kind == "greater_than" and "error" in loc[:-1]:  # error: {sd: x} or {relative: r}
                self.add(loc, f"{value!r}: a measurement error must be above 0",
                         "an exact figure is not an observation update can weight by; write the source's "
                         "uncertainty, e.g. `error: {relative: 0.1}` (about 10%)")
            elif kind in ("greater_than", "less_than"):
                self.add(loc, f"{value!r} is not a probability strictly between 0 and 1",
                         "a base rate of 0 or 1 scores infinitely badly under the log score when wrong; "
                         "write e.g. 0.01 or 0.99")
            elif kind == "string_too_short":
                self.add(loc, "is empty", "write the words as they stand in the source")
            elif loc[-1] == "date" and isinstance(value, (_dt.date, _dt.datetime)):
                self.add(loc, f"{value} is a day, not a month", f"write {value:%Y-%m}")
            else:
                wanted = _TYPE_WORDS.get(kind, err["msg"])
                self.add(loc, f"must be {wanted}, got {_shown(value)}")


def _resolve(c: "_Checker", base: str, key: str, what: str) -> Path | None:
    """The path the outcomes file names at ``key``, confined to its project; None (a problem added) if outside."""
    try:
        return Path(os.path.realpath(resolve_named(base, c.tree[key], line=None, key_path=(key,), what=what)))
    except ScenarioError as exc:
        c.add((key,), exc.problems[0].message, exc.problems[0].hint)
        return None


def load_outcomes(path: str | Path, scenario: Scenario | str | Path | None = None, *,
                  interim: bool = False) -> Outcomes:
    """Read and check an outcomes file against the scenario it scores.

    Parameters
    ----------
    path : str or Path
        The outcomes file.
    scenario : Scenario, path-like or None
        The scenario whose risk ids and output names the observations must
        name. ``None``: the file named by the outcomes file's ``scenario:``.
        A scenario other than the one named may be given (to score a variant
        against the same outcomes).
    interim : bool
        Accept "did not happen" dated before the risk's window closes: "not
        yet, as of this month", which ``riskmodel update`` conditions on. A
        backtest scores only closed windows, so there (the default) it is an
        error: the outcome was not yet known.

    Returns
    -------
    Outcomes

    Raises
    ------
    ScenarioError
        With every problem found, in the outcomes file and, when it is read
        here, the scenario file: each names its file, line and key path; an
        unknown key, risk id or output name comes with a did-you-mean, a quote
        not found in its source with the source's closest passage.
    """
    shown = str(path)
    tree = read_yaml(path, what="outcomes file")
    raw_bytes = Path(path).read_bytes()
    c = _Checker(shown, tree)

    # ---- header ----------------------------------------------------------------
    if tree.get("schema") == "riskmodel/1":
        c.add(("schema",), "this is a scenario file, not an outcomes file",
              f"an outcomes file begins `schema: {OUTCOMES_SCHEMA_ID}`; "
              "the command is `riskmodel backtest SCENARIO OUTCOMES`")
        c.pc.raise_if_any()
    try:
        _Header.model_validate(tree)
    except ValidationError as exc:
        c.report(exc, (), _TOP_KEYS)

    # ---- the scenario ------------------------------------------------------------
    scenario_path = ""
    named = tree.get("scenario")
    if isinstance(named, str) and named.strip():
        resolved = _resolve(c, shown, "scenario", "scenario file")
        scenario_path = str(resolved or "")
        if resolved is not None and not resolved.is_file():
            c.add(("scenario",), f"scenario file '{named}' not found (looked for {resolved})",
                  "name the scenario file relative to this outcomes file")
    elif isinstance(named, str):
        c.add(("scenario",), "is empty", "name the scenario file relative to this outcomes file")
    if scenario is None and scenario_path and Path(scenario_path).is_file():
        scenario = scenario_path
    if scenario is not None and not isinstance(scenario, Scenario):
        try:
            scenario = validate(scenario)
        except ScenarioError as exc:
            c.pc.extend(exc.problems)
            scenario = None
    risk_ids = [r.id for r in scenario.risks] if scenario is not None else None
    names = {"risk": risk_ids,
             "output": [o.name for o in scenario.outputs] if scenario is not None else None,
             "state": [st.name for st in scenario.states] if scenario is not None else None}

    # ---- sources -------------------------------------------------------------------
    registry = None
    if isinstance(tree.get("sources"), str):
        reg_path = _resolve(c, shown, "sources", "source registry")
        if reg_path is None:
            pass
        elif not reg_path.is_file():
            c.add(("sources",), f"source registry '{tree['sources']}' not found (looked for {reg_path})",
                  "name the registry relative to this outcomes file, e.g. ../sources/registry.yaml")
        else:
            try:
                registry = _sources.load_registry(reg_path)
            except ScenarioError as exc:
                c.pc.extend(exc.problems)

    # ---- climatology -------------------------------------------------------------
    climatology: dict[str, float] = {}
    raw_clim = tree.get("climatology")
    if isinstance(raw_clim, dict):
        for risk, p in raw_clim.items():
            if risk_ids is not None and risk not in risk_ids:
                c.add(("climatology", risk), f"unknown risk '{risk}'",
                      did_you_mean(risk, risk_ids) or "risks of the scenario: " + ", ".join(risk_ids))
            elif isinstance(p, (int, float)) and not isinstance(p, bool) and 0 < p < 1:
                climatology[risk] = float(p)

    # ---- observations ------------------------------------------------------------
    raw_obs = tree.get("observations")
    items = raw_obs if isinstance(raw_obs, list) else []
    if isinstance(raw_obs, list) and not raw_obs:
        c.add(("observations",), "no observations", "add `- risk: <id>` or `- output: <name>` entries")
    binary: list[BinaryObservation] = []
    numeric: list[NumericObservation] = []
    state_obs: list[NumericObservation] = []
    first_seen: dict[tuple, int] = {}
    cited: dict = {"ids": [], "no registry reported": False}

    for i, raw in enumerate(items):
        here = ("observations", i)
        if not isinstance(raw, dict):
            c.add(here, f"an observation must be a mapping of keys, not {_shown(raw)}",
                  "write `- risk: <id>` with happened and date, or `- output: <name>` with value")
            continue
        if "output" in raw and "state" in raw:
            c.add(here, "an observation names an output or a state, not both",
                  "split it in two: `- output: ...` and `- state: ...` with its `date`")
            continue
        if "risk" in raw and ("output" in raw or "state" in raw):
            c.add(here, "an observation names a risk or an output, not both",
                  "split it in two: `- risk: ...` (binary) and `- output: ...` (numeric)")
            continue
        is_binary = "risk" in raw or ("output" not in raw and "happened" in raw)
        is_numeric = "output" in raw or "state" in raw or ("risk" not in raw and "value" in raw)
        if not (is_binary or is_numeric):
            keys = ", ".join(map(str, raw)) or "nothing"
            c.add(here, f"an observation must name a `risk` (binary) or an `output` (numeric); it has {keys}",
                  "e.g. `- risk: displacement` with `happened: true` and `date: 2024-09`")
            continue
        model = BinaryObservationModel if is_binary else NumericObservationModel
        keys, other = (_BINARY_KEYS, _NUMERIC_KEYS) if is_binary else (_NUMERIC_KEYS, _BINARY_KEYS)
        other_only = tuple(k for k in other if k not in keys)
        try:
            om = model.model_validate(raw)
        except ValidationError as exc:
            c.report(exc, here, keys, other_only, "numeric" if is_binary else "binary")
            om = None

        # the name the observation scores: known to the scenario, observed once
        if not _scored_name(c, here, raw, is_binary, names, first_seen):
            om = None

        # evidence: a quote from a registered source, or a url and a note
        cites, evidenced = _evidence(c, here, raw, tree, registry, cited)
        if not evidenced:
            om = None

        if om is None:
            continue
        if scenario is not None and not _check_dates(c, here, scenario, om, is_binary, interim):
            continue
        position = c.pos(here)
        if is_binary:
            binary.append(BinaryObservation(risk=om.risk, happened=om.happened, date=Month.parse(om.date),
                                            cite=tuple(cites), url=om.url or "", note=om.note.strip(),
                                            position=position))
        else:
            error = None
            if om.error is not None:
                given = [(k, float(v)) for k, v in (("sd", om.error.sd), ("relative", om.error.relative)) if v is not None]
                if len(given) != 1:
                    c.add(here + ("error",), "a measurement error is `{sd: x}` or `{relative: r}`, one of the two",
                          "e.g. `error: {sd: 20000}` (normal) or `error: {relative: 0.1}` (lognormal, about 10%)")
                    continue
                error = given[0]
            obs = NumericObservation(output=om.output or "", value=float(om.value),
                                     date=Month.parse(om.date) if om.date else None, cite=tuple(cites),
                                     url=om.url or "", note=om.note.strip(), position=position,
                                     state=om.state or "", error=error)
            (state_obs if obs.state else numeric).append(obs)

    # ---- climatology covers every observed risk, or none ---------------------------
    if isinstance(raw_clim, dict) and raw_clim:
        for obs in binary:
            if obs.risk not in raw_clim:
                c.add(("climatology",), f"no base rate for risk '{obs.risk}', which is observed",
                      f"add `{obs.risk}: <probability>` (the reference forecast scores every binary observation "
                      "or none), or remove climatology")

    c.pc.raise_if_any()
    refs = tuple({"id": s.id, "title": s.title, "publisher": s.publisher, "date": s.date, "url": s.url}
                 for s in (registry.sources if registry is not None else ()) if s.id in cited["ids"])
    return Outcomes(
        path=shown, scenario_path=scenario_path, title=str(tree.get("title") or ""),
        description=str(tree.get("description") or "").strip(),
        climatology=tuple(climatology.items()), binary=tuple(binary), numeric=tuple(numeric),
        states=tuple(state_obs), sources=refs,
        sha256=hashlib.sha256(raw_bytes).hexdigest(), scenario=scenario,
    )


def _scored_name(c: "_Checker", here: tuple, raw: dict, is_binary: bool, names: dict, first_seen: dict) -> bool:
    """Whether the risk, output or state an observation names is the scenario's (``names``: kind to the
    scenario's names, None when it could not be read) and observed once (``first_seen``, shared by the file:
    a name, and a state's month, to the line first observing it)."""
    ok = True
    name_key = "risk" if is_binary else ("state" if "state" in raw else "output")
    name = raw.get(name_key)
    choices = names[name_key]
    if not is_binary and not isinstance(name, str):
        c.add(here, "a numeric observation names an `output` or a `state`",
              "add e.g. `output: idps_end`, or `state: idps` with its `date`")
        ok = False
    if name_key == "state" and "date" not in raw:
        c.add(here, "a state observation needs `date:` (the month whose value was observed)",
              "add e.g. `date: 2024-06`")
        ok = False
    if isinstance(name, str) and choices is not None:
        if name not in choices:
            what = name_key
            c.add(here + (name_key,), f"unknown {what} '{name}'",
                  did_you_mean(name, choices) or f"{what}s of the scenario: " + (", ".join(choices) or "none"))
            ok = False
        else:
            line = c.pos(here).line
            seen_key = (name_key, name) if name_key != "state" else (name_key, name, str(raw.get("date")))
            if seen_key in first_seen:
                c.add(here + (name_key,), f"{name_key} '{name}' is observed twice (first at line "
                      f"{first_seen[seen_key]})",
                      "the scenario gives one forecast for it: keep one observation")
                ok = False
            else:
                first_seen[seen_key] = line
    return ok


def _evidence(c: "_Checker", here: tuple, raw: dict, tree: YMap, registry, cited: dict) -> tuple[list, bool]:
    """An observation's citations, each quote found in its registered source, and whether its evidence holds
    (a quote, or a url with a note). ``cited`` is shared by the file's observations: the source ids cited,
    and whether the missing registry was reported (once per file)."""
    ok = True
    raw_cites = raw.get("cite")
    has_cite = isinstance(raw_cites, list) and bool(raw_cites)
    has_url = isinstance(raw.get("url"), str) and bool(raw["url"].strip())
    has_note = isinstance(raw.get("note"), str) and bool(raw["note"].strip())
    if not has_cite and not has_url:
        c.add(here, "an observation needs evidence",
              "cite a registered source (`cite: [{source: <id>, quote: \"...\"}]`), "
              "or give `url:` and `note:`")
        ok = False
    elif has_url and not has_note:
        c.add(here + ("url",), "a url needs a note",
              "add `note:` saying where in it the observation is stated")
        ok = False
    cites: list[Citation] = []
    if has_cite:
        if registry is None and not isinstance(tree.get("sources"), str):
            if not cited["no registry reported"]:
                c.add(here + ("cite",), "quotes are cited but the file names no source registry",
                      "add `sources: ../sources/registry.yaml` (relative to this file)")
                cited["no registry reported"] = True
        for j, raw_cite in enumerate(raw_cites):
            cm = _parse(CiteModel, raw_cite)
            if cm is None or registry is None:
                continue
            at = here + ("cite", j)
            source = registry.get(cm.source)
            if source is None:
                c.add(at + ("source",), f"unknown source '{cm.source}'",
                      did_you_mean(cm.source, registry.ids) or "registered: " + ", ".join(registry.ids))
                ok = False
                continue
            match = _sources.find_quote(source, cm.quote)
            if match is None:
                c.add(at + ("quote",), f"quote not found in '{cm.source}'",
                      f"closest passage: {_sources.suggest_passage(source, cm.quote)}")
                ok = False
                continue
            cited["ids"].append(cm.source)
            cites.append(Citation(cm.source, cm.quote, match.line, c.pos(at)))
    return cites, ok


def _risk_window(scenario: Scenario, risk_id: str) -> tuple[Month, Month]:
    """The first and last month a risk's output counts (its `from`/`until`, else the horizon)."""
    risk = next(r for r in scenario.risks if r.id == risk_id)
    out = scenario.output(risk.output)
    last = scenario.origin.plus(scenario.horizon_months - 1)
    return (out.start or scenario.origin), (out.until or last)


def _check_dates(c: "_Checker", here: tuple, scenario: Scenario, om: Any, is_binary: bool,
                 interim: bool = False) -> bool:
    """No hindsight in outcomes: an observation after the scenario's as_of; "did not happen" only once the
    risk's window has closed; "happened" inside the window. False after reporting a problem."""
    if not om.date:
        return True
    month = Month.parse(om.date)
    ok = True
    if scenario.as_of:
        as_of = _dt.date.fromisoformat(scenario.as_of)
        if month.last_day() <= as_of:
            c.add(here + ("date",), f"observed {month}, not after the scenario's as_of {as_of}",
                  "an outcome scores the forecast only when it was not yet known; date it after as_of")
            ok = False
    last = scenario.origin.plus(scenario.horizon_months - 1)
    if not is_binary and not getattr(om, "state", None) and month > last:  # (a state's month: update says)
        c.add(here + ("date",), f"observed {month}, after the horizon ends ({last}); the scenario forecasts "
              "nothing past it", f"date the observation by the month it describes, {scenario.origin} to {last}")
        ok = False
    if is_binary:
        start, end = _risk_window(scenario, om.risk)
        if not om.happened and month < end and not interim:
            c.add(here + ("date",), f"\"did not happen\" dated {month}, before the risk's window closes ({end})",
                  f"it was not yet known; record it dated {end} or later")
            ok = False
        elif om.happened and not start <= month <= end:
            c.add(here + ("date",), f"\"happened\" dated {month}, outside the risk's window {start} to {end}",
                  "the forecast counts only what happens inside its window")
            ok = False
    return ok


def _parse(model: type[BaseModel], raw: Any) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None
