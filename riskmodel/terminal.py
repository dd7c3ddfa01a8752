"""Text bound for a terminal, made inert: no control sequence, no bidi override, no markup.

Every message the CLI prints may carry text from a file it did not write (an
unknown key, a ``--set`` key, a title, a quote): a scenario from a stranger
must not be able to clear the screen, retitle the window, write the
clipboard (ESC/OSC sequences), plant a hyperlink, or reorder what is shown
(bidi controls). :func:`safe_text` writes such characters as visible escapes
(``\\x1b``, ``\\u202e``); :func:`plain_console` gives a rich console that
reads no markup and passes every string it renders through :func:`safe_text`.

:func:`print_register` and :func:`print_comparison` print a run's register and
a comparison's table, every likelihood through :func:`riskmodel.formats.fmt_likelihood`:
the numbers read as in the HTML and Markdown reports and on the figures.
"""

from __future__ import annotations

import os
import unicodedata

from .formats import fmt_interval, fmt_likelihood, fmt_pct, fmt_pp

__all__ = ["safe_text", "plain_console", "print_register", "print_comparison"]

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


def _share(value) -> str:
    """A judgment share (total-order index) as a percentage, or a dash when the run has none."""
    return "–" if value is None or value != value else f"{100 * float(value):.0f}%"


def print_register(console, register, title: str, *, wide: bool = False) -> None:
    """The register: one line per risk (number, title cut to fit, likelihood ± se, judgment share);
    ``wide``: every column, titles wrapped."""
    from rich import box
    from rich.table import Table

    if wide:
        table = Table(title=title, title_justify="left")
        for col, justify in (("risk", "left"), ("likelihood ± se", "right"), ("95% interval", "right"),
                             ("threshold", "right"), ("factor", "left"), ("judgment share", "right")):
            table.add_column(col, justify=justify)
        for row in register.itertuples():
            sign = ">" if row.direction == "above" else "<"
            table.add_row(f"{row.title}", fmt_likelihood(row.likelihood, row.se), fmt_interval(row.ci_low, row.ci_high),
                          f"{row.output} {sign} {row.threshold:,.6g}", row.factor,
                          _share(getattr(row, "judgment_ST", None)))
        console.print(table)
        return
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("#", justify="right", no_wrap=True)
    # the other columns take 2 + 15 + 8 characters and 2 of padding each side between columns
    table.add_column("risk", no_wrap=True, overflow="ellipsis", max_width=max(12, console.width - 39))
    table.add_column("likelihood ± se", justify="right", no_wrap=True, min_width=15)
    table.add_column("judgment", justify="right", no_wrap=True, min_width=8)
    for i, row in enumerate(register.itertuples(), start=1):
        table.add_row(str(i), f"{row.risk}: {row.title}", fmt_likelihood(row.likelihood, row.se),
                      _share(getattr(row, "judgment_ST", None)))
    console.print(table)


def print_comparison(console, runs, table, *, wide: bool = False) -> None:
    """One line per risk: each scenario's likelihood ± se, and after it the paired difference from the
    reference ± its standard error in percentage points.

    ``wide``: the likelihood ± se of every scenario and the difference ± se in columns of their own.
    """
    from rich import box
    from rich.table import Table

    # by position, not by name: the same name twice is two columns, "a" and "a (2)"
    names, seen = [], {}
    for i in sorted(set(table["position"])):
        name = str(table.loc[table["position"] == i, "scenario"].iloc[0])
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    meta = runs[0].meta
    head = f"{len(runs)} scenarios with common random numbers, {meta['samples']:,} paths each, seed {meta['seed']}, "
    if wide:
        title = head + f"{meta['sampler']}: likelihood ± se; difference from {names[0]} ± paired se"
        t = Table(title_justify="left")
        t.add_column("risk")
    else:
        title = (head + f"{meta['sampler']}. Likelihood ± se; then, for each other scenario, its likelihood and "
                 f"its difference from {names[0]} ± paired se, in percentage points")
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        t.add_column("risk", no_wrap=True, overflow="ellipsis", min_width=10, max_width=14)
    prefix = os.path.commonprefix(names) if len(names) > 1 else ""
    prefix = prefix[:prefix.rfind("-") + 1] if "-" in prefix else ""
    for i, name in enumerate(names):
        if wide:
            t.add_column(name, justify="right")
            if i:
                t.add_column("difference", justify="right")
        else:
            t.add_column(name[len(prefix):] or name, justify="right", overflow="fold",
                         min_width=12 if not i else 18, max_width=12 if not i else 18)
    for rid in dict.fromkeys(table["risk"]):
        rows = table[table["risk"] == rid].set_index("position")
        cells = [rid]
        for i in range(len(names)):
            if i not in rows.index:
                cells += ["–", "–"] if (i and wide) else ["–"]
                continue
            r = rows.loc[i]
            missing = r["diff"] != r["diff"]
            if wide:
                cells.append(fmt_likelihood(r.likelihood, r.se))
                if i:
                    cells.append("–" if missing else f"{fmt_pp(r['diff'])} ± {fmt_pp(r.se_diff, 2, sign=False)}")
            elif i:
                diff = "–" if missing else f"{fmt_pp(r['diff'])[:-3]}±{fmt_pp(r.se_diff, 2, sign=False)[:-3]}"
                cells.append(f"{fmt_pct(r.likelihood)} {diff}")
            else:
                cells.append(fmt_likelihood(r.likelihood, r.se, compact=True))
        t.add_row(*cells)
    console.print(title)  # wrapped at the console's width, not the table's
    console.print(t)
