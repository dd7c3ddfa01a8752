"""Fuzz tests over what a user or a stranger's file can put in front of the CLI (issue 18).

Like the one over expressions (tests/test_sandbox.py): generated environment variables, command-line
options and terminal text, each checked for the property that must hold whatever the input -- a
message and exit code 1 or 2 (never a traceback), and nothing that drives the terminal.
"""

from __future__ import annotations

import os
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import VALID
from riskmodel import yamlio
from riskmodel.cli import app
from riskmodel.errors import EnvironmentFailure, ScenarioError
from riskmodel.terminal import safe_text

runner = CliRunner()
FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# text a stranger would try: escape sequences, bidi controls, markup, and everything else
hostile = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(list("\x1b\x07\x9b\x00\r\n\t[]/\\;:=$\u202e\u2066\u2028abc漢")), max_size=40),
    st.sampled_from(["\x1b]0;owned\x07", "\x1b[2J", "\x1b]52;c;cm0gLXJm\x07", "[/bold] x", "[/]",
                     "\x1b]8;;http://evil\x1b\\link", "\u202eevil", "$\\frac{a}{$"]),
)


def _terminal_safe(text: str) -> bool:
    return not any(ch in _BIDI or unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") and ch != "\n"
                   for ch in text)


@FUZZ
@given(hostile)
def test_safe_text_leaves_nothing_that_drives_a_terminal_and_keeps_printable_text(text):
    out = safe_text(text)
    assert _terminal_safe(out) and "\n" not in out
    if text.isprintable() and not (set(text) & _BIDI):
        assert out == text  # ordinary text is printed as it is
    printable = "".join(ch for ch in text if ch.isprintable() and ch not in _BIDI)
    assert all(ch in out for ch in printable)


_ENV = ["RISKMODEL_MAX_FILE_BYTES", "RISKMODEL_MAX_NODES", "RISKMODEL_MAX_EXTENDS_DEPTH"]


@FUZZ
@given(st.sampled_from(_ENV), st.one_of(st.text(max_size=30), st.integers(-10, 10**40).map(str),
                                       st.floats(allow_nan=True).map(repr)))
def test_an_environment_variable_is_a_whole_number_or_one_line_naming_it(name, value):
    if "\x00" in value:
        value = value.replace("\x00", "")
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        got = yamlio.env_int(name, 7, example="7")
        text = value.strip().replace("_", "")
        if text.isascii() and text.isdigit() and len(text) <= 30 and int(text) >= 1:
            assert got == int(text) and name not in yamlio.ENV_PROBLEMS
        elif value.strip():
            assert got == 7
            with pytest.raises(EnvironmentFailure) as err:
                yamlio.check_environment()
            line = str(err.value)
            assert line.startswith(f"{name}=") and "\n" not in line and _terminal_safe(line)
    finally:
        yamlio.ENV_PROBLEMS.pop(name, None)
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "riskmodel.toml").write_text("")
    path = folder / "s.yaml"
    path.write_text(VALID, encoding="utf-8")
    return path


def _no_traceback(result) -> None:
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert _terminal_safe(result.stderr.replace("\n", ""))


@FUZZ
@given(key=st.one_of(hostile, st.sampled_from(["risks.²", "risks.٠.threshold", "parameters.rate.mode",
                                                "samples", "seed", "sources", "origin", "horizon_months", "name",
                                                "title", "parameters.rate.lamb", "outputs.total_end.until"])),
       value=st.one_of(hostile, st.integers().map(str), st.integers(10**300, 10**400).map(str),
                       st.sampled_from(["1e400", ".nan", "!!str 200", "[1, 2", "0000-01", "9999-12", "2099-12",
                                        '"a\\0b"', "1e300", "5e-324", "a" * 250, "../../etc/passwd", "."])))
def test_any_set_option_is_a_message_not_a_traceback(scenario, key, value):
    result = runner.invoke(app, ["validate", str(scenario), "--set", f"{key}={value}"])
    _no_traceback(result)


class _Stop(Exception):
    pass


@FUZZ
@given(option=st.sampled_from(["--samples", "--seed", "--memory", "--workers", "--until-se", "--max-samples",
                               "--sampler"]),
       value=st.one_of(hostile, st.integers(-2**70, 2**70).map(str), st.floats().map(repr)))
def test_any_run_option_value_is_a_message_before_any_work(scenario, monkeypatch, option, value):
    def stop(*args, **kwargs):
        raise ScenarioError.at("fuzz", None, (), "reached the run")

    monkeypatch.setattr("riskmodel.pipeline.simulate", stop)
    result = runner.invoke(app, ["run", str(scenario), option, value, "--out", str(scenario.parent / "out")])
    _no_traceback(result)
