"""The engine against closed forms; reproducibility; numerical trouble named."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

import riskmodel
from riskmodel.errors import ScenarioError
from riskmodel.simulate import BLOCK_SIZE

HEADER = """\
schema: riskmodel/1
name: t
title: T
origin: 2024-01
horizon_months: {T}
samples: {n}
seed: 11
sampler: {sampler}
factors: {{f: {{title: F}}}}
"""


def scenario(tmp_path, body: str, *, T: int = 12, n: int = 20_000, sampler: str = "mc", name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(HEADER.format(T=T, n=n, sampler=sampler) + textwrap.dedent(body))
    return path


def test_poisson_sum_has_mean_and_variance_lambda_T(tmp_path):
    path = scenario(tmp_path, """\
        parameters:
          lam: {factor: f, dist: constant, value: 3, evidence: judgment, rationale: test}
        states:
          x: {factor: f, update: "poisson(lam)"}
        outputs:
          total: {state: x, agg: sum}
        """)
    res = riskmodel.run(path)
    y = res.outputs["total"].to_numpy()
    n, lam_t = len(y), 3 * 12
    # mean: se = sqrt(lam_t / n) = 0.042; variance: se = sqrt((lam_t + 2 lam_t^2) / n) = 0.36; 4 se each
    assert abs(y.mean() - lam_t) < 4 * np.sqrt(lam_t / n)
    assert abs(y.var(ddof=1) - lam_t) < 4 * np.sqrt((lam_t + 2 * lam_t**2) / n)


def test_linear_recurrence_matches_geometric_closed_form(tmp_path):
    path = scenario(tmp_path, """\
        parameters:
          a: {factor: f, dist: uniform, low: 10, high: 20, evidence: judgment, rationale: test}
          r: {factor: f, dist: uniform, low: 0.05, high: 0.3, evidence: judgment, rationale: test}
          x0: {factor: f, dist: uniform, low: 0, high: 500, evidence: judgment, rationale: test}
        states:
          x: {factor: f, init: x0, update: "prev + a - r * prev"}
        outputs:
          x_end: {state: x, agg: end}
          x_mean: {state: x, agg: mean}
        """, n=3000)
    res = riskmodel.run(path)
    a, r, x0 = (res.parameters[k].to_numpy() for k in ("a", "r", "x0"))
    # x_t = a/r + (x0 - a/r) (1 - r)^(t + 1), t = 0 .. T-1 (the origin month already steps once)
    t = np.arange(12)[:, None]
    series = a / r + (x0 - a / r) * (1 - r) ** (t + 1)
    np.testing.assert_allclose(res.outputs["x_end"], series[-1], rtol=1e-12)
    np.testing.assert_allclose(res.outputs["x_mean"], series.mean(axis=0), rtol=1e-12)


def test_binomial_thinning_keeps_its_expectation(tmp_path):
    path = scenario(tmp_path, """\
        parameters:
          pop: {factor: f, dist: constant, value: 1000, evidence: judgment, rationale: test}
          p: {factor: f, dist: constant, value: 0.3, evidence: judgment, rationale: test}
        states:
          kept: {factor: f, update: "binomial(pop, p)"}
        outputs:
          kept_end: {state: kept, agg: end}
        """)
    y = riskmodel.run(path).outputs["kept_end"].to_numpy()
    # mean N p = 300, variance N p (1 - p) = 210: se of the mean sqrt(210 / n) = 0.10
    assert abs(y.mean() - 300) < 4 * np.sqrt(210 / len(y))


def test_intervention_changes_exactly_its_window(tmp_path):
    path = scenario(tmp_path, """\
        parameters:
          lam: {factor: f, dist: uniform, low: 1, high: 2, evidence: judgment, rationale: test}
          twice: {factor: f, evidence: derived, formula: "2 * lam"}
        states:
          x: {factor: f, update: "lam"}
          y: {factor: f, update: "twice"}
        interventions:
          - {name: cut, from: 2024-04, until: 2024-06, set: {lam: "lam * 10"}}
        outputs:
          x_sum: {state: x, agg: sum}
        """, n=500)
    res = riskmodel.run(path)
    lam = res.parameters["lam"].to_numpy()
    bands = res.bands
    x_mean = bands[bands.state == "x"].sort_values("t")["mean"].to_numpy()
    factor = np.where((np.arange(12) >= 3) & (np.arange(12) <= 5), 10.0, 1.0)
    np.testing.assert_allclose(x_mean, lam.mean() * factor, rtol=1e-12)
    # derived parameters follow the intervention
    y_mean = bands[bands.state == "y"].sort_values("t")["mean"].to_numpy()
    np.testing.assert_allclose(y_mean, 2 * lam.mean() * factor, rtol=1e-12)
    np.testing.assert_allclose(res.outputs["x_sum"], lam * factor.sum(), rtol=1e-12)
    assert res.parameters["twice"].to_numpy() == pytest.approx(2 * lam)  # the recorded parameter is the base value


def test_output_windows_and_aggregates(tmp_path):
    path = scenario(tmp_path, """\
        states:
          x: {factor: f, update: "t + 1"}
        outputs:
          s: {state: x, agg: sum, from: 2024-03, until: 2024-05}
          m: {state: x, agg: mean, from: 2024-03}
          hi: {state: x, agg: max, until: 2024-04}
          lo: {state: x, agg: min}
          e: {state: x, agg: end, until: 2024-02}
          both: {expr: "s + e"}
        """, n=10)
    out = riskmodel.run(path).outputs.iloc[0]
    # x_t = t + 1 for t = 0..11 (2024-01 .. 2024-12)
    assert (out["s"], out["m"], out["hi"], out["lo"], out["e"], out["both"]) == (3 + 4 + 5, np.mean(range(3, 13)), 4, 1, 2, 14)


MIXED = """\
    parameters:
      lam: {factor: f, dist: lognormal, ci90: [2, 8], evidence: judgment, rationale: test}
      p: {factor: f, dist: pert, low: 0.1, mode: 0.2, high: 0.5, evidence: judgment, rationale: test}
    correlations:
      - [lam, p, 0.5]
    states:
      x: {factor: f, update: "poisson(lam)"}
      y: {factor: f, update: "prev + binomial(x, p)"}
    outputs:
      y_end: {state: y, agg: end}
    """


@pytest.mark.parametrize("sampler", ["mc", "lhs", "sobol"])
def test_same_numbers_whatever_the_memory_budget(tmp_path, sampler):
    n = 3 * BLOCK_SIZE + 123  # several blocks and a partial one
    path = scenario(tmp_path, MIXED, n=n, sampler=sampler)
    one_block = riskmodel.run(path, memory_bytes=1)  # one block at a time
    many = riskmodel.run(path, memory_bytes=1 << 30)
    assert one_block.meta["blocks_at_once"] == 1 and many.meta["blocks_at_once"] > 1
    assert one_block.outputs.equals(many.outputs)
    assert one_block.parameters.equals(many.parameters)
    assert one_block.bands.equals(many.bands)


def test_adding_an_unrelated_parameter_leaves_outputs_identical_under_mc(tmp_path):
    base = scenario(tmp_path, MIXED, n=5000, sampler="mc", name="a.yaml")
    more = scenario(tmp_path, MIXED.replace("    correlations:", "      other: {factor: f, dist: uniform, low: 0, high: 1,"
                                            " evidence: judgment, rationale: test}\n    correlations:"),
                    n=5000, sampler="mc", name="b.yaml")
    a, b = riskmodel.run(base), riskmodel.run(more)
    assert "other" in b.parameters and "other" not in a.parameters
    assert a.outputs.equals(b.outputs)
    assert a.parameters[["lam", "p"]].equals(b.parameters[["lam", "p"]])


def test_seed_changes_numbers_and_same_seed_repeats(tmp_path):
    path = scenario(tmp_path, MIXED, n=2000)
    assert riskmodel.run(path).outputs.equals(riskmodel.run(path).outputs)
    assert not riskmodel.run(path, seed=12).outputs.equals(riskmodel.run(path).outputs)


@pytest.mark.parametrize("body, month, what", [
    ("x: {factor: f, update: \"log(prev - 1)\"}", "2024-01", "NaN in state 'x'"),
    ("x: {factor: f, update: \"1 / (t - 2)\"}", "2024-03", "an infinite value in state 'x'"),
    ("x: {factor: f, init: \"2\", nonnegative: true, update: \"prev - 1\"}", "2024-03",
     "negative value -1 in nonnegative state 'x'"),
    ("x: {factor: f, update: \"poisson(4 - t)\"}", "2024-06", "poisson(lam): lam must be finite, >= 0"),
])
def test_numerical_trouble_is_named(tmp_path, body, month, what):
    path = scenario(tmp_path, f"""\
        parameters:
          k: {{factor: f, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: test}}
        states:
          {body}
        """, n=100)
    with pytest.raises(ScenarioError) as err:
        riskmodel.run(path)
    (problem,) = err.value.problems
    assert problem.key_path == ("states", "x", "update")
    assert problem.position.line == 13  # 9 header lines, parameters, k, states, then x
    assert f"month {month}" in problem.message and what in problem.message
    assert "k=" in problem.message  # one offending path's parameter values


def test_results_round_trip_through_a_run_folder(tmp_path):
    path = scenario(tmp_path, MIXED, n=1000)
    res = riskmodel.run(path)
    folder = tmp_path / "run"
    folder.mkdir()
    res.save(folder)
    back = riskmodel.Results.load(folder)
    assert back.outputs.equals(res.outputs) and back.parameters.equals(res.parameters)
    assert back.meta["scenario_sha256"] == res.meta["scenario_sha256"] and back.meta["samples"] == 1000
    np.testing.assert_allclose(back.bands[["mean", "q05", "q95"]], res.bands[["mean", "q05", "q95"]])


# ---- where blocks run, and precision control ----------------------------------------------------------------

def test_workers_give_identical_numbers(tmp_path):
    path = scenario(tmp_path, MIXED, n=4 * BLOCK_SIZE + 17, sampler="lhs")
    one = riskmodel.run(path, memory_bytes=1)
    two = riskmodel.run(path, memory_bytes=1, workers=2)
    assert two.meta["workers"] == 2
    assert one.outputs.equals(two.outputs) and one.parameters.equals(two.parameters) and one.bands.equals(two.bands)


def test_a_large_run_left_to_choose_uses_every_core_and_gives_the_same_numbers(tmp_path, monkeypatch):
    import os
    import sys

    sim = sys.modules["riskmodel.simulate"]
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.delenv("RISKMODEL_BACKGROUND", raising=False)
    assert sim.auto_workers(sim.AUTO_PARALLEL_PATHS - 1) == 1 and sim.auto_workers(sim.AUTO_PARALLEL_PATHS) == 2
    monkeypatch.setattr(sim, "AUTO_PARALLEL_PATHS", 2 * BLOCK_SIZE)  # a small run stands in for a large one
    path = scenario(tmp_path, MIXED, n=4 * BLOCK_SIZE + 17)
    auto = riskmodel.run(path, memory_bytes=1)
    one = riskmodel.run(path, memory_bytes=1, workers=1)
    assert auto.meta["workers"] == 2 and one.meta["workers"] == 1
    assert auto.outputs.equals(one.outputs) and auto.parameters.equals(one.parameters) and auto.bands.equals(one.bands)
    assert riskmodel.run(path, samples=2 * BLOCK_SIZE - 1, memory_bytes=1).meta["workers"] == 1
    monkeypatch.setenv("RISKMODEL_BACKGROUND", "0")  # no forked processes at all: this one runs every block
    assert sim.auto_workers(10**7) == 1 and riskmodel.run(path, memory_bytes=1).meta["workers"] == 1


def test_block_completion_order_does_not_matter(tmp_path, monkeypatch):
    import sys

    sim = sys.modules["riskmodel.simulate"]  # the module (riskmodel.simulate is also the function)

    path = scenario(tmp_path, MIXED, n=5 * BLOCK_SIZE + 3)
    reference = riskmodel.run(path, memory_bytes=1)
    original = sim._run_tasks

    def shuffled(*args, **kwargs):
        done = list(original(*args, **kwargs))
        np.random.default_rng(5).shuffle(done)  # finish in a scrambled order
        yield from done

    monkeypatch.setattr(sim, "_run_tasks", shuffled)
    scrambled = riskmodel.run(path, memory_bytes=1)
    assert scrambled.outputs.equals(reference.outputs) and scrambled.bands.equals(reference.bands)


def test_worker_error_is_the_users_error(tmp_path):
    path = scenario(tmp_path, """\
        parameters:
          k: {factor: f, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: test}
        states:
          x: {factor: f, update: "poisson(4 - t)"}
        """, n=3 * BLOCK_SIZE)
    with pytest.raises(ScenarioError) as err:
        riskmodel.run(path, memory_bytes=1, workers=2)
    (problem,) = err.value.problems
    assert problem.key_path == ("states", "x", "update") and "month 2024-06" in problem.message


def test_until_se_stops_below_target_and_equals_a_fixed_run(tmp_path):
    path = scenario(tmp_path, MIXED.rstrip(" ") + """\
    risks:
      - {id: r, title: R, factor: f, output: y_end, threshold: 8}
    """, n=BLOCK_SIZE)
    adaptive = riskmodel.run(path, until_se=0.004, max_samples=40 * BLOCK_SIZE)
    n = adaptive.meta["samples"]
    assert n % BLOCK_SIZE == 0 and n > BLOCK_SIZE
    assert adaptive.register["se"].max() < 0.004
    assert "below 0.004" in adaptive.meta["stopped"]
    fixed = riskmodel.run(path, samples=n)
    assert fixed.outputs.equals(adaptive.outputs) and fixed.bands.equals(adaptive.bands)


def test_until_se_respects_the_cap(tmp_path):
    path = scenario(tmp_path, MIXED.rstrip(" ") + """\
    risks:
      - {id: r, title: R, factor: f, output: y_end, threshold: 8}
    """, n=BLOCK_SIZE)
    capped = riskmodel.run(path, until_se=1e-5, max_samples=2 * BLOCK_SIZE)
    assert capped.meta["samples"] == 2 * BLOCK_SIZE and "--max-samples" in capped.meta["stopped"]


def test_until_se_default_cap_is_ten_times_the_paths_asked_for(tmp_path):
    # 5,000 paths asked for: the cap is 50,000 in whole blocks (13 x 4,096 = 53,248), not 10 x the
    # 8,192 paths of the first round's whole blocks (81,920)
    path = scenario(tmp_path, MIXED.rstrip(" ") + """\
    risks:
      - {id: r, title: R, factor: f, output: y_end, threshold: 8}
    """, n=5000)
    capped = riskmodel.run(path, until_se=1e-6, judgment_samples=0)
    assert capped.meta["samples"] == 13 * BLOCK_SIZE == 53_248
    assert "the cap of 53,248 paths reached (--max-samples)" in capped.meta["stopped"]


def test_parameter_values_are_used_as_given(tmp_path):
    path = scenario(tmp_path, MIXED, n=10)
    model = riskmodel.compile_scenario(riskmodel.validate(path))
    values = np.array([[3.0, 0.2], [5.0, 0.4], [7.0, 0.3]])
    res = riskmodel.simulate(model, parameter_values=values)
    np.testing.assert_array_equal(res.parameters[["lam", "p"]].to_numpy(), values)
    assert res.n_paths == 3


def test_dask_local_cluster_gives_identical_numbers(tmp_path):
    distributed = pytest.importorskip("distributed")
    path = scenario(tmp_path, MIXED, n=4 * BLOCK_SIZE + 17, sampler="lhs")
    local = riskmodel.run(path, memory_bytes=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            on_cluster = riskmodel.run(path, memory_bytes=1, scheduler=client)
            by_address = riskmodel.run(path, memory_bytes=1, scheduler=cluster.scheduler_address)
    assert on_cluster.meta["workers"] == "dask"
    for res in (on_cluster, by_address):
        assert res.outputs.equals(local.outputs) and res.parameters.equals(local.parameters)
        assert res.bands.equals(local.bands)


def test_bands_mean_and_sd_match_numpy_over_all_paths(tmp_path):
    path = scenario(tmp_path, """\
        parameters:
          lam: {factor: f, dist: uniform, low: 1e5, high: 2e5, evidence: judgment, rationale: test}
        states:
          x: {factor: f, update: "lam + t"}
        """, n=3 * BLOCK_SIZE + 11, T=3)
    res = riskmodel.run(path, memory_bytes=1)
    lam = res.parameters["lam"].to_numpy()
    for t in range(3):  # x_t = lam + t on every path: mean and sd in closed form from the drawn values
        row = res.bands[(res.bands.state == "x") & (res.bands.t == t)].iloc[0]
        assert row["mean"] == pytest.approx((lam + t).mean(), rel=1e-12)
        assert row["sd"] == pytest.approx(lam.std(ddof=1), rel=1e-9)
        assert row["se_mean"] == pytest.approx(lam.std(ddof=1) / np.sqrt(len(lam)), rel=1e-9)


@pytest.mark.parametrize("k", [1, 2, 3, 19, 20, 21, 99, 1000, 9999, 10_000])
def test_band_quantiles_are_numpys_inverted_cdf(k):
    # the sort-based bands against np.quantile itself (the second implementation), on continuous values,
    # ties (counts) and 0/1 states, at path counts where n*q lands on, just under and just over a whole number
    from riskmodel.simulate import QUANTILES, band_quantiles

    rng = np.random.default_rng(k)
    for x in (rng.normal(size=(3, 4, k)), rng.poisson(2.0, size=(3, 4, k)).astype(float),
              (rng.random((3, 4, k)) < 0.1).astype(float)):
        expected = np.quantile(x, QUANTILES, axis=2, method="inverted_cdf")
        assert np.array_equal(band_quantiles(x), expected)
        assert np.array_equal(band_quantiles(x.copy(), in_place=True), expected)
    x = rng.normal(size=(2, 2, k))
    x[0, 1, 0] = np.nan  # NaN: np.quantile's answer (NaN for that state and month), not a sorted NaN's place
    assert np.array_equal(band_quantiles(x), np.quantile(x, QUANTILES, axis=2, method="inverted_cdf"),
                          equal_nan=True)


def test_bands_from_a_run_are_the_order_statistics_of_the_first_paths(tmp_path):
    # a run's q05..q95 against np.quantile of the same paths' monthly values, recomputed from the outputs
    path = scenario(tmp_path, """\
        parameters:
          lam: {factor: f, dist: uniform, low: 0, high: 10, evidence: judgment, rationale: test}
        states:
          x: {factor: f, update: "lam * (t + 1)"}
        """, n=777, T=2)
    res = riskmodel.run(path, memory_bytes=1)
    lam = res.parameters["lam"].to_numpy()
    for t in range(2):
        row = res.bands[(res.bands.state == "x") & (res.bands.t == t)].iloc[0]
        expected = np.quantile(lam * (t + 1), [0.05, 0.25, 0.5, 0.75, 0.95], method="inverted_cdf")
        assert np.allclose([row.q05, row.q25, row.q50, row.q75, row.q95], expected, rtol=1e-12)
    # every path's quantiles: the method says so, not "the first 777 paths (bounded subset)"
    assert res.meta["band_method"].startswith("quantiles from all 777 paths;")
    assert "bounded subset" not in res.meta["band_method"]


def test_progress_moves_in_steps_in_one_process_and_changes_no_number(tmp_path):
    """With a progress callback, a one-process run is cut into at least PROGRESS_STEPS groups of blocks, so
    a bar moves during the simulation; the numbers are those of the run without one (5 blocks here)."""
    from riskmodel.compile import compile_scenario
    from riskmodel.simulate import BLOCK_SIZE, PROGRESS_STEPS, simulate
    from riskmodel.validate import validate

    root = Path(__file__).resolve().parents[1]
    model = compile_scenario(validate(root / "scenarios" / "examples" / "minimal.yaml"))
    seen = []
    n = 4 * BLOCK_SIZE + 100
    shown = simulate(model, samples=n, seed=3, workers=1, progress=lambda done, total: seen.append((done, total)))
    plain = simulate(model, samples=n, seed=3, workers=1)
    assert [d for d, _ in seen] == [BLOCK_SIZE, 2 * BLOCK_SIZE, 3 * BLOCK_SIZE, 4 * BLOCK_SIZE, n]
    assert len(seen) >= PROGRESS_STEPS and {t for _, t in seen} == {n}
    np.testing.assert_array_equal(shown.outputs.to_numpy(), plain.outputs.to_numpy())
    assert shown.bands.equals(plain.bands)
