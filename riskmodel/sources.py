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
The normalisation itself is in :mod:`riskmodel._normalise`.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import hashlib
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence


from ._normalise import _normalised, normalise
from .errors import Position, Problem, ProblemCollector, ScenarioError, did_you_mean
from .model import Month
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


@dataclass(frozen=True)
class QuoteMatch:
    """Where a quote (or the passage closest to it) stands in a source text."""

    start: int  # offset of the first character in ``Source.text``
    end: int  # offset one past the last character
    line: int  # 1-based line of ``start`` in the file
    passage: str  # ``Source.text[start:end]``, as stored
    score: float = 1.0  # 1.0 for a match; the similarity ratio for a closest passage


@dataclass(frozen=True)
class PhraseHit:
    """One occurrence of a phrase, for ``riskmodel sources find``."""

    source: str  # source id
    line: int  # 1-based line in the source file
    context: str  # the surrounding sentence, whitespace collapsed
    start: int = 0  # offset of the hit in ``Source.text``
    end: int = 0  # offset one past it


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


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _splits_word(text: str, i: int) -> bool:
    """Whether a cut between ``text[i-1]`` and ``text[i]`` falls inside a word or number."""
    if i <= 0 or i >= len(text):
        return False
    if text[i - 1].isalnum() and text[i].isalnum():
        return True
    # 1,000 and 2.5 are one word: a separator between digits
    if text[i - 1].isdigit() and text[i] in ",." and i + 1 < len(text) and text[i + 1].isdigit():
        return True
    return text[i].isdigit() and text[i - 1] in ",." and i >= 2 and text[i - 2].isdigit()


def _match(source: Source, n_start: int, n_end: int, score: float = 1.0) -> QuoteMatch:
    _, starts, ends = _normalised(source.text)
    start, end = starts[n_start], ends[n_end - 1]
    return QuoteMatch(start=start, end=end, line=_line_of(source.text, start),
                      passage=source.text[start:end], score=score)


def find_quote(source: Source, quote: str) -> QuoteMatch | None:
    """Find a quote in a source text, tolerant of form but not of wording.

    Parameters
    ----------
    source : Source
        A registered source.
    quote : str
        The quote as written in a scenario.

    Returns
    -------
    QuoteMatch or None
        The first occurrence that begins and ends on word boundaries, with its
        offsets and line in the text as stored; ``None`` when there is none or
        the quote is empty.
    """
    q = normalise(quote)[0]
    if not q:
        return None
    text = _normalised(source.text)[0]
    pos = text.find(q)
    while pos >= 0:
        end = pos + len(q)
        if not _splits_word(text, pos) and not _splits_word(text, end):
            return _match(source, pos, end)
        pos = text.find(q, pos + 1)
    return None


def _word_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^ ]+", text)]


def closest_passage(source: Source, quote: str) -> QuoteMatch | None:
    """The passage of a source most like a quote (for a quote not found).

    A window of the quote's length in words slides over the normalised text.
    Windows sharing the most words with the quote (counted as multisets,
    updated word by word) are ranked by :class:`difflib.SequenceMatcher`
    ratio, every window when few words are shared; the best is widened by a
    word at either edge while that raises the ratio.

    Parameters
    ----------
    source : Source
    quote : str

    Returns
    -------
    QuoteMatch or None
        The passage as stored, with ``score`` the similarity ratio in
        ``[0, 1]``; ``None`` for an empty quote or text.
    """
    q = normalise(quote)[0]
    text = _normalised(source.text)[0]
    spans, words = _word_index(text)
    if not q or not spans:
        return None
    need = Counter(q.split(" "))
    width = min(sum(need.values()), len(words))
    if len(words) > _EXACT_SCAN_WORDS:
        return _closest_in_long_text(source, text, spans, q, need, width)

    shared: list[int] = []  # shared[a]: words the window starting at word a has in common with the quote
    have: Counter = Counter()
    common = 0
    for i, word in enumerate(words):
        if have[word] < need[word]:
            common += 1
        have[word] += 1
        if i >= width:
            old = words[i - width]
            have[old] -= 1
            if have[old] < need[old]:
                common -= 1
        if i >= width - 1:
            shared.append(common)
    starts = range(len(shared))
    if 2 * max(shared) >= width:  # the right place shares most words: rank only the likeliest
        starts = sorted(starts, key=lambda a: (-shared[a], a))[:_CANDIDATES]

    return _best_window(source, text, spans, q, width, sorted(starts))


def _best_window(source: Source, text: str, spans, q: str, width: int, starts) -> QuoteMatch:
    """Of the windows of ``width`` words at ``starts``, the one most like ``q``, widened while that helps."""
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(q)

    def score(a: int, b: int) -> float:  # words a..b-1
        matcher.set_seq1(text[spans[a][0]:spans[b - 1][1]])
        return matcher.ratio()

    best, best_a = -1.0, 0
    for a in starts:
        matcher.set_seq1(text[spans[a][0]:spans[a + width - 1][1]])
        if matcher.real_quick_ratio() <= best or matcher.quick_ratio() <= best:
            continue
        r = matcher.ratio()
        if r > best:
            best, best_a = r, a
    a, b = best_a, best_a + width
    improved = True
    while improved:  # widen by a word at either edge while that helps (a quote missing a word);
        improved = False  # never narrow: dropping the word that differs would always score higher
        for na, nb in ((a - 1, b), (a, b + 1)):
            if 0 <= na < nb <= len(spans):
                r = score(na, nb)
                if r > best + 1e-12:
                    best, a, b, improved = r, na, nb, True
                    break
    return _match(source, spans[a][0], spans[b - 1][1], score=best)


_CANDIDATES = 40  # windows ranked by SequenceMatcher when the quote's words are found together
_EXACT_SCAN_WORDS = 20_000  # up to this many words every window may be scored; past it, the index below
_PEAKS = 40  # long texts: the places sharing most of the quote's words (or their first letters) ...
_AROUND = 5  # ... and the windows up to this many words either side of each, are scored


@functools.lru_cache(maxsize=8)
def _word_index(text: str) -> tuple[list, list]:
    """Word spans and words of a normalised text, computed once per text."""
    spans = _word_spans(text)
    return spans, [text[a:b] for a, b in spans]


@functools.lru_cache(maxsize=8)
def _word_ids(text: str) -> tuple:
    """For a long text: each word's id and its first-four-letters id (numpy arrays), and the two vocabularies."""
    import numpy as np

    words = _word_index(text)[1]
    vocab: dict = {}
    stems: dict = {}
    ids = np.fromiter((vocab.setdefault(w, len(vocab)) for w in words), dtype=np.int64, count=len(words))
    stem_ids = np.fromiter((stems.setdefault(w[:4], len(stems)) for w in words), dtype=np.int64, count=len(words))
    counts = np.bincount(ids, minlength=len(vocab))
    stem_counts = np.bincount(stem_ids, minlength=len(stems))
    return ids, stem_ids, vocab, stems, counts, stem_counts


def _closest_in_long_text(source: Source, text: str, spans, q: str, need: Counter, width: int) -> QuoteMatch:
    """:func:`closest_passage` in a long text, from a word index built once per text.

    Every window of the quote's width is scored at once (NumPy, a cumulative sum) by the rare words it
    shares with the quote, a word weighing ``log(n / its count)`` and a word sharing only its first four
    letters (a misspelling, another ending) half as much; SequenceMatcher then ranks the windows around
    the best-scoring places only, instead of every window of the text (15-25 s a quote at 1.9 MB).
    """
    import numpy as np

    ids, stem_ids, vocab, stems, counts, stem_counts = _word_ids(text)
    n = len(ids)
    word_weight = np.zeros(len(vocab))
    stem_weight = np.zeros(len(stems))
    for w in need:
        if w in vocab:
            word_weight[vocab[w]] = math.log(n / counts[vocab[w]])
        if w[:4] in stems:
            k = stems[w[:4]]
            stem_weight[k] = max(stem_weight[k], 0.5 * math.log(n / stem_counts[k]))
    per_word = np.maximum(word_weight[ids], stem_weight[stem_ids])
    total = np.concatenate([[0.0], np.cumsum(per_word)])
    window = total[width:] - total[:-width] if width else np.zeros(n)
    peaks: list = []
    for a in np.argsort(-window, kind="stable"):
        if len(peaks) >= _PEAKS or window[a] <= 0 and peaks:
            break
        if all(abs(int(a) - p) >= width for p in peaks):
            peaks.append(int(a))
    starts = sorted({a for p in peaks for a in range(max(0, p - _AROUND), min(len(window), p + _AROUND + 1))})
    return _best_window(source, text, spans, q, width, starts)


def _display(passage: str, max_chars: int) -> str:
    shown = " ".join(passage.split())
    if len(shown) > max_chars:
        shown = shown[: max_chars - 1].rstrip() + "…"
    return shown


def suggest_passage(source: Source, quote: str, *, max_chars: int = 240) -> str:
    """The passage of a source closest to a quote, ready for an error message.

    Parameters
    ----------
    source : Source
    quote : str
        A quote that :func:`find_quote` did not find.
    max_chars : int, optional
        Longer passages are cut, with ``…``.

    Returns
    -------
    str
        ``"<passage as stored, whitespace collapsed>" (line N)``, or ``""``
        when the quote or the text is empty. Use :func:`closest_passage` for
        the offsets, line and score apart.

    Examples
    --------
    A quote not found is then reported as
    ``f"quote not found in '{source.id}'; closest passage: {suggest_passage(source, quote)}"``.
    """
    match = closest_passage(source, quote)
    if match is None:
        return ""
    return f'"{_display(match.passage, max_chars)}" (line {match.line})'


_SENTENCE_END_RE = re.compile(r"[.!?][\"'”’)\]]*\s+|\n")


def _sentence_around(text: str, start: int, end: int, max_chars: int) -> str:
    left = 0
    for m in _SENTENCE_END_RE.finditer(text, 0, start):
        left = m.end()
    m = _SENTENCE_END_RE.search(text, end)
    right = max(m.end() if m else len(text), end)
    if right - left > max_chars:  # keep the hit, cut around it
        room = max(max_chars - (end - start), 0)
        new_left = max(left, start - room // 2)
        new_right = min(right, end + room - (start - new_left))
        if new_left > left:  # cut at a space, not inside a word
            space = text.find(" ", new_left, start)
            new_left = space + 1 if space >= 0 else new_left
        if new_right < right:
            space = text.rfind(" ", end, new_right)
            new_right = space if space >= 0 else new_right
        prefix = "…" if new_left > left else ""
        suffix = "…" if new_right < right else ""
        return prefix + " ".join(text[new_left:new_right].split()) + suffix
    return " ".join(text[left:right].split())


def find_phrase(registry: Registry | Sequence[Source], phrase: str, *, max_chars: int = 300) -> list[PhraseHit]:
    """Every occurrence of a phrase in the registered texts.

    Matching uses :func:`normalise` (case, quotes, dashes, whitespace and
    encoding damage do not matter) and, unlike :func:`find_quote`, also finds
    the phrase inside longer words (``"displace"`` finds ``displacement``).

    Parameters
    ----------
    registry : Registry or sequence of Source
    phrase : str
    max_chars : int, optional
        Longest context shown; a longer sentence is cut around the hit.

    Returns
    -------
    list of PhraseHit
        In registry order, then by position in the text; empty for an empty
        phrase.
    """
    p = normalise(phrase)[0]
    hits: list[PhraseHit] = []
    if not p:
        return hits
    for source in registry:
        text, starts, ends = _normalised(source.text)
        pos = text.find(p)
        while pos >= 0:
            start, end = starts[pos], ends[pos + len(p) - 1]
            hits.append(PhraseHit(
                source=source.id, line=_line_of(source.text, start),
                context=_sentence_around(source.text, start, end, max_chars), start=start, end=end,
            ))
            pos = text.find(p, pos + len(p))
    return hits
