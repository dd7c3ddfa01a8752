"""Sensitivity: Sobol indices by design, given-data indices, tornado, judgment share.

Every expected number is independent of the code: closed-form variances
(Ishigami from Saltelli et al. 2008, Global Sensitivity Analysis: The
Primer, ch. 4, exercise 5, with the v13 correction noted in scipy's
test_sensitivity_analysis; the others derived in each test's docstring).
Tolerances come from the Monte Carlo error: an estimate passes if it lies
within 3 standard errors of the truth, the standard error read from its 95%
bootstrap interval as (high - low) / (2 x 1.96); each test also bounds the
interval's width so that a wide interval cannot pass by itself.
"""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import riskmodel
from riskmodel import sensitivity as S
from riskmodel.cli import app
from riskmodel.errors import ScenarioError

Z = 1.959963984540054
PI = math.pi
from conftest import SOURCE_TEXT, write_registry  # noqa: E402

# the tiny source with a line that states the numbers the cited test parameters rest on
STATED_TEXT = SOURCE_TEXT + "In the test model the share lies between 0 and 1, with a mean of 0 and a standard deviation of 1.\n"


def se(low, high) -> np.ndarray:
    return (np.asarray(high, float) - np.asarray(low, float)) / (2 * Z)


def assert_within(table: pd.DataFrame, col: str, expected: dict, *, k: float = 3.0, extra: float = 0.0,
                  max_se: float = 0.05) -> None:
    """Each row's ``col`` within k standard errors (+ extra) of the expected value; SE below max_se."""
    for label, want in expected.items():
        row = table.loc[label]
        s = float(se(row[f"{col}_low"], row[f"{col}_high"]))
        assert s < max_se, f"{label} {col}: interval too wide (SE {s:.4f})"
        tol = k * s + extra
        assert abs(row[col] - want) <= tol, f"{label} {col}={row[col]:.4f}, expected {want:.4f} ± {tol:.4f}"


def scenario(body: str, *, horizon: int = 1, samples: int = 1000) -> str:
    return textwrap.dedent(f"""\
        schema: riskmodel/1
        name: sens
        title: Sensitivity test
        origin: 2024-01
        horizon_months: {horizon}
        samples: {samples}
        seed: 11
        sampler: mc
        factors:
          f: {{title: F}}
          g: {{title: G}}
        """) + textwrap.dedent(body)


ISHIGAMI = scenario(f"""\
    parameters:
      x1: {{factor: f, dist: uniform, low: {-PI!r}, high: {PI!r}, evidence: judgment, rationale: test}}
      x2: {{factor: f, dist: uniform, low: {-PI!r}, high: {PI!r}, evidence: judgment, rationale: test}}
      x3: {{factor: g, dist: uniform, low: {-PI!r}, high: {PI!r}, evidence: judgment, rationale: test}}
    outputs:
      y: {{expr: "sin(x1) + 7 * sin(x2)**2 + 0.1 * x3**4 * sin(x1)"}}
    risks:
      - {{id: high, title: High, factor: f, output: y, threshold: 10}}
    """)


@pytest.fixture(scope="module")
def ishigami_reference() -> tuple:
    """First- and total-order indices of Ishigami (a = 7, b = 0.1) from closed-form variances."""
    a, b = 7.0, 0.1
    var = 0.5 + a**2 / 8 + b * PI**4 / 5 + b**2 * PI**8 / 18
    v1 = 0.5 + b * PI**4 / 5 + b**2 * PI**8 / 50
    v2 = a**2 / 8
    v13 = b**2 * PI**8 * 8 / 225
    s1 = {"x1": v1 / var, "x2": v2 / var, "x3": 0.0}
    st = {"x1": (v1 + v13) / var, "x2": v2 / var, "x3": v13 / var}
    return s1, st


@pytest.fixture(scope="module")
def ishigami_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("ishigami") / "ishigami.yaml"
    path.write_text(ISHIGAMI, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ishigami_explained(ishigami_file):
    return S.explain(ishigami_file, base_samples=2**13, seed=3)


def test_ishigami_reference_values(ishigami_reference):
    s1, st = ishigami_reference
    assert [round(s1[k], 4) for k in ("x1", "x2", "x3")] == [0.3139, 0.4424, 0.0]
    assert [round(st[k], 4) for k in ("x1", "x2", "x3")] == [0.5576, 0.4424, 0.2437]


def test_ishigami_validates_and_runs_without_states(ishigami_file):
    res = riskmodel.run(ishigami_file, samples=2000, seed=1)
    assert res.outputs.shape == (2000, 1)
    assert riskmodel.validate(ishigami_file).states == ()


def test_ishigami_sobol_indices(ishigami_explained, ishigami_reference):
    """N = 2^13: every S1 and ST within 3 bootstrap SE of the closed form (SEs 0.005-0.016)."""
    ex = ishigami_explained
    s1, st = ishigami_reference
    assert list(ex.parameters.index) == ["x1", "x2", "x3"]  # no states: no noise unit
    assert ex.evaluations == 2**13 * 6  # A, B, AB_x1, AB_x2, AB_x3, AB_{x1,x2} (factor f)
    assert_within(ex.parameters, "S1", s1, max_se=0.02)
    assert_within(ex.parameters, "ST", st, max_se=0.02)
    assert ex.notes == ()


def test_ishigami_groups(ishigami_explained, ishigami_reference):
    """Factor f = {x1, x2}: S1 = (v1 + v2) / V, ST = 1 - S1_x3 = 1; factor g = x3 alone."""
    s1, st = ishigami_reference
    g = ishigami_explained.groups
    assert {"factor:f", "factor:g", "evidence:judgment"} == set(g.index)
    assert_within(g, "S1", {"factor:f": s1["x1"] + s1["x2"], "factor:g": 0.0, "evidence:judgment": 1.0},
                  max_se=0.02)
    assert_within(g, "ST", {"factor:f": 1.0, "factor:g": st["x3"], "evidence:judgment": 1.0}, max_se=0.02)
    assert g.loc["factor:f", "parameters"] == "x1, x2"


def test_given_data_agrees_with_ishigami(ishigami_file, ishigami_reference, ishigami_explained):
    """2^15 paths, 64 bins: within 3 SE of the closed form plus the binning bias (< 0.002 here, see the
    module notes), and within 3 combined SE of the Sobol first-order indices from the design."""
    s1, _ = ishigami_reference
    res = riskmodel.run(ishigami_file, samples=2**15, seed=5)
    g = S.given_data(res, res.scenario).set_index("parameter")
    assert g["bins"].iloc[0] == S.default_bins(2**15) == 64
    assert_within(g, "S1", s1, extra=0.002, max_se=0.006)
    sob = ishigami_explained.parameters
    for name in ("x1", "x2", "x3"):
        both = math.hypot(se(g.loc[name, "S1_low"], g.loc[name, "S1_high"]),
                          se(sob.loc[name, "S1_low"], sob.loc[name, "S1_high"]))
        assert abs(g.loc[name, "S1"] - sob.loc[name, "S1"]) <= 3 * both
    # x2 has no monotone effect (sin² is even): near-zero rank correlation, unlike x1
    assert abs(g.loc["x2", "spearman"]) <= 3 * se(g.loc["x2", "spearman_low"], g.loc["x2", "spearman_high"])
    assert g.loc["x1", "spearman"] > 0.4


def test_linear_model(write):
    """Y = x1 + 2 x2 + 3 x3, independent normals, sigma = (1, 1, 0.5): S1 = ST = a_i² σ_i² / Σ = (1, 4, 2.25) / 7.25."""
    path = write(scenario("""\
        parameters:
          x1: {factor: f, dist: normal, mu: 0, sigma: 1, evidence: judgment, rationale: t}
          x2: {factor: f, dist: normal, mu: 5, sigma: 1, evidence: judgment, rationale: t}
          x3: {factor: g, dist: normal, mu: -2, sigma: 0.5, evidence: judgment, rationale: t}
        outputs:
          y: {expr: "x1 + 2 * x2 + 3 * x3"}
        """))
    ex = S.explain(path, base_samples=4096, seed=1)
    want = {"x1": 1 / 7.25, "x2": 4 / 7.25, "x3": 2.25 / 7.25}
    assert_within(ex.parameters, "S1", want, max_se=0.02)
    assert_within(ex.parameters, "ST", want, max_se=0.02)
    assert_within(ex.groups, "S1", {"factor:f": 5 / 7.25, "factor:g": 2.25 / 7.25}, max_se=0.02)


def test_additive_groups_sum_to_one(write, scenario_dir):
    """Y = x1 + 2 x2 + x3² + x4 (uniform(0, 1)); factors {x1, x2} / {x3, x4}, evidence {x1} cited / rest judgment.

    Additive, so each grouping's first-order indices sum to 1 (within 3 SE of the sum, SEs added in quadrature),
    and each group's S1 is its own variance share: Var = 1/12 + 4/12 + 4/45 + 1/12."""
    write_registry(scenario_dir, STATED_TEXT)
    path = write(scenario("""\
        sources: sources/registry.yaml
        parameters:
          x1: {factor: f, dist: uniform, low: 0, high: 1, evidence: cited,
               cite: [{source: tiny-source, quote: "the share lies between 0 and 1"}]}
          x2: {factor: f, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: t}
          x3: {factor: g, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: t}
          x4: {factor: g, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: t}
        outputs:
          y: {expr: "x1 + 2 * x2 + x3**2 + x4"}
        """))
    ex = S.explain(path, base_samples=4096, seed=2)
    g = ex.groups
    for by in ("factor", "evidence"):
        rows = g[g["by"] == by]
        total_se = math.sqrt(float((se(rows["S1_low"], rows["S1_high"]) ** 2).sum()))
        assert len(rows) == 2
        assert abs(rows["S1"].sum() - 1) <= 3 * total_se, (by, rows["S1"].sum(), total_se)
    v = {"x1": 1 / 12, "x2": 4 / 12, "x3": 4 / 45, "x4": 1 / 12}
    var = sum(v.values())
    assert_within(g, "S1", {"factor:f": (v["x1"] + v["x2"]) / var, "factor:g": (v["x3"] + v["x4"]) / var,
                            "evidence:cited": v["x1"] / var}, max_se=0.03)


def test_monthly_noise_is_a_group(write):
    """Y = Σ over 12 months of normal(mu, s), mu ~ U(0, 1), s ~ U(0.5, 1.5); e = the draws.

    Var(Y) = Var(12 mu) + E[12 s²] = 12 + 13 = 25; S1: mu 12/25, s 0, noise 12/25 (E[Y|e] = 6 + Σe);
    ST: mu 12/25, s Var(s)·12/25 = 1/25, noise E[12 s²]/25 = 13/25. normal() keeps its draws row by row,
    so no note about the noise."""
    path = write(scenario("""\
        parameters:
          mu: {factor: f, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: t}
          s: {factor: g, dist: uniform, low: 0.5, high: 1.5, evidence: judgment, rationale: t}
        states:
          z: {factor: f, update: "normal(mu, s)"}
        outputs:
          y: {state: z, agg: sum}
        """, horizon=12))
    ex = S.explain(path, base_samples=4096, seed=4)
    p = ex.parameters
    assert list(p.index) == ["mu", "s", "noise"]
    assert_within(p, "S1", {"mu": 12 / 25, "s": 0.0, "noise": 12 / 25}, max_se=0.03)
    assert_within(p, "ST", {"mu": 12 / 25, "s": 1 / 25, "noise": 13 / 25}, max_se=0.03)
    assert ex.notes == ()
    assert "noise" in ex.groups.index


def test_poisson_noise_gets_a_positive_total_index(write):
    """Y = Σ over 12 months of poisson(rate), rate ~ U(1, 10): E[Y|rate] = 12 rate, Var(Y|rate) = 12 rate.

    Var(Y) = 144·81/12 + 12·5.5 = 972 + 66; S1_rate = 972/1038, ST_noise = 66/1038. The noise's total index is
    estimated without bias even though Poisson draws are not kept row by row (the note says what that costs);
    parameter and noise first-order indices sum to at most 1 (within 3 SE)."""
    path = write(scenario("""\
        parameters:
          rate: {factor: f, dist: uniform, low: 1, high: 10, evidence: judgment, rationale: t}
        states:
          n: {factor: f, update: "poisson(rate)"}
        outputs:
          y: {state: n, agg: sum}
        """, horizon=12))
    ex = S.explain(path, base_samples=4096, seed=5)
    p = ex.parameters
    assert_within(p, "S1", {"rate": 972 / 1038}, max_se=0.03)
    assert_within(p, "ST", {"noise": 66 / 1038}, max_se=0.01)
    assert p.loc["noise", "ST_low"] > 0
    total = p["S1"].sum()
    assert total <= 1 + 3 * math.sqrt(float((se(p["S1_low"], p["S1_high"]) ** 2).sum()))
    assert p.loc["rate", "ST"] >= p.loc["rate", "S1"] - 3 * se(p.loc["rate", "S1_low"], p.loc["rate", "S1_high"])
    assert any("poisson" in n and "upper bound" in n for n in ex.notes)


def test_correlated_parameters_are_one_unit(write):
    """x1, x2 standard normals with Spearman 0.6 (Pearson 2 sin(0.1 pi) = 0.618), x3 independent, Y = x1 + x2 + x3.

    The correlated set is one unit and its factors merge: S1 = Var(x1 + x2) / Var(Y) = 3.236 / 4.236."""
    path = write(scenario("""\
        parameters:
          x1: {factor: f, dist: normal, mu: 0, sigma: 1, evidence: judgment, rationale: t}
          x2: {factor: g, dist: normal, mu: 0, sigma: 1, evidence: judgment, rationale: t}
          x3: {factor: g, dist: normal, mu: 0, sigma: 1, evidence: judgment, rationale: t}
        correlations:
          - [x1, x2, 0.6]
        outputs:
          y: {expr: "x1 + x2 + x3"}
        """))
    ex = S.explain(path, base_samples=4096, seed=6)
    rho = 2 * math.sin(PI * 0.6 / 6)
    want = (2 + 2 * rho) / (3 + 2 * rho)
    assert list(ex.parameters.index) == ["x1 + x2", "x3"]
    assert list(ex.groups.index) == ["factor:f+g", "evidence:judgment"]
    # Iman–Conover reaches the target correlation up to O(1/sqrt(N)): 0.01 added to the tolerance
    assert_within(ex.parameters, "S1", {"x1 + x2": want, "x3": 1 - want}, extra=0.01, max_se=0.03)
    assert any("Correlated parameters (x1 + x2)" in n for n in ex.notes)


def test_given_data_linear_spearman_and_groups(write):
    """Y = x1 + x2, standard normals: S1 = 1/2 each, Spearman = (6/pi) asin(rho/2) with rho = 1/sqrt(2);
    by factor, the group's S1 is the sum of its parameters'."""
    path = write(scenario("""\
        parameters:
          x1: {factor: f, dist: normal, mu: 0, sigma: 1, evidence: judgment, rationale: t}
          x2: {factor: g, dist: normal, mu: 0, sigma: 1, evidence: judgment, rationale: t}
          c: {factor: g, dist: constant, value: 3, evidence: judgment, rationale: t}
        outputs:
          y: {expr: "x1 + x2 + c"}
        """))
    res = riskmodel.run(path, samples=20_000, seed=2)
    g = S.given_data(res, res.scenario, outputs=["y"]).set_index("parameter")
    assert set(g.index) == {"x1", "x2"}  # the constant is left out
    rho_s = 6 / PI * math.asin(1 / math.sqrt(2) / 2)
    assert_within(g, "S1", {"x1": 0.5, "x2": 0.5}, extra=0.005, max_se=0.02)
    assert_within(g, "spearman", {"x1": rho_s, "x2": rho_s}, max_se=0.01)
    by_factor = S.given_data(res, res.scenario, outputs=["y"], by="factor").set_index("group")
    assert by_factor.loc["f", "S1"] == pytest.approx(g.loc["x1", "S1"])
    assert by_factor.loc["g", "parameters"] == "x2"


def test_first_order_binned_null_input_is_unbiased():
    """An input with no effect: the bias-corrected estimate averages 0 (the uncorrected one (M - 1)/n)."""
    rng = np.random.default_rng(0)
    est = [S.first_order_binned(rng.uniform(size=(2000, 1)), rng.normal(size=2000))[0] for _ in range(200)]
    # mean of 200 estimates, each with SD ~ sqrt(2 (M - 1)) / n ~ 0.0044: SE of the mean ~ 0.0003
    assert abs(np.mean(est)) < 0.001
    with pytest.raises(ValueError, match=r"y must have shape \(2000,\)"):
        S.first_order_binned(np.zeros((2000, 1)), np.zeros(3))


def test_tornado_linear(write):
    """Y = 2 x1 + x2/100, uniforms on (0, 1): the mean over x1's lowest decile is 2·0.05 (+0.005),
    over its highest 2·0.95 (+0.005); x1 comes first."""
    path = write(scenario("""\
        parameters:
          x1: {factor: f, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: t, unit: km}
          x2: {factor: f, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: t}
        outputs:
          y: {expr: "2 * x1 + x2 / 100", unit: km}
        risks:
          - {id: far, title: Far, factor: f, output: y, threshold: 1.5}
        """))
    res = riskmodel.run(path, samples=20_000, seed=3)
    t = S.tornado(res, res.scenario, "far")  # a risk id names its output
    assert list(t["parameter"]) == ["x1", "x2"]
    top = t.iloc[0]
    assert top["output"] == "y" and top["unit"] == "km" and top["output_unit"] == "km"
    assert abs(top["mean_low"] - 0.105) < 0.01 and abs(top["mean_high"] - 1.905) < 0.01
    assert abs(top["swing"] - 1.8) <= 3 * top["swing_se"] + 0.01
    assert top["x_low"] == pytest.approx(0.05, abs=0.01) and top["x_high"] == pytest.approx(0.95, abs=0.01)


def test_judgment_share(write, scenario_dir):
    """Y = x1 (cited, sd 1) + x2 (judgment, sd 2) + monthly normal(0, 1) noise over 1 month:
    Var = 1 + 4 + 1; judgment share 4/6 (first and total order); noise 1/6."""
    write_registry(scenario_dir, STATED_TEXT)
    path = write(scenario("""\
        sources: sources/registry.yaml
        parameters:
          x1: {factor: f, dist: normal, mu: 0, sigma: 1, evidence: cited,
               cite: [{source: tiny-source, quote: "a mean of 0 and a standard deviation of 1"}]}
          x2: {factor: g, dist: normal, mu: 0, sigma: 2, evidence: judgment, rationale: t}
        states:
          e: {factor: f, update: "normal(0, 1)"}
        outputs:
          y: {expr: "x1 + x2 + e_end"}
          e_end: {state: e, agg: end}
        risks:
          - {id: big, title: Big, factor: f, output: y, threshold: 3}
        """))
    sc = riskmodel.validate(path)
    res = riskmodel.run(sc, samples=1000)
    js = S.judgment_share(res, sc, base_samples=4096)
    assert list(js.columns[:8]) == ["risk", "output", "judgment_ST", "judgment_ST_low", "judgment_ST_high",
                                   "judgment_S1", "judgment_S1_low", "judgment_S1_high"]
    row = js.iloc[0]
    assert row["risk"] == "big" and row["n"] == 4096 and row["evaluations"] == 4 * 4096
    for col in ("judgment_ST", "judgment_S1"):
        s = se(row[f"{col}_low"], row[f"{col}_high"])
        assert s < 0.03 and abs(row[col] - 4 / 6) <= 3 * s
    assert row["noise_ST"] == pytest.approx(1 / 6, abs=0.03)
    assert row["sentence"].startswith("Judgment share: the share of this output's variance that comes from "
                                      "parameters classed as judgment (total-order Sobol index of that group, "
                                      "N = 4096 base samples, ± 0.0")


def test_judgment_share_without_judgment(write, scenario_dir):
    write_registry(scenario_dir, STATED_TEXT)
    path = write(scenario("""\
        sources: sources/registry.yaml
        parameters:
          x1: {factor: f, dist: normal, mu: 0, sigma: 1, evidence: cited,
               cite: [{source: tiny-source, quote: "a mean of 0 and a standard deviation of 1"}]}
        outputs:
          y: {expr: "x1"}
        risks:
          - {id: big, title: Big, factor: f, output: y, threshold: 3}
        """))
    js = S.judgment_share(None, riskmodel.validate(path))
    assert js.loc[0, "judgment_ST"] == 0.0 and js.loc[0, "evaluations"] == 0


def test_explain_errors(ishigami_file):
    with pytest.raises(ScenarioError, match="power of two"):
        S.explain(ishigami_file, base_samples=1000)
    with pytest.raises(ScenarioError, match="unknown method 'morris'; use sobol"):
        S.explain(ishigami_file, method="morris")
    with pytest.raises(ScenarioError, match="'nope' is neither an output nor a risk id; use one of the outputs y "
                                            "or risks high"):
        S.explain(ishigami_file, output="nope")


def test_explain_by_risk_id_and_unpacking(ishigami_file):
    params, groups = S.explain(ishigami_file, output="high", base_samples=64, seed=1)
    assert list(params.columns[:6]) == ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]
    assert params.index.name == "parameter" and groups.index.name == "group"


def test_cli_explain_table_and_json(ishigami_file):
    runner = CliRunner()
    res = runner.invoke(app, ["explain", str(ishigami_file), "--base-samples", "256", "--seed", "2"])
    assert res.exit_code == 0, res.output
    assert "Sobol indices of y by parameter: N = 256 base samples" in res.output
    assert "x1" in res.output and "evidence:judgment" in res.output
    narrow = runner.invoke(app, ["explain", str(ishigami_file), "--base-samples", "256", "--seed", "2"],
                           env={"COLUMNS": "80"})  # numbers wrap; a group's name is never cut ("evidence:judg…")
    assert "evidence:judgment" in narrow.output and "…" not in narrow.output
    assert all(len(line) <= 80 for line in narrow.output.splitlines()), narrow.output
    res = runner.invoke(app, ["explain", str(ishigami_file), "--base-samples", "256", "--seed", "2", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    # every interval whole at 80 columns ("[0.178, 0.28…" when the cells were squeezed), parameters and groups
    for row in data["parameters"] + data["groups"]:
        for a, b in (("S1_low", "S1_high"), ("ST_low", "ST_high")):
            assert f"[{row[a]:.3f}, {row[b]:.3f}]" in narrow.output, (row, narrow.output)
    assert data["output"] == "y" and data["base_samples"] == 256
    assert [r["parameter"] for r in data["parameters"]] == ["x1", "x2", "x3"]
    assert {"S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"} <= set(data["groups"][0])
    res = runner.invoke(app, ["explain", str(ishigami_file), "--base-samples", "100"])
    assert res.exit_code == 2 and "--base-samples: 100 base samples; use a power of two" in res.output


def test_drivers_figures_and_section(ishigami_file, ishigami_explained):
    from riskmodel.render import drivers

    res = riskmodel.run(ishigami_file, samples=4000, seed=1)
    sc = res.scenario
    tor = S.tornado(res, sc, "y")
    tables = S.given_data(res, sc, by=("parameter", "evidence"), n_boot=50)
    share = S.judgment_share(res, sc, base_samples=64)
    sec = drivers.drivers_section(tornados=[tor], given=tables["parameter"], given_groups=tables["evidence"],
                                  explanation=ishigami_explained, share=share, titles={"high": "A high value"})
    files = [f.file for f in sec["figures"]]
    assert files == ["drivers-tornado-y.png", "drivers-given-heatmap.png", "drivers-evidence-groups.png",
                     "drivers-sobol-parameters-y.png", "drivers-sobol-groups-y.png", "drivers-judgment-share.png"]
    assert all(f.png.startswith(b"\x89PNG") for f in sec["figures"])
    assert sec["title"] == "What drives this result"
    assert "Judgment share: the share of this output" in sec["markdown"]
    assert "<h2>What drives this result</h2>" in sec["html"] and "A high value" in sec["html"]


def test_given_data_and_tornado_in_one_pass_match_single_calls(write):
    path = write(ISHIGAMI)
    res = riskmodel.run(path, samples=3000, seed=9)
    sc = res.scenario
    tables = S.given_data(res, sc, by=("parameter", "factor", "evidence"), n_boot=30)
    pd.testing.assert_frame_equal(tables["factor"], S.given_data(res, sc, by="factor", n_boot=30))
    pd.testing.assert_frame_equal(tables["parameter"], S.given_data(res, sc, n_boot=30))
    both = S.tornado(res, sc, ["y", "high"])
    pd.testing.assert_frame_equal(both.iloc[:3].reset_index(drop=True), S.tornado(res, sc, "y"))
    assert len(both) == 6


TWO_OUTPUTS = scenario("""\
    parameters:
      a: {factor: f, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: test}
      b: {factor: g, dist: normal, mu: 0, sigma: 1, evidence: judgment, rationale: test}
      c: {factor: g, dist: uniform, low: 0, high: 2, evidence: judgment, rationale: test}
      k: {factor: f, dist: bernoulli, p: 0.3, evidence: judgment, rationale: test}
    outputs:
      ya: {expr: "a + 0.1 * c"}
      yb: {expr: "b * b + k"}
    risks:
      - {id: ra, title: A, factor: f, output: ya, threshold: 0.5}
      - {id: rb, title: B, factor: g, output: yb, threshold: 1}
    """)


def test_given_data_per_output_parameters_match_restricted_single_calls(write):
    """One call with ``parameters={output: names}`` gives the rows of one call per output on a scenario
    that holds only that output's parameters (a second way to the same numbers: separate ranks, bins and
    bootstrap sums per call); only the bootstrap's matrix products may round differently."""
    import dataclasses

    res = riskmodel.run(write(TWO_OUTPUTS), samples=4000, seed=5)
    sc = res.scenario
    keep = {"ya": ("a", "c"), "yb": ("b", "k", "c")}
    joint = S.given_data(res, sc, by=("parameter", "factor", "evidence"), outputs=["ya", "yb"], seed=4,
                         parameters=keep)
    for kind in ("parameter", "factor", "evidence"):
        parts = []
        for out, names in keep.items():
            restricted = dataclasses.replace(sc, parameters=tuple(p for p in sc.parameters if p.name in names))
            parts.append(S.given_data(res, restricted, by=kind, outputs=[out], seed=4))
        single = pd.concat(parts, ignore_index=True)
        pd.testing.assert_frame_equal(joint[kind], single, rtol=1e-12, atol=1e-14)
    # the attribution is restricted: 'b' has no row for ya, 'a' none for yb
    rows = joint["parameter"]
    assert set(rows.loc[rows.output == "ya", "parameter"]) == {"a", "c"}
    assert set(rows.loc[rows.output == "yb", "parameter"]) == {"b", "k", "c"}


def test_ranks_match_scipy_rankdata_with_ties():
    """Average ranks as scipy.stats.rankdata gives them (a second implementation), ties included."""
    from scipy import stats

    rng = np.random.default_rng(2)
    cases = [rng.normal(size=(500, 3)), rng.integers(0, 4, size=(300, 5)).astype(float), np.ones((6, 2)),
             np.array([[np.inf], [1.0], [-np.inf], [1.0], [np.inf]])]
    for x in cases:
        np.testing.assert_array_equal(S._ranks(x), stats.rankdata(x, axis=0, method="average"))
    # by hand: 3 ties at the bottom share rank 2, the next value is 4
    np.testing.assert_array_equal(S._ranks(np.array([[0.0], [0.0], [0.0], [5.0]]))[:, 0], [2, 2, 2, 4])


def _indices_by_gathering(f_a, f_b, f_ab, r):
    """The bootstrap written out with the resampled rows gathered (the way the estimators read)."""
    centre = np.mean(np.concatenate([f_a, f_b]))
    a, b, ab = f_a - centre, f_b - centre, f_ab - centre
    a_r, b_r = a[r], b[r]
    var_r = np.var(np.concatenate([a_r, b_r], axis=-1), axis=-1)
    s1 = np.array([np.mean(b_r * (x[r] - a_r), axis=-1) / var_r for x in ab])
    st = np.array([0.5 * np.mean((a_r - x[r]) ** 2, axis=-1) / var_r for x in ab])
    return (np.percentile(s1, [2.5, 97.5], axis=1), np.percentile(st, [2.5, 97.5], axis=1),
            S.saltelli_first_order(a, b, ab), S.jansen_total_order(a, b, ab))


def test_bootstrap_by_counts_matches_gathered_rows():
    """The design's bootstrap, one matrix product of resampling counts for every output, gives the
    intervals of gathering each replicate's rows (a second implementation), to rounding; point estimates
    exactly."""
    rng = np.random.default_rng(8)
    n, n_boot = 256, 300
    x = rng.normal(size=(n, 3))
    y = rng.normal(size=(n, 3))
    outs = {"A": np.column_stack([x[:, 0] + 0.5 * x[:, 1] ** 2, 1e5 + 3e3 * x[:, 2]]),
            "B": np.column_stack([y[:, 0] + 0.5 * y[:, 1] ** 2, 1e5 + 3e3 * y[:, 2]])}
    outs["u0"] = np.column_stack([y[:, 0] + 0.5 * x[:, 1] ** 2, 1e5 + 3e3 * x[:, 2]])
    outs["u2"] = np.column_stack([x[:, 0] + 0.5 * x[:, 1] ** 2, 1e5 + 3e3 * y[:, 2]])
    keys = ["u0", "u2"]
    counts = S._resample_counts(n, n_boot, np.random.default_rng(1))
    r = np.random.default_rng(1).integers(n, size=(n_boot, n))
    np.testing.assert_array_equal(counts.sum(axis=1), n)
    np.testing.assert_array_equal(counts[5], np.bincount(r[5], minlength=n))
    got = S._indices(outs, keys, counts)  # (outputs, keys, 6)
    for j in range(2):
        (s1_lo, s1_hi), (st_lo, st_hi), s1, st = _indices_by_gathering(
            outs["A"][:, j], outs["B"][:, j], np.stack([outs[k][:, j] for k in keys]), r)
        np.testing.assert_array_equal(got[j, :, 0], s1)
        np.testing.assert_array_equal(got[j, :, 3], st)
        for col, want in ((1, s1_lo), (2, s1_hi), (4, st_lo), (5, st_hi)):
            np.testing.assert_allclose(got[j, :, col], want, rtol=1e-9, atol=1e-12)
    # the second output depends on x2 alone: its u0 total index is 0 exactly and u2's is near 1
    assert got[1, 0, 3] == 0 and abs(got[1, 1, 3] - 1) < 0.3


def test_judgment_share_in_a_background_worker_is_the_same(write, monkeypatch):
    """riskmodel.run computes the judgment share in a forked worker while it simulates (two cores): the
    register is bit for bit the one computed in this process after the simulation; a worker that fails
    leaves the share to be computed here, with the same numbers."""
    from riskmodel import workers

    path = write(TWO_OUTPUTS)
    started = []
    real = workers.Background

    class Counted(real):
        def __init__(self, *args, **kwargs):
            started.append(args[0].__name__)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(workers, "Background", Counted)
    monkeypatch.setattr(workers, "background_allowed", lambda: True)
    res_bg = riskmodel.run(path, samples=2000, seed=3, judgment_samples=64)
    assert started == ["judgment_share"]
    monkeypatch.setenv("RISKMODEL_BACKGROUND", "0")
    monkeypatch.setattr(workers, "background_allowed", lambda: False)
    res_here = riskmodel.run(path, samples=2000, seed=3, judgment_samples=64)
    assert started == ["judgment_share"]  # not started again
    pd.testing.assert_frame_equal(res_bg.register, res_here.register, check_exact=True)
    assert res_bg.meta["judgment_share"] == res_here.meta["judgment_share"]

    class Failing(real):
        def result(self):
            raise RuntimeError("worker died")

    monkeypatch.setattr(workers, "Background", Failing)
    monkeypatch.setattr(workers, "background_allowed", lambda: True)
    res_fallback = riskmodel.run(path, samples=2000, seed=3, judgment_samples=64)
    pd.testing.assert_frame_equal(res_fallback.register, res_here.register, check_exact=True)


def test_the_registers_judgment_note_states_the_widest_interval_not_the_first_risks():
    import riskmodel
    from conftest import ROOT

    res = riskmodel.run(ROOT / "scenarios" / "examples" / "minimal.yaml", samples=2000, judgment_samples=256)
    reg = res.register
    halves = (reg["judgment_ST_high"] - reg["judgment_ST_low"]) / 2
    assert len(reg) == 2 and f"{halves.iloc[0]:.2f}" != f"{halves.max():.2f}"  # the first risk's is not the widest
    assert res.meta["judgment_share"]["sentence"].endswith(
        f"N = 256 base samples, at most ± {halves.max():.2f} at 95%, the widest of the risks').")
