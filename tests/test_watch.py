"""riskmodel watch: re-run on save, keep the last good report on bad input, a page that reloads itself."""

from __future__ import annotations

import os
import textwrap

import pytest

from conftest import ROOT, VALID
from riskmodel.errors import ScenarioError
from riskmodel.pipeline import render_into, run, write_run_folder
from riskmodel.validate import validate
from riskmodel.watch import watch, watched_files


def _save(path, text):
    path.write_text(text, encoding="utf-8")
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))  # a save the poll cannot miss


def test_watch_reruns_on_save_and_keeps_the_last_good_report(write, tmp_path):
    path = write(VALID)
    out = tmp_path / "run"
    registers, errors, pages = [], [], []

    def run_once(p, o):
        scenario = validate(p)
        res = run(scenario, samples=300, judgment_samples=0)
        write_run_folder(res, o, extra=render_into(res, scenario, figures="summary", refresh_s=2))
        registers.append((o / "register.csv").read_text())
        return scenario

    edits = iter([VALID.replace("threshold: 30", "threshold: thirty"),  # invalid: the report must stay
                  VALID.replace("threshold: 30", "threshold: 40")])  # valid again, a different register

    def sleep(_):
        pages.append((out / "index.html").read_bytes())
        _save(path, next(edits, VALID.replace("threshold: 30", "threshold: 40")))

    attempts = watch(path, out, run_once=run_once, max_runs=3, on_error=errors.append, sleep=sleep)
    assert attempts == 3
    assert len(registers) == 2 and registers[0] != registers[1]
    assert len(errors) == 1 and isinstance(errors[0], ScenarioError)
    assert "risks[0].threshold" in str(errors[0].problems[0])
    assert pages[0] == pages[1]  # the invalid save left the good report as it was
    assert b'<meta http-equiv="refresh" content="2">' in pages[0]


def test_watched_files_include_the_registry_and_cited_texts():
    variant = ROOT / "scenarios" / "mali" / "wagner-exit.yaml"
    files = {os.path.abspath(f) for f in watched_files(variant, validate(variant))}
    assert os.path.abspath(variant) in files
    assert os.path.abspath(ROOT / "scenarios" / "mali" / "baseline.yaml") in files  # extends
    assert os.path.abspath(ROOT / "scenarios" / "sources" / "registry.yaml") in files
    assert any(f.endswith(".txt") for f in files)  # a cited source text


def test_a_broken_source_text_stays_watched_until_it_is_mended(write, tmp_path):
    """The texts came from the validated scenario alone: a text that broke validation (its hash no longer matched)
    dropped out of the watch list, so restoring it re-ran nothing until the scenario file itself was saved."""
    path = write(VALID)
    text = path.parent / "sources" / "tiny.txt"
    good = text.read_text(encoding="utf-8")
    _save(text, good + "an edit the registry's hash does not know\n")
    out = tmp_path / "run"
    ran, errors, watched = [], [], []

    def run_once(p, o):
        scenario = validate(p)
        ran.append(p)
        return scenario

    polls = []

    def sleep(_):
        polls.append(1)
        assert len(polls) < 20, "the restored text was never seen"
        if len(polls) == 1:
            _save(text, good)  # the analyst restores the text; the scenario file is not touched

    attempts = watch(path, out, run_once=run_once, max_runs=2, on_error=errors.append,
                     on_wait=lambda files: watched.append({os.path.realpath(f) for f in files}), sleep=sleep)
    assert attempts == 2
    assert len(errors) == 1 and "sha256 of tiny.txt differs" in str(errors[0])
    assert os.path.realpath(text) in watched[0]  # watched while broken
    assert ran == [path]  # the restored text re-ran the scenario


def test_a_normal_report_does_not_reload_itself(write, tmp_path):
    scenario = validate(write(VALID))
    res = run(scenario, samples=200, judgment_samples=0)
    write_run_folder(res, tmp_path / "r", extra=render_into(res, scenario, figures="summary"))
    assert b"http-equiv=\"refresh\"" not in (tmp_path / "r" / "index.html").read_bytes()


@pytest.mark.parametrize("option, message", [
    (["--samples", "-5"], "--samples -5: -5 paths: a run needs at least 1"),
    (["--interval", "-1"], "--interval -1.0: seconds between checks must be above 0"),
    (["--refresh", "-5"], "--refresh -5: seconds between reloads must be 0 (never) or more"),
])
def test_watch_refuses_options_no_edit_can_mend_before_it_starts(tmp_path, option, message):
    """--samples -5 was printed as a file's problem on every save, forever; --interval -1 ran once and then raised
    a traceback from time.sleep; --refresh -5 was written into the page's meta refresh."""
    from typer.testing import CliRunner

    from riskmodel.cli import app

    path = ROOT / "scenarios" / "examples" / "minimal.yaml"
    result = CliRunner().invoke(app, ["watch", str(path), *option, "--max-runs", "1", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and result.stderr.startswith(message), result.output
    assert not (tmp_path / "o").exists()


def test_watch_counts_its_files_in_words_and_ends_each_run_as_run_does(tmp_path):
    from typer.testing import CliRunner

    from riskmodel.cli import app

    path = tmp_path / "alone.yaml"  # no extends, no sources: the scenario file alone
    path.write_text(textwrap.dedent("""\
        schema: riskmodel/1
        name: alone
        title: One file
        origin: 2024-01
        horizon_months: 6
        samples: 200
        seed: 1
        factors:
          violence: {title: Violence}
        parameters:
          rate: {factor: violence, dist: uniform, low: 1, high: 3, evidence: judgment,
                 rationale: No source gives a rate.}
        states:
          attacks: {factor: violence, update: "poisson(rate)"}
        outputs:
          total: {state: attacks, agg: sum}
        risks:
          - {id: many, title: More than 12 attacks, factor: violence, output: total, threshold: 12}
        """), encoding="utf-8")
    result = CliRunner().invoke(app, ["watch", str(path), "--samples", "200", "--report", "none", "--max-runs", "1",
                                      "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "problem" not in result.stderr and (tmp_path / "o" / "register.csv").is_file(), result.stderr
    assert "Watching 1 file (alone.yaml); Ctrl-C stops." in result.stderr  # "1 files" before
    # the run's own last line, in the terminal's width ("Run folder: ...; Time: total 1.23 s: validate 0.01 s, ..."
    # ran past 80 columns before)
    out = result.stdout.splitlines()
    assert out[-2] == f"Run folder: {tmp_path / 'o'}; data files only (--report none)"
    assert out[-1].startswith("Time ") and len(out[-1]) <= 80 and "valid" in out[-1]


def test_watch_names_its_files_in_the_terminals_width(tmp_path):
    """"Watching 8 files (wagner-exit.yaml, baseline.yaml, 000_b63fa0e52479ec40.txt, ...); Ctrl-C stops." ran to 118
    columns on one line at 80."""
    from typer.testing import CliRunner

    from riskmodel.cli import app

    variant = ROOT / "scenarios" / "mali" / "wagner-exit.yaml"
    result = CliRunner().invoke(app, ["watch", str(variant), "--samples", "200", "--report", "none", "--max-runs", "1",
                                      "--out", str(tmp_path / "o")], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    at = result.stderr.index("Watching ")
    lines = result.stderr[at:].split("Ctrl-C stops.")[0].splitlines()
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines), lines
    assert " ".join(" ".join(lines).split()).startswith(
        f"Watching {len(watched_files(variant, validate(variant)))} files (wagner-exit.yaml, baseline.yaml,")
