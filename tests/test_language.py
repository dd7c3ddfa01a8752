"""The language additions against closed forms: event, agg first, reduce, monthly, schedules, calendar,
dimensions (streams by element, update_for), and each new mistake reported as file:line: key.

Monte Carlo tolerances are 4 standard errors, the standard error stated beside each check.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import riskmodel
from riskmodel.errors import ScenarioError
from riskmodel.expressions import parse_expression
from riskmodel.exprcompile import EvalContext, compile_expression
from riskmodel.model import Month

HEADER = """\
schema: riskmodel/1
name: t
title: T
origin: {origin}
horizon_months: {T}
samples: {n}
seed: 5
sampler: {sampler}
factors: {{f: {{title: F}}}}
"""


def scenario(tmp_path, body: str, *, T: int = 12, n: int = 20_000, sampler: str = "mc", origin: str = "2024-01",
             name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(HEADER.format(T=T, n=n, sampler=sampler, origin=origin) + textwrap.dedent(body))
    return path


def band_mean(res, state: str) -> np.ndarray:
    b = res.bands[res.bands["state"] == state].sort_values("t")
    return b["mean"].to_numpy()


# ---- hazards ----------------------------------------------------------------------------------------


def test_event_with_constant_hazard_is_on_by_month_k_with_probability_1_minus_q_to_the_k_plus_1(tmp_path):
    h, T = 0.07, 24
    res = riskmodel.run(scenario(tmp_path, f"""\
        states:
          on: {{factor: f, update: "event({h})"}}
        outputs:
          first_on: {{state: on, agg: first}}
        """, T=T))
    n = len(res.outputs)
    k = np.arange(T)
    p = 1 - (1 - h) ** (k + 1)
    se = np.sqrt(p * (1 - p) / n)  # binomial standard error of a proportion; at most 0.0035 here
    assert np.all(np.abs(band_mean(res, "on") - p) < 4 * se)

    # agg first of it is geometric: P(first = k) = (1 - h)^k h, and never (inf) with probability (1 - h)^T
    first = res.outputs["first_on"].to_numpy()
    for kk in (0, 1, 5, 11):
        q = (1 - h) ** kk * h
        assert abs(np.mean(first == kk) - q) < 4 * np.sqrt(q * (1 - q) / n)
    q_never = (1 - h) ** T
    assert abs(np.mean(np.isinf(first)) - q_never) < 4 * np.sqrt(q_never * (1 - q_never) / n)
    assert set(np.unique(first[np.isfinite(first)])) <= set(range(T))


def test_event_is_absorbing_and_clips_its_hazard(tmp_path):
    res = riskmodel.run(scenario(tmp_path, """\
        states:
          on: {factor: f, update: "event(where(t == 0, 5, -1))"}
        outputs:
          end: {state: on, agg: end}
          total: {state: on, agg: sum}
        """, n=500))
    # h = 5 is clipped to 1: on in month 0 on every path; h = -1 clipped to 0 never switches it off
    assert (res.outputs["end"] == 1).all() and (res.outputs["total"] == 12).all()


def test_monthly_compounded_over_a_year_gives_back_p():
    for p in (0.01, 0.2, 0.5, 0.9):
        m = parse_expression(f"monthly({p})").constant
        assert abs(1 - (1 - m) ** 12 - p) < 1e-12
        m3 = parse_expression(f"monthly({p}, 3)").constant
        assert abs(1 - (1 - m3) ** 36 - p) < 1e-12


def test_event_of_monthly_p_over_twelve_months_happens_with_probability_p(tmp_path):
    p = 0.3
    res = riskmodel.run(scenario(tmp_path, f"""\
        states:
          on: {{factor: f, update: "event(monthly({p}))"}}
        outputs:
          end: {{state: on, agg: end}}
        """, T=12))
    n = len(res.outputs)
    assert abs(res.outputs["end"].mean() - p) < 4 * np.sqrt(p * (1 - p) / n)  # se 0.0032


def test_first_above_a_level(tmp_path):
    res = riskmodel.run(scenario(tmp_path, """\
        states:
          x: {factor: f, update: "t * 10"}
        outputs:
          first_big: {state: x, agg: first, above: 45}
          never: {state: x, agg: first, above: 1000}
          first_in_window: {state: x, agg: first, from: 2024-03}
        """, n=100))
    assert (res.outputs["first_big"] == 5).all()  # 50 is the first value above 45, at t = 5
    assert np.isinf(res.outputs["never"]).all()
    assert (res.outputs["first_in_window"] == 2).all()  # the window starts at t = 2 (x = 20 is non-zero)


# ---- calendar -----------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["2023-07", "2024-01", "2025-12"])
def test_year_month_and_date_follow_the_calendar(tmp_path, origin):
    T = 20
    res = riskmodel.run(scenario(tmp_path, """\
        states:
          y: {factor: f, update: "year"}
          m: {factor: f, update: "month"}
          since: {factor: f, update: "t - date(\\"2023-12\\")"}
        """, T=T, n=10, origin=origin))
    o = Month.parse(origin)
    months = [o.plus(k) for k in range(T)]
    assert list(band_mean(res, "y")) == [mm.year for mm in months]
    assert list(band_mean(res, "m")) == [mm.month for mm in months]
    assert list(band_mean(res, "since")) == [mm.index_from(Month(2023, 12)) for mm in months]


def test_date_is_negative_before_the_origin():
    f = compile_expression(parse_expression('date("2023-10")'), origin=Month(2024, 1))
    assert f(EvalContext({}, n=1))[0] == -3


# ---- schedules ----------------------------------------------------------------------------------

SCHEDULE = """\
    schedules:
      troops:
        factor: f
        interpolate: {interp}
        points: {{2024-03: 100, 2024-07: 20, 2024-09: 0}}
        evidence: judgment
        rationale: test
    states:
      x: {{factor: f, update: "troops"}}
    """


def test_step_schedule_holds_each_point_and_the_first_before_it(tmp_path):
    res = riskmodel.run(scenario(tmp_path, SCHEDULE.format(interp="step"), n=10))
    assert list(band_mean(res, "x")) == [100, 100, 100, 100, 100, 100, 20, 20, 0, 0, 0, 0]


def test_linear_schedule_interpolates_between_points(tmp_path):
    res = riskmodel.run(scenario(tmp_path, SCHEDULE.format(interp="linear"), n=10))
    assert np.allclose(band_mean(res, "x"), [100, 100, 100, 80, 60, 40, 20, 10, 0, 0, 0, 0])


def test_an_intervention_sets_a_schedules_points_in_its_window(tmp_path):
    body = SCHEDULE.format(interp="step").rstrip(" ") + """\
    interventions:
      - name: slower
        from: 2024-06
        set: {troops: {2024-09: 50}}
    """
    res = riskmodel.run(scenario(tmp_path, body, n=10))
    # before June the schedule as written; from June its points with 2024-09 replaced by 50
    assert list(band_mean(res, "x")) == [100, 100, 100, 100, 100, 100, 20, 20, 50, 50, 50, 50]


# ---- dimensions ---------------------------------------------------------------------------------

DIMS = """\
    dimensions:
      d: [{elements}]
    parameters:
      h:
        factor: f
        over: d
        dist: uniform
        low: 0.01
        high: {{{highs}}}
        evidence: judgment
        rationale: test
    states:
      on: {{factor: f, over: d, update: "event(h)"}}
    outputs:
      by: {{state: on, agg: end}}
      count: {{state: on, agg: end, reduce: sum}}
      first: {{state: on, agg: first}}
    risks:
      - {{id: on, over: d, title: "On in {{d}}", factor: f, output: by, threshold: 0.5}}
    """
HIGHS = {"a": 0.05, "b": 0.1, "c": 0.2}


def dims_body(elements):
    return DIMS.format(elements=", ".join(elements), highs=", ".join(f"{e}: {HIGHS[e]}" for e in elements))


@pytest.mark.parametrize("sampler", ["mc", "lhs"])
def test_adding_an_element_leaves_the_other_elements_draws_bit_identical(tmp_path, sampler):
    two = riskmodel.run(scenario(tmp_path, dims_body(["a", "b"]), n=3000, sampler=sampler, name="two.yaml"))
    three = riskmodel.run(scenario(tmp_path, dims_body(["a", "b", "c"]), n=3000, sampler=sampler,
                                   name="three.yaml"))
    for e in ("a", "b"):
        np.testing.assert_array_equal(two.parameters[f"h[{e}]"], three.parameters[f"h[{e}]"])
        np.testing.assert_array_equal(two.outputs[f"first[{e}]"], three.outputs[f"first[{e}]"])
    assert not np.array_equal(three.parameters["h[a]"], three.parameters["h[c]"])


def test_reduce_sum_over_independent_elements_has_the_sum_of_the_means(tmp_path):
    T = 12
    res = riskmodel.run(scenario(tmp_path, dims_body(["a", "b", "c"]), T=T))
    y = res.outputs["count"].to_numpy()
    # h_e ~ uniform(0.01, high_e): P(on at the end) = E[1 - (1 - h)^T], by the integral of (1 - h)^T
    expected = 0.0
    for e, hi in HIGHS.items():
        lo = 0.01
        mean_q = ((1 - lo) ** (T + 1) - (1 - hi) ** (T + 1)) / ((T + 1) * (hi - lo))
        expected += 1 - mean_q
    se = y.std(ddof=1) / np.sqrt(len(y))  # about 0.006
    assert abs(y.mean() - expected) < 4 * se
    assert np.array_equal(y, sum(res.outputs[f"by[{e}]"].to_numpy() for e in HIGHS))
    reg = res.register.set_index("risk")
    assert reg.loc["on[c]", "title"] == "On in c" and "on[a]" in reg.index


def test_update_for_gives_one_element_its_own_expression(tmp_path):
    res = riskmodel.run(scenario(tmp_path, """\
        dimensions:
          d: [a, b, c]
        parameters:
          k: {factor: f, over: d, dist: constant, value: {a: 1, b: 2, c: 3}, evidence: judgment, rationale: test}
        states:
          x:
            factor: f
            over: d
            update: "k * 10"
            update_for:
              b: "prev(x)[a] + x[a] + 1"
          total: {factor: f, update: "sum(x) + max(x) + mean(x)"}
        outputs:
          x_end: {state: x, agg: end}
          total_end: {state: total, agg: end}
        """, n=50, T=3))
    o = res.outputs
    # a = 10; b = prev(a) + a + 1 = 21 (prev of a is 10 from month 1 on, 0 in month 0); c = 30
    assert (o["x_end[a]"] == 10).all() and (o["x_end[b]"] == 21).all() and (o["x_end[c]"] == 30).all()
    assert (o["total_end"] == (10 + 21 + 30) + 30 + (10 + 21 + 30) / 3).all()
    assert list(band_mean(res, "x[b]")) == [11, 21, 21]


def test_correlation_of_whole_dimensioned_parameters_goes_element_with_element(tmp_path):
    res = riskmodel.run(scenario(tmp_path, """\
        dimensions:
          d: [a, b]
        parameters:
          u: {factor: f, over: d, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: test}
          v: {factor: f, over: d, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: test}
        correlations:
          - [u, v, 0.8]
        """, n=8000, sampler="lhs"))
    p = res.parameters.rank()
    for e in ("a", "b"):
        assert abs(p[f"u[{e}]"].corr(p[f"v[{e}]"]) - 0.8) < 0.03  # rank-correlation se about 0.004
    assert abs(p["u[a]"].corr(p["v[b]"])) < 0.05  # se 1/sqrt(n) = 0.011


# ---- mistakes, each as file:line: key -----------------------------------------------------------


def problems_of(tmp_path, body: str) -> str:
    with pytest.raises(ScenarioError) as exc:
        riskmodel.validate(scenario(tmp_path, body))
    return str(exc.value)


BASE = """\
dimensions:
  country: [niger, mali]
parameters:
  h: {factor: f, over: country, dist: uniform, low: 0, high: 0.1, evidence: judgment, rationale: r}
  g: {factor: f, dist: uniform, low: 0, high: 0.1, evidence: judgment, rationale: r}
"""


@pytest.mark.parametrize("extra, needle", [
    ('states:\n  s: {factor: f, over: country, update: "h[chad]"}\n', r"s.yaml:\d+: states.s.update: h\[chad\]: 'chad' is not an element of country"),
    ('states:\n  s: {factor: f, update: "g[niger]"}\n', r"states.s.update: g\[niger\]: 'g' has no dimension"),
    ('states:\n  s: {factor: f, update: "sum(g)"}\n', r"states.s.update: sum\(\) of a value with no dimension"),
    ('states:\n  s: {factor: f, update: "h"}\n', r"states.s.update: the expression has one value per element of country"),
    ('outputs:\n  o: {expr: "event(g)"}\n', r"outputs.o.expr: event\(\) is only allowed in a state's update"),
    ('dimensions2: 1\n', r"unknown key 'dimensions2'"),
    ('states:\n  s: {factor: f, over: country, update: "h", update_for: {chad: "1"}}\n', r"states.s.update_for.chad: 'chad' is not an element of country"),
    ('states:\n  s: {factor: f, over: land, update: "1"}\n', r"states.s.over: unknown dimension 'land'"),
])
def test_each_new_mistake_names_file_line_and_key(tmp_path, extra, needle):
    import re

    assert re.search(needle, problems_of(tmp_path, BASE + extra))


def test_a_mapping_must_name_every_element_and_only_elements(tmp_path):
    text = problems_of(tmp_path, """\
        dimensions:
          country: [niger, mali]
        parameters:
          h: {factor: f, over: country, dist: uniform, low: 0, high: {niger: 0.1}, evidence: judgment, rationale: r}
          k: {factor: f, over: country, dist: uniform, low: 0, high: {niger: 1, mali: 1, chad: 1}, evidence: judgment, rationale: r}
          g: {factor: f, dist: uniform, low: 0, high: {niger: 0.1}, evidence: judgment, rationale: r}
        """)
    assert "parameters.h.high: high: the mapping does not name mali" in text
    assert "parameters.k.high.chad: 'chad' is not an element of country" in text
    assert "parameters.g.high: high: a mapping per element, but this has no dimension" in text


def test_mismatched_dimensions_in_one_expression(tmp_path):
    text = problems_of(tmp_path, """\
        dimensions:
          country: [niger, mali]
          region: [kidal, gao]
        parameters:
          h: {factor: f, over: country, dist: uniform, low: 0, high: 0.1, evidence: judgment, rationale: r}
          r: {factor: f, over: region, dist: uniform, low: 0, high: 0.1, evidence: judgment, rationale: r}
        states:
          s: {factor: f, over: country, update: "h + r"}
        """)
    assert "states.s.update: values over different dimensions (country and region) in one operation" in text


def test_a_schedule_point_outside_a_valid_month(tmp_path):
    text = problems_of(tmp_path, """\
        schedules:
          troops: {factor: f, points: {2024-13: 5}, evidence: judgment, rationale: r}
        """)
    assert "schedules.troops.points.2024-13: '2024-13' is not a month" in text


def test_the_three_province_example_validates_runs_and_reports_per_element(tmp_path):
    from pathlib import Path

    path = Path(__file__).parent.parent / "scenarios" / "examples" / "three-provinces.yaml"
    res = riskmodel.run(path, samples=2000)
    reg = res.register.set_index("risk")
    assert {"control[north]", "control[centre]", "control[south]", "two_provinces", "north_within_12m"} <= set(reg.index)
    assert reg.loc["control[south]", "title"] == "Armed groups control south by the horizon"
    assert {"controlled[north]", "attacks[south]"} <= set(res.bands["state"])


def test_a_dimensioned_parameter_is_used_where_its_elements_are_read(tmp_path):
    """The unused-parameter lint compared bare names with element names: the three-province example warned that
    base_attacks[north], [centre] and [south] were used by nothing, while every element of attacks reads its own."""
    from pathlib import Path

    from riskmodel.validate import validate

    example = validate(Path(__file__).parent.parent / "scenarios" / "examples" / "three-provinces.yaml")
    assert not [x for x in example.lints if "is not used" in x.problem.message]
    body = """\
        dimensions:
          d: [a, b, c]
        parameters:
          h: {factor: f, over: d, dist: uniform, low: 0, high: 0.1, evidence: judgment, rationale: test}
          x: {factor: f, over: d, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: test}
        states:
          on: {factor: f, over: d, update: "event(h)"}
          one: {factor: f, update: "prev + x[b]"}
        outputs:
          count: {state: on, agg: end, reduce: sum}
          one_end: {state: one, agg: end}
        risks:
          - {id: many, title: Many, factor: f, output: count, threshold: 1.5}
          - {id: big, title: Big, factor: f, output: one_end, threshold: 5}
        """
    lints = validate(scenario(tmp_path, body)).lints
    unused = sorted(x.problem.message.split("'")[1] for x in lints if "is not used" in x.problem.message)
    assert unused == ["x[a]", "x[c]"]  # x[b] is read by name; each h[e] by its own element of on


def test_a_cycle_between_elements_is_still_a_cycle(tmp_path):
    text = problems_of(tmp_path, """\
        dimensions:
          d: [a, b]
        states:
          x: {factor: f, over: d, update: "x[b] + 1", update_for: {b: "x[a] + 1"}}
        """)
    assert "states.x.update: cycle among states" in text and "x[a] -> x[b] -> x[a]" in text


# ---- the report: by-when chart -------------------------------------------------------------------


def test_cumulative_incidence_by_hand():
    from riskmodel.render.bywhen import cumulative_incidence

    ci = cumulative_incidence(np.array([0, 2, 2, np.inf, 1, np.inf, 3, 0]), 4)
    assert list(ci.p) == [2 / 8, 3 / 8, 5 / 8, 6 / 8] and ci.never == 2 / 8
    assert np.allclose(ci.se, np.sqrt(ci.p * (1 - ci.p) / 8))


def test_report_draws_a_by_when_chart_for_agg_first_with_the_registers_number(tmp_path):
    from pathlib import Path

    path = Path(__file__).parent.parent / "scenarios" / "examples" / "three-provinces.yaml"
    res = riskmodel.run(path, samples=2000)
    folder = tmp_path / "rep"
    from riskmodel.render import render_report

    render_report(res, res.scenario, folder)
    md = (folder / "report.md").read_text()
    assert (folder / "figures" / "bywhen-first_control-north.png").is_file()
    p_north = res.register.set_index("risk").loc["control[north]", "likelihood"]
    # the by-when chart's value at the horizon is the share controlled at the end: the register's likelihood
    from riskmodel.formats import fmt_pct

    assert f"by the horizon {fmt_pct(p_north)}" in md  # rounded as the register writes it
    assert "Armed groups control south by the horizon" in md and "nan" not in md.lower().replace("nan\\_", "")


def test_sensitivity_groups_a_dimensioned_parameters_elements_and_explains_each_element(tmp_path):
    path = scenario(tmp_path, dims_body(["a", "b", "c"]), n=500)
    params, groups = riskmodel.explain(path, output="count", base_samples=256)
    g = groups.set_index("group")
    assert g.loc["h", "by"] == "parameter"
    assert set(str(g.loc["h", "parameters"]).replace(" ", "").split(",")) == {"h[a]", "h[b]", "h[c]"}
    assert {"h[a]", "h[b]", "h[c]"} <= set(params.index if params.index.name else params.iloc[:, 0])


def test_interventions_set_a_whole_dimensioned_parameter_or_one_element(tmp_path):
    res = riskmodel.run(scenario(tmp_path, """\
        dimensions:
          d: [a, b, c]
        parameters:
          k: {factor: f, over: d, dist: constant, value: {a: 1, b: 2, c: 3}, evidence: judgment, rationale: test}
        states:
          x: {factor: f, over: d, update: "k"}
        interventions:
          - {name: all, from: 2024-03, until: 2024-04, set: {k: "k * 10"}}
          - {name: one, from: 2024-06, set: {"k[b]": "k[b] + 100"}}
        """, n=20, T=7))
    assert list(band_mean(res, "x[a]")) == [1, 1, 10, 10, 1, 1, 1]
    assert list(band_mean(res, "x[c]")) == [3, 3, 30, 30, 3, 3, 3]
    assert list(band_mean(res, "x[b]")) == [2, 2, 20, 20, 2, 102, 102]


def test_a_correlation_may_name_one_element(tmp_path):
    res = riskmodel.run(scenario(tmp_path, """\
        dimensions:
          d: [a, b]
        parameters:
          u: {factor: f, over: d, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: test}
          g: {factor: f, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: test}
        correlations:
          - ["u[b]", g, -0.7]
        """, n=8000, sampler="lhs"))
    p = res.parameters.rank()
    assert abs(p["u[b]"].corr(p["g"]) + 0.7) < 0.03  # rank-correlation se about 0.006
    assert abs(p["u[a]"].corr(p["g"])) < 0.05  # independent: se 1/sqrt(n) = 0.011
