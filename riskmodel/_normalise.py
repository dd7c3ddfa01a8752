"""Normalisation of source texts and quotes for matching (see :mod:`riskmodel.sources`).

Encoding damage repaired by ftfy word by word, NFKC and case folding, typographic quotes and dashes
made plain, whitespace runs made one space; every character out keeps the span of the text it came
from. A long source text is normalised word by word, a stretch of plain ASCII words at once.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata

__all__ = ["normalise"]


_CHAR_MAP = {
    # single quotes and primes -> '
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u0060\u00b4\u2039\u203a", "'"),
    # double quotes -> "
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u301d\u301e", '"'),
    # hyphens, dashes, minus -> -
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    "\u2026": "...",
}
# characters that vanish: zero-width spaces and joiners, soft hyphen, BOM
_DROP = frozenset("\u200b\u200c\u200d\u2060\u00ad\ufeff")
# word separators for the repair step; a no-break space after Â or Ã is half of a
# mojibake pair (Â\xa0 = no-break space, Ã\xa0 = à), so it stays with its word
_SEPARATOR_RE = re.compile(r"(?:(?<![ÂÃ])\s)+")


def _repair_word(word: str) -> list[tuple[str, int, int]]:
    """ftfy one word; each output character with the span of ``word`` it came from."""
    if word.isascii() and word.isprintable() and "&" not in word:
        return [(ch, i, i + 1) for i, ch in enumerate(word)]
    fixed = _fix(word)
    if fixed == word:
        return [(ch, i, i + 1) for i, ch in enumerate(word)]
    out: list[tuple[str, int, int]] = []
    matcher = difflib.SequenceMatcher(None, word, fixed, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend((fixed[j1 + k], i1 + k, i1 + k + 1) for k in range(j2 - j1))
        elif tag in ("replace", "insert"):
            a = min(i1, len(word) - 1)  # an insertion at the end belongs to the last character
            out.extend((fixed[j], a, max(i2, a + 1)) for j in range(j1, j2))
    return out


@functools.lru_cache(maxsize=4096)
def _fix(word: str) -> str:
    import ftfy  # on first use: a scenario that cites nothing never pays its import (34 ms)

    return ftfy.fix_text(word)


def _repair(text: str) -> tuple[str, list[int], list[int]]:
    """Stage 1: ftfy word by word; output text with each char's (start, end) in ``text``."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for sep in [*_SEPARATOR_RE.finditer(text), None]:
        word_start, word_end = pos, (sep.start() if sep else len(text))
        if word_end > word_start:
            for ch, a, b in _repair_word(text[word_start:word_end]):
                chars.append(ch)
                starts.append(word_start + a)
                ends.append(word_start + b)
        if sep is not None:
            for k in range(sep.start(), sep.end()):
                chars.append(text[k])
                starts.append(k)
                ends.append(k + 1)
            pos = sep.end()
    return "".join(chars), starts, ends


def _fold(cluster: str) -> str:
    """NFKC + casefold + quote/dash mapping of one character with its combining marks."""
    if cluster.isascii():
        out = cluster.lower()
    else:
        out = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", cluster).casefold())
    if any(ch in _CHAR_MAP or ch in _DROP for ch in out):
        out = "".join(_CHAR_MAP.get(ch, "" if ch in _DROP else ch) for ch in out)
    return out


def _normalise_full(text: str) -> tuple[str, list[int], list[int]]:
    """Normalised text, with each character's (start, end) span in ``text``."""
    return _normalise_core(text)[:3]


def _normalise_core(text: str) -> tuple[str, list[int], list[int], tuple | None]:
    """:func:`_normalise_full`, and the span of the whitespace after the last character out (None if none)."""
    repaired, rstarts, rends = _repair(text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pending: tuple[int, int] | None = None  # span of a whitespace run not yet written
    i, n = 0, len(repaired)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(repaired[j]):
            j += 1
        span = (rstarts[i], rends[j - 1])
        for ch in _fold(repaired[i:j]):
            if ch.isspace():
                if pending is None:
                    pending = span
                continue
            if pending is not None:
                if out and out[-1] != "-" and ch != "-":
                    out.append(" ")
                    starts.append(pending[0])
                    ends.append(pending[1])
                pending = None
            out.append(ch)
            starts.append(span[0])
            ends.append(span[1])
        i = j
    return "".join(out), starts, ends, pending


# a run of plain whitespace that separates words (not after Â or Ã: see _SEPARATOR_RE), and a word that
# normalises to itself lower-cased (printable ASCII without & and `, which ftfy and _CHAR_MAP may change)
_PLAIN_GAP_RE = re.compile(r"(?:(?<![ÂÃ])[ \t\n\r])+")
_PLAIN_WORD_RE = re.compile(r"[!-%'-_a-~]+")


def _cluster_end(text: str, i: int) -> int:
    """The end of the character at ``i`` with the combining marks after it."""
    j = i + 1
    while j < len(text) and unicodedata.combining(text[j]):
        j += 1
    return j


def _normalise_by_word(text: str) -> tuple[str, list[int], list[int]]:
    """:func:`_normalise_full`, word by word: the same text and spans, several times faster on long texts.

    Both stages are local to a word (ftfy's repair is applied word by word; folding is per character), so
    the text is cut at runs of plain whitespace: a stretch of words of plain ASCII normalises to itself
    lower-cased, at once (NumPy), any other word goes through :func:`_normalise_full` alone, with the gap
    after it, and each gap becomes one space under the same rule (none at either end, none beside a dash).
    """
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last, pending, pos, search_from, n = "", None, 0, 0, len(text)

    def emit(norm: str, w_starts, w_ends) -> None:
        """Append a normalised piece and its spans, after the pending gap's one space where the rule wants it."""
        nonlocal last, pending
        if pending is not None and last and last != "-" and norm[0] != "-":
            out.append(" ")
            starts.append(pending[0])
            ends.append(pending[1])
        pending = None
        out.append(norm)
        starts.extend(w_starts)
        ends.extend(w_ends)
        last = norm[-1]

    while True:
        run = _PLAIN_RUN_RE.match(text, pos)
        if run is not None:
            norm, idx = _plain_run(text[pos:run.end()])
            emit(norm, (idx + pos).tolist(), (idx + pos + 1).tolist())
            pos = search_from = run.end()
        gap = _PLAIN_GAP_RE.search(text, search_from)
        a, b = pos, (gap.start() if gap is not None else n)
        nxt = gap.end() if gap is not None else n
        if nxt < n and unicodedata.combining(text[nxt]):
            nxt -= 1  # a combining mark after a gap belongs to its last character: keep them together
        after = (gap.start(), _cluster_end(text, gap.start())) if gap is not None else None
        norm = ""
        if b > a and _PLAIN_WORD_RE.fullmatch(text, a, b):
            norm, w_starts, w_ends = text[a:b].lower(), range(a, b), range(a + 1, b + 1)
        elif nxt > a and b > a:
            norm, w_starts, w_ends, tail = _normalise_word(text[a:nxt])
            w_starts, w_ends = [a + x for x in w_starts], [a + x for x in w_ends]
            if tail is not None:  # else the gap is one character, kept with the combining mark after it
                after = (a + tail[0], a + tail[1])
        if norm:
            emit(norm, w_starts, w_ends)
        if pending is None:
            pending = after
        if gap is None:
            return "".join(out), starts, ends
        pos, search_from = nxt, gap.end()


@functools.lru_cache(maxsize=65536)
def _normalise_word(word: str) -> tuple:
    """:func:`_normalise_core` of one word and its gap, kept: the same damaged words recur through a text."""
    norm, starts, ends, tail = _normalise_core(word)
    return norm, tuple(starts), tuple(ends), tail


# plain words separated by plain gaps, ending where a gap or the text ends
_PLAIN_RUN_RE = re.compile(r"[!-%'-_a-~]+(?:[ \t\n\r]+[!-%'-_a-~]+)*(?![^ \t\n\r])")


def _plain_run(run: str):
    """A stretch of plain ASCII words normalised at once: the text, and the offset in ``run`` of each character.

    Lower-cased; each gap becomes one space at its first character, except beside a dash.
    """
    import numpy as np

    arr = np.frombuffer(run.encode("ascii"), dtype=np.uint8)
    ws = (arr == 32) | (arr == 9) | (arr == 10) | (arr == 13)
    edge = np.zeros(1, dtype=bool)
    first = np.flatnonzero(ws & ~np.concatenate([edge, ws[:-1]]))  # a gap's first character
    after = np.flatnonzero(ws & ~np.concatenate([ws[1:], edge])) + 1  # the character after it
    keep = ~ws
    keep[first[(arr[first - 1] != 45) & (arr[after] != 45)]] = True  # 45: "-"
    low = np.frombuffer(run.lower().encode("ascii"), dtype=np.uint8).copy()
    low[ws] = 32
    idx = np.flatnonzero(keep)
    return low[idx].tobytes().decode("ascii"), idx


@functools.lru_cache(maxsize=32)
def _normalised(text: str) -> tuple[str, tuple, tuple]:
    """The normalised form of a source text, kept for the next quote (texts are few)."""
    norm, starts, ends = _normalise_by_word(text)
    return norm, tuple(starts), tuple(ends)


def normalise(text: str) -> tuple[str, list[int]]:
    """Normalise a text for quote matching, keeping a map back to it.

    Parameters
    ----------
    text : str
        A source text or a quote.

    Returns
    -------
    normalised : str
        The text repaired by ftfy, NFKC-normalised, case-folded, with
        typographic quotes and dashes made plain, whitespace runs made one
        space (none at either end, none beside a dash).
    offsets : list of int, length ``len(normalised)``
        For each normalised character, the offset in ``text`` of the
        character it came from.

    Examples
    --------
    >>> normalise("Mali\\xa0â€œTo  continue")
    ('mali "to continue', [0, 1, 2, 3, 4, 5, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19])
    """
    norm, starts, _ = _normalise_full(text)
    return norm, starts
