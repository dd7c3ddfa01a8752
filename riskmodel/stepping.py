"""One group of stream blocks, month by month: the engine's inner loop.

:func:`_run_group` is a pure function of its arguments: it draws (or takes)
the parameters of its paths, evaluates the derived parameters, steps every
state month by month with each block's own random streams
(:class:`_SplitGenerator`, :class:`_Draws`), checks the values (NaN, inf, a
negative value of a nonnegative state: :func:`_trouble` names the month,
state, expression and one offending path), reduces each block's monthly
moments (:func:`_block_moments`) and aggregates the outputs. Where and in
which order groups run, and how their results are combined, is
:mod:`riskmodel.simulate`'s.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Optional

import numpy as np

from . import expressions as _expr
from . import sampling as _sampling
from .compile import CompiledModel
from .errors import Problem, ScenarioError

if TYPE_CHECKING:  # a task of simulate's plan
    from .simulate import _Group

BLOCK_SIZE = 4096  # paths per stream block: a constant of the engine (changing it changes every number)


class _SplitGenerator:
    """Draws for a group of blocks, each block from its own generator.

    Offers the subset of :class:`numpy.random.Generator` the expression
    language uses; arguments that are arrays of shape (n,) are split at the
    block boundaries, scalars are passed through.
    """

    __slots__ = ("gens", "raw", "bounds")

    def __init__(self, gens: list, sizes: list):
        self.gens = gens
        self.raw = [g.gen if isinstance(g, _Draws) else g for g in gens]  # for draws written in place (out=)
        edges = np.concatenate([[0], np.cumsum(sizes)])
        self.bounds = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]

    def _draw(self, method: str, args: tuple, size) -> np.ndarray:
        """Each block's draws written into one float64 array (counts converted as they are placed)."""
        out = np.empty(self.bounds[-1][1])
        for gen, (a, b) in zip(self.gens, self.bounds):
            sliced = tuple(x[a:b] if isinstance(x, np.ndarray) and x.ndim else x for x in args)
            out[a:b] = getattr(gen, method)(*sliced, size=b - a)
        return out

    def random(self, size=None):
        out = np.empty(self.bounds[-1][1])
        for gen, (a, b) in zip(self.raw, self.bounds):
            gen.random(out=out[a:b])  # straight into the group's array: no per-block copy
        return out

    def poisson(self, lam, size=None):
        return self._draw("poisson", (lam,), size)

    def binomial(self, n, p, size=None):
        return self._draw("binomial", (n, p), size)

    def normal(self, loc, scale, size=None):
        out = np.empty(self.bounds[-1][1])
        for gen, (a, b) in zip(self.raw, self.bounds):
            gen.standard_normal(out=out[a:b])
        return _scale_shift(out, loc, scale)  # elementwise: the same numbers as block by block

    def lognormal(self, mean, sigma, size=None):
        return self._draw("lognormal", (mean, sigma), size)

    def gamma(self, shape, scale, size=None):
        return self._draw("gamma", (shape, scale), size)

    def beta(self, a, b, size=None):
        return self._draw("beta", (a, b), size)

    def uniform(self, low, high, size=None):
        return self._draw("uniform", (low, high), size)


class _Draws:
    """A block's generator, with the draws of :class:`numpy.random.Generator` done faster where the
    numbers stay the same: ``normal(loc, scale)`` as ``loc + scale * standard_normal()``, which is
    how NumPy computes it, without its per-element broadcasting loop (about 19 against 13 ns a draw
    here). Every other draw is the generator's own.
    """

    __slots__ = ("gen",)

    def __init__(self, gen: np.random.Generator):
        self.gen = gen

    def __getattr__(self, name):
        return getattr(self.gen, name)

    def normal(self, loc, scale, size=None):
        return _scale_shift(self.gen.standard_normal(size), loc, scale)


def _scale_shift(z: np.ndarray, loc, scale) -> np.ndarray:
    """``loc + scale * z`` in place, as NumPy's ``normal`` computes it; a scale of exactly 1 skips its
    pass (``z * 1.0 == z`` for every float)."""
    if not (np.ndim(scale) == 0 and scale == 1.0):
        z *= scale
    z += loc
    return z


class _Series(np.ndarray):
    """A schedule's values by month (not per path): shown by no path's values."""


def _path_values(values: dict, i: int) -> str:
    """``name=value, ...`` of path ``i`` (scalars as they are)."""
    return ", ".join(f"{k}={float(np.asarray(v)[i] if np.ndim(v) else v):.6g}" for k, v in values.items()
                     if not isinstance(v, _Series))


def _trouble(model: CompiledModel, state, month_index: int, what: str, bad: np.ndarray,
             params: dict, offset: int) -> ScenarioError:
    """Name the month, state, expression and one offending path's parameters."""
    i = int(np.flatnonzero(bad)[0]) if bad.dtype == bool else int(bad)
    month = model.scenario.origin.plus(month_index)
    shown = _path_values(params, i)
    spec = model.scenario.state(state.name)
    return ScenarioError(Problem(
        spec.position, ("states", state.name, "update"),
        f"numerical trouble in month {month} (t={month_index}): {what}; update {state.update_text!r}; "
        f"path {offset + i} had {shown}",
        "check the expression and the parameters' ranges (a rate above 1, a division by zero?)",
    ))


def _check_finite(model: CompiledModel, key_path: tuple, where: str, expression: str, values, env: dict,
                  offset: int, month_index: Optional[int] = None) -> None:
    """Raise where NaN or inf first appears outside a state's update (a derived parameter, an
    intervention's value, a state's init, an output's expr): the key, the month when there is one, the
    expression and one offending path's values."""
    finite = np.isfinite(values)
    if finite.all():
        return
    sc = model.scenario
    i = int(np.flatnonzero(~np.broadcast_to(finite, np.shape(values) or (1,)))[0])
    kind = "NaN" if np.isnan(values).any() else "an infinite value"
    when = "" if month_index is None else f" in month {sc.origin.plus(month_index)} (t={month_index})"
    shown = _path_values(env, i)
    section, name = key_path[0], key_path[1]
    item = sc.interventions[name] if section == "interventions" else getattr(sc, section[:-1])(name)
    raise ScenarioError(Problem(
        item.position, key_path,
        f"numerical trouble{when}: {kind} in {where}; {expression}; path {offset + i} had {shown}",
        "check the expression and the parameters' ranges (a log or sqrt of a negative number, a division by zero?)",
    ))


def _run_group(model: CompiledModel, task: _Group, seed: int, sampler: str, band_paths: int,
               parameter_values: Optional[np.ndarray] = None, keep: tuple = (), into: dict | None = None) -> dict:
    """Simulate one group of blocks; a pure function of its arguments.

    Returns a dict with ``params`` (n, P), ``outputs`` (n, O) in compiled order,
    ``block_sums`` (len(blocks), 2, S, T): each block's mean and sum of squared deviations, and ``band`` (S, T, rows) for the paths
    of this group that fall among the first ``band_paths``; with ``keep`` (state names), ``kept``:
    name -> (n, T) per-path series (see :func:`_keep_month`). With ``into`` (in the caller's process),
    the arrays ``params``, ``outputs`` and ``band`` of those shapes to write them into (the run's own
    tables: no copy of the group's), returned as given.
    """
    blocks, sizes, offset, n = task.blocks, list(task.sizes), task.offset, task.n
    T, S = model.n_months, len(model.states)
    t0 = time.perf_counter()

    # ---- parameters: uniforms per block, correlation, inverse CDFs, derived; each written into its column
    # of the group's parameter table as it is made, and read from there (one first touch of that memory,
    # not a second array per parameter copied at the end)
    param_table = into["params"] if into is not None else np.empty((n, len(model.parameter_names)), order="F")
    params: dict = {}

    def placed(name: str, values) -> None:  # columns in model.parameter_names' order: sampled, then derived
        j = len(params)
        param_table[:, j] = values
        params[name] = param_table[:, j]

    if parameter_values is not None:
        for j, name in enumerate(model.sampled):
            placed(name, parameter_values[:, j])
    elif model.sampled and model.correlation is None and sampler in _sampling.COLUMNWISE:
        # each parameter's column straight from its blocks' streams (the numbers of the design below)
        _sampling.check_distinct_streams(model.sampled)
        for name, dist in zip(model.sampled, model.distributions):
            placed(name, dist.ppf(_sampling.uniform_column(sampler, name, blocks, sizes, seed=seed)))
    elif model.sampled:
        us = []
        for b, size in zip(blocks, sizes):
            u = _sampling.uniforms(sampler, model.sampled, size, seed=seed, block=b)
            if model.correlation is not None:
                u = _sampling.impose_rank_correlation(
                    u, model.correlation, _sampling.stream(seed, b, "correlation", "iman-conover"))
            us.append(u)
        # column-major, as uniforms() gives them: each parameter's column contiguous (a strided column
        # made the inverse CDFs 2-3x slower)
        u = np.concatenate([x.T for x in us], axis=1).T if len(us) > 1 else np.asfortranarray(us[0])
        for j, (name, dist) in enumerate(zip(model.sampled, model.distributions)):
            placed(name, dist.ppf(u[:, j]))
        del u, us
    ctx = _expr.EvalContext(params, n=n)
    for name, fn in model.derived:
        placed(name, fn(ctx))
        _check_finite(model, ("parameters", name, "formula"), f"derived parameter '{name}'",
                      f"formula {model.scenario.parameter(name).formula!r}", params[name], params, offset)
    sample_s = time.perf_counter() - t0

    # ---- month by month
    t0 = time.perf_counter()
    envs: dict = {}

    def env_for(t: int) -> dict:
        active = tuple(i for i, iv in enumerate(model.interventions) if iv.first <= t <= iv.last)
        if active not in envs:
            env = dict(params)
            env.update((name, series.view(_Series)) for name, series in model.schedules)
            if active:
                c = _expr.EvalContext(env, n=n)
                for i in active:
                    for (key, fn), (_, text) in zip(model.interventions[i].sets, model.interventions[i].texts):
                        value = fn(c)
                        _check_finite(model, ("interventions", i, "set", key),
                                      f"parameter '{key}' as intervention '{model.interventions[i].name}' sets it",
                                      f"set {text!r}", value, env, offset, t)
                        env[key] = value.view(_Series) if value.shape == (T,) and key in schedule_names else value
                set_keys = {k for i in active for k, _ in model.interventions[i].sets}
                for name, fn in model.derived:
                    if name not in set_keys:
                        env[name] = fn(c)
                        _check_finite(model, ("parameters", name, "formula"), f"derived parameter '{name}' under "
                                      + ", ".join(f"intervention '{model.interventions[i].name}'" for i in active),
                                      f"formula {model.scenario.parameter(name).formula!r}", env[name], env, offset, t)
            envs[active] = _with_hoisted(model, env, n)
        return envs[active]

    schedule_names = {name for name, _ in model.schedules}
    rngs = {}
    for s in model.states:
        if s.random:
            gens = [_Draws(_sampling.stream(seed, b, "state", s.name)) for b in blocks]
            rngs[s.name] = gens[0] if len(gens) == 1 else _SplitGenerator(gens, sizes)
    init_ctx = _expr.EvalContext(params, n=n)
    prev = {s.name: np.broadcast_to(s.init(init_ctx), (n,)).astype(np.float64) for s in model.states}
    for s in model.states:
        _check_finite(model, ("states", s.name, "init"), f"the value of state '{s.name}' before the origin",
                      f"init {model.scenario.state(s.name).init!r}", prev[s.name], params, offset)
    # each state's output accumulates in its own column of the group's output table (no copy at the end)
    outputs = into["outputs"] if into is not None else np.empty((n, len(model.outputs)), order="F")
    acc = []
    for j, o in enumerate(model.outputs):
        if o.state_index is None:
            acc.append(None)
            continue
        acc.append(outputs[:, j])
        acc[-1].fill(-np.inf if o.agg == "max" else np.inf if o.agg in ("min", "first") else 0.0)
    block_sums = np.zeros((len(blocks), 2, S, T))  # per block: mean and sum of squared deviations (M2)
    full_blocks = sum(1 for size in sizes if size == BLOCK_SIZE)
    if any(size != BLOCK_SIZE for size in sizes[:full_blocks]):  # only the run's last block may be partial
        raise ValueError(f"blocks of {sizes} paths: only the last block may be partial")
    band_rows = max(0, min(n, band_paths - offset))
    band = into["band"] if into is not None else np.empty((S, T, band_rows))
    if band.shape != (S, T, band_rows):
        raise ValueError(f"into['band'] has shape {band.shape}, not {(S, T, band_rows)}")
    state_names = [s.name for s in model.states]
    ctx = _expr.EvalContext(n=n)
    kept = {name: np.empty((n, T)) for name in keep}
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
            # per block (identical under any grouping): sum and sum of squares, two fast passes that also
            # reveal NaN and inf (they propagate), so the exact element check runs only on trouble
            with np.errstate(all="ignore"):  # inf - inf on trouble: the check below names it
                _block_moments(x, full_blocks, block_sums[:, :, si, t])
            if not np.isfinite(block_sums[:, :, si, t]).all():
                finite = np.isfinite(x)
                if not finite.all():
                    kind = "NaN" if np.isnan(x).any() else "an infinite value"
                    raise _trouble(model, s, t, f"{kind} in state '{s.name}'", ~finite, params, offset)
                big = int(np.argmax(np.abs(x)))  # finite, but the block's sum or sum of squares is not
                raise _trouble(model, s, t, f"a value of {x[big]:.3g} in state '{s.name}' is too large for its "
                               "mean and standard deviation (their sums pass the largest floating-point number, "
                               "1.8e308); measure the state in a larger unit", np.int64(big), params, offset)
            if s.nonnegative and x.min() < 0:
                bad = x < 0
                raise _trouble(model, s, t, f"negative value {x[bad][0]:.6g} in nonnegative state '{s.name}'",
                               bad, params, offset)
            values[s.name] = x
            current[s.name] = x
            if kept:
                _keep_month(kept, s.name, t, x)
            if band_rows:
                band[si, t] = x[:band_rows]
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
            elif o.agg == "first":
                np.copyto(a, float(t), where=(a == np.inf) & ((x > o.above) if o.above is not None else (x != 0)))
        prev = current

    out_values = dict(params)
    for j, (o, a) in enumerate(zip(model.outputs, acc)):
        if a is not None:  # already in its column
            if o.agg == "mean":
                a /= o.last - o.first + 1
            out_values[o.name] = a
            continue
        if o.reduce is not None:  # over a dimension: of the per-element aggregates computed above
            reducer, keys = o.reduce
            v = reducer([out_values[k] for k in keys], len(keys))
        else:
            v = np.broadcast_to(o.expr(_expr.EvalContext(out_values, n=n)), (n,))
            _check_finite(model, ("outputs", o.name, "expr"), f"output '{o.name}'",
                          f"expr {model.scenario.output(o.name).expr!r}", v, out_values, offset)
        out_values[o.name] = v
        outputs[:, j] = v
    return {"params": param_table, "outputs": outputs, "block_sums": block_sums, "band": band,
            "sample_s": sample_s, "step_s": time.perf_counter() - t0, "kept": kept, "placed": into is not None}


def _keep_month(kept: dict, name: str, t: int, x: np.ndarray) -> None:
    """Store state ``name``'s month-``t`` values in its per-path series, when the caller asked to keep it."""
    series = kept.get(name)
    if series is not None:
        series[:, t] = x


def _with_hoisted(model: CompiledModel, env: dict, n: int) -> dict:
    """``env`` with the month-invariant parts of the updates (:attr:`CompiledModel.hoisted`) evaluated once."""
    if model.hoisted:
        c = _expr.EvalContext(env, n=n)
        for name, fn in model.hoisted:
            env[name] = fn(c)
    return env


def _block_moments(x: np.ndarray, full_blocks: int, out: np.ndarray) -> None:
    """``out[k] = (mean, M2)`` of each block's slice of ``x``: all full blocks in one pass each.

    Every block, full or the run's partial last one, is reduced the same way (a row of a C-contiguous
    2-D view: pairwise sum, and the row's sum of squares by ``einsum``), so a block's figures are the
    same whichever group it ran in.
    """
    edge = full_blocks * BLOCK_SIZE
    parts = [(x[:edge].reshape(full_blocks, BLOCK_SIZE), slice(0, full_blocks))] if full_blocks else []
    if edge < len(x):
        parts.append((x[edge:].reshape(1, len(x) - edge), slice(full_blocks, full_blocks + 1)))
    for rows, where in parts:
        m = rows.shape[1]
        total = rows.sum(axis=1)
        squares = np.einsum("ij,ij->i", rows, rows)
        out[where, 0] = total / m
        out[where, 1] = np.maximum(0.0, squares - total * total / m)


