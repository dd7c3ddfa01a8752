"""Quotes in source texts: the exact match a citation needs, and the closest passage when there is none.

:func:`find_quote` finds a quote in a registered text, tolerant of form but
not of wording (the normalisation is in :mod:`riskmodel._normalise`, the
rules in :mod:`riskmodel.sources`); :func:`closest_passage` and
:func:`suggest_passage` say where a quote that is not found comes nearest, so a
validation error can show it; :func:`find_phrase` is ``riskmodel sources find``.
Every result carries offsets and the 1-based line in the file as stored.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from ._normalise import _normalised, normalise

if TYPE_CHECKING:  # the registry's types, for annotations only (sources imports this module)
    from .sources import Registry, Source

__all__ = ["QuoteMatch", "PhraseHit", "find_quote", "closest_passage", "suggest_passage", "find_phrase"]


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
