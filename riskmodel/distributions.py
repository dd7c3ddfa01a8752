"""Parameter distributions: argument checks and frozen, vectorised inverse CDFs.

A scenario names a distribution by ``dist`` and its keys (see ``DIST_KEYS``);
:func:`check_distribution` says what is wrong with them, for ``validate`` to
attach file and line; :func:`make_distribution` turns a checked
:class:`~riskmodel.model.Distribution` into a :class:`FrozenDistribution`,
whose :meth:`~FrozenDistribution.ppf` maps uniforms in (0, 1) to values. The
sampler draws the uniforms (plain, Latin hypercube or Sobol, with rank
correlations imposed on them) and this module only transforms them, so every
family is a monotone function of ``u``: a larger ``u`` never gives a smaller
value.

Truncation (``bounds: [lo, hi]``) goes through the CDF,
``x = F⁻¹(F(lo) + u·(F(hi) − F(lo)))``, never by clipping, so no probability
piles up on a bound; when the interval lies in the upper tail the same map is
written with survival functions to keep precision.

Beta-based families (``beta``, ``pert``) and ``gamma`` have no fast exact
inverse CDF (``scipy.special.betaincinv`` runs at 0.4–2.5 M values/s);
they use a cubic Hermite table built once per distribution, on first use,
accurate to 1e-9 of the range, see :class:`FrozenDistribution` and
``FAST_PPF_TOLERANCE``.

The families live in :mod:`riskmodel._dist_frozen` (the base class; closed-form and discrete
families) and :mod:`riskmodel._dist_tabulated` (beta, PERT, gamma); this module holds the keys,
the checks and the construction, and is the public import path of all of them.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, NamedTuple, Optional, Sequence

import numpy as np

from ._dist_frozen import (PERT_LAMB_DEFAULT, Bernoulli, Constant, Discrete, FrozenDistribution, Lognormal,
                           Normal, Triangular, Uniform, _fmt, _fmt_pair, _fmt_range, _is_finite_number, _is_real,
                           _Z95)
from ._dist_tabulated import FAST_PPF_TOLERANCE, Beta, Gamma, Pert
from .errors import did_you_mean
from .model import Distribution

__all__ = [
    # keys and checks
    "KindKeys", "DIST_KEYS", "KINDS", "KEY_SYNONYMS", "key_hint", "PERT_LAMB_DEFAULT", "check_distribution",
    # construction
    "make_distribution", "distribution",
    # frozen distributions
    "FrozenDistribution", "Normal", "Lognormal", "Pert", "Triangular", "Uniform", "Beta",
    "Gamma", "Bernoulli", "Discrete", "Constant",
    # fast inverse CDF
    "FAST_PPF_TOLERANCE",
]


class KindKeys(NamedTuple):
    """The keys one distribution kind takes.

    ``required`` is a tuple of alternative key sets: exactly one set must be
    given in full, and keys of the other sets must not be given. Most kinds
    have one set; ``normal`` and ``lognormal`` have two (``mu``/``sigma`` or
    ``ci90``). ``optional`` keys may be left out. Every kind may also carry
    ``bounds``, which :class:`~riskmodel.model.Distribution` keeps apart from
    ``args`` and which is not listed here.
    """

    required: tuple  # tuple[tuple[str, ...], ...]: alternative key sets
    optional: tuple  # tuple[str, ...]

    @property
    def keys(self) -> tuple:
        """Every key the kind takes, in contract order, without duplicates."""
        return tuple(dict.fromkeys(k for alt in self.required for k in alt)) + self.optional


#: kind -> keys it takes; ``bounds`` is allowed for every kind.
DIST_KEYS: dict = {
    "normal": KindKeys((("mu", "sigma"), ("ci90",)), ()),
    "lognormal": KindKeys((("ci90",), ("mu", "sigma")), ()),
    "pert": KindKeys((("low", "mode", "high"),), ("lamb",)),
    "triangular": KindKeys((("low", "mode", "high"),), ()),
    "uniform": KindKeys((("low", "high"),), ()),
    "beta": KindKeys((("a", "b"),), ()),
    "gamma": KindKeys((("shape", "scale"),), ()),
    "bernoulli": KindKeys((("p",),), ()),
    "discrete": KindKeys((("values",),), ("weights",)),
    "constant": KindKeys((("value",),), ()),
}

#: The distribution kinds, in contract order.
KINDS: tuple = tuple(DIST_KEYS)

#: Shape arguments for which the inverse CDF is accurate: outside these the exact inverse
#: (``scipy.special.betaincinv``/``gammaincinv``) loses monotonicity or the table cannot reach
#: ``FAST_PPF_TOLERANCE`` and every draw takes the slow exact path (tests/test_distributions.py checks both ends).
SHAPE_RANGE = {"beta": (0.05, 1e6), "gamma": (0.05, 1e5)}
#: PERT's ``lamb`` at most this (its beta shapes are 1 + lamb × a fraction, so at most 1 + PERT_LAMB_MAX).
PERT_LAMB_MAX = 1e6
#: ``high − low`` of uniform, triangular and PERT at least this share of ``max(|low|, |high|)`` and at least
#: ``WIDTH_MIN``: a narrower interval holds too few floating-point numbers to draw from (a denormal width
#: holds one or two).
WIDTH_MIN_RELATIVE = 1e-9
WIDTH_MIN = 1e-300

_SCALAR_KEYS = frozenset({"mu", "sigma", "low", "mode", "high", "lamb", "a", "b", "shape", "scale", "p", "value"})


# ---------------------------------------------------------------------------
# checks


def check_distribution(kind: str, args: Mapping[str, Any], bounds: Any = None) -> list:
    """Check a distribution's kind, keys and values.

    Parameters
    ----------
    kind : str
        The ``dist`` value, e.g. ``"pert"``.
    args : mapping of str to value
        The keys given with it (``low``, ``mode``, ``ci90``, ...), without
        ``bounds``. ``ci90`` is a pair; ``values`` and ``weights`` are
        sequences.
    bounds : pair or None
        ``(lo, hi)`` truncation; either end may be None (open).

    Returns
    -------
    list of (str, str, str)
        One ``(key, what is wrong, what would be right)`` triple per problem;
        empty when all is well. ``key`` is the offending key (``"bounds"`` for
        bounds; a missing key's own name when it is missing), or ``"dist"``
        when the kind itself is wrong or none of its key sets is given.

    Examples
    --------
    >>> check_distribution("pert", {"low": 1, "mode": 3, "high": 2})
    [('mode', 'mode 3 is above high 2', 'need low ≤ mode ≤ high')]
    >>> check_distribution("normel", {"mu": 0, "sigma": 1})[0][2]
    "did you mean 'normal'? kinds: normal, lognormal, pert, triangular, uniform, beta, gamma, bernoulli, discrete, constant"
    """
    problems: list = []
    if not isinstance(kind, str) or kind not in DIST_KEYS:
        hint = did_you_mean(str(kind), KINDS)
        hint = (hint + " " if hint else "") + "kinds: " + ", ".join(KINDS)
        return [("dist", f"unknown distribution {kind!r}", hint)]
    spec = DIST_KEYS[kind]
    args = dict(args)
    takes = _takes_hint(kind)

    # keys that do not apply
    for key in args:
        if key not in spec.keys:
            if key == "bounds":
                problems.append((key, "bounds must be given beside dist, not among its arguments", takes))
                continue
            hint = key_hint(str(key), spec.keys)
            problems.append((str(key), f"{key!r} does not apply to {kind}", (hint + " " if hint else "") + takes))

    # required key sets
    complete = [alt for alt in spec.required if all(k in args for k in alt)]
    if not complete:
        best = max(spec.required, key=lambda alt: sum(k in args for k in alt))
        if len(spec.required) > 1 and not any(k in args for alt in spec.required for k in alt):
            need = ", or ".join(" and ".join(alt) for alt in spec.required)
            problems.append(("dist", f"{kind} needs {need}", takes))
        else:
            for key in best:
                if key not in args:
                    problems.append((key, f"missing {key!r}", takes))
    else:
        chosen = complete[0]
        for alt in spec.required:
            for key in alt:
                if key in args and key not in chosen:
                    problems.append(
                        (key, f"{key!r} cannot be combined with {' and '.join(chosen)}",
                         f"give {kind} either by " + ", or by ".join(" and ".join(a) for a in spec.required))
                    )

    # values: types first, then meaning
    typed = True
    for key, value in args.items():
        if key not in spec.keys:
            continue
        problem = _check_type(key, value)
        if problem:
            problems.append(problem)
            typed = False
    structural = bool(problems)
    if typed and not structural:
        problems.extend(_check_values(kind, args))

    # bounds
    bounds_ok = True
    if bounds is not None:
        problem = _check_bounds_shape(bounds)
        if problem:
            problems.append(problem)
            bounds_ok = False
    if bounds is not None and bounds_ok and not problems:
        lo, hi = _open_bounds(bounds)
        base = _build(kind, args, None)
        mass = base._mass(lo, hi)
        if not mass > 0:
            q05, q95 = base.interval90()
            problems.append(
                ("bounds",
                 f"bounds {_fmt_pair(bounds)} leave no probability mass: "
                 f"{base.describe()} has 90% in [{_fmt(q05, 4)}, {_fmt(q95, 4)}]",
                 "choose bounds that overlap the distribution")
            )
    return problems


#: Names analysts often write for a distribution's keys (from other tools and textbooks).
#: A hint only suggests one when it is a key of the distribution at hand.
KEY_SYNONYMS: dict = {
    "sd": "sigma", "std": "sigma", "stdev": "sigma", "stddev": "sigma", "std_dev": "sigma",
    "standard_deviation": "sigma", "scale": "sigma", "mean": "mu", "loc": "mu", "location": "mu",
    "min": "low", "minimum": "low", "lower": "low", "lo": "low", "max": "high", "maximum": "high",
    "upper": "high", "hi": "high", "peak": "mode", "most_likely": "mode", "likeliest": "mode",
    "alpha": "a", "beta": "b", "k": "shape", "theta": "scale", "prob": "p", "probability": "p",
    "ci": "ci90", "ci_90": "ci90", "interval": "ci90", "range90": "ci90", "lambda": "lamb",
    "weight": "weights", "probs": "weights", "probabilities": "weights", "outcomes": "values",
    "val": "value",
}


def key_hint(key: str, keys: Sequence[str]) -> str:
    """``did you mean 'x'?`` for a mistyped key, from ``keys`` only (synonyms first, then spelling).

    Examples
    --------
    >>> key_hint("sd", DIST_KEYS["normal"].keys)
    "did you mean 'sigma'?"
    >>> key_hint("sd", DIST_KEYS["gamma"].keys)
    ''
    >>> key_hint("hihg", DIST_KEYS["pert"].keys)
    "did you mean 'high'?"
    """
    word = str(key)
    target = KEY_SYNONYMS.get(word.lower())
    if target in keys and target != word:
        return f"did you mean '{target}'?"
    return did_you_mean(word, keys)


def _takes_hint(kind: str) -> str:
    """E.g. ``pert takes low, mode, high; optional: lamb, bounds``."""
    spec = DIST_KEYS[kind]
    if len(spec.required) == 1:
        need = ", ".join(spec.required[0])
    else:
        need = ", or ".join(" and ".join(alt) for alt in spec.required)
    optional = ", ".join(spec.optional + ("bounds",))
    return f"{kind} takes {need}; optional: {optional}"


def _check_type(key: str, value: Any) -> Optional[tuple]:
    if key in _SCALAR_KEYS:
        if not _is_real(value):
            return (key, f"{key} is {value!r}, not a number", f"write a number, e.g. {key}: 1")
        if not math.isfinite(float(value)):
            return (key, f"{key} is {_fmt(value)}, not a finite number", "write a finite number")
        return None
    if key == "ci90":
        if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)) or len(value) != 2:
            return (key, f"ci90 is {value!r}, not a pair", "write ci90: [low, high], the 5th and 95th percentiles")
        for v in value:
            if not _is_finite_number(v):
                return (key, f"ci90 {value!r} holds {v!r}, not a finite number",
                        "write ci90: [low, high], the 5th and 95th percentiles")
        return None
    if key in ("values", "weights"):
        if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
            return (key, f"{key} is {value!r}, not a list", f"write {key}: [1, 2, 3]")
        if len(value) == 0:
            return (key, f"{key} is empty", f"give at least one of {key}")
        for v in value:
            if not _is_finite_number(v):
                return (key, f"{key} holds {v!r}, not a finite number", f"write {key} as a list of numbers")
        return None
    return None


def _check_values(kind: str, args: dict) -> list:
    """Meaning checks; every key is present and typed."""
    out = []
    f = {k: (tuple(float(x) for x in v) if isinstance(v, (Sequence, np.ndarray)) else float(v))
         for k, v in args.items()}
    if "ci90" in f:
        a, b = f["ci90"]
        if not a < b:
            out.append(("ci90", f"ci90 [{_fmt(a)}, {_fmt(b)}] is not increasing",
                        "write ci90: [low, high] with low < high (5th and 95th percentiles)"))
        elif kind == "lognormal" and not a > 0:
            out.append(("ci90", f"ci90 [{_fmt(a)}, {_fmt(b)}] reaches {_fmt(a)}; a lognormal is positive",
                        "need 0 < low < high"))
    if "sigma" in f and not f["sigma"] > 0:
        out.append(("sigma", f"sigma {_fmt(f['sigma'])} is not positive",
                    "need sigma > 0 (for a fixed number use dist: constant)"))
    if kind in ("pert", "triangular", "uniform"):
        low, high = f["low"], f["high"]
        if not low < high:
            out.append(("high", f"high {_fmt(high)} is not above low {_fmt(low)}",
                        "need low < high (for a fixed number use dist: constant)"))
        elif not high - low >= max(WIDTH_MIN, WIDTH_MIN_RELATIVE * max(abs(low), abs(high))):
            out.append(("high", f"high − low = {_fmt(high - low)} is too narrow to draw from: "
                        f"[{_fmt(low, 17)}, {_fmt(high, 17)}] holds too few floating-point numbers",
                        f"need high − low ≥ {_fmt(WIDTH_MIN_RELATIVE)} × max(|low|, |high|) and ≥ {_fmt(WIDTH_MIN)} "
                        "(for a fixed number use dist: constant)"))
        elif kind != "uniform":
            mode = f["mode"]
            if mode > high:
                out.append(("mode", f"mode {_fmt(mode)} is above high {_fmt(high)}", "need low ≤ mode ≤ high"))
            elif mode < low:
                out.append(("mode", f"mode {_fmt(mode)} is below low {_fmt(low)}", "need low ≤ mode ≤ high"))
    if "lamb" in f and not f["lamb"] >= 0:
        out.append(("lamb", f"lamb {_fmt(f['lamb'])} is negative", "need lamb ≥ 0 (4 is the classic PERT)"))
    elif "lamb" in f and f["lamb"] > PERT_LAMB_MAX:
        out.append(("lamb", f"lamb {_fmt(f['lamb'])} is outside the range where the inverse CDF is accurate",
                    f"need 0 ≤ lamb ≤ {_fmt_range(PERT_LAMB_MAX)} (4 is the classic PERT; a PERT this peaked "
                    "is close to dist: constant at its mode)"))
    for key in ("a", "b", "shape", "scale"):
        if key in f and not f[key] > 0:
            out.append((key, f"{key} {_fmt(f[key])} is not positive", f"need {key} > 0"))
        elif key in f and key != "scale" and not SHAPE_RANGE[kind][0] <= f[key] <= SHAPE_RANGE[kind][1]:
            lo, hi = SHAPE_RANGE[kind]
            instead = ("a beta this concentrated is close to dist: normal" if f[key] > hi
                       else "a beta this close to 0 and 1 is close to dist: bernoulli") if kind == "beta" else \
                ("a gamma this concentrated is close to dist: normal" if f[key] > hi
                 else "a gamma this skewed is close to 0 on most paths")
            out.append((key, f"{key} {_fmt(f[key])} is outside the range where the inverse CDF is accurate",
                        f"need {_fmt_range(lo)} ≤ {key} ≤ {_fmt_range(hi)} ({instead})"))
    if "p" in f and not 0 <= f["p"] <= 1:
        out.append(("p", f"p {_fmt(f['p'])} is not a probability", "need 0 ≤ p ≤ 1"))
    if kind == "discrete" and "weights" in f:
        values, weights = f["values"], f["weights"]
        if len(weights) != len(values):
            out.append(("weights", f"{len(weights)} weight{'s' * (len(weights) != 1)} for {len(values)} "
                        f"value{'s' * (len(values) != 1)}", "give one weight per value"))
        elif any(w < 0 for w in weights):
            w = next(w for w in weights if w < 0)
            out.append(("weights", f"weight {_fmt(w)} is negative", "need weights ≥ 0"))
        elif not sum(weights) > 0:
            out.append(("weights", "weights sum to 0", "at least one weight must be positive"))
    return out


def _check_bounds_shape(bounds: Any) -> Optional[tuple]:
    hint = "write bounds: [lo, hi]; null leaves an end open"
    if isinstance(bounds, (str, bytes)) or not isinstance(bounds, (Sequence, np.ndarray)) or len(bounds) != 2:
        return ("bounds", f"bounds {bounds!r} is not a pair", hint)
    for end in bounds:
        if end is not None and (not _is_real(end) or math.isnan(float(end))):
            return ("bounds", f"bounds {list(bounds)!r} holds {end!r}, not a number", hint)
    lo, hi = _open_bounds(bounds)
    if not lo < hi:
        return ("bounds", f"bounds {_fmt_pair(bounds)}: {_fmt(lo)} is not below {_fmt(hi)}", "need lo < hi")
    return None


def _open_bounds(bounds: Any) -> tuple:
    """``(lo, hi)`` as floats, None and a missing pair becoming ∓inf."""
    if bounds is None:
        return (-math.inf, math.inf)
    lo, hi = bounds
    return (-math.inf if lo is None else float(lo), math.inf if hi is None else float(hi))


# ---------------------------------------------------------------------------
# construction


def make_distribution(dist: Distribution) -> "FrozenDistribution":
    """The frozen distribution a scenario's ``dist`` and keys describe.

    Parameters
    ----------
    dist : riskmodel.model.Distribution
        Kind, arguments and bounds, as validated.

    Returns
    -------
    FrozenDistribution

    Raises
    ------
    ValueError
        If :func:`check_distribution` finds a problem (``validate`` reports
        these with file and line before this is ever called).

    Examples
    --------
    >>> from riskmodel.model import Distribution
    >>> d = make_distribution(Distribution("pert", (("low", 1.0), ("mode", 1.4), ("high", 2.5))))
    >>> d.describe(), round(d.mean(), 4)
    ('PERT(1, 1.4, 2.5)', 1.5167)
    """
    # one frozen distribution per distinct ``dist`` in a process: validation (a cited number against the 90%
    # interval), the compiler and the report's ledger each asked for the same ones, and a PERT's or beta's
    # quantile table (built on first use, 10-20 ms each) was built three times a run. Frozen distributions
    # are immutable (their tables are caches of exact values), so sharing one changes no number. Keyed on
    # the arguments' repr, so that 0.0 and -0.0, or 1 and 1.0, are not taken for one another.
    key = (dist.kind, repr(dist.args), repr(dist.bounds))
    made = _MADE.get(key)
    if made is not None:
        return made
    args = dict(dist.args)
    problems = check_distribution(dist.kind, args, dist.bounds)
    if problems:
        raise ValueError("; ".join(f"{key}: {what}; {hint}" for key, what, hint in problems))
    made = _build(dist.kind, args, dist.bounds)
    if len(_MADE) >= 4096:  # a long notebook session or a fuzzer: bounded
        _MADE.clear()
    _MADE[key] = made
    return made


_MADE: dict = {}


def distribution(kind: str, *, bounds: Any = None, **args: Any) -> "FrozenDistribution":
    """Shorthand for notebooks: ``distribution("pert", low=1, mode=1.4, high=2.5)``.

    Checks like :func:`make_distribution` and raises ``ValueError`` likewise.

    Examples
    --------
    >>> distribution("lognormal", ci90=[700, 1500]).describe()
    'lognormal, 90% in [700, 1500]'
    """
    pairs = tuple((k, tuple(v) if isinstance(v, (list, np.ndarray)) else v) for k, v in args.items())
    return make_distribution(Distribution(kind, pairs, None if bounds is None else tuple(bounds)))


def _build(kind: str, args: Mapping[str, Any], bounds: Any) -> "FrozenDistribution":
    """Construct without checking (``args`` already checked)."""
    b = _open_bounds(bounds)
    g = {k: (tuple(float(x) for x in v) if isinstance(v, (Sequence, np.ndarray)) else float(v))
         for k, v in args.items()}
    if kind in ("normal", "lognormal"):
        cls = Normal if kind == "normal" else Lognormal
        if "ci90" in g:
            lo, hi = g["ci90"]
            if kind == "lognormal":
                lo, hi = math.log(lo), math.log(hi)
            return cls(mu=(lo + hi) / 2, sigma=(hi - lo) / (2 * _Z95), ci90=g["ci90"], bounds=b)
        return cls(mu=g["mu"], sigma=g["sigma"], bounds=b)
    if kind == "pert":
        return Pert(low=g["low"], mode=g["mode"], high=g["high"], lamb=g.get("lamb", PERT_LAMB_DEFAULT), bounds=b)
    if kind == "triangular":
        return Triangular(low=g["low"], mode=g["mode"], high=g["high"], bounds=b)
    if kind == "uniform":
        return Uniform(low=g["low"], high=g["high"], bounds=b)
    if kind == "beta":
        return Beta(a=g["a"], b=g["b"], bounds=b)
    if kind == "gamma":
        return Gamma(shape=g["shape"], scale=g["scale"], bounds=b)
    if kind == "bernoulli":
        return Bernoulli(p=g["p"], bounds=b)
    if kind == "discrete":
        values = g["values"]
        weights = g.get("weights", (1.0,) * len(values))
        return Discrete(values=values, weights=weights, bounds=b)
    if kind == "constant":
        return Constant(value=g["value"], bounds=b)
    raise ValueError(f"unknown distribution {kind!r}")  # unreachable after check_distribution
