"""Outcomes files: the shape, every mistake with its exact line and key path."""

from __future__ import annotations

import json
import textwrap

import pytest

from conftest import VALID, line_of
from riskmodel.errors import ScenarioError
from riskmodel.model import Month
from riskmodel.outcomes import OUTCOMES_SCHEMA_ID, json_schema, load_outcomes

OUTCOMES = textwrap.dedent("""\
    schema: riskmodel-outcomes/1
    scenario: s.yaml
    sources: sources/registry.yaml
    title: Tiny outcomes
    climatology:
      many_attacks: 0.4
    observations:
      - risk: many_attacks
        happened: true
        date: 2024-12
        cite:
          - source: tiny-source
            quote: "risks will likely increase"
      - output: total_end
        value: 25
        date: 2024-12
        url: https://example.org/synthetic
        note: synthetic, for the test
      - output: per_month
        value: 1.5
        cite: [{source: tiny-source, quote: "About 1,000 fighters remain"}]
    """)


@pytest.fixture
def files(write):
    """Write the tiny scenario and an outcomes text beside it; return the outcomes path."""

    def _files(outcomes: str = OUTCOMES, scenario: str = VALID):
        write(scenario, "s.yaml")
        return write(outcomes, "o.yaml")

    return _files


def problems_of(path):
    with pytest.raises(ScenarioError) as err:
        load_outcomes(path)
    return err.value.problems


def one_problem(path):
    problems = problems_of(path)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_valid_file_loads(files):
    out = load_outcomes(files())
    assert out.title == "Tiny outcomes" and out.climatology == (("many_attacks", 0.4),)
    (b,) = out.binary
    assert b.risk == "many_attacks" and b.happened is True and b.date == Month(2024, 12)
    assert b.cite[0].source == "tiny-source" and b.cite[0].line == 2  # the quote stands on line 2 of the text
    assert b.position.line == line_of(OUTCOMES, "- risk: many_attacks")
    assert [(n.output, n.value) for n in out.numeric] == [("total_end", 25.0), ("per_month", 1.5)]
    assert out.numeric[0].url == "https://example.org/synthetic" and out.numeric[0].note == "synthetic, for the test"
    assert out.numeric[1].date is None and out.numeric[1].cite[0].line == 3
    assert out.scenario.name == "tiny" and out.scenario_path.endswith("s.yaml")
    assert [s["id"] for s in out.sources] == ["tiny-source"] and len(out.sha256) == 64


# (label, text replaced in OUTCOMES, replacement, line: the line holding this needle, key path, message fragment)
CASES = [
    ("unknown risk", "- risk: many_attacks", "- risk: many_attack", "- risk: many_attack",
     "observations[0].risk", "unknown risk 'many_attack'; did you mean 'many_attacks'?"),
    ("unknown output", "- output: total_end", "- output: totl_end", "- output: totl_end",
     "observations[1].output", "unknown output 'totl_end'; did you mean 'total_end'?"),
    ("unknown output, no close name", "- output: per_month", "- output: casualties", "- output: casualties",
     "observations[2].output",
     "unknown output 'casualties'; outputs of the scenario: total_end, attacks_h2, per_month"),
    ("unknown observation key", "    happened: true", "    happend: true", "happend: true",
     "observations[0].happend", "unknown key 'happend'; did you mean 'happened'?"),
    ("unknown top-level key", "title: Tiny outcomes", "titel: Tiny outcomes", "titel:",
     "titel", "unknown key 'titel'; did you mean 'title'?"),
    ("misspelt required top-level key", "scenario: s.yaml", "scenari: s.yaml", "scenari:",
     "scenari", "unknown key 'scenari'; did you mean 'scenario'?"),
    ("unknown cite key", 'quote: "risks will likely increase"', 'qoute: "risks will likely increase"', "qoute:",
     "observations[0].cite[0].qoute", "unknown key 'qoute'; did you mean 'quote'?"),
    ("a numeric key in a binary observation", "    happened: true", "    happened: true\n    value: 3", "value: 3",
     "observations[0].value", "'value' belongs to a numeric observation"),
    ("quote not in the source", 'quote: "risks will likely increase"', 'quote: "risks will surely increase"',
     "risks will surely increase", "observations[0].cite[0].quote",
     "quote not found in 'tiny-source'; closest passage: \"risks will likely increase\" (line 2)"),
    ("unknown source", "  - source: tiny-source", "  - source: tiny-sorce", "tiny-sorce",
     "observations[0].cite[0].source", "unknown source 'tiny-sorce'; did you mean 'tiny-source'?"),
    ("happened not a boolean", "happened: true", "happened: yes", "happened: yes",
     "observations[0].happened", "must be true or false, got 'yes'"),
    ("value not a number", "value: 25", "value: many", "value: many",
     "observations[1].value", "must be a number, got 'many'"),
    ("date not a month", "    date: 2024-12\n    cite:", "    date: 2024-13\n    cite:", "date: 2024-13",
     "observations[0].date", "'2024-13' is not a month; write YYYY-MM"),
    ("date a day", "    date: 2024-12\n    cite:", "    date: 2024-12-05\n    cite:", "date: 2024-12-05",
     "observations[0].date", "2024-12-05 is a day, not a month; write 2024-12"),
    ("missing date", "    date: 2024-12\n    cite:", "    cite:", "- risk: many_attacks",
     "observations[0].date", "required key missing; add `date:`"),
    ("wrong schema", "schema: riskmodel-outcomes/1", "schema: riskmodel-outcome/1", "schema:",
     "schema", "'riskmodel-outcome/1' is not allowed"),
    ("url not a web address", "url: https://example.org/synthetic", "url: example.org/synthetic", "url:",
     "observations[1].url", "'example.org/synthetic' is not a web address"),
    ("url without a note", "    note: synthetic, for the test\n", "", "url:",
     "observations[1].url", "a url needs a note"),
    ("no evidence", "    url: https://example.org/synthetic\n    note: synthetic, for the test\n", "",
     "- output: total_end", "observations[1]", "an observation needs evidence"),
    ("climatology of an unknown risk", "  many_attacks: 0.4", "  many_attacks: 0.4\n  few_attacks: 0.1",
     "few_attacks: 0.1", "climatology.few_attacks", "unknown risk 'few_attacks'"),
    ("climatology not a probability", "many_attacks: 0.4", "many_attacks: 1.0", "many_attacks: 1.0",
     "climatology.many_attacks", "1.0 is not a probability strictly between 0 and 1"),
    ("scenario file missing", "scenario: s.yaml", "scenario: nothere.yaml", "scenario:",
     "scenario", "scenario file 'nothere.yaml' not found"),
    ("neither risk nor output", "  - risk: many_attacks\n    happened: true", "  - happened_to: x",
     "- happened_to: x", "observations[0]", "an observation must name a `risk` (binary) or an `output` (numeric)"),
]


@pytest.mark.parametrize("label, old, new, needle, key_path, message", CASES, ids=[c[0] for c in CASES])
def test_error_class(files, label, old, new, needle, key_path, message):
    assert old in OUTCOMES, label
    text = OUTCOMES.replace(old, new, 1)
    path = files(text)
    problems = problems_of(path)
    assert len(problems) == 1, "\n".join(map(str, problems))
    got = str(problems[0])
    assert got.startswith(f"{path}:{line_of(text, needle)}: {key_path}: "), got
    assert message in got, got


def test_climatology_covers_every_observed_risk_or_none(files):
    scenario = VALID + textwrap.indent(textwrap.dedent("""\
        - id: calm
          title: Fewer than 5 attacks in the second half
          factor: vacuum
          output: attacks_h2
          threshold: 5
          direction: below
        """), "  ")
    text = OUTCOMES.replace("  - output: total_end", "  - risk: calm\n    happened: false\n    date: 2024-12\n"
                                                      "    url: https://example.org/x\n    note: synthetic\n"
                                                      "  - output: total_end")
    problem = one_problem(files(text, scenario))
    assert str(problem).startswith(f"{problem.position.file}:{line_of(text, 'climatology:')}: climatology: "
                                   "no base rate for risk 'calm', which is observed; add `calm: <probability>`")


def test_duplicate_observation_names_the_first_line(files):
    text = OUTCOMES.replace("  - output: per_month", "  - output: total_end")
    problem = one_problem(files(text))
    assert str(problem).startswith(f"{problem.position.file}:{line_of(text, '- output: total_end', 2)}: "
                                   "observations[2].output: output 'total_end' is observed twice (first at line "
                                   f"{line_of(text, '- output: total_end')})")


def test_every_mistake_reported_at_once(files):
    text = (OUTCOMES.replace("- risk: many_attacks", "- risk: many_attack")
            .replace("- output: total_end", "- output: totl_end")
            .replace('quote: "About 1,000 fighters remain"', 'quote: "About 2,000 fighters remain"')
            .replace("title: Tiny outcomes", "titel: Tiny outcomes"))
    problems = problems_of(files(text))
    keys = [p.key_path for p in problems]
    assert keys == [("titel",), ("observations", 0, "risk"), ("observations", 1, "output"),
                    ("observations", 2, "cite", 0, "quote")], "\n".join(map(str, problems))


def test_cites_without_a_registry(files):
    text = OUTCOMES.replace("sources: sources/registry.yaml\n", "")
    problem = one_problem(files(text))
    assert str(problem).startswith(f"{problem.position.file}:{line_of(text, 'cite:')}: observations[0].cite: "
                                   "quotes are cited but the file names no source registry")


def test_scenario_errors_reported_with_the_outcomes_errors(files):
    path = files(OUTCOMES.replace("title: Tiny outcomes", "titel: x"), scenario=VALID.replace("mode: 2.0", "mode: 9.0"))
    problems = problems_of(path)
    assert {p.position.file.rsplit("/", 1)[-1] for p in problems} == {"s.yaml", "o.yaml"}


def test_scenario_file_given_as_outcomes(files, scenario_dir):
    files()
    problem = one_problem(scenario_dir / "s.yaml")
    assert "this is a scenario file, not an outcomes file" in str(problem)
    assert "riskmodel backtest SCENARIO OUTCOMES" in problem.hint


def test_another_scenario_may_be_scored(files, write):
    path = files()
    variant = write(VALID.replace("name: tiny", "name: tiny-variant"), "v.yaml")
    out = load_outcomes(path, variant)
    assert out.scenario.name == "tiny-variant" and out.scenario_path.endswith("s.yaml")


def test_json_schema_describes_the_file():
    schema = json.loads(json_schema())
    assert schema["properties"]["schema"]["const"] == OUTCOMES_SCHEMA_ID
    assert schema["required"] == ["schema", "scenario", "observations"]
    kinds = {ref["$ref"].rsplit("/", 1)[-1] for ref in schema["properties"]["observations"]["items"]["anyOf"]}
    assert kinds == {"BinaryObservationModel", "NumericObservationModel"}
    assert schema["$defs"]["BinaryObservationModel"]["additionalProperties"] is False


# ---- no hindsight in outcomes: as_of and the risk's window (the tiny scenario: origin 2024-01, 12 months,
# as_of 2023-12-31 by default; many_attacks scores total_end, whose window is the whole horizon) ------------------

@pytest.mark.parametrize("label, old, new, message", [
    ("observed before as_of", "value: 25\n    date: 2024-12", "value: 25\n    date: 2023-12",
     "observed 2023-12, not after the scenario's as_of 2023-12-31"),
    ("did not happen, window still open", "happened: true\n    date: 2024-12", "happened: false\n    date: 2024-06",
     "\"did not happen\" dated 2024-06, before the risk's window closes (2024-12)"),
    ("happened outside the window", "happened: true\n    date: 2024-12", "happened: true\n    date: 2025-02",
     "\"happened\" dated 2025-02, outside the risk's window 2024-01 to 2024-12"),
])
def test_outcome_date_rules(files, label, old, new, message):
    assert old in OUTCOMES
    text = OUTCOMES.replace(old, new, 1)
    p = one_problem(files(text))
    assert p.message == message
    assert p.key_path[-1] == "date"
    assert p.position.line == line_of(text, new.split("\n")[-1].strip())


def test_outcome_dates_that_are_known(files):
    # "did not happen" at the window's close, "happened" inside it, a numeric value after as_of
    text = OUTCOMES.replace("happened: true\n    date: 2024-12", "happened: false\n    date: 2024-12", 1)
    assert load_outcomes(files(text)).binary[0].happened is False
    text = OUTCOMES.replace("happened: true\n    date: 2024-12", "happened: true\n    date: 2024-01", 1)
    assert load_outcomes(files(text)).binary[0].date == Month(2024, 1)
