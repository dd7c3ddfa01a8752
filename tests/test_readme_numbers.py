"""The figures README.md states, against runs of the files it names at the settings it gives.

A seed gives the same numbers on any machine, so each figure is compared as README prints it
(rounded), not within a tolerance: a change of the engine's streams (0.2.0 moved every seed's
numbers once) or of a scenario file that leaves README behind fails here, naming the figure.
"""

from __future__ import annotations

import re

import pytest

import riskmodel
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
MALI = ROOT / "scenarios" / "mali"
EXAMPLES = ROOT / "scenarios" / "examples"


def _table_after(header: str) -> list[list[str]]:
    """The rows of the Markdown table whose header line is ``header``, each a list of its cells."""
    lines = README.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split(" | ")])
    return rows


def _bound(x: float) -> str:
    return "1" if round(x, 2) == 1 else f"{x:.2f}"


@pytest.fixture(scope="module")
def baseline():
    return riskmodel.run(MALI / "baseline.yaml")  # README: 20,000 paths, seed 20240101, Latin hypercube


def test_the_mali_register_as_readme_states_it(baseline):
    assert baseline.meta["samples"] == 20_000 and baseline.meta["seed"] == 20240101
    assert baseline.meta["sampler"] == "lhs"
    reg = baseline.register.set_index("risk")
    rows = _table_after("| risk | likelihood, round 1 | likelihood, now | judgment share, round 1 | now |")
    assert [re.match(r"`(\w+)`", r[0]).group(1) for r in rows] == list(reg.index)
    for cells in rows:
        rid = re.match(r"`(\w+)`", cells[0]).group(1)
        row = reg.loc[rid]
        share = f"{row.judgment_ST:.2f} ({_bound(row.judgment_ST_low)}–{_bound(row.judgment_ST_high)})"
        assert (rid, cells[2], cells[4]) == (rid, f"{row.likelihood:.3f}", share)
    assert "Monte Carlo standard errors at most 0.0036" in README and reg.se.max() <= 0.0036
    below = int((reg.judgment_ST < 0.8).sum())
    assert f"*Judgment share below 80% for half the risks* is met, {below} of {len(reg)}" in README


VARIANTS = ["baseline", "regional-force", "wagner-exit", "wagner-surge", "ceasefire-holds", "war-continues"]
LABELS = {  # README's row labels for the variant table
    "attacks in 2026 more than double": "attacks_double_2026",
    "still at war in December 2024": "agreement_collapse_12m",
    "a mass atrocity": "mass_atrocity",
    "a Moura-scale massacre": "moura_scale_atrocity",
    "fewer than one abuse in four documented": "abuses_mostly_unseen",
    "over 200,000 new IDPs at end-2026": "idps_200k",
    "over 100,000 new refugees at end-2026": "refugees_100k",
    "escalation in northern Benin": "spillover_benin_north",
    "violence takes hold in northern Côte d'Ivoire": "spillover_cote_divoire",
    "regional force loses more than 25 soldiers": "force_fatalities_25",
}


@pytest.mark.slow
def test_the_mali_variants_as_readme_states_them():
    runs, table = riskmodel.compare([MALI / f"{name}.yaml" for name in VARIANTS])
    assert all(r.meta["samples"] == 20_000 for r in runs)
    rows = _table_after("| risk | " + " | ".join(VARIANTS) + " |")
    assert [LABELS[r[0]] for r in rows] == list(LABELS.values())
    for cells in rows:
        rid = LABELS[cells[0]]
        shown = []
        for position in range(len(VARIANTS)):
            hit = table[(table["risk"] == rid) & (table["position"] == position)]
            shown.append(f"{hit.likelihood.iloc[0]:.3f}" if len(hit) else "—")
        assert (rid, cells[1:]) == (rid, shown)
    assert "At 20,000 paths each (standard errors at most 0.0036)" in README and table.se.max() <= 0.0036


def test_the_worked_backtest_update_and_signposts_as_readme_states_them():
    bt = riskmodel.backtest(EXAMPLES / "minimal.yaml", EXAMPLES / "outcomes" / "minimal.yaml", samples=5000, seed=7)
    model = bt.summary.set_index("forecast").loc["model"]
    assert (f"at 5,000 paths and seed 7 the model scores Brier {model.brier:.3f} and log\n"
            f"score {model.log_score:.3f} against") in README

    post = riskmodel.update(EXAMPLES / "minimal.yaml", EXAMPLES / "outcomes" / "minimal-update.yaml")
    assert post.meta["samples"] == 5000
    assert f"default 5,000 paths the effective sample size is {post.meta['update']['ess']:.0f}:" in README
    # the worked example's terminal lines: each posterior with its se and its interval at the ESS
    from riskmodel.formats import fmt_interval, fmt_likelihood

    grown = riskmodel.update(EXAMPLES / "minimal.yaml", EXAMPLES / "outcomes" / "minimal-update.yaml", until_ess=2000)
    flat = " ".join(README.split())
    for r in grown.register.itertuples():
        assert (f"{r.risk}: prior {fmt_likelihood(r.prior, r.prior_se)} -> posterior {fmt_likelihood(r.likelihood, r.se)} "
                f"(95% interval {fmt_interval(r.ci_low, r.ci_high)} at ESS {grown.ess:,.0f}) [{r.status}]") in flat
    rare = grown.register.set_index("risk").loc["violence_high"]
    assert f"its 95% interval, Wilson's at the effective sample size, reaches {100 * rare.ci_high:.1f}%." in flat

    sp = riskmodel.signposts([EXAMPLES / "minimal.yaml", EXAMPLES / "minimal-surge.yaml"], samples=8000)
    t = sp.table

    def pct(scenario, observable, risk, month):
        row = t[(t.scenario == scenario) & (t.observable == observable) & (t.risk == risk) & (t.month == month)]
        return f"{100 * row.share.iloc[0]:.0f}%"

    top = sp.top.set_index(["risk", "observable"])
    disc = sp.discrimination_top.set_index("observable")
    said = (f"the displaced population explains {pct('minimal', 'idps', 'displacement', '2024-03')} of the "
            f"displacement risk's variance already in\nMarch 2024 and "
            f"{pct('minimal', 'idps', 'displacement', '2025-09')} by September 2025 "
            f"({pct('minimal-surge', 'idps', 'displacement', '2025-09')} in the variant); the attack count explains "
            f"{100 * top.loc[('violence_high', 'attacks'), 'best_share']:.0f}% of the violence risk's; and the\n"
            f"attack count, at about {100 * disc.loc['attacks', 'best_share']:.0f}%, tells the two scenarios apart "
            f"better than the displaced population ({100 * disc.loc['idps', 'best_share']:.0f}%).")
    assert said in README


def test_the_mali_evidence_counts_as_readme_states_them():
    from typer.testing import CliRunner

    from riskmodel.cli import app

    out = CliRunner().invoke(app, ["validate", str(MALI / "baseline.yaml")])
    assert out.exit_code == 0, out.output
    m = re.search(r"(\d+) parameters: (\d+) fully cited, (\d+) partly cited, (\d+) derived \((\d+) from cited inputs "
                  r"only\), (\d+) judgment; (\d+) quotes verified in stored texts, (\d+) quoted from references",
                  " ".join(out.output.split()))
    assert m, out.output
    params, full, partly, derived, from_cited, judgment, verified, referenced = m.groups()
    rows = {r[0]: r[2] for r in _table_after("| | round 1 (33 parameters) | now (46 parameters) |")}
    assert params == "46"
    assert rows["fully cited"].startswith(f"{full} ")
    assert rows["partly cited"].startswith(f"{partly} ")
    assert rows["derived"].startswith(f"{derived}, of which {from_cited} from cited inputs only")
    assert rows["judgment"].startswith(f"{judgment} ")
    assert rows["quotes verified in stored texts"] == verified
    assert rows["quotes from dated references"] == referenced


def test_the_figure_the_baseline_states_in_its_own_limitations(baseline):
    # The limitations print on the report's first screen, so their one figure is held to the
    # run as README's are: "about 1.6 million" is the 95th percentile of displaced_new_end,
    # rounded to a tenth of a million (at this seed 1,619,557; the 1.5 of an earlier text was stale).
    import numpy as np

    text = " ".join(" ".join(baseline.scenario.limitations).split())
    m = re.search(r"95th percentile of all new displacement is about ([\d.]+) million", text)
    assert m, text
    q95 = float(np.percentile(np.asarray(baseline.outputs["displaced_new_end"]), 95))
    assert m.group(1) == f"{q95 / 1e6:.1f}"


def test_the_mali_files_name_sources_by_their_ids_not_by_seed_number():
    # A reader of the report sees the registry's source ids and titles; "seed 003" names a file
    # of this project's collection that the page never shows.
    for path in sorted(MALI.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bseed 0\d\d\b", text), path.name


def test_the_warnings_the_shipped_scenarios_keep_as_readme_states_them():
    """README said the Mali scenarios validate with warnings for four undated seed texts; since the registry gave
    them date_not_after, they have none. Each shipped file's warnings are now what README names."""
    from riskmodel.validate import validate

    assert "The Mali scenarios validate with no warning, `--strict` included" in README
    for path in sorted(MALI.glob("*.yaml")):
        assert [x for x in validate(path).lints if x.level == "warning"] == [], path.name
    warned = {path.name: sorted(x.problem.message for x in validate(path).lints if x.level == "warning")
              for path in sorted(EXAMPLES.glob("*.yaml"))}
    assert warned.pop("three-provinces.yaml") == ["factor 'armed_control' cites no source",
                                                   "factor 'security_vacuum' cites no source"]
    assert set(warned) == {"minimal.yaml", "minimal-surge.yaml"} and all(
        w == ["parameter 'peacekeepers_per_thousand_attacks' is not used by any state, output, intervention or formula"]
        for w in warned.values()), warned
