"""riskmodel signposts: value of information from the paths, against closed forms."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from typer.testing import CliRunner

from riskmodel.cli import app
from riskmodel.errors import ScenarioError
from riskmodel.signposts import signposts, variance_reduction

runner = CliRunner()


def test_variance_reduction_by_hand():
    x = np.repeat([0.0, 1.0], 50)
    assert variance_reduction(x, x.copy()) == (0.25, 0.25)  # x tells y exactly
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200_000).astype(float)
    red, total = variance_reduction(rng.normal(size=200_000), y)  # independent: the bias correction removes ~all
    assert red / total < 0.001


def test_variance_reduction_gaussian_closed_form():
    # Y = 1[Z1 + Z2 > 0], X = Z1: E[Y | X] = Phi(X) is uniform, so Var(E[Y|X]) = 1/12, Var(Y) = 1/4: share 1/3
    rng = np.random.default_rng(2)
    z1, z2 = rng.normal(size=(2, 400_000))
    red, total = variance_reduction(z1, (z1 + z2 > 0).astype(float))
    # 20 equal-count bins of a uniform E[Y|X] lose (1/20)^2/12 of variance: share 1/3 - 1/(3*400)
    assert red / total == pytest.approx(1 / 3 - 1 / 1200, abs=0.006)


def test_share_mc_error_against_the_spread_of_independent_estimates():
    """Each share states its Monte Carlo error (none did). For a risk, the delta method's error agrees with the
    spread of 500 independent estimates (n = 2,000) within 10% (the spread's own relative error is
    1/sqrt(2 x 500) = 3.2%); for the scenario label, whose proportions are fixed by design, it is an upper
    estimate; when x tells y exactly, it is 0."""
    from riskmodel.signposts import share_mc_error

    rng = np.random.default_rng(5)
    risk, label = ([], []), ([], [])
    for _ in range(500):
        x = rng.uniform(size=2000)
        y = (rng.uniform(size=2000) < x).astype(float)
        red, total = variance_reduction(x, y)
        risk[0].append(red / total)
        risk[1].append(share_mc_error(x, y))
        lab = np.repeat([0, 1, 2], 667)[:2000]
        z = rng.normal(loc=0.5 * lab, size=2000)
        red, total = variance_reduction(z, np.eye(3)[lab])
        label[0].append(red / total)
        label[1].append(share_mc_error(z, np.eye(3)[lab]))
    assert np.mean(risk[1]) == pytest.approx(np.std(risk[0], ddof=1), rel=0.10)
    assert np.mean(label[1]) >= np.std(label[0], ddof=1) * 0.97
    x = np.repeat([0.0, 1.0], 50)
    assert share_mc_error(x, x.copy()) == 0.0


def _write(tmp_path: Path, name: str, mu: float) -> Path:
    text = textwrap.dedent(f"""\
        schema: riskmodel/1
        name: {name}
        title: Closed form {name}
        origin: 2024-01
        horizon_months: 12
        samples: 40000
        seed: 3
        sampler: mc
        factors:
          f: {{title: A factor}}
        parameters:
          z1: {{factor: f, dist: normal, mu: {mu}, sigma: 1, evidence: judgment, rationale: test}}
          z2: {{factor: f, dist: normal, mu: 0, sigma: 1, evidence: judgment, rationale: test}}
        states:
          early: {{factor: f, update: "z1"}}
          late: {{factor: f, update: "where(t >= 11, z1 + z2, 0)"}}
        outputs:
          outcome: {{state: late, agg: end}}
        risks:
          - {{id: up, title: Outcome above zero, factor: f, output: outcome, threshold: 0}}
        """)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_signposts_scenario_closed_form_and_discrimination(tmp_path):
    a, b = _write(tmp_path, "a", 0.0), _write(tmp_path, "b", 1.0)
    sp = signposts([a, b], samples=40000)
    early = sp.table[(sp.table["scenario"] == "a") & (sp.table["observable"] == "early")]
    assert set(early["month"]) == {"2024-03", "2024-06", "2024-09"}  # quarter ends before the risk is decided
    assert np.allclose(early["share"], 1 / 3 - 1 / 1200, atol=0.02)
    assert not ((sp.table["observable"] == "late") & (sp.table["t"] >= 11)).any()  # never the answer itself
    top = sp.top[sp.top["risk"] == "up"].iloc[0]
    assert top["observable"] == "early" and top["informative_from"] == "2024-03"
    best = early[early["month"] == top["best_month"]].iloc[0]
    assert top["best_share_se"] == best["share_se"] and 0.001 < best["share_se"] < 0.02  # about 1/sqrt(40,000)
    # scenario label from X ~ N(0,1) vs N(1,1), equal priors: expected Gini after = E[2 pi (1 - pi)]
    def after(x):
        fa, fb = stats.norm.pdf(x), stats.norm.pdf(x, 1.0)
        pi = fa / (fa + fb)
        return 0.5 * (fa + fb) * 2 * pi * (1 - pi)
    exact = 1 - integrate.quad(after, -12, 13)[0] / 0.5
    share = sp.discrimination[sp.discrimination["observable"] == "early"]["share"].to_numpy()
    assert np.allclose(share, exact, atol=0.02)


def test_cli_signposts(tmp_path):
    a, b = _write(tmp_path, "a", 0.0), _write(tmp_path, "b", 1.0)
    out = tmp_path / "sp"
    result = runner.invoke(app, ["signposts", str(a), str(b), "--samples", "8000", "--month", "2024-06",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    top = pd.read_csv(out / "top.csv")
    html = (out / "index.html").read_text(encoding="utf-8")
    row = top.iloc[0]
    assert f"{100 * row.best_share:.1f}%" in html and "Telling the scenarios apart" in html
    from riskmodel.formats import fmt_pct, fmt_se

    assert f"{fmt_pct(row.best_share)} ± {fmt_se(row.best_share_se)}" in html  # each share with its error
    assert f"{row.observable} {fmt_pct(row.best_share)} ± {fmt_se(row.best_share_se)}" in " ".join(result.output.split())
    assert "informative from 2024-06" in " ".join(result.output.split())
    bad = runner.invoke(app, ["signposts", str(a), "--month", "2031-01", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "--month 2031-01: 2031-01 is outside the horizon" in bad.output
    for workers in ("0", "-1"):  # ran as one process, exit 0, before
        bad = runner.invoke(app, ["signposts", str(a), "--workers", workers, "--out", str(tmp_path / "x")])
        assert bad.exit_code == 2 and "--workers" in bad.output and not (tmp_path / "x").exists()
    with pytest.raises(ScenarioError, match="--workers 0: a run needs at least 1 local process"):
        signposts([a], samples=2000, workers=0)


def test_signposts_replaces_its_own_folder_and_report_refuses_it(tmp_path):
    """A second signposts run into the same folder was refused: its run.json lacked what marks a folder riskmodel
    wrote (riskmodel_version, scenario). `riskmodel report` refuses the folder instead of deleting its tables."""
    from typer.testing import CliRunner

    from riskmodel.cli import app

    cli = CliRunner()
    out = tmp_path / "sp"
    from conftest import ROOT

    args = ["signposts", str(ROOT / "scenarios" / "examples" / "minimal.yaml"), "--samples", "600", "--out", str(out)]
    assert cli.invoke(app, args).exit_code == 0
    again = cli.invoke(app, args)
    assert again.exit_code == 0, again.output
    before = sorted(p.name for p in out.iterdir())
    refused = cli.invoke(app, ["report", str(out)])
    assert refused.exit_code == 2 and "signposts.csv" in refused.stderr
    assert sorted(p.name for p in out.iterdir()) == before


def test_signposts_of_a_model_with_a_reduced_dimensioned_output():
    """`riskmodel signposts scenarios/mali/baseline.yaml` raised KeyError 'spill_countries[niger]': the compiled
    model lists each element of an output that `reduce` sums, the run keeps only the sum."""
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "three-provinces.yaml"
    sp = signposts([example], samples=500)
    assert set(sp.table["observable"]) == {"attacks[north]", "attacks[centre]", "attacks[south]", "controlled[north]",
                                           "controlled[centre]", "controlled[south]", "months_since_handover",
                                           "rainy_season"}  # each output is known only at the horizon
    assert set(sp.top["risk"]) == {"control[north]", "control[centre]", "control[south]", "two_provinces",
                                   "north_within_12m"}


def test_a_risk_decided_alike_on_every_path_lists_no_indicator(tmp_path):
    """A risk that happens on every path has no variance: it listed five indicators at "0.0%" (and, with errors
    stated, "0.0% ± –"); the page and the terminal now say that nothing can tell anything about it."""
    path = _write(tmp_path, "a", 0.0)
    path.write_text(path.read_text().replace(
        "  - {id: up, title: Outcome above zero, factor: f, output: outcome, threshold: 0}",
        "  - {id: up, title: Outcome above zero, factor: f, output: outcome, threshold: 0}\n"
        "  - {id: always, title: Outcome above -1000, factor: f, output: outcome, threshold: -1000}"))
    out = tmp_path / "sp"
    result = runner.invoke(app, ["signposts", str(path), "--samples", "4000", "--out", str(out)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "always: decided the same way on every path (no variance to reduce)" in result.output
    md = (out / "report.md").read_text(encoding="utf-8")
    section = md.split("## Outcome above -1000\n", 1)[1].split("\n## ", 1)[0]
    assert "no observation can tell anything about it" in section and "± –" not in md and "| # |" not in section
    assert "| 1 | early |" in md  # the other risk keeps its table


def test_an_indicator_that_never_reaches_the_threshold_reads_never_informative(tmp_path):
    """The terminal said "(informative from never)" of an indicator whose best share is under 5%, and its
    folder line ran to 117 columns. Each line now fits 80 columns, and says why the indicator is not informative."""
    from pathlib import Path

    from riskmodel.formats import fmt_pct, fmt_se
    from riskmodel.signposts import INFORMATIVE_SHARE

    example = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "three-provinces.yaml"
    out = tmp_path / "sp"
    result = runner.invoke(app, ["signposts", str(example), "--samples", "2000", "--out", str(out)],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "informative from never" not in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    flat = " ".join(result.output.split())
    top = pd.read_csv(out / "top.csv", keep_default_na=False).groupby("risk", sort=False).head(3)
    never = top[top["informative_from"] == ""]
    assert len(never) >= 3 and (never["best_share"] < INFORMATIVE_SHARE).all()  # none is under 5% by its month only
    for r in top.itertuples():
        said = f"({'informative from ' + r.informative_from if r.informative_from else 'never informative: under 5%'})"
        assert f"{r.observable} {fmt_pct(r.best_share)} ± {fmt_se(r.best_share_se)} {said}" in flat, (r, flat)
