"""Validation, evidence section: stated numbers, judgment, quote length, derived inputs, hindsight, lints."""

from __future__ import annotations

import hashlib
import textwrap

import pytest
from typer.testing import CliRunner

from conftest import SOURCE_TEXT, VALID, line_of
from riskmodel.cli import app
from riskmodel.evidence import evidence_summary, parameter_class
from riskmodel.validate import validate
from test_validate import one_problem, problems_of

HINT = "(a cited number must stand in its quote, or list it under judgment with a rationale)"

FIGHTERS = """\
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
"""


def _fighters(new: str) -> str:
    assert FIGHTERS in VALID
    return VALID.replace(FIGHTERS, textwrap.indent(textwrap.dedent(new), "  "), 1)


def test_valid_fixture_is_partly_cited(write):
    s = validate(write(VALID))
    f = s.parameter("fighters")
    assert f.judgment == ("ci90",)
    assert [(n.label, n.value, n.cite) for n in f.numbers] == [("ci90[0]", 700, None), ("ci90[1]", 1500, None)]
    assert f.cite[0].states == (1000.0,)
    assert parameter_class(f) == "partly cited"
    ev = evidence_summary(s)
    assert (ev.fully_cited, ev.partly_cited, ev.derived, ev.judgment, ev.derived_from_cited) == (0, 1, 1, 1, 1)
    assert (ev.verified_citations, ev.reference_citations) == (2, 0)


def test_cited_constant_whose_quote_states_no_number(write):
    text = _fighters("""\
        fighters:
          factor: vacuum
          dist: constant
          value: 999
          evidence: cited
          cite:
            - source: tiny-source
              quote: "risks will likely increase as the mission winds down"
        """)
    path = write(text)
    p = one_problem(path)
    line = line_of(text, "risks will likely increase", 2)
    assert str(p) == (f"{path}:{line}: parameters.fighters.cite[0].quote: states no number; "
                      f"the parameter's value is 999 {HINT}")


def test_ci90_not_stated_needs_judgment(write):
    text = VALID.replace("    judgment: [ci90]\n", "", 1)
    path = write(text)
    p = one_problem(path)
    assert str(p) == (f"{path}:{line_of(text, 'About 1,000 fighters remain')}: parameters.fighters.cite[0].quote: "
                      f"states 1,000; the parameter's ci90[0] is 700, ci90[1] is 1,500 {HINT}")


def test_fully_cited_when_every_number_is_stated(write):
    text = _fighters("""\
        fighters:
          factor: vacuum
          dist: constant
          value: 1000
          evidence: cited
          cite:
            - source: tiny-source
              quote: "About 1,000 fighters remain"
        """)
    s = validate(write(text))
    f = s.parameter("fighters")
    assert parameter_class(f) == "fully cited" and f.numbers[0].cite == 0


def test_stated_number_outside_the_90_range(write):
    text = VALID.replace("ci90: [700, 1500]", "ci90: [1100, 1500]", 1)
    path = write(text)
    p = one_problem(path)
    assert p.key_path == ("parameters", "fighters", "cite", 0, "quote")
    assert p.message == "states 1,000, outside the distribution's 90% range 1,100 – 1,500"
    assert p.position.line == line_of(text, "About 1,000 fighters remain")


def test_judgment_needs_rationale_and_known_names(write):
    text = VALID.replace("    rationale: The source states about 1,000; the interval around it is the analyst's.\n",
                         "", 1)
    p = one_problem(write(text))
    assert p.key_path == ("parameters", "fighters", "judgment")
    assert p.message == "the analyst's numbers are listed but no rationale is given"
    text = VALID.replace("judgment: [ci90]", "judgment: [ci90, lo]", 1)
    p = one_problem(write(text))
    assert p.key_path == ("parameters", "fighters", "judgment", 1)
    assert "'lo' is not a defining number of this lognormal; name one of ci90" == str(p).split(": ", 2)[2]


def test_states_key_is_checked(write):
    text = VALID.replace('quote: "About 1,000 fighters remain"', 'quote: "About 1,000 fighters remain"\n'
                         '        states: 2000', 1)
    path = write(text)
    p = one_problem(path)
    assert p.key_path == ("parameters", "fighters", "cite", 0, "states")
    assert p.message == "the quote does not state 2,000; it states 1,000"
    assert p.position.line == line_of(text, "states: 2000")
    # a stated number outside the distribution, named by states:
    text = VALID.replace('quote: "About 1,000 fighters remain"', 'quote: "About 1,000 fighters remain"\n'
                         '        states: 1000', 1).replace("ci90: [700, 1500]", "ci90: [100, 900]")
    problems = problems_of(write(text))
    assert any(q.key_path == ("parameters", "fighters", "cite", 0, "states")
               and "the stated 1,000 lies outside the distribution's 90% range 100 – 900" in q.message
               for q in problems)


@pytest.mark.parametrize("quote, ok", [("risks", False), ("the mission", False), (".", False),
                                       ("1,000 fighters", True), ("risks will likely", True)])
def test_a_quote_says_something(write, quote, ok):
    text = VALID.replace('quote: "risks will likely increase as the mission winds down"', f'quote: "{quote}"', 1)
    path = write(text)
    if ok:
        validate(path)
        return
    p = one_problem(path)
    assert p.key_path == ("factors", "vacuum", "cite", 0, "quote")
    assert p.position.line == line_of(text, f'quote: "{quote}"')
    assert p.message.startswith(f"quote {quote!r} is too short to cite")


def test_derived_formula_of_constants_only(write):
    text = VALID.replace('formula: "fighters / 5"', 'formula: "42"', 1)
    path = write(text)
    problems = problems_of(path)
    p = next(q for q in problems if q.key_path == ("parameters", "per_region", "formula"))
    assert p.message == "the formula names no parameter, so its number has no support"
    assert "`cited`" in p.hint and "`judgment`" in p.hint
    assert p.position.line == line_of(text, 'formula: "42"')


# ---- hindsight ---------------------------------------------------------------------------------------------


def _registry(folder, entries: str):
    src = folder / "sources"
    data = SOURCE_TEXT.encode("utf-8")
    (src / "tiny.txt").write_bytes(data)
    (src / "registry.yaml").write_text(textwrap.dedent(f"""\
        schema: riskmodel-sources/1
        sources:
          - id: tiny-source
            title: A tiny source
            file: tiny.txt
            sha256: {hashlib.sha256(data).hexdigest()}
        """) + entries, encoding="utf-8")


def test_hindsight_source_dated_after_as_of(write, scenario_dir):
    _registry(scenario_dir, "    date: 2024-01-10\n")
    path = write(VALID)
    problems = problems_of(path)
    assert len(problems) == 2  # the factor's cite and the parameter's
    p = problems[0]
    assert p.key_path == ("factors", "vacuum", "cite", 0, "source")
    assert str(p).split(": ", 2)[2] == ("source 'tiny-source' is dated 2024-01-10, after the scenario's as_of "
                                        "2023-12-31; cite only what was known by as_of (no hindsight), or set "
                                        "`as_of:` to a later day")
    assert p.position.line == line_of(VALID, "- source: tiny-source")
    # moving as_of after the source's date makes it pass
    s = validate(write(VALID.replace("origin: 2024-01", "origin: 2024-01\nas_of: 2024-01-15")))
    assert s.as_of == "2024-01-15"
    # so does moving the origin
    assert validate(write(VALID.replace("origin: 2024-01", "origin: 2024-02"))).as_of == "2024-01-31"


def test_hindsight_undated_and_date_not_after(write, scenario_dir):
    s = validate(write(VALID))
    undated = [x for x in s.lints if "undated" in x.problem.message]
    assert len(undated) == 1 and undated[0].level == "warning"
    assert undated[0].problem.key_path == ("factors", "vacuum", "cite", 0, "source")
    _registry(scenario_dir, "    date_not_after: 2023-11-30\n")
    assert not [x for x in validate(write(VALID)).lints if "tiny-source" in x.problem.message]
    _registry(scenario_dir, "    date_not_after: 2024-03-01\n")
    (w,) = [x for x in validate(write(VALID)).lints if "tiny-source" in x.problem.message]
    assert w.problem.message == ("source 'tiny-source' is undated and known only to be no later than 2024-03-01, "
                                 "after the scenario's as_of 2023-12-31")
    _registry(scenario_dir, "    date: 2024-01\n")  # a month that straddles as_of 2024-01-15
    text = VALID.replace("origin: 2024-01", "origin: 2024-01\nas_of: 2024-01-15")
    (w,) = [x for x in validate(write(text)).lints if "tiny-source" in x.problem.message]
    assert "may be after" in w.problem.message


def test_reference_source_recorded_not_verified(write, scenario_dir):
    _registry(scenario_dir, "    date: 2023-06-01\n  - id: ref\n    title: A reference\n    publisher: Someone\n"
                            "    date: 2023-11-30\n    url: https://example.org/a\n")
    q = 'quote: "risks will likely increase as the mission winds down"'
    text = VALID.replace(q, q + '\n      - source: ref\n        quote: "a figure no stored text holds: 42 events"', 1)
    s = validate(write(text))
    c = s.factor("vacuum").cite[1]
    assert c.reference and c.line is None and c.states == (42.0,)
    assert [r.id for r in s.sources if r.reference] == ["ref"]
    ev = evidence_summary(s)
    assert (ev.verified_citations, ev.reference_citations) == (2, 1)


# ---- lints -------------------------------------------------------------------------------------------------

LINT_TEXT = (VALID
             .replace("factors:\n", "factors:\n  idle:\n    title: Nothing attached\n", 1)
             .replace("  - id: many_attacks", "  - id: ever\n    title: Ever\n    factor: vacuum\n"
                      "    output: flag_end\n    threshold: 1\n  - id: many_attacks", 1)
             .replace("  total:\n", "  flag:\n    factor: vacuum\n    update: \"max(prev, total > 5)\"\n  total:\n", 1)
             .replace("  per_month:", "  flag_end: {state: flag, agg: max}\n  per_month:", 1)
             .replace("  rate:\n", "  spare:\n    factor: vacuum\n    dist: constant\n    value: 3\n"
                      "    evidence: judgment\n    rationale: Unused on purpose.\n  rate:\n", 1))


def test_lints(write):
    path = write(LINT_TEXT)
    s = validate(path)
    got = {(x.level, x.problem.key_path, x.problem.message) for x in s.lints if "undated" not in x.problem.message}
    assert got == {
        ("warning", ("factors", "idle"), "factor 'idle' is modelled but has no parameter, state or risk"),
        ("warning", ("factors", "idle"), "factor 'idle' cites no source"),
        ("warning", ("parameters", "spare"), "parameter 'spare' is not used by any state, output, intervention or "
                                             "formula"),
        ("info", ("outputs", "per_month"), "output 'per_month' is used by no risk or output"),
        ("warning", ("parameters", "per_region"), "parameter 'per_region' is not used by any state, output, "
                                                  "intervention or formula"),
        ("warning", ("risks", 0, "threshold"), "output 'flag_end' is 0 or 1, so a threshold of 1 (above) is never "
                                               "crossed"),
    }
    lines = {x.problem.key_path: x.problem.position.line for x in s.lints}
    assert lines[("parameters", "spare")] == line_of(LINT_TEXT, "  spare:")
    assert lines[("risks", 0, "threshold")] == line_of(LINT_TEXT, "threshold: 1")


def test_validate_prints_counts_and_warnings_strict_exits_2(write, scenario_dir):
    path = write(LINT_TEXT)
    r = CliRunner().invoke(app, ["validate", str(path)])
    assert r.exit_code == 0, r.output
    assert ("4 parameters: 0 fully cited, 1 partly cited, 1 derived (1 from cited inputs only), 2 judgment; "
            "2 quotes verified in stored texts, 0 quoted from references, not checked") in " ".join(r.output.split())
    assert f"  warning: {path}:{line_of(LINT_TEXT, '  spare:')}: parameters.spare: parameter 'spare' is not used" in r.output
    assert "  info: " in r.output
    r = CliRunner().invoke(app, ["validate", "--strict", str(path)])
    assert r.exit_code == 2
    assert "Traceback" not in r.output
    # notes (info) alone do not fail --strict: a dated source, every parameter used
    _registry(scenario_dir, "    date: 2023-06-01\n")
    text = VALID.replace('update: "poisson(rate)"', 'update: "poisson(rate + 0 * per_region)"', 1)
    r = CliRunner().invoke(app, ["validate", "--strict", str(write(text))])
    assert r.exit_code == 0, r.output
    assert "  info: " in r.output and "  warning: " not in r.output and "; 0 warnings" in r.output


def test_cli_exit_2_on_unstated_constant(write):
    text = VALID.replace("    judgment: [ci90]\n", "", 1)
    r = CliRunner().invoke(app, ["validate", str(write(text))])
    assert r.exit_code == 2 and "parameters.fighters.cite[0].quote: states 1,000" in r.output


def test_validate_fits_80_columns_and_gathers_the_notes_on_outputs_kept_for_figures():
    """validate printed the baseline's summary on one line of 300 characters and ten notes of 170 saying, output by
    output, that each is used by no risk ("fine for a figure of interest"); the notes are now one wrapped line
    that names each output with its line, and the summary wraps at the terminal's width."""
    from pathlib import Path

    from riskmodel.validate import validate

    path = Path(__file__).resolve().parents[1] / "scenarios" / "mali" / "baseline.yaml"
    notes = [x for x in validate(path).lints if x.level == "info"]
    assert len(notes) == 10
    r = CliRunner().invoke(app, ["validate", str(path)], env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert all(len(line) <= 80 for line in lines), r.output
    assert sum(line.startswith("  info: ") for line in lines) == 1
    flat = " ".join(r.output.split())
    assert "info: 10 outputs are used by no risk or output" in flat
    for x in notes:
        assert f"{x.problem.key_path[-1]}:{x.problem.position.line}" in flat
