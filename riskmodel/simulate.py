"""Stage 4, simulate: blocks of paths, month by month.

Paths are grouped in stream blocks of :data:`BLOCK_SIZE`. Block ``b`` takes
its random numbers from streams seeded by ``(seed, b)`` and keyed by the
parameter's or state's name (:func:`riskmodel.sampling.stream`), so a number
depends only on (scenario, seed, samples): never on how many blocks are
processed at once (the memory budget), nor where. Several blocks are
processed at once as the budget allows; a state's random draws are split
back into its blocks' own streams (:class:`_SplitGenerator`).

Per-path outputs and parameter samples are kept whole. Per-month series are
reduced per state to the mean over all paths (exact) and to quantile bands
from the first :data:`BAND_PATHS` paths (a bounded subset; for the p-quantile
the rank error is ``sqrt(p (1 - p) / BAND_PATHS)``, 0.0022 at p = 0.05).
"""

from __future__ import annotations

import time
from typing import Callable, Optional

import numpy as np
import pandas as pd

from . import __version__
from . import expressions as _expr
from . import sampling as _sampling
from .compile import CompiledModel
from .errors import Problem, ScenarioError
from .results import Results

__all__ = ["simulate", "BLOCK_SIZE", "BAND_PATHS", "QUANTILES", "DEFAULT_MEMORY_BYTES"]

BLOCK_SIZE = 4096  # paths per stream block: a constant of the engine (changing it changes every number)
BAND_PATHS = 10_000  # paths kept whole per month for the quantile bands
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
DEFAULT_MEMORY_BYTES = 1 << 30
MAX_GROUP_BLOCKS = 8  # beyond this, larger groups only cost cache


class _SplitGenerator:
    """Draws for a group of blocks, each block from its own generator.

    Offers the subset of :class:`numpy.random.Generator` the expression
    language uses; arguments that are arrays of shape (n,) are split at the
    block boundaries, scalars are passed through.
    """

    __slots__ = ("gens", "bounds")

    def __init__(self, gens: list, sizes: list):
        self.gens = gens
        edges = np.concatenate([[0], np.cumsum(sizes)])
        self.bounds = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]

    def _draw(self, method: str, args: tuple, size) -> np.ndarray:
        parts = []
        for gen, (a, b) in zip(self.gens, self.bounds):
            sliced = tuple(x[a:b] if isinstance(x, np.ndarray) and x.ndim else x for x in args)
            parts.append(getattr(gen, method)(*sliced, size=b - a))
        return np.concatenate(parts)

    def random(self, size=None):
        return self._draw("random", (), size)

    def poisson(self, lam, size=None):
        return self._draw("poisson", (lam,), size)

    def binomial(self, n, p, size=None):
        return self._draw("binomial", (n, p), size)

    def normal(self, loc, scale, size=None):
        return self._draw("normal", (loc, scale), size)

    def lognormal(self, mean, sigma, size=None):
        return self._draw("lognormal", (mean, sigma), size)

    def gamma(self, shape, scale, size=None):
        return self._draw("gamma", (shape, scale), size)

    def beta(self, a, b, size=None):
        return self._draw("beta", (a, b), size)

    def uniform(self, low, high, size=None):
        return self._draw("uniform", (low, high), size)


def _group_blocks(model: CompiledModel, memory_bytes: int) -> int:
    """How many blocks to process at once under the memory budget."""
    p, s, o = len(model.parameter_names), len(model.states), len(model.outputs)
    bytes_per_path = 8 * (3 * p + 6 * s + 4 * o + 32)  # working arrays and temporaries, generously
    fit = int(memory_bytes // 2 // max(1, bytes_per_path * BLOCK_SIZE))
    return max(1, min(MAX_GROUP_BLOCKS, fit))


def _trouble(model: CompiledModel, state, month_index: int, what: str, bad: np.ndarray,
             params: dict, offset: int) -> ScenarioError:
    """Name the month, state, expression and one offending path's parameters."""
    i = int(np.flatnonzero(bad)[0]) if bad.dtype == bool else int(bad)
    month = model.scenario.origin.plus(month_index)
    shown = ", ".join(f"{k}={float(np.asarray(v)[i] if np.ndim(v) else v):.6g}" for k, v in params.items())
    spec = model.scenario.state(state.name)
    return ScenarioError(Problem(
        spec.position, ("states", state.name, "update"),
        f"numerical trouble in month {month} (t={month_index}): {what}; update {state.update_text!r}; "
        f"path {offset + i} had {shown}",
        "check the expression and the parameters' ranges (a rate above 1, a division by zero?)",
    ))


def simulate(
    model: CompiledModel,
    *,
    samples: Optional[int] = None,
    seed: Optional[int] = None,
    sampler: Optional[str] = None,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    progress: Optional[Callable[[int, int], None]] = None,
) -> Results:
    """Simulate every path of a compiled scenario.

    Parameters
    ----------
    model : CompiledModel
        From :func:`riskmodel.compile.compile_scenario`.
    samples, seed, sampler : optional
        Default to the scenario's.
    memory_bytes : int
        Budget for working memory; decides how many blocks run at once. It
        never changes a number.
    progress : callable(done_paths, total_paths), optional
        Called after each group of blocks.

    Returns
    -------
    Results
        With an empty register (see :func:`riskmodel.analyse.risk_register`).

    Raises
    ------
    ScenarioError
        Numerical trouble (NaN, inf, a negative value of a nonnegative state,
        an invalid argument to a random draw), naming the month, state,
        expression and one offending path's parameter values.
    """
    sc = model.scenario
    n_total = int(samples if samples is not None else sc.samples)
    seed = int(seed if seed is not None else sc.seed)
    sampler = sampler or sc.sampler
    if n_total < 1:
        raise ValueError("samples must be at least 1")
    T, S = model.n_months, len(model.states)
    n_blocks = -(-n_total // BLOCK_SIZE)
    group = _group_blocks(model, memory_bytes)
    timings = {"sample_s": 0.0, "step_s": 0.0}
    t_start = time.perf_counter()

    param_names = model.parameter_names
    out_params = np.empty((n_total, len(param_names)))
    out_outputs = np.empty((n_total, len(model.outputs)))
    sums = np.zeros((S, T))
    k_band = min(BAND_PATHS, n_total)
    band_series = np.empty((S, T, k_band))
    state_names = [s.name for s in model.states]
    state_pos = {n: i for i, n in enumerate(state_names)}

    for g0 in range(0, n_blocks, group):
        blocks = list(range(g0, min(n_blocks, g0 + group)))
        sizes = [min(BLOCK_SIZE, n_total - b * BLOCK_SIZE) for b in blocks]
        offset, n = blocks[0] * BLOCK_SIZE, sum(sizes)
        edges = np.cumsum([0] + sizes)
        block_slices = list(zip(edges[:-1], edges[1:]))

        # ---- parameters: uniforms per block, correlation, inverse CDFs, derived
        t0 = time.perf_counter()
        if model.sampled:
            us = []
            for b, size in zip(blocks, sizes):
                u = _sampling.uniforms(sampler, model.sampled, size, seed=seed, block=b)
                if model.correlation is not None:
                    u = _sampling.impose_rank_correlation(
                        u, model.correlation, _sampling.stream(seed, b, "correlation", "iman-conover"))
                us.append(u)
            u = np.concatenate(us) if len(us) > 1 else us[0]
        params: dict = {}
        for j, (name, dist) in enumerate(zip(model.sampled, model.distributions)):
            params[name] = np.ascontiguousarray(dist.ppf(u[:, j]), dtype=np.float64)
        ctx = _expr.EvalContext(params, n=n)
        for name, fn in model.derived:
            params[name] = fn(ctx)
        for j, name in enumerate(param_names):
            out_params[offset:offset + n, j] = params[name]
        timings["sample_s"] += time.perf_counter() - t0

        # ---- month by month
        t0 = time.perf_counter()
        envs: dict = {}

        def env_for(t: int) -> dict:
            active = tuple(i for i, iv in enumerate(model.interventions) if iv.first <= t <= iv.last)
            if active not in envs:
                env = dict(params)
                if active:
                    c = _expr.EvalContext(env, n=n)
                    for i in active:
                        for key, fn in model.interventions[i].sets:
                            env[key] = fn(c)
                    set_keys = {k for i in active for k, _ in model.interventions[i].sets}
                    for name, fn in model.derived:
                        if name not in set_keys:
                            env[name] = fn(c)
                envs[active] = env
            return envs[active]

        rngs = {}
        for s in model.states:
            if s.random:
                gens = [_sampling.stream(seed, b, "state", s.name) for b in blocks]
                rngs[s.name] = gens[0] if len(gens) == 1 else _SplitGenerator(gens, sizes)
        init_ctx = _expr.EvalContext(params, n=n)
        prev = {s.name: np.broadcast_to(s.init(init_ctx), (n,)).astype(np.float64) for s in model.states}
        acc = []
        for o in model.outputs:
            if o.state_index is None:
                acc.append(None)
            elif o.agg == "max":
                acc.append(np.full(n, -np.inf))
            elif o.agg == "min":
                acc.append(np.full(n, np.inf))
            else:
                acc.append(np.zeros(n))
        ctx = _expr.EvalContext(n=n)
        band_rows = max(0, min(n, k_band - offset))
        for t in range(T):
            values = dict(env_for(t))
            ctx.values, ctx.prev, ctx.t = values, prev, t
            current = {}
            for si, s in enumerate(model.states):
                ctx.self_name, ctx.rng = s.name, rngs.get(s.name)
                try:
                    x = s.update(ctx)
                except _expr.NumericalError as exc:
                    raise _trouble(model, s, t, exc.message, np.asarray(exc.path_index), params, offset) from None
                x = np.broadcast_to(x, (n,)) if np.ndim(x) == 0 else x
                finite = np.isfinite(x)
                if not finite.all():
                    kind = "NaN" if np.isnan(x).any() else "an infinite value"
                    raise _trouble(model, s, t, f"{kind} in state '{s.name}'", ~finite, params, offset)
                if s.nonnegative and (x < 0).any():
                    bad = x < 0
                    raise _trouble(model, s, t, f"negative value {x[bad][0]:.6g} in nonnegative state '{s.name}'",
                                   bad, params, offset)
                values[s.name] = x
                current[s.name] = x
                for a, b in block_slices:  # per block, in block order: identical under any grouping
                    sums[state_pos[s.name], t] += x[a:b].sum()
                if band_rows:
                    band_series[state_pos[s.name], t, offset:offset + band_rows] = x[:band_rows]
            for o, a in zip(model.outputs, acc):
                if a is None or not (o.first <= t <= o.last):
                    continue
                x = current[state_names[o.state_index]]
                if o.agg in ("sum", "mean"):
                    a += x
                elif o.agg == "max":
                    np.maximum(a, x, out=a)
                elif o.agg == "min":
                    np.minimum(a, x, out=a)
                elif o.agg == "end" and t == o.last:
                    a[:] = x
            prev = current

        out_values = dict(params)
        for j, (o, a) in enumerate(zip(model.outputs, acc)):
            if a is not None:
                v = a / (o.last - o.first + 1) if o.agg == "mean" else a
            else:
                v = np.broadcast_to(o.expr(_expr.EvalContext(out_values, n=n)), (n,))
            out_values[o.name] = v
            out_outputs[offset:offset + n, j] = v
        timings["step_s"] += time.perf_counter() - t0
        if progress is not None:
            progress(offset + n, n_total)

    months = [str(m) for m in sc.months]
    qs = np.quantile(band_series, QUANTILES, axis=2) if k_band else np.full((len(QUANTILES), S, T), np.nan)
    rows = []
    for si, name in enumerate(state_names):
        for t in range(T):
            rows.append((name, months[t], t, sums[si, t] / n_total, *qs[:, si, t]))
    bands = pd.DataFrame(rows, columns=["state", "month", "t", "mean", "q05", "q25", "q50", "q75", "q95"])

    meta = {
        "riskmodel_version": __version__,
        "scenario": sc.name,
        "title": sc.title,
        "scenario_path": sc.path,
        "scenario_files": list(sc.files),
        "scenario_sha256": sc.sha256,
        "seed": seed,
        "samples": n_total,
        "sampler": sampler,
        "origin": str(sc.origin),
        "horizon_months": T,
        "block_size": BLOCK_SIZE,
        "blocks": n_blocks,
        "blocks_at_once": group,
        "memory_budget_bytes": int(memory_bytes),
        "band_method": f"quantiles from the first {k_band} paths (bounded subset); means from all {n_total} paths",
        "band_rank_error_p05": float(np.sqrt(0.05 * 0.95 / k_band)) if k_band else None,
        "timings": {**{k: round(v, 4) for k, v in timings.items()},
                    "total_s": round(time.perf_counter() - t_start, 4)},
        "document": sc.document,
    }
    outputs = pd.DataFrame(out_outputs, columns=[o.name for o in model.outputs])
    return Results(
        outputs=outputs[[o.name for o in sc.outputs]],  # file order
        parameters=pd.DataFrame(out_params, columns=list(param_names)),
        bands=bands,
        register=pd.DataFrame(),
        meta=meta,
        scenario=sc,
    )
