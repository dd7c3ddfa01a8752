"""Re-run a scenario whenever it, a file it extends, its registry or a text it cites is saved.

Polling modification times (twice a second by default) needs no new
dependency and works on every file system the tool runs on; an analyst's save
is seen within the interval. Each run writes the run folder atomically (as
``riskmodel run`` does), so a browser never sees half a report; when the
scenario is invalid the errors are reported and the last good report stays.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Optional

from .errors import ScenarioError

__all__ = ["watched_files", "watch"]


def watched_files(path: str | os.PathLike, scenario=None) -> list[Path]:
    """The scenario file, the files it extends, its source registry and the texts the registry names."""
    path = Path(path)
    files = [path]
    if scenario is not None:
        files += [Path(f) for f in scenario.files]
        files += [Path(s.file) for s in scenario.sources if s.file]
    try:
        from .load import load

        doc = load(path)
        files += [Path(f) for f in getattr(doc, "files", ()) or ()]
        if doc.sources_path:
            from .sources import registry_files

            files.append(Path(doc.sources_path))
            files += registry_files(doc.sources_path)  # a broken text stays watched
    except ScenarioError:
        pass  # an unreadable file: the scenario itself is still watched
    seen, out = set(), []
    for f in files:
        key = os.path.abspath(f)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _stamp(files: list[Path]) -> tuple:
    stamps = []
    for f in files:
        try:
            st = os.stat(f)
            stamps.append((str(f), st.st_mtime_ns, st.st_size))
        except OSError:
            stamps.append((str(f), None, None))
    return tuple(stamps)


def watch(path: str | os.PathLike, out: str | os.PathLike, *, run_once: Callable, interval_s: float = 0.5,
          max_runs: Optional[int] = None, on_error: Callable[[ScenarioError], None] = lambda e: None,
          on_wait: Callable[[list], None] = lambda files: None, sleep: Callable[[float], None] = time.sleep) -> int:
    """Validate and run ``path`` now and after every change of a watched file; return the number of attempts.

    Parameters
    ----------
    path : path-like
        The scenario file.
    out : path-like
        The run folder (replaced atomically by each good run).
    run_once : callable(path, out) -> Scenario
        Validates, runs and writes the folder (raises ScenarioError on bad input).
    interval_s : float
        Seconds between polls of the modification times.
    max_runs : int, optional
        Stop after this many attempts (good or bad); None: until interrupted.
    on_error : callable(ScenarioError)
        Told the problems of an invalid scenario (the last good report stays).
    on_wait : callable(list of Path)
        Told which files are watched, after each attempt.
    """
    attempts = 0
    files = watched_files(path)
    last = None
    while max_runs is None or attempts < max_runs:
        stamp = _stamp(files)
        if stamp != last:
            attempts += 1
            scenario = None
            try:
                scenario = run_once(path, out)
            except ScenarioError as exc:
                on_error(exc)
            changed_during_run = _stamp(files) != stamp
            files = watched_files(path, scenario)
            last = None if changed_during_run else _stamp(files)  # a save during the run: run again
            on_wait(files)
            if max_runs is not None and attempts >= max_runs:
                break
        sleep(interval_s)
    return attempts
