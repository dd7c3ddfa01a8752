"""What each parameter's numbers rest on: the evidence summary of a validated scenario.

Works on the frozen :class:`~riskmodel.model.Scenario` alone (validate has
already read each quote's numbers into ``Parameter.numbers``), so the CLI,
the report and a notebook count the same way.

Classes
-------
- ``fully cited``: cited, and every defining number is stated by a quote;
- ``partly cited``: cited, with some defining numbers the analyst's
  (``judgment: [...]``), e.g. a stated centre with a judgment spread;
- ``derived``: computed by a formula; *from cited* when every input (followed
  through other derived parameters) is fully or partly cited, *rests on
  judgment* when any input is judgment;
- ``judgment``: the analyst's call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["EvidenceSummary", "parameter_class", "derived_inputs", "evidence_summary", "CLASSES"]

CLASSES = ("fully cited", "partly cited", "derived", "judgment")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class EvidenceSummary:
    """Counts of parameters by class, and of citations by how they were checked."""

    fully_cited: int
    partly_cited: int
    derived: int
    judgment: int
    derived_from_cited: int  # derived parameters whose inputs are all cited
    verified_citations: int  # quotes found in a stored text
    reference_citations: int  # quotes from references (url, no stored text): recorded, not checked

    @property
    def total(self) -> int:
        return self.fully_cited + self.partly_cited + self.derived + self.judgment

    def counts(self) -> dict:
        return {"fully cited": self.fully_cited, "partly cited": self.partly_cited, "derived": self.derived,
                "judgment": self.judgment}

    def sentence(self) -> str:
        """One line, as ``riskmodel validate`` prints it."""
        return (f"{self.total} parameters: {self.fully_cited} fully cited, {self.partly_cited} partly cited, "
                f"{self.derived} derived ({self.derived_from_cited} from cited inputs only), {self.judgment} "
                f"judgment; {self.verified_citations} quotes verified in stored texts, "
                f"{self.reference_citations} quoted from references, not checked")


def parameter_class(p) -> str:
    """``fully cited``, ``partly cited``, ``derived`` or ``judgment``."""
    if p.evidence == "cited":
        unstated = [n for n in p.numbers if n.cite is None]
        return "partly cited" if unstated or p.judgment else "fully cited"
    return p.evidence


def derived_inputs(scenario, p) -> tuple:
    """The parameters a derived parameter's formula names, in the order written."""
    if not p.formula:
        return ()
    names = {q.name for q in scenario.parameters}
    return tuple(dict.fromkeys(n for n in _NAME_RE.findall(p.formula) if n in names and n != p.name))


def rests_on(scenario, p, _seen=None) -> dict:
    """For a derived parameter: its non-derived inputs (followed through derived ones) by class."""
    seen = set() if _seen is None else _seen
    out: dict = {}
    for name in derived_inputs(scenario, p):
        if name in seen:
            continue
        seen.add(name)
        q = scenario.parameter(name)
        if q.evidence == "derived":
            for cls, names in rests_on(scenario, q, seen).items():
                out.setdefault(cls, []).extend(names)
        else:
            out.setdefault(parameter_class(q), []).append(name)
    return out


def evidence_summary(scenario) -> EvidenceSummary:
    """Count a scenario's parameters by class and its citations by how they were checked."""
    classes = [parameter_class(p) for p in scenario.parameters]
    derived_cited = sum(1 for p in scenario.parameters
                        if p.evidence == "derived" and "judgment" not in rests_on(scenario, p))
    cites = [c for f in scenario.factors for c in f.cite] + [c for p in scenario.parameters for c in p.cite]
    return EvidenceSummary(
        fully_cited=classes.count("fully cited"), partly_cited=classes.count("partly cited"),
        derived=classes.count("derived"), judgment=classes.count("judgment"), derived_from_cited=derived_cited,
        verified_citations=sum(1 for c in cites if not c.reference and c.line is not None),
        reference_citations=sum(1 for c in cites if c.reference),
    )
