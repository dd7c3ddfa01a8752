"""Text bound for a terminal, made inert: no control sequence, no bidi override, no markup.

Every message the CLI prints may carry text from a file it did not write (an
unknown key, a ``--set`` key, a title, a quote): a scenario from a stranger
must not be able to clear the screen, retitle the window, write the
clipboard (ESC/OSC sequences), plant a hyperlink, or reorder what is shown
(bidi controls). :func:`safe_text` writes such characters as visible escapes
(``\\x1b``, ``\\u202e``); :func:`plain_console` gives a rich console that
reads no markup and passes every string it renders through :func:`safe_text`.
"""

from __future__ import annotations

import unicodedata

__all__ = ["safe_text", "plain_console"]

#: Format characters that reorder text or hide it: bidi embeddings, overrides, isolates and marks.
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_cache: dict = {}


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _unsafe(ch: str) -> bool:
    hit = _cache.get(ch)
    if hit is None:
        hit = _cache[ch] = ch in _BIDI or unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs")
    return hit


def safe_text(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` with control, line-separator and bidi characters written as escapes.

    >>> safe_text("title\\x1b]0;owned\\x07")
    'title\\\\x1b]0;owned\\\\x07'
    """
    text = str(text)
    if text.isprintable() and not any(ch in _BIDI for ch in text):
        return text
    return "".join(ch if (keep_newlines and ch == "\n") or not _unsafe(ch) else _escape(ch) for ch in text)


def plain_console(**kwargs):
    """A rich Console that prints strings as plain text: no markup, emoji codes or highlighting, escaped."""
    from rich.console import Console

    class _PlainConsole(Console):
        def render_str(self, text, **kw):
            kw.update(markup=False, emoji=False, highlight=False)
            return super().render_str(safe_text(text, keep_newlines=True), **kw)

    return _PlainConsole(markup=False, emoji=False, highlight=False, **kwargs)
