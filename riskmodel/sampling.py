"""Uniform designs, random streams and rank correlation for the parameter draws.

Every random number in a run comes from a stream keyed by
``(seed, block, kind, name)`` (:func:`stream`): paths are grouped in blocks of
a fixed size, each block seeded from the run's seed by its index, and within a
block every parameter, state, joint design and correlation step has its own
stream keyed by its name. So the numbers depend only on (scenario, seed,
samples), never on how many blocks run at once or where, and adding a
parameter leaves the other parameters' draws unchanged.

:func:`uniforms` draws an ``(n, d)`` design in the open interval (0, 1) by
plain Monte Carlo, Latin hypercube or scrambled Sobol;
:func:`impose_rank_correlation` reorders its columns to approach a target
Spearman matrix by the method of Iman and Conover, which keeps every column's
own set of values (so marginals and Latin hypercube strata are untouched);
:func:`nearest_correlation` repairs a matrix that is not a correlation matrix
(Higham's alternating projections).

References
----------
.. [1] R. L. Iman and W. J. Conover, "A distribution-free approach to inducing
   rank correlation among input variables", Communications in Statistics -
   Simulation and Computation 11(3), 311-334, 1982.
.. [2] N. J. Higham, "Computing the nearest correlation matrix - a problem
   from finance", IMA Journal of Numerical Analysis 22(3), 329-343, 2002.
.. [3] K. Pearson, "Mathematical contributions to the theory of evolution.
   XVI. On further methods of determining correlation", 1907: for a bivariate
   normal, Spearman's rho_s = (6/pi) asin(rho/2).
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

__all__ = [
    # streams
    "KIND_CODE", "stable_hash", "stream",
    # designs
    "METHODS", "uniforms", "uniform_column", "COLUMNWISE", "check_distinct_streams",
    # correlation
    "impose_rank_correlation", "spearman_to_pearson", "nearest_correlation", "is_positive_definite",
    "smallest_eigenvalue",
]

#: Stream kinds and their code in the ``SeedSequence`` spawn key. Fixed: changing
#: a code changes every number drawn under that kind.
KIND_CODE = {"parameter": 0, "state": 1, "design": 2, "correlation": 3}

#: Sampling methods accepted by :func:`uniforms`.
METHODS = ("mc", "lhs", "sobol")

_SOBOL_BITS = 30  # scipy's default: Sobol points are multiples of 2**-30
_U_MIN = 2.0**-53  # uniforms are kept in [2**-53, 1 - 2**-53], inside (0, 1)
_U_MAX = 1.0 - 2.0**-53


def stable_hash(name: str) -> int:
    """A 64-bit hash of ``name``'s UTF-8 bytes, the same in every process (collisions ~1e-16 for 100 names).

    Python's ``hash()`` of a string is salted per process and unusable here.

    Examples
    --------
    >>> stable_hash("wagner_fighters") == stable_hash("wagner_fighters")
    True
    >>> 0 <= stable_hash("é") < 2**64
    True
    """
    digest = hashlib.blake2b(str(name).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def stream(seed: int, block: int, kind: str, name: str) -> np.random.Generator:
    """The random stream of one named quantity in one block of paths.

    Parameters
    ----------
    seed : int
        The run's seed, ≥ 0.
    block : int
        Index of the block of paths, ≥ 0.
    kind : str
        ``"parameter"``, ``"state"``, ``"design"`` (joint designs such as
        Sobol) or ``"correlation"``.
    name : str
        The parameter's or state's name (or the design's).

    Returns
    -------
    numpy.random.Generator
        SFC64 seeded by ``SeedSequence(seed, spawn_key=(block,
        KIND_CODE[kind], stable_hash(name)))``: NumPy's fastest bit
        generator (its Poisson draws, most of a typical run, about 10%
        faster than PCG64's here); each stream has a 64-bit counter, so two
        streams cannot meet within 2**64 draws. riskmodel 0.1.0 drew from
        PCG64 streams: a seed gave other numbers there (``run.json``
        records the version and the bit generator).

    Raises
    ------
    ValueError
        For an unknown ``kind``, or a negative ``seed`` or ``block``.

    Examples
    --------
    >>> a = stream(1, 0, "parameter", "x").random(3)
    >>> bool((a == stream(1, 0, "parameter", "x").random(3)).all())
    True
    """
    if kind not in KIND_CODE:
        raise ValueError(f"unknown stream kind {kind!r}; kinds: {', '.join(KIND_CODE)}")
    seed, block = _nonnegative_int("seed", seed), _nonnegative_int("block", block)
    seq = np.random.SeedSequence(entropy=seed, spawn_key=(block, KIND_CODE[kind], stable_hash(name)))
    return np.random.Generator(BIT_GENERATOR(seq))


BIT_GENERATOR = np.random.SFC64  # every stream's (run.json names it)


def _nonnegative_int(what: str, value) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{what} must be a whole number ≥ 0, got {value!r}")
    return int(value)


def uniforms(method: str, names: Sequence[str], n: int, *, seed: int, block: int) -> np.ndarray:
    """An ``(n, len(names))`` design of uniforms in the open interval (0, 1).

    Parameters
    ----------
    method : str
        ``"mc"``: column ``j`` is ``stream(seed, block, "parameter",
        names[j]).random(n)``. ``"lhs"``: Latin hypercube, each column from its
        own parameter stream, ``(permutation(n) + random(n)) / n``, so every
        column has exactly one value in each stratum ``[k/n, (k+1)/n)``.
        ``"sobol"``: scrambled Sobol points (``scipy.stats.qmc.Sobol``),
        scrambled by ``stream(seed, block, "design", "sobol")``; balanced
        when ``n`` is a power of two. For other ``n`` the first ``n`` points
        of the next power of two are taken, which loses the exact balance
        (each column is still close to stratified). Sobol points lie on the
        grid ``k / 2**30``; each is moved to the middle of its grid cell,
        ``(k + 1/2) / 2**30``, which keeps every point in its cell and the
        design inside (0, 1).
    names : sequence of str
        The sampled parameters, one column each.
    n : int
        Number of paths (rows).
    seed, block : int
        As for :func:`stream`.

    Returns
    -------
    ndarray of float, shape (n, len(names))
        Every value in ``[2**-53, 1 - 2**-53]``; in column-major (Fortran) order, so that a
        parameter's column is contiguous for its inverse CDF.

    Notes
    -----
    With ``mc`` and ``lhs`` a column depends only on its parameter's name, so
    adding or reordering parameters leaves the other columns unchanged
    (common random numbers across scenario variants). A Sobol design is
    joint: its columns depend on the order and number of ``names``.

    Raises
    ------
    ValueError
        For an unknown method, a negative ``n``, or two names that share a
        stream (a 64-bit hash collision, never seen in practice: rename one).

    Examples
    --------
    >>> u = uniforms("lhs", ["a", "b"], 4, seed=1, block=0)
    >>> u.shape, sorted((u[:, 0] * 4).astype(int).tolist())
    ((4, 2), [0, 1, 2, 3])
    """
    if method not in METHODS:
        raise ValueError(f"unknown sampling method {method!r}; methods: {', '.join(METHODS)}")
    n = _nonnegative_int("n", n)
    names = list(names)
    check_distinct_streams(names)
    d = len(names)
    out = np.empty((n, d), order="F")  # column by column: each parameter's values contiguous
    if method in COLUMNWISE:
        for j, name in enumerate(names):
            _column_into(method, stream(seed, block, "parameter", name), out[:, j])
    else:
        if n and d:
            from ._sobol_points import scrambled_sobol  # scipy's points, without importing scipy.stats

            m = max(0, int(np.ceil(np.log2(n))))
            points = scrambled_sobol(d, m, stream(seed, block, "design", "sobol"), bits=_SOBOL_BITS)[:n]
            out[:] = points + 2.0 ** -(_SOBOL_BITS + 1)
    return np.clip(out, _U_MIN, _U_MAX, out=out)


# ---------------------------------------------------------------------------
# correlation


def check_distinct_streams(names: Sequence[str]) -> None:
    """Raise ValueError when two names share a random stream (a 64-bit hash collision)."""
    hashes: dict = {}
    for name in names:
        other = hashes.setdefault(stable_hash(name), name)
        if other != name:
            raise ValueError(f"parameters {other!r} and {name!r} share a random stream (hash collision); rename one")


#: Methods whose design columns are independent (each from its parameter's own stream): see :func:`uniform_column`.
COLUMNWISE = ("mc", "lhs")


def uniform_column(method: str, name: str, blocks: Sequence[int], sizes: Sequence[int], *, seed: int) -> np.ndarray:
    """One parameter's uniforms over consecutive blocks, in one contiguous array.

    The same numbers as column ``name`` of :func:`uniforms` for each block in
    turn, concatenated (``method`` ``"mc"`` or ``"lhs"``, whose columns depend
    on their own name alone), drawn straight into the result: no design matrix
    per block, no copy to join the blocks.

    Examples
    --------
    >>> a = uniform_column("mc", "x", [0, 1], [3, 2], seed=1)
    >>> b = np.concatenate([uniforms("mc", ["x"], k, seed=1, block=i)[:, 0] for i, k in [(0, 3), (1, 2)]])
    >>> bool((a == b).all())
    True
    """
    if method not in COLUMNWISE:
        raise ValueError(f"uniform_column draws {', '.join(COLUMNWISE)} designs, not {method!r}")
    sizes = [_nonnegative_int("n", k) for k in sizes]
    out = np.empty(sum(sizes))
    a = 0
    for block, size in zip(blocks, sizes):
        _column_into(method, stream(seed, block, "parameter", name), out[a:a + size])
        a += size
    return np.clip(out, _U_MIN, _U_MAX, out=out)


def _column_into(method: str, rng: np.random.Generator, out: np.ndarray) -> None:
    """One parameter's ``mc`` or ``lhs`` uniforms for one block, from its stream ``rng``, written into ``out``."""
    if method == "mc":
        rng.random(out=out)
    else:
        size = len(out)
        strata = rng.permutation(size)
        out[:] = (strata + rng.random(size)) / size


def spearman_to_pearson(rho_s):
    """Pearson correlation of a bivariate normal with Spearman correlation ``rho_s``.

    ``rho = 2 sin(pi rho_s / 6)`` [3]_; elementwise, so a Spearman matrix maps
    to the correlation matrix of its normal scores (unit diagonal kept).

    Examples
    --------
    >>> float(spearman_to_pearson(0.5))
    0.5176380902050415
    """
    return 2.0 * np.sin(np.pi * np.asarray(rho_s, dtype=float) / 6.0)


def impose_rank_correlation(u: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reorder the columns of ``u`` so their rank correlation approaches ``target``.

    The method of Iman and Conover [1]_: van der Waerden scores
    ``ndtri(k / (n + 1))``, randomly permuted per column by ``rng``, are
    transformed so that their sample correlation is exactly
    ``P = 2 sin(pi target / 6)`` (the normal scores' Pearson correlation that
    gives Spearman ``target``); then each column of ``u`` is rearranged to the
    ranks of its transformed scores. Every column keeps exactly its own values,
    only their pairing across columns changes, so marginals and Latin
    hypercube strata are preserved. The rank correlation reached is close to
    ``target``, with an error of order ``1/sqrt(n)``.

    Parameters
    ----------
    u : ndarray, shape (n, d)
        Uniforms, one column per parameter (any values; only their order is
        changed).
    target : ndarray, shape (d, d)
        Target Spearman rank correlation matrix: symmetric, unit diagonal,
        entries in [-1, 1], positive definite. Columns with no off-diagonal
        entry are returned as they are (their draws stay common random
        numbers). If ``P`` is not positive definite although ``target`` is
        (possible when ``target`` is close to singular), ``P`` is replaced by
        ``nearest_correlation(P)``.
    rng : numpy.random.Generator
        Permutes the scores, e.g. ``stream(seed, block, "correlation",
        "iman-conover")``.

    Returns
    -------
    ndarray, shape (n, d)
        A new array. With ``n ≤ d`` (too few rows to have a correlation) ``u``
        is returned unchanged (a copy).

    Raises
    ------
    ValueError
        If shapes disagree, or ``target`` is not a positive definite
        correlation matrix (see :func:`nearest_correlation`).
    """
    u = np.asarray(u, dtype=float)
    target = np.asarray(target, dtype=float)
    if u.ndim != 2:
        raise ValueError(f"u must be 2-D (n, d), got shape {u.shape}")
    n, d = u.shape
    if target.shape != (d, d):
        raise ValueError(f"target must be ({d}, {d}) for {d} columns, got shape {target.shape}")
    _check_correlation(target, "target")
    out = u.copy(order="K")  # keeps a column-major design column-major
    linked = np.flatnonzero((target - np.eye(d) != 0).any(axis=0))
    k = len(linked)
    if k == 0 or n <= k:
        return out
    if not is_positive_definite(target[np.ix_(linked, linked)]):
        raise ValueError(
            "target is not positive definite "
            f"(smallest eigenvalue {smallest_eigenvalue(target[np.ix_(linked, linked)]):.3g}); "
            "repair it with nearest_correlation"
        )
    pearson = spearman_to_pearson(target[np.ix_(linked, linked)])
    if not is_positive_definite(pearson):
        # a valid Spearman matrix close to singular can map to a Pearson matrix that is not;
        # the map moves entries by at most 0.02, and so does this repair
        pearson = nearest_correlation(pearson)
    c_target = np.linalg.cholesky(pearson)

    from scipy import special  # on first use: a run that stops at its options never pays its import

    base = special.ndtri(np.arange(1, n + 1) / (n + 1.0))
    scores = np.empty((n, k))
    for j in range(k):
        scores[:, j] = base[rng.permutation(n)]
    current = np.corrcoef(scores, rowvar=False).reshape(k, k)
    try:
        c_current = np.linalg.cholesky(current)
    except np.linalg.LinAlgError:  # degenerate permutation draw: nothing sensible to impose
        return out
    # rows of scores @ inv(c_current).T @ c_target.T have sample correlation exactly `pearson`
    transformed = scores @ np.linalg.solve(c_current.T, c_target.T)
    for col, j in enumerate(linked):
        order = np.argsort(transformed[:, col], kind="stable")
        out[order, j] = np.sort(u[:, j])
    return out


def _check_correlation(matrix: np.ndarray, what: str) -> None:
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{what} must be a square matrix, got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)):
        raise ValueError(f"{what} holds a value that is not a finite number")
    if not np.allclose(matrix, matrix.T, rtol=0, atol=1e-12):
        raise ValueError(f"{what} is not symmetric")
    if not np.allclose(np.diag(matrix), 1.0, rtol=0, atol=1e-12):
        raise ValueError(f"{what} must have a unit diagonal")
    if np.any(np.abs(matrix) > 1 + 1e-12):
        raise ValueError(f"{what} has an entry outside [-1, 1]")


def smallest_eigenvalue(matrix) -> float:
    """The smallest eigenvalue of the symmetric part of ``matrix``.

    Negative for a matrix of correlations no set of variables can have;
    its size says how far from valid the matrix is.

    Examples
    --------
    >>> round(smallest_eigenvalue([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]), 3)
    -0.8
    """
    m = np.asarray(matrix, dtype=float)
    return float(np.linalg.eigvalsh((m + m.T) / 2)[0])


def is_positive_definite(matrix) -> bool:
    """Whether the symmetric ``matrix`` is positive definite (a Cholesky factor exists).

    Examples
    --------
    >>> is_positive_definite([[1, 0.5], [0.5, 1]]), is_positive_definite([[1, 1], [1, 1]])
    (True, False)
    """
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or not np.all(np.isfinite(m)) or not np.allclose(m, m.T):
        return False
    try:
        np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        return False
    return True


def nearest_correlation(matrix, *, min_eigenvalue: float = 1e-6, tol: float = 1e-10,
                        max_iter: int = 1000) -> np.ndarray:
    """The nearest correlation matrix, by alternating projections [2]_.

    Alternates the projection onto symmetric matrices with eigenvalues
    ``≥ min_eigenvalue`` (with Dykstra's correction) and onto matrices with a
    unit diagonal, until the iterates change by less than ``tol``; a last
    eigenvalue floor and rescaling to a unit diagonal make the result
    positive definite.

    Parameters
    ----------
    matrix : array_like, shape (d, d)
        Symmetric, e.g. user-given pairwise correlations with ones on the
        diagonal.
    min_eigenvalue : float
        Floor for the eigenvalues of the result (> 0: positive definite).
    tol : float
        Convergence tolerance (largest change of an entry between sweeps).
    max_iter : int
        Most sweeps.

    Returns
    -------
    ndarray, shape (d, d)
        Symmetric, unit diagonal, smallest eigenvalue ``≥ min_eigenvalue``
        (up to rounding), close in Frobenius norm to ``matrix``. A matrix that
        is already a positive definite correlation matrix is returned
        unchanged (as a copy).

    Examples
    --------
    >>> m = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]
    >>> near = nearest_correlation(m)
    >>> is_positive_definite(near), bool(np.allclose(np.diag(near), 1))
    (True, True)
    """
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or not np.all(np.isfinite(a)):
        raise ValueError(f"matrix must be square and finite, got shape {a.shape}")
    a = (a + a.T) / 2
    if np.allclose(np.diag(a), 1.0) and smallest_eigenvalue(a) >= min_eigenvalue:
        return a.copy()

    def psd(x):
        w, v = np.linalg.eigh(x)
        return (v * np.maximum(w, min_eigenvalue)) @ v.T

    y = a.copy()
    correction = np.zeros_like(a)
    for _ in range(max_iter):
        r = y - correction
        x = psd(r)
        correction = x - r
        y_next = x.copy()
        np.fill_diagonal(y_next, 1.0)
        change = np.max(np.abs(y_next - y))
        y = y_next
        if change < tol:
            break
    y = psd((y + y.T) / 2)
    scale = 1.0 / np.sqrt(np.diag(y))
    y = y * scale[:, None] * scale[None, :]
    y = (y + y.T) / 2
    np.fill_diagonal(y, 1.0)
    return y
