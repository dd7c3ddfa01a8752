"""The scenario file's shape, as pydantic models: the boundary of the library.

These models check types, required keys and unknown keys, and export the
JSON Schema an editor uses for completion (``riskmodel schema``). They are
frozen and forbid extra keys (pydantic's default would drop a misspelt key
silently). Meaning (names that resolve, distributions, evidence, quotes,
expressions) is checked in :mod:`riskmodel.validate`.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SCHEMA_ID", "ScenarioModel", "FactorModel", "ParameterModel", "StateModel", "InterventionModel",
           "OutputModel", "RiskModel", "ScheduleModel", "CiteModel", "json_schema", "MODEL_FOR_SECTION",
           "parameter_keys"]

SCHEMA_ID = "riskmodel/1"
DIST_KINDS = ("normal", "lognormal", "pert", "triangular", "uniform", "beta", "gamma", "bernoulli", "discrete", "constant")
#: YYYY-MM in the calendar the tool can date (0001-01 to 9999-12: there is no year 0000).
MONTH_PATTERN = r"^(?:[1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])-(0[1-9]|1[0-2])$"
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"
#: The longest name, id or key name (names become file names: fan-NAME.png, the run folder NAME).
NAME_MAX = 100

Number = float  # strict float accepts ints and rejects text and booleans
#: A distribution argument of a dimensioned parameter: one number for every element, or one per element.
PerElement = Union[Number, dict[str, Number]]
Expression = Annotated[Union[str, float], Field(description="An expression (see README: expression language), or a number.")]
DateStr = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="A calendar date, YYYY-MM-DD.")]
MonthStr = Annotated[str, Field(pattern=MONTH_PATTERN, description="A calendar month, YYYY-MM.", examples=["2025-01"])]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class CiteModel(_Strict):
    """A quote from a registered source; the tool checks that the source holds it."""

    source: str = Field(description="A source id in the registry.")
    quote: str = Field(min_length=1, description="Words as they stand in the source (whitespace, quotes and case may differ).")
    states: Optional[Union[Number, list[Number]]] = Field(
        None, description="The number(s) this quote supports; the tool checks the quote states each.")


class FactorModel(_Strict):
    """A risk the sources name; parameters, states and risks belong to one."""

    title: str
    description: str = ""
    cite: list[CiteModel] = Field(default_factory=list, description="Passages that name this risk.")
    modelled: bool = Field(True, description="false: named by the sources and kept qualitative; no number depends on it.")


class ParameterModel(_Strict):
    """An uncertain input, drawn once per path."""

    factor: str
    evidence: Literal["cited", "derived", "judgment"]
    over: Optional[str] = Field(None, description="A dimension: one draw per element (a number argument applies to "
                                "every element, a mapping element -> number gives one per element).")
    dist: Optional[Literal[DIST_KINDS]] = None  # type: ignore[valid-type]
    low: Optional[PerElement] = None
    mode: Optional[PerElement] = None
    high: Optional[PerElement] = None
    lamb: Optional[PerElement] = Field(None, description="PERT shape (default 4).")
    ci90: Optional[Union[Annotated[list[Number], Field(min_length=2, max_length=2)],
                         dict[str, Annotated[list[Number], Field(min_length=2, max_length=2)]]]] = Field(
        None, description="5th and 95th percentiles (normal, lognormal); per element a mapping element -> [lo, hi].")
    mu: Optional[PerElement] = None
    sigma: Optional[PerElement] = None
    a: Optional[PerElement] = None
    b: Optional[PerElement] = None
    shape: Optional[PerElement] = None
    scale: Optional[PerElement] = None
    p: Optional[PerElement] = None
    values: Optional[list[Number]] = None
    weights: Optional[list[Number]] = None
    value: Optional[PerElement] = None
    bounds: Optional[Annotated[list[Optional[Number]], Field(min_length=2, max_length=2)]] = Field(
        None, description="[lo, hi] truncation through the CDF; null for an open side.")
    formula: Optional[str] = Field(None, description="derived: an expression over other parameters.")
    unit: str = ""
    title: str = ""
    description: str = ""
    rationale: str = Field("", description="judgment: why this distribution.")
    cite: list[CiteModel] = Field(default_factory=list)
    judgment: list[str] = Field(
        default_factory=list, description="cited: the defining numbers (value, low, mode, high, ci90, mu, sigma, ...) "
        "that no quote states and are the analyst's; needs a rationale.")


class StateModel(_Strict):
    """A quantity stepped month by month."""

    factor: str
    update: Expression
    init: Expression = Field(0, description="Value in the month before origin; an expression over parameters.")
    unit: str = ""
    title: str = ""
    description: str = ""
    nonnegative: bool = Field(False, description="A count or population: a negative value stops the run.")
    over: Optional[str] = Field(None, description="A dimension: the state has one value per element on every path.")
    update_for: dict[str, Expression] = Field(default_factory=dict,
                                              description="Another update for some elements: element -> expression.")


class InterventionModel(_Strict):
    """A lever that changes parameters over a window of months."""

    name: str = Field(pattern=NAME_PATTERN, max_length=NAME_MAX)
    from_: MonthStr = Field(alias="from")
    until: Optional[MonthStr] = None
    set: dict[str, Union[Expression, dict[MonthStr, Number]]] = Field(
        description="parameter (or parameter[element]) -> expression; schedule -> {YYYY-MM: value} points.")
    description: str = ""


class OutputModel(_Strict):
    """One number per path: an aggregate of a state, or an expression."""

    state: Optional[str] = None
    agg: Optional[Literal["end", "sum", "mean", "max", "min", "first"]] = Field(
        None, description="first: month index t of the first month the state is non-zero (or above `above`); inf if never.")
    above: Optional[Number] = Field(None, description="agg: first: the level the state must exceed.")
    reduce: Optional[Literal["sum", "mean", "max", "min", "any", "all"]] = Field(
        None, description="For a dimensioned state: reduce the per-element aggregates over the dimension.")
    from_: Optional[MonthStr] = Field(None, alias="from")
    until: Optional[MonthStr] = None
    expr: Optional[Expression] = None
    unit: str = ""
    title: str = ""
    description: str = ""


class RiskModel(_Strict):
    """A row of the risk register: likelihood = P(output beyond threshold)."""

    id: str = Field(pattern=NAME_PATTERN, max_length=NAME_MAX)
    title: str
    factor: str
    output: str
    threshold: Number
    direction: Literal["above", "below"] = "above"
    description: str = ""
    over: Optional[str] = Field(None, description="A dimension: one register row per element; {dimension} in the "
                                "title is replaced by the element's name.")


class ScheduleModel(_Strict):
    """A known input that changes by month, the same on every path."""

    factor: str
    points: dict[MonthStr, Number] = Field(min_length=1, description="YYYY-MM -> value.")
    interpolate: Literal["step", "linear"] = Field("step", description="step: the last point's value holds; linear.")
    evidence: Literal["cited", "judgment"]
    cite: list[CiteModel] = Field(default_factory=list)
    rationale: str = ""
    unit: str = ""
    title: str = ""
    description: str = ""


Correlation = Annotated[list[Union[str, Number]], Field(min_length=3, max_length=3,
                                                        description="[parameter, parameter, Spearman rho]")]


class ScenarioModel(_Strict):
    """A scenario file (schema riskmodel/1)."""

    schema_: Literal["riskmodel/1"] = Field(alias="schema")
    name: str = Field(pattern=NAME_PATTERN, max_length=NAME_MAX, description="Identifier used in file names.")
    title: str
    description: str = ""
    limitations: list[str] = Field(default_factory=list,
                                   description="What the model leaves out or builds in, one sentence each; shown "
                                               "in the report.")
    extends: Optional[str] = Field(None, description="Parent scenario, relative to this file.")
    origin: MonthStr
    as_of: Optional[Union[_dt.date, DateStr]] = Field(
        None, description="YYYY-MM-DD: the date the scenario's knowledge stops (default: the last day of the "
        "month before origin); citing a source dated after it is an error.")
    horizon_months: int = Field(ge=1, le=1200)
    samples: int = Field(10_000, ge=1, le=1_000_000_000)
    seed: int = Field(20240101, ge=0, le=2**63 - 1)
    sampler: Literal["mc", "lhs", "sobol"] = "lhs"
    sources: Optional[str] = Field(None, description="Source registry, relative to this file.")
    factors: dict[str, FactorModel]
    dimensions: dict[str, Annotated[list[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]],
                                    Field(min_length=1)]] = Field(
        default_factory=dict, description="Named index sets: dimension -> [element, ...].")
    schedules: dict[str, ScheduleModel] = Field(default_factory=dict)
    parameters: dict[str, ParameterModel] = Field(default_factory=dict)
    correlations: list[Correlation] = Field(default_factory=list)
    states: dict[str, StateModel] = Field(default_factory=dict)
    interventions: list[InterventionModel] = Field(default_factory=list)
    outputs: dict[str, OutputModel] = Field(default_factory=dict)
    risks: list[RiskModel] = Field(default_factory=list)


#: Which model describes an item of each section (for per-item checks and hints).
MODEL_FOR_SECTION: dict[str, type[BaseModel]] = {
    "factors": FactorModel, "parameters": ParameterModel, "states": StateModel,
    "interventions": InterventionModel, "outputs": OutputModel, "risks": RiskModel, "schedules": ScheduleModel,
}


def field_names(model: type[BaseModel]) -> list[str]:
    """The keys a model accepts, by their YAML spelling (aliases)."""
    return [f.alias or name for name, f in model.model_fields.items()]


#: Keys of a parameter that belong to how it is drawn or derived; every other field of
#: :class:`ParameterModel` is common to all parameters (factor, evidence, cite, ...), so a field
#: added to ParameterModel is common unless it is named here or in ``distributions.DIST_KEYS``.
_DRAW_KEYS = ("dist", "bounds", "formula")


def parameter_keys(dist: Optional[str] = None) -> list[str]:
    """The keys a parameter may carry: the common ones plus those of its ``dist`` (or ``formula``).

    ``dist=None`` gives a derived parameter's keys (``formula``); an unknown
    kind gives every key. The per-kind keys are
    :data:`riskmodel.distributions.DIST_KEYS` (imported here on demand: it
    pulls in SciPy).

    Examples
    --------
    >>> [k for k in parameter_keys("normal") if k in ("mu", "sigma", "ci90", "shape", "dist", "formula")]
    ['dist', 'ci90', 'mu', 'sigma']
    """
    from .distributions import DIST_KEYS

    everything = field_names(ParameterModel)
    if dist is not None and dist not in DIST_KEYS:
        return everything
    own = {"formula"} if dist is None else {"dist", "bounds", *DIST_KEYS[dist].keys}
    drawn = set(_DRAW_KEYS).union(*(spec.keys for spec in DIST_KEYS.values()))
    return [k for k in everything if k not in drawn or k in own]


def _parameter_variants(schema: dict) -> None:
    """Give ParameterModel's schema one branch per ``dist`` (and one for ``formula``) with exactly its keys.

    Each branch is an ``if``/``then`` on ``dist`` (JSON Schema 2020-12): the
    ``then`` lists the properties that kind takes, forbids the rest
    (``additionalProperties: false``) and requires one of its key sets.
    """
    from .distributions import DIST_KEYS

    definition = schema.get("$defs", {}).get("ParameterModel")
    if definition is None:
        return
    props = definition["properties"]
    branches = []
    for kind, spec in DIST_KEYS.items():
        then = {"properties": {k: True for k in parameter_keys(kind)}, "additionalProperties": False}
        if len(spec.required) == 1:
            then["required"] = list(spec.required[0])
        else:  # one key set in full, and no key of the others (normal: mu and sigma, or ci90)
            then["oneOf"] = [
                {"required": list(alt),
                 "not": {"anyOf": [{"required": [k]} for other in spec.required if other != alt
                                   for k in other if k not in alt]}}
                for alt in spec.required]
        branches.append({"if": {"properties": {"dist": {"const": kind}}, "required": ["dist"]}, "then": then})
    derived = {"properties": {k: True for k in parameter_keys(None)}, "additionalProperties": False,
               "required": ["formula"]}
    branches.append({"if": {"not": {"required": ["dist"]}}, "then": derived})
    definition["allOf"] = branches
    for kind_keys in DIST_KEYS.values():  # say which kinds each distribution key belongs to
        for key in kind_keys.keys:
            kinds = [k for k, s in DIST_KEYS.items() if key in s.keys]
            if key in props:
                note = "Only with dist: " + ", ".join(kinds) + "."
                text = props[key].get("description", "")
                if note not in text:
                    props[key]["description"] = (text + " " + note).strip()


def json_schema() -> str:
    """The JSON Schema of scenario files, as indented JSON text."""
    schema = ScenarioModel.model_json_schema(by_alias=True)
    _parameter_variants(schema)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://riskmodel.invalid/schema/riskmodel-1.json"
    return json.dumps(schema, indent=2)
