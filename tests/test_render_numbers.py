"""One rounding rule (issue 15): a run's register reads the same in the terminal, the HTML and the Markdown.

The CLI printed ``1.000`` where the page said ``99.97%`` and a chart ``100.0%``.
Every place now goes through :func:`riskmodel.formats.fmt_likelihood`; these
tests read the three outputs of one run and compare them with each other and
with ``register.csv`` rounded by hand.
"""

from __future__ import annotations

import html
import math
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import VALID
from riskmodel.cli import app
from riskmodel.formats import fmt_interval, fmt_likelihood, fmt_pct, fmt_se

runner = CliRunner()

# risks from near-certain to rare on one output, so that the register spans the bounds
RISKS = VALID.replace("""    threshold: 30
""", """    threshold: 30
  - id: nearly_always
    title: At least one attack
    factor: vacuum
    output: total_end
    threshold: 4
  - id: rare
    title: Very many attacks
    factor: vacuum
    output: total_end
    threshold: 47
""")
assert RISKS.count("- id:") == VALID.count("- id:") + 2


def _by_hand_pct(p: float) -> str:
    """Percent with one decimal, written independently of fmt_pct: never 100.0 or 0.0 unless exact."""
    if p == 1.0:
        return "100.0%"
    if p == 0.0:
        return "0.0%"
    v = 100 * p
    if v < 1:
        return f"{v:.2g}%"
    if round(v, 1) >= 100.0:
        return ">99.9%"
    return f"{v:.1f}%"


@pytest.mark.parametrize("p, se, text", [(0.424, 0.0035, "42.4% ± 0.35%"), (0.99996, 0.00004, ">99.9% ± 0.004%"),
                                         (1.0, 0.0, "100.0% (all paths)"), (0.00004, 0.00004, "0.004% ± 0.004%"),
                                         (0.0, 0.0, "0.0% (no path)"), (0.9995, 0.0002, ">99.9% ± 0.02%")])
def test_likelihood_and_se_by_hand(p, se, text):
    """At 0 and 1 the plug-in standard error is 0: "100.0% ± 0.00%" claimed no Monte Carlo error at all."""
    assert fmt_likelihood(p, se) == text
    assert fmt_likelihood(p, se, compact=True) == text.replace(" ± ", "±").replace("(all paths)", "(all)").replace(
        "(no path)", "(none)")  # the compare table's 12-column cell: "100.0% (all" / "paths)" wrapped before


def test_register_reads_the_same_in_cli_html_and_markdown(write, tmp_path):
    path = write(RISKS)
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(path), "--samples", "3000", "--seed", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    reg = pd.read_csv(out / "register.csv")
    # near both bounds without reaching them: 1 of 3000 paths at or below 4, 1 above 47
    assert len(reg) == 3 and 0.999 < reg.likelihood.max() < 1 and 0 < reg.likelihood.min() < 0.001
    expected = [f"{_by_hand_pct(p)} ± {fmt_se(se)}" for p, se in zip(reg.likelihood, reg.se)]

    cli = [m.group(1) for line in result.output.splitlines()
           if (m := re.search(r"(\S+% ± \S+%)", line)) and re.match(r"\s*\d+\s", line)]
    page = html.unescape((out / "index.html").read_text(encoding="utf-8"))
    md = html.unescape((out / "report.md").read_text(encoding="utf-8"))
    html_cells = re.findall(r'<td class="num"><b>([^<]+)</b></td>', page)
    md_cells = re.findall(r"\| \*\*([^*]+)\*\* \|", md)
    assert cli == expected
    assert html_cells[:3] == expected
    assert md_cells[:3] == expected
    # the interval reads the same in the HTML and the Markdown, and no likelihood below 1 reads as a certainty
    for r in reg.itertuples():
        interval = fmt_interval(r.ci_low, r.ci_high)
        assert interval in page and interval in md
    if not (reg.likelihood == 1.0).any():
        assert "100.0% ±" not in page + md + result.output
    assert "nan" not in " ".join(cli + html_cells + md_cells)


def test_exceedance_label_and_register_agree(monkeypatch):
    # a chart's likelihood label uses the same rule as the register cell
    from riskmodel.render import plots
    from riskmodel.render._stats import ExceedanceCurve

    import numpy as np

    figs = []
    monkeypatch.setattr(plots, "png_bytes", lambda fig: figs.append(fig) or b"")
    x = np.linspace(0, 1, 64)
    p = 0.99996
    plots.exceedance_plot(ExceedanceCurve(x=x, p=1 - x, discrete=False, log_x=False, n=100_000), title="t",
                          unit="u", marks=[plots.ThresholdMark("#1 r", 0.5, "above", p, 0.9999, 0.99999)])
    texts = [t.get_text() for t in figs[0].axes[0].texts]
    assert f"#1 r: P(> 0.5) = {fmt_pct(p)} [{fmt_pct(0.9999)}, {fmt_pct(0.99999)}]" in texts
    assert fmt_pct(p) == ">99.9%" and not math.isclose(p, 1.0, abs_tol=0)


def test_compare_of_a_file_with_itself_prints_two_columns_in_the_same_rounding(write, tmp_path):
    path = write(RISKS)
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(path), str(path), "--samples", "3000", "--seed", "11",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "comparison.csv")
    for r in table[table.position == 0].itertuples():
        line = next(ln for ln in result.output.splitlines() if ln.startswith(r.risk))
        # the reference's likelihood ± se, then the copy's likelihood and its difference: the same on every path
        assert line.split()[1:] == [fmt_likelihood(r.likelihood, r.se, compact=True), fmt_pct(r.likelihood),
                                    "(same)"], line
    md = html.unescape((out / "report.md").read_text(encoding="utf-8"))
    for r in table.itertuples():
        assert fmt_likelihood(r.likelihood, r.se) in md


def test_exceedance_axis_ends_before_a_thin_tail_and_says_what_lies_beyond():
    """A thin tail (0.3% of paths at 100 times the rest) would squeeze the curve into a sliver: the axis
    ends where at most TAIL_P of paths lie beyond, never before a threshold, and the bound is exact."""
    import numpy as np

    from riskmodel.formats import fmt_num, fmt_pct
    from riskmodel.render._stats import TAIL_P, cut_sentence, exceedance_curve, tail_cut

    v = np.sort(np.concatenate([np.linspace(0, 1000, 9970), np.full(30, 1e5)]))
    curve = exceedance_curve(v)
    assert not curve.log_x and not curve.discrete
    cut = tail_cut([curve])
    assert cut is not None and cut.largest == 1e5
    assert 995 <= cut.right <= 1000 + 1e5 * 0.01  # the grid point where P first reaches TAIL_P: just past 1000
    share_beyond = float(np.mean(v > cut.right))
    assert share_beyond <= cut.beyond <= TAIL_P and share_beyond == 30 / 10000
    assert tail_cut([curve], [5e4]).right == 5e4  # a threshold out in the tail stays on the axis
    uniform = exceedance_curve(np.linspace(0, 1000, 10000))
    assert tail_cut([uniform]) is None  # nothing squeezed: the whole range
    assert tail_cut([exceedance_curve(np.sort(np.random.default_rng(1).lognormal(0, 3, 10000)))]) is None  # log axis
    text = cut_sentence(cut)  # the page's formats: 1,174; 0.30%; 100,000
    assert f"ends at {fmt_num(cut.right)}," in text and "100,000" in text and f"at most {fmt_pct(cut.beyond)}" in text
    assert cut_sentence(None) == ""
