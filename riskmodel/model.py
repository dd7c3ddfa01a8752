"""The validated scenario: frozen plain objects, the contract between stages.

``validate()`` builds a :class:`Scenario` from YAML-shaped data; every later
stage (compile, simulate, analyse, render) sees only these objects, never the
YAML. Containers are tuples; mappings are tuples of pairs or read-only views.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as _dt
from dataclasses import dataclass, field
from typing import Optional

from .errors import Position

__all__ = [
    "Month", "Citation", "Factor", "Distribution", "Parameter", "Correlation", "State",
    "Intervention", "Output", "Risk", "Schedule", "SourceRef", "Scenario", "DefiningNumber", "Lint",
]


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; ``Month(2024, 1)`` prints as ``2024-01``."""

    year: int
    month: int  # 1..12

    @classmethod
    def parse(cls, text: str) -> "Month":
        """``"2024-01"`` -> ``Month(2024, 1)``; ValueError outside the calendar (0001-01 to 9999-12)."""
        year, month = str(text).split("-")
        if len(year) != 4 or len(month) != 2 or not (year + month).isascii():
            raise ValueError(text)
        out = cls(int(year), int(month))
        if not 1 <= out.month <= 12 or not out.in_calendar():
            raise ValueError(text)
        return out

    def in_calendar(self) -> bool:
        """Whether the month lies in the calendar the tool dates (years 0001 to 9999)."""
        return 1 <= self.year <= 9999

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def index_from(self, origin: "Month") -> int:
        """Months from ``origin`` to this month (0 for the origin itself)."""
        return (self.year - origin.year) * 12 + (self.month - origin.month)

    def plus(self, months: int) -> "Month":
        k = self.year * 12 + (self.month - 1) + months
        return Month(k // 12, k % 12 + 1)

    def last_day(self) -> _dt.date:
        """The month's last calendar day (``Month(2024, 2).last_day()`` is 2024-02-29)."""
        return _dt.date(self.year, self.month, _calendar.monthrange(self.year, self.month)[1])


@dataclass(frozen=True)
class Citation:
    """A quote from a registered source, verified by ``validate``."""

    source: str  # source id in the registry
    quote: str  # as written in the scenario file
    line: Optional[int] = None  # 1-based line in the source text where the quote was found
    position: Optional[Position] = None  # where the citation stands in the scenario file
    states: tuple = ()  # the numbers the quote states, as read (riskmodel.numbers), in order
    supports: tuple = ()  # the numbers its `states:` names (empty when not given)
    reference: bool = False  # the source is a reference (url, no stored text): recorded, not verified


@dataclass(frozen=True)
class Factor:
    name: str
    title: str
    description: str = ""
    cite: tuple = ()  # tuple[Citation, ...]
    modelled: bool = True  # False: named by the sources, declared qualitative (no number depends on it)
    position: Optional[Position] = None


@dataclass(frozen=True)
class Distribution:
    """A parameter's distribution as written: kind and numeric arguments.

    ``args`` holds the contract's keys that apply to ``kind`` (e.g. ``low``,
    ``mode``, ``high`` for pert; ``ci90`` as a 2-tuple; ``values``/``weights``
    as tuples for discrete).
    """

    kind: str  # normal | lognormal | pert | triangular | uniform | beta | gamma | bernoulli | discrete | constant
    args: tuple = ()  # tuple of (key, value) pairs, in contract order
    bounds: Optional[tuple] = None  # (lo, hi) truncation, either may be None for open

    def arg(self, key: str, default=None):
        return dict(self.args).get(key, default)


@dataclass(frozen=True)
class Parameter:
    name: str
    factor: str
    evidence: str  # cited | derived | judgment
    distribution: Optional[Distribution] = None  # None for derived
    formula: Optional[str] = None  # derived: expression over other parameters
    unit: str = ""
    description: str = ""
    rationale: str = ""
    cite: tuple = ()  # tuple[Citation, ...]
    position: Optional[Position] = None
    title: str = ""
    judgment: tuple = ()  # cited: names of the defining numbers that are the analyst's
    numbers: tuple = ()  # tuple[DefiningNumber, ...]: each defining number and what states it
    element: Optional[str] = None  # of a dimensioned parameter: name is base[element]


@dataclass(frozen=True)
class DefiningNumber:
    """One number that defines a parameter's distribution, and the quote that states it (if any)."""

    key: str  # value | low | mode | high | ci90 | mu | sigma | a | b | shape | scale | p | values
    value: float
    index: Optional[int] = None  # position within ci90 or values; None for a scalar key
    cite: Optional[int] = None  # index into Parameter.cite of the first quote that states it; None: the analyst's

    @property
    def label(self) -> str:
        """``low``, ``ci90[0]``, ``values[2]``."""
        return self.key if self.index is None else f"{self.key}[{self.index}]"


@dataclass(frozen=True)
class Correlation:
    a: str
    b: str
    rho: float  # Spearman rank correlation
    position: Optional[Position] = None


@dataclass(frozen=True)
class State:
    name: str
    factor: str
    update: str  # expression, evaluated every month of the horizon
    init: str = "0"  # expression over parameters: the value in the month before origin
    unit: str = ""
    title: str = ""
    nonnegative: bool = False  # a count or population: a negative value is numerical trouble
    description: str = ""
    position: Optional[Position] = None
    element: Optional[str] = None  # of a dimensioned state: name is base[element]


@dataclass(frozen=True)
class Intervention:
    name: str
    start: "Month"  # `from`, inclusive
    until: Optional["Month"]  # inclusive; None: to the end of the horizon
    set: tuple = ()  # tuple of (parameter name, expression) pairs
    description: str = ""
    position: Optional[Position] = None


@dataclass(frozen=True)
class Output:
    name: str
    state: Optional[str] = None  # per-path aggregate of a state ...
    agg: Optional[str] = None  # end | sum | mean | max | min
    start: Optional["Month"] = None  # `from`, inclusive
    until: Optional["Month"] = None  # inclusive
    expr: Optional[str] = None  # ... or an expression over outputs and parameters
    unit: str = ""
    title: str = ""
    description: str = ""
    position: Optional[Position] = None
    above: Optional[float] = None  # agg: first: the level to exceed (None: non-zero)
    reduce: Optional[str] = None  # over the state's dimension: sum | mean | max | min | any | all
    element: Optional[str] = None  # of a dimensioned output: name is base[element], state is state[element]


@dataclass(frozen=True)
class Schedule:
    """A known input by month, the same on every path; ``points`` are ``(Month, value)`` in month order."""

    name: str
    factor: str
    points: tuple  # ((Month, float), ...)
    interpolate: str = "step"  # step | linear
    evidence: str = "judgment"
    rationale: str = ""
    cite: tuple = ()
    unit: str = ""
    title: str = ""
    description: str = ""
    position: Optional[Position] = None

    def series(self, origin: "Month", n_months: int, points: Optional[tuple] = None):
        """Values for months ``t = 0 .. n_months - 1``: before the first point its value; after the last, the last's."""
        import numpy as np

        pts = sorted(points if points is not None else self.points)
        ts = np.array([m.index_from(origin) for m, _ in pts], dtype=np.float64)
        vs = np.array([v for _, v in pts], dtype=np.float64)
        t = np.arange(n_months, dtype=np.float64)
        if self.interpolate == "linear":
            return np.interp(t, ts, vs)
        k = np.searchsorted(ts, t, side="right") - 1
        return vs[np.clip(k, 0, len(vs) - 1)]


@dataclass(frozen=True)
class Risk:
    id: str
    title: str
    factor: str
    output: str
    threshold: float
    direction: str = "above"  # above: P(output > threshold); below: P(output < threshold)
    description: str = ""
    position: Optional[Position] = None
    element: Optional[str] = None  # of a risk over a dimension: id is base[element]

    def exceeded(self, values):
        """The indicator this risk counts, per path: ``values > threshold`` (above) or ``<`` (below)."""
        return values > self.threshold if self.direction == "above" else values < self.threshold


@dataclass(frozen=True)
class SourceRef:
    """A registered source as the scenario sees it (the registry owns the text)."""

    id: str
    title: str
    publisher: str = ""
    date: str = ""
    url: str = ""
    file: str = ""  # absolute path of the text ("" for a reference)
    sha256: str = ""
    date_not_after: str = ""  # YYYY-MM-DD: an undated text known to be no later than this
    reference: bool = False  # a reference (url, date, no stored text): its quotes are not checked


@dataclass(frozen=True)
class Lint:
    """A warning (``--strict`` makes it an error) or a note about a valid scenario."""

    level: str  # warning | info
    problem: object  # riskmodel.errors.Problem: where, what, hint
    kind: str = ""  # what it is about, for those who group lints ("unused_output"); "" when not named

    def __str__(self) -> str:
        return f"{self.problem} [{self.level}]"


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: everything later stages need, nothing YAML-shaped."""

    name: str
    title: str
    origin: Month
    horizon_months: int
    samples: int
    seed: int
    sampler: str  # mc | lhs | sobol
    description: str = ""
    factors: tuple = ()  # tuple[Factor, ...]
    parameters: tuple = ()  # tuple[Parameter, ...], in file order
    correlations: tuple = ()  # tuple[Correlation, ...]
    states: tuple = ()  # tuple[State, ...], in file order (compile orders them)
    interventions: tuple = ()  # tuple[Intervention, ...]
    outputs: tuple = ()  # tuple[Output, ...]
    risks: tuple = ()  # tuple[Risk, ...]
    dimensions: tuple = ()  # ((dimension, (element, ...)), ...)
    dimensioned: tuple = ()  # ((base name, dimension), ...): parameters, states and outputs with `over`
    schedules: tuple = ()  # tuple[Schedule, ...]
    sources: tuple = ()  # tuple[SourceRef, ...], those the scenario cites
    path: str = ""  # the scenario file as given
    files: tuple = ()  # the extends chain, child first
    sha256: str = ""  # of the merged document after overrides (canonical JSON)
    document: str = field(default="", repr=False)  # canonical JSON of the merged document
    as_of: str = ""  # YYYY-MM-DD: the date the scenario's knowledge stops
    lints: tuple = ()  # tuple[Lint, ...]: warnings and notes validation found (not errors)
    # ((key path, resolved value, value before), ...): the --set overrides applied. Left out of the hash
    # (a value may be a list or a mapping, as `--set ...ci90=[10,90]`); ``sha256`` covers their effect
    overrides: tuple = field(default=(), hash=False)
    file_sha256: tuple = ()  # SHA-256 of each file of ``files`` as bytes on disk (``sha256`` is of no file)
    limitations: tuple = ()  # the model's stated limitations (strings), shown in the report

    def factor(self, name: str) -> Factor:
        return next(f for f in self.factors if f.name == name)

    def parameter(self, name: str) -> Parameter:
        return next(p for p in self.parameters if p.name == name)

    def state(self, name: str) -> State:
        return next(s for s in self.states if s.name == name)

    def output(self, name: str) -> Output:
        return next(o for o in self.outputs if o.name == name)

    @property
    def months(self) -> tuple:
        """Calendar months of the horizon, origin first."""
        return tuple(self.origin.plus(i) for i in range(self.horizon_months))
