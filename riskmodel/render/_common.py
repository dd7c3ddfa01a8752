"""Shared by the report and the comparison: templates, escaping, figures on disk, number formats."""

from __future__ import annotations

import base64
import multiprocessing
import os
import pickle
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import jinja2
from markupsafe import Markup, escape

from ..formats import fmt_interval, fmt_likelihood, fmt_num, fmt_pct, fmt_pp, fmt_se

__all__ = ["Figure", "Pending", "later", "FigurePool", "resolve_figures", "environment", "write_outputs", "fmt_pct", "fmt_pp", "fmt_se",
           "fmt_num", "fmt_likelihood", "fmt_interval", "month_span", "slug",
           "md_escape", "wbr"]

TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class Pending:
    """A figure still to draw: a plotting function (returning PNG bytes) and its arguments."""

    func: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def draw(self) -> bytes:
        return self.func(*self.args, **self.kwargs)


def later(func: Callable, *args: Any, **kwargs: Any) -> Pending:
    """``later(plots.fan_chart, months, b, title=...)``: draw it when the figures are resolved, in parallel."""
    return Pending(func, args, kwargs)


@dataclass
class Figure:
    """A rendered figure: file name under ``figures/``, PNG bytes, caption (plain text), alt text.

    ``png`` may be a :class:`Pending` drawing until :func:`resolve_figures` runs.
    """

    file: str
    png: Any  # bytes, or Pending until resolved
    title: str
    caption: str
    alt: str
    wide: bool = False  # spans the page (otherwise: two to a row in HTML)

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _draw(pending: Pending) -> bytes:
    return pending.draw()


def render_processes() -> int:
    """Processes that draw a report's figures: ``$RISKMODEL_RENDER_PROCESSES``, else the cores (at most 4)."""
    env = os.environ.get("RISKMODEL_RENDER_PROCESSES", "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    return max(1, min(4, os.cpu_count() or 1))


def _picklable(funcs: set) -> bool:
    """Whether the plotting functions can be sent to a worker (a local function cannot: draw here)."""
    try:
        for func in funcs:
            pickle.dumps(func)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


class FigurePool:
    """Figures drawn in forked worker processes, started as soon as their data are ready.

    ``with FigurePool() as drawing:`` ... ``drawing.start(figures)`` sends the
    pending ones to the workers now (the page-wide ones, the slowest to draw
    at 0.1-0.2 s against 0.06 s, first) while this process goes on building
    the page; :meth:`resolve` sends the rest and waits for every PNG. Plotting
    functions are pure (arrays in, PNG bytes out), so where and when a figure
    is drawn changes no byte. Without a second core, ``fork``, or picklable
    plotting functions, figures are drawn here, at :meth:`resolve`.
    """

    def __init__(self):
        self.pool = None
        self.futures: dict = {}
        self.parallel = render_processes() > 1 and "fork" in multiprocessing.get_all_start_methods()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if self.pool is not None:
            if exc_type is not None:  # interrupted or failed: nothing more is drawn, the workers end now
                from ..workers import end_pool

                end_pool(self.pool)
            else:
                self.pool.shutdown(wait=True)
            self.pool = None
        return False

    def start(self, figures: list) -> None:
        """Begin drawing ``figures``' pending PNGs in the workers (no-op where they are drawn here)."""
        pending = [f for f in figures if isinstance(f.png, Pending) and id(f) not in self.futures]
        if not pending or not self.parallel or not _picklable({f.png.func for f in pending}):
            return
        from ..workers import frozen_heap, init_worker

        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=render_processes(), mp_context=multiprocessing.get_context(
                "fork"), initializer=init_worker, initargs=(os.getpid(),))  # the workers die with this process
        with frozen_heap():  # the workers are forked at the pool's first submit
            for f in sorted(pending, key=lambda f: not f.wide):
                self.futures[id(f)] = self.pool.submit(_draw, f.png)

    def resolve(self, figures: list) -> list:
        """Every figure's PNG bytes in place of its pending drawing: drawn by the workers, or here."""
        pending = [f for f in figures if isinstance(f.png, Pending)]
        if len([f for f in pending if id(f) not in self.futures]) > 2 or self.pool is not None:
            self.start(pending)
        for f in pending:
            future = self.futures.pop(id(f), None)
            f.png = future.result() if future is not None else f.png.draw()
        return figures


def resolve_figures(figures: list, drawing: "FigurePool | None" = None) -> list:
    """Draw every pending figure, in forked worker processes where there are several cores
    (:class:`FigurePool`; ``drawing``: one whose workers have started on some of them already)."""
    if drawing is not None:
        return drawing.resolve(figures)
    with FigurePool() as pool:
        return pool.resolve(figures)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|<>#])")


def md_escape(value) -> str:
    """Text for Markdown: HTML-significant characters as entities, Markdown syntax backslash-escaped.

    Applied to every value a Markdown template prints (jinja's ``finalize``),
    except :class:`markupsafe.Markup` built by the renderer (links, images):
    text from a scenario file never becomes markup in the Markdown either.
    Newlines become spaces so a value never breaks a table row.
    """
    if isinstance(value, Markup):
        return str(value)
    if value is None:
        return ""
    text = str(value).replace("&", "&amp;").replace("\r", " ").replace("\n", " ")
    text = _MD_SPECIAL.sub(lambda m: {"<": "&lt;", ">": "&gt;"}.get(m.group(1), "\\" + m.group(1)), text)
    return text


class _Environment(jinja2.Environment):
    """``row.update`` in a template is the row's ``"update"`` entry, never the ``dict.update`` method."""

    def getattr(self, obj, attribute):
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _bytecode_cache():
    """Jinja's compiled templates kept between runs (its per-user cache folder under the system's temporary
    folder, written atomically; a template whose source changed is compiled again): compiling the report's
    templates took about 0.25 s of every run. None where that folder cannot be had."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


def environment(markdown: bool = False) -> jinja2.Environment:
    """The jinja environment: HTML autoescaped; Markdown escaped through ``finalize``."""
    if markdown:
        env = _Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False,
                                 finalize=md_escape, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                 trim_blocks=True, lstrip_blocks=True, bytecode_cache=_bytecode_cache())
    else:
        env = _Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                 undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                 bytecode_cache=_bytecode_cache())
    env.filters.update(num=fmt_num, pct=fmt_pct, pp=fmt_pp, se=fmt_se, likelihood=fmt_likelihood,
                       interval=fmt_interval, wbr=(lambda v: v) if markdown else wbr)
    return env


_BREAK_AFTER = re.compile(r"([_/*+,(=])")


def wbr(value) -> Markup:
    """Escaped text with line-break opportunities after ``_ / * + , ( =`` (long names in narrow columns)."""
    return Markup(_BREAK_AFTER.sub(r"\1<wbr>", str(escape(value))))


def write_outputs(folder: Path, figures: list, context: dict, html_template: str, md_template: str,
                  drawing: "FigurePool | None" = None) -> Path:
    """Write ``figures/*.png``, ``index.html`` and ``report.md`` into ``folder`` (``drawing``: see
    :func:`resolve_figures`)."""
    folder = Path(folder)
    fig_dir = folder / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    resolve_figures(figures, drawing)
    for f in figures:
        (fig_dir / f.file).write_bytes(f.png)
    html = environment(False).get_template(html_template).render(**context, figures=figures)
    md = environment(True).get_template(md_template).render(**context, figures=figures)
    (folder / "index.html").write_text(html, encoding="utf-8")
    (folder / "report.md").write_text(md, encoding="utf-8")
    return folder / "index.html"


def month_span(start, until) -> str:
    return f"{start} to {until}" if until is not None else f"{start} to the end"


def slug(text: str) -> str:
    """A file-name-safe version of a scenario's name (names are already restricted; this is defence)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-") or "x"
