"""Text bound for a terminal, made inert: no control sequence, no bidi override, no markup.

Every message the CLI prints may carry text from a file it did not write (an
unknown key, a ``--set`` key, a title, a quote): a scenario from a stranger
must not be able to clear the screen, retitle the window, write the
clipboard (ESC/OSC sequences), plant a hyperlink, or reorder what is shown
(bidi controls). :func:`safe_text` writes such characters as visible escapes
(``\\x1b``, ``\\u202e``); :func:`plain_console` gives a rich console that
reads no markup and passes every string it renders through :func:`safe_text`.

:func:`print_register`, :func:`print_comparison`, :func:`print_backtest` and
:func:`print_explanation` print a run's register, a comparison's table, a
backtest's scores and a Sobol analysis, every likelihood through
:func:`riskmodel.formats.fmt_likelihood`: the numbers read as in the HTML and
Markdown reports and on the figures. :class:`PhaseDisplay` is a run's
progress, a line per phase.
"""

from __future__ import annotations

import os
import sys
import unicodedata

from .formats import fmt_error, fmt_interval, fmt_likelihood, fmt_pct, fmt_pp

__all__ = ["safe_text", "wrapped", "plain_console", "print_register", "print_comparison", "print_backtest",
           "print_explanation", "PhaseDisplay"]

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


def wrapped(text: str, indent: str = "", hang: str = "  ", width: int | None = None) -> str:
    """``text`` made safe and wrapped at the terminal's width (``$COLUMNS`` when piped, else 80): the first
    line after ``indent``, the rest after ``indent + hang``. A word longer than a line (an address, a path)
    is never broken."""
    import shutil
    import textwrap

    width = width or max(40, shutil.get_terminal_size((80, 24)).columns)
    return textwrap.fill(safe_text(text), width=width, initial_indent=indent, subsequent_indent=indent + hang,
                         break_long_words=False, break_on_hyphens=False)


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
        _print_wide_register(console, register, title)
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


def _table_fits(console, headers, rows, flexible: dict | None = None, *, wrap_headers: bool = True) -> bool:
    """Whether a boxed rich table of these cells fits the console with every cell whole: each column
    as wide as its longest cell (a header may wrap between words, unless ``wrap_headers`` is false: a
    ``no_wrap`` column's header is as whole as its cells); ``flexible`` maps a column that wraps to the
    width it may wrap down to."""
    from rich.cells import cell_len

    def header(text: str) -> int:
        return max(cell_len(w) for w in text.split() or [""]) if wrap_headers else cell_len(text)

    widths = [max([cell_len(r[k]) for r in rows] + [header(headers[k])]) for k in range(len(headers))]
    for k, width in (flexible or {}).items():
        widths[k] = width
    return sum(widths) + 3 * len(widths) + 1 <= console.width  # a space each side of a cell, a rule between


def _print_wrapped(console, text: str, indent: int = 4) -> None:
    """``text`` wrapped at the console's width as :func:`wrapped` wraps it, each line indented."""
    for line in wrapped(text, " " * indent, hang="", width=max(20 + indent, console.width)).splitlines():
        console.print(line, soft_wrap=True)  # wrapped already: rich must not fold it again


def _table_or_blocks(console, title: str, headers, rows, left, block) -> None:
    """A table of ``rows`` under ``title`` when it fits the console with every cell whole (the columns
    named in ``left`` justified left, the others right), else the title wrapped and ``block(*cells)`` for
    each row: no number is ever cut or folded."""
    from rich.table import Table

    if not _table_fits(console, headers, rows, wrap_headers=False):
        _print_wrapped(console, title, indent=0)
        for cells in rows:
            block(*cells)
        return
    table = Table(title=title, title_justify="left")
    for col in headers:
        table.add_column(col, justify="left" if col in left else "right", no_wrap=True)
    for cells in rows:
        table.add_row(*cells)
    console.print(table)


def _print_wide_register(console, register, title: str) -> None:
    """Every column of the register, nothing cut: a table whose titles wrap when the terminal holds
    its other columns whole, else a block per risk (number and id; title; threshold, likelihood,
    interval, judgment share and factor), wrapped within the width."""
    from rich.table import Table

    rows = []
    for i, row in enumerate(register.itertuples(), start=1):
        sign = ">" if row.direction == "above" else "<"
        rows.append((str(i), f"{row.risk}: {row.title}", fmt_likelihood(row.likelihood, row.se),
                     fmt_interval(row.ci_low, row.ci_high), f"{row.output} {sign} {row.threshold:,.6g}",
                     str(row.factor), _share(getattr(row, "judgment_ST", None))))
    columns = (("#", "right"), ("risk", "left"), ("likelihood ± se", "right"), ("95% interval", "right"),
               ("threshold", "right"), ("factor", "left"), ("judgment share", "right"))
    table = Table(title=title, title_justify="left")
    for col, justify in columns:  # the title (in "risk") wraps down to 24; every other cell is printed whole
        table.add_column(col, justify=justify, no_wrap=col != "risk", min_width=24 if col == "risk" else None)
    for cells in rows:
        table.add_row(*cells)
    if _table_fits(console, [col for col, _ in columns], rows, flexible={1: 24}):
        console.print(table)
        return
    console.print(title)
    for number, risk, likelihood, interval, threshold, factor, share in rows:
        risk_id, _, risk_title = risk.partition(": ")
        console.print(f"{number:>2}  {risk_id}")
        _print_wrapped(console, risk_title)
        _print_wrapped(console, f"{threshold}: {likelihood} (95% interval {interval}); judgment share {share}; "
                                f"factor {factor}")


def print_comparison(console, runs, table, *, wide: bool = False) -> None:
    """One line per risk: each scenario's likelihood ± se, and after it the paired difference from the
    reference ± its standard error in percentage points.

    ``wide``: the likelihood ± se of every scenario and the difference ± se in columns of their own,
    or, when the terminal cannot hold that table whole, a block per risk with a line per scenario.
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
    headers = ["risk"]
    if wide:
        title = head + f"{meta['sampler']}: likelihood ± se; difference from {names[0]} ± paired se"
        t = Table(title_justify="left")
        t.add_column("risk", no_wrap=True)
    else:
        title = (head + f"{meta['sampler']}. Likelihood ± se; then, for each other scenario, its likelihood and "
                 f"its difference from {names[0]} ± paired se, in percentage points; \"(same)\": equal on every "
                 "path")
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        t.add_column("risk", no_wrap=True, overflow="ellipsis", min_width=10, max_width=14)
    prefix = os.path.commonprefix(names) if len(names) > 1 else ""
    prefix = prefix[:prefix.rfind("-") + 1] if "-" in prefix else ""
    for i, name in enumerate(names):
        if wide:
            t.add_column(name, justify="right", no_wrap=True)
            headers.append(name)
            if i:
                t.add_column("difference", justify="right", no_wrap=True)
                headers.append("difference")
        else:
            t.add_column(name[len(prefix):] or name, justify="right", overflow="fold",
                         min_width=12 if not i else 18, max_width=12 if not i else 18)
    all_cells = []
    for rid in dict.fromkeys(table["risk"]):
        rows = table[table["risk"] == rid].set_index("position")
        cells = [rid]
        for i in range(len(names)):
            if i not in rows.index:
                cells += ["–", "–"] if (i and wide) else ["–"]
                continue
            r = rows.loc[i]
            missing = r["diff"] != r["diff"]
            same = bool(r.same_on_every_path)
            if wide:
                cells.append(fmt_likelihood(r.likelihood, r.se))
                if i:
                    cells.append("–" if missing else "0 pp (same on every path)" if same
                                 else f"{fmt_pp(r['diff'])} ± {fmt_pp(r.se_diff, 2, sign=False)}")
            elif i:
                diff = "–" if missing else "(same)" if same else \
                    f"{fmt_pp(r['diff'])[:-3]}±{fmt_pp(r.se_diff, 2, sign=False)[:-3]}"
                cells.append(f"{fmt_pct(r.likelihood)} {diff}")
            else:
                cells.append(fmt_likelihood(r.likelihood, r.se, compact=True))
        t.add_row(*cells)
        all_cells.append(cells)
    console.print(title)  # wrapped at the console's width, not the table's
    if not wide or _table_fits(console, headers, all_cells):
        console.print(t)
        return
    for cells in all_cells:  # too narrow for the wide table whole: a block per risk, one line per scenario
        console.print(cells[0])
        values = iter(cells[1:])
        for i, name in enumerate(names):
            likelihood = next(values)
            _print_wrapped(console, f"{name} {likelihood}" + (f"; difference {next(values)}" if i else ""))


def print_backtest(console, bt) -> None:
    """A backtest's scores: binary risks (model against each baseline forecast), each risk, numeric outputs.

    Names (forecasts, risks, outputs), dates and numbers are printed whole: a table that does not fit the
    terminal so is a block per forecast or output instead."""
    from rich.table import Table

    meta = bt.meta
    if len(bt.summary):
        rows = []
        for row in bt.summary.itertuples():
            model = row.forecast == "model"
            rows.append((row.forecast, str(row.n),
                         f"{row.brier:.4f}" + (f" ± {row.brier_mc_error:.4f}" if model else ""),
                         f"{row.log_score:.4f}" + (f" ± {row.log_score_mc_error:.4f}" if model else ""),
                         "" if model else f"{row.model_brier_skill:+.2f}",
                         "" if model else f"{row.model_log_skill:+.2f}"))

        def forecast_block(forecast, n, brier, log_score, brier_skill, log_skill) -> None:
            console.print(f"  {forecast} (n = {n})")
            _print_wrapped(console, f"Brier {brier}; log score {log_score}"
                           + (f"; model's skill: Brier {brier_skill}, log {log_skill}" if brier_skill else ""))

        _table_or_blocks(console, f"Binary risks: {meta['title']}, {meta['samples']:,} paths, seed {meta['seed']} "
                         "(lower is better)", ("forecast", "n", "Brier", "log score", "model's Brier skill",
                                               "model's log skill"), rows, ("forecast",), forecast_block)
        table = Table(title="Each risk", title_justify="left")
        for col in ("risk", "date", "forecast ± se", "happened", "Brier", "log score"):
            table.add_column(col, justify="left" if col in ("risk", "date") else "right", no_wrap=col in ("risk", "date"))
        for row in bt.binary.itertuples():
            table.add_row(row.risk, row.date, fmt_likelihood(row.forecast, row.se), "yes" if row.outcome else "no",
                          f"{row.brier:.4f}", f"{row.log_score:.4f}")
        console.print(table)
    if len(bt.numeric):
        def value(x: float) -> str:
            return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"

        headers = ("output", "date", "observed", "median [5%, 95%]", "CRPS ± se", "PIT ± se")
        rows = [(row.output, row.date, value(row.observed),
                 f"{value(row.forecast_q50)} [{value(row.forecast_q05)}, {value(row.forecast_q95)}]",
                 f"{value(row.crps)} ± {fmt_error(row.crps_se)}", f"{row.pit:.3f} ± {row.pit_se:.3f}")
                for row in bt.numeric.itertuples()]
        def block(output, date, observed, forecast, crps, pit) -> None:
            console.print(f"  {output}" + (f" ({date})" if date else ""))
            _print_wrapped(console, f"observed {observed}; forecast median [5%, 95%] {forecast}")
            _print_wrapped(console, f"CRPS {crps}; PIT {pit}")

        _table_or_blocks(console, "Numeric outputs", headers, rows, ("output", "date"), block)


def print_explanation(console, ex) -> None:
    """First- and total-order Sobol indices with their 95% intervals, by parameter and by group; then the notes."""
    unit = f" ({ex.unit})" if ex.unit else ""
    for name, table, key in (("parameter", ex.parameters, "parameter"), ("group", ex.groups, "group")):
        title = (f"Sobol indices of {ex.output}{unit} by {name}: N = {ex.base_samples:,} base samples, "
                 f"{ex.evaluations:,} paths, seed {ex.seed}")
        headers = (key, "first order", "95% interval", "total order", "95% interval ")
        rows = [(str(label), f"{r.S1:.3f}", f"[{r.S1_low:.3f}, {r.S1_high:.3f}]", f"{r.ST:.3f}",
                 f"[{r.ST_low:.3f}, {r.ST_high:.3f}]") for label, r in table.sort_values("ST", ascending=False).iterrows()]
        def block(label, s1, s1_ci, st, st_ci) -> None:
            console.print(f"  {label}")
            _print_wrapped(console, f"first order {s1} {s1_ci}; total order {st} {st_ci}")

        _table_or_blocks(console, title, headers, rows, (key,), block)
    for note in ex.notes:
        _print_wrapped(console, f"Note: {note}", indent=0)


class PhaseDisplay:
    """One rich progress display for a run's phases: a line each, with a spinner or bar and its time."""

    def __init__(self, total_paths: int, console):
        from rich.progress import (BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn,
                                   TimeElapsedColumn)

        from .phases import Phases

        self.progress = Progress(SpinnerColumn(finished_text="[green]✓"), TextColumn("{task.description:<15}"),
                                 BarColumn(bar_width=24), TaskProgressColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.fields[note]}"), console=console,
                                 disable=not sys.stderr.isatty())
        # a row for each phase, in the order a run lists them, shown once its phase starts (the figures'
        # modules may load before the judgment share is in, and are timed with the figures)
        self.tasks = {name: self.progress.add_task(name, total=total_paths if name == "simulate" else None, note="",
                                                   visible=False, start=False)
                      for name in Phases.ORDER if name != "start-up"}
        self.done: set = set()
        self.total_paths = total_paths

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def on_change(self, name: str, state: str, seconds) -> None:
        if name not in self.tasks:
            self.tasks[name] = self.progress.add_task(name, total=None, note="", visible=False, start=False)
        task = self.tasks[name]
        if state == "start":
            if name in self.done:  # a phase timed in two stints: running again, its note the total when done
                self.progress.reset(task, completed=0, note="")
                for shown in self.progress.tasks:  # a spinner's pulsing bar again, not "0%" (reset keeps a total)
                    if shown.id == task:
                        shown.total = None
            else:
                self.progress.update(task, visible=True)
                self.progress.start_task(task)
        elif state == "done":
            self.done.add(name)
            self.progress.update(task, total=1, completed=1, note=f"{seconds:.2f} s")
            self.progress.stop_task(task)

    def paths(self, done: int, total: int) -> None:
        task = self.tasks.get("simulate")
        if task is not None:
            self.progress.update(task, completed=done, total=total, note=f"{done:,}/{total:,} paths")
