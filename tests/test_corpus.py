"""The corpus of bad files (tests/corpus/): each case prints its exact message, exits 2, no traceback.

A case is ``CLASS/NAME.expected``: ``#`` lines describe it, the ``$`` line is the command (run from
the corpus folder; ``VAR=value`` words before ``riskmodel`` set the environment, and such cases
run in a subprocess), the rest is the exact standard error. See tests/corpus/README.md.
``RISKMODEL_CORPUS_UPDATE=1`` rewrites the expected text from what the tool prints now.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskmodel.cli import app

CORPUS = Path(__file__).resolve().parent / "corpus"
UPDATE = os.environ.get("RISKMODEL_CORPUS_UPDATE") == "1"
CLASSES = ("yaml", "files", "structure", "evidence", "distributions", "names", "expressions", "extends", "options")


@dataclass(frozen=True)
class Case:
    name: str  # CLASS/NAME
    about: str
    command: str  # as written after "$ "
    env: tuple  # ((VAR, value), ...)
    args: tuple  # after "riskmodel"
    expected: str  # exact stderr
    path: Path  # the .expected file

    @property
    def problem_lines(self) -> list[str]:
        """The expected lines without the closing 'N problems found.'."""
        return self.expected.splitlines()[:-1]


def _read_case(path: Path) -> Case:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    about = []
    while lines and lines[0].startswith("#"):
        about.append(lines.pop(0)[1:].strip())
    assert lines and lines[0].startswith("$ "), f"{path}: the command line ('$ riskmodel ...') is missing"
    command = lines.pop(0)[2:].strip()
    words = shlex.split(command)
    env = []
    while words and "=" in words[0] and not words[0].startswith("-"):
        env.append(tuple(words.pop(0).split("=", 1)))
    assert words and words[0] == "riskmodel", f"{path}: the command must start with riskmodel"
    return Case(name=f"{path.parent.name}/{path.stem}", about=" ".join(about), command=command, env=tuple(env),
                args=tuple(words[1:]), expected="".join(lines), path=path)


CASES = [_read_case(p) for p in sorted(CORPUS.glob("*/*.expected"))]


def _clean_environ(extra=()) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISKMODEL_")}
    env.update(dict(extra))
    return env


@pytest.fixture(scope="module")
def corpus_copy(tmp_path_factory) -> Path:
    """The corpus copied out of the repository, so that no command can write into it."""
    where = tmp_path_factory.mktemp("corpus-run") / "corpus"
    shutil.copytree(CORPUS, where)
    return where


def _subprocess(args, cwd: Path, env=()) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "riskmodel", *args], capture_output=True, text=True, cwd=cwd,
                          env=_clean_environ(env), timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def _in_process(args, cwd: Path, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    for key in [k for k in os.environ if k.startswith("RISKMODEL_")]:
        monkeypatch.delenv(key)
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"an exception escaped the CLI: {result.exception!r}") from result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_prints_its_exact_message_and_exits_2(case, corpus_copy, monkeypatch):
    if case.env:
        code, out, err = _subprocess(case.args, corpus_copy, case.env)
    else:
        code, out, err = _in_process(case.args, corpus_copy, monkeypatch)
    if UPDATE:
        head = "".join(f"# {line}\n" for line in [case.about] if line) + f"$ {case.command}\n"
        case.path.write_text(head + err, encoding="utf-8")
        return
    assert "Traceback" not in err and "Traceback" not in out
    assert code == 2, f"exit {code}\nstdout: {out}\nstderr: {err}"
    assert out == "", "a failing command prints nothing on stdout"
    assert err == case.expected


def test_every_file_case_in_one_process_no_traceback_on_stderr(corpus_copy):
    """`python -m riskmodel validate` over every single-file case: each problem as expected, then the total."""
    cases = [c for c in CASES if not c.env and len(c.args) == 2 and c.args[0] == "validate"]
    assert len(cases) >= 60
    code, out, err = _subprocess(["validate", *(c.args[1] for c in cases)], corpus_copy)
    lines = [line for c in cases for line in c.problem_lines]
    assert "Traceback" not in err
    assert code == 2 and out == ""
    assert err == "".join(f"{line}\n" for line in lines) + f"{len(lines)} problems found.\n"


def test_base_is_valid_so_each_case_is_its_one_mistake(corpus_copy, monkeypatch):
    code, out, err = _in_process(["validate", "base.yaml"], corpus_copy, monkeypatch)
    assert code == 0, err
    assert out.startswith("base.yaml: ok:")


def test_corpus_size_and_classes():
    counts = Counter(c.name.split("/")[0] for c in CASES)
    assert set(counts) == set(CLASSES), counts
    assert len(CASES) >= 40
    assert all(counts[k] >= 3 for k in CLASSES), counts
    for c in CASES:
        assert c.about, f"{c.path}: say in a # line what is wrong"
        assert c.expected.endswith(("1 problem found.\n", "problems found.\n")), c.path
