"""The CLI: exit codes, messages, no tracebacks."""

from __future__ import annotations

import html as html_module
import os
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ROOT, VALID, line_of
from riskmodel.cli import app
from riskmodel.formats import fmt_interval, fmt_likelihood, fmt_pp

runner = CliRunner()
EXAMPLES = sorted((ROOT / "scenarios" / "examples").glob("*.yaml"))
REGISTRY = ROOT / "scenarios" / "sources" / "registry.yaml"


def test_validate_examples_exit_0():
    result = runner.invoke(app, ["validate", *map(str, EXAMPLES)])
    assert result.exit_code == 0, result.output
    for path in EXAMPLES:
        assert f"{path}: ok:" in result.output
    assert "quotes verified" in result.output


def test_validate_reports_every_problem_with_exit_2(write):
    text = VALID.replace("mode: 2.0", "mode: 9.0").replace("threshold: 30", "threshold: thirty")
    path = write(text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:{line_of(text, 'mode: 9.0')}: parameters.rate.mode:" in result.output
    assert f"{path}:{line_of(text, 'threshold: thirty')}: risks[0].threshold: must be a number" in result.output
    assert "2 problems found." in result.output
    assert "Traceback" not in result.output


def test_validate_bad_set_exit_2(write):
    result = runner.invoke(app, ["validate", str(write(VALID)), "--set", "parameters.rate.mode=abc"])
    assert result.exit_code == 2
    assert "--set parameters.rate.mode=abc: parameters.rate.mode: must be a number, got 'abc'" in result.output


def test_run_prints_register_and_writes_run_folder(write, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(write(VALID)), "--samples", "500", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "many_attacks: More than 30 attacks" in result.output and "500 paths" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["bands.csv", "figures", "index.html", "outputs.parquet",
                                                      "parameters.parquet", "register.csv", "report.md", "run.json"]
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def test_failed_run_leaves_the_earlier_folder_untouched(write, tmp_path):
    path = write(VALID)
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(path), "--samples", "200", "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    path.write_text(VALID.replace("poisson(rate)", "poisson(rate - 10)"))  # negative rate: numerical trouble
    result = runner.invoke(app, ["run", str(path), "--samples", "200", "--out", str(out)])
    assert result.exit_code == 2 and "numerical trouble in month 2024-01" in result.output
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_schema_prints_json_schema_matching_the_committed_file():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    committed = (ROOT / "scenarios" / "schema" / "riskmodel-1.json").read_text()
    assert result.output.strip() == committed.strip(), "run: riskmodel schema > scenarios/schema/riskmodel-1.json"
    assert '"horizon_months"' in result.output


def test_sources_commands():
    listed = runner.invoke(app, ["sources", "list", "--registry", str(REGISTRY)])
    assert listed.exit_code == 0 and "contrapuntal-2023-07-01" in listed.output


def test_sources_find_wraps_the_passage_and_a_copied_passage_still_verifies():
    """The passage printed on one line of up to a paragraph; wrapped, a quote copied from it (line breaks and
    indents included) must still be found in the text."""
    from riskmodel.sources import find_quote, load_registry

    out = runner.invoke(app, ["sources", "find", "Wagner fighters", "--registry", str(REGISTRY)],
                        env={"COLUMNS": "80"}).output
    lines = out.splitlines()
    assert lines[0] == "contrapuntal-2023-07-01:21:" and len(lines) > 2 and all(len(line) <= 80 for line in lines)
    copied = "\n".join(lines[1:3])  # two wrapped lines, as a mouse selects them
    match = find_quote(load_registry(REGISTRY).get("contrapuntal-2023-07-01"), copied)
    assert match is not None and match.line == 21


def test_sources_list_fits_the_terminal_and_states_each_date_bound():
    """One line per source of up to 300 characters, and a source known only to be no later than a day (the four
    undated seed texts, the SG report) showed no date at all."""
    from riskmodel.sources import load_registry

    reg = load_registry(REGISTRY)
    out = runner.invoke(app, ["sources", "list", "--registry", str(REGISTRY)], env={"COLUMNS": "80"}).output
    lines = out.splitlines()
    assert lines[-1] == f"{len(reg)} sources: 5 stored texts, {len(reg) - 5} references"
    # an address is never broken (it must stay whole to be followed); every other line fits
    assert all(len(line) <= 80 for line in lines if not line.lstrip().startswith("http")), out
    heads = {line.split(" (")[0]: line for line in lines if not line.startswith(" ")}
    assert set(heads) - {lines[-1].split(" (")[0]} == set(reg.ids)
    assert heads["minusma-sg-report-2023-04"] == "minusma-sg-report-2023-04 (not after 2023-04-30)"
    assert heads["contrapuntal-2023-07-01"] == "contrapuntal-2023-07-01 (2023-07-01)"
    urls = [line.strip() for line in lines if line.lstrip().startswith("http") or "reference: http" in line]
    assert sorted(u.removeprefix("reference: ") for u in urls) == sorted(s.url for s in reg if s.reference)
    checked = runner.invoke(app, ["sources", "check", "--registry", str(REGISTRY)])
    assert checked.exit_code == 0 and "5 stored texts, every SHA-256 matches; 35 references" in checked.output
    found = runner.invoke(app, ["sources", "find", "Wagner fighters", "--registry", str(REGISTRY)])
    assert found.exit_code == 0 and "contrapuntal-2023-07-01:" in found.output
    missing = runner.invoke(app, ["sources", "find", "no such words here at all", "--registry", str(REGISTRY)])
    assert missing.exit_code == 1
    for empty in ("", "   "):  # exited 1, "'' not found in any registered source", as if searched
        blank = runner.invoke(app, ["sources", "find", empty, "--registry", str(REGISTRY)])
        assert blank.exit_code == 2 and "the phrase is empty" in blank.output, blank.output


def test_sources_check_fails_on_a_tampered_byte(tmp_path):
    copy = tmp_path / "sources"
    shutil.copytree(REGISTRY.parent, copy)
    target = copy / "002_8ef430123d4cc39d.txt"
    data = bytearray(target.read_bytes())
    data[100] ^= 0x01
    target.write_bytes(bytes(data))
    result = runner.invoke(app, ["sources", "check", "--registry", str(copy / "registry.yaml")])
    assert result.exit_code == 2
    assert "002_8ef430123d4cc39d.txt" in result.output and "sha256" in result.output


def test_python_dash_m_and_console_script_agree(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "riskmodel", "validate", str(tmp_path / "nope.yaml")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{tmp_path / 'nope.yaml'}: scenario file not found")
    assert "Traceback" not in proc.stderr


def test_validate_reads_each_file_as_its_schema_says():
    outcomes = ROOT / "scenarios" / "examples" / "outcomes" / "minimal.yaml"
    result = runner.invoke(app, ["validate", str(REGISTRY), str(outcomes), str(EXAMPLES[0])])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())  # each summary is wrapped at the terminal's width
    assert f"{REGISTRY}: ok: source registry: 5 stored texts, every SHA-256 matches" in flat
    assert f"{outcomes}: ok: outcomes for " in flat and "2 binary and 3 numeric" in flat
    assert f"{EXAMPLES[0]}: ok: 2 factors" in flat


def test_import_of_the_cli_leaves_the_heavy_libraries_unimported():
    # in a fresh interpreter: this test process has long imported them all
    code = ("import sys, riskmodel.cli; "
            "print(sorted(m for m in ('matplotlib', 'scipy', 'pandas', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_validating_a_small_file_imports_no_scipy_matplotlib_or_pandas():
    # the corpus base: a lognormal by its 90% interval (checked in closed form), a PERT, no bounds
    code = ("import sys\nfrom riskmodel.cli import main\nsys.argv = ['riskmodel', 'validate', 'base.yaml']\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print(sorted(m for m in ('matplotlib', 'scipy', 'pandas') if m in sys.modules), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT / "tests" / "corpus")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_a_stage_function_is_not_shadowed_by_its_module():
    code = ("import riskmodel, riskmodel.pipeline, riskmodel.validate, riskmodel.backtest, riskmodel.load; "
            "print(riskmodel.validate.__module__, riskmodel.backtest.__module__, riskmodel.load.__module__, "
            "riskmodel.run.__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["riskmodel.validate", "riskmodel.backtest", "riskmodel.load", "riskmodel.pipeline"]


def _every_command():
    import typer.main

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield path

    return list(walk(typer.main.get_command(app), []))


def test_help_shows_flags_as_flags_and_lists_by_their_item():
    """Every command's help: no `<bool>`, `<list[str]>` (signposts --month), `<int range>` (--workers),
    `[[FILE]]` (sources), rST ``schema:`` (validate), or a lower-case `{file}` on the usage line (run)."""
    commands = _every_command()
    assert len(commands) >= 13 and ["sources", "find"] in commands and ["signposts"] in commands
    for command in commands:
        out = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "100"}).output
        for bad in ("<bool>", "list[", "int range", "[[", "``"):
            assert bad not in out, (command, bad, out)
        usage = out.splitlines()[0]
        assert usage.startswith("Usage: ") and not re.search(r"[{\[][a-z]", usage), usage
    out = runner.invoke(app, ["explain", "--help"], env={"COLUMNS": "100"}).output
    assert "--json " in out and "--set KEY=VALUE" in out


def _register_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.strip().startswith("1 "))


def test_register_is_one_line_per_risk_within_80_columns_and_wide_is_the_full_table(write, tmp_path):
    import pandas as pd

    path = write(VALID)
    result = runner.invoke(app, ["run", str(path), "--samples", "400", "--out", str(tmp_path / "a"),
                                 "--report", "none"])
    assert result.exit_code == 0, result.output
    reg = pd.read_csv(tmp_path / "a" / "register.csv")
    lines = result.output.splitlines()
    assert max(len(line) for line in lines if "Time:" not in line and "Run folder" not in line) <= 80
    line = _register_line(result.output)
    # number, id and title cut to fit, likelihood ± se as register.csv has them, judgment share in percent
    assert line.split()[:2] == ["1", "many_attacks:"] and "…" in line
    assert fmt_likelihood(reg.likelihood[0], reg.se[0]) in line  # the rounding of the HTML and Markdown
    assert line.rstrip().endswith(f"{100 * reg.judgment_ST[0]:.0f}%")
    wide = runner.invoke(app, ["run", str(path), "--samples", "400", "--out", str(tmp_path / "b"),
                               "--report", "none", "--wide"])
    assert "More than 30 attacks in the year" in wide.output and "total_end > 30" in wide.output


def test_register_takes_the_width_of_columns_when_piped_and_wide_cuts_nothing_at_80(write, tmp_path):
    # piped output used 80 (160 wide) whatever $COLUMNS said; --wide at 80 columns squeezed the table
    # until thresholds and factors were cut ("attack_ra… > 2", "security_…") and titles ran 8 lines
    import pandas as pd

    path = write(VALID)
    narrow = runner.invoke(app, ["run", str(path), "--samples", "400", "--out", str(tmp_path / "a"),
                                 "--report", "none"], env={"COLUMNS": "50"})
    assert narrow.exit_code == 0, narrow.output
    table = [line for line in narrow.stdout.splitlines() if "Run folder" not in line]
    assert 40 < max(len(line) for line in table) <= 50 and "…" in _register_line(narrow.stdout)
    wide = runner.invoke(app, ["run", str(path), "--samples", "400", "--out", str(tmp_path / "b"),
                               "--report", "none", "--wide"], env={"COLUMNS": "80"})
    assert wide.exit_code == 0, wide.output
    reg = pd.read_csv(tmp_path / "b" / "register.csv")
    lines = [line for line in wide.stdout.splitlines() if "Run folder" not in line]
    assert max(len(line) for line in lines) <= 80
    text = " ".join(" ".join(lines).split())
    assert "1 many_attacks More than 30 attacks in the year total_end > 30: " in text  # every cell whole
    assert (f"{fmt_likelihood(reg.likelihood[0], reg.se[0])} (95% interval {fmt_interval(reg.ci_low[0], reg.ci_high[0])});"
            f" judgment share {100 * reg.judgment_ST[0]:.0f}%; factor vacuum") in text
    assert "…" not in text


def test_report_modes_and_phase_times(write, tmp_path):
    import json

    path = write(VALID)
    none = runner.invoke(app, ["run", str(path), "--samples", "300", "--out", str(tmp_path / "none"),
                               "--report", "none"])
    assert none.exit_code == 0, none.output
    assert not (tmp_path / "none" / "index.html").exists() and (tmp_path / "none" / "register.csv").is_file()
    timings = json.loads((tmp_path / "none" / "run.json").read_text())["run_timings"]
    assert list(timings["phases_s"]) == ["validate", "simulate", "judgment share", "write"]  # in-process: no start-up
    assert timings["report"] == "none"
    # the phases are disjoint: together no more than the whole
    assert sum(timings["phases_s"].values()) <= timings["total_s"] + 1e-3
    time_line = none.output.splitlines()[-1]  # the last line: the total and each phase, in 80 columns
    assert time_line.startswith("Time ") and len(time_line) <= 80
    import re

    from riskmodel.pipeline import Phases

    named = re.findall(r"([a-z][a-z -]*[a-z]) (\d+(?:\.\d+)?)", time_line.split(": ", 1)[1])
    phases = list(timings["phases_s"])
    assert [n for n, _ in named] in (phases, [Phases.SHORT_NAMES[k] for k in phases],
                                     ["judgment" if k == "judgment share" else k for k in phases])
    # run.json is written before the write phase ends: the other phases agree to the line's rounding
    assert all(abs(float(v) - timings["phases_s"][k]) <= 0.051 for (_, v), k in zip(named, phases) if k != "write")

    full = runner.invoke(app, ["run", str(path), "--samples", "300", "--out", str(tmp_path / "full")],
                         env={"COLUMNS": "80"})
    assert full.exit_code == 0, full.output
    last = full.output.splitlines()[-1]
    assert last.startswith("Time ") and len(last) <= 80 and all(
        f" {name} " in last for name in ("valid", "sim", "judg", "drivers", "figs", "write")), last
    meta = json.loads((tmp_path / "full" / "run.json").read_text())["run_timings"]
    assert {"drivers", "figures"} <= set(meta["phases_s"])
    html = (tmp_path / "full" / "index.html").read_text(encoding="utf-8")
    # in-process (CliRunner) there is no start-up phase: the clock starts at validation
    assert "<dt>total time</dt>" in html and "(from validation to this page; writing the folder follows)" in html
    # the simulation's own time beside its phase's, which holds more (the two differ by 0.3 s on the Mali run)
    row = re.search(r"<dt>simulation time</dt><dd>([^<]*)</dd>", html)
    assert row, html[:3000]
    assert html_module.unescape(row.group(1)) == (f"{json.loads((tmp_path / 'full' / 'run.json').read_text())['timings']['total_s']:.2f} s "
                            f"(the engine's paths alone; the run's simulate phase, {meta['phases_s']['simulate']:.2f} s, "
                            "also compiles the model and builds the register, and loads pandas in a new process)"), row
    drawn = {p.name for p in (tmp_path / "full" / "figures").iterdir()}
    assert "risk-matrix.png" in drawn and not any(n.startswith(("exceedance-", "drivers-tornado-")) for n in drawn)
    assert "drawn on request" in html and "--figures all" in html
    # a browser may break a line at a hyphen: every mention of the flag sits in an element that does not wrap
    assert html.count("--figures all") >= 3
    assert len(re.findall(r'class="flag">[^<]*--figures all', html)) == html.count("--figures all")
    assert ".flag { white-space: nowrap; }" in html

    every = runner.invoke(app, ["run", str(path), "--samples", "300", "--out", str(tmp_path / "all"),
                                "--figures", "all"])
    assert every.exit_code == 0, every.output
    drawn_all = {p.name for p in (tmp_path / "all" / "figures").iterdir()}
    assert drawn < drawn_all and "convergence.png" in drawn_all
    assert any(n.startswith("exceedance-") for n in drawn_all)
    assert "drawn on request" not in (tmp_path / "all" / "index.html").read_text(encoding="utf-8")
    # the default page's count of what it left out is what --figures all then drew beside it
    stated = re.search(r"(\d+) figures are drawn on request", html)
    assert stated and int(stated.group(1)) == len(drawn_all - drawn), (stated, len(drawn_all - drawn))

    summary = runner.invoke(app, ["run", str(path), "--samples", "300", "--out", str(tmp_path / "summary"),
                                  "--report", "summary"])
    assert summary.exit_code == 0, summary.output
    drawn_summary = {p.name for p in (tmp_path / "summary" / "figures").iterdir()}
    # the one risk rests on total_end, the end value of the state total (not on the state attacks)
    assert {"risk-matrix.png", "fan-total.png"} <= drawn_summary <= {"risk-matrix.png", "fan-total.png",
                                                                     "states-yes-no.png"}
    summary_meta = json.loads((tmp_path / "summary" / "run.json").read_text())["run_timings"]
    assert "drivers" not in summary_meta["phases_s"]


@pytest.mark.parametrize("option", [["--report", "some"], ["--figures", "many"]])
def test_unknown_report_or_figure_set_is_exit_2(write, tmp_path, option):
    result = runner.invoke(app, ["run", str(write(VALID)), "--out", str(tmp_path / "x"), *option])
    assert result.exit_code == 2 and "unknown" in result.output and "Traceback" not in result.output


def test_sources_commands_find_the_registry_a_file_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no scenarios/ here: the default path must not be what is found
    variant = ROOT / "scenarios" / "mali" / "wagner-exit.yaml"  # extends baseline.yaml, which names it
    listed = runner.invoke(app, ["sources", "list", str(variant)])
    assert listed.exit_code == 0 and "contrapuntal-2023-07-01" in listed.output, listed.output
    checked = runner.invoke(app, ["sources", "check", str(REGISTRY)])
    assert checked.exit_code == 0 and "5 stored texts, every SHA-256 matches; 35 references" in checked.output
    found = runner.invoke(app, ["sources", "find", "Wagner fighters", str(REGISTRY.parent)])
    assert found.exit_code == 0 and "contrapuntal-2023-07-01:" in found.output
    nothing = runner.invoke(app, ["sources", "list"])
    assert nothing.exit_code == 2 and "name a scenario file" in nothing.output


def test_schema_registry_describes_every_key_the_reader_accepts_and_readme_documents_them():
    import json

    from riskmodel import sources

    result = runner.invoke(app, ["schema", "--registry"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    entry = schema["properties"]["sources"]["items"]
    assert sorted(entry["properties"]) == sorted(sources._ENTRY_KEYS)
    stored, reference = entry["oneOf"]
    assert sorted(entry["required"] + stored["required"]) == sorted(sources._REQUIRED_KEYS)
    assert sorted(entry["required"] + reference["required"]) == sorted(sources._REFERENCE_KEYS)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Registry fields"):]
    for key in sources._ENTRY_KEYS:
        assert f"| `{key}` |" in section, key


def test_report_draws_the_on_request_figures_from_saved_results(write, tmp_path):
    out = tmp_path / "run"
    assert runner.invoke(app, ["run", str(write(VALID)), "--samples", "300", "--out", str(out)]).exit_code == 0
    register = (out / "register.csv").read_text()
    assert not list((out / "figures").glob("exceedance-*.png"))
    result = runner.invoke(app, ["report", str(out), "--figures", "all"])
    assert result.exit_code == 0, result.output
    assert list((out / "figures").glob("exceedance-*.png")) and (out / "figures" / "convergence.png").is_file()
    assert (out / "register.csv").read_text() == register  # no number changes


def test_the_program_counts_its_start_up_as_a_phase(tmp_path):
    import json

    out = tmp_path / "run"
    subprocess.run([sys.executable, "-m", "riskmodel", "run", str(ROOT / "scenarios" / "examples" / "minimal.yaml"),
                    "--samples", "300", "--report", "none", "--out", str(out)], check=True, capture_output=True)
    timings = json.loads((out / "run.json").read_text())["run_timings"]
    assert list(timings["phases_s"])[0] == "start-up" and timings["phases_s"]["start-up"] > 0
    assert sum(timings["phases_s"].values()) <= timings["total_s"] + 1e-3


def test_start_up_phase_is_bounded_by_the_packages_import(monkeypatch):
    """A process clock that puts the start long before the package's import (seen once: 57 s, the pip install
    before a newcomer's first run) is not believed: start-up counts from the import instead."""
    import time

    import riskmodel
    from riskmodel import phases as timing

    monkeypatch.setattr(timing, "process_start_time", lambda: time.time() - 100.0)
    phases = timing.Phases(since_process_start=True)
    assert phases.times["start-up"] == pytest.approx(time.time() - riskmodel.IMPORTED_AT, abs=0.5)
    monkeypatch.setattr(timing, "process_start_time", lambda: riskmodel.IMPORTED_AT - 0.3)  # a believable clock
    phases = timing.Phases(since_process_start=True)
    assert phases.times["start-up"] == pytest.approx(time.time() - riskmodel.IMPORTED_AT + 0.3, abs=0.2)


def test_compare_of_two_scenarios_with_the_same_name_keeps_both_columns(tmp_path):
    corpus = ROOT / "tests" / "corpus"
    project = tmp_path / "p"
    shutil.copytree(corpus, project)
    variant = (project / "base.yaml").read_text().replace("threshold: 30", "threshold: 20")
    (project / "variant.yaml").write_text(variant)  # the same name: corpus
    result = runner.invoke(app, ["compare", str(project / "base.yaml"), str(project / "variant.yaml"),
                                 "--samples", "200", "--out", str(tmp_path / "cmp")], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if line.startswith("risk"))
    assert header.split() == ["risk", "corpus", "corpus", "(2)"]
    row = next(line for line in result.stdout.splitlines() if line.startswith("many_attacks"))
    assert len(row.split()) == 4  # the reference's likelihood, the variant's and its difference
    # the same file twice is equal on every path: "(same)", not "+0.0±0.00"
    twice = runner.invoke(app, ["compare", str(project / "base.yaml"), str(project / "base.yaml"), "--samples", "200",
                                "--out", str(tmp_path / "twice")], env={"COLUMNS": "100"})
    assert twice.exit_code == 0, twice.output
    table = pd.read_csv(tmp_path / "twice" / "comparison.csv")
    assert (table.loc[table["position"] == 1, ["diff", "se_diff"]] == 0).all().all()
    assert table.loc[table["position"] == 1, "same_on_every_path"].all()
    assert not table.loc[table["position"] == 0, "same_on_every_path"].any()  # the reference has no difference
    row = next(line for line in twice.stdout.splitlines() if line.startswith("many_attacks"))
    assert row.rstrip().endswith("(same)") and "±" not in row.split()[-2:], row


def test_a_small_run_draws_every_figure_without_a_warning(tmp_path):
    # --samples 50: the convergence panels hold one point each (matplotlib warned of a singular x axis)
    proc = subprocess.run([sys.executable, "-W", "always", "-m", "riskmodel", "run", str(ROOT / "tests" / "corpus" / "base.yaml"),
                           "--samples", "50", "--figures", "all", "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONWARNINGS": "always"})
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr


def test_a_reader_that_closes_the_pipe_ends_the_command_quietly() -> None:
    """`riskmodel validate ... | head -1`: the reader goes away after one line; the tool stops without a
    message or a traceback on stderr (it said "Broken pipe; check the path, its permissions and the disk")."""
    files = [str(p) for p in sorted((ROOT / "scenarios" / "mali").glob("*.yaml"))]
    proc = subprocess.Popen([sys.executable, "-m", "riskmodel", "validate", "--strict", *files], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()  # what `head -1` does after its line
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Broken pipe" not in err and "Traceback" not in err and "Exception ignored" not in err, err
    assert proc.returncode in (0, 1)  # 0 when every line was written before the pipe closed


def test_the_program_flushes_its_streams_and_keeps_its_exit_code_on_the_quick_way_out(tmp_path):
    # `python -m riskmodel` leaves by os._exit once a command has ended: what it printed to a pipe must still
    # arrive, and the exit code stay the command's (0 for --version, 2 for a scenario file that is not there)
    proc = subprocess.run([sys.executable, "-m", "riskmodel", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip().startswith("riskmodel ")
    proc = subprocess.run([sys.executable, "-m", "riskmodel", "validate", str(tmp_path / "missing.yaml")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "missing.yaml: scenario file not found" in proc.stderr and "1 problem found." in proc.stderr


def test_a_list_or_mapping_set_runs_to_the_full_report(tmp_path):
    """README's own `--set parameters.wagner_fighters.ci90=[800,1400]` form: a list or mapping value made the
    Scenario unhashable, and the report's dependency graph (cached per scenario) raised TypeError."""
    out = tmp_path / "r"
    result = runner.invoke(app, ["run", str(ROOT / "scenarios" / "examples" / "minimal.yaml"), "--samples", "300",
                                 "--set", "parameters.base_attacks.ci90=[10,90]",
                                 "--set", 'interventions.regional_force.set={base_attacks: "base_attacks * 0.5"}',
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "--set parameters.base_attacks.ci90 = [10, 90] (file: [20, 80])" in html
    assert "What drives this result" in html  # the drivers section, which reads the dependency graph


@pytest.mark.parametrize("command", ["list", "check", "find"])
def test_sources_with_a_mistyped_file_says_so_instead_of_using_the_registry_beside_it(command):
    typo = ROOT / "scenarios" / "sources" / "registy.yaml"  # registry.yaml is beside it
    args = ["sources", command] + (["peacekeepers"] if command == "find" else []) + [str(typo)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and result.stderr == f"{typo}: file not found; check the path\n1 problem found.\n"


def test_validate_accepts_the_shipped_update_example_and_names_its_interim_observation():
    """minimal-update.yaml records "did not happen" before a risk's window closes: update conditions on it,
    backtest refuses it. validate checked it as a backtest would and exited 2 on a shipped example."""
    path = ROOT / "scenarios" / "examples" / "outcomes" / "minimal-update.yaml"
    result = runner.invoke(app, ["validate", "--strict", str(path)])
    assert result.exit_code == 0, result.output
    assert ("1 interim (\"not yet\" before a risk's window closes): riskmodel update conditions on them, "
            "riskmodel backtest refuses them") in " ".join(result.stdout.split())
    assert "info:" in result.stdout and "observations[4].date" in result.stdout


def test_compare_wide_prints_every_cell_whole_at_the_terminals_width(tmp_path):
    # at 80 columns the wide table was squeezed to "mali-base…" and "attacks_d…", with "38.9% ±" over "0.76%"
    import pandas as pd

    corpus = ROOT / "tests" / "corpus"
    project = tmp_path / "p"
    shutil.copytree(corpus, project)
    (project / "variant.yaml").write_text((project / "base.yaml").read_text().replace("threshold: 30", "threshold: 20"))
    args = ["compare", str(project / "base.yaml"), str(project / "variant.yaml"), "--samples", "200", "--wide"]
    narrow = runner.invoke(app, [*args, "--out", str(tmp_path / "a")], env={"COLUMNS": "60"})
    assert narrow.exit_code == 0, narrow.output
    lines = [line for line in narrow.stdout.splitlines() if not line.startswith("Comparison")]
    assert max(len(line) for line in lines) <= 60 and "…" not in narrow.stdout
    table = pd.read_csv(tmp_path / "a" / "comparison.csv")
    row = table[(table["risk"] == "many_attacks") & (table["position"] == 1)].iloc[0]
    block = lines[lines.index("many_attacks") + 1:][:2]
    assert block[0].startswith("    corpus ") and block[1].startswith("    corpus (2) ")
    assert block[1].endswith(f"; difference {fmt_pp(row['diff'])} ± {fmt_pp(row.se_diff, 2, sign=False)}")
    broad = runner.invoke(app, [*args, "--out", str(tmp_path / "b")], env={"COLUMNS": "200"})
    assert any(line.startswith("┃ risk") for line in broad.stdout.splitlines())  # the table, when it fits


def test_compare_at_80_columns_keeps_a_certain_risk_on_its_line(write, tmp_path):
    """A likelihood of 1 read "100.0% (all paths)", which the compare table's 12-column reference cell wrapped
    onto a second line; the compact form is "100.0% (all)"."""
    path = write(VALID.replace("threshold: 30", "threshold: -1"))  # every path has more than -1 attacks
    result = runner.invoke(app, ["compare", str(path), str(path), "--samples", "300", "--out", str(tmp_path / "c")],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.startswith("many_attacks"))
    assert "100.0% (all)" in row and "(same)" in row, result.stdout
    assert not any(line.strip() == "paths)" for line in result.stdout.splitlines())
