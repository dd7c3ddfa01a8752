"""Engine throughput changes keep every number: hoisted update parts, fast normal draws, block moments."""

from __future__ import annotations


import numpy as np
import pytest

import riskmodel
from riskmodel import expressions as _expr
from riskmodel.compile import _hoist_updates, compile_scenario
from riskmodel.simulate import BLOCK_SIZE, _block_moments, _Draws, _SplitGenerator, simulate

HEADER = """\
schema: riskmodel/1
name: t
title: T
origin: 2024-01
horizon_months: 12
samples: {n}
seed: 3
sampler: mc
factors: {{f: {{title: F}}}}
"""

BODY = """\
parameters:
  a: {factor: f, dist: uniform, low: 1, high: 3, evidence: judgment, rationale: test}
  b: {factor: f, dist: normal, mu: 2, sigma: 0.5, evidence: judgment, rationale: test}
  k: {factor: f, dist: uniform, low: 0.01, high: 0.1, evidence: judgment, rationale: test}
  hoisted0: {factor: f, dist: uniform, low: 0, high: 1, evidence: judgment, rationale: a name the engine might pick}
  d: {factor: f, evidence: derived, formula: "a * 2 + b"}
states:
  x: {factor: f, update: "poisson(a * abs(b) * exp(-k * t))", nonnegative: true}
  y: {factor: f, update: "prev + normal(d / 10 + hoisted0, sqrt(a))"}
  z: {factor: f, update: "prev * (1 - k) + x * max(b, 0) / (1 + a)"}
  w: {factor: f, update: "max(prev, bernoulli(clip(k * hoisted0 + 0.001 * x, 0, 1)))"}
interventions:
  - name: calm
    from: 2024-06
    until: 2024-09
    set: {a: "a / 2", k: "0.5"}
outputs:
  x_total: {state: x, agg: sum}
  y_end: {state: y, agg: end}
  z_max: {state: z, agg: max}
  w_end: {state: w, agg: end}
"""


@pytest.fixture
def path(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(HEADER.format(n=2 * BLOCK_SIZE + 77) + BODY)
    return p


def test_hoisted_parts_are_the_month_invariant_ones(path):
    sc = riskmodel.validate(path)
    updates = {s.name: _expr.parse_expression(s.update) for s in sc.states}
    taken = {p.name for p in sc.parameters} | {s.name for s in sc.states}
    new, parts = _hoist_updates(updates, frozenset(p.name for p in sc.parameters), taken)
    # a * abs(b) and -k are the same every month; exp(-k * t), x, prev and the draws are not
    assert new["x"].text == "poisson(hoisted1 * exp(hoisted2 * t))"
    assert parts["a * abs(b)"] == "hoisted1" and parts["-k"] == "hoisted2"  # hoisted0 is the user's
    assert "d / 10 + hoisted0" in parts and "sqrt(a)" in parts
    assert new["z"].text.startswith("prev * ") and "x * " in new["z"].text
    assert "k * hoisted0" in parts
    assert not any(_expr.parse_expression(text).uses_t or _expr.parse_expression(text).random_calls for text in parts)


def test_hoisting_changes_no_number(path):
    """Under an intervention that changes hoisted parts mid-run, and under any memory budget."""
    sc = riskmodel.validate(path)
    plain = compile_scenario(sc, hoist=False)
    fast = compile_scenario(sc)
    assert not plain.hoisted and len(fast.hoisted) >= 4
    ref = simulate(plain, memory_bytes=1)
    for budget in (1, 1 << 30):
        got = simulate(fast, memory_bytes=budget)
        assert got.outputs.equals(ref.outputs)
        assert got.parameters.equals(ref.parameters)
    assert list(fast.parameter_names) == list(plain.parameter_names)  # hoisted parts are not parameters


def test_intervention_reaches_hoisted_parts(path):
    """x = poisson(a |b| exp(-k t)); under `calm` (months 5-8) a is halved and k = 0.5: the monthly means
    follow the closed form E[a |b|] E[exp(-k t)] month by month, within 4 standard errors."""
    res = riskmodel.run(path, samples=40_000, judgment_samples=0)
    bands = res.bands[res.bands["state"] == "x"].set_index("t")
    rng = np.random.default_rng(0)
    m = 2_000_000  # expectation over the parameters by a large independent sample
    a, b, k = rng.uniform(1, 3, m), np.abs(rng.normal(2, 0.5, m)), rng.uniform(0.01, 0.1, m)
    for t in range(12):
        calm = 5 <= t <= 8
        lam = (a / 2 if calm else a) * b * np.exp(-(0.5 if calm else k) * t)
        expected = lam.mean()
        se = np.sqrt((lam.var() + lam.mean()) / 40_000)  # Var[x] = Var[lam] + E[lam]
        assert abs(bands.loc[t, "mean"] - expected) < 4 * se, (t, bands.loc[t, "mean"], expected)


@pytest.mark.parametrize("loc, scale", [(0.5, 2.5), ("array", 2.0), ("array", "array"), (-1.0, "array")])
def test_fast_normal_is_numpys_normal_bit_for_bit(loc, scale):
    n = 5000
    other = np.random.default_rng(9)
    loc = other.normal(0, 3, n) if loc == "array" else loc
    scale = other.uniform(0.1, 2, n) if scale == "array" else scale
    fast = _Draws(np.random.default_rng(4)).normal(loc, scale, size=n)
    slow = np.random.default_rng(4).normal(loc, scale, size=n)
    assert np.array_equal(fast, slow)


@pytest.mark.parametrize("loc, scale", [(0.5, 1.0), (0.5, 2.5), ("array", 1.0), ("array", "array"), (-1.0, "array")])
def test_split_draws_written_in_place_are_each_blocks_own(loc, scale):
    """A group's normal and uniform draws, written straight into one array, are each block's
    generator's own numbers (as NumPy's normal(loc, scale) on that block's slice gives them)."""
    sizes = [BLOCK_SIZE, BLOCK_SIZE, 123]
    n = sum(sizes)
    other = np.random.default_rng(9)
    loc = other.normal(0, 3, n) if loc == "array" else loc
    scale = other.uniform(0.1, 2, n) if scale == "array" else scale
    split = _SplitGenerator([_Draws(np.random.default_rng(b)) for b in range(3)], sizes)
    got_normal, got_random = split.normal(loc, scale, size=n), split.random(size=n)
    edges = np.cumsum([0] + sizes)
    for b, (a, e) in enumerate(zip(edges[:-1], edges[1:])):
        gen = np.random.default_rng(b)
        block_loc, block_scale = (x[a:e] if np.ndim(x) else x for x in (loc, scale))
        assert np.array_equal(got_normal[a:e], gen.normal(block_loc, block_scale, size=e - a))
        assert np.array_equal(got_random[a:e], gen.random(e - a))


@pytest.mark.parametrize("sampler", ["mc", "lhs"])
def test_uniform_columns_are_the_designs_columns(sampler):
    from riskmodel.sampling import uniform_column, uniforms

    names, blocks, sizes = ["a", "b", "c"], [4, 5, 6], [BLOCK_SIZE, BLOCK_SIZE, 77]
    design = np.concatenate([uniforms(sampler, names, k, seed=2, block=b) for b, k in zip(blocks, sizes)])
    for j, name in enumerate(names):
        assert np.array_equal(uniform_column(sampler, name, blocks, sizes, seed=2), design[:, j])


def test_in_place_inverse_cdfs_are_the_expressions():
    """Normal, lognormal and the tabulated (Hermite) inverse CDFs computed in place give the numbers
    of the plain expressions, bit for bit."""
    from riskmodel._dist_frozen import Lognormal, Normal, special
    from riskmodel.distributions import distribution

    u = np.random.default_rng(5).random(20_000)
    z = special.ndtri(u)
    assert np.array_equal(Normal(mu=1.5, sigma=0.7).ppf(u), 1.5 + 0.7 * z)
    assert np.array_equal(Lognormal(mu=0.2, sigma=1.3).ppf(u), np.exp(0.2 + 1.3 * z))
    for dist in (distribution("gamma", shape=2, scale=3), distribution("beta", a=2, b=20)):
        table = dist._table
        assert table is not None
        t = (np.random.default_rng(6).random(20_000) - 0.5) * 40
        s = (t - table.t0) * (1.0 / table.h)
        i = np.maximum(np.minimum(s.astype(np.intp), table.n - 2), 0)
        w = s - i
        plain = table.c0[i] + w * (table.c1[i] + w * (table.c2[i] + w * table.c3[i]))
        assert np.array_equal(table(t), plain)


def test_block_moments_against_a_direct_computation():
    x = np.random.default_rng(2).normal(5, 2, 3 * BLOCK_SIZE + 10)
    out = np.empty((4, 2))
    _block_moments(x, 3, out)
    for j in range(4):
        seg = x[j * BLOCK_SIZE:(j + 1) * BLOCK_SIZE]
        assert out[j, 0] == pytest.approx(seg.mean(), rel=1e-14)
        assert out[j, 1] == pytest.approx(((seg - seg.mean()) ** 2).sum(), rel=1e-10)


@pytest.mark.parametrize("text, plain", [
    ("clip(a * 2 - 1, 0, 1)", lambda a, b, p: np.minimum(np.maximum(a * 2 - 1, 0), 1)),
    ("clip(a * 2, b, 1.5)", lambda a, b, p: np.minimum(np.maximum(a * 2, b), 1.5)),
    ("clip(a, 0.2, 0.8)", lambda a, b, p: np.minimum(np.maximum(a, 0.2), 0.8)),
    ("max(prev, a * 3)", lambda a, b, p: np.maximum(p, a * 3)),
    ("min(a + 1, b)", lambda a, b, p: np.minimum(a + 1, b)),
    ("max(a, b)", lambda a, b, p: np.maximum(a, b)),
    ("max(0.5, a - b)", lambda a, b, p: np.maximum(0.5, a - b)),
])
def test_clip_max_min_written_into_temporaries_keep_the_numbers(text, plain):
    """clip, and max/min of two, write into an operand that is a temporary: the same numbers as the
    plain functions, and the context's own arrays untouched."""
    from riskmodel.expressions import EvalContext, compile_expression, parse_expression

    rng = np.random.default_rng(8)
    a, b, p = rng.normal(0.5, 1, 1000), rng.normal(0.5, 1, 1000), rng.normal(0.5, 1, 1000)
    a[:3] = [np.nan, -0.0, np.inf]
    copies = [x.copy() for x in (a, b, p)]
    fn = compile_expression(parse_expression(text))
    with np.errstate(all="ignore"):
        got = fn(EvalContext({"a": a, "b": b}, n=1000, prev={"s": p}, self_name="s"))
        want = plain(a, b, p)
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))
    for x, c in zip((a, b, p), copies):
        np.testing.assert_array_equal(x, c)


@pytest.mark.parametrize("text, prev_first", [
    ("max(prev, bernoulli(clip(a * 2 - 0.5, 0, 1)))", True),
    ("max(bernoulli(clip(a * 2 - 0.5, 0, 1)), prev)", False),
    ("bernoulli(clip(a * 2 - 0.5, 0, 1))", None),
    ("bernoulli(clip(a, 0, 1))", None),
    ("event(a * 2 - 0.5)", True),
])
def test_fused_bernoulli_draws_the_numbers_of_its_long_form(text, prev_first):
    """max(prev, bernoulli(clip(h, 0, 1))), bernoulli(clip(h, 0, 1)) and event(h) skip the clip (u < h
    for u in [0, 1)): the same numbers as NumPy's long form from the same stream, with h below 0, above 1,
    at 0 and 1 exactly, and prev holding -0.0."""
    from riskmodel.expressions import EvalContext, compile_expression, parse_expression

    a = np.random.default_rng(3).uniform(-0.5, 1.5, 2000)
    a[:6] = [0.25, 0.75, 0.0, 0.5, -3.0, 9.0]  # h = 0 and h = 1 exactly, h far outside
    p = (np.arange(2000) % 3 == 0).astype(float)
    p[1:3] = -0.0  # path 2 draws 0 (h <= 0): max(-0.0, 0.0) and max(0.0, -0.0) differ in sign
    h = a * 2 - 0.5 if "a * 2" in text else a
    u = np.random.default_rng(11).random(2000)
    draw = (u < np.clip(h, 0.0, 1.0)).astype(float)
    want = draw if prev_first is None else np.maximum(p, draw) if prev_first else np.maximum(draw, p)
    fn = compile_expression(parse_expression(text))
    got = fn(EvalContext({"a": a}, n=2000, prev={"s": p}, self_name="s", rng=np.random.default_rng(11)))
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))
    assert 0 < draw.sum() < 2000 and (h < 0).any() and (h > 1).any()  # both clipped sides are exercised


@pytest.mark.parametrize("text, message", [
    ("max(prev, bernoulli(clip(a, 0, 1)))", "bernoulli(p): p must be between 0 and 1; got nan at path 7"),
    ("event(a)", "event(h): h must be a number (it is clipped to [0, 1]); got nan at path 7"),
])
def test_fused_bernoulli_names_the_first_nan_path(text, message):
    from riskmodel.expressions import EvalContext, NumericalError, compile_expression, parse_expression

    a = np.full(20, 0.5)
    a[[7, 12]] = np.nan
    fn = compile_expression(parse_expression(text))
    with pytest.raises(NumericalError) as exc:
        fn(EvalContext({"a": a}, n=20, prev={"s": np.zeros(20)}, self_name="s", rng=np.random.default_rng(0)))
    assert exc.value.message == message


def test_poisson_rate_named_is_checked_once_and_every_new_array_again():
    """poisson(name) remembers the last array it checked (a parameter, a month-invariant part): the same
    array is not checked twice, and any other array, a bad one included, is checked as before."""
    from riskmodel.expressions import EvalContext, NumericalError, compile_expression, parse_expression

    fn = compile_expression(parse_expression("poisson(rate)"))
    good = np.full(50, 2.0)
    ctx = EvalContext({"rate": good}, n=50, rng=np.random.default_rng(1))
    first = fn(ctx)
    good[3] = -1.0  # the engine never writes into a value; this shows the second call trusts the first check
    with pytest.raises(ValueError):  # NumPy's own refusal, not the language's message: the check was skipped
        fn(ctx)
    bad = np.full(50, 2.0)
    bad[7] = -1.0
    with pytest.raises(NumericalError, match="at path 7"):
        fn(EvalContext({"rate": bad}, n=50, rng=np.random.default_rng(1)))
    np.testing.assert_array_equal(first, np.random.default_rng(1).poisson(np.full(50, 2.0)))


@pytest.mark.parametrize("text, counts", [("poisson(a)", True), (" binomial(n, p) ", True), ("(poisson(a))", True),
                                          ("poisson(a) - 1", False), ("max(0, poisson(a))", False),
                                          ("prev + poisson(a)", False), ("normal(0, 1)", False)])
def test_count_draws_are_known_nonnegative(text, counts):
    """A nonnegative state whose update is a whole count draw skips the monthly check (it cannot fail)."""
    from riskmodel.compile import _is_count_draw

    assert _is_count_draw(text) is counts


def test_binomial_probability_named_is_checked_once_and_every_new_array_again():
    from riskmodel.expressions import EvalContext, NumericalError, compile_expression, parse_expression

    fn = compile_expression(parse_expression("binomial(k, share)"))
    k, share = np.full(40, 10.0), np.full(40, 0.3)
    got = fn(EvalContext({"k": k, "share": share}, n=40, rng=np.random.default_rng(2)))
    np.testing.assert_array_equal(got, np.random.default_rng(2).binomial(np.full(40, 10), share))
    bad = share.copy()
    bad[5] = 1.5
    with pytest.raises(NumericalError, match="p must be between 0 and 1; got 1.5 at path 5"):
        fn(EvalContext({"k": k, "share": bad}, n=40, rng=np.random.default_rng(2)))


def test_heap_kept_stops_the_months_arrays_faulting_back_in():
    """Inside heap_kept (glibc), memory freed at the heap's top is reused, not returned and faulted in
    again: a month-like pattern (two 6 MB arrays made and freed, 20 times) takes a small fraction of the
    page faults it takes outside. In a fresh interpreter: a run earlier in this process has set glibc's
    thresholds already."""
    import subprocess
    import sys

    from riskmodel.workers import _glibc

    if _glibc() is None:
        pytest.skip("mallopt is glibc's")
    code = """
import resource, numpy as np
from riskmodel.workers import heap_kept
def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        a = np.ones(750_000); b = np.ones(750_000); del a, b
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
outside = faults()
with heap_kept():
    faults()  # the first cycle grows the heap once
    inside = faults()
print(outside, inside)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    outside, inside = map(int, out.split())
    assert outside > 10_000 and inside < outside / 4, (outside, inside)


@pytest.mark.parametrize("before", [True, False])
def test_a_run_makes_its_arrays_without_huge_page_advice_and_restores_it(path, before):
    """NumPy's advice to back large arrays by huge pages is off while the paths are simulated (read
    from inside the run, by its progress callback) and back to what it was afterwards, after a run
    that ends in an error too."""
    from numpy._core import multiarray

    switch = multiarray._set_madvise_hugepage
    seen = []

    def progress(done, total):
        seen.append(switch(False))  # returns the setting it replaces: the run's own
        switch(seen[-1])

    model = compile_scenario(riskmodel.validate(path))
    original = switch(before)
    try:
        simulate(model, samples=3 * BLOCK_SIZE, progress=progress)
        assert seen and not any(seen), seen
        assert switch(before) is before  # restored after the run
        broken = path.with_name("broken.yaml")
        broken.write_text(path.read_text().replace('"prev * (1 - k) + x * max(b, 0) / (1 + a)"', '"log(k - 1)"'))
        with pytest.raises(riskmodel.ScenarioError, match="numerical trouble"):
            simulate(compile_scenario(riskmodel.validate(broken)), samples=BLOCK_SIZE)
        assert switch(before) is before  # and after one that raised
    finally:
        switch(original)
