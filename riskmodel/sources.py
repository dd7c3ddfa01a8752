"""The source registry and quote verification.

A registry file (``schema: riskmodel-sources/1``) lists the source texts a
scenario may cite: id, title, publisher, date, URL where known, the text file
(relative to the registry) and its SHA-256. :func:`load_registry` reads and
checks it, texts and hashes included, and reports every problem at once.

Quotes are matched against a *normalised* text, tolerant of the ways a quote
copied by hand or a text collected from the web differ without changing what
is said:

1. encoding damage is repaired with ``ftfy.fix_text``, word by word, so that
   mojibake such as ``â€œ`` reads ``“`` (a whole paragraph is not repaired in
   one call because one stray no-break space makes ftfy leave it alone);
2. each character is NFKC-normalised and case-folded (``…`` -> ``...``);
3. typographic quotes become ``'`` and ``"``, dashes become ``-``;
4. any run of whitespace becomes one space; spaces beside a dash and
   zero-width characters are dropped.

The same steps apply to the quote. Every character of the normalised text
keeps the span of the original text it came from, so a match is reported with
its offsets and 1-based line in the file as stored. A quote must also begin
and end on word boundaries: ``"1,000 Wagner fighters"`` is not found in
``"11,000 Wagner fighters"``, nor ``"000 Wagner"`` in ``"1,000 Wagner"``.
The normalisation itself is in :mod:`riskmodel._normalise`, the search in
:mod:`riskmodel.quotes` (its names are re-exported here).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ._normalise import normalise
from .errors import Position, Problem, ProblemCollector, ScenarioError, did_you_mean
from .model import Month
from .quotes import PhraseHit, QuoteMatch, closest_passage, find_phrase, find_quote, suggest_passage
from .yamlio import YList, YMap, position_of, read_text_file, read_yaml, resolve_named

__all__ = [
    # data
    "Source",
    "Registry",
    "QuoteMatch",
    "PhraseHit",
    # registry
    "SCHEMA",
    "load_registry",
    "registry_files",
    "check_sources",
    "sha256_of",
    "date_range",
    # quotes
    "normalise",
    "find_quote",
    "closest_passage",
    "suggest_passage",
    "find_phrase",
]

#: The ``schema`` line a registry file must carry.
SCHEMA = "riskmodel-sources/1"

_TOP_KEYS = ("schema", "sources")
_REQUIRED_KEYS = ("id", "title", "file", "sha256")  # a stored text
_REFERENCE_KEYS = ("id", "title", "url")  # a reference: no file, its quotes recorded, not verified
_ENTRY_KEYS = ("id", "title", "publisher", "date", "date_not_after", "url", "file", "sha256", "note")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SHA_RE = re.compile(r"^[0-9a-fA-F]{64}$")
_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Source:
    """One registered source text.

    ``text`` is the file decoded from UTF-8 exactly as stored (encoding damage
    included); offsets and lines of a :class:`QuoteMatch` refer to it.
    """

    id: str  # the id scenarios cite
    title: str
    publisher: str = ""  # "" when the text names none
    date: str = ""  # YYYY-MM-DD (or YYYY-MM, YYYY) as the text states it; "" when it states none
    url: str = ""  # "" when not known
    note: str = ""  # free text: provenance, what the text says about its own date
    file: Path = Path()  # absolute path of the text
    sha256: str = ""  # as registered (lower-case hex)
    text: str = field(default="", repr=False)  # the decoded text
    position: Position | None = None  # the entry in registry.yaml
    date_not_after: str = ""  # YYYY-MM-DD: an undated text known to be no later than this day

    @property
    def reference(self) -> bool:
        """A reference (url, date, no stored text): its quotes are recorded, not checked."""
        return not self.sha256 and not self.text and self.file == Path()


@dataclass(frozen=True)
class Registry:
    """The sources of one registry file, in file order."""

    path: Path  # the registry file, as given
    sources: tuple = ()  # tuple[Source, ...]

    @property
    def ids(self) -> tuple:
        """The source ids, in file order."""
        return tuple(s.id for s in self.sources)

    def get(self, id: str) -> Source | None:
        """The source with this id, or ``None``."""
        for source in self.sources:
            if source.id == id:
                return source
        return None

    def __contains__(self, id: object) -> bool:
        return any(s.id == id for s in self.sources)

    def __iter__(self) -> Iterator[Source]:
        return iter(self.sources)

    def __len__(self) -> int:
        return len(self.sources)


# --------------------------------------------------------------------------- registry


def sha256_of(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, as lower-case hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _short(digest: str) -> str:
    return digest[:8] + "…"


def _kind(value: object) -> str:
    """What a YAML value is, in the user's words."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "text" if isinstance(value, str) else type(value).__name__


def _as_text(value: object) -> str | None:
    """A scalar as text, or None when it is not a scalar string (None -> "")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return None


def load_registry(path: str | Path) -> Registry:
    """Read a source registry, check its shape, texts and hashes.

    Parameters
    ----------
    path : str or Path
        The registry file (``scenarios/sources/registry.yaml``); text files are
        named relative to it.

    Returns
    -------
    Registry
        Every source with its decoded text.

    Raises
    ------
    ScenarioError
        With every problem found: a wrong ``schema``, a missing or unknown key
        (with a did-you-mean), a duplicate id, a missing or unreadable text
        file, or a text whose SHA-256 differs from the registered one. Each
        names the registry line and key path, or the text file.
    """
    path = Path(path)
    shown = str(path)
    data = read_yaml(path, what="source registry")
    problems = ProblemCollector()

    def add(key_path: tuple, message: str, hint: str = "") -> None:
        pos = position_of(data, key_path, Position(shown, None))
        problems.add(pos, key_path, message, hint)

    meant: set[str] = set()  # keys a misspelt key stands for: not reported missing as well
    for key in data:
        if key not in _TOP_KEYS:
            add((key,), f"unknown key '{key}'",
                did_you_mean(key, _TOP_KEYS) or f"a registry holds {', '.join(_TOP_KEYS)}")
            meant.update(difflib.get_close_matches(str(key), _TOP_KEYS, n=1, cutoff=0.6))
    if "schema" not in data:
        if "schema" not in meant:
            problems.add(Position(shown, 1), (), "the registry has no 'schema' line",
                         f"begin it with `schema: {SCHEMA}`")
    elif data["schema"] != SCHEMA:
        add(("schema",), f"schema is {data['schema']!r}, not a source registry's",
            f"write `schema: {SCHEMA}`")

    raw = data.get("sources")
    sources: list[Source] = []
    if "sources" not in data:
        if "sources" not in meant:
            problems.add(Position(shown, None), (), "the registry has no 'sources' list",
                         "add `sources:` with one `- id: ...` entry per text")
    elif not isinstance(raw, YList):
        add(("sources",), f"'sources' must be a list of entries, not {_kind(raw)}",
            "write one `- id: ...` entry per text")
    else:
        first_line: dict[str, int | None] = {}
        for i, entry in enumerate(raw):
            sid = entry.get("id") if isinstance(entry, YMap) else None
            duplicate = isinstance(sid, str) and sid.strip() in first_line
            if duplicate:
                add(("sources", i, "id"),
                    f"duplicate id '{sid.strip()}' (first registered at line {first_line[sid.strip()]})",
                    "give each source its own id")
            elif isinstance(sid, str):
                first_line[sid.strip()] = position_of(data, ("sources", i, "id")).line
            source = _read_entry(data, path, i, entry, add)
            if source is not None and not duplicate:
                sources.append(source)
    problems.raise_if_any()
    return Registry(path=path, sources=tuple(sources))


def registry_files(path: str | Path) -> list[Path]:
    """The text files a registry names, read leniently (for watching, not checking).

    Every entry's ``file`` that resolves, whether or not the text exists or
    matches its hash: :func:`load_registry` checks every text it names, so a
    broken one breaks the scenario and must stay watched until it is mended.
    An unreadable registry names none.
    """
    path = Path(path)
    try:
        data = read_yaml(path, what="source registry")
    except ScenarioError:
        return []
    raw = data.get("sources") if isinstance(data, YMap) else None
    files: list[Path] = []
    for i, entry in enumerate(raw if isinstance(raw, YList) else ()):
        name = entry.get("file") if isinstance(entry, YMap) else None
        if isinstance(name, str) and name.strip():
            try:
                files.append(Path(os.path.realpath(resolve_named(
                    path, name.strip(), line=None, key_path=("sources", i, "file"), what="source text"))))
            except ScenarioError:
                pass
    return files


def _read_entry(data: YMap, path: Path, i: int, entry: object, add) -> Source | None:
    """Check one registry entry; return its Source, or None after reporting why not."""
    base = ("sources", i)
    if not isinstance(entry, YMap):
        add(base, f"each source must be a mapping of keys, not {_kind(entry)}",
            "write `- id: ...` with title, file and sha256 beneath it")
        return None
    ok = True
    meant: set[str] = set()  # keys a misspelt key stands for: not reported missing as well
    for key in entry:
        if key not in _ENTRY_KEYS:
            add(base + (key,), f"unknown key '{key}'",
                did_you_mean(key, _ENTRY_KEYS) or f"allowed keys: {', '.join(_ENTRY_KEYS)}")
            meant.update(difflib.get_close_matches(str(key), _ENTRY_KEYS, n=1, cutoff=0.6))
            ok = False
    is_reference = "file" not in entry and "sha256" not in entry and "url" in entry
    for key in (_REFERENCE_KEYS if is_reference else _REQUIRED_KEYS):
        if key not in entry:
            if key not in meant:
                add(base, f"missing '{key}'", f"a stored text needs {', '.join(_REQUIRED_KEYS)}; a reference "
                    f"(no stored text) needs {', '.join(_REFERENCE_KEYS)} and a date")
            ok = False
        elif entry[key] is None or (isinstance(entry[key], str) and not entry[key].strip()):
            add(base + (key,), f"'{key}' is empty", f"each source needs {', '.join(_REQUIRED_KEYS)}")
            ok = False
    values: dict[str, str] = {}
    for key in _ENTRY_KEYS:
        if key not in entry:
            values[key] = ""
            continue
        value = entry[key]
        if key in ("date", "date_not_after") and isinstance(value, _dt.date):
            value = value.isoformat()[:10]  # unquoted 2023-07-01 reads as a date
        text = _as_text(value)
        if text is None:
            add(base + (key,), f"'{key}' must be text, not {_kind(value)}",
                "write it as text, in quotes if it could be read as something else")
            ok = False
            values[key] = ""
            continue
        values[key] = text.strip()

    sid = values["id"]
    if sid and not _ID_RE.match(sid):
        add(base + ("id",), f"id {sid!r} has characters an id may not hold",
            "use letters, digits, '-', '_' and '.', starting with a letter or digit")
        ok = False
    if values["date"] and not _valid_date(values["date"]):
        add(base + ("date",), f"date {values['date']!r} is not a calendar date",
            "write YYYY-MM-DD (or YYYY-MM, YYYY) as the text states it, or leave it out")
        ok = False
    if values["date_not_after"] and not (len(values["date_not_after"]) == 10 and _valid_date(values["date_not_after"])):
        add(base + ("date_not_after",), f"date_not_after {values['date_not_after']!r} is not a calendar day",
            "write YYYY-MM-DD: the last day the text can be from")
        ok = False
    if values["date_not_after"] and values["date"]:
        add(base + ("date_not_after",), "a source with a date needs no date_not_after",
            "keep `date:` when the text states it, `date_not_after:` when only a latest day is known")
        ok = False
    if values["url"] and not values["url"].startswith(("http://", "https://")):
        add(base + ("url",), f"url {values['url']!r} is not a web address",
            "write an http(s):// address, or leave it out when none is known")
        ok = False
    digest = values["sha256"]
    if digest and not _SHA_RE.match(digest):
        add(base + ("sha256",), f"sha256 {digest!r} is not 64 hex digits",
            "write the digest `sha256sum <file>` prints")
        ok = False
    digest = digest.lower()

    text = ""
    file = Path()
    if values["file"]:
        try:
            file = resolve_named(path, values["file"], line=None, key_path=base + ("file",), what="source text")
        except ScenarioError as exc:
            add(base + ("file",), exc.problems[0].message, exc.problems[0].hint)
            return None
        file = Path(os.path.realpath(file))
        if not file.is_file():
            add(base + ("file",), f"text file '{values['file']}' not found (looked for {file})",
                "put the text next to the registry, or correct the path")
            ok = False
        else:
            try:
                text = read_text_file(file, what="source text")
            except ScenarioError as exc:
                # the text's own problem (binary, not UTF-8, too large) at the registry line
                for p in exc.problems:
                    where = f" (line {p.position.line})" if p.position.line else ""
                    add(base + ("file",), f"{values['file']}{where}: {p.message}", p.hint)
                ok = False
            else:
                found = hashlib.sha256(text.encode("utf-8")).hexdigest()
                if _SHA_RE.match(digest) and found != digest:
                    add(base + ("sha256",),
                        f"sha256 of {values['file']} differs: registered {_short(digest)}, "
                        f"file has {_short(found)}",
                        "restore the original text or re-register it")
                    ok = False
    if not ok:
        return None
    return Source(
        id=sid, title=values["title"], publisher=values["publisher"], date=values["date"],
        url=values["url"], note=values["note"], file=file, sha256=digest, text=text,
        position=position_of(data, base), date_not_after=values["date_not_after"],
    )


def date_range(text: str) -> tuple[_dt.date, _dt.date] | None:
    """The first and last day a date written ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` can mean; None if empty."""
    if not text or not _valid_date(text):
        return None
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 3:
        day = _dt.date(*parts)
        return day, day
    if len(parts) == 2:
        return _dt.date(parts[0], parts[1], 1), Month(parts[0], parts[1]).last_day()
    return _dt.date(parts[0], 1, 1), _dt.date(parts[0], 12, 31)


def _valid_date(text: str) -> bool:
    if not _DATE_RE.match(text):
        return False
    parts = [int(p) for p in text.split("-")] + [1, 1]
    try:
        _dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return False
    return True


def check_sources(registry: Registry | str | Path) -> list[Problem]:
    """Every problem of a registry, its texts and hashes, as read from disk now.

    Parameters
    ----------
    registry : Registry, str or Path
        A loaded registry (re-read from its file, so texts changed since it
        was loaded are caught) or the path of a registry file.

    Returns
    -------
    list of Problem
        Empty when every text is present and matches its SHA-256.
    """
    path = registry.path if isinstance(registry, Registry) else Path(registry)
    try:
        load_registry(path)
    except ScenarioError as exc:
        return list(exc.problems)
    return []
