"""Tests for riskmodel.sampling: streams, designs, rank correlation, correlation repair."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from riskmodel.sampling import (
    KIND_CODE,
    METHODS,
    impose_rank_correlation,
    is_positive_definite,
    nearest_correlation,
    smallest_eigenvalue,
    spearman_to_pearson,
    stable_hash,
    stream,
    uniforms,
)

NAMES = ["wagner_fighters", "abuse_rate", "vacuum_attack_multiplier"]


# ---------------------------------------------------------------------------
# streams


def test_stream_is_keyed_as_documented():
    """SeedSequence(seed, spawn_key=(block, kind code, 64-bit hash of the UTF-8 name)), SFC64."""
    name = "wagner_fighters"
    h = int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")
    expected = np.random.Generator(np.random.SFC64(np.random.SeedSequence(20240101, spawn_key=(2, 0, h))))
    assert np.array_equal(stream(20240101, 2, "parameter", name).random(5), expected.random(5))
    assert KIND_CODE == {"parameter": 0, "state": 1, "design": 2, "correlation": 3}


def test_stream_values_are_pinned():
    """Regression values: a change here changes every result ever published with riskmodel."""
    # SFC64 streams since 0.2.0 (PCG64 gave 0.31151983073782363, 0.7140624891311607 and 0.71289789583099)
    assert stream(20240101, 0, "parameter", "wagner_fighters").random(2).tolist() == [
        0.21396288042531997, 0.1622809475888113]
    assert stream(20240101, 3, "state", "idps").random() == 0.34925052925636135


def test_stable_hash_does_not_depend_on_the_process():
    """Another interpreter with another string-hash salt gives the same hashes."""
    path = Path(__file__).resolve().parents[1] / "riskmodel" / "sampling.py"
    code = (  # load sampling.py alone (it has no package imports): quicker than importing riskmodel
        "import importlib.util as u; s = u.spec_from_file_location('s', r'%s'); m = u.module_from_spec(s); "
        "s.loader.exec_module(m); print(m.stable_hash('wagner_fighters'), m.stable_hash('é'))" % path
    )
    salt = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONHASHSEED=salt))
    assert out.stdout == f"{stable_hash('wagner_fighters')} {stable_hash('é')}\n"
    assert 0 <= stable_hash("x") < 2**64


def test_streams_differ_by_block_kind_name_and_seed():
    base = stream(1, 0, "parameter", "x").random(4)
    for other in (stream(1, 1, "parameter", "x"), stream(1, 0, "state", "x"), stream(1, 0, "parameter", "y"),
                  stream(2, 0, "parameter", "x")):
        assert not np.array_equal(base, other.random(4))


@pytest.mark.parametrize("args, match", [
    ((1, 0, "paramter", "x"), "unknown stream kind 'paramter'; kinds: parameter, state, design, correlation"),
    ((-1, 0, "parameter", "x"), "seed must be a whole number"),
    ((1, -2, "parameter", "x"), "block must be a whole number"),
    ((1.5, 0, "parameter", "x"), "seed must be a whole number"),
])
def test_stream_rejects_bad_keys(args, match):
    with pytest.raises(ValueError, match=match):
        stream(*args)


# ---------------------------------------------------------------------------
# designs


@pytest.mark.parametrize("method", METHODS)
def test_uniforms_shape_open_interval_and_reproducible(method):
    u = uniforms(method, NAMES, 1000, seed=5, block=0)
    assert u.shape == (1000, 3)
    assert u.min() > 0 and u.max() < 1
    assert np.array_equal(u, uniforms(method, NAMES, 1000, seed=5, block=0))  # same seed, same output
    assert not np.array_equal(u, uniforms(method, NAMES, 1000, seed=5, block=1))  # other block, other output
    assert not np.array_equal(u, uniforms(method, NAMES, 1000, seed=6, block=0))
    # each column is uniform: Kolmogorov-Smirnov at the 1e-4 level (a fixed seed, so not flaky)
    for j in range(3):
        assert stats.kstest(u[:, j], "uniform").pvalue > 1e-4


def test_lhs_one_draw_per_stratum_in_every_column():
    n = 997
    u = uniforms("lhs", NAMES, n, seed=11, block=4)
    for j in range(u.shape[1]):
        assert np.array_equal(np.sort(np.floor(u[:, j] * n).astype(int)), np.arange(n))


def test_lhs_stays_inside_the_open_interval_for_tiny_n():
    # (k + r) / n can round up to exactly 1.0 in floating point for small n; the design must not
    for seed in range(200):
        u = uniforms("lhs", ["a"], 3, seed=seed, block=0)
        assert u.min() > 0 and u.max() < 1


@pytest.mark.parametrize("method", ["mc", "lhs"])
def test_columns_do_not_move_when_a_parameter_is_added(method):
    """Common random numbers: a column depends on its parameter's name only."""
    u = uniforms(method, ["a", "b"], 500, seed=3, block=2)
    v = uniforms(method, ["new", "b", "a", "other"], 500, seed=3, block=2)
    assert np.array_equal(u[:, 0], v[:, 2]) and np.array_equal(u[:, 1], v[:, 1])


def test_mc_column_is_its_parameter_stream():
    u = uniforms("mc", NAMES, 100, seed=9, block=7)
    assert np.array_equal(u[:, 1], stream(9, 7, "parameter", "abuse_rate").random(100))


def test_sobol_one_point_per_bin_at_powers_of_two():
    n = 2**10
    u = uniforms("sobol", [f"p{j}" for j in range(6)], n, seed=2, block=0)
    for j in range(6):  # every 1-D projection of a Sobol sequence is a (0, m, 1)-net
        assert np.array_equal(np.bincount(np.floor(u[:, j] * n).astype(int), minlength=n), np.ones(n, int))


@pytest.mark.parametrize("m1", [0, 2, 4, 6, 8])
def test_sobol_first_two_dimensions_are_a_0_m_2_net(m1):
    """2**8 points: every box of 2**-m1 x 2**-(8-m1) holds exactly one point (scrambling keeps this)."""
    m = 8
    u = uniforms("sobol", ["a", "b"], 2**m, seed=4, block=1)
    cells = np.floor(u[:, 0] * 2**m1).astype(int) * 2 ** (m - m1) + np.floor(u[:, 1] * 2 ** (m - m1)).astype(int)
    assert np.array_equal(np.bincount(cells, minlength=2**m), np.ones(2**m, int))


def test_sobol_for_other_n_takes_the_first_points_of_the_next_power_of_two():
    u = uniforms("sobol", ["a", "b"], 1000, seed=4, block=1)
    full = uniforms("sobol", ["a", "b"], 1024, seed=4, block=1)
    assert np.array_equal(u, full[:1000])
    assert np.array_equal(uniforms("sobol", ["a"], 0, seed=1, block=0), np.empty((0, 1)))


def test_unknown_method_lists_methods():
    with pytest.raises(ValueError, match="unknown sampling method 'latin'; methods: mc, lhs, sobol"):
        uniforms("latin", NAMES, 10, seed=1, block=0)


# ---------------------------------------------------------------------------
# rank correlation


TARGET = np.array([
    [1.0, 0.6, -0.3, 0.0],
    [0.6, 1.0, 0.2, 0.0],
    [-0.3, 0.2, 1.0, 0.0],
    [0.0, 0.0, 0.0, 1.0],
])


def test_spearman_to_pearson():
    assert spearman_to_pearson(np.array([-1.0, 0.0, 1.0])).tolist() == pytest.approx([-1.0, 0.0, 1.0], abs=1e-15)
    # the inverse of Pearson's rho_s = (6 / pi) asin(rho / 2)
    assert 6 / np.pi * np.arcsin(spearman_to_pearson(0.4) / 2) == pytest.approx(0.4, rel=1e-14)


def test_iman_conover_reaches_target_within_standard_error():
    n = 20_000
    u = uniforms("lhs", ["a", "b", "c", "d"], n, seed=1, block=0)
    v = impose_rank_correlation(u, TARGET, stream(1, 0, "correlation", "iman-conover"))
    rho = stats.spearmanr(v).statistic
    # standard error of a Spearman coefficient, roughly (1 - rho^2) / sqrt(n - 1); 4 se allowed
    se = (1 - TARGET**2) / np.sqrt(n - 1)
    off = ~np.eye(4, dtype=bool)
    assert np.all(np.abs(rho - TARGET)[off] <= 4 * se[off] + 1e-12), rho


def test_iman_conover_keeps_every_columns_values_and_lhs_strata():
    n = 5000
    u = uniforms("lhs", ["a", "b", "c", "d"], n, seed=2, block=0)
    v = impose_rank_correlation(u, TARGET, stream(2, 0, "correlation", "iman-conover"))
    for j in range(4):
        assert np.array_equal(np.sort(v[:, j]), np.sort(u[:, j]))  # the same values, only re-paired
        assert np.array_equal(np.sort(np.floor(v[:, j] * n).astype(int)), np.arange(n))
    assert np.array_equal(v[:, 3], u[:, 3])  # an uncorrelated column is left exactly as drawn
    assert not np.array_equal(v[:, 0], u[:, 0])


def test_iman_conover_is_reproducible_and_leaves_input_alone():
    u = uniforms("mc", ["a", "b", "c", "d"], 300, seed=3, block=0)
    before = u.copy()
    a = impose_rank_correlation(u, TARGET, np.random.default_rng(5))
    b = impose_rank_correlation(u, TARGET, np.random.default_rng(5))
    assert np.array_equal(a, b) and np.array_equal(u, before)


def test_iman_conover_with_too_few_rows_returns_the_input():
    u = uniforms("mc", ["a", "b", "c", "d"], 2, seed=3, block=0)
    assert np.array_equal(impose_rank_correlation(u, TARGET, np.random.default_rng(0)), u)


@pytest.mark.parametrize("target, match", [
    (np.array([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]), "not positive definite"),
    (np.array([[1, 0.5, 0], [0.4, 1, 0], [0, 0, 1]]), "not symmetric"),
    (np.array([[2, 0.5, 0], [0.5, 1, 0], [0, 0, 1]]), "unit diagonal"),
    (np.eye(2), r"target must be \(3, 3\)"),
])
def test_iman_conover_rejects_bad_targets(target, match):
    with pytest.raises(ValueError, match=match):
        impose_rank_correlation(np.random.default_rng(0).random((50, 3)), target, np.random.default_rng(0))


# ---------------------------------------------------------------------------
# correlation matrix checks and repair


def test_nearest_correlation_matches_higham_2002_example():
    """Higham (2002), section 4: the nearest correlation matrix to tridiag(-1, 2, -1), 4 decimals."""
    a = np.array([[2, -1, 0, 0], [-1, 2, -1, 0], [0, -1, 2, -1], [0, 0, -1, 2]], dtype=float)
    expected = np.array([
        [1.0000, -0.8084, 0.1916, 0.1068],
        [-0.8084, 1.0000, -0.6562, 0.1916],
        [0.1916, -0.6562, 1.0000, -0.8084],
        [0.1068, 0.1916, -0.8084, 1.0000],
    ])
    assert np.allclose(nearest_correlation(a, min_eigenvalue=0.0), expected, atol=1e-4)  # published to 4 decimals


def test_nearest_correlation_repairs_a_slightly_invalid_matrix():
    m = np.array([[1, 0.6, 0.6, 0.0], [0.6, 1, 0.6, -0.7], [0.6, 0.6, 1, 0.5], [0.0, -0.7, 0.5, 1]])
    assert not is_positive_definite(m) and smallest_eigenvalue(m) < 0
    near = nearest_correlation(m)
    assert is_positive_definite(near)
    assert smallest_eigenvalue(near) >= 1e-6 * (1 - 1e-6)
    assert np.array_equal(np.diag(near), np.ones(4)) and np.array_equal(near, near.T)
    assert np.abs(near - m).max() < 0.15  # a nearby matrix, not a distant one
    # usable as a target, although its normal-score matrix 2 sin(pi rho / 6) is not positive definite
    # (the Pearson side is repaired in turn, moving entries by at most ~0.02)
    assert not is_positive_definite(spearman_to_pearson(near))
    n = 20_000
    v = impose_rank_correlation(uniforms("lhs", list("abcd"), n, seed=1, block=0), near, np.random.default_rng(1))
    se = 1 / np.sqrt(n - 1)  # the largest Spearman standard error, at rho = 0
    assert np.abs(stats.spearmanr(v).statistic - near).max() < 4 * se + 0.02


def test_nearest_correlation_leaves_a_valid_matrix_unchanged():
    m = TARGET.copy()
    assert is_positive_definite(m)
    assert np.array_equal(nearest_correlation(m), m)


def test_is_positive_definite_and_smallest_eigenvalue():
    assert is_positive_definite(np.eye(3))
    assert not is_positive_definite(np.ones((2, 2)))  # singular
    assert not is_positive_definite(np.array([[1, 0.5], [0.4, 1]]))  # not symmetric
    # eigenvalues of [[1, r], [r, 1]] are 1 ± r
    assert smallest_eigenvalue([[1, 0.3], [0.3, 1]]) == pytest.approx(0.7, rel=1e-14)
