"""The libyaml fast path (riskmodel._yaml_fast) reads what ruamel's loader reads, or declines.

A second implementation check: every YAML file of the project and a set of tricky snippets are
read both ways, and values, types and every key's and item's position must agree (or the fast
path must decline, leaving ruamel to read it). Errors must be the same errors.
"""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

import pytest

from riskmodel.errors import ScenarioError

yamlio = importlib.import_module("riskmodel.yamlio")
fast = importlib.import_module("riskmodel._yaml_fast")

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(p for p in [*ROOT.glob("scenarios/**/*.yaml"), *ROOT.glob("tests/**/*.yaml"),
                           *ROOT.glob("benchmarks/*.yaml")] if p.is_file())


def _shape(value):
    """Value, type and positions, recursively, for comparing two readings."""
    if isinstance(value, yamlio.YMap):
        return ("map", value.pos, [(k, type(k), value.key_pos.get(k), _shape(v)) for k, v in value.items()])
    if isinstance(value, yamlio.YList):
        return ("list", value.pos, list(value.item_pos), [_shape(v) for v in value])
    return (type(value), repr(value))


def _both(text: str, monkeypatch, file: str = "f.yaml"):
    """(reading as riskmodel reads it, fast path first; ruamel's reading): each a value or its error."""
    def read():
        try:
            return yamlio.parse_yaml_text(text, file)
        except ScenarioError as exc:
            return ("error", str(exc))
        except (ValueError, OverflowError) as exc:  # noqa: BLE001 - compared, not hidden
            return ("raised", type(exc).__name__)

    got = read()
    with monkeypatch.context() as m:
        m.setattr(fast, "parse", lambda *a, **k: fast.DECLINED)
        ruamel = read()
    return got, ruamel


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_project_yaml_file_reads_the_same_both_ways(path, monkeypatch):
    text = path.read_text(encoding="utf-8", errors="replace")
    got, ruamel = _both(text, monkeypatch, str(path))
    assert _shape(got) == _shape(ruamel)


def test_the_shipped_scenarios_and_registry_take_the_fast_path():
    for rel in ("scenarios/mali/baseline.yaml", "scenarios/sources/registry.yaml", "scenarios/examples/minimal.yaml"):
        text = (ROOT / rel).read_text(encoding="utf-8")
        assert fast.parse(text, rel, yamlio._Converter(rel)) is not fast.DECLINED, rel


SNIPPETS = [
    "a: 1\nb: 1.5\nc: -2\nd: +3\ne: 1e5\nf: 2.5E-3\ng: 1.\n",
    "a: yes\nb: no\nc: on\nd: off\ne: y\nf: Yes\n",  # YAML 1.1 booleans: text in 1.2
    "a: true\nb: False\nc: TRUE\nd: null\ne: ~\nf:\ng: Null\n",
    "a: 007\nb: 0o17\nc: 0x1F\nd: 1_000\ne: 0b101\nf: 010\n",
    "a: .inf\nb: -.inf\nc: .nan\nd: .5\ne: -.5\nf: 1.2.3\n",
    "a: 2024-01\nb: 2024-01-15\nc: 2024-1-5\nd: 2024-01-15T10:00:00\ne: 2023-02-30\n",
    "a: 1:30\nb: 190:20:30\nc: '1:30'\n",
    "a: '12'\nb: \"3.5\"\nc: 'true'\nd: |\n  two\n  lines\ne: >\n  folded\n  text\n",
    "a: !!str 200\n",
    "a: !!int '5'\n",
    "a: !custom x\n",
    "a: &x 1\nb: *x\n",
    "base: &b {k: 1}\nchild:\n  <<: *b\n  j: 2\n",
    "a: 1\na: 2\n",
    "1: x\n'1': y\n",
    "true: x\n1.5: y\n2024-01-15: z\n",
    "true: x\n1.5: y\n7: z\n",
    "list:\n  - 1\n  - [2, 3]\n  - {k: v, w: [x, 'y']}\n  -\n    - deep\n",
    "a: \"caf\\u00e9 \\t tab\"\nb: 'it''s'\nc: \"\\0\"\n",
    "a: \"\\ud800\"\n",
    "a: x\u2028y\n",
    "\ufeffa: 1\n",
    "%YAML 1.1\n---\na: yes\n",
    "a: 1\n---\nb: 2\n",
    "a:\n\t- 1\n",
    "a: [1, 2\n",
    "a: 'open\n",
    "just text\n",
    "- 1\n- 2\n",
    "",
    "# only a comment\n",
    "n: " + "9" * 5000 + "\n",
    "n: " + "9" * 400 + "\n",
    "title: Stop! 50% of it\nurl: http://x.org/?a=1&b=2\nq: \"a # not a comment\"\n",
    "key with spaces: 1\n? complex\n: 2\n",
    "a: -\nb: '-'\nc: - x\n",
]


@pytest.mark.parametrize("text", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_tricky_snippets_read_the_same_both_ways(text, monkeypatch):
    got, ruamel = _both(text, monkeypatch)
    assert _shape(got) == _shape(ruamel)


def test_the_fast_path_declines_what_yaml_1_1_and_1_2_read_differently(monkeypatch):
    converter = yamlio._Converter("f.yaml")
    for text in ("a: yes\n", "a: 0o17\n", "a: .inf\n", "a: 1:30\n", "a: &x 1\nb: *x\n", "a: !!str 1\n",
                 "a: x\u2028y\n", "a: 1\na: 2\n"):
        assert fast.parse(text, "f.yaml", converter) is fast.DECLINED, text
    value = fast.parse("a: 2024-01-15\nb: 2024-01\nc: 1e5\nd: -0\n", "f.yaml", yamlio._Converter("f.yaml"))
    assert value == {"a": dt.date(2024, 1, 15), "b": "2024-01", "c": 100000.0, "d": 0}
    assert [type(v) for v in value.values()] == [dt.date, str, float, int]
    assert [p.line for p in value.key_pos.values()] == [1, 2, 3, 4]
