"""What the report says (issue 15): read the rendered text and the figures' data, not that they render."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import VALID
from riskmodel.graph import dependency_graph
from riskmodel.pipeline import render_into, run, write_run_folder
from riskmodel.render._common import environment, fmt_pct
from riskmodel.validate import validate

# a scenario whose states have init expressions and updates naming other states, and a parameter
# (`noise`) with no path to any output, and one (`spread`) that reaches only `spread_end`
GRAPH = (VALID
         .replace("""  per_region:""", """  noise:
    factor: vacuum
    dist: uniform
    low: 0
    high: 1
    evidence: judgment
    rationale: Reaches no output.
  spread:
    factor: vacuum
    dist: uniform
    low: 0
    high: 2
    evidence: judgment
    rationale: Reaches one output.
  per_region:""")
         .replace("""  total:
    factor: vacuum
    update: "prev + attacks"
""", """  total:
    factor: vacuum
    init: "fighters / 100"
    update: "prev + attacks"
  spread_state:
    factor: vacuum
    init: "spread * 2"
    update: "prev(spread_state) + spread * where(total > 10, 1, 0)"
  idle:
    factor: vacuum
    update: "noise * 3"
""")
         .replace("""  per_month: {expr: "attacks_h2 / 6"}
""", """  per_month: {expr: "attacks_h2 / 6"}
  spread_end: {state: spread_state, agg: end}
""")
         .replace("""    threshold: 30
""", """    threshold: 30
  - id: wide_spread
    title: Spread above 20
    factor: vacuum
    output: spread_end
    threshold: 20
"""))


assert GRAPH.count("spread") > 5 and "noise * 3" in GRAPH and "wide_spread" in GRAPH  # every edit applied


@pytest.fixture(scope="module")
def graph_report(tmp_path_factory):
    from conftest import write_registry

    folder = tmp_path_factory.mktemp("graph")
    write_registry(folder)
    path = folder / "s.yaml"
    path.write_text(GRAPH, encoding="utf-8")
    scenario = validate(path)
    results = run(scenario, samples=2000)
    out = write_run_folder(results, folder / "run", extra=render_into(results, scenario, figures="all"))  # tornados: on request
    return scenario, results, out


def test_states_table_shows_each_expression_as_written(graph_report):
    scenario, _, out = graph_report
    md = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")
    states_md = md.split("update each month |")[1].split("\n\n")[0]
    for s in scenario.states:
        row = next(line for line in states_md.splitlines() if line.startswith(f"| {s.name.replace('_', chr(92) + '_')}"))
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        unescape = lambda t: t.replace("\\_", "_").replace("\\*", "*").replace("&gt;", ">")  # noqa: E731
        assert unescape(cells[3]) == s.init and unescape(cells[4]) == s.update, row
        assert f"<code>{s.update.replace('>', '&gt;')}</code>" in html
        assert f"<code>{s.init}</code>" in html
    assert "fighters / 100" in md and "spread \\* 2" in md  # the init expressions (escaped), not 0
    for text in (md, html):
        assert "built-in method" not in text and "object at 0x" not in text


def test_a_dict_key_named_like_a_method_is_the_key():
    env = environment(True)
    text = env.from_string("{{ s.update }} {{ s.items }} {{ s.init }}").render(s={"update": "a + b", "items": "x",
                                                                                 "init": "0"})
    assert text == "a + b x 0"


def test_dependency_graph_by_hand():
    from conftest import write_registry
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        write_registry(Path(d))
        (Path(d) / "s.yaml").write_text(GRAPH, encoding="utf-8")
        g = dependency_graph(validate(Path(d) / "s.yaml"))
    # total_end <- total <- attacks <- rate (poisson(rate)); total's init names fighters; the intervention sets rate
    assert g.parameters_of("total_end") == ("fighters", "rate")
    assert g.parameters_of("attacks_h2") == ("rate",)
    assert g.parameters_of("per_month") == ("rate",)  # through the output attacks_h2
    # spread_end <- spread_state <- spread, total (bare name) <- attacks, fighters
    assert g.parameters_of("spread_end") == ("fighters", "rate", "spread")
    assert not any(g.has_path("noise", o) for o in ("total_end", "attacks_h2", "per_month", "spread_end"))


def test_no_driver_without_a_path_in_the_model(graph_report):
    scenario, results, out = graph_report
    g = dependency_graph(scenario)
    md = (out / "report.md").read_text(encoding="utf-8")
    drivers = md.split("## What drives this result")[1]
    table = drivers.split("| output | largest drivers")[1].split("\n\n")[0]
    rows = {line.split(" | ")[0].strip("| ").replace("\\_", "_"): line for line in table.splitlines()[2:]}
    assert set(rows) == {"total_end", "spread_end"}
    assert "noise" not in drivers.split("![")[0]
    assert "spread" not in rows["total_end"].replace("spread_end", "")
    for o, row in rows.items():
        named = re.findall(r"([a-z_\\]+) \((?:cited|derived|judgment)\)", row)
        assert named and all(g.has_path(p.replace("\\", ""), o) for p in named), row
    # the tornado of total_end says how many parameters can matter, and how many paths each end holds
    cap = next(line for line in md.splitlines() if line.startswith("*What moves total\\_end.* Mean of"))
    assert "only the 2 of the scenario's 4 uncertain parameters with a path to total\\_end" in cap
    assert "of the run's 2,000 paths" in cap
    ends = re.search(r"each end's mean is over ([\d,]+) paths", cap) or re.search(
        r"each end's mean is over ([\d,]+) \(low end\)", cap)
    assert ends and 190 <= int(ends.group(1).replace(",", "")) <= 210  # a tenth of 2,000 (a continuous parameter)
    for text in (md, (out / "index.html").read_text(encoding="utf-8")):
        assert not re.search(r"\bnan\b", text, re.I)


def test_tornado_of_a_two_valued_parameter_counts_its_ends():
    from riskmodel.render.drivers import _ends_text
    import types

    top = types.SimpleNamespace(n_low=14_001, n_high=5_999)
    text = _ends_text(top, 20_000, 140_010)
    assert "14,001 (low end) and 5,999 (high end) paths of the first 20,000 of the run's 140,010 paths" in text
    assert "few distinct values" in text


@pytest.mark.parametrize("p, text", [(0.3124, "31.2%"), (0.9998, ">99.9%"), (0.99949, "99.9%"), (1.0, "100.0%"),
                                     (0.0, "0.0%"), (0.004, "0.4%"), (float("nan"), "–")])
def test_percentages_never_exceed_the_stated_precision(p, text):
    assert fmt_pct(p) == text


def _captured_matrix(monkeypatch, text, tmp_path, samples=1000):
    """Render a report with ``text`` as its scenario; return (scenario, results, the matrix's points, report.md)."""
    from conftest import write_registry
    from riskmodel.render import plots

    seen = {}
    original = plots.risk_matrix

    def spy(points, **kwargs):
        seen["points"] = list(points)
        return original(points, **kwargs)

    monkeypatch.setattr(plots, "risk_matrix", spy)
    monkeypatch.setenv("RISKMODEL_RENDER_PROCESSES", "1")
    write_registry(tmp_path)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    scenario = validate(path)
    results = run(scenario, samples=samples)
    out = write_run_folder(results, tmp_path / "run", extra=render_into(results, scenario))
    return scenario, results, seen["points"], (out / "report.md").read_text(encoding="utf-8")


def test_risk_matrix_height_is_the_conditional_median_over_the_threshold_for_amounts(monkeypatch, tmp_path):
    scenario, results, points, md = _captured_matrix(monkeypatch, GRAPH, tmp_path)
    for risk, pt in zip(scenario.risks, points):
        v = results.outputs[risk.output].to_numpy(float)
        assert not np.all(v == np.round(v))  # amounts (total starts at fighters / 100)
        assert pt.size == pytest.approx(np.median(v[v > risk.threshold]) / risk.threshold, rel=1e-9)
    assert "divided by the threshold" in md and "count of events or a yes/no output have no size" in md


def test_risk_matrix_gives_a_count_no_size(monkeypatch, tmp_path):
    # total_end is a whole number of attacks on every path; the risk's threshold of 30 sets no "size"
    scenario, results, points, _ = _captured_matrix(monkeypatch, VALID, tmp_path, samples=400)
    v = results.outputs["total_end"].to_numpy(float)
    assert np.all(v == np.round(v))
    assert len(points) == 1 and np.isnan(points[0].size)


def test_risk_matrix_draws_the_points_it_is_given(monkeypatch):
    from riskmodel.render import plots

    figs = []
    monkeypatch.setattr(plots, "png_bytes", lambda fig: figs.append(fig) or b"")
    pts = [plots.MatrixPoint("1", "a", 0.3, 0.25, 0.35, 2.5, 2.0, 3.0),
           plots.MatrixPoint("2", "b", 0.8, 0.75, 0.85, float("nan"), float("nan"), float("nan"))]
    plots.risk_matrix(pts)
    ax, strip = figs[0].axes[:2]
    xy = [tuple(line.get_xydata()[0]) for line in ax.lines if len(line.get_xydata()) == 1]
    assert (0.3, 2.5) in xy
    assert [t.get_text() for t in ax.texts] == ["1"] and [t.get_text() for t in strip.texts] == ["2"]
    assert "÷ threshold" in ax.get_ylabel() and "no size" in strip.get_ylabel()
    assert ax.yaxis.get_major_formatter()(2.0, 0) == "×2"


OVERRIDDEN = VALID.replace("""    threshold: 30
""", """    threshold: 30
""").replace("description: One paragraph.", "") + """limitations:
  - "The rate does not respond to the force <b>at all</b>."
  - Attacks are counted, not weighted.
"""


def test_overrides_header_sha_warning_limitations_headline(tmp_path, monkeypatch):
    import hashlib
    import json

    from conftest import write_registry
    from typer.testing import CliRunner
    from riskmodel.cli import app

    write_registry(tmp_path)
    path = tmp_path / "s.yaml"
    path.write_text(OVERRIDDEN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["run", "s.yaml", "--samples", "400", "--out", "run",
                                      "--set", "risks.many_attacks.threshold=40"])
    assert result.exit_code == 0, result.output
    # the title "More than 30 attacks in the year" still states the old threshold
    assert "warning: --set risks.many_attacks.threshold=40: the title of risk many_attacks still states the old " \
           "threshold ('30'" in result.output
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["overrides"] == [{"key": "risks.many_attacks.threshold", "value": 40, "before": 30}]
    file_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert meta["scenario_file_sha256"] == [file_sha]
    md = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    html = (tmp_path / "run" / "index.html").read_text(encoding="utf-8")
    for text in (md, html):
        assert "--set risks.many\\_attacks.threshold = 40 (file: 30)".replace("\\", "" if text is html else "\\") \
            in text
        assert f"{file_sha} (s.yaml, its bytes on disk)" in text  # a SHA-256 that matches the file, named
        assert "not the hash of any file" in text
        assert "still states the old threshold" in text
    # limitations, escaped, in both; the headline reads the register's likelihood in words
    assert "<li>The rate does not respond to the force &lt;b&gt;at all&lt;/b&gt;.</li>" in html
    assert "- The rate does not respond to the force &lt;b&gt;at all&lt;/b&gt;." in md
    reg = meta_register = (tmp_path / "run" / "register.csv").read_text().splitlines()
    assert len(meta_register) == 2
    p = float(reg[1].split(",")[reg[0].split(",").index("likelihood")])
    from riskmodel.render._report import likelihood_word
    assert f"**#1 More than 30 attacks in the year**: {likelihood_word(p)} in this model ({fmt_pct(p)}" in md


def test_a_report_folder_made_from_another_file_is_not_overwritten(tmp_path, monkeypatch):
    from conftest import write_registry
    from typer.testing import CliRunner
    from riskmodel.cli import app

    write_registry(tmp_path)
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(VALID, encoding="utf-8")  # a copy, `name: tiny` not changed
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["run", "a.yaml", "--samples", "200"]).exit_code == 0
    before = (tmp_path / "reports" / "tiny" / "run.json").read_bytes()
    result = runner.invoke(app, ["run", "b.yaml", "--samples", "200"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "b.yaml" in result.output and "holds the report of another scenario file (a.yaml)" in result.output
    assert "--out" in result.output and "--force" in result.output
    assert (tmp_path / "reports" / "tiny" / "run.json").read_bytes() == before  # nothing lost
    assert runner.invoke(app, ["run", "a.yaml", "--samples", "200"]).exit_code == 0  # the same file may replace it
    assert runner.invoke(app, ["run", "b.yaml", "--samples", "200", "--force"]).exit_code == 0


# --------------------------------------------------------------------------- comparison


def _capture(monkeypatch):
    from riskmodel.render import plots

    figs = []
    monkeypatch.setattr(plots, "png_bytes", lambda fig: figs.append(fig) or b"")
    return figs


def test_fan_overlay_series_differ_beyond_colour_and_the_reference_is_on_top(monkeypatch):
    from riskmodel.model import Month
    from riskmodel.render import plots

    figs = _capture(monkeypatch)
    months = [Month(2024, m) for m in range(1, 13)]
    b = {k: np.linspace(1, 12, 12) * f for k, f in (("q05", 0.5), ("q25", 0.8), ("q50", 1.0), ("q75", 1.2),
                                                      ("q95", 1.5), ("mean", 1.0))}
    # three identical scenarios: the worst case for telling them apart
    plots.fan_overlay([("ref", months, b), ("b", months, b), ("c", months, b)], title="t", unit="u",
                      windows=[plots.Window("force", months[3], months[8], 1)])
    ax = figs[0].axes[0]
    medians = [line for line in ax.lines if line.get_label() in ("ref", "b", "c")]
    assert [m.get_label() for m in medians] == ["ref", "b", "c"]
    assert medians[0].get_linestyle() == "-" and all(m.get_linestyle() != "-" for m in medians[1:])
    assert len({m.get_marker() for m in medians}) == 3
    assert medians[0].get_zorder() > max(m.get_zorder() for m in medians[1:])  # the reference on top
    bands = [c for c in ax.collections if c.get_hatch()]
    assert len(bands) == 3 and len({c.get_hatch() for c in bands}) == 3
    assert all(c.get_facecolor().size == 0 or c.get_facecolor()[0][3] == 0 for c in bands)  # not blended fills
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "ref: 50% band" in legend and "c: 50% band" in legend  # a swatch per scenario, not one grey one
    assert ax.get_ylim()[1] > 1.5 * 12 * 1.05  # headroom: the strips sit above the 95th percentile


def test_difference_chart_draws_the_paired_intervals(monkeypatch):
    from riskmodel.render import plots

    figs = _capture(monkeypatch)
    plots.difference_chart(["#1 a", "#2 b"], [("v", [0.05, np.nan], [0.03, np.nan], [0.07, np.nan])],
                           reference="base")
    ax = figs[0].axes[0]
    pts = [line.get_xydata() for line in ax.lines if line.get_marker() not in (None, "None", "")]
    xs = sorted(float(x) for arr in pts for x, _ in arr if abs(x) > 1e-12)
    assert 0.05 in xs
    bars = [c for c in ax.collections if c.get_segments()]
    seg = bars[0].get_segments()[0]
    assert sorted(seg[:, 0]) == pytest.approx([0.03, 0.07])  # the paired 95% interval, as given
    assert "minus base" in ax.get_xlabel() and "paired 95% interval" in ax.get_xlabel()


def test_summary_labels_never_read_the_same():
    from riskmodel.render.plots import distinct_labels

    rows = ["#1 Spillover of Mali's violence established in northern Benin by end-2026",
            "#2 Spillover of Mali's violence established in northern Côte d'Ivoire by end-2026"]
    labels = distinct_labels(rows, 40)
    assert len(set(labels)) == 2 and all(len(line) <= 41 for lab in labels for line in lab.split("\n"))


def test_compare_the_same_file_twice_shows_two_columns_and_unrelated_files_warn(tmp_path, monkeypatch):
    from conftest import write_registry
    from riskmodel.pipeline import compare

    write_registry(tmp_path)
    (tmp_path / "a.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(VALID.replace("name: tiny", "name: other").replace(
        "origin: 2024-01", "origin: 2024-03"), encoding="utf-8")
    monkeypatch.setenv("RISKMODEL_RENDER_PROCESSES", "1")
    compare([tmp_path / "a.yaml", tmp_path / "a.yaml"], samples=200, out=tmp_path / "same")
    md = (tmp_path / "same" / "report.md").read_text(encoding="utf-8")
    header = next(line for line in md.splitlines() if line.startswith("| # | risk |"))
    assert "tiny (reference)" in header and "tiny (2)" in header
    assert "Warning" not in md
    # the same file twice: equal on every path, so each difference is exactly 0 ("+0.0 pp ± 0.00 pp" before)
    rows = [line for line in md.splitlines() if line.startswith("| 1 |") and "(many\\_attacks:" in line]
    assert rows and all(row.count("0 pp (the same on every path)") == 1 and "± 0.00 pp" not in row for row in rows)
    # the fan chart's caption says how it is drawn (hatched, not "filled"; thin lines, not "dashed") and its error
    caption = next(line for line in md.splitlines() if line.startswith("*Fan charts: total.*"))
    rank = (0.05 * 0.95 / 200) ** 0.5  # 200 paths: every path's quantiles
    assert "50% band (hatched)" in caption and "(thin lines)" in caption and "(filled)" not in caption
    assert caption.endswith(f"rank error of each 5th percentile ±{rank:.4f}."), caption
    compare([tmp_path / "a.yaml", tmp_path / "other.yaml"], samples=200, out=tmp_path / "unrelated")
    md = (tmp_path / "unrelated" / "report.md").read_text(encoding="utf-8")
    assert "share no extends root (other.yaml vs a.yaml)" in md
    assert "other covers 2024-03 for 12 months, the reference tiny 2024-01 for 12" in md
    assert "Difference from the reference" in md and "differences.png" in md
    assert not re.search(r"\bnan\b", md)


def test_yes_no_lines_that_coincide_stay_distinguishable(monkeypatch):
    from riskmodel.model import Month
    from riskmodel.render import plots

    figs = _capture(monkeypatch)
    months = [Month(2024, m) for m in range(1, 13)]
    same = np.linspace(0.1, 0.8, 12)
    plots.mean_lines(months, [(f"s{i}", same) for i in range(9)], title="t")  # the Mali baseline has nine
    lines = [line for line in figs[0].axes[0].lines if line.get_label().startswith("s")]
    assert len({line.get_marker() for line in lines}) == 8  # eight markers, then the ninth differs by colour
    assert len({(line.get_color(), line.get_marker()) for line in lines}) == 9
    assert "#F0E442" not in {line.get_color() for line in lines}  # no faint yellow
    assert len({line.get_linewidth() for line in lines}) > 1  # nested widths: the one underneath shows at its edges
    assert all(np.allclose(line.get_ydata(), same) for line in lines)


def test_a_yes_no_risk_reads_as_yes_not_as_a_half():
    from riskmodel.model import Risk
    from riskmodel.render._report import _threshold_text

    risk = Risk(id="coup", title="A coup", factor="f", output="coup_end", threshold=0.5)
    assert _threshold_text(risk, "0/1", binary=True) == "coup_end = 1 (yes)"
    assert _threshold_text(risk, "0/1", binary=False) == "coup_end > 0.5 0/1"


def test_group_table_lists_only_groups_that_can_be_told_from_nothing():
    import pandas as pd
    from riskmodel.render.drivers import drivers_section

    groups = pd.DataFrame([
        {"output": "y", "by": "factor", "group": "big", "parameters": "a", "S1": 0.4, "S1_low": 0.35,
         "S1_high": 0.45, "n": 100, "bins": 10},
        {"output": "y", "by": "factor", "group": "tiny", "parameters": "b", "S1": -0.001, "S1_low": -0.004,
         "S1_high": 0.002, "n": 100, "bins": 10},
        {"output": "y", "by": "evidence", "group": "judgment", "parameters": "a", "S1": 0.003, "S1_low": -0.002,
         "S1_high": 0.01, "n": 100, "bins": 10}])
    section = drivers_section(given_groups=groups)
    assert [g["group"] for g in section["groups"]] == ["big", "judgment"]
    assert section["groups"][1]["S1"] == 0.0 and section["groups"][1]["S1_low"] == 0.0  # never "-0.00"
    assert any("1 factor or evidence groups" in n for n in section["notes"])


# --------------------------------------------------------------------------- the backtest report, drawn by render/


def test_backtest_is_drawn_by_render_with_the_shared_templates_and_escaper(monkeypatch):
    import ast
    from pathlib import Path

    import riskmodel
    from conftest import ROOT
    from riskmodel.render import _common, plots

    source = (ROOT / "riskmodel" / "backtest.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    top_imports = {n.module for n in tree.body if isinstance(n, ast.ImportFrom)} | {
        a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names}
    assert not {"jinja2", "matplotlib"} & {str(m).split(".")[0] for m in top_imports}  # backtest.py computes
    assert "jinja2" not in source and "matplotlib" not in source and "_md_escape" not in source
    assert not (ROOT / "riskmodel" / "templates").exists()  # one templates folder
    assert (Path(_common.TEMPLATES) / "backtest.md.j2").is_file()
    bt = riskmodel.backtest(ROOT / "scenarios" / "examples" / "minimal.yaml",
                            ROOT / "scenarios" / "examples" / "outcomes" / "minimal.yaml", samples=400, seed=3)
    assert _common.environment(True).finalize is _common.md_escape  # one Markdown escaper
    md = bt.to_markdown()
    assert bt.outcomes.binary[0].risk.replace("_", "\\_") in md  # escaped by md_escape: "_" -> "\_"
    # the reliability diagram draws the table's points
    figs = []
    monkeypatch.setattr(plots, "png_bytes", lambda fig: figs.append(fig) or b"")
    import pandas as pd
    table = pd.DataFrame({"bin_low": [0.0, 0.5], "bin_high": [0.5, 1.0], "n": [4, 6], "mean_forecast": [0.2, 0.8],
                          "observed_frequency": [0.25, 0.5], "ci_low": [0.05, 0.2], "ci_high": [0.7, 0.8]})
    plots.reliability_diagram(table)
    ax = figs[0].axes[0]
    pts = [line.get_xydata() for line in ax.lines if line.get_marker() == "o"]
    assert np.allclose(pts[0], [[0.2, 0.25], [0.8, 0.5]])
    assert [t.get_text() for t in ax.texts] == ["n=4", "n=6"]


def test_risk_matrix_strip_keeps_close_risks_in_separate_lanes():
    from riskmodel.render.plots import _strip_lanes

    lanes = _strip_lanes([0.797, 0.803, 0.80, 0.30, 0.52])
    assert len({lanes[0], lanes[1], lanes[2]}) == 3  # three risks within a point of 80%: three lanes


def test_risk_matrix_strip_gets_a_lane_for_each_of_four_crowded_risks(monkeypatch):
    """The Mali baseline has four yes/no risks between 80% and 82% (2, 9, 10, 14): with three lanes two
    labels were drawn on top of each other. Each point now has its own height in the strip."""
    from riskmodel.render import plots

    figs = _capture(monkeypatch)
    pts = [plots.MatrixPoint(label=str(i), p=p, p_low=p - 0.005, p_high=p + 0.005, size=float("nan"),
                             size_low=float("nan"), size_high=float("nan"), group="g")
           for i, p in enumerate([0.819, 0.818, 0.816, 0.798, 0.30], start=1)]
    plots.risk_matrix(pts)
    strip = figs[0].axes[0]
    heights = {t.get_text(): t.xy[1] for t in strip.texts}
    assert len({heights[k] for k in "1234"}) == 4  # four risks within 2 points of each other: four lanes
    lo, hi = strip.get_ylim()
    assert all(lo < y < hi for y in heights.values())


def test_comparison_small_multiples_keep_the_reference_visible(monkeypatch):
    from riskmodel.model import Month
    from riskmodel.render import plots

    figs = _capture(monkeypatch)
    months = [Month(2024, m) for m in range(1, 13)]
    same = np.linspace(0.0, 0.8, 12)
    plots.lines_grid([("spill (0/1)", [(0, months, same), (1, months, same), (2, months, same)])],
                     labels=["base", "force", "exit"], windows=[plots.Window("force", months[6], months[-1], 1)])
    ax = figs[0].axes[0]
    lines = {line.get_label(): line for line in ax.lines if line.get_label() in ("base", "force", "exit")}
    assert lines["base"].get_zorder() > max(lines["force"].get_zorder(), lines["exit"].get_zorder())
    assert len({line.get_marker() for line in lines.values()}) == 3
    assert ax.get_ylim()[1] > 0.8 * 1.1  # room for the intervention strip above the lines
    legend = [t.get_text() for t in figs[0].legends[0].get_texts()]
    assert legend == ["base", "force", "exit"]


def test_log_ticks_thin_out_over_wide_spans():
    from riskmodel.render.plots import _SpanLogLocator

    loc = _SpanLogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12)
    wide = [t for t in loc.tick_values(5e3, 5e6) if 5e3 <= t <= 5e6]
    assert wide == pytest.approx([1e4, 3e4, 1e5, 3e5, 1e6, 3e6])  # 3 decades: 1 and 3, never 100k next to 200k
    narrow = [t for t in loc.tick_values(1.0, 60.0) if 1 <= t <= 60]
    assert narrow == pytest.approx([1, 2, 5, 10, 20, 50])


def test_heat_map_and_tornados_get_only_parameters_with_a_path(monkeypatch, tmp_path):
    from conftest import write_registry
    from riskmodel.render import plots_drivers as drivers

    seen = {"heat": [], "tornado": []}
    heat, torn = drivers.indices_heatmap, drivers.tornado_chart
    monkeypatch.setattr(drivers, "indices_heatmap", lambda given, **k: seen["heat"].append(given) or heat(given, **k))
    monkeypatch.setattr(drivers, "tornado_chart", lambda t, **k: seen["tornado"].append(t) or torn(t, **k))
    monkeypatch.setenv("RISKMODEL_RENDER_PROCESSES", "1")
    write_registry(tmp_path)
    (tmp_path / "s.yaml").write_text(GRAPH, encoding="utf-8")
    scenario = validate(tmp_path / "s.yaml")
    results = run(scenario, samples=1500)
    write_run_folder(results, tmp_path / "run", extra=render_into(results, scenario, figures="all"))
    g = dependency_graph(scenario)
    pairs = [(r.output, r.parameter) for r in seen["heat"][0].itertuples()]
    pairs += [(r.output, r.parameter) for t in seen["tornado"] for r in t.itertuples()]
    assert pairs and all(g.has_path(p, o) for o, p in pairs)
    assert ("spread_end", "spread") in pairs and not any(p == "noise" for _, p in pairs)


def test_exceedance_curve_of_a_by_when_output_counts_never_above_every_month():
    import warnings

    from riskmodel.render._stats import exceedance_curve

    v = np.sort(np.concatenate([np.arange(40.0), np.full(60, np.inf)]))  # 40 paths by month 0..39, 60 never
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = exceedance_curve(v, points=50)
    assert c.x[0] == 0 and c.x[-1] == 39 and np.all(np.isfinite(c.x))
    assert c.p[-1] == pytest.approx(0.6)  # P(X > 39): the 60 paths that never reach it
    assert c.p[0] == pytest.approx(0.99)
    w = np.sort(np.concatenate([np.linspace(0.0, 35.0, 400), np.full(600, np.inf)]))  # many values: a grid
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = exceedance_curve(w, points=50)
    assert not g.discrete and g.x[-1] == 35 and g.p[-1] == pytest.approx(0.6)


def test_backtest_page_extends_the_base_and_reads_its_scores():
    import html as _html

    import riskmodel
    from conftest import ROOT
    from riskmodel.backtest import MODEL
    from riskmodel.formats import fmt_likelihood
    from riskmodel.render import _common

    bt = riskmodel.backtest(ROOT / "scenarios" / "examples" / "minimal.yaml",
                            ROOT / "scenarios" / "examples" / "outcomes" / "minimal.yaml", samples=400, seed=3)
    page = bt.to_html()
    base = _common.environment(False).get_template("_base.html.j2").render(version=riskmodel.__version__)
    style = re.findall(r"<style>.*?</style>", page, flags=re.S)
    assert style == re.findall(r"<style>.*?</style>", base, flags=re.S)  # the base's styles, and no others
    assert page.count("<style") == 1 and "Rendered by riskmodel" in page and '<header class="top">' in page
    text = " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    model = bt.summary[bt.summary["forecast"] == MODEL].iloc[0]
    assert f"the model's Brier score is {model.brier:.4f} , its log score {model.log_score:.4f} nats" in text
    for r in bt.binary.itertuples():
        assert fmt_likelihood(r.forecast, r.se) in text  # the forecast as the register writes a likelihood
        assert f"{r.brier:.4f}" in text
    assert "nan" not in text.replace("Monte Carlo", "") and "object at 0x" not in page


def test_largest_drivers_list_no_driver_that_cannot_be_told_from_nothing():
    import pandas as pd

    from riskmodel.render import drivers

    given = pd.DataFrame({
        "output": ["y"] * 3, "parameter": ["big", "tiny", "zero"], "evidence": ["judgment"] * 3,
        "S1": [0.56, 0.012, -0.0004], "S1_low": [0.55, 0.004, -0.003], "S1_high": [0.57, 0.02, 0.004],
        "spearman": [0.7, 0.1, 0.0]})
    (row,) = drivers.top_drivers(given)
    assert [d["parameter"] for d in row["drivers"]] == ["big", "tiny"]  # "zero" ends below 0.005: left out
    assert row["drivers"][1]["S1_low"] == 0.0  # 0.004 reads 0.00, never -0.00


def test_the_contents_line_wraps_instead_of_widening_the_page(graph_report):
    """The section links were written without spaces between them, each unbreakable: at 1280 px the
    line ran past the page's 1180 px and the page scrolled sideways. The links now sit in a wrapping row."""
    import re

    _, _, out = graph_report
    html = (out / "index.html").read_text(encoding="utf-8")
    rule = re.search(r"nav\.toc \{([^}]*)\}", html)
    assert rule and "display: flex" in rule.group(1) and "flex-wrap: wrap" in rule.group(1), rule
    assert html.count('<nav class="toc">') == 1


def test_compare_states_each_runs_top_driver_as_its_run_page_does(tmp_path):
    """The compare page bootstrapped the largest driver with 100 replicates and seed 0, the run page with 200 and
    the run's seed: the same run's interval read differently on the two pages."""
    from riskmodel.render._compare import drivers_by_scenario
    from riskmodel.render._report import _drivers

    from conftest import write_registry

    write_registry(tmp_path)
    (tmp_path / "s.yaml").write_text(VALID.replace("seed: 1", "seed: 7"), encoding="utf-8")
    scenario = validate(tmp_path / "s.yaml")
    res = run(scenario, samples=1500, judgment_samples=0)
    page = {t["output"]: t["drivers"][0] for t in _drivers(res, scenario, res.register, res.meta, None,
                                                             with_tornados=False)["top_drivers"]}
    (row,) = [r for r in drivers_by_scenario([res], [scenario]) if r["id"] == "many_attacks"]
    top = row["cells"][0]["top"]
    assert page["total_end"]["parameter"] == top["parameter"]
    assert (top["S1"], top["S1_low"], top["S1_high"]) == pytest.approx(
        (page["total_end"]["S1"], page["total_end"]["S1_low"], page["total_end"]["S1_high"]), abs=1e-12)


def test_the_outputs_section_says_what_it_holds(tmp_path):
    """The default report's section was headed "Outputs: exceedance curves" and described them while it drew none
    (they are on request); now it counts the curves left for --figures all, and describes them where drawn."""
    from conftest import write_registry

    write_registry(tmp_path)
    (tmp_path / "s.yaml").write_text(VALID, encoding="utf-8")
    scenario = validate(tmp_path / "s.yaml")
    res = run(scenario, samples=400, judgment_samples=0)
    sections = {}
    for which in ("default", "all"):
        out = write_run_folder(res, tmp_path / which, extra=render_into(res, scenario, figures=which))
        md = (out / "report.md").read_text(encoding="utf-8")
        sections[which] = md.split("## Outputs\n", 1)[1].split("\n## ", 1)[0]
        drivers = md.split("## What drives this result\n", 1)[1].split("\n## ", 1)[0]
        tornados = len(list((out / "figures").glob("drivers-tornado-*.png")))
        # the tornado charts were described as shown in a report that draws none of them
        assert ("Tornado charts show how far" in drivers) == (tornados > 0), (which, drivers[:300])
        assert ("Tornado charts (how far the output's mean moves" in drivers
                and "are drawn on request (--figures all)" in drivers) == (tornados == 0)
        assert "exceedance curves\n" not in md.split("## Monte Carlo")[0].lower()
        drawn = sorted(p.name for p in (out / "figures").glob("exceedance-*.png"))
        mc = md.split("## Monte Carlo error\n", 1)[1]
        assert ("Exceedance curves (drawn on request)" in mc) == (not drawn)  # "stated under each figure" of none
        assert ("stated under each figure" in mc) == bool(drawn)
        from riskmodel.formats import fmt_se

        assert f"(at most {fmt_se(0.5 / 400 ** 0.5)} here)" in mc  # the bound of a likelihood's error, 0.5/sqrt(n)
        sections[which + " drawn"] = drawn
    assert sections["default drawn"] == [] and len(sections["all drawn"]) == 3  # total_end, attacks_h2, per_month
    assert "The exceedance curves of 3 outputs are drawn on request (`--figures all`)." in sections["default"]
    assert "share of paths in which it exceeds" not in sections["default"]
    assert "share of paths in which it exceeds" in sections["all"] and "on request" not in sections["all"]
    assert sections["all"].count("](figures/exceedance-") == 3


def test_captions_write_standard_errors_as_the_register_does(tmp_path):
    """At 10,000 paths the bound 0.5/sqrt(n) is 0.005: the Monte Carlo section wrote it "0.5%" (two significant
    digits) and the register's errors read "0.50%"; the risk matrix's caption did the same with its largest."""
    from conftest import write_registry
    from riskmodel.formats import fmt_se

    write_registry(tmp_path)
    (tmp_path / "s.yaml").write_text(VALID, encoding="utf-8")
    scenario = validate(tmp_path / "s.yaml")
    res = run(scenario, samples=10_000, judgment_samples=0)
    out = write_run_folder(res, tmp_path / "r", extra=render_into(res, scenario, figures="summary"))
    md = (out / "report.md").read_text(encoding="utf-8")
    assert fmt_se(0.005) == "0.50%" and "(at most 0.50% here)" in md
    matrix = next(line for line in md.splitlines() if line.startswith("*Risk matrix.*"))
    assert f"largest standard error {fmt_se(res.register['se'].max())}" in matrix


def test_commands_and_flags_on_a_page_are_not_broken_at_their_hyphens():
    """A browser may end a line after a hyphen: "(-" / "-figures all)" was seen in the drivers intro."""
    import doctest

    from riskmodel.render import _common

    assert doctest.testmod(_common).failed == 0
    page = str(_common.flags("Not computed in a summary report (riskmodel run --report full). <b>"))
    assert page == ('Not computed in a summary report (<span class="flag">riskmodel run --report full</span>). '
                    '&lt;b&gt;')
