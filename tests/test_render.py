"""The report and the comparison: files, contents, escaping, atomicity, re-rendering, a real browser."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ROOT, VALID
from riskmodel.analyse import compare_registers
from riskmodel.cli import app
from riskmodel.model import Month, Risk, Scenario
from riskmodel.pipeline import compare, render_into, report, run, scenario_of, write_run_folder
from riskmodel.render import plots, render_comparison, render_report
from riskmodel.render._common import md_escape
from riskmodel.render._stats import conditional_median, exceedance_curve, running_estimate
from riskmodel.results import Results
from riskmodel.validate import validate

runner = CliRunner()
EXAMPLES = ROOT / "scenarios" / "examples"

VARIANT = """\
schema: riskmodel/1
extends: s.yaml
name: tiny-variant
title: Tiny variant
parameters:
  rate:
    mode: 3.0
interventions:
  - name: force
    until: 2024-12
"""


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def tiny(write, tmp_path):
    """The conftest scenario, run at 400 paths and rendered into tmp_path/run."""
    path = write(VALID)
    scenario = validate(path)
    results = run(scenario, samples=400)
    out = write_run_folder(results, tmp_path / "run", extra=render_into(results, scenario, figures="all"))
    return path, scenario, results, out


# --------------------------------------------------------------------------- the report


def test_report_files_self_contained(tiny):
    _, _, _, out = tiny
    html = (out / "index.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    pngs = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert {"risk-matrix.png", "convergence.png", "fan-attacks.png", "exceedance-total_end.png"} <= set(pngs)
    for name in pngs:  # every figure is inline in the HTML and linked from the Markdown
        assert (out / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"](figures/{name})" in md
    assert html.count('src="data:image/png;base64,') == len(pngs)
    assert not re.search(r"<script|<link|\bsrc=\"(?!data:)|url\(", html, re.I)  # nothing to fetch, nothing to run
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_report_markdown_structure(tiny):
    markdown_it = pytest.importorskip("markdown_it")  # comes with rich
    _, scenario, _, out = tiny
    html = markdown_it.MarkdownIt("commonmark").enable("table").render((out / "report.md").read_text("utf-8"))
    # header, register, the drivers' top-driver and group tables, one ledger table per factor with parameters,
    # evidence, states, interventions, outputs, sources: every table parses as one (a stray blank line or an
    # unescaped pipe would break it)
    assert html.count("<table>") == 10
    register = html.split("<table>")[2].split("</table>")[0]
    assert register.count("<tr>") == 1 + len(scenario.risks)
    assert html.count("<blockquote>") == sum(len(f.cite) for f in scenario.factors)  # one quote each
    assert html.count("<img ") == len(list((out / "figures").glob("*.png")))


def test_report_contents(tiny):
    _, scenario, results, out = tiny
    html = (out / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")  # break hints in long names
    md = (out / "report.md").read_text(encoding="utf-8")
    reg = results.register.iloc[0]
    for text in ("Tiny scenario", "2024-01 to 2024-12 (12 months)", "400", "lhs (Latin hypercube)",
                 scenario.sha256, "0.2.0"):
        assert text in html and text in md
    # the register: likelihood with its error and interval, threshold, factor; the reserved column
    assert f"{reg.likelihood * 100:.1f}%" in html and f"{reg.se * 100:.2f}%" in html
    assert "total_end &gt; 30" in html and "judgment share" in html
    share = f"{reg.judgment_ST * 100:.1f}%" if reg.judgment_ST < 1 else "100.0%"
    assert share in html and share in md  # the judgment share of the first risk, in the register
    assert "Judgment share: the share of this output" in html and "Judgment share: the share of this output" in md
    assert 'id="drivers"' in html and "## What drives this result" in md
    # the ledger: distribution, interval, evidence, quote, source, verified mark and line, rationale
    assert "Lognormal" in html or "lognormal" in html
    assert "About 1,000 fighters remain" in html and "A tiny source" in html
    assert "✓ verified</span>, line 3 of tiny.txt" in html
    assert "No source gives a rate." in html and "derived: fighters / 5" in html and "(from samples)" in html
    # evidence summary and sources
    assert re.search(r'badge partly cited">partly cited</span></td><td class="num">1</td><td class="num">33%', html)
    assert scenario.sources[0].sha256 in html
    # every figure states its Monte Carlo error and the number of paths (or the band method)
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)
    assert len(captions) == html.count("<figure ")
    for caption in captions:
        if "evidence class" in caption:
            continue  # a count of parameters, not an estimate
        # the run's 400 paths, or (the judgment share) the paths of its own design
        assert re.search(r"standard error|rank error", caption) and ("400" in caption or "simulated paths" in caption), \
            caption


def test_report_ledger_says_what_is_stated(tiny):
    """The ledger: which defining numbers are stated (quote, source, line), which are the analyst's; derived
    parameters with their inputs' evidence; the summary counts; validation warnings in the Model section."""
    _, scenario, _, out = tiny
    md = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")
    row = next(line for line in md.splitlines() if line.startswith("| fighters |"))
    assert "| partly cited |" in row
    assert "ci90\\[0\\] 700: the analyst's; ci90\\[1\\] 1500: the analyst's;" in row  # Markdown-escaped brackets
    assert '"About 1,000 fighters remain" — A tiny source, undated, ✓ verified, line 3.' in row
    row = next(line for line in md.splitlines() if line.startswith(("| per_region |", "| per\\_region |")))
    assert "| derived |" in row and "derived from partly cited: fighters." in row
    for text in (md, html):
        assert "1 of the 1 derived parameters rest on cited inputs only. Citations: 2 verified in stored texts, " \
               "0 quoted from references and not checked against a stored text." in text
        assert "warning: " in text and "tiny-source" in text and "is undated, so hindsight cannot be checked" in text
    assert re.search(r"<td class=\"num\">1</td><td class=\"num\">33%</td></tr>\n<tr><td><span class=\"badge "
                     r"derived\">derived", html)
    summary = md.split("## Evidence summary")[1].split("##")[0]
    assert "| fully cited | 0 | 0% |" in summary and "| partly cited | 1 | 33% |" in summary
    assert "| derived | 1 | 33% |" in summary and "| judgment | 1 | 33% |" in summary


def test_report_ledger_fully_cited_and_reference(write, tmp_path):
    """A fully cited constant shows the quote and line that state it; a reference quote is shown as not checked."""
    import hashlib
    import textwrap

    from conftest import SOURCE_TEXT

    data = SOURCE_TEXT.encode("utf-8")
    (tmp_path / "sources" / "registry.yaml").write_text(textwrap.dedent(f"""\
        schema: riskmodel-sources/1
        sources:
          - id: tiny-source
            title: A tiny source
            date: 2023-06-01
            file: tiny.txt
            sha256: {hashlib.sha256(data).hexdigest()}
          - id: ref
            title: A reference
            date: 2023-11-30
            url: https://example.org/a
        """), encoding="utf-8")
    text = VALID.replace("    dist: lognormal\n    ci90: [700, 1500]\n    judgment: [ci90]\n", "    dist: constant\n"
                         "    value: 1000\n", 1)
    q = 'quote: "risks will likely increase as the mission winds down"'
    text = text.replace(q, q + '\n      - source: ref\n        quote: "a figure no stored text holds: 42 events"', 1)
    scenario = validate(write(text))
    results = run(scenario, samples=200)
    out = write_run_folder(results, tmp_path / "run2", extra=render_into(results, scenario))
    md = (out / "report.md").read_text(encoding="utf-8")
    row = next(line for line in md.splitlines() if line.startswith("| fighters |"))
    assert '| fully cited |' in row and 'value 1000: stated by "About 1,000 fighters remain" [tiny-source, line 3];' in row
    assert ('> "a figure no stored text holds: 42 events" — A reference [ref], 2023-11-30, quoted from '
            'https://example.org/a, not checked against a stored text') in md
    assert "Citations: 2 verified in stored texts, 1 quoted from references" in md
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'quoted from <a href="https://example.org/a">https://example.org/a</a>, not checked against a stored text' in html


def test_scenario_text_never_becomes_markup(write, tmp_path):
    text = (VALID.replace("title: Tiny scenario", 'title: "<script>alert(1)</script>"')
            .replace("rationale: No source gives a rate.",
                     'rationale: "<img src=x onerror=alert(2)> a | pipe and *stars*"'))
    scenario = validate(write(text))
    results = run(scenario, samples=200)
    out = tmp_path / "r"
    out.mkdir()
    render_report(results, scenario, out, figures="all")
    html = (out / "index.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower() and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md and "<script" not in md and "<img" not in md
    assert r"a \| pipe and \*stars\*" in md  # a pipe never breaks a Markdown table row


def test_md_escape():
    assert md_escape("a|b <x> *y* & [z](u)\nnext") == r"a\|b &lt;x&gt; \*y\* &amp; \[z\](u) next"


def test_failing_render_leaves_the_earlier_folder_byte_identical(tiny, tmp_path, monkeypatch):
    _, scenario, _, out = tiny
    before = _snapshot(out)
    results = run(scenario, samples=500)

    def boom(*args, **kwargs):
        raise RuntimeError("the renderer failed")

    monkeypatch.setattr(plots, "exceedance_plot", boom)
    with pytest.raises(RuntimeError, match="the renderer failed"):
        write_run_folder(results, out, extra=render_into(results, scenario, figures="all"))
    assert _snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


_FORKS = (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()
_RUN_AND_LIST = """
import sys, riskmodel
riskmodel.run(sys.argv[1], samples=1500, seed=5, out=sys.argv[2])
print(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"))
"""


@pytest.mark.skipif(not _FORKS, reason="figures are drawn in this process without a second core and fork")
def test_a_report_drawn_by_the_warm_process_is_the_report_drawn_here_without_matplotlib_here(write, tmp_path):
    """With a second core the run's process never loads matplotlib (a warm process forked before it validates
    loads it, and forks the drawing workers); every figure's bytes are those drawn in one process."""
    path = write(VALID)
    env = {k: v for k, v in os.environ.items() if k != "RISKMODEL_RENDER_PROCESSES"}
    warm = subprocess.run([sys.executable, "-c", _RUN_AND_LIST, str(path), str(tmp_path / "warm")], env=env,
                          capture_output=True, text=True, timeout=300)
    here = subprocess.run([sys.executable, "-c", _RUN_AND_LIST, str(path), str(tmp_path / "here")],
                          env={**env, "RISKMODEL_RENDER_PROCESSES": "1"}, capture_output=True, text=True, timeout=300)
    assert warm.returncode == 0 and here.returncode == 0, warm.stderr + here.stderr
    assert warm.stdout.splitlines()[-1] == "[]"
    assert "'matplotlib'" in here.stdout.splitlines()[-1]  # drawn here: the check above can fail
    figures = {p.name: p.read_bytes() for p in sorted((tmp_path / "warm" / "figures").glob("*.png"))}
    assert "drivers-judgment-share.png" in figures and "risk-matrix.png" in figures  # made first, drawn once
    assert figures == {p.name: p.read_bytes() for p in sorted((tmp_path / "here" / "figures").glob("*.png"))}
    page = (tmp_path / "warm" / "index.html").read_text(encoding="utf-8")
    assert page.count('alt="Bar chart of the judgment share per risk') == 1


@pytest.mark.skipif(not _FORKS, reason="a warm process needs a second core and fork")
def test_a_figure_that_fails_in_the_warm_process_raises_here_and_the_processes_end():
    from riskmodel.render._common import Figure, later
    from riskmodel.render._pool import FigurePool

    figures = [Figure("a.png", later("plots:evidence_bars", {"cited": 2, "judgment": 1}), "t", "c", "a"),
               Figure("b.png", later("plots:no_such_plot", 1), "t", "c", "a")]
    pool = FigurePool(warm=True)
    process = next(iter(pool.warm._processes.values()))
    with pytest.raises(AttributeError, match="no_such_plot"):
        with pool:
            pool.start(figures[:1])
            pool.resolve(figures)
    process.join(timeout=10)
    assert process.exitcode is not None and pool.warm is None


@pytest.mark.skipif(not _FORKS, reason="a warm process needs a second core and fork")
@pytest.mark.parametrize("when", ["before the figures are sent", "while they are drawn"])
def test_a_dead_warm_process_loses_no_figure(when):
    """The warm process killed (the kernel's out-of-memory killer, a user's kill): its figures are drawn by
    workers forked from this process instead, the same bytes."""
    import signal

    from riskmodel.render._common import Figure, later
    from riskmodel.render._pool import FigurePool

    def figures():
        return [Figure(f"{i}.png", later("plots:evidence_bars", {"cited": i + 1, "judgment": 2}), "t", "c", "a")
                for i in range(4)]

    with FigurePool() as here:
        expected = [f.png for f in here.resolve(figures())]
    drawn = figures()
    with FigurePool(warm=True) as pool:
        (process,) = pool.warm._processes.values()
        if when == "before the figures are sent":
            os.kill(process.pid, signal.SIGKILL)
            process.join(timeout=10)
            pool.start(drawn)
        else:
            pool.start(drawn)
            os.kill(process.pid, signal.SIGKILL)
        pool.resolve(drawn)
        assert pool.warm is None
    assert [f.png for f in drawn] == expected and expected[0][:4] == b"\x89PNG"


def test_cli_run_writes_the_report(write, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(write(VALID)), "--samples", "300", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and (out / "report.md").is_file() and (out / "figures").is_dir()
    assert "index.html" in result.output


# --------------------------------------------------------------------------- render again


def test_report_renders_again_without_simulating(tiny, monkeypatch):
    _, _, results, out = tiny
    (out / "index.html").unlink()
    shutil.rmtree(out / "figures")

    def no_simulation(*args, **kwargs):
        raise AssertionError("report must not simulate")

    monkeypatch.setattr("riskmodel.pipeline.simulate", no_simulation)
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and (out / "figures" / "risk-matrix.png").is_file()
    pd.testing.assert_frame_equal(pd.read_parquet(out / "outputs.parquet"), results.outputs)


def test_report_rebuilds_the_scenario_from_the_stored_document(write, tmp_path):
    (tmp_path / "riskmodel.toml").write_text("")  # a project: the run folder may name its sources
    path = write(VALID)
    out = tmp_path / "out"
    # an override: the file alone no longer gives the run's document (its SHA-256 differs)
    result = runner.invoke(app, ["run", str(path), "--samples", "200", "--out", str(out),
                                 "--set", "parameters.rate.mode=3.5"])
    assert result.exit_code == 0, result.output
    saved = Results.load(out)
    rebuilt = scenario_of(saved)
    assert rebuilt.parameter("rate").distribution.arg("mode") == 3.5
    assert rebuilt.sha256 == saved.meta["scenario_sha256"] and rebuilt.path == str(path)
    path.unlink()  # the file is gone: the stored document still renders, sources resolved beside it
    report(out)
    assert "PERT(1, 3.5, 4)" in (out / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")


def test_report_of_a_folder_that_is_not_a_run(tmp_path):
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "not a run folder" in result.output


# --------------------------------------------------------------------------- comparison


def test_compare_registers_paired_differences():
    rng = np.random.default_rng(3)
    y = rng.normal(size=2000)
    shifted = y + rng.normal(0.3, 0.2, size=2000)
    risk = Risk("r", "R", "f", "y", 0.5, "above")
    scen = [Scenario(name=nm, title=nm, origin=Month(2024, 1), horizon_months=1, samples=2000, seed=1,
                     sampler="mc", risks=(risk,)) for nm in ("a", "b")]
    res = [Results(outputs=pd.DataFrame({"y": v}), parameters=pd.DataFrame(), bands=pd.DataFrame(),
                   register=pd.DataFrame(), meta={}) for v in (y, shifted)]
    table = compare_registers(res, scen).set_index("scenario")
    d = (shifted > 0.5).astype(float) - (y > 0.5).astype(float)
    assert table.loc["b", "diff"] == pytest.approx(d.mean())
    assert table.loc["b", "se_diff"] == pytest.approx(d.std(ddof=1) / np.sqrt(2000))
    assert table.loc["b", "se_diff"] < table.loc["b", "se"]  # paired: smaller than one likelihood's error
    assert np.isnan(table.loc["a", "diff"]) and table.loc["b", "same_definition"]
    with pytest.raises(ValueError, match="number of paths"):
        compare_registers([res[0], Results(outputs=pd.DataFrame({"y": y[:10]}), parameters=pd.DataFrame(),
                                           bands=pd.DataFrame(), register=pd.DataFrame(), meta={})], scen)


def test_compare_uses_common_random_numbers(write):
    path = write(VALID)
    runs, table = compare([path, path], samples=300, seed=5)
    second = table[table["position"] == 1].iloc[0]
    assert second["diff"] == 0 and second["se_diff"] == 0  # the same streams: identical paths
    pd.testing.assert_frame_equal(runs[0].outputs, runs[1].outputs)


def test_cli_compare_writes_the_comparison_and_renders_again(write, tmp_path):
    base = write(VALID)
    variant = write(VARIANT, "variant.yaml")
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(base), str(variant), "--samples", "300", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "common random numbers" in result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["comparison.csv", "figures", "index.html", "report.md", "run.json", "runs"]
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["0-tiny", "1-tiny-variant"]
    meta = json.loads((out / "run.json").read_text())
    assert meta["kind"] == "comparison" and meta["seed"] == 1 and meta["samples"] == 300
    html = (out / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")
    for text in ("Scenario comparison", "common random numbers", "What differs", "PERT(1, 3, 4)",
                 "2024-06 to 2024-12", "Fan charts: attacks", "All risks", "difference"):
        assert text in html, text
    table = pd.read_csv(out / "comparison.csv")
    assert {"diff", "se_diff", "diff_low", "diff_high"} <= set(table.columns)
    md = (out / "report.md").read_text(encoding="utf-8")
    for name in (p.name for p in (out / "figures").glob("*.png")):
        assert f"](figures/{name})" in md
    markdown_it = pytest.importorskip("markdown_it")
    rendered = markdown_it.MarkdownIt("commonmark").enable("table").render(md)
    assert rendered.count("<table>") == 4  # scenarios, registers side by side, how the drivers differ, what differs
    assert rendered.split("<table>")[2].count("<tr>") == 2 and ">difference</th>" in rendered
    before = (out / "comparison.csv").read_bytes()
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "comparison.csv").read_bytes() == before and (out / "index.html").is_file()


def test_render_comparison_of_the_examples(tmp_path):
    scenarios = [validate(EXAMPLES / "minimal.yaml"), validate(EXAMPLES / "minimal-surge.yaml")]
    results = [run(sc, samples=500, seed=2) for sc in scenarios]
    render_comparison(results, scenarios, tmp_path)
    html = (tmp_path / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")
    # the surge variant's threshold differs: flagged in the register and in the differences table
    assert "defined as idps_end &gt; 200,000" in html and "vacuum_multiplier" in html


# --------------------------------------------------------------------------- figure numerics


def test_exceedance_curve_is_exact():
    discrete = exceedance_curve(np.sort(np.array([0, 0, 1, 1, 1, 2.0])))
    assert discrete.discrete and discrete.x.tolist() == [0, 1, 2]
    assert discrete.p.tolist() == pytest.approx([4 / 6, 1 / 6, 0])
    v = np.sort(np.random.default_rng(1).lognormal(size=10_000))
    curve = exceedance_curve(v)
    assert not curve.discrete and curve.log_x and curve.x.size == 512
    i = 200
    assert curve.p[i] == pytest.approx(np.mean(v > curve.x[i]))
    assert curve.max_se == pytest.approx(np.sqrt(np.max(curve.p * (1 - curve.p)) / 10_000))


def test_conditional_median_and_running_estimate():
    v = np.arange(1.0, 101.0)
    cm = conditional_median(v, 50, "above")  # 51..100
    assert cm.k == 50 and cm.median == 75.5 and cm.low < 75.5 < cm.high
    assert conditional_median(v, 11, "below").median == 5.5
    assert conditional_median(v, 1000, "above").k == 0
    ind = np.random.default_rng(2).random(5000) < 0.3
    est = running_estimate(ind)
    assert est.n[-1] == 5000 and est.p[-1] == pytest.approx(ind.mean())
    assert est.se[-1] == pytest.approx(np.sqrt(ind.mean() * (1 - ind.mean()) / 5000))


# --------------------------------------------------------------------------- a real browser

CHROMIUM = next((c for c in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if c and Path(c).is_file()), None)

# Injected into a copy of the page (the report itself has no script and a CSP that forbids one): records
# errors and failed loads from the start, and on load marks <body> with how many images there are and how
# many did not decode; Chromium's --dump-dom then prints those marks.
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  window.__errors.push(String(e.message || (e.target && (e.target.src || e.target.href)) || 'error'));
}, true);
(function () { var ce = console.error; console.error = function () {
  window.__errors.push([].join.call(arguments, ' ')); ce.apply(console, arguments); }; })();
window.addEventListener('load', function () {
  var imgs = [].slice.call(document.images);
  var bad = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  document.body.dataset.images = imgs.length;
  document.body.dataset.brokenImages = bad.length;
  document.body.dataset.errors = JSON.stringify(window.__errors);
  document.body.dataset.probeDone = '1';
});
</script>"""


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr",
           "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


@pytest.mark.browser
def test_report_renders_in_headless_chromium(tmp_path):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from PIL import Image

    scenario = validate(EXAMPLES / "minimal.yaml")
    results = run(scenario, samples=2000)
    out = tmp_path / "report"
    out.mkdir()
    render_report(results, scenario, out, figures="all")
    page = out / "index.html"
    html = page.read_text(encoding="utf-8")

    # 1. the page as shipped: a screenshot, and not one console message (the page has no script, so any
    #    message is a blocked load, a policy violation or an error)
    shot = tmp_path / "shot.png"
    proc = _chromium(tmp_path / "profile-1", f"--screenshot={shot}", "--window-size=1280,4000", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 4000)
    small = np.asarray(image.resize((320, 1000)))
    inked = np.mean(small.min(axis=2) < 235)
    colours = len(image.getcolors(maxcolors=1 << 20) or [])
    assert inked > 0.05 and colours > 200, (inked, colours)  # text, tables and figures, not a blank page

    # 2. a copy with a probe script: every image loaded and decoded, no error raised
    probe = out / "probe.html"
    probe.write_text(html.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';", 1)
                     .replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    proc = _chromium(tmp_path / "profile-2", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", proc.stdout)
    assert body and 'data-probe-done="1"' in body.group(1), proc.stdout[:2000]
    attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1)))
    assert int(attrs["images"]) == html.count("<img ") > 5
    assert attrs["broken-images"] == "0"
    assert json.loads(attrs["errors"].replace("&quot;", '"')) == []


def test_number_formats():
    from riskmodel.render._common import fmt_pct, fmt_se, wbr

    assert fmt_pct(0.31234) == "31.2%" and fmt_pct(0.0004) == "0.04%" and fmt_pct(1.0) == "100.0%"
    assert fmt_pct(0.99996) == ">99.9%"  # never rounded up to a certainty, never past the stated precision (issue 15)
    assert fmt_se(0.005) == "0.50%" and fmt_se(0.0049) == "0.49%"
    from riskmodel.formats import fmt_num

    # one minus sign at every size: the update page read "−10.6" above "-106" ("-" for whole numbers)
    assert [fmt_num(x) for x in (-10.6, -106.3, -12345.6, -2.5e10, 2024, 0.00123)] == \
        ["−10.6", "−106", "−12,346", "−2.5e10", "2024", "0.00123"]
    assert str(wbr("<b>a_b</b>")) == "&lt;b&gt;a_<wbr>b&lt;/<wbr>b&gt;"  # escaped first, entities intact
    # a threshold's digit groups stay whole ("150, 000" broke across lines); a list's commas still break
    assert str(wbr("idps_end > 150,000")) == "idps_<wbr>end &gt; 150,000"
    assert str(wbr("max(a,b)")) == "max(<wbr>a,<wbr>b)" and str(wbr("1,234,567")) == "1,234,567"


def test_figures_drawn_in_worker_processes_are_byte_identical(tiny, tmp_path, monkeypatch):
    _, scenario, results, out = tiny
    monkeypatch.setenv("RISKMODEL_RENDER_PROCESSES", "1")
    serial = tmp_path / "serial"
    serial.mkdir()
    render_report(results, scenario, serial, figures="all")
    monkeypatch.setenv("RISKMODEL_RENDER_PROCESSES", "2")
    parallel = tmp_path / "parallel"
    parallel.mkdir()
    render_report(results, scenario, parallel, figures="all")
    assert _snapshot(serial / "figures") == _snapshot(parallel / "figures")
    assert len(list((parallel / "figures").glob("*.png"))) > 2


def test_convergence_caption_says_when_the_binomial_error_is_exact(tiny, write, tmp_path):
    """sqrt(p(1-p)/n) is exact for independent paths only: mc without correlations. A design's strata or
    Iman-Conover's pairing within a block make the spread across seeds smaller (README, Monte Carlo error),
    so the caption says conservative there, and why. (The convergence figure is drawn with figures="all".)"""
    _, scenario, _, out = tiny
    assert scenario.sampler == "lhs" and not scenario.correlations
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "with lhs sampling the band is conservative: the design's strata make" in md
    mc = run(scenario, samples=400, sampler="mc")
    md = (write_run_folder(mc, tmp_path / "mc", extra=render_into(mc, scenario, figures="all"))
          / "report.md").read_text(encoding="utf-8")
    assert "with mc sampling the band is exact." in md
    correlated = validate(EXAMPLES / "minimal.yaml")
    assert correlated.correlations
    res = run(correlated, samples=400, sampler="mc", judgment_samples=0)
    md = (write_run_folder(res, tmp_path / "corr", extra=render_into(res, correlated, figures="all"))
          / "report.md").read_text(encoding="utf-8")
    assert ("with mc sampling the band is conservative: the rank correlations imposed on each block make"
            in md)


def test_an_unknown_figure_set_is_refused_before_the_simulation(write, tmp_path, monkeypatch):
    import riskmodel.pipeline as pipeline
    from riskmodel.render import FIGURE_SETS

    assert pipeline.FIGURES == FIGURE_SETS + ("none",)  # the pipeline's list, written out, is the renderer's
    path = write(VALID)
    simulated = []
    with monkeypatch.context() as m:
        m.setattr(pipeline, "simulate", lambda *a, **k: simulated.append(1))
        with pytest.raises(ValueError, match=r"one of default, all, summary, none .*not 'everything'"):
            run(path, samples=400, out=tmp_path / "r", figures="everything")
    assert not simulated and not (tmp_path / "r").exists()
    results = run(validate(path), samples=400, judgment_samples=0)
    with pytest.raises(ValueError, match="not 'everything'"):
        render_into(results, results.scenario, figures="everything")
    out = write_run_folder(results, tmp_path / "data", extra=render_into(results, results.scenario, figures="none"))
    assert (out / "run.json").is_file() and not (out / "index.html").exists()


def test_the_judgment_share_caption_names_the_interval_the_sobol_code_computes(tmp_path):
    """The judgment share's intervals are percentile bootstrap intervals (sobol._percentile_interval), not
    ± 1.96 bootstrap standard errors; first order above total order is noise, and the caption says so."""
    scenario = validate(EXAMPLES / "minimal.yaml")
    res = run(scenario, samples=2000, judgment_samples=256)
    assert res.meta["judgment_share"]["method"].endswith("95% percentile bootstrap)")
    md = (write_run_folder(res, tmp_path / "r", extra=render_into(res, scenario)) / "report.md").read_text("utf-8")
    caption = md[md.index("How much rests on judgment"):][:1200]
    assert "Whiskers: 95% percentile bootstrap intervals over the design's 256 base rows (1,024 simulated" in caption
    assert "1.96 bootstrap standard errors" not in caption
    assert "a diamond beyond its bar is the two estimates' Monte Carlo error" in caption


def test_the_comparison_names_its_hashes_as_the_documents_and_claims_no_noise_free_difference(tmp_path):
    import hashlib

    files = [EXAMPLES / "minimal.yaml", EXAMPLES / "minimal-surge.yaml"]
    runs, _ = compare(files, samples=500, out=tmp_path / "c")
    html = (tmp_path / "c" / "index.html").read_text(encoding="utf-8")
    md = (tmp_path / "c" / "report.md").read_text(encoding="utf-8")
    for r, f in zip(runs, files):
        merged, on_disk = r.meta["scenario_sha256"], hashlib.sha256(f.read_bytes()).hexdigest()
        assert merged != on_disk and on_disk not in html  # the shown hash is the merged document's, not the file's
        assert f"· document SHA-256 {merged}" in html and merged in md
    assert "document SHA-256 (the merged scenario, not the file's bytes)" in html
    assert "document SHA-256 (the merged scenario, not the file's bytes)" in md
    assert "not from sampling noise" not in html and "each given with its paired standard error" in html


def test_the_ledger_legend_says_a_cited_number_may_rest_on_an_unchecked_reference(tiny):
    html = (tiny[3] / "index.html").read_text(encoding="utf-8")
    assert "the quote was found in its text" not in html
    assert ('<span class="badge cited">fully cited</span> every number that defines the distribution is stated by '
            'a quote, either "✓ verified" at its line of a stored text or quoted from a dated reference') in html
