"""Tests for riskmodel.distributions, against closed forms and scipy's exact functions.

Monte Carlo checks use a fixed seed and a tolerance of 4 standard errors of
the sample mean (sd / sqrt(n)); closed forms are compared at rtol 1e-12
unless a comment says otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from riskmodel.distributions import (
    DIST_KEYS,
    FAST_PPF_TOLERANCE,
    KINDS,
    check_distribution,
    distribution,
    make_distribution,
)
from riskmodel.model import Distribution

Z95 = 1.6448536269514722  # standard normal 95th percentile (tables)
N_MC = 200_000


def mc_mean_close(d, expected: float, seed: int = 7) -> None:
    """Sample mean within 4 standard errors (sd / sqrt(n)) of ``expected``."""
    x = d.ppf(np.random.default_rng(seed).random(N_MC))
    se = x.std() / math.sqrt(N_MC)
    assert abs(x.mean() - expected) <= 4 * se + 1e-12, (x.mean(), expected, se)


# ---------------------------------------------------------------------------
# keys


def test_dist_keys_cover_the_contract_kinds():
    assert KINDS == ("normal", "lognormal", "pert", "triangular", "uniform", "beta", "gamma", "bernoulli",
                     "discrete", "constant")
    assert DIST_KEYS["normal"].required == (("mu", "sigma"), ("ci90",))
    assert DIST_KEYS["lognormal"].required == (("ci90",), ("mu", "sigma"))
    assert DIST_KEYS["pert"].keys == ("low", "mode", "high", "lamb")
    assert DIST_KEYS["discrete"].optional == ("weights",)
    required, optional = DIST_KEYS["gamma"]  # unpacks as (required, optional)
    assert required == (("shape", "scale"),) and optional == ()


# ---------------------------------------------------------------------------
# quantiles and means against closed forms


def test_lognormal_ci90_gives_5th_and_95th_percentiles():
    d = distribution("lognormal", ci90=[700, 1500])
    q05, q95 = d.interval90()
    assert q05 == pytest.approx(700, rel=1e-12) and q95 == pytest.approx(1500, rel=1e-12)
    mu = (math.log(700) + math.log(1500)) / 2
    sigma = (math.log(1500) - math.log(700)) / (2 * Z95)
    assert d.ppf(0.5) == pytest.approx(math.exp(mu), rel=1e-12)  # median exp(mu)
    assert d.mean() == pytest.approx(math.exp(mu + sigma**2 / 2), rel=1e-12)
    mc_mean_close(d, math.exp(mu + sigma**2 / 2))
    assert d.describe() == "lognormal, 90% in [700, 1500]"


def test_lognormal_by_mu_sigma():
    d = distribution("lognormal", mu=1.0, sigma=0.5)
    assert d.ppf(0.95) == pytest.approx(math.exp(1.0 + 0.5 * Z95), rel=1e-12)
    assert d.mean() == pytest.approx(math.exp(1.0 + 0.125), rel=1e-12)


def test_normal_ci90_and_mu_sigma():
    d = distribution("normal", ci90=[-2, 6])
    assert d.interval90() == pytest.approx((-2, 6), rel=1e-12)
    assert d.mean() == 2.0
    assert d.describe() == "normal, 90% in [-2, 6]"
    d = distribution("normal", mu=10, sigma=2)
    assert float(d.ppf(0.975)) == pytest.approx(10 + 2 * 1.959963984540054, rel=1e-12)
    assert float(d.cdf(10)) == 0.5
    mc_mean_close(d, 10.0)


def test_pert_mean_and_quantiles():
    d = distribution("pert", low=1, mode=1.4, high=2.5)
    assert d.mean() == pytest.approx((1 + 4 * 1.4 + 2.5) / 6, rel=1e-12)
    mc_mean_close(d, (1 + 4 * 1.4 + 2.5) / 6)
    # PERT is Beta(1 + 4 (mode-low)/(high-low), 1 + 4 (high-mode)/(high-low)) on [low, high]
    ref = stats.beta(1 + 4 * 0.4 / 1.5, 1 + 4 * 1.1 / 1.5, loc=1, scale=1.5)
    u = np.array([0.001, 0.05, 0.3, 0.5, 0.8, 0.95, 0.999])
    assert np.allclose(d.ppf(u), ref.ppf(u), rtol=0, atol=2e-9 * 1.5)  # fast-path error, see below
    assert np.allclose(d.cdf(ref.ppf(u)), u, rtol=0, atol=1e-12)
    assert d.describe() == "PERT(1, 1.4, 2.5)"


def test_pert_with_lamb():
    d = distribution("pert", low=0, mode=2, high=10, lamb=6)
    assert d.mean() == pytest.approx((0 + 6 * 2 + 10) / 8, rel=1e-12)
    mc_mean_close(d, 22 / 8)
    assert d.describe() == "PERT(0, 2, 10, lamb=6)"


def test_triangular_mean_and_quantiles():
    d = distribution("triangular", low=1, mode=2, high=5)
    assert d.mean() == pytest.approx(8 / 3, rel=1e-12)
    mc_mean_close(d, 8 / 3)
    # F(mode) = (mode - low) / (high - low); the median lies right of the mode here:
    # 1 - (high - x)^2 / ((high - low)(high - mode)) = 1/2  =>  x = high - sqrt(6)
    assert float(d.ppf(0.25)) == pytest.approx(2.0, rel=1e-12)
    assert float(d.ppf(0.5)) == pytest.approx(5 - math.sqrt(6), rel=1e-12)
    assert d.ppf(np.array([0.0, 1.0])).tolist() == [1.0, 5.0]


def test_uniform():
    d = distribution("uniform", low=-1, high=3)
    u = np.array([0.1, 0.5, 0.9])
    assert np.allclose(d.ppf(u), -1 + 4 * u, rtol=1e-15)
    assert d.mean() == 1.0
    assert d.interval90() == pytest.approx((-0.8, 2.8), rel=1e-12)


def test_beta_mean_and_quantiles():
    d = distribution("beta", a=2, b=5)
    assert d.mean() == pytest.approx(2 / 7, rel=1e-12)
    mc_mean_close(d, 2 / 7)
    # Beta(2, 5): F(x) = 1 - (1-x)^5 (1 + 5x)... check the median against scipy's exact ppf
    assert float(d.ppf(0.5)) == pytest.approx(stats.beta(2, 5).ppf(0.5), abs=2e-9)
    # Beta(1, b) has the closed form ppf 1 - (1-u)^(1/b)
    d1 = distribution("beta", a=1, b=3)
    u = np.linspace(0.01, 0.99, 99)
    assert np.allclose(d1.ppf(u), 1 - (1 - u) ** (1 / 3), rtol=0, atol=2e-9)


def test_gamma_mean_and_quantiles():
    d = distribution("gamma", shape=2.5, scale=3)
    assert d.mean() == pytest.approx(7.5, rel=1e-12)
    mc_mean_close(d, 7.5)
    # shape 1 is the exponential: ppf = -scale log(1 - u)
    e = distribution("gamma", shape=1, scale=2)
    u = np.linspace(0.01, 0.99, 99)
    assert np.allclose(e.ppf(u), -2 * np.log1p(-u), rtol=2e-9, atol=0)


def test_bernoulli():
    d = distribution("bernoulli", p=0.3)
    assert d.ppf(np.array([0.01, 0.69, 0.7, 0.7000001, 0.99])).tolist() == [0, 0, 0, 1, 1]
    assert d.mean() == pytest.approx(0.3, rel=1e-12)
    mc_mean_close(d, 0.3)
    assert distribution("bernoulli", p=0).ppf(np.array([1e-9, 0.5, 1 - 1e-9])).tolist() == [0, 0, 0]
    assert distribution("bernoulli", p=1).ppf(np.array([1e-9, 0.5, 1 - 1e-9])).tolist() == [1, 1, 1]


def test_discrete():
    d = distribution("discrete", values=[10, 1, 5], weights=[1, 2, 1])
    assert d.mean() == pytest.approx((10 + 2 + 5) / 4, rel=1e-12)
    mc_mean_close(d, 17 / 4)
    # sorted values 1, 5, 10 with cumulative probabilities 0.5, 0.75, 1
    assert d.ppf(np.array([0.2, 0.5, 0.6, 0.75, 0.8])).tolist() == [1, 1, 5, 5, 10]
    assert d.cdf(np.array([0, 1, 4.9, 5, 10, 11])).tolist() == [0, 0.5, 0.5, 0.75, 1, 1]
    eq = distribution("discrete", values=[1, 2, 3, 4])  # weights default to equal
    assert eq.mean() == 2.5 and eq.interval90() == (1.0, 4.0)


def test_constant():
    d = distribution("constant", value=5)
    assert d.ppf(np.full((2, 3), 0.4)).tolist() == [[5.0] * 3] * 2
    assert d.mean() == 5.0 and d.describe() == "constant 5"


def test_make_distribution_from_model_and_shape_preserved():
    d = make_distribution(Distribution("lognormal", (("ci90", (700.0, 1500.0)),), (None, 2000.0)))
    u = np.random.default_rng(0).random((4, 5, 6))
    assert d.ppf(u).shape == (4, 5, 6)
    assert d.cdf(d.ppf(u)).shape == (4, 5, 6)
    assert d.describe() == "lognormal, 90% in [700, 1500] truncated to [-inf, 2000]"


def test_make_distribution_rejects_bad_arguments():
    with pytest.raises(ValueError, match="mode 3 is above high 2"):
        make_distribution(Distribution("pert", (("low", 1), ("mode", 3), ("high", 2))))


# ---------------------------------------------------------------------------
# truncation


def test_truncated_normal_renormalises_without_mass_on_the_bound():
    d = distribution("normal", mu=0, sigma=1, bounds=[0, None])
    assert d.mean() == pytest.approx(math.sqrt(2 / math.pi), rel=1e-12)  # half-normal mean
    x = d.ppf(np.random.default_rng(3).random(1_000_000))
    se = x.std() / 1000
    assert abs(x.mean() - math.sqrt(2 / math.pi)) <= 4 * se
    assert np.count_nonzero(x == 0.0) == 0 and x.min() > 0  # no mass piled on the bound
    # half-normal median = ndtri(0.75)
    assert float(d.ppf(0.5)) == pytest.approx(stats.norm.ppf(0.75), rel=1e-12)
    assert float(d.cdf(-1)) == 0 and float(d.cdf(0)) == 0 and float(d.cdf(np.inf)) == 1


def test_truncation_in_the_upper_tail_keeps_precision():
    # P(X > 10) = 7.6e-24 is far below double precision of 1 - F: the survival form is used
    d = distribution("normal", mu=0, sigma=1, bounds=[10, None])
    ref = stats.truncnorm(10, np.inf)
    u = np.array([0.001, 0.25, 0.5, 0.75, 0.999])
    assert np.allclose(d.ppf(u), ref.ppf(u), rtol=1e-10)
    assert d.mean() == pytest.approx(ref.mean(), rel=1e-10)  # 10.0980932...


@pytest.mark.parametrize("kind, args, bounds", [
    ("lognormal", {"ci90": [700, 1500]}, (800, 1200)),
    ("gamma", {"shape": 2, "scale": 3}, (1, 10)),
    ("pert", {"low": 1, "mode": 1.4, "high": 2.5}, (1.2, 2.0)),
    ("beta", {"a": 2, "b": 5}, (0.9, None)),
    ("triangular", {"low": 0, "mode": 1, "high": 3}, (0.5, 2)),
    ("uniform", {"low": 0, "high": 10}, (None, 4)),
    ("normal", {"mu": 5, "sigma": 2}, (-1, 3)),
])
def test_truncated_mean_against_quadrature(kind, args, bounds):
    """Truncated means against E[X | lo ≤ X ≤ hi] by numerical integration of scipy's pdf."""
    ref = {
        "lognormal": stats.lognorm(s=(math.log(1500) - math.log(700)) / (2 * Z95), scale=math.sqrt(700 * 1500)),
        "gamma": stats.gamma(2, scale=3),
        "pert": stats.beta(1 + 4 * 0.4 / 1.5, 1 + 4 * 1.1 / 1.5, loc=1, scale=1.5),
        "beta": stats.beta(2, 5),
        "triangular": stats.triang(1 / 3, loc=0, scale=3),
        "uniform": stats.uniform(0, 10),
        "normal": stats.norm(5, 2),
    }[kind]
    lo = -np.inf if bounds[0] is None else bounds[0]
    hi = np.inf if bounds[1] is None else bounds[1]
    lo, hi = max(lo, ref.support()[0]), min(hi, ref.support()[1])
    num = integrate.quad(lambda x: x * ref.pdf(x), lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0]
    den = integrate.quad(ref.pdf, lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0]
    d = distribution(kind, bounds=bounds, **args)
    assert d.mean() == pytest.approx(num / den, rel=1e-8)  # quadrature accuracy
    mc_mean_close(d, num / den)
    x = d.ppf(np.random.default_rng(5).random(100_000))
    assert x.min() > lo and x.max() < hi  # inside, no mass on the bounds
    assert d.cdf(lo) == 0 and d.cdf(hi) == 1


def test_bounds_that_cut_nothing_change_nothing():
    u = np.linspace(0.01, 0.99, 50)
    a = distribution("lognormal", ci90=[1, 10])
    b = distribution("lognormal", ci90=[1, 10], bounds=[0, None])
    assert np.array_equal(a.ppf(u), b.ppf(u))


def test_truncated_discrete_keeps_values_inside_both_ends_included():
    d = distribution("discrete", values=[1, 2, 3, 4], weights=[1, 1, 2, 4], bounds=[2, 3])
    assert d.mean() == pytest.approx((2 * 1 + 3 * 2) / 3, rel=1e-12)
    assert set(d.ppf(np.linspace(0.001, 0.999, 1000)).tolist()) == {2.0, 3.0}


# ---------------------------------------------------------------------------
# fast inverse CDF for beta, pert and gamma


DENSE_U = np.concatenate([
    np.linspace(0, 1, 200_001)[1:-1],  # body
    np.logspace(-15, -2, 400), 1 - np.logspace(-15, -2, 400),  # both tails, past the table's |logit u| ≤ 30
])


@pytest.mark.parametrize("kind, args, ref, range_", [
    ("beta", {"a": 2, "b": 5}, stats.beta(2, 5), 1.0),
    ("beta", {"a": 0.5, "b": 3}, stats.beta(0.5, 3), 1.0),
    ("beta", {"a": 200, "b": 30}, stats.beta(200, 30), 1.0),
    ("pert", {"low": 1, "mode": 1.4, "high": 2.5}, stats.beta(1 + 4 * 0.4 / 1.5, 1 + 4 * 1.1 / 1.5, loc=1, scale=1.5), 1.5),
    ("pert", {"low": 0, "mode": 90, "high": 100, "lamb": 10}, stats.beta(10, 2, scale=100), 100.0),
    ("gamma", {"shape": 2.5, "scale": 3}, stats.gamma(2.5, scale=3), None),
    ("gamma", {"shape": 0.3, "scale": 1}, stats.gamma(0.3), None),
])
@pytest.mark.filterwarnings("ignore:Error in function boost")  # scipy.stats' own beta ppf, deep in a tail
def test_fast_ppf_error_against_scipy(kind, args, ref, range_):
    d = distribution(kind, **args)
    assert d._table is not None  # the fast path is in use
    x, exact = d.ppf(DENSE_U), ref.ppf(DENSE_U)
    if range_ is not None:
        err = np.max(np.abs(x - exact)) / range_  # absolute, as a fraction of the range
    else:
        err = np.max(np.abs(x / exact - 1))  # relative (gamma)
    # the table is accepted at FAST_PPF_TOLERANCE (1e-9) at interval midpoints, where a cubic
    # Hermite interpolant errs most; allow 2x for maxima a little off the midpoints
    assert err <= 2 * FAST_PPF_TOLERANCE, err
    assert np.all(np.diff(x[:199_999]) >= 0)


def test_fast_ppf_tails_are_exact():
    # beyond |logit u| = 30 the exact inverse is used; Beta(a, 1) has ppf u^(1/a), Beta(1, b) 1 - (1-u)^(1/b)
    u = np.array([1e-300, 1e-200, 1e-20, 1e-14])
    assert np.allclose(distribution("beta", a=2, b=1).ppf(u), np.sqrt(u), rtol=1e-12, atol=0)
    assert np.allclose(distribution("beta", a=1, b=3).ppf(u), -np.expm1(np.log1p(-u) / 3), rtol=1e-12, atol=0)
    # the far lower tail of Beta(2, 5), where scipy.special.betaincinv gives NaN: I_x ~ 15 x^2 (1 + O(x))
    assert float(distribution("beta", a=2, b=5).ppf(1e-250)) == pytest.approx(math.sqrt(1e-250 / 15), rel=1e-12)
    q = np.array([1e-15, 1e-14])  # near u = 1: Beta(3, 1) has ppf u^(1/3)
    assert np.allclose(distribution("beta", a=3, b=1).ppf(1 - q), (1 - q) ** (1 / 3), rtol=1e-15)
    assert distribution("beta", a=2, b=5).ppf(np.array([0.0, 1.0])).tolist() == [0.0, 1.0]


# ---------------------------------------------------------------------------
# monotonicity


ALL_KINDS = [
    ("normal", {"mu": 1, "sigma": 2}, None), ("normal", {"mu": 0, "sigma": 1}, (0, 2)),
    ("lognormal", {"ci90": [700, 1500]}, None), ("lognormal", {"ci90": [1, 100]}, (50, None)),
    ("pert", {"low": 1, "mode": 1.4, "high": 2.5}, None), ("pert", {"low": 0, "mode": 0, "high": 1}, (0.5, None)),
    ("triangular", {"low": 0, "mode": 3, "high": 3}, None), ("uniform", {"low": 0, "high": 1}, (0.2, 0.3)),
    ("beta", {"a": 0.3, "b": 0.3}, None), ("gamma", {"shape": 0.5, "scale": 1}, (1, None)),
    ("bernoulli", {"p": 0.4}, None), ("discrete", {"values": [3, 1, 2], "weights": [1, 0, 2]}, None),
    ("constant", {"value": 2}, None),
]


@pytest.mark.parametrize("kind, args, bounds", ALL_KINDS)
def test_ppf_monotone_and_inverse_of_cdf(kind, args, bounds):
    d = distribution(kind, bounds=bounds, **args)
    u = np.concatenate([np.logspace(-12, -1, 200), np.linspace(0.1, 0.9, 2001), 1 - np.logspace(-1, -12, 200)])
    x = d.ppf(u)
    assert np.all(np.isfinite(x))
    assert np.all(np.diff(x) >= 0)
    body = (u >= 1e-3) & (u <= 1 - 1e-3)  # in the far tails x itself is rounded (e.g. to 1.0 for beta)
    if kind not in ("bernoulli", "discrete", "constant"):  # continuous: F(F^-1(u)) = u
        assert np.allclose(d.cdf(x[body]), u[body], rtol=0, atol=1e-8)
    lo, hi = d.interval90()
    assert lo <= hi


@settings(max_examples=40, deadline=None)
@given(low=st.floats(-1e3, 1e3), width=st.floats(1e-3, 1e3), where=st.floats(0, 1), lamb=st.floats(0.5, 20))
def test_pert_ppf_monotone_property(low, width, where, lamb):
    d = distribution("pert", low=low, mode=low + where * width, high=low + width, lamb=lamb)
    x = d.ppf(np.linspace(0, 1, 4001))
    assert np.all(np.diff(x) >= 0)
    assert x[0] >= low and x[-1] <= low + width


# ---------------------------------------------------------------------------
# the ends of the accepted shape ranges (SHAPE_RANGE, PERT_LAMB_MAX): fast and right there, refused beyond


AT_THE_ENDS = [
    ("beta", {"a": 0.05, "b": 0.05}, 0.5), ("beta", {"a": 0.05, "b": 1e6}, 0.05 / (1e6 + 0.05)),
    ("beta", {"a": 1e6, "b": 1e6}, 0.5), ("beta", {"a": 1e6, "b": 0.05}, 1e6 / (1e6 + 0.05)),
    ("gamma", {"shape": 0.05, "scale": 2}, 0.1), ("gamma", {"shape": 1e5, "scale": 1}, 1e5),
    ("pert", {"low": 1, "mode": 2, "high": 4, "lamb": 1e6}, (1 + 1e6 * 2 + 4) / (1e6 + 2)),
    ("uniform", {"low": 1, "high": 1 + 1e-9}, 1 + 0.5e-9),
]


@pytest.mark.parametrize("kind, args, mean", AT_THE_ENDS)
def test_shapes_at_the_ends_of_their_range_are_tabulated_monotone_and_right_on_average(kind, args, mean):
    assert check_distribution(kind, args) == []
    d = distribution(kind, **args)
    if kind != "uniform":
        assert d._table is not None  # built, so accurate to FAST_PPF_TOLERANCE at every midpoint; fast draws
    x = d.ppf(DENSE_U)
    assert np.all(np.isfinite(x))
    order = np.argsort(DENSE_U)
    assert np.all(np.diff(x[order]) >= 0)
    mc_mean_close(d, mean)  # the closed-form mean (a/(a+b), k·θ, (low + λ·mode + high)/(λ + 2)) within 4 se


@pytest.mark.parametrize("kind, args, key, fragment", [
    ("gamma", {"shape": 1e-300, "scale": 1}, "shape", "need 0.05 ≤ shape ≤ 100,000"),
    ("gamma", {"shape": 2e5, "scale": 1}, "shape", "outside the range where the inverse CDF is accurate"),
    ("beta", {"a": 1e300, "b": 1e300}, "a", "need 0.05 ≤ a ≤ 1,000,000"),
    ("beta", {"a": 1, "b": 0.04}, "b", "need 0.05 ≤ b ≤ 1,000,000"),
    ("pert", {"low": 1, "mode": 2, "high": 4, "lamb": 1e300}, "lamb", "need 0 ≤ lamb ≤ 1,000,000"),
    ("uniform", {"low": 0, "high": 5e-324}, "high", "too narrow to draw from"),
    ("triangular", {"low": 1, "mode": 1, "high": 1 + 2.2e-16}, "high", "too narrow to draw from"),
])
def test_shapes_beyond_the_range_are_refused_saying_it(kind, args, key, fragment):
    problems = check_distribution(kind, args)
    assert any(k == key and fragment in what + "; " + hint for k, what, hint in problems), problems


# ---------------------------------------------------------------------------
# check_distribution: one row per mistake class


@pytest.mark.parametrize("kind, args, bounds, key, fragment", [
    ("pert", {"low": 1, "mode": 3, "high": 2}, None, "mode", "mode 3 is above high 2"),
    ("triangular", {"low": 1, "mode": 0, "high": 2}, None, "mode", "mode 0 is below low 1"),
    ("pert", {"low": 2, "mode": 2, "high": 2}, None, "high", "high 2 is not above low 2"),
    ("uniform", {"low": 5, "high": 1}, None, "high", "high 1 is not above low 5"),
    ("normal", {"ci90": [6, 2]}, None, "ci90", "ci90 [6, 2] is not increasing"),
    ("lognormal", {"ci90": [0, 10]}, None, "ci90", "a lognormal is positive"),
    ("lognormal", {"ci90": [-5, 10]}, None, "ci90", "reaches -5"),
    ("normal", {"mu": 0, "sigma": 0}, None, "sigma", "sigma 0 is not positive"),
    ("lognormal", {"mu": 0, "sigma": -1}, None, "sigma", "sigma -1 is not positive"),
    ("bernoulli", {"p": 1.5}, None, "p", "p 1.5 is not a probability"),
    ("bernoulli", {"p": -0.1}, None, "p", "p -0.1 is not a probability"),
    ("beta", {"a": 0, "b": 1}, None, "a", "a 0 is not positive"),
    ("beta", {"a": 1, "b": -2}, None, "b", "b -2 is not positive"),
    ("gamma", {"shape": -1, "scale": 1}, None, "shape", "shape -1 is not positive"),
    ("gamma", {"shape": 1, "scale": 0}, None, "scale", "scale 0 is not positive"),
    ("pert", {"low": 0, "mode": 1, "high": 2, "lamb": -1}, None, "lamb", "lamb -1 is negative"),
    ("discrete", {"values": [1, 2], "weights": [1, -1]}, None, "weights", "weight -1 is negative"),
    ("discrete", {"values": [1, 2], "weights": [0, 0]}, None, "weights", "weights sum to 0"),
    ("discrete", {"values": [1, 2], "weights": [1]}, None, "weights", "1 weight for 2 values"),
    ("discrete", {"values": []}, None, "values", "values is empty"),
    ("pert", {"low": 0, "high": 2}, None, "mode", "missing 'mode'"),
    ("normal", {"mu": 0}, None, "sigma", "missing 'sigma'"),
    ("normal", {}, None, "dist", "normal needs mu and sigma, or ci90"),
    ("normal", {"mu": 0, "sigma": 1, "ci90": [1, 2]}, None, "ci90", "cannot be combined with mu and sigma"),
    ("triangular", {"low": 0, "mode": 1, "high": 2, "lamb": 4}, None, "lamb", "'lamb' does not apply to triangular"),
    ("normel", {"mu": 0, "sigma": 1}, None, "dist", "unknown distribution 'normel'"),
    ("normal", {"mu": "zero", "sigma": 1}, None, "mu", "mu is 'zero', not a number"),
    ("normal", {"mu": True, "sigma": 1}, None, "mu", "not a number"),
    ("normal", {"mu": float("nan"), "sigma": 1}, None, "mu", "not a finite number"),
    ("normal", {"ci90": [1, 2, 3]}, None, "ci90", "not a pair"),
    ("discrete", {"values": [1, "two"]}, None, "values", "'two', not a finite number"),
    ("normal", {"mu": 0, "sigma": 1}, (40, None), "bounds", "bounds [40, null] leave no probability mass"),
    ("uniform", {"low": 0, "high": 1}, (2, 3), "bounds", "leave no probability mass"),
    ("lognormal", {"ci90": [1, 2]}, (-5, 0), "bounds", "leave no probability mass"),
    ("discrete", {"values": [1, 2]}, (3, None), "bounds", "leave no probability mass"),
    ("normal", {"mu": 0, "sigma": 1}, (2, 1), "bounds", "bounds [2, 1]: 2 is not below 1"),
    ("normal", {"mu": 0, "sigma": 1}, (1, 1), "bounds", "1 is not below 1"),
    ("normal", {"mu": 0, "sigma": 1}, (0,), "bounds", "is not a pair"),
    ("normal", {"mu": 0, "sigma": 1}, ("low", 1), "bounds", "'low', not a number"),
])
def test_check_distribution_names_key_and_mistake(kind, args, bounds, key, fragment):
    problems = check_distribution(kind, args, bounds)
    assert any(k == key and fragment in what for k, what, hint in problems), problems


@pytest.mark.parametrize("kind, args, hint_fragment", [
    ("normel", {"mu": 0, "sigma": 1}, "did you mean 'normal'?"),
    ("pert", {"low": 0, "mode": 1, "high": 2, "lam": 3}, "did you mean 'lamb'? pert takes low, mode, high; optional: lamb"),
    ("pert", {"low": 1, "mode": 3, "high": 2}, "need low ≤ mode ≤ high"),
    ("normal", {"mu": 0}, "normal takes mu and sigma, or ci90"),
])
def test_check_distribution_hints(kind, args, hint_fragment):
    problems = check_distribution(kind, args)
    assert any(hint_fragment in hint for _, _, hint in problems), problems


def test_bounds_hint_states_where_the_mass_is():
    [(key, what, hint)] = check_distribution("normal", {"mu": 0, "sigma": 1}, (40, None))
    assert "90% in [-1.645, 1.645]" in what and hint


@pytest.mark.parametrize("kind, args, bounds", [
    ("normal", {"ci90": [700, 1500]}, None), ("lognormal", {"mu": 7, "sigma": 0.2}, (None, 2000)),
    ("pert", {"low": 1, "mode": 1, "high": 2}, None), ("pert", {"low": 1, "mode": 2, "high": 2, "lamb": 0}, None),
    ("discrete", {"values": (1, 2), "weights": (0, 1)}, None), ("bernoulli", {"p": 0}, None),
    ("constant", {"value": 3}, (3, 4)), ("normal", {"mu": 0, "sigma": 1}, (0, float("inf"))),
    ("gamma", {"shape": 2, "scale": 1}, (None, None)),
])
def test_check_distribution_accepts_valid(kind, args, bounds):
    assert check_distribution(kind, args, bounds) == []


def test_gamma_table_is_shared_across_scales_with_the_same_numbers():
    """One table per shape: Gamma(k, s) draws what a table built for that very distribution gives."""
    import numpy as np

    from riskmodel._dist_tabulated import FAST_PPF_TOLERANCE, Gamma, _build_table, _gamma_table

    u = np.random.default_rng(4).random(20000)
    for scale in (1.0, 3.5, 1e4):
        g = Gamma(shape=2.0, scale=scale)
        own = _build_table(g._exact_z, g._z_error, FAST_PPF_TOLERANCE)
        assert g._table is _gamma_table(2.0)
        np.testing.assert_array_equal(g._from_z(g._table(np.log(u / (1 - u)))), g._from_z(own(np.log(u / (1 - u)))))
        np.testing.assert_allclose(g.ppf(u), g.exact_ppf(u), rtol=1e-8)
