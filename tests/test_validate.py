"""Validation: one test per error class, each with its exact line and key path."""

from __future__ import annotations

import pytest

from conftest import VALID, line_of
from riskmodel.errors import ScenarioError
from riskmodel.validate import validate


def problems_of(path, overrides=()):
    with pytest.raises(ScenarioError) as err:
        validate(path, overrides=overrides)
    return err.value.problems


def one_problem(path, overrides=()):
    problems = problems_of(path, overrides)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_valid_file_builds_the_model(write):
    scenario = validate(write(VALID))
    assert scenario.name == "tiny" and str(scenario.origin) == "2024-01" and scenario.horizon_months == 12
    assert [p.name for p in scenario.parameters] == ["fighters", "rate", "per_region"]
    assert [p.evidence for p in scenario.parameters] == ["cited", "judgment", "derived"]
    fighters = scenario.parameter("fighters")
    assert fighters.distribution.kind == "lognormal" and fighters.distribution.arg("ci90") == (700.0, 1500.0)
    assert fighters.cite[0].line == 3  # "About 1,000 fighters remain" stands on line 3 of the source
    assert scenario.factor("vacuum").cite[0].line == 2
    assert [s.name for s in scenario.states] == ["attacks", "total"]
    assert scenario.interventions[0].set == (("rate", "rate * 0.5"),)
    assert str(scenario.months[-1]) == "2024-12"
    assert len(scenario.sha256) == 64 and scenario.sources[0].id == "tiny-source"


# (label, text replaced in VALID, replacement, line expected: the line holding this needle, key path, message fragment)
CASES = [
    ("wrong type", "samples: 1000", "samples: lots", "samples: lots", ("samples",), "must be a whole number, got 'lots'"),
    ("choice", "seed: 1\n", "seed: 1\nsampler: sobel\n", "sampler: sobel", ("sampler",),
     "'sobel' is not allowed; did you mean 'sobol'?"),
    ("unknown key", "    dist: lognormal\n", "    dist: lognormal\n    unit_x: fighters\n", "unit_x", ("parameters", "fighters", "unit_x"),
     "unknown key 'unit_x'; did you mean 'unit'?"),
    ("missing key", "  per_region:\n    factor: vacuum\n", "  per_region:\n", "  per_region:",
     ("parameters", "per_region", "factor"), "required key missing"),
    ("month", "origin: 2024-01", "origin: 2024-13", "origin: 2024-13", ("origin",), "'2024-13' is not a month"),
    ("pert order", "mode: 2.0", "mode: 5.0", "mode: 5.0", ("parameters", "rate", "mode"), "mode"),
    ("ci90 order", "ci90: [700, 1500]", "ci90: [1500, 700]", "ci90: [1500, 700]", ("parameters", "fighters", "ci90"),
     "ci90"),
    ("lognormal positive", "ci90: [700, 1500]", "ci90: [-5, 1500]", "ci90: [-5, 1500]",
     ("parameters", "fighters", "ci90"), "positive"),
    ("cited without quote", "    evidence: cited\n    cite:\n      - source: tiny-source\n"
     "        quote: \"About 1,000 fighters remain\"\n", "    evidence: cited\n", "  fighters:",
     ("parameters", "fighters"), "evidence is cited but no quote is given"),
    ("judgment without rationale", "    rationale: No source gives a rate.\n", "", "  rate:", ("parameters", "rate"),
     "evidence is judgment but no rationale"),
    ("derived without formula", "    formula: \"fighters / 5\"\n", "", "  per_region:", ("parameters", "per_region"),
     "a derived parameter needs `formula`"),
    ("unknown factor", "  attacks:\n    factor: vacuum", "  attacks:\n    factor: vacum", "factor: vacum",
     ("states", "attacks", "factor"), "unknown factor 'vacum'; did you mean 'vacuum'?"),
    ("unknown name in expression", "poisson(rate)", "poisson(rte)", "poisson(rte)", ("states", "attacks", "update"),
     "unknown name 'rte' in 'poisson(rte)'; did you mean 'rate'?"),
    ("forbidden expression", "fighters / 5", "fighters.real", "fighters.real", ("parameters", "per_region", "formula"),
     "attribute"),
    ("state cycle", "prev + attacks", "prev + attacks + total", "prev + attacks + total",
     ("states", "total", "update"), "cycle"),
    ("unknown output in risk", "output: total_end", "output: total_ned", "output: total_ned", ("risks", 0, "output"),
     "unknown output 'total_ned'; did you mean 'total_end'?"),
    ("quote not found", "quote: \"About 1,000 fighters remain\"", "quote: \"About 2,000 fighters remain\"",
     "About 2,000 fighters", ("parameters", "fighters", "cite", 0, "quote"), "quote not found in 'tiny-source'"),
    ("unknown source", "- source: tiny-source\n        quote: \"About", "- source: tiny-sauce\n        quote: \"About",
     "tiny-sauce", ("parameters", "fighters", "cite", 0, "source"),
     "unknown source 'tiny-sauce'; did you mean 'tiny-source'?"),
    ("window order", "until: 2024-09", "until: 2024-03", "until: 2024-03", ("interventions", 0, "until"), "before from"),
    ("intervention sets unknown", "set: {rate: \"rate * 0.5\"}", "set: {rat: \"rate * 0.5\"}", "set: {rat",
     ("interventions", 0, "set", "rat"), "unknown parameter 'rat'"),
    ("window after horizon", "from: 2024-06\n    until: 2024-09", "from: 2026-06\n    until: 2026-09", "from: 2026-06", ("interventions", 0, "from"),
     "after the horizon ends (2024-12)"),
    ("reserved name", "  total_end: {state: total, agg: end}", "  total_end: {state: total, agg: end}\n  t: {state: total, agg: max}",
     "  t: {state", ("outputs", "t"), "reserved"),
    ("random draw in formula", "fighters / 5", "poisson(fighters)", "poisson(fighters)",
     ("parameters", "per_region", "formula"), "random draw poisson() is not allowed"),
]


@pytest.mark.parametrize("label, old, new, needle, key_path, message", CASES, ids=[c[0] for c in CASES])
def test_error_class(write, label, old, new, needle, key_path, message):
    assert old in VALID
    text = VALID.replace(old, new, 1)
    path = write(text)
    problem = one_problem(path)
    assert problem.key_path == key_path
    assert message in str(problem)
    assert problem.position.file == str(path)
    assert problem.position.line == line_of(text, needle)


def test_quote_problem_lines(write):
    text = VALID.replace("About 1,000 fighters remain\"", "About 2,000 fighters remain\"", 1)
    problem = one_problem(write(text))
    assert problem.position.line == line_of(text, "About 2,000 fighters remain")
    assert "About 1,000 fighters remain" in problem.hint  # the suggestion holds the right passage


def test_three_mistakes_reported_together(write):
    text = (VALID.replace("mode: 2.0", "mode: 9.0")
            .replace("poisson(rate)", "poisson(rat)")
            .replace("threshold: 30", "threshold: thirty"))
    path = write(text)
    problems = problems_of(path)
    assert [(p.position.line, p.key_path) for p in problems] == [
        (line_of(text, "mode: 9.0"), ("parameters", "rate", "mode")),
        (line_of(text, "poisson(rat)"), ("states", "attacks", "update")),
        (line_of(text, "threshold: thirty"), ("risks", 0, "threshold")),
    ]
    assert str(problems[2]) == f"{path}:{line_of(text, 'threshold: thirty')}: risks[0].threshold: must be a number, got 'thirty'"


def test_error_in_parent_file_is_reported_in_the_parent(write):
    parent_text = VALID.replace("mode: 2.0", "mode: 9.0")
    write(parent_text)
    child = write("extends: s.yaml\nname: child\n", "child.yaml")
    problem = one_problem(child)
    assert problem.position.file.endswith("s.yaml")
    assert problem.position.line == line_of(parent_text, "mode: 9.0")


def test_error_in_child_file_is_reported_in_the_child(write):
    write(VALID)
    child_text = "extends: s.yaml\nname: child\nparameters:\n  rate:\n    high: 0.5\n"
    child = write(child_text, "child.yaml")
    problem = one_problem(child)
    assert problem.position.file.endswith("child.yaml") and problem.position.line == 5
    assert problem.key_path[:2] == ("parameters", "rate")


def test_bad_set_value_reported_like_file_content(write):
    problem = one_problem(write(VALID), ["parameters.rate.mode=abc"])
    assert str(problem).startswith("--set parameters.rate.mode=abc: parameters.rate.mode: must be a number, got 'abc'")


def test_correlations(write):
    text = VALID.replace("states:\n", "correlations:\n  - [fighters, rate, 1.5]\n  - [fighters, per_region, 0.2]\nstates:\n", 1)
    problems = problems_of(write(text))
    messages = [str(p) for p in problems]
    assert any("correlation 1.5 is outside [-1, 1]" in m for m in messages)
    assert any("'per_region' is not sampled" in m for m in messages)
    assert all(p.key_path[0] == "correlations" for p in problems)


def test_correlation_matrix_not_positive_definite(write):
    text = VALID.replace("  per_region:\n    factor: vacuum\n    evidence: derived\n    formula: \"fighters / 5\"\n",
                         "  third:\n    factor: vacuum\n    dist: uniform\n    low: 0\n    high: 1\n"
                         "    evidence: judgment\n    rationale: test\n", 1)
    text = text.replace("states:\n", "correlations:\n  - [fighters, rate, 0.9]\n  - [fighters, third, 0.9]\n"
                        "  - [rate, third, -0.9]\nstates:\n", 1)
    problem = one_problem(write(text))
    assert problem.key_path == ("correlations",)
    assert "not form a positive definite matrix" in problem.message and "nearest valid correlations" in problem.hint


def test_names_shared_across_sections(write):
    text = VALID.replace("  total_end: {state: total, agg: end}", "  total_end: {state: total, agg: end}\n  rate: {expr: \"total_end\"}")
    problem = one_problem(write(text))
    assert problem.key_path == ("outputs", "rate") and "already a name under parameters" in problem.message


def test_missing_registry_when_citing(write):
    text = VALID.replace("sources: sources/registry.yaml\n", "")
    problem = one_problem(write(text))
    assert problem.key_path == ("sources",) and "no source registry" in problem.message


def test_tampered_source_fails_validation(write, scenario_dir):
    path = write(VALID)
    text_file = scenario_dir / "sources" / "tiny.txt"
    text_file.write_bytes(text_file.read_bytes().replace(b"1,000", b"1,001"))
    problems = problems_of(path)
    assert any("tiny.txt" in str(p) and "sha256" in str(p).lower() for p in problems)


# ---- property-based: mutations of a valid file give the tool's own error, never a traceback -----------------

import json  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from riskmodel.load import _plain  # noqa: E402
from riskmodel.model import Scenario  # noqa: E402
from riskmodel.yamlio import parse_yaml_text  # noqa: E402

_BASE = _plain(parse_yaml_text(VALID, "base"))
_values = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                    st.text(max_size=12), st.lists(st.integers(-5, 5), max_size=4),
                    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


_ALL_PATHS = [p for p in _paths(_BASE) if p]


def _mutate(doc, path, op, value, key):
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "swap":
        parent[last] = value
    elif op == "insert" and isinstance(parent, dict):
        parent[key] = value
    elif op == "insert" and isinstance(parent, list):
        parent.insert(0, value)
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(_ALL_PATHS), st.sampled_from(["delete", "swap", "insert"]), _values,
                          st.text(min_size=1, max_size=8)), min_size=1, max_size=3))
def test_structural_mutations_never_escape(scenario_dir, mutations):
    doc = json.loads(json.dumps(_BASE))
    for path, op, value, key in mutations:
        try:
            doc = _mutate(doc, path, op, value, key)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    path = scenario_dir / "m.yaml"
    path.write_text(json.dumps(doc, allow_nan=True))  # JSON is YAML
    try:
        assert isinstance(validate(path), Scenario)
    except ScenarioError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(VALID) - 1), st.integers(0, 20), st.text(max_size=6))
def test_text_mutations_never_escape(scenario_dir, at, cut, insert):
    text = VALID[:at] + insert + VALID[at + cut:]
    path = scenario_dir / "m.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass") if False else path.write_bytes(
        text.encode("utf-8", errors="replace"))
    try:
        assert isinstance(validate(path), Scenario)
    except ScenarioError as exc:
        assert exc.problems


def test_an_expression_syntax_error_names_its_column(write):
    from riskmodel.errors import ScenarioError
    from riskmodel.validate import validate

    text = VALID.replace('update: "prev + attacks"', 'update: "prev + * attacks"')
    with pytest.raises(ScenarioError) as info:
        validate(write(text))
    message = next(str(p) for p in info.value.problems if "states.total.update" in str(p))
    # 'prev + * attacks': the parser stops at the '*', the 8th character
    assert "syntax error" in message and "at column 8 in 'prev + * attacks'" in message
