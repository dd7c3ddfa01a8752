"""riskmodel update: conditioning on observations, checked against closed-form posteriors.

Posterior means are compared within 4 weighted standard errors (the
self-normalised importance-sampling se the module reports), so a failure is a
1-in-15,000 event for a correct implementation.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln
from typer.testing import CliRunner

from riskmodel.cli import app
from riskmodel.errors import ScenarioError
from riskmodel.update import kish_ess, update, weighted_quantile

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "examples" / "minimal.yaml"
EXAMPLE_UPDATE = ROOT / "scenarios" / "examples" / "outcomes" / "minimal-update.yaml"


@pytest.fixture
def example(tmp_path):
    """A copy of the minimal example and its sources in a project folder of the test's own: outcomes files the
    tests write name a scenario inside their project (riskmodel reads nothing outside it)."""
    import shutil

    (tmp_path / "riskmodel.toml").write_text("", encoding="utf-8")
    shutil.copytree(ROOT / "scenarios" / "sources", tmp_path / "scenarios" / "sources")
    (tmp_path / "scenarios" / "examples").mkdir(parents=True)
    shutil.copy(EXAMPLE, tmp_path / "scenarios" / "examples" / "minimal.yaml")
    return tmp_path / "scenarios" / "examples" / "minimal.yaml"
runner = CliRunner()


def _scenario(tmp_path: Path, parameters: str, states: str, outputs: str, risks: str = "", samples: int = 20000,
              horizon: int = 12) -> Path:
    text = textwrap.dedent(f"""\
        schema: riskmodel/1
        name: closed-form
        title: Closed form
        origin: 2024-01
        horizon_months: {horizon}
        samples: {samples}
        seed: 11
        sampler: mc
        factors:
          f: {{title: A factor}}
        parameters:
        """) + textwrap.indent(textwrap.dedent(parameters), "  ") + "states:\n" + \
        textwrap.indent(textwrap.dedent(states), "  ") + "outputs:\n" + textwrap.indent(textwrap.dedent(outputs), "  ")
    if risks:
        text += "risks:\n" + textwrap.indent(textwrap.dedent(risks), "  ")
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _outcomes(tmp_path: Path, observations: str, name: str = "outcomes.yaml") -> Path:
    text = "schema: riskmodel-outcomes/1\nscenario: scenario.yaml\nobservations:\n" + \
        textwrap.indent(textwrap.dedent(observations), "  ")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _posterior_mean_se(post, name: str) -> tuple:
    x = post.parameters[name].to_numpy()
    w = post.weights
    m = float(w @ x)
    return m, float(np.sqrt(np.sum(w**2 * (x - m) ** 2)))


BETA = dict(parameters="""\
    p: {factor: f, dist: beta, a: 2, b: 3, evidence: judgment, rationale: test}
    """, states="""\
    ev: {factor: f, update: "bernoulli(p)"}
    """, outputs="""\
    ever: {state: ev, agg: max}
    """, risks="""\
    - {id: event, title: The event, factor: f, output: ever, threshold: 0.5}
    """)


def test_beta_bernoulli_not_happened(tmp_path):
    a, b, k = 2, 3, 4  # no event in the first four months: posterior beta(a, b + k)
    _scenario(tmp_path, **BETA)
    out = _outcomes(tmp_path, """\
        - {risk: event, happened: false, date: 2024-04, url: "https://example.org/x", note: test}
        """)
    post = update(None, out, samples=20000)
    m, se = _posterior_mean_se(post, "p")
    assert abs(m - a / (a + b + k)) < 4 * se
    assert abs(post.weights.sum() - 1) < 1e-12
    # the kept paths are exactly those with no event in months 0..3
    assert post.meta["update"]["observations"][0]["date"] == "2024-04"


def test_beta_bernoulli_happened(tmp_path):
    a, b, k = 2, 3, 4  # an event within four months: weight 1 - (1 - p)^k
    _scenario(tmp_path, **BETA)
    out = _outcomes(tmp_path, """\
        - {risk: event, happened: true, date: 2024-04, url: "https://example.org/x", note: test}
        """)
    post = update(None, out, samples=20000)
    m, se = _posterior_mean_se(post, "p")
    norm = 1 - np.exp(betaln(a, b + k) - betaln(a, b))
    exact = (a / (a + b) - np.exp(betaln(a + 1, b + k) - betaln(a, b))) / norm
    assert abs(m - exact) < 4 * se
    # the posterior likelihood of the event over the whole year is 1: it happened
    assert post.register.loc[0, "likelihood"] == pytest.approx(1.0, abs=1e-12)


def test_gamma_poisson_posterior_and_predictive_mean(tmp_path):
    shape, scale, k = 3.0, 2.0, 30
    _scenario(tmp_path, parameters=f"""\
        lam: {{factor: f, dist: gamma, shape: {shape}, scale: {scale}, evidence: judgment, rationale: test}}
        """, states="""\
        c: {factor: f, update: "poisson(lam)"}
        """, outputs="""\
        first_half: {state: c, agg: sum, from: 2024-01, until: 2024-06}
        second_half: {state: c, agg: sum, from: 2024-07, until: 2024-12}
        """)
    out = _outcomes(tmp_path, f"""\
        - {{output: first_half, value: {k}, date: 2024-06, error: {{sd: 0.05}}, url: "https://example.org/x", note: t}}
        """)
    post = update(None, out, samples=60000)
    assert post.ess > 500
    m, se = _posterior_mean_se(post, "lam")
    exact = (shape + k) / (1 / scale + 6)
    assert abs(m - exact) < 4 * se
    y = post.outputs["second_half"].to_numpy()
    pm = float(post.weights @ y)
    pse = float(np.sqrt(np.sum(post.weights**2 * (y - pm) ** 2)))
    assert abs(pm - 6 * exact) < 4 * pse


def test_normal_normal_with_measurement_sd(tmp_path):
    mu, s0, y, sd = 10.0, 2.0, 13.0, 1.0
    _scenario(tmp_path, parameters=f"""\
        theta: {{factor: f, dist: normal, mu: {mu}, sigma: {s0}, evidence: judgment, rationale: test}}
        """, states="""\
        x: {factor: f, update: "theta"}
        """, outputs="""\
        x_end: {state: x, agg: end}
        """)
    out = _outcomes(tmp_path, f"""\
        - {{state: x, value: {y}, date: 2024-03, error: {{sd: {sd}}}, url: "https://example.org/x", note: t}}
        """)
    post = update(None, out, samples=40000)
    prec = 1 / s0**2 + 1 / sd**2
    exact_mean, exact_var = (mu / s0**2 + y / sd**2) / prec, 1 / prec
    m, se = _posterior_mean_se(post, "theta")
    assert abs(m - exact_mean) < 4 * se
    x, w = post.parameters["theta"].to_numpy(), post.weights
    v = float(w @ (x - m) ** 2)
    v_se = float(np.sqrt(np.sum(w**2 * ((x - m) ** 2 - v) ** 2)))
    assert abs(v - exact_var) < 4 * v_se
    shift = post.parameter_shift.set_index("parameter").loc["theta"]
    assert bool(shift["moved"]) and abs(shift["posterior_median"] - exact_mean) < 0.1


def test_relative_error_is_lognormal(tmp_path):
    # theta lognormal(mu0, s0); log y = log theta + N(0, r^2): posterior of log theta is normal-normal
    mu0, s0, y, r = 2.0, 0.5, 12.0, 0.25
    _scenario(tmp_path, parameters=f"""\
        theta: {{factor: f, dist: lognormal, mu: {mu0}, sigma: {s0}, evidence: judgment, rationale: test}}
        """, states="""\
        x: {factor: f, update: "theta"}
        """, outputs="""\
        x_end: {state: x, agg: end}
        """)
    out = _outcomes(tmp_path, f"""\
        - {{state: x, value: {y}, date: 2024-02, error: {{relative: {r}}}, url: "https://example.org/x", note: t}}
        """)
    post = update(None, out, samples=40000)
    prec = 1 / s0**2 + 1 / r**2
    exact = (mu0 / s0**2 + np.log(y) / r**2) / prec
    logx, w = np.log(post.parameters["theta"].to_numpy()), post.weights
    m = float(w @ logx)
    se = float(np.sqrt(np.sum(w**2 * (logx - m) ** 2)))
    assert abs(m - exact) < 4 * se


def test_kish_ess_by_hand():
    assert kish_ess(np.array([1.0, 1.0, 2.0])) == pytest.approx(16 / 6)
    assert kish_ess(np.full(7, 0.3)) == pytest.approx(7)
    assert kish_ess(np.array([0.0, 5.0, 0.0])) == pytest.approx(1)


def test_weighted_quantile_by_hand():
    x = np.array([3.0, 1.0, 2.0, 4.0])
    w = np.array([0.1, 0.2, 0.3, 0.4])  # sorted: 1 (0.2), 2 (0.5), 3 (0.6), 4 (1.0)
    assert list(weighted_quantile(x, w, [0.1, 0.2, 0.5, 0.55, 0.95])) == [1.0, 1.0, 2.0, 3.0, 4.0]


def test_example_ess_and_register_columns():
    post = update(EXAMPLE, EXAMPLE_UPDATE, samples=8192, seed=7)
    w = post.weights
    assert post.ess == pytest.approx(1 / np.sum(w**2))
    reg = post.register.set_index("risk")
    for risk in reg.index:
        r = next(r for r in post.scenario.risks if r.id == risk)
        y = r.exceeded(post.outputs[r.output].to_numpy()).astype(float)
        assert reg.loc[risk, "likelihood"] == pytest.approx(w @ y)
        assert reg.loc[risk, "prior"] == pytest.approx(y.mean())
        assert reg.loc[risk, "difference"] == pytest.approx(w @ y - y.mean())
        assert reg.loc[risk, "ess"] == pytest.approx(post.ess)
    assert len(post.observations) == 5 and post.meta["update"]["last_observed"] == "2024-12"


def test_weights_invariant_to_workers_and_memory():
    a = update(EXAMPLE, EXAMPLE_UPDATE, samples=9000, seed=5)
    b = update(EXAMPLE, EXAMPLE_UPDATE, samples=9000, seed=5, workers=2, memory_bytes=1 << 22)
    assert np.array_equal(a.weights, b.weights)
    assert a.register.equals(b.register)


def test_until_ess_adds_blocks(tmp_path):
    post = update(EXAMPLE, EXAMPLE_UPDATE, samples=4096, seed=7, until_ess=600, max_samples=40960)
    assert post.ess >= 600 and post.n_paths % 4096 == 0
    fixed = update(EXAMPLE, EXAMPLE_UPDATE, samples=post.n_paths, seed=7)
    assert np.array_equal(fixed.weights, post.weights)  # the same as a fixed run of that size
    capped = update(EXAMPLE, EXAMPLE_UPDATE, samples=4096, seed=7, until_ess=10**6, max_samples=8192)
    assert capped.n_paths == 8192 and "max-samples" in capped.meta["update"]["stopped"]


def test_until_ess_default_cap_is_20_times_the_paths_asked_for_in_whole_blocks():
    # 1,000 paths asked: the cap is 20,000 rounded up to whole blocks of 4,096, 20,480 (5 blocks); it
    # was 20 x the first round's 4,096, 81,920, as run's --until-se cap was before eafc636
    capped = update(EXAMPLE, EXAMPLE_UPDATE, samples=1000, seed=7, until_ess=10**6)
    assert capped.n_paths == 20_480
    assert capped.meta["update"]["stopped"].startswith("the cap of 20,480 paths reached (--max-samples)")


@pytest.mark.parametrize("args, says", [
    (["--max-samples", "8192"], "--max-samples 8192: caps --until-ess, which is not given"),
    (["--until-ess", "500", "--max-samples", "0"], "--max-samples 0: a cap on paths must be 1 or more"),
    (["--ess-floor", "-3"], "--ess-floor"),
    (["--workers", "0"], "--workers"),
    (["--workers", "-1"], "--workers"),
])
def test_cli_update_refuses_options_that_cannot_mean_anything(tmp_path, args, says):
    out = tmp_path / "u"
    result = runner.invoke(app, ["update", str(EXAMPLE), str(EXAMPLE_UPDATE), "--samples", "2000", *args,
                                 "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert says in " ".join(result.output.split())
    assert not out.exists()


def test_a_run_refuses_fewer_than_one_local_process_from_python():
    import riskmodel

    with pytest.raises(ScenarioError, match="--workers 0: a run needs at least 1 local process"):
        update(EXAMPLE, EXAMPLE_UPDATE, samples=2000, workers=0)
    with pytest.raises(ScenarioError, match="--workers -2: a run needs at least 1 local process"):
        riskmodel.run(EXAMPLE, samples=2000, workers=-2)


def test_no_path_satisfies_is_a_clear_error(tmp_path):
    # p bounded to [0, 1e-6]: the event (almost surely) never happens, yet it is observed
    bad = _scenario(tmp_path, BETA["parameters"].replace("a: 2, b: 3", "a: 2, b: 3, bounds: [0, 0.000001]"),
                    BETA["states"], BETA["outputs"], BETA["risks"], samples=2000)
    out = _outcomes(tmp_path, """\
        - {risk: event, happened: true, date: 2024-02, url: "https://example.org/x", note: test}
        """)
    with pytest.raises(ScenarioError) as info:
        update(bad, out)
    msg = str(info.value.problems[0])
    assert msg.startswith(f"{out}:4: observations[0]: risk 'event' happened by 2024-02: no simulated path agrees")
    assert "consistent with 0 of 2,000 paths" in msg


def test_numeric_without_error_and_undefined_risk_are_errors(tmp_path, example):
    out = tmp_path / "o.yaml"
    out.write_text(textwrap.dedent(f"""\
        schema: riskmodel-outcomes/1
        scenario: {example}
        observations:
          - {{output: idps_end, value: 100000, url: "https://example.org/x", note: t}}
          - {{risk: violence_high, happened: true, date: 2025-12, url: "https://example.org/x", note: t}}
          - {{state: idps, value: 5, date: 2030-01, error: {{sd: 1}}, url: "https://example.org/x", note: t}}
        """))
    with pytest.raises(ScenarioError) as info:
        update(example, out, samples=100)
    lines = [str(p) for p in info.value.problems]
    assert lines[0].startswith(f"{out}:4: observations[0]: output 'idps_end' = 100,000 in 2025-12: a numeric "
                               "observation needs a measurement error; add `error: {sd:")
    assert lines[1].startswith(f"{out}:5: observations[1].risk: risk 'violence_high' happened by 2025-12: risk "
                               "'violence_high' counts output 'attacks_per_month_2025' (`expr: attacks_2025 / 12`)")
    assert lines[2].startswith(f"{out}:6: observations[2].date: state 'idps' = 5 in 2030-01: the month is outside")
    result = runner.invoke(app, ["update", str(example), str(out), "--out", str(tmp_path / "u")])
    assert result.exit_code == 2 and "Traceback" not in result.output and not (tmp_path / "u").exists()


def test_cli_update_writes_a_report_that_states_the_numbers(tmp_path):
    out = tmp_path / "u"
    result = runner.invoke(app, ["update", str(EXAMPLE), str(EXAMPLE_UPDATE), "--samples", "8192", "--seed", "7",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    post = update(EXAMPLE, EXAMPLE_UPDATE, samples=8192, seed=7)
    html = (out / "index.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    ess = f"{post.ess:,.0f}"
    assert f"effective sample size {ess} (Kish)" in result.output
    for r in post.register.itertuples():  # prior, posterior and ESS of every risk, in both pages
        escaped = r.risk.replace("_", "\\_")  # Markdown escapes the underscore
        row = next(line for line in md.splitlines() if f"({escaped})" in line)
        assert f"{100 * r.prior:.1f}%" in row and f"| {ess} |" in row
        assert (f"{100 * r.likelihood:.1f}%" if r.likelihood * 100 >= 1 else f"{100 * r.likelihood:.2g}%") in row
        assert r.title in html
    assert "under the floor of 1,000" in html  # the example's ESS is below the floor at 8,192 paths
    # the posterior's weighted percentiles state their error (they stated none): the rank at an ESS of E paths
    rank = f"±{(0.05 * 0.95 / post.ess) ** 0.5:.4f}"
    assert f"the 5th percentile's rank is known within {rank}" in md and rank in html
    assert f"as precise as a plain run of {ess} paths" in html  # each parameter's density caption
    weights = pd.read_parquet(out / "weights.parquet")["weight"].to_numpy()
    assert np.array_equal(weights, post.weights)
    shift = pd.read_csv(out / "parameter_shift.csv")
    for row in shift[shift["moved"]].itertuples():
        assert (out / "figures" / f"param-{row.parameter}.png").is_file()
    assert (out / "figures" / "fan-attacks.png").is_file() and "Content-Security-Policy" in html


def test_report_refuses_a_posterior_under_100_effective_paths(tmp_path, example):
    text = EXAMPLE_UPDATE.read_text(encoding="utf-8").replace("scenario: ../minimal.yaml", f"scenario: {example}")
    text = text.replace("error: {sd: 8}", "error: {sd: 0.5}")  # very precise counts: few paths keep weight
    sharp = tmp_path / "sharp.yaml"
    sharp.write_text(text, encoding="utf-8")
    out = tmp_path / "u"
    result = runner.invoke(app, ["update", str(example), str(sharp), "--samples", "4096", "--out", str(out)])
    assert result.exit_code == 0, result.output
    post_ess = float(pd.read_json(out / "run.json", typ="series")["update"]["ess"])
    assert post_ess < 100
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "No posterior is shown." in html and "--until-ess" in html
    assert "not shown (ESS &lt; 100)" not in html and "not shown" in html
    reg = pd.read_csv(out / "register.csv")
    assert not reg["shown"].any()
    assert "no posterior shown" in result.output


def test_outcomes_state_and_error_fields_are_checked(tmp_path, example):
    from riskmodel.outcomes import load_outcomes

    out = tmp_path / "o.yaml"
    out.write_text(textwrap.dedent(f"""\
        schema: riskmodel-outcomes/1
        scenario: {example}
        observations:
          - {{state: idsp, value: 5, date: 2024-03, error: {{sd: 1}}, url: "https://example.org/x", note: t}}
          - {{state: idps, value: 5, error: {{sd: 1}}, url: "https://example.org/x", note: t}}
          - {{state: idps, output: idps_end, value: 5, date: 2024-03, url: "https://example.org/x", note: t}}
          - {{state: idps, value: 5, date: 2024-04, error: {{sd: 1, relative: 0.1}}, url: "https://example.org/x", note: t}}
          - {{state: idps, value: 5, date: 2024-05, error: {{sd: -1}}, url: "https://example.org/x", note: t}}
        """))
    with pytest.raises(ScenarioError) as info:
        load_outcomes(out)
    lines = [str(p) for p in info.value.problems]
    assert f"{out}:4: observations[0].state: unknown state 'idsp'; did you mean 'idps'?" in lines
    assert any(line.startswith(f"{out}:5: observations[1]: a state observation needs `date:`") for line in lines)
    assert any(line.startswith(f"{out}:6: observations[2]: an observation names an output or a state, not both")
               for line in lines)
    assert any(line.startswith(f"{out}:7: observations[3].error: a measurement error is `{{sd: x}}` or "
                               "`{relative: r}`, one of the two") for line in lines)
    # it said "-1.0 is not a probability strictly between 0 and 1", the message of a climatology's base rate
    assert any(line.startswith(f"{out}:8: observations[4].error.sd: -1: a measurement error must be above 0")
               for line in lines), lines
    assert not any("probability" in line for line in lines)


def test_binary_observation_keeps_exactly_the_agreeing_paths():
    post = update(EXAMPLE, EXAMPLE_UPDATE, samples=4096, seed=3)
    # displacement counts idps_end (agg: end): not happened by 2024-12 means idps(2024-12) <= 150,000
    t = 11
    agree = post.series["idps"][:, t] <= 150000
    assert np.array_equal(post.weights > 0, agree)
    ledger = post.observations.set_index("kind").loc["binary"]
    assert ledger["paths_consistent"] == int(agree.sum())


def test_as_of_a_month_by_agg_kind():
    from riskmodel.update import AS_OF

    series = np.array([[0.0, 3.0, 1.0, 0.0], [0.0, 0.0, 0.0, 5.0]])
    assert list(AS_OF["end"](series, 0, 3, 2, None)) == [1.0, 0.0]
    assert list(AS_OF["max"](series, 1, 3, 2, None)) == [3.0, 0.0]
    first = AS_OF["first"](series, 0, 3, 2, None)  # first month index with a non-zero value, inf if none yet
    assert first[0] == 1.0 and np.isinf(first[1])
    assert list(AS_OF["first"](series, 0, 3, 3, None)) == [1.0, 3.0]


def test_weighted_quantile_ignores_zero_weights_exactly():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1000, 3))
    w = rng.random(1000) * (rng.random(1000) < 0.4)
    qs = [0.05, 0.25, 0.5, 0.75, 0.95]
    kept = w > 0
    assert np.array_equal(weighted_quantile(x, w, qs), weighted_quantile(x[kept], w[kept], qs))
    # against a direct definition: smallest x whose cumulative weight (sorted by x) reaches q
    col = x[:, 0]
    order = np.argsort(col)
    cw = np.cumsum(w[order]) / w.sum()
    direct = [col[order][np.argmax(cw >= q - 1e-12)] for q in qs]
    assert list(weighted_quantile(col, w, qs)) == direct


def test_binary_observation_of_a_by_when_risk(tmp_path):
    """`agg: first` (issue 16) observed end to end: no event by 2024-04 leaves p ~ beta(a, b + 4), and the
    posterior likelihood of a first event within 6 months is E[1 - (1 - p)^2] under it (months 4 and 5)."""
    a, b, k = 2, 3, 4
    _scenario(tmp_path, parameters=BETA["parameters"], states="""\
        ev: {factor: f, update: "event(p)"}
        """, outputs="""\
        when: {state: ev, agg: first}
        """, risks="""\
        - {id: soon, title: A first event within 6 months, factor: f, output: when, threshold: 6, direction: below}
        """)
    out = _outcomes(tmp_path, """\
        - {risk: soon, happened: false, date: 2024-04, url: "https://example.org/x", note: test}
        """)
    post = update(None, out, samples=40000)
    m, se = _posterior_mean_se(post, "p")
    assert abs(m - a / (a + b + k)) < 4 * se
    when = post.outputs["when"].to_numpy()
    assert np.all(post.weights[when < k] == 0)  # a path with an event in months 0..3 disagrees
    hit = (when < 6).astype(float)
    pm = float(post.weights @ hit)
    pse = float(np.sqrt(np.sum(post.weights ** 2 * (hit - pm) ** 2)))
    exact = 1 - np.exp(betaln(a, b + k + 2) - betaln(a, b + k))
    assert abs(pm - exact) < 4 * pse


def test_a_posterior_on_paths_of_tiny_weight_states_the_interval_of_its_effective_sample_size(tmp_path):
    """At 5,000 paths the example's violence_high risk happens only on paths the observations all but rule
    out: weighted share 0.0006%, weighted se 0.00036%. A plain run of ESS = 258 paths with no such path
    would state 0% to 1.5% (Wilson): that interval is stated beside the se, in the register, both pages,
    the figure's caption and the terminal."""
    out = tmp_path / "u"
    result = runner.invoke(app, ["update", str(EXAMPLE), str(EXAMPLE_UPDATE), "--samples", "5000", "--out", str(out)],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    reg = pd.read_csv(out / "register.csv").set_index("risk")
    z = 1.959963984540054
    for risk, r in reg.iterrows():  # Wilson (1927) at n = ESS, written out here
        n, p = r["ess"], r["likelihood"]
        centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        assert r["ci_low"] == pytest.approx(max(0.0, centre - half), abs=1e-12)
        assert r["ci_high"] == pytest.approx(min(1.0, centre + half), abs=1e-12)
    rare = reg.loc["violence_high"]
    assert rare["likelihood"] < 1e-4 and rare["se"] < 1e-4  # the case: a share and se that claim too much
    assert rare["ci_high"] == pytest.approx(z * z / (rare["ess"] + z * z), rel=0.01)  # no path at all: z²/(n+z²)
    assert rare["ci_high"] > 0.01
    md = (out / "report.md").read_text(encoding="utf-8")
    row = next(line for line in md.splitlines() if "(violence\\_high)" in line)
    assert "| &lt;0.0001% – 1.5% |" in row, row  # Markdown escapes "<" as it does ">"
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "&lt;0.0001% – 1.5%" in html and "the posterior&#39;s at the effective sample size, 258" in html
    said = " ".join(result.output.split())
    assert "posterior 0.0006% ± 0.00036% (95% interval <0.0001% – 1.5% at ESS 258)" in said
    risk_lines = [line for line in result.output.splitlines() if line.startswith("  ")]  # not the tmp folder's
    assert len(risk_lines) >= 4 and max(len(line) for line in risk_lines) <= 80, risk_lines
