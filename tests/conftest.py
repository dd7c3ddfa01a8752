"""Small inline fixtures shared by the tests: a tiny source registry and a valid scenario."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SOURCE_TEXT = (
    "The mission will leave by the end of December 2023.\n"
    "Experts warn that risks will likely increase as the mission winds down.\n"
    "About 1,000 fighters remain, and the parties were urged \u00e2\u20ac\u0153to keep the ceasefire\u201d.\n"
)  # the last line carries mojibake as real web text does: a left quote read as cp1252

VALID = textwrap.dedent("""\
    schema: riskmodel/1
    name: tiny
    title: Tiny scenario
    origin: 2024-01
    horizon_months: 12
    samples: 1000
    seed: 1
    sources: sources/registry.yaml
    factors:
      vacuum:
        title: Security vacuum
        cite:
          - source: tiny-source
            quote: "risks will likely increase as the mission winds down"
    parameters:
      fighters:
        factor: vacuum
        dist: lognormal
        ci90: [700, 1500]
        judgment: [ci90]
        rationale: The source states about 1,000; the interval around it is the analyst's.
        evidence: cited
        cite:
          - source: tiny-source
            quote: "About 1,000 fighters remain"
      rate:
        factor: vacuum
        dist: pert
        low: 1.0
        mode: 2.0
        high: 4.0
        evidence: judgment
        rationale: No source gives a rate.
      per_region:
        factor: vacuum
        evidence: derived
        formula: "fighters / 5"
    states:
      attacks:
        factor: vacuum
        update: "poisson(rate)"
      total:
        factor: vacuum
        update: "prev + attacks"
    interventions:
      - name: force
        from: 2024-06
        until: 2024-09
        set: {rate: "rate * 0.5"}
    outputs:
      total_end: {state: total, agg: end}
      attacks_h2: {state: attacks, agg: sum, from: 2024-07, until: 2024-12}
      per_month: {expr: "attacks_h2 / 6"}
    risks:
      - id: many_attacks
        title: More than 30 attacks in the year
        factor: vacuum
        output: total_end
        threshold: 30
    """)


def write_registry(folder: Path, text: str = SOURCE_TEXT) -> Path:
    """A registry with one source, written under folder/sources/."""
    src = folder / "sources"
    src.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    (src / "tiny.txt").write_bytes(data)
    registry = src / "registry.yaml"
    registry.write_text(textwrap.dedent(f"""\
        schema: riskmodel-sources/1
        sources:
          - id: tiny-source
            title: A tiny source
            file: tiny.txt
            sha256: {hashlib.sha256(data).hexdigest()}
        """), encoding="utf-8")
    return registry


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing needle (how a test states its expected line)."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[occurrence - 1]


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    write_registry(tmp_path)
    return tmp_path


@pytest.fixture
def write(scenario_dir: Path):
    def _write(text: str, name: str = "s.yaml") -> Path:
        path = scenario_dir / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write
