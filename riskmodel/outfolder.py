"""Output folders (``--out``): when one may be replaced, and replacing it without loss.

The rule, the same for ``run``, ``compare``, ``backtest`` and ``report``: a
folder at ``--out`` is replaced only when it is missing, empty, or a folder
this tool wrote -- its ``run.json`` is a regular file that parses as a JSON
object carrying the tool's keys -- and it holds nothing the tool did not
write. Each folder the tool writes lists what it wrote in ``run.json``
(``written_files``); a file or folder the user added (``notes.txt``,
``mydata/``), a symbolic link, or a ``run.json`` that is not the tool's
makes the command refuse with exit code 2, listing what is there, before any
work. Nothing is carried over and nothing is deleted.

A folder is written into a temporary sibling ``.NAME.tmp-PID-*`` and then
exchanged with the earlier one in one atomic step (Linux ``renameat2``).
Where the file system cannot exchange (NFS, SMB, many FUSE systems) the
earlier folder is first moved into ``.NAME.old-PID-*/NAME`` and the new one
renamed into place; a run killed between those two renames leaves no folder
at ``NAME``, and the next command that looks at ``NAME`` moves the earlier
run back (:func:`restore_interrupted`). An ``.old`` folder is never deleted
while ``NAME`` is missing.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

from .errors import EnvironmentFailure, ScenarioError

__all__ = ["check_out_folder", "write_run_folder", "remove_stale_temporaries", "restore_interrupted",
           "foreign_entries", "WRITTEN_FILES_KEY"]

#: The key of ``run.json`` listing every file and folder the tool wrote (folders end in ``/``).
WRITTEN_FILES_KEY = "written_files"

#: What folders written before ``written_files`` existed could hold at their top level.
_LEGACY_NAMES = {"outputs.parquet", "parameters.parquet", "bands.csv", "register.csv", "run.json", "index.html",
                 "report.md", "figures", "comparison.csv", "runs", "binary.csv", "numeric.csv", "summary.csv",
                 "reliability.csv", "reliability.png", "backtest.md", "backtest.html", "backtest.json"}
_LEGACY_FOLDERS = {"figures", "runs"}

_RUN_JSON_MAX_BYTES = 64_000_000


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


def _absolute(out: str | os.PathLike) -> Path:
    """``out`` made absolute with ``.`` and ``..`` resolved (not symlinks): ``--out .`` has a name."""
    return Path(os.path.abspath(os.fspath(out)))


def _tool_run_json(path: Path) -> tuple[Optional[dict], str]:
    """(run.json's content, "") when this tool wrote it; (None, why not) otherwise."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None, "no run.json"
    except OSError as exc:
        return None, f"its run.json cannot be read ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return None, "its run.json is a symbolic link"
    if not stat.S_ISREG(st.st_mode):
        return None, "its run.json is not a regular file"
    if st.st_size > _RUN_JSON_MAX_BYTES:
        return None, f"its run.json is {st.st_size:,} bytes, more than this tool writes"
    try:
        with open(path, "rb") as fh:
            meta = json.loads(fh.read(_RUN_JSON_MAX_BYTES + 1).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None, "its run.json is not JSON this tool wrote"
    if not isinstance(meta, dict) or not isinstance(meta.get("riskmodel_version"), str):
        return None, "its run.json was not written by riskmodel (no riskmodel_version)"
    if meta.get("kind") == "comparison":
        if not isinstance(meta.get("runs"), list):
            return None, "its run.json was not written by riskmodel (a comparison naming no runs)"
    elif not (isinstance(meta.get("scenario"), str) and isinstance(meta.get("samples"), int)):
        return None, "its run.json was not written by riskmodel (no scenario and samples)"
    return meta, ""


def _walk(folder: Path):
    """(relative path, is_folder, is_link) of everything under ``folder``, symlinks not followed."""
    stack = [(folder, "")]
    while stack:
        here, prefix = stack.pop()
        with os.scandir(here) as it:
            entries = sorted(it, key=lambda e: e.name)
        for e in entries:
            rel = prefix + e.name
            if e.is_symlink():
                yield rel, False, True
            elif e.is_dir(follow_symlinks=False):
                yield rel + "/", True, False
                stack.append((Path(e.path), rel + "/"))
            else:
                yield rel, False, not e.is_file(follow_symlinks=False)  # a FIFO or device: not the tool's


def foreign_entries(folder: Path, meta: dict) -> list[str]:
    """What ``folder`` holds that this tool did not write (by ``meta['written_files']``), sorted."""
    listed = meta.get(WRITTEN_FILES_KEY)
    if isinstance(listed, list) and all(isinstance(x, str) for x in listed):
        known = set(listed)
        return sorted(rel for rel, _, odd in _walk(folder) if odd or rel not in known)
    foreign = []  # a folder written before the list existed: the tool's names at the top
    for rel, is_dir, odd in _walk(folder):
        top = rel.split("/", 1)[0]
        inside = "/" in rel.rstrip("/")
        if odd or top not in _LEGACY_NAMES or (inside and top not in _LEGACY_FOLDERS) or \
                (not inside and is_dir != (top in _LEGACY_FOLDERS)):
            foreign.append(rel)
    return foreign


def _listing(names: list[str], limit: int = 5) -> str:
    top = [n for n in names if n.rstrip("/").count("/") == 0] + [n for n in names if n.rstrip("/").count("/")]
    shown = ", ".join(top[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_out_folder(out: str | os.PathLike, *, option: str = "--out") -> Path:
    """Refuse an output path whose replacement would lose anything; return it.

    ``out`` may be missing, an empty folder, or a folder this tool wrote that
    holds only what it wrote (see the module's rule). Anything else is a
    ScenarioError naming ``option`` and ``out`` and listing what is there;
    nothing is written and nothing removed. An earlier run that a killed
    write left in ``.NAME.old-*`` is moved back first (:func:`restore_interrupted`).
    """
    given = Path(out)
    shown = f"{option} {given}" if option else str(given)
    path = _absolute(given)
    try:
        restore_interrupted(path)
    except OSError as exc:
        raise _environment_failure(exc, given, "could not restore the earlier run folder") from None
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise ScenarioError.at(shown, None, (), "is a file, not a run folder",
                               "name a folder for the run (it is created), or an earlier run folder to replace")
    if not path.is_dir():
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():  # a file on the way: the folder could be made only after the run, and then fail
            raise ScenarioError.at(shown, None, (), f"'{parent}' is a file, so no folder can be made inside it",
                                   "name a folder whose parents are folders (or do not exist yet)")
        return given
    try:
        entries = sorted(e.name for e in os.scandir(path))
    except OSError as exc:
        raise _environment_failure(exc, given, "could not read the folder") from None
    if not entries:
        return given
    meta, why = _tool_run_json(path / "run.json")
    if meta is None:
        raise ScenarioError.at(shown, None, (), f"the folder exists and is not a run folder ({why}; it holds "
                               f"{_listing(entries)}); writing the run there would replace them",
                               "name a new folder, or an earlier run folder to replace")
    try:
        foreign = foreign_entries(path, meta)
    except OSError as exc:
        raise _environment_failure(exc, given, "could not read the folder") from None
    if foreign:
        raise ScenarioError.at(shown, None, (), f"the run folder holds {len(foreign)} "
                               f"{'entry' if len(foreign) == 1 else 'entries'} riskmodel did not write "
                               f"({_listing(foreign)}); replacing the folder would delete them",
                               "move them out of the folder, or name another folder")
    return given


# --------------------------------------------------------------------------- what a killed write left


def process_start_time() -> float:
    """When this process started (seconds since the epoch); the import time where /proc is missing."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])  # since boot
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return time.time() - (uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):
        return time.time()


_PROCESS_START = process_start_time()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _owner_pid(name: str) -> Optional[int]:
    marker = ".tmp-" if ".tmp-" in name else ".old-"
    text = name.split(marker, 1)[1].split("-", 1)[0]
    return int(text) if text.isdigit() else None


def _owner_gone(name: str) -> bool:
    pid = _owner_pid(name)
    return pid is None or pid == os.getpid() or not _pid_alive(pid)


def restore_interrupted(out: str | os.PathLike) -> Optional[Path]:
    """Move an earlier run back to ``out`` when a killed write left it in ``.NAME.old-PID-*``.

    Only when ``out`` is missing and the process that moved it is gone; the
    most recently moved one wins. Returns the ``.old`` folder it emptied (and
    removed), or None.
    """
    out = _absolute(out)
    if os.path.lexists(out) or not out.parent.is_dir():
        return None
    candidates = []
    for entry in os.scandir(out.parent):
        if entry.name.startswith(f".{out.name}.old-") and entry.is_dir(follow_symlinks=False) \
                and _owner_gone(entry.name):
            inner = Path(entry.path) / out.name
            if inner.is_dir() and not inner.is_symlink():
                candidates.append((inner.stat().st_mtime, inner))
    if not candidates:
        return None
    _, inner = max(candidates)
    os.rename(inner, out)
    shutil.rmtree(inner.parent, ignore_errors=True)
    return inner.parent


def remove_stale_temporaries(out: str | os.PathLike) -> list[Path]:
    """Remove what a killed run left beside ``out``; return what was removed.

    A run writes into ``.NAME.tmp-PID-*`` (and, without renameat2, moves the
    earlier folder through ``.NAME.old-PID-*``). A run killed with SIGKILL
    cannot remove them; the next run does: those older than this process's
    start whose process is gone. A live run's folders are left alone, and an
    ``.old`` folder holding the earlier run is first moved back when ``out``
    is missing (:func:`restore_interrupted`), never deleted in its place.
    """
    out = _absolute(out)
    removed = []
    if not out.parent.is_dir():
        return removed
    restore_interrupted(out)
    prefixes = (f".{out.name}.tmp-", f".{out.name}.old-")
    for entry in os.scandir(out.parent):
        if not entry.name.startswith(prefixes):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime >= _PROCESS_START:
                continue
        except OSError:
            continue
        if not _owner_gone(entry.name):
            continue
        if ".old-" in entry.name and not os.path.lexists(out):
            continue  # it may hold the only copy of the earlier run
        path = Path(entry.path)
        if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


# --------------------------------------------------------------------------- writing

_WHAT_HAPPENED = {
    errno.ENOSPC: ("no space left on the device", "free some space, or write elsewhere with --out DIR"),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space, or write elsewhere with --out DIR"),
    errno.EROFS: ("the file system is read-only", "write elsewhere with --out DIR"),
    errno.EACCES: ("permission denied", "write to a folder you may write to, with --out DIR"),
    errno.EPERM: ("permission denied", "write to a folder you may write to, with --out DIR"),
}


def _environment_failure(exc: OSError, out: Path, doing: str) -> EnvironmentFailure:
    what, hint = _WHAT_HAPPENED.get(exc.errno, (exc.strerror or str(exc) or type(exc).__name__,
                                                "check the folder, or write elsewhere with --out DIR"))
    name = Path(exc.filename).name if getattr(exc, "filename", None) else ""
    where = f" (at {name})" if name and name != out.name else ""
    return EnvironmentFailure(str(out), f"{doing}: {what}{where}; nothing was written, and an earlier run folder "
                              "here is as it was", hint, exc.errno)


def _record_written_files(folder: Path) -> None:
    """Add to ``folder/run.json`` the list of everything written into ``folder``."""
    meta_path = folder / "run.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta[WRITTEN_FILES_KEY] = sorted(rel for rel, _, _ in _walk(folder))
    meta_path.write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")


def write_run_folder(results, out: str | os.PathLike, extra: Optional[Callable[[Path], None]] = None, *,
                     option: str = "--out") -> Path:
    """Write a run folder atomically: into a temporary sibling, then exchanged into place.

    ``results`` is anything with ``.save(folder)`` that writes a ``run.json``
    (Results, a comparison's data). An earlier folder at ``out`` is replaced
    only once the new one is complete; a failure or interruption leaves it
    untouched. Temporaries a killed run left beside it are removed first
    (:func:`remove_stale_temporaries`). Returns ``out`` as given.

    Raises
    ------
    ScenarioError
        ``out`` is a file, or a folder that may not be replaced (see :func:`check_out_folder`).
    EnvironmentFailure
        The folder could not be written (disk full, read-only, no permission);
        nothing is left half-written.
    """
    given = check_out_folder(out, option=option)
    out = _absolute(given)
    tmp = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; a report folder is as readable as any other
        results.save(tmp)
        if extra is not None:
            extra(tmp)
        _record_written_files(tmp)
        if out.exists():
            if _exchange(tmp, out):  # one atomic step: out is never missing
                shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the earlier folder
            else:  # no renameat2: two renames; a kill between them is undone by restore_interrupted
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
                os.rename(out, old / out.name)
                try:
                    os.rename(tmp, out)
                except BaseException:
                    os.rename(old / out.name, out)
                    raise
                shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except EnvironmentFailure:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    except OSError as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise _environment_failure(exc, given, "could not write the run folder") from exc
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return given
