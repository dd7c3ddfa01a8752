"""User-facing errors: every mistake names its file, line and key path.

A :class:`Problem` is one mistake; a :class:`ScenarioError` carries every
problem found in one pass, so a file with three mistakes reports all three.
The CLI prints ``str(error)`` and exits with code 2, no traceback.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

__all__ = ["Position", "Problem", "ScenarioError", "EnvironmentFailure", "ProblemCollector", "format_key_path",
           "did_you_mean"]


@dataclass(frozen=True)
class Position:
    """Where a value stands: a file (or ``--set``) and a 1-based line."""

    file: str  # path as given by the user, or "--set"
    line: int | None = None  # 1-based; None when unknown (a whole file)

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


def format_key_path(key_path: Sequence[object]) -> str:
    """``("parameters", "x", "ci90", 1)`` -> ``parameters.x.ci90[1]``."""
    out = ""
    for part in key_path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ``did you mean 'x'?`` hint, or an empty string when nothing is close."""
    close = difflib.get_close_matches(str(word), sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


@dataclass(frozen=True)
class Problem:
    """One mistake: where, what is wrong, and what would be right."""

    position: Position
    key_path: tuple  # e.g. ("parameters", "x", "ci90")
    message: str  # what is wrong
    hint: str = ""  # what would be right (may be empty)

    def __str__(self) -> str:
        key = format_key_path(self.key_path)
        text = f"{self.position}: "
        if key:
            text += f"{key}: "
        text += self.message
        if self.hint:
            text += f"; {self.hint}"
        return text


class ScenarioError(ValueError):
    """A user's mistake in a scenario, source or outcomes file, or in ``--set``.

    Holds every :class:`Problem` found; ``str()`` gives one line per problem,
    ``file:line: key.path: what is wrong; what would be right``.
    """

    def __init__(self, problems: Sequence[Problem] | Problem):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):  # keeps every problem across processes (workers, Dask)
        return (type(self), (self.problems,))

    @classmethod
    def at(cls, file: str, line: int | None, key_path: Sequence[object], message: str, hint: str = "") -> "ScenarioError":
        """A single-problem error."""
        return cls(Problem(Position(str(file), line), tuple(key_path), message, hint))


class EnvironmentFailure(OSError):
    """The machine, not the scenario: a full disk, a read-only folder, a file that cannot be read.

    Printed as ``path: what happened; what to do``; the CLI exits with code 1
    (code 2 is kept for mistakes in the user's files and options). Being an
    :class:`OSError`, it is caught wherever an OSError would be.
    """

    def __init__(self, path: str, message: str, hint: str = "", errno_: int | None = None):
        self.path = str(path)
        self.message = message
        self.hint = hint
        super().__init__(errno_, f"{self.path}: {message}" + (f"; {hint}" if hint else ""))

    def __str__(self) -> str:
        return self.strerror

    def __reduce__(self):
        return (type(self), (self.path, self.message, self.hint, self.errno))


@dataclass
class ProblemCollector:
    """Gathers problems during one pass; ``raise_if_any()`` raises them together."""

    problems: list = field(default_factory=list)

    def add(self, position: Position, key_path: Sequence[object], message: str, hint: str = "") -> None:
        self.problems.append(Problem(position, tuple(key_path), message, hint))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            # stable order: by file, then line, then key path
            ordered = sorted(
                dict.fromkeys(self.problems),
                key=lambda p: (p.position.file, p.position.line or 0, format_key_path(p.key_path)),
            )
            raise ScenarioError(ordered)
