"""Whether a run fits before it starts: paths, caps, and the memory its results will hold.

Checked by every stage that simulates (run, update, signposts, the judgment
share's and explain's designs) before anything is allocated, so an
impossible run fails fast with the option to change, not half-way.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from .errors import Position, Problem, ScenarioError
from .stepping import BLOCK_SIZE

if TYPE_CHECKING:
    from .compile import CompiledModel

__all__ = ["BAND_PATHS", "check_some_paths", "check_cap", "check_run_size"]

BAND_PATHS = 10_000  # paths kept whole per month for the quantile bands


def _available_memory_bytes() -> Optional[int]:
    """Memory this process may still take: MemAvailable, or the cgroup's room if smaller; None if unknown."""
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            found += [int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemAvailable:")]
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        if limit != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii").strip())
            found.append(max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError, AttributeError):
            return None
    return min(found)


def _size(n_bytes: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{int(n_bytes)} bytes"


def check_some_paths(n_paths: int, position: Position, key_path: tuple = ()) -> None:
    """A ScenarioError at ``position`` (a file's ``samples``, or ``Position("--samples N")``) for fewer than 1 path."""
    if n_paths < 1:
        raise ScenarioError(Problem(position, key_path, f"{n_paths} paths: a run needs at least 1",
                                    "e.g. --samples 10000"))


def check_cap(max_samples: Optional[int], until, until_option: str, example: str) -> None:
    """A ScenarioError for ``--max-samples`` given without the option it caps (``--until-se`` for a run,
    ``--until-ess`` for an update; ``until`` is that option's value), or below 1 path."""
    if max_samples is not None and until is None:
        raise ScenarioError.at(f"--max-samples {max_samples}", None, (), f"caps {until_option}, which is not given; "
                               "alone it would be ignored", f"add {until_option} {example}, or give --samples N instead")
    if max_samples is not None and int(max_samples) < 1:
        raise ScenarioError.at(f"--max-samples {max_samples}", None, (), "a cap on paths must be 1 or more",
                               "e.g. --max-samples 1000000")


def check_run_size(model: CompiledModel, n_paths: int, *, given: Optional[int] = None,
                   option: str = "--samples", design: bool = False) -> int:
    """Check, before allocating, that a run of ``n_paths`` fits in memory; return the bytes it holds.

    Whatever the working-memory budget (``--memory``), a run holds its
    per-path results whole: ``n_paths x (parameters + outputs)`` float64,
    counted twice (the arrays and the tables built from them), plus per-block
    monthly sums and the quantile-band subset ``states x months x
    min(BAND_PATHS, n_paths)``. The limit is ``$RISKMODEL_MAX_RESULT_BYTES``
    when set, else 80% of the memory this machine (or container) has
    available.

    Parameters
    ----------
    model : CompiledModel
    n_paths : int
        Paths the run may reach (for ``until_se``, its cap).
    given : int, optional
        The value of ``option``, when the number came from the command line
        or a call (errors then name it; else the file's ``samples``).
    option : str
        ``--samples`` or ``--max-samples`` (``--base-samples`` for a design).
    design : bool
        The paths are a fixed design (the judgment share, ``explain``) whose
        size ``--samples`` does not set: the error says so instead of asking
        for fewer samples.

    Raises
    ------
    ScenarioError
        ``n_paths`` below 1, or a run over the limit: names the samples, the
        bytes needed and the limit, and how to lower or raise it.
    """
    sc = model.scenario
    where = (Position(f"{option} {given}"), ()) if given is not None else (Position(sc.path), ("samples",))
    check_some_paths(n_paths, *where)
    P, O, S, T = len(model.parameter_names), len(model.outputs), len(model.states), model.n_months
    per_path = 2 * 8 * (P + O) + 8 * S * T / BLOCK_SIZE
    fixed = 8 * S * T * BAND_PATHS
    need = int(n_paths * per_path + 8 * S * T * min(BAND_PATHS, n_paths))
    env = os.environ.get("RISKMODEL_MAX_RESULT_BYTES", "").strip()
    if env:
        try:
            limit = int(float(env))
        except (ValueError, OverflowError):
            raise ScenarioError.at("RISKMODEL_MAX_RESULT_BYTES", None, (), f"{env!r} is not a number of bytes",
                                   "e.g. RISKMODEL_MAX_RESULT_BYTES=8000000000, or unset it") from None
        source = f"RISKMODEL_MAX_RESULT_BYTES={env}"
    else:
        available = _available_memory_bytes()
        if available is None:
            return need
        limit = int(0.8 * available)
        source = f"80% of the {_size(available)} this machine has available"
    if need <= limit:
        return need
    fit = max(0, int((limit - fixed) // per_path))
    if design:
        where = (Position(f"{option} {given}" if given is not None else "judgment share"), ())
        raise ScenarioError(Problem(
            *where, f"the sensitivity design's {n_paths:,} paths would hold about {_size(need)} in memory "
            f"({P + O} values per path), over the limit of {_size(limit)} ({source}); --samples does not change "
            "its size (the judgment share uses 1,024 base rows, explain its --base-samples)",
            (f"lower {option}, or raise" if given is not None else "raise")
            + " the limit with RISKMODEL_MAX_RESULT_BYTES=<bytes> if the machine has the memory"))
    raise ScenarioError(Problem(
        *where,
        f"{n_paths:,} paths would hold about {_size(need)} in memory ({P + O} values per path: "
        f"{P} parameter{'s' * (P != 1)} and {O} output{'s' * (O != 1)}, 8 bytes each, held twice while the tables "
        f"are built), over the limit of {_size(limit)} ({source})",
        (f"lower {option} (about {fit:,} paths fit)" if fit >= 1 else f"lower {option}")
        + ", or raise the limit with RISKMODEL_MAX_RESULT_BYTES=<bytes> if the machine has the memory",
    ))
