"""Variance-based sensitivity by design: Sobol indices from a Saltelli design (:func:`explain`).

By design (:func:`explain`): first-order and total-order
Sobol indices from a Saltelli design. A design row is (sampled parameter
values, noise key): matrices ``A`` and ``B`` of parameter values are drawn
from one scrambled Sobol sequence of dimension ``2d`` mapped through each
distribution's inverse CDF; ``A`` is simulated with seed ``sA`` and ``B`` with
seed ``sB``; for each design unit ``u`` (a parameter, or a set of correlated
parameters) ``AB_u`` takes ``u``'s columns from ``B`` and the rest from ``A``
and is simulated with ``sA`` (same row positions, so the same monthly draws
as ``A`` as far as the engine keeps them row by row); the monthly random
draws (the aleatory noise) are a unit of their own, ``AB_noise`` = ``A``'s
parameters simulated with seed ``sB``. A group takes all its units' columns
from ``B`` at once. Estimators, the same as SALib's ``sobol.analyze``
(``first_order`` and ``total_order``) and scipy's ``sobol_indices``:

- first order, Saltelli et al. (2010): ``S1 = mean(f_B (f_AB - f_A)) / V``;
- total order, Jansen (1999): ``ST = mean((f_A - f_AB)²) / (2 V)``;

with ``V`` the variance of ``f_A`` and ``f_B`` together, and 95% percentile
bootstrap intervals over the design's rows. They are written out here (two
lines each) rather than called through SALib: the design is ours (a noise
unit that is a seed rather than a column, correlated sets drawn jointly by
Iman–Conover, the engine's own inverse CDFs), and packing it into SALib's
interleaved sample layout to call those two lines would add a dependency and
hide the design.

Correlated parameters (``correlations:``): variance-based indices lose their
additive meaning when inputs are dependent. Each connected set of correlated
parameters is therefore one design unit (sampled jointly: the rank
correlation is imposed on the uniforms of ``A`` and of ``B`` separately), and
groups that such a set would straddle are merged; the result says so in its
notes.

Monthly draws and the noise unit: the engine draws ``normal``,
``lognormal``, ``uniform`` and ``bernoulli`` from one fixed stream position
per path, so ``AB_u`` sees exactly ``A``'s noise. NumPy's ``poisson``,
``binomial``, ``gamma`` and ``beta`` samplers use a number of stream values
that depends on their arguments, so when a parameter changes a rate, every
later draw of that stream shifts: ``AB_u`` then sees fresh noise, and the
Jansen estimate for ``u`` becomes the total index of ``u`` together with
(part of) the noise, an upper bound that exceeds the true ``ST_u`` by at most
the noise's own ``ST``. First-order indices of parameters are unaffected;
the noise's first-order index is then underestimated. The result's notes say
when this applies.

References
----------
.. [1] A. Saltelli, P. Annoni, I. Azzini, F. Campolongo, M. Ratto and
   S. Tarantola, "Variance based sensitivity analysis of model output. Design
   and estimator for the total sensitivity index", Computer Physics
   Communications 181(2), 259-270, 2010.
.. [2] M. J. W. Jansen, "Analysis of variance designs for model output",
   Computer Physics Communications 117(1-2), 35-43, 1999.
.. [3] E. Plischke, "An effective algorithm for computing global sensitivity
   indices (EASI)", Reliability Engineering & System Safety 95(4), 354-360,
   2010 (given-data first-order indices by sorting and binning).
.. [4] T. Ishigami and T. Homma, "An importance quantification technique in
   uncertainty analysis for computer models", ISUMA '90, 398-403, 1990.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from .model import Scenario
from .sensitivity import (UNALIGNED_DRAWS, NOISE, censored, _sampled_parameters, _components, _correlated_pairs, _resolve_output, _percentile_interval)

__all__ = ["explain", "Explanation", "saltelli_first_order", "jansen_total_order", "INDEX_COLUMNS"]




def saltelli_first_order(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> np.ndarray:
    """First-order indices, Saltelli et al. (2010): ``mean(f_B (f_AB - f_A)) / V``.

    Parameters
    ----------
    f_a, f_b : ndarray (..., N)
        Outputs at ``A`` and ``B``.
    f_ab : ndarray (k, ..., N)
        Outputs at ``AB_u`` for k units (``u``'s columns from ``B``).

    Returns
    -------
    ndarray (k, ...)
        ``V`` is the variance of ``f_A`` and ``f_B`` together.
    """
    var = np.var(np.concatenate([f_a, f_b], axis=-1), axis=-1)
    return np.mean(f_b * (f_ab - f_a), axis=-1) / var


def jansen_total_order(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> np.ndarray:
    """Total-order indices, Jansen (1999): ``mean((f_A - f_AB)²) / (2 V)``; shapes as :func:`saltelli_first_order`."""
    var = np.var(np.concatenate([f_a, f_b], axis=-1), axis=-1)
    return 0.5 * np.mean((f_a - f_ab) ** 2, axis=-1) / var


@dataclass(frozen=True)
class _Unit:
    """A column block of the design: one parameter, a correlated set, or the noise."""

    label: str
    parameters: tuple  # parameter names (empty for the noise)
    columns: tuple  # indices into model.sampled


@dataclass(frozen=True)
class _Group:
    by: str  # factor | evidence | noise
    name: str  # e.g. "security_vacuum", "judgment", "cited+judgment"
    units: tuple  # unit labels
    columns: tuple  # indices into model.sampled (empty for the noise)
    parameters: tuple

    @property
    def label(self) -> str:
        return NOISE if self.by == NOISE else f"{self.by}:{self.name}"


def _unaligned_draws(model) -> list:
    """States whose monthly draws are not kept row by row when parameters change."""
    from . import expressions as _expr

    out = []
    for s in model.states:
        calls = set(_expr.parse_expression(s.update_text).random_calls)
        bad = sorted(calls & set(UNALIGNED_DRAWS))
        if bad:
            out.append((s.name, bad))
    return out


def _plan_design(scenario: Scenario, model, groupings: Sequence[str]) -> tuple:
    """Units, groups and notes of a design: correlated sets as one unit, groups closed under them."""
    params = _sampled_parameters(scenario, model)
    by_name = {p.name: p for p in params}
    index = {name: j for j, name in enumerate(model.sampled)}
    sets = _components([p.name for p in params], _correlated_pairs(scenario))
    units = [_Unit(" + ".join(s), tuple(s), tuple(index[n] for n in s)) for s in sets]
    notes = []
    if any(len(s) > 1 for s in sets):
        joint = "; ".join(u.label for u in units if len(u.parameters) > 1)
        notes.append(f"Correlated parameters ({joint}) are sampled jointly and explained as one unit: with dependent "
                     "inputs variance-based indices of single parameters lose their additive meaning. Groups that a "
                     "correlated set would straddle are merged.")
    groups = []
    for by in groupings:
        keys = [getattr(by_name[n], by) for n in model.sampled if n in by_name]
        key_pairs = [(getattr(by_name[u.parameters[0]], by), getattr(by_name[n], by)) for u in units
                     for n in u.parameters[1:]]
        for comp in _components(list(dict.fromkeys(keys)), key_pairs):
            members = [u for u in units if getattr(by_name[u.parameters[0]], by) in comp]
            groups.append(_Group(by, "+".join(comp), tuple(u.label for u in members),
                                 tuple(sorted(c for u in members for c in u.columns)),
                                 tuple(n for u in members for n in u.parameters)))
    if "factor" in groupings:  # a dimensioned parameter is one group of its elements, each element a unit
        dimensioned = {base for base, _ in getattr(scenario, "dimensioned", ())}
        for base in sorted(dimensioned):
            members = [u for u in units if any(n.split("[")[0] == base for n in u.parameters)]
            if members:
                groups.append(_Group("parameter", base, tuple(u.label for u in members),
                                     tuple(sorted(c for u in members for c in u.columns)),
                                     tuple(n for u in members for n in u.parameters)))
    if any(s.random for s in model.states):
        units.append(_Unit(NOISE, (), ()))
        groups.append(_Group(NOISE, NOISE, (NOISE,), (), ()))
        unaligned = _unaligned_draws(model)
        if unaligned:
            where = "; ".join(f"{s}: {', '.join(c)}" for s, c in unaligned)
            notes.append(
                f"Monthly draws by {', '.join(sorted({c for _, cs in unaligned for c in cs}))} ({where}) use the "
                "random stream at a rate that depends on their arguments, so a changed parameter also changes the "
                "draws of the same rows: the total-order index of a parameter (or group) that feeds them is an "
                "upper bound, above the true one by at most the noise's total-order index; first-order indices of "
                "parameters are unaffected, and the noise's first-order index is underestimated.")
    return units, groups, notes


def _design_seeds(seed: int) -> tuple:
    s = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, 0x5E15])  # "sens"
    qmc_seed, boot_seed, sa, sb = (int(v) for v in s.generate_state(4, dtype=np.uint32))
    return qmc_seed, boot_seed, sa, sb


def _design_matrices(model, base_samples: int, seed: int) -> tuple:
    """Parameter values of A and B (N, len(model.sampled)): scrambled Sobol, correlations, inverse CDFs."""
    from . import sampling as _sampling

    qmc_seed, _, _, _ = _design_seeds(seed)
    d = len(model.sampled)
    if d == 0:
        return np.empty((base_samples, 0)), np.empty((base_samples, 0))
    n = int(base_samples)
    if n & (n - 1) == 0:  # scipy's points through its compiled kernels, without importing scipy.stats
        from ._sobol_points import scrambled_sobol

        u = scrambled_sobol(2 * d, int(math.log2(n)), np.random.default_rng(qmc_seed))
    else:
        from scipy.stats import qmc

        u = qmc.Sobol(d=2 * d, scramble=True, rng=np.random.default_rng(qmc_seed)).random(n)
    u = np.clip(u, 2.0**-53, 1 - 2.0**-53)
    u_a, u_b = u[:, :d], u[:, d:]
    if model.correlation is not None:
        u_a = _sampling.impose_rank_correlation(u_a, model.correlation,
                                                np.random.default_rng([qmc_seed, 1]))
        u_b = _sampling.impose_rank_correlation(u_b, model.correlation,
                                                np.random.default_rng([qmc_seed, 2]))
    a = np.column_stack([dist.ppf(u_a[:, j]) for j, dist in enumerate(model.distributions)])
    b = np.column_stack([dist.ppf(u_b[:, j]) for j, dist in enumerate(model.distributions)])
    return a.astype(float), b.astype(float)


def _evaluate_design(model, units: Sequence[_Unit], groups: Sequence[_Group], base_samples: int, seed: int,
                     outputs: Sequence[str], progress=None) -> dict:
    """Simulate A, B and every AB; return {key: (N, len(outputs)) outputs} with keys "A", "B", column tuples, NOISE."""
    from .simulate import simulate

    _, _, sa, sb = _design_seeds(seed)
    a, b = _design_matrices(model, base_samples, seed)
    column_sets = list(dict.fromkeys([u.columns for u in units if u.label != NOISE]
                                     + [g.columns for g in groups if g.by != NOISE]))
    jobs = [("A", a, sa), ("B", b, sb)]
    for cols in column_sets:
        ab = a.copy()
        ab[:, list(cols)] = b[:, list(cols)]
        jobs.append((cols, ab, sa))
    if any(u.label == NOISE for u in units):
        jobs.append((NOISE, a, sb))
    noisy = any(s.random for s in model.states)
    out = {}
    for k, (key, values, s) in enumerate(jobs):
        if key not in ("A", "B") and not noisy and np.array_equal(values, b):
            out[key] = out["B"]  # every column from B and no monthly draws: that is B
        else:
            res = simulate(model, parameter_values=values, seed=s)
            out[key] = censored(res.outputs[list(outputs)].to_numpy(dtype=float), model.scenario)
        if progress is not None:
            progress(k + 1, len(jobs))
    return out


def _resample_counts(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n) float: how many times each of the ``n`` rows is drawn in each bootstrap replicate.

    The replicates are ``rng.integers(n, size=(n_boot, n))``, the rows drawn with replacement; a
    replicate's mean of any per-row quantity ``g`` is then ``counts @ g / n``, so every output and
    every unit of a design is resampled by one matrix product instead of gathering ``(n_boot, n)``
    copies of each.
    """
    r = rng.integers(n, size=(n_boot, n))
    r += (np.arange(n_boot, dtype=r.dtype) * n)[:, None]
    return np.bincount(r.ravel(), minlength=n_boot * n).reshape(n_boot, n).astype(float)


def _indices(f: dict, keys: Sequence, counts: np.ndarray) -> np.ndarray:
    """(outputs, len(keys), 6): S1, S1_low, S1_high, ST, ST_low, ST_high of each output (f[key]: (N, outputs)).

    Point estimates are :func:`saltelli_first_order` and :func:`jansen_total_order` of each output,
    centred on its mean over A and B (which lowers the first-order estimator's variance). Intervals:
    95% percentile bootstrap over the design's rows, the replicates given by ``counts``
    (:func:`_resample_counts`): each replicate's estimator is the same formula over the resampled rows,
    written with per-row sums (``V = mean(a² + b²) / 2 - (mean(a + b) / 2)²``), all outputs and units
    in one matrix product. It agrees with gathering the resampled rows to rounding (about 1e-13 of
    the index here), the inputs being centred.
    """
    f_a_all, f_b_all = np.asarray(f["A"], dtype=float), np.asarray(f["B"], dtype=float)
    n, m = f_a_all.shape
    k = len(keys)
    out = np.empty((m, k, 6))
    if m == 0:
        return out
    centre = np.array([np.mean(np.concatenate([f_a_all[:, j], f_b_all[:, j]])) for j in range(m)])
    f_a, f_b = f_a_all - centre, f_b_all - centre  # (N, m)
    f_ab = [np.asarray(f[key], dtype=float) - centre for key in keys]
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(m):  # point estimates output by output, as the estimators define them
            ab = np.stack([x[:, j] for x in f_ab]) if k else np.empty((0, n))
            out[j, :, 0] = saltelli_first_order(f_a[:, j], f_b[:, j], ab)
            out[j, :, 3] = jansen_total_order(f_a[:, j], f_b[:, j], ab)
        columns = [f_a + f_b, f_a * f_a + f_b * f_b]
        for x in f_ab:
            columns.append(f_b * (x - f_a))
            columns.append((f_a - x) ** 2)
        sums = counts @ np.concatenate(columns, axis=1)  # (n_boot, m * (2 + 2k)): per replicate, sums over rows
        sums = sums.reshape(len(counts), 2 + 2 * k, m)
        half = sums[:, 0] / (2 * n)
        var_r = sums[:, 1] / (2 * n) - half * half  # (n_boot, m)
        s1_r = sums[:, 2::2] / n / var_r[:, None, :]  # (n_boot, k, m)
        st_r = 0.5 * (sums[:, 3::2] / n) / var_r[:, None, :]
    s1_lo, s1_hi = _percentile_interval(s1_r, axis=0)  # (k, m)
    st_lo, st_hi = _percentile_interval(st_r, axis=0)
    out[:, :, 1], out[:, :, 2] = s1_lo.T, s1_hi.T
    out[:, :, 4], out[:, :, 5] = st_lo.T, st_hi.T
    return out


INDEX_COLUMNS = ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]


@dataclass(frozen=True)
class Explanation:
    """Sobol indices of one output: per parameter (design unit) and per group.

    Attributes
    ----------
    output : str
        The output explained.
    parameters : DataFrame
        Indexed by parameter (a correlated set is one row, ``"a + b"``; the
        monthly random draws are the row ``noise``): ``S1``, ``S1_low``,
        ``S1_high``, ``ST``, ``ST_low``, ``ST_high`` (95% bootstrap), then
        ``factor``, ``evidence``.
    groups : DataFrame
        Indexed by group label (``factor:<name>``, ``evidence:<class>``,
        ``noise``): the same six columns, then ``by``, ``group``,
        ``parameters`` (comma-separated).
    base_samples : int
        N: rows of A and of B.
    evaluations : int
        Paths simulated: N x (matrices).
    seed : int
    n_boot : int
    method : str
    notes : tuple of str
        What the reader must know (correlated sets, noise alignment, a constant output).
    variance : float
        Variance of the output over A and B together.
    """

    output: str
    parameters: pd.DataFrame
    groups: pd.DataFrame
    base_samples: int
    evaluations: int
    seed: int
    n_boot: int
    method: str
    notes: tuple = ()
    variance: float = float("nan")
    unit: str = field(default="")

    def __iter__(self):  # ``params, groups = riskmodel.explain(...)``
        return iter((self.parameters, self.groups))

    def to_dict(self) -> dict:
        """Plain data (for ``--json``): both tables as lists of records, NaN as None."""

        def records(df: pd.DataFrame, key: str) -> list:
            out = []
            for label, row in df.iterrows():
                rec = {key: label}
                for c, v in row.items():
                    rec[c] = None if isinstance(v, float) and math.isnan(v) else (
                        float(v) if isinstance(v, (float, np.floating)) else v)
                out.append(rec)
            return out

        return {
            "output": self.output, "unit": self.unit, "method": self.method, "base_samples": self.base_samples,
            "evaluations": self.evaluations, "seed": self.seed, "n_boot": self.n_boot,
            "variance": None if math.isnan(self.variance) else self.variance, "notes": list(self.notes),
            "parameters": records(self.parameters, "parameter"), "groups": records(self.groups, "group"),
        }

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)


def _load_scenario(path_or_scenario) -> Scenario:
    if isinstance(path_or_scenario, Scenario):
        return path_or_scenario
    from .validate import validate

    return validate(path_or_scenario)


def _check_base_samples(base_samples: int) -> int:
    from .errors import ScenarioError

    n = int(base_samples)
    if n < 16 or n & (n - 1):
        raise ScenarioError.at("--base-samples", None, (), f"{base_samples} base samples",
                               "use a power of two of at least 16 (Sobol points keep their balance only then), "
                               "e.g. 256, 1024 or 4096")
    return n


def _explanations(scenario: Scenario, outputs: Sequence[str], *, base_samples: int, seed: int, n_boot: int,
                  groupings: Sequence[str] = ("factor", "evidence"), per_unit: bool = True,
                  keep_group=None, progress=None, model=None) -> dict:
    """Sobol indices of several outputs from one design: {output: Explanation}.

    ``per_unit=False`` leaves out the per-parameter matrices (the parameters
    table then holds the noise alone); ``keep_group(group) -> bool`` keeps
    only some groups (the noise group is always kept). ``model``: the
    scenario compiled already (a run's own: its distributions' quantile
    tables are built once), else it is compiled here.
    """
    if model is None:
        from .compile import compile_scenario

        model = compile_scenario(scenario)
    units, groups, notes = _plan_design(scenario, model, groupings)
    if not per_unit:
        units = [u for u in units if u.label == NOISE]
    if keep_group is not None:
        groups = [g for g in groups if g.by == NOISE or keep_group(g)]
    from .runsize import check_run_size  # every matrix of the design, before any is drawn

    check_run_size(model, base_samples * (len(units) + len(groups) + 2), design=True,
                   given=base_samples if base_samples != 1024 else None, option="--base-samples")
    f = _evaluate_design(model, units, groups, base_samples, seed, outputs, progress)
    n_matrices = len({id(v) for v in f.values()})
    _, boot_seed, _, _ = _design_seeds(seed)
    by_name = {p.name: p for p in scenario.parameters}
    result = {}
    unit_keys = [NOISE if u.label == NOISE else u.columns for u in units]
    group_keys = [NOISE if g.by == NOISE else g.columns for g in groups]
    # one set of replicates for every output (the same rows resampled for each, as before: one seed)
    unit_ix = _indices(f, unit_keys, _resample_counts(base_samples, n_boot, np.random.default_rng(boot_seed)))
    group_ix = _indices(f, group_keys, _resample_counts(base_samples, n_boot, np.random.default_rng(boot_seed + 1)))
    for j, out in enumerate(outputs):
        fo = {k: v[:, j] for k, v in f.items()}
        out_notes = list(notes)
        variance = float(np.var(np.concatenate([fo["A"], fo["B"]])))
        if not variance > 0:
            out_notes.append(f"'{out}' takes one value on every path of the design: it has no variance to explain.")
        pu = pd.DataFrame(unit_ix[j], columns=INDEX_COLUMNS,
                          index=pd.Index([u.label for u in units], name="parameter"))
        pu["factor"] = ["" if u.label == NOISE else "+".join(dict.fromkeys(by_name[n].factor for n in u.parameters))
                        for u in units]
        pu["evidence"] = ["" if u.label == NOISE else "+".join(dict.fromkeys(by_name[n].evidence
                                                                             for n in u.parameters)) for u in units]
        gu = pd.DataFrame(group_ix[j], columns=INDEX_COLUMNS,
                          index=pd.Index([g.label for g in groups], name="group"))
        gu["by"] = [g.by for g in groups]
        gu["group"] = [g.name for g in groups]
        gu["parameters"] = [", ".join(g.parameters) for g in groups]
        result[out] = Explanation(
            output=out, parameters=pu, groups=gu, base_samples=base_samples,
            evaluations=base_samples * n_matrices, seed=seed, n_boot=n_boot,
            method=("Sobol indices from a Saltelli design (scrambled Sobol A, B; AB per unit and group; noise as a "
                    "unit): first order Saltelli et al. (2010), total order Jansen (1999); 95% percentile bootstrap "
                    f"over the {base_samples} rows ({n_boot} replicates)"),
            notes=tuple(out_notes), variance=variance, unit=scenario.output(out).unit,
        )
    return result


def explain(path_or_scenario, *, output: Optional[str] = None, base_samples: int = 1024, seed: Optional[int] = None,
            method: str = "sobol", n_boot: int = 1000, progress=None) -> Explanation:
    """Sobol first- and total-order indices of one output, per parameter and per group.

    Parameters
    ----------
    path_or_scenario : path-like or Scenario
        A scenario file, or a validated Scenario.
    output : str, optional
        An output name or a risk id (its output); default: the first risk's output.
    base_samples : int
        N, rows of A and of B: a power of two, at least 16. The run simulates
        ``N x (units + multi-unit groups + 2 [+ 1 for the noise])`` paths.
    seed : int, optional
        Default: the scenario's seed.
    method : {"sobol"}
        The only method so far.
    n_boot : int
        Bootstrap replicates for the intervals.
    progress : callable(done, total), optional
        Called after each simulated matrix.

    Returns
    -------
    Explanation
        ``.parameters`` and ``.groups`` DataFrames with ``S1``, ``S1_low``,
        ``S1_high``, ``ST``, ``ST_low``, ``ST_high``; unpacks as
        ``parameters, groups``.

    Examples
    --------
    >>> ex = riskmodel.explain("scenarios/examples/minimal.yaml", base_samples=256)  # doctest: +SKIP
    >>> ex.groups[["S1", "ST"]]                                                      # doctest: +SKIP
    """
    from .errors import ScenarioError

    if method != "sobol":
        raise ScenarioError.at("--method", None, (), f"unknown method '{method}'", "use sobol")
    scenario = _load_scenario(path_or_scenario)
    out = _resolve_output(scenario, output)
    n = _check_base_samples(base_samples)
    s = int(seed if seed is not None else scenario.seed)
    return _explanations(scenario, [out], base_samples=n, seed=s, n_boot=n_boot, progress=progress)[out]


