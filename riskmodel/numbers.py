"""The numbers a quote states.

:func:`read_numbers` reads a passage of prose and returns every number it
states, each with the text it was read from. Validation uses it to check that
a cited parameter's defining numbers stand in its quotes (see
:mod:`riskmodel.validate`); the report's ledger shows what each quote states.

What is read
------------
- digits, with thousands separators: ``15,200``; ``15 200`` with a no-break
  (U+00A0), narrow no-break (U+202F) or thin (U+2009) space between the
  groups; an ordinary space too, as French and other texts copied from the
  web write thousands (``422 000``), but only between a first group of one
  to three digits and groups of exactly three (``in 2020 2021`` are two
  numbers; ``15 100`` reads as 15,100, the one ambiguity this leaves);
  decimals ``2.5``, ``.5``;
- scales: ``1.2 billion``, ``2.7 million``, ``5 thousand``, ``3 trillion``
  (and ``bn``, ``m`` straight after a number with no space: ``$1.2bn``);
- percentages: ``40%``, ``40 %``, ``40 percent``, ``40 per cent`` state 40
  and, as a share, 0.4 (:attr:`Stated.share`);
- ranges: ``50,000-70,000`` (hyphen or dash), ``50,000 to 70,000``,
  ``between 303 and 310``, ``from 3 to 5``: both ends are stated, and the
  pair is kept in :attr:`Stated.range_with`; a scale or ``%`` after the second
  end applies to the first as well (``2-3 million``, ``10-20%``);
- number words: ``zero`` to ``nineteen``, the tens (``twenty-five``,
  ``forty two``), ``hundred``/``thousand``/``million``/``billion`` after a
  word or ``a`` (``two hundred``, ``a thousand``, ``three million``),
  ``a dozen`` (12), ``a decade`` (10, also ``a decade-long``), ``a century`` (100), ``half`` (0.5),
  ``a third``, ``a quarter``, ``twice`` (2).

What is not read: ordinals (``first``), vague quantities (``thousands of``,
``dozens``, ``several``), negative signs (a hyphen before digits is a dash
in prose), Roman numerals, and numbers inside words (``G5``, ``COVID-19`` is
read as 19 only when the ``19`` stands on its own after the dash).
Qualifiers such as ``over``, ``at least``, ``approximately`` are kept in
:attr:`Stated.qualifier` but do not change the value: "over 500" states 500.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Optional

__all__ = ["Stated", "read_numbers", "stated_values", "states", "same_number", "word_count", "format_number",
           "format_numbers"]


@dataclass(frozen=True)
class Stated:
    """One number a passage states."""

    value: float  # the number, scale applied ("2.7 million" -> 2.7e6; "40%" -> 40)
    text: str  # the words it was read from, as written
    start: int  # offset in the passage
    end: int
    percent: bool = False  # written as a percentage: it also states ``share``
    qualifier: str = ""  # "over", "at least", "approximately", ... ("" when none)
    range_with: Optional[float] = None  # the other end, when this is one end of a range

    @property
    def share(self) -> Optional[float]:
        """``value / 100`` for a percentage, else None."""
        return self.value / 100.0 if self.percent else None


_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SHORT_SCALES = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12}
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_A_WORDS = {"dozen": 12, "decade": 10, "century": 100, "third": 1 / 3, "quarter": 0.25, "half": 0.5,
            "hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9}
_LONE_WORDS = {"half": 0.5, "twice": 2, "dozen": 12}
_QUALIFIERS = ("at least", "at most", "more than", "less than", "fewer than", "up to", "over", "under", "nearly",
               "almost", "about", "around", "approximately", "roughly", "some", "an estimated", "estimated",
               "close to", "as many as", "as few as")

#: A word the length rule counts (letters, or a number): see :func:`word_count`.
WORD_COUNT = re.compile(r"[^\W_]+(?:[’'.,\u00a0\u202f\u2009-][^\W_]+)*")

_GROUP_SEP = ",\u00a0\u202f\u2009 "
# digits: grouped thousands (the same separator throughout) or plain, then a decimal part
_DIGITS = (r"(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:\u00a0\d{3})+|\d{1,3}(?:\u202f\d{3})+|\d{1,3}(?:\u2009\d{3})+"
           r"|\d{1,3}(?: \d{3})+|\d+)(?:\.\d+)?|\.\d+")
_SCALE_RE = r"(?:\s*(?P<{n}>thousand|million|billion|trillion)\b|(?P<{n}s>bn|mn|tn|k|m|b)\b)?"
_PCT_RE = r"(?P<{n}>\s?%|\s*per\s?cent\b|\s*percent\b)?"
_NUMBER = (r"(?P<{n}>" + _DIGITS + r")" + _SCALE_RE.replace("{n}", "{n}sc") + _PCT_RE.replace("{n}", "{n}pc"))
_DASH = r"\s*[-\u2010\u2011\u2012\u2013\u2014\u2212]\s*"
_TOKEN_RE = re.compile(
    r"(?<![\w.,\u00a0\u202f\u2009])(?:"
    r"(?:(?P<between>between|from)\s+)?"
    + _NUMBER.replace("{n}", "a")
    + r"(?:(?P<join>" + _DASH + r"|\s+(?:to|and)\s+)" + _NUMBER.replace("{n}", "b") + r")?"
    + r")(?![\w]|[.,]\d)",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def _digits_value(text: str) -> float:
    for sep in _GROUP_SEP:
        text = text.replace(sep, "")
    return float(text)


def _scale_of(m: re.Match, n: str) -> float:
    word = m.group(n + "sc")
    if word:
        return _SCALES[word.lower()]
    short = m.group(n + "scs")
    return _SHORT_SCALES[short.lower()] if short else 1.0


def _qualifier_before(passage: str, start: int) -> str:
    before = passage[max(0, start - 30):start].lower().rstrip()
    before = re.sub(r"[\s\u00a0\u202f]+", " ", before)
    for q in _QUALIFIERS:
        if before.endswith(q) and (len(before) == len(q) or not before[-len(q) - 1].isalnum()):
            return q
    return ""


def _read_digits(passage: str) -> list[Stated]:
    out: list[Stated] = []
    for m in _TOKEN_RE.finditer(passage):
        a_text, b_text = m.group("a"), m.group("b")
        a = _digits_value(a_text)
        qual = _qualifier_before(passage, m.start())
        if b_text is None:
            out.append(Stated(a * _scale_of(m, "a"), passage[m.start("a"):m.end()].strip(), m.start("a"), m.end(),
                              percent=bool(m.group("apc")), qualifier=qual))
            continue
        join = m.group("join").strip().lower()
        if join == "and" and not m.group("between"):
            # "303 and 310" with no "between" is two numbers, not a range
            out.append(Stated(a * _scale_of(m, "a"), a_text, m.start("a"), m.end("a"),
                              percent=bool(m.group("apc")), qualifier=qual))
            out.append(Stated(_digits_value(b_text) * _scale_of(m, "b"), passage[m.start("b"):m.end()].strip(),
                              m.start("b"), m.end(), percent=bool(m.group("bpc"))))
            continue
        b = _digits_value(b_text)
        scale_b = _scale_of(m, "b")
        scale_a = _scale_of(m, "a") if (m.group("asc") or m.group("ascs")) else scale_b
        pct_b = bool(m.group("bpc"))
        pct_a = bool(m.group("apc")) or pct_b
        va, vb = a * scale_a, b * scale_b
        if join in ("-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212") and not vb > va:
            # "15-0 vote", "2020-21": not a range; two numbers as written
            out.append(Stated(a * _scale_of(m, "a"), a_text, m.start("a"), m.end("a"),
                              percent=bool(m.group("apc")), qualifier=qual))
            out.append(Stated(vb, passage[m.start("b"):m.end()].strip(), m.start("b"), m.end(), percent=pct_b))
            continue
        out.append(Stated(va, a_text, m.start("a"), m.end("a"), percent=pct_a, qualifier=qual, range_with=vb))
        out.append(Stated(vb, passage[m.start("b"):m.end()].strip(), m.start("b"), m.end(), percent=pct_b,
                          range_with=va))
    return out


def _word_number(words: list[tuple[str, int, int]], i: int) -> tuple[Optional[float], int]:
    """A number spelt out from words[i]; (value, words used) or (None, 0)."""
    w = words[i][0].lower()
    parts = w.split("-")
    value: Optional[float] = None
    used = 1
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS and 0 < _UNITS[parts[1]] < 10:
        value = _TENS[parts[0]] + _UNITS[parts[1]]
    elif len(parts) == 1 and w in _TENS:
        value = _TENS[w]
        if i + 1 < len(words) and words[i + 1][0].lower() in _UNITS and 0 < _UNITS[words[i + 1][0].lower()] < 10:
            value += _UNITS[words[i + 1][0].lower()]
            used = 2
    elif len(parts) == 1 and w in _UNITS:
        value = _UNITS[w]
    if value is None:
        return None, 0
    # "two hundred", "three million", "two hundred thousand"
    while i + used < len(words) and words[i + used][0].lower() in ("hundred", "thousand", "million", "billion"):
        value *= {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9}[words[i + used][0].lower()]
        used += 1
    return float(value), used


def _read_words(passage: str, taken: list[tuple[int, int]]) -> list[Stated]:
    words = [(m.group(0), m.start(), m.end()) for m in _WORD_RE.finditer(passage)]
    out: list[Stated] = []
    i = 0
    while i < len(words):
        w, start, end = words[i]
        lw = w.lower()
        if any(a <= start < b for a, b in taken):
            i += 1
            continue
        nxt = words[i + 1][0].lower() if i + 1 < len(words) else ""
        nxt = re.sub(r"-(?:long|old|strong)$", "", nxt)  # "a decade-long presence" states a decade
        if lw in ("a", "an", "one") and nxt in _A_WORDS and words[i + 1][1] - end <= 2:
            value = float(_A_WORDS[nxt])
            used = 2
            if nxt in ("hundred", "thousand", "million", "billion"):
                while i + used < len(words) and words[i + used][0].lower() in ("thousand", "million", "billion"):
                    value *= _SCALES[words[i + used][0].lower()]
                    used += 1
            last = words[i + used - 1][2]
            out.append(Stated(value, passage[start:last], start, last, qualifier=_qualifier_before(passage, start)))
            i += used
            continue
        value, used = _word_number(words, i)
        if value is not None:
            last = words[i + used - 1][2]
            out.append(Stated(value, passage[start:last], start, last, qualifier=_qualifier_before(passage, start)))
            i += used
            continue
        if lw in _LONE_WORDS:
            out.append(Stated(float(_LONE_WORDS[lw]), w, start, end))
        i += 1
    return out


def read_numbers(passage: str) -> tuple[Stated, ...]:
    """Every number a passage states, in the order written.

    Parameters
    ----------
    passage : str
        A quote as written in a scenario (or any prose).

    Returns
    -------
    tuple of Stated
        Each with its value, the text it was read from and its offsets.

    Examples
    --------
    >>> [s.value for s in read_numbers("between 303 and 310 peacekeepers, $1.2 billion, 40%")]
    [303.0, 310.0, 1200000000.0, 40.0]
    >>> [s.value for s in read_numbers("two coups in a decade")]
    [2.0, 10.0]
    """
    digits = _read_digits(passage)
    taken = [(s.start, s.end) for s in digits]
    words = _read_words(passage, taken)
    return tuple(sorted(digits + words, key=lambda s: s.start))


def stated_values(passage: str, *, unit: str = "") -> tuple[float, ...]:
    """The distinct values a passage states: each number, and each percentage as a share.

    Parameters
    ----------
    passage : str
    unit : str, optional
        The parameter's unit: when it names a scale ("million USD"), a number
        written with that scale also states its figure before scaling
        ("$1.2 billion" states 1.2 for a parameter in "billion USD").
    """
    out: list[float] = []
    scales = [(w, f) for w, f in _SCALES.items() if w in unit.lower()]
    for s in read_numbers(passage):
        out.append(s.value)
        if s.percent:
            out.append(s.value / 100.0)
        for _, factor in scales:
            out.append(s.value / factor)
    return tuple(dict.fromkeys(out))


def same_number(a: float, b: float) -> bool:
    """Whether two numbers are the same figure (to 1e-9 relative, for decimals read from text)."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def states(passage: str, value: float, *, unit: str = "") -> bool:
    """Whether a passage states ``value`` (see :func:`stated_values`)."""
    return any(same_number(v, value) for v in stated_values(passage, unit=unit))


def word_count(passage: str) -> tuple[int, int]:
    """(words, numbers) in a passage: words hold a letter; a number read by :func:`read_numbers` counts once."""
    tokens = WORD_COUNT.findall(passage)
    words = sum(1 for t in tokens if any(ch.isalpha() for ch in t))
    return words, len(read_numbers(passage))


def format_number(x: float) -> str:
    """A number as a message shows it: ``15,200``, ``0.4``, ``2.7e+06`` only when huge."""
    if x is None or not math.isfinite(x):
        return str(x)
    near = round(x)
    if abs(x - near) <= 1e-9 * max(1.0, abs(x)) and abs(x) < 1e15:
        return f"{int(near):,}"
    return f"{x:.6g}"


def format_numbers(values: Iterable[float]) -> str:
    """Several numbers as a message lists them."""
    return ", ".join(format_number(v) for v in values)
