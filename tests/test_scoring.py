"""Scoring rules against hand-computed values and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from riskmodel import scoring


# ---------------------------------------------------------------------------- Brier and log scores


def test_brier_hand_computed():
    # (0.8 - 1)^2, (0.3 - 0)^2, (0.5 - 1)^2, (0.1 - 0)^2
    got = scoring.brier_score([0.8, 0.3, 0.5, 0.1], [1, 0, 1, 0])
    np.testing.assert_allclose(got, [0.04, 0.09, 0.25, 0.01], rtol=0, atol=1e-15)
    assert scoring.brier_score(0.8, True) == pytest.approx(0.04, abs=1e-15)


def test_perfect_forecast_scores_zero_and_half_scores_a_quarter():
    np.testing.assert_array_equal(scoring.brier_score([1.0, 0.0], [1, 0]), [0.0, 0.0])
    np.testing.assert_array_equal(scoring.log_score([1.0, 0.0], [1, 0]), [0.0, 0.0])
    np.testing.assert_array_equal(scoring.brier_score([0.5, 0.5], [1, 0]), [0.25, 0.25])
    np.testing.assert_allclose(scoring.log_score([0.5, 0.5], [1, 0]), [math.log(2)] * 2, rtol=1e-15)


def test_log_score_hand_computed():
    # -ln 0.8, -ln(1 - 0.3), -ln 0.5, -ln(1 - 0.9)
    got = scoring.log_score([0.8, 0.3, 0.5, 0.9], [1, 0, 1, 0])
    want = [0.22314355131420976, 0.35667494393873245, 0.6931471805599453, 2.3025850929940455]
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_log_score_clips_monte_carlo_probabilities_by_half_the_resolution():
    # n = 5000 paths: p clipped to [1/10000, 1 - 1/10000]
    np.testing.assert_allclose(scoring.clip_probability([0.0, 0.3, 1.0], 5000), [1e-4, 0.3, 1 - 1e-4])
    got = scoring.log_score([0.0, 1.0, 0.0, 0.3], [1, 0, 0, 1], n_samples=5000)
    np.testing.assert_allclose(got, [math.log(10_000), math.log(10_000), -math.log(1 - 1e-4), -math.log(0.3)],
                               rtol=1e-12)
    # without n_samples a certain forecast that is wrong scores infinity
    assert np.isinf(scoring.log_score([0.0], [1])[0])


def test_scores_refuse_impossible_inputs():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        scoring.brier_score([1.2], [1])
    with pytest.raises(ValueError, match="0/1"):
        scoring.brier_score([0.2], [2])
    with pytest.raises(ValueError, match="n_samples"):
        scoring.clip_probability([0.2], 0)


def test_mc_errors_by_delta_method():
    # Brier: |2 (p - y)| se; log: se / p (happened) or se / (1 - p)
    np.testing.assert_allclose(scoring.brier_mc_error([0.8, 0.3], [1, 0], [0.01, 0.02]), [0.004, 0.012])
    np.testing.assert_allclose(scoring.log_score_mc_error([0.8, 0.3], [1, 0], [0.01, 0.02], n_samples=1000),
                               [0.01 / 0.8, 0.02 / 0.7])


def test_skill_score():
    assert scoring.skill_score(0.1, 0.25) == pytest.approx(0.6)
    assert scoring.skill_score(0.25, 0.25) == 0.0
    assert scoring.skill_score(0.5, 0.25) == pytest.approx(-1.0)


# ---------------------------------------------------------------------------- CRPS


def _crps_normal(mu: float, sigma: float, y: float) -> float:
    """Closed form (Gneiting and Raftery 2007, eq. 21): sigma [z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)]."""
    z = (y - mu) / sigma
    return sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi))


def _mean_abs_to_normal(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """E|x - X'| for X' ~ N(mu, sigma): sigma [z (2 Phi(z) - 1) + 2 phi(z)], z = (x - mu) / sigma."""
    z = (x - mu) / sigma
    return sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z))


@pytest.mark.parametrize("mu, sigma, y", [(0.0, 1.0, 0.3), (10.0, 2.5, 4.0), (-3.0, 0.5, -3.0), (100.0, 20.0, 190.0)])
def test_crps_of_normal_samples_matches_closed_form(mu, sigma, y):
    n = 20_000
    x = np.random.default_rng(20240101).normal(mu, sigma, size=n)
    got = scoring.crps_samples(x, y)
    want = _crps_normal(mu, sigma, y)
    # Tolerance from the sample size: the fair estimator is a U-statistic whose first-order (Hajek) projection is
    # mean_i(|x_i - y| - E|x_i - X'|), so its standard error is sd(|x - y| - E|x - X'|) / sqrt(n); allow 4 of them
    # (at n = 20,000 that is 0.001 to 0.03 sigma over these cases).
    se = np.std(np.abs(x - y) - _mean_abs_to_normal(x, mu, sigma)) / math.sqrt(n)
    assert abs(got - want) < 4 * se, (got, want, se)


def test_crps_is_the_fair_estimator_without_an_n_by_n_matrix():
    rng = np.random.default_rng(5)
    x, y = rng.gamma(2.0, 3.0, size=300), 4.0
    fair = np.abs(x - y).mean() - np.abs(x[:, None] - x[None, :]).sum() / (2 * 300 * 299)  # brute force
    assert scoring.crps_samples(x, y) == pytest.approx(fair, rel=1e-12)
    # a million paths: one sort (an n-by-n matrix would need 8 TB)
    big = rng.normal(size=1_000_000)
    assert scoring.crps_samples(big, 0.3) == pytest.approx(_crps_normal(0.0, 1.0, 0.3), abs=0.003)


def test_crps_hand_computed_and_vectorised():
    # fair estimator: mean|x - y| - sum_{i != j}|x_i - x_j| / (2 n (n - 1)) = 1 - 8/12
    assert scoring.crps_samples([0.0, 1.0, 2.0], 0.0) == pytest.approx(1 / 3, abs=1e-12)
    # a point mass scores the absolute error
    assert scoring.crps_samples([5.0, 5.0, 5.0], 2.0) == pytest.approx(3.0, abs=1e-12)
    both = scoring.crps_samples(np.array([[0.0, 1.0, 2.0], [5.0, 5.0, 5.0]]), np.array([0.0, 2.0]))
    np.testing.assert_allclose(both, [1 / 3, 3.0], atol=1e-12)
    with pytest.raises(ValueError, match="NaN"):
        scoring.crps_samples([0.0, np.nan], 0.0)
    with pytest.raises(ValueError, match="two samples"):
        scoring.crps_samples([1.0], 0.0)


# ---------------------------------------------------------------------------- PIT


def test_pit_hand_computed_with_ties():
    assert float(scoring.pit([1, 2, 3, 4], 2.5)) == 0.5
    low, high = scoring.pit_interval([1, 1, 2, 2], 1)
    assert (float(low), float(high)) == (0.0, 0.5)
    assert float(scoring.pit([1, 1, 2, 2], 1)) == 0.25  # the interval's midpoint
    drawn = scoring.pit(np.tile([1, 1, 2, 2], (1000, 1)), np.ones(1000), rng=np.random.default_rng(0))
    assert drawn.min() >= 0.0 and drawn.max() <= 0.5 and 0.2 < drawn.mean() < 0.3


KS_LEVEL = 0.01  # reject uniformity when the Kolmogorov-Smirnov p-value is below 1%


def test_pit_is_uniform_for_outcomes_drawn_from_the_forecast():
    rng = np.random.default_rng(7)
    k, n = 400, 2000  # 400 forecasts of 2000 samples each
    mu = rng.uniform(-50, 50, size=k)
    sigma = rng.uniform(0.5, 20, size=k)
    samples = rng.normal(mu[:, None], sigma[:, None], size=(k, n))
    outcomes = rng.normal(mu, sigma)  # each outcome from its own forecast
    pits = scoring.pit(samples, outcomes)
    assert stats.kstest(pits, "uniform").pvalue > KS_LEVEL
    # the check has power: forecasts three times too narrow are caught
    narrow = mu[:, None] + (samples - mu[:, None]) / 3
    assert stats.kstest(scoring.pit(narrow, outcomes), "uniform").pvalue < KS_LEVEL


def test_randomised_pit_is_uniform_for_count_forecasts():
    rng = np.random.default_rng(11)
    k, n = 400, 2000
    lam = rng.uniform(1, 8, size=k)
    samples = rng.poisson(lam[:, None], size=(k, n))
    outcomes = rng.poisson(lam)
    pits = scoring.pit(samples, outcomes, rng=np.random.default_rng(12))
    assert stats.kstest(pits, "uniform").pvalue > KS_LEVEL


# ---------------------------------------------------------------------------- reliability


def test_reliability_table_hand_computed():
    p = [0.1, 0.15, 0.2, 0.7, 0.8, 0.9, 0.95, 0.05, 0.6, 0.65]
    y = [0, 0, 1, 1, 1, 0, 1, 0, 1, 1]
    table = scoring.reliability_table(p, y)  # 10 forecasts: 2 bins
    assert list(table["n"]) == [4, 6]
    np.testing.assert_allclose(table["mean_forecast"], [0.125, (0.7 + 0.8 + 0.9 + 0.95 + 0.6 + 0.65) / 6])
    np.testing.assert_allclose(table["observed_frequency"], [0.25, 5 / 6])
    assert (table["ci_low"] <= table["observed_frequency"]).all()
    assert (table["observed_frequency"] <= table["ci_high"]).all()
    # bins [0, 0.1), [0.1, 0.2), ... : 0.05 | 0.1 0.15 | 0.2 | 0.6 0.65 | 0.7 | 0.8 | 0.9 0.95
    assert list(scoring.reliability_table(p, y, n_bins=10)["n"]) == [1, 2, 1, 2, 1, 1, 2]


def test_crps_of_huge_values_is_the_scaled_score_not_inf():
    # CRPS(cX, cy) = c CRPS(X, y): at 1e300 the estimator's sums overflowed to inf for a finite score
    x = np.random.default_rng(4).normal(4.0, 1.0, 400)
    base = scoring.crps_samples(x, 3.1)
    assert scoring.crps_samples(x * 1e300, 3.1e300) == pytest.approx(1e300 * base, rel=1e-12)
    # far outside the forecast the score is |y - mean| to within the spread: finite, not inf
    assert scoring.crps_samples(x, 1.7e308) == pytest.approx(1.7e308, rel=1e-12)


def test_crps_mc_error_by_hand_and_against_replications():
    """The standard error is the sd of the U-statistic's projection over sqrt(n): by hand on four values, and
    against the spread of 800 independent estimates (n = 400 normal draws each). The spread's own relative error
    is 1/sqrt(2 x 800) = 2.5%; the projection is first-order, so the two agree within 10% (4 of those errors)."""
    from riskmodel.scoring import crps_mc_error

    h = np.array([-0.5, -5 / 6, -5 / 6, -0.5])  # |x - 1.5| minus each value's mean distance to the other three
    assert crps_mc_error([3.0, 0.0, 2.0, 1.0], 1.5) == pytest.approx(h.std(ddof=1) / 2, rel=1e-12)
    rng = np.random.default_rng(1)
    draws = [rng.normal(size=400) for _ in range(800)]
    spread = np.std([scoring.crps_samples(x, 0.3) for x in draws], ddof=1)
    stated = np.mean([crps_mc_error(x, 0.3) for x in draws])
    assert stated == pytest.approx(spread, rel=0.10)
    assert crps_mc_error([1e300, -1e300, 5e299], 0.0) > 0  # the scaled sums do not overflow to inf or nan
    x = rng.normal(size=100)
    assert crps_mc_error(7.0 * x, 2.1) == pytest.approx(7.0 * crps_mc_error(x, 0.3), rel=1e-12)  # the output's unit
