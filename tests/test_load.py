"""Loading: positions, extends chains, overrides."""

from __future__ import annotations

import pytest

from conftest import VALID, line_of
from riskmodel.errors import ScenarioError
from riskmodel.load import load
from riskmodel.yamlio import position_of


def test_positions_of_nested_keys(write):
    path = write(VALID)
    doc = load(path)
    pos = position_of(doc.tree, ("parameters", "rate", "mode"))
    assert pos.file == str(path)
    assert pos.line == line_of(VALID, "mode: 2.0")
    pos = position_of(doc.tree, ("risks", 0, "threshold"))
    assert pos.line == line_of(VALID, "threshold: 30")


CHILD = """\
schema: riskmodel/1
extends: s.yaml
name: child
title: Child
parameters:
  rate:
    mode: 3.0
    high: 5.0
risks:
  - id: many_attacks
    threshold: 40
  - id: few_attacks
    title: Fewer than 5 attacks
    factor: vacuum
    output: total_end
    threshold: 5
    direction: below
"""


def test_extends_merges_key_by_key(write):
    write(VALID)
    child = write(CHILD, "child.yaml")
    doc = load(child)
    rate = doc.tree["parameters"]["rate"]
    assert (rate["low"], rate["mode"], rate["high"]) == (1.0, 3.0, 5.0)  # low from parent, the rest from the child
    assert doc.tree["name"] == "child"
    assert "extends" not in doc.tree
    # risks merge by id: the parent's risk keeps its title, takes the child's threshold; the new one is appended
    risks = doc.tree["risks"]
    assert [r["id"] for r in risks] == ["many_attacks", "few_attacks"]
    assert risks[0]["threshold"] == 40 and risks[0]["title"] == "More than 30 attacks in the year"
    # positions: inherited keys point at the parent, overridden ones at the child
    assert position_of(doc.tree, ("parameters", "rate", "low")).file.endswith("s.yaml")
    assert position_of(doc.tree, ("parameters", "rate", "low")).line == line_of(VALID, "low: 1.0")
    assert position_of(doc.tree, ("parameters", "rate", "mode")).file.endswith("child.yaml")
    assert position_of(doc.tree, ("parameters", "rate", "mode")).line == line_of(CHILD, "mode: 3.0")
    assert doc.files[0].endswith("child.yaml") and doc.files[1].endswith("s.yaml")


def test_child_switching_distribution_drops_parent_keys(write):
    write(VALID)
    child = write("schema: riskmodel/1\nextends: s.yaml\nname: c\ntitle: C\nparameters:\n"
                  "  rate:\n    dist: uniform\n    low: 1\n    high: 2\n", "c.yaml")
    rate = load(child).tree["parameters"]["rate"]
    assert "mode" not in rate and rate["dist"] == "uniform" and rate["evidence"] == "judgment"


def test_interventions_merge_by_name(write):
    write(VALID)
    child = write("extends: s.yaml\ninterventions:\n  - name: force\n    until: 2024-12\n", "c.yaml")
    (force,) = load(child).tree["interventions"]
    assert force["until"] == "2024-12" and force["from"] == "2024-06"


def test_extends_cycle_names_the_files(scenario_dir):
    (scenario_dir / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (scenario_dir / "b.yaml").write_text("name: b\nextends: a.yaml\n")
    with pytest.raises(ScenarioError) as err:
        load(scenario_dir / "a.yaml")
    (problem,) = err.value.problems
    assert "cycle" in problem.message and "a.yaml" in problem.message and "b.yaml" in problem.message
    assert problem.position.file.endswith("b.yaml") and problem.position.line == 2
    assert problem.key_path == ("extends",)


def test_missing_parent(write):
    child = write("extends: nowhere.yaml\n", "c.yaml")
    with pytest.raises(ScenarioError, match=r"c.yaml:1: extends: parent scenario 'nowhere.yaml' not found"):
        load(child)


def test_set_overrides_nested_keys(write):
    path = write(VALID)
    doc = load(path, ["parameters.rate.mode=2.5", "samples=50", "risks.many_attacks.threshold=12",
                      "parameters.fighters.ci90=[800, 1200]"])
    assert doc.tree["parameters"]["rate"]["mode"] == 2.5
    assert doc.tree["samples"] == 50
    assert doc.tree["risks"][0]["threshold"] == 12
    assert doc.tree["parameters"]["fighters"]["ci90"] == [800, 1200]
    assert position_of(doc.tree, ("samples",)).file == "--set samples=50"
    assert doc.sha256 != load(path).sha256


@pytest.mark.parametrize("override, message", [
    ("samples", "an override must read key.path=value"),
    ("parameters..x=1", "is not a key path"),
    ("parameters.nope.low=1", "no such key in the scenario"),
    ("samples=[1, 2", "YAML syntax"),
    ("extends=other.yaml", "extends cannot be overridden"),
])
def test_bad_set(write, override, message):
    path = write(VALID)
    with pytest.raises(ScenarioError, match=message) as err:
        load(path, [override])
    assert str(err.value).startswith(f"--set {override}")


def test_duplicate_key_is_an_error(write):
    text = VALID.replace("  rate:\n", "  rate:\n    unit: x\n    unit: y\n", 1)
    path = write(text)
    with pytest.raises(ScenarioError) as err:
        load(path)
    (problem,) = err.value.problems
    assert 'duplicate key "unit"' in problem.message
    assert problem.position.line == line_of(text, "unit: y")


def test_tabs_and_syntax_errors_have_lines(write):
    path = write("schema: riskmodel/1\nname: x\n\ttitle: y\n")
    with pytest.raises(ScenarioError, match=r"s.yaml:3: YAML syntax"):
        load(path)


@pytest.mark.parametrize("content, message", [
    (b"", "scenario file is empty"),
    (b"\xff\xfe\x00x", "binary"),
    (b"name: caf\xe9\n", "not valid UTF-8"),
    (b"- a\n- b\n", "top level must be a mapping"),
    (b"x: !!python/object/apply:os.system ['true']\n", "the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
])
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError, match=message):
        load(path)


def test_alias_bomb_is_bounded(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i-1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioError, match="expands to more than"):
        load(path)


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(ScenarioError, match="is a directory"):
        load(tmp_path)
