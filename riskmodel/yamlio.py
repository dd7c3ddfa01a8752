"""Read YAML into plain Python containers that remember where each key stands.

Scenario, registry and outcomes files are read with ruamel.yaml's round-trip
loader, which keeps line numbers and rejects duplicate keys (or, where it reads
them alike, with libyaml's C parser: :mod:`riskmodel._yaml_fast`), and converted to
:class:`YMap` / :class:`YList` (``dict`` / ``list`` subclasses carrying the
:class:`~riskmodel.errors.Position` of every key and item). Nothing is ever
constructed from a tag: any explicit tag (``!!python/object`` and the like)
is an error, aliases are expanded under a node budget (no "billion laughs"),
and size and depth are bounded.
"""

from __future__ import annotations

import datetime as _dt
import errno
import functools
import os
import re
import stat
from pathlib import Path
from typing import Any, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .errors import Position, ScenarioError

__all__ = ["YMap", "YList", "read_yaml", "parse_yaml_text", "position_of", "LIMITS", "resolve_named",
           "project_root", "OUTSIDE"]

#: Environment variables that could not be read: name -> the one-line message (see :func:`check_environment`).
ENV_PROBLEMS: dict = {}


def env_int(name: str, default: int, *, minimum: int = 1, example: str = "") -> int:
    """A whole number from environment variable ``name``, or ``default`` when it is unset.

    A value that is not a whole number >= ``minimum`` (``abc``, ``1.5``,
    ``-3``) is not silently replaced: it is recorded, and the first read of
    any input (:func:`check_environment`) fails naming the variable.
    """
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    text = raw.strip().replace("_", "")
    if text.isascii() and text.isdigit() and len(text) <= 30 and int(text) >= minimum:
        ENV_PROBLEMS.pop(name, None)
        return int(text)
    from .terminal import safe_text

    shown = safe_text(raw if len(raw) <= 40 else raw[:40] + "...")
    ENV_PROBLEMS[name] = (f"{name}={shown}", f"not a whole number of at least {minimum:,}",
                          f"set it to one{f' such as {example}' if example else ''}, or unset it")
    return default


def check_environment() -> None:
    """Raise EnvironmentFailure naming the first environment variable that could not be read."""
    if ENV_PROBLEMS:
        from .errors import EnvironmentFailure

        label, message, hint = next(iter(ENV_PROBLEMS.values()))
        raise EnvironmentFailure(label, message, hint) from None


#: Loading limits; each error message says which one to raise and how.
LIMITS = {
    "max_file_bytes": env_int("RISKMODEL_MAX_FILE_BYTES", 2_000_000, example="2000000"),
    "max_nodes": env_int("RISKMODEL_MAX_NODES", 20_000, example="20000"),
    "max_depth": 64,
}

_FLOAT_MAX = 1.7976931348623157e308
_LONG_DIGITS = re.compile(r"\d{4300,}")  # Python's limit for reading an integer from text

_STR_TAG = "tag:yaml.org,2002:str"
_STANDARD_TAGS = {
    None,
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


class YMap(dict):
    """A mapping that knows the position of itself and of each key."""

    __slots__ = ("pos", "key_pos")

    def __init__(self, *args: Any, pos: Position | None = None, key_pos: dict | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.pos = pos
        self.key_pos = dict(key_pos or {})


class YList(list):
    """A sequence that knows the position of itself and of each item."""

    __slots__ = ("pos", "item_pos")

    def __init__(self, *args: Any, pos: Position | None = None, item_pos: list | None = None):
        super().__init__(*args)
        self.pos = pos
        self.item_pos = list(item_pos or [])


def position_of(tree: Any, key_path: Sequence[object], default: Position | None = None) -> Position | None:
    """The position of the deepest element of ``key_path`` that exists in ``tree``."""
    best = getattr(tree, "pos", None) or default
    node = tree
    for key in key_path:
        if isinstance(node, YMap) and key in node:
            best = node.key_pos.get(key, best)
            node = node[key]
        elif isinstance(node, YList) and isinstance(key, int) and 0 <= key < len(node):
            if key < len(node.item_pos):
                best = node.item_pos[key]
            node = node[key]
        else:
            break
    return best


def _tag_of(node: Any) -> str | None:
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", tag)
    return value if isinstance(value, str) else None


class _Converter:
    def __init__(self, file: str):
        self.file = file
        self.nodes = 0

    def pos(self, line0: int | None) -> Position:
        return Position(self.file, None if line0 is None else line0 + 1)

    def text(self, value: str, line0: int | None, key_path: tuple) -> str:
        """A plain str; an unpaired surrogate (from a \\ud800 escape) or a NUL (from \\0) cannot be text."""
        if "\x00" in value:  # it would reach file names, report files and terminals
            raise ScenarioError.at(self.file, None if line0 is None else line0 + 1, key_path,
                                   "text holds a NUL character (a \\0 or \\x00 escape)",
                                   "remove it: no file name, report or message can carry it")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ScenarioError.at(self.file, None if line0 is None else line0 + 1, key_path,
                                   "text holds an unpaired surrogate escape (such as \\ud800)",
                                   "write the character itself, or a \\U escape of a real code point") from None
        return str(value)

    def convert(self, node: Any, line0: int | None, depth: int, key_path: tuple) -> Any:
        self.nodes += 1
        if self.nodes > LIMITS["max_nodes"]:
            raise ScenarioError.at(
                self.file, None if line0 is None else line0 + 1, key_path,
                f"the file expands to more than {LIMITS['max_nodes']:,} values (aliases repeated many times?)",
                "write the values out, or raise the limit with RISKMODEL_MAX_NODES",
            )
        if depth > LIMITS["max_depth"]:
            raise ScenarioError.at(self.file, None if line0 is None else line0 + 1, key_path[:3],
                                   f"nesting deeper than {LIMITS['max_depth']} levels",
                                   "a scenario file needs a handful of levels")
        tag = _tag_of(node)
        if isinstance(node, TaggedScalar) and tag == _STR_TAG:  # `!!str 200`: the text "200", as YAML means it
            return self.text(str(node.value if node.value is not None else ""), line0, key_path)
        if isinstance(node, TaggedScalar) or tag not in _STANDARD_TAGS:
            raise ScenarioError.at(self.file, None if line0 is None else line0 + 1, key_path,
                                   f"the YAML tag '{tag}' is not allowed",
                                   "remove the tag: scenario files hold plain values only")
        if isinstance(node, CommentedMap):
            out = YMap(pos=self.pos(line0))
            for key, value in node.items():
                try:
                    kline = node.lc.key(key)[0]
                except (KeyError, TypeError, AttributeError):
                    kline = line0
                if isinstance(key, TaggedScalar) and _tag_of(key) == _STR_TAG:
                    key = str(key.value if key.value is not None else "")
                if not isinstance(key, (str, int, float, bool)) or key is None:
                    raise ScenarioError.at(self.file, None if kline is None else kline + 1,
                                           key_path, f"a key must be a plain name, not {type(key).__name__}")
                key = self.text(str(key), kline, key_path)
                out.key_pos[key] = self.pos(kline)
                out[key] = self.convert(value, kline, depth + 1, key_path + (key,))
            return out
        if isinstance(node, CommentedSeq):
            out = YList(pos=self.pos(line0))
            for i, value in enumerate(node):
                try:
                    iline = node.lc.item(i)[0]
                except (KeyError, TypeError, AttributeError, IndexError):
                    iline = line0
                out.item_pos.append(self.pos(iline))
                out.append(self.convert(value, iline, depth + 1, key_path + (i,)))
            return out
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int):
            if abs(node) > _FLOAT_MAX:  # float() of it would overflow wherever the number is used
                digits = len(str(abs(int(node))))
                raise ScenarioError.at(self.file, None if line0 is None else line0 + 1, key_path,
                                       f"a number of {digits} digits is beyond the range of numbers (±1.8e308)",
                                       "write a number within that range that the key allows")
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, str):
            return self.text(node, line0, key_path)
        if isinstance(node, (_dt.date, _dt.datetime)):
            return node  # validation says what was expected instead
        raise ScenarioError.at(self.file, None if line0 is None else line0 + 1, key_path,
                               f"unsupported YAML value of type {type(node).__name__}")


def _yaml_problem(file: str, exc: YAMLError) -> ScenarioError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    text = f"YAML syntax: {problem}"
    if context and "duplicate" not in str(problem):
        text += f" ({context})"
    hint = "fix the YAML syntax"
    if "found duplicate key" in str(problem):
        text = f"YAML: {problem.split(' with value')[0]}"
        hint = "each key may appear once in a mapping"
    elif "\\t" in str(problem) or "tab" in str(problem).lower():
        hint = "indent with spaces, not tabs"
    return ScenarioError.at(file, line, (), text, hint)


_DATE_LIKE = re.compile(r"(?<![\w.'\"-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w.:'\"-])")


def _impossible_date(text: str) -> tuple[int, str] | None:
    """(line, word) of the first unquoted YYYY-MM-DD that is no calendar date, or None."""
    for i, line in enumerate(text.splitlines(), 1):
        for m in _DATE_LIKE.finditer(line.split(" #")[0]):
            try:
                _dt.date(*map(int, m.groups()))
            except ValueError:
                return i, m.group(0)
    return None


def _outside_quotes(text: str):
    """Each character of ``text`` outside quotes and comments, with its line: ``(ch, line)``.

    The raw-text checks below read YAML's flow structure (``[``, ``{``, ``,``)
    before the parser does; a quote opens after a space or a flow character,
    a comment after a space, and both end where YAML ends them.
    """
    quote, line, prev = "", 1, "\n"
    for ch in text:
        if ch == "\n":
            line += 1
            if quote == "#":
                quote = ""
        elif quote:
            if ch == quote and (quote != '"' or prev != "\\"):
                quote = ""
        elif ch in "'\"" and prev in " \t\n[{,:":
            quote = ch
        elif ch == "#" and prev in " \t\n":
            quote = "#"
        else:
            yield ch, line
        prev = ch


def _flow_depth_over(text: str, limit: int) -> int | None:
    """The line where ``[`` / ``{`` nesting outside quotes and comments first passes ``limit``, or None.

    Checked on the raw text before parsing: the parser takes tens of seconds
    over a file nested 10,000 brackets deep before its own depth check runs.
    """
    if text.count("[") + text.count("{") <= limit:
        return None
    depth = 0
    for ch, line in _outside_quotes(text):
        if ch in "[{":
            depth += 1
            if depth > limit:
                return line
        elif ch in "]}":
            depth = max(0, depth - 1)
    return None


@functools.lru_cache(maxsize=16)
def _parsed(file: str, text: str) -> Any:
    """ruamel's round-trip tree of ``text``, kept: ``validate`` reads a file once for its schema and again to
    check it, and an ``extends`` parent is read by every child. The tree is only read, never changed."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml.load(text)


def _key_at(text: str, offset: int) -> str:
    """The key written on the line of ``offset`` (``seed`` in ``seed: 777...``), or ""."""
    start = text.rfind("\n", 0, offset) + 1
    m = re.match(r"\s*(?:-\s+)?([A-Za-z_][\w-]*)\s*:", text[start:offset])
    return m.group(1) if m else ""


_ENTRY_LINE = re.compile(r"^[ \t]*(?:-[ \t]|-$|[^\s#\-][^:#\n]*:(?:[ \t]|$))", re.MULTILINE)


def _values_over(text: str, limit: int) -> int | None:
    """The line where the values written in ``text`` first pass ``limit``, or None.

    Checked on the raw text before parsing: the parser takes about 45 µs a
    value, so a list of 100,000 numbers took 5-15 s to read before its size
    could be refused. A value is a key or list item on its own line, or an
    item of a ``[...]`` / ``{...}`` list (a comma outside quotes); aliases
    are counted after parsing, by the converter.
    """
    if text.count(",") + text.count("\n") <= limit:
        return None
    line_of_entry = [m.start() for m in _ENTRY_LINE.finditer(text)]
    if len(line_of_entry) > limit:
        return text.count("\n", 0, line_of_entry[limit]) + 1
    count, depth = len(line_of_entry), 0
    for ch, line in _outside_quotes(text):
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        elif ch == "," and depth:
            count += 1
            if count > limit:
                return line
    return None


def parse_yaml_text(text: str, file: str) -> Any:
    """Parse YAML ``text`` (already decoded) into YMap/YList/scalars."""
    many = _values_over(text, LIMITS["max_nodes"])
    if many is not None:
        raise ScenarioError.at(file, many, (), f"the file holds more than {LIMITS['max_nodes']:,} values "
                               "(a list of that many numbers?)",
                               "a scenario file needs far fewer; raise the limit with RISKMODEL_MAX_NODES "
                               "if the file is meant to be this large")
    deep = _flow_depth_over(text, 4 * LIMITS["max_depth"])  # far past the limit: the parser would take long
    # (a file just past the limit is left to the converter's check below, which names the key path)
    if deep is not None:
        raise ScenarioError.at(file, deep, (), f"nesting deeper than {LIMITS['max_depth']} levels",
                               "a scenario file needs a handful of levels")
    from . import _yaml_fast  # libyaml where it reads as ruamel would: 5 ms against 0.1 s for a scenario

    fast = _yaml_fast.parse(text, file, _Converter(file))
    if fast is not _yaml_fast.DECLINED:
        return fast
    try:
        data = _parsed(file, text)
    except MarkedYAMLError as exc:
        raise _yaml_problem(file, exc) from None
    except YAMLError as exc:
        raise ScenarioError.at(file, None, (), f"YAML: {exc}") from None
    except RecursionError:
        raise ScenarioError.at(file, None, (), "nesting too deep to read", "a scenario file needs a handful of levels") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. an impossible date such as 2023-02-30
        long_number = _LONG_DIGITS.search(text) if "digits" in str(exc) else None
        if long_number is not None:
            line = text.count("\n", 0, long_number.start()) + 1
            key = _key_at(text, long_number.start())
            raise ScenarioError.at(file, line, (key,) if key else (),
                                   f"a number of {len(long_number.group(0)):,} digits is beyond the range of "
                                   "numbers (±1.8e308)", "write a number within that range that the key allows") from None
        bad = _impossible_date(text)
        if bad is not None:
            line, word = bad
            raise ScenarioError.at(file, line, (), f"{word} is not a calendar date ({exc})",
                                   "write a month as YYYY-MM, or quote the value if it is meant as text") from None
        raise ScenarioError.at(file, None, (), f"a value could not be read: {exc}",
                               "quote the value if it is meant as text") from None
    try:
        return _Converter(file).convert(data, 0, 0, ())
    except RecursionError:
        raise ScenarioError.at(file, None, (), "nesting too deep to read", "a scenario file needs a handful of levels") from None


#: Whether a path a file names may lead outside its project (``--allow-outside``, RISKMODEL_ALLOW_OUTSIDE=1).
OUTSIDE = {"allowed": os.environ.get("RISKMODEL_ALLOW_OUTSIDE", "").strip().lower() in ("1", "true", "yes")}

_PROJECT_MARKERS = (".git", "pyproject.toml", "riskmodel.toml")


def project_root(file: str | Path) -> Path:
    """The folder tree a file may name paths in: its project, after resolving symlinks.

    The nearest folder above the file holding ``.git``, ``pyproject.toml`` or
    ``riskmodel.toml`` (not the home folder or ``/``); without one, the
    file's own folder.
    """
    folder = Path(os.path.realpath(Path(file).parent if str(Path(file).parent) else "."))
    stop = {Path("/"), Path(os.path.realpath(os.path.expanduser("~")))}
    for candidate in (folder, *folder.parents):
        if candidate in stop:
            break
        if any(os.path.lexists(candidate / m) for m in _PROJECT_MARKERS):
            return candidate
    return folder


def resolve_named(naming_file: str | Path, name: str, *, line: int | None, key_path: Sequence[object],
                  what: str = "file") -> Path:
    """The path ``name`` that ``naming_file`` names (relative to its folder), confined to its project.

    The one guard for every path a file names (``extends``, ``sources``, a
    registry's ``file``, an outcomes file's ``scenario``): after resolving
    symlinks the target must lie in :func:`project_root` of the naming file,
    unless ``--allow-outside`` is given. The error is the same whether or not
    the target exists, and says nothing of what is there.
    """
    shown = str(naming_file)
    if "\x00" in name:
        raise ScenarioError.at(shown, line, key_path, f"the {what} path holds a NUL character",
                               "write the path as plain text")
    joined = Path(naming_file).parent / name
    if OUTSIDE["allowed"]:
        return joined
    root = project_root(naming_file)
    target = Path(os.path.realpath(joined))
    if target != root and root not in target.parents:
        here = os.path.relpath(root) if Path.cwd() == root or Path.cwd() in root.parents else str(root)
        raise ScenarioError.at(shown, line, key_path,
                               f"the {what} '{name}' lies outside the project folder '{here}' that holds this "
                               "file (after following links); riskmodel reads nothing outside it",
                               "move the file into the project, or pass --allow-outside "
                               "(`riskmodel --allow-outside COMMAND ...`) if you trust this file")
    return joined


def read_text_file(path: str | Path, *, what: str = "file", max_bytes: int | None = None) -> str:
    """Read a UTF-8 text file with the checks every input gets; errors name the file.

    Only a regular file is read (a FIFO, a device or ``/proc`` file is refused
    before it is opened for reading, so nothing blocks), and at most the size
    limit + 1 bytes are read whatever size the file reports.
    """
    check_environment()
    path = Path(path)
    limit = LIMITS["max_file_bytes"] if max_bytes is None else max_bytes
    shown = str(path)
    if "\x00" in shown:
        raise ScenarioError.at(shown.replace("\x00", "\\0"), None, (), f"the {what} path holds a NUL character",
                               "name the file by its real path")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError.at(shown, None, (), f"{what} not found", "check the path") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ScenarioError.at(shown, None, (), f"{what} path is a loop of symbolic links",
                                   "name the file itself") from None
        if exc.errno in (errno.ENOTDIR, errno.ENAMETOOLONG):
            raise ScenarioError.at(shown, None, (), f"{what} not found ({exc.strerror})", "check the path") from None
        raise
    if stat.S_ISDIR(st.st_mode):
        raise ScenarioError.at(shown, None, (), f"is a directory, not a {what}", "name a YAML file")
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else \
            "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else \
            "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file"
        raise ScenarioError.at(shown, None, (), f"is {kind}, not a regular {what}", "name a file on disk")
    if st.st_size > limit:
        raise ScenarioError.at(shown, None, (), f"{what} is {st.st_size:,} bytes, over the limit of {limit:,}",
                               "raise it with RISKMODEL_MAX_FILE_BYTES if the file is meant to be this large")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for something else since the stat
            raise ScenarioError.at(shown, None, (), f"is not a regular {what}", "name a file on disk")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:  # /proc files report size 0
        raise ScenarioError.at(shown, None, (), f"{what} is over the limit of {limit:,} bytes",
                               "raise it with RISKMODEL_MAX_FILE_BYTES if the file is meant to be this large")
    if b"\x00" in data:
        raise ScenarioError.at(shown, None, (), f"{what} is binary (it holds NUL bytes)", "name a UTF-8 text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError.at(shown, line, (), f"{what} is not valid UTF-8 (byte {exc.start})",
                               "save the file as UTF-8") from None


def read_yaml(path: str | Path, *, what: str = "scenario file") -> Any:
    """Read one YAML file; an empty file or a non-mapping top level is an error."""
    text = read_text_file(path, what=what)
    data = parse_yaml_text(text, str(path))
    if data is None:
        raise ScenarioError.at(str(path), None, (), f"{what} is empty", "start from scenarios/examples/ or `riskmodel schema`")
    if not isinstance(data, YMap):
        kind = "a list" if isinstance(data, YList) else "text" if isinstance(data, str) else "a single value"
        raise ScenarioError.at(str(path), 1, (), f"the top level must be a mapping of keys, not {kind}",
                               "write `key: value` lines")
    return data
