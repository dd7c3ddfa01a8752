"""The whole pipeline as one call, for notebooks and the CLI alike."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from .analyse import risk_register
from .compile import compile_scenario
from .errors import ScenarioError
from .model import Scenario
from .results import Results
from .simulate import DEFAULT_MEMORY_BYTES, simulate
from .validate import validate

__all__ = ["run", "write_run_folder"]


def run(
    path_or_scenario: str | os.PathLike | Scenario,
    *,
    samples: Optional[int] = None,
    seed: Optional[int] = None,
    sampler: Optional[str] = None,
    overrides: Sequence[str] = (),
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    progress: Optional[Callable[[int, int], None]] = None,
    workers: int = 1,
    scheduler: Any = None,
    until_se: Optional[float] = None,
    max_samples: Optional[int] = None,
) -> Results:
    """Load, validate, compile and simulate a scenario; return Results with the register.

    Parameters
    ----------
    path_or_scenario : path-like or Scenario
        A scenario file, or a validated Scenario.
    samples, seed, sampler : optional
        Default to the scenario file's.
    overrides : sequence of str
        ``key.path=value`` overrides (only with a path).
    memory_bytes : int
        Working-memory budget (never changes a number).
    progress : callable(done, total), optional
    workers : int
        Local processes for the blocks (the numbers do not change).
    scheduler : str or distributed.Client, optional
        Run the blocks on a Dask cluster (default ``$RISKMODEL_SCHEDULER``).
    until_se, max_samples : optional
        Add whole blocks until every likelihood's standard error is below
        ``until_se`` (at most ``max_samples`` paths).

    Returns
    -------
    Results

    Examples
    --------
    >>> import riskmodel
    >>> res = riskmodel.run("scenarios/examples/minimal.yaml", samples=2000)   # doctest: +SKIP
    >>> res.register[["risk", "likelihood", "se"]]                               # doctest: +SKIP
    """
    if isinstance(path_or_scenario, Scenario):
        if overrides:
            raise ValueError("overrides apply to a scenario file; pass a path")
        scenario = path_or_scenario
    else:
        scenario = validate(path_or_scenario, overrides=overrides)
    if sampler is not None and sampler not in ("mc", "lhs", "sobol"):
        raise ScenarioError.at("--sampler", None, (), f"unknown sampler '{sampler}'", "use mc, lhs or sobol")
    model = compile_scenario(scenario)
    results = simulate(model, samples=samples, seed=seed, sampler=sampler, memory_bytes=memory_bytes,
                       progress=progress, workers=workers, scheduler=scheduler, until_se=until_se,
                       max_samples=max_samples)
    return results.with_register(risk_register(results, scenario))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unavailable."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def write_run_folder(results: Results, out: str | os.PathLike, extra: Optional[Callable[[Path], None]] = None) -> Path:
    """Write a run folder atomically: into a temporary sibling, then renamed into place.

    An earlier folder at ``out`` is replaced only once the new one is complete;
    a failure or interruption leaves it untouched.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; a report folder is as readable as any other
    try:
        results.save(tmp)
        if extra is not None:
            extra(tmp)
        if out.exists():
            if _exchange(tmp, out):  # one atomic step: out is never missing
                shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the earlier folder
            else:  # no renameat2: two renames, out missing for an instant
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
                os.rename(out, old / out.name)
                os.rename(tmp, out)
                shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
