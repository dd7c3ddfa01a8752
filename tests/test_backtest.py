"""Backtesting: the scores of a run against outcomes, the report, the folder, the command."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import riskmodel
from conftest import ROOT, VALID, line_of
from riskmodel import scoring
from riskmodel.backtest import BACKTEST_FILES
from riskmodel.cli import app
from riskmodel.results import RUN_FILES

runner = CliRunner()
EXAMPLE = ROOT / "scenarios" / "examples" / "minimal.yaml"
EXAMPLE_OUTCOMES = ROOT / "scenarios" / "examples" / "outcomes" / "minimal.yaml"
SAMPLES = 2000


@pytest.fixture(scope="module")
def example():
    return riskmodel.backtest(EXAMPLE, EXAMPLE_OUTCOMES, samples=SAMPLES, seed=3)


def test_example_scores_against_independent_arithmetic(example):
    bt = example
    register = bt.results.register.set_index("risk")
    assert list(bt.binary["risk"]) == ["displacement", "violence_high"]
    assert list(bt.binary["outcome"]) == [1, 0]  # the synthetic outcomes: displacement happened, violence_high not
    p = register.loc[["displacement", "violence_high"], "likelihood"].to_numpy()
    np.testing.assert_allclose(bt.binary["forecast"], p)
    np.testing.assert_allclose(bt.binary["brier"], [(p[0] - 1) ** 2, p[1] ** 2], rtol=1e-12)
    eps = 1 / (2 * SAMPLES)
    clipped = np.clip(p, eps, 1 - eps)
    np.testing.assert_allclose(bt.binary["log_score"], [-math.log(clipped[0]), -math.log(1 - clipped[1])], rtol=1e-12)
    np.testing.assert_allclose(bt.binary["brier_contribution"].sum(), bt.binary["brier"].mean())

    summary = bt.summary.set_index("forecast")
    assert list(summary.index) == ["model", "uninformed 0.5", "climatology"]
    assert summary.loc["model", "brier"] == pytest.approx(bt.binary["brier"].mean())
    assert summary.loc["uninformed 0.5", "brier"] == 0.25
    assert summary.loc["uninformed 0.5", "log_score"] == pytest.approx(math.log(2))
    # climatology 0.3 (happened) and 0.2 (did not), from the outcomes file
    assert summary.loc["climatology", "brier"] == pytest.approx((0.7 ** 2 + 0.2 ** 2) / 2)
    assert summary.loc["climatology", "log_score"] == pytest.approx((-math.log(0.3) - math.log(0.8)) / 2)
    assert summary.loc["climatology", "model_brier_skill"] == pytest.approx(
        1 - summary.loc["model", "brier"] / summary.loc["climatology", "brier"])

    assert list(bt.numeric["output"]) == ["idps_end", "attacks_2025", "attacks_per_month_2025"]
    for row in bt.numeric.itertuples():
        x = bt.results.outputs[row.output].to_numpy()
        assert row.crps == pytest.approx(scoring.crps_samples(x, row.observed), rel=1e-12)
        assert row.pit_low == pytest.approx((x < row.observed).mean())
        assert row.pit_high == pytest.approx((x <= row.observed).mean())
        assert row.pit == pytest.approx((row.pit_low + row.pit_high) / 2)
        # each score states its Monte Carlo error (none did): the PIT's is a share's, the CRPS's its projection's
        assert row.pit_se == pytest.approx(math.sqrt(row.pit * (1 - row.pit) / SAMPLES), rel=1e-12)
        assert row.crps_se == pytest.approx(scoring.crps_mc_error(x, row.observed), rel=1e-12)
        assert 0 < row.crps_se < row.crps / 10
    assert bt.reliability is None  # two binary observations


def test_given_results_are_scored_without_running_again(example):
    again = riskmodel.backtest(example.results, EXAMPLE_OUTCOMES)
    pd.testing.assert_frame_equal(again.binary, example.binary)
    pd.testing.assert_frame_equal(again.numeric, example.numeric)


def test_cli_backtest_on_the_example(tmp_path):
    out = tmp_path / "bt"
    result = runner.invoke(app, ["backtest", str(EXAMPLE), str(EXAMPLE_OUTCOMES), "--samples", str(SAMPLES),
                                 "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES + BACKTEST_FILES)
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    summary = pd.read_csv(out / "summary.csv").set_index("forecast")
    binary = pd.read_csv(out / "binary.csv")
    numeric = pd.read_csv(out / "numeric.csv")
    assert list(binary.columns[:8]) == ["risk", "title", "date", "forecast", "se", "outcome", "brier", "log_score"]
    assert list(numeric.columns[:5]) == ["output", "date", "observed", "crps", "pit"]
    model_brier = f"{summary.loc['model', 'brier']:.4f}"
    model_log = f"{summary.loc['model', 'log_score']:.4f}"
    assert model_brier in result.output and "uninformed 0.5" in result.output
    narrow = runner.invoke(app, ["backtest", str(EXAMPLE), str(EXAMPLE_OUTCOMES), "--samples", str(SAMPLES),
                                 "--seed", "3", "--out", str(tmp_path / "bt2")], env={"COLUMNS": "80"})
    assert narrow.exit_code == 0, narrow.output  # names and dates whole at 80 columns, numbers wrapped
    assert "…" not in narrow.output and "uninformed 0.5" in narrow.output
    # every line within the 80 columns, the folder line (107 columns once) wrapped
    assert max(len(line) for line in narrow.output.splitlines()) <= 80, narrow.output
    assert "Backtest folder:" in narrow.output and "summary.csv)" in narrow.output
    # a score and its Monte Carlo error on one line (the table wrapped "0.0675 ±" above "0.0049")
    model = summary.loc["model"]
    assert (f"Brier {model.brier:.4f} ± {model.brier_mc_error:.4f}; log score {model.log_score:.4f} ± "
            f"{model.log_score_mc_error:.4f}") in narrow.output
    assert all(name in narrow.output for name in [*numeric["output"], *binary["risk"]])
    assert all(f"PIT {row.pit:.3f} ± {row.pit_se:.3f}" in narrow.output for row in numeric.itertuples())
    for name in ("backtest.md", "backtest.html"):
        report = (out / name).read_text(encoding="utf-8")
        bold = f"**{model_brier}**" if name.endswith(".md") else f"<strong>{model_brier}</strong>"
        assert bold in report
        assert model_log in report and "0.2500" in report and "0.6931" in report
        assert f"{binary.loc[0, 'brier']:.4f}" in report
        for row in numeric.itertuples():
            assert f"{row.pit:.3f} ± {row.pit_se:.3f}" in report
            crps_se = f"{row.crps_se:,.0f}" if row.crps_se >= 100 else f"{row.crps_se:#.2g}"
            assert f" ± {crps_se}</td>" in report or f" ± {crps_se} |" in report, crps_se
        assert "CRPS ± se" in report and "the 5th percentile's rank is known within ±0.0049" in " ".join(report.split())
        assert "synthetic, for the worked example" in report and "SYNTHETIC" in report
        assert "needs 10 or more binary observations; this file has 2" in report
    html = (out / "backtest.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<link" not in html and "<script" not in html


def test_cli_unknown_risk_exit_2_nothing_written(tmp_path):
    text = (EXAMPLE_OUTCOMES.read_text(encoding="utf-8").replace("- risk: violence_high", "- risk: violence_hihg")
            .replace("scenario: ../minimal.yaml", f"scenario: {EXAMPLE}"))
    outcomes = tmp_path / "outcomes.yaml"
    outcomes.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["backtest", str(EXAMPLE), str(outcomes), "--out", str(tmp_path / "bt")])
    assert result.exit_code == 2
    assert (f"{outcomes}:{line_of(text, '- risk: violence_hihg')}: observations[1].risk: unknown risk "
            "'violence_hihg'; did you mean 'violence_high'?") in result.output
    assert "Traceback" not in result.output and not (tmp_path / "bt").exists()


def test_schema_outcomes_is_the_committed_schema():
    result = runner.invoke(app, ["schema", "--outcomes"])
    assert result.exit_code == 0
    committed = (ROOT / "scenarios" / "schema" / "riskmodel-outcomes-1.json").read_text()
    assert result.output.strip() == committed.strip(), \
        "run: riskmodel schema --outcomes > scenarios/schema/riskmodel-outcomes-1.json"
    assert '"riskmodel-outcomes/1"' in result.output
    assert runner.invoke(app, ["schema"]).output != result.output


# ---------------------------------------------------------------------------- ten risks: the reliability diagram

THRESHOLDS = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24]


def _many_risks(scenario_dir):
    risks = "".join(f"  - id: r{t}\n    title: More than {t} attacks\n    factor: vacuum\n    output: total_end\n"
                     f"    threshold: {t}\n" for t in THRESHOLDS)
    scenario = VALID.split("risks:\n")[0] + "risks:\n" + risks
    (scenario_dir / "s.yaml").write_text(scenario, encoding="utf-8")
    observations = "".join(f"  - risk: r{t}\n    happened: {'true' if t <= 12 else 'false'}\n    date: 2024-12\n"
                           f"    url: https://example.org/synthetic\n    note: synthetic <b>{t}</b>\n"
                           for t in THRESHOLDS)
    outcomes = scenario_dir / "o.yaml"
    outcomes.write_text(f"schema: riskmodel-outcomes/1\nscenario: s.yaml\nobservations:\n{observations}",
                        encoding="utf-8")
    return scenario_dir / "s.yaml", outcomes


def test_reliability_diagram_from_ten_binary_observations(scenario_dir, tmp_path):
    scenario, outcomes = _many_risks(scenario_dir)
    bt = riskmodel.backtest(scenario, outcomes, samples=400, seed=1)
    assert len(bt.binary) == 12 and bt.reliability is not None
    assert bt.reliability["n"].sum() == 12 and len(bt.summary) == 2  # no climatology given
    table = scoring.reliability_table(bt.binary["forecast"], bt.binary["outcome"])
    pd.testing.assert_frame_equal(bt.reliability, table)
    folder = riskmodel.write_backtest_folder(bt, tmp_path / "bt")
    assert (folder / "reliability.png").read_bytes().startswith(b"\x89PNG")
    assert (folder / "reliability.csv").is_file()
    html = (folder / "backtest.html").read_text(encoding="utf-8")
    assert 'src="data:image/png;base64,' in html
    assert "synthetic &lt;b&gt;2&lt;/b&gt;" in html and "<b>2</b>" not in html  # notes are escaped
    assert "![Reliability diagram](reliability.png)" in bt.to_markdown()


def test_a_variant_scored_against_the_parents_outcomes_says_so(example):
    variant = EXAMPLE.parent / "minimal-surge.yaml"
    bt = riskmodel.backtest(variant, EXAMPLE_OUTCOMES, samples=500, seed=1)
    assert bt.meta["scenario"] == "minimal-surge"
    assert "The outcomes were recorded for" in bt.to_markdown()
    assert "The outcomes were recorded for" not in example.to_markdown()


def test_backtest_folder_is_replaced_atomically(example, tmp_path):
    out = tmp_path / "bt"
    riskmodel.write_backtest_folder(example, out)
    before = (out / "backtest.md").read_bytes()

    class Boom(RuntimeError):
        pass

    def fail(_folder):
        raise Boom()

    broken = type(example)(**{**example.__dict__})
    object.__setattr__(broken, "save", fail)
    with pytest.raises(Boom):
        riskmodel.write_backtest_folder(broken, out)
    assert (out / "backtest.md").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
