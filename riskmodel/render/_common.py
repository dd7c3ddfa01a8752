"""Shared by the report and the comparison: templates, escaping, figures on disk, number formats."""

from __future__ import annotations

import base64
import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import jinja2
from markupsafe import Markup, escape

from ..formats import fmt_interval, fmt_likelihood, fmt_num, fmt_pct, fmt_pp, fmt_se

__all__ = ["Figure", "Pending", "later", "draw_now", "plotting_function", "resolve_figures", "environment", "write_outputs", "fmt_pct", "fmt_pp", "fmt_se",
           "fmt_num", "fmt_likelihood", "fmt_interval", "month_span", "slug",
           "md_escape", "wbr", "flags"]

TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class Pending:
    """A figure still to draw: a plotting function (returning PNG bytes) and its arguments.

    ``func`` is a function, or ``"module:name"`` naming one in a module of
    :mod:`riskmodel.render` (``"plots:fan_chart"``), imported where the figure
    is drawn: the page is built without loading matplotlib, which only the
    processes that draw need.
    """

    func: Callable | str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def draw(self) -> bytes:
        return plotting_function(self.func)(*self.args, **self.kwargs)


def plotting_function(func: Callable | str) -> Callable:
    """``func`` itself, or the function that ``"module:name"`` names in :mod:`riskmodel.render` (imported now)."""
    if not isinstance(func, str):
        return func
    module, _, name = func.partition(":")
    return getattr(importlib.import_module(f".{module}", __package__), name)


def later(func: Callable | str, *args: Any, **kwargs: Any) -> Pending:
    """``later("plots:fan_chart", months, b, title=...)``: draw it when the figures are resolved, in parallel."""
    return Pending(func, args, kwargs)


def draw_now(func: Callable | str, *args: Any, **kwargs: Any) -> bytes:
    """The PNG bytes of ``func(*args, **kwargs)`` drawn here and now (``func`` as for :func:`later`)."""
    return plotting_function(func)(*args, **kwargs)


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


def resolve_figures(figures: list, drawing=None) -> list:
    """Draw every pending figure, in forked worker processes where there are several cores
    (:class:`FigurePool`; ``drawing``: one whose workers have started on some of them already)."""
    if drawing is not None:
        return drawing.resolve(figures)
    from ._pool import FigurePool

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
                       interval=fmt_interval, wbr=(lambda v: v) if markdown else wbr,
                       flags=(lambda v: v) if markdown else flags)
    return env


_BREAK_AFTER = re.compile(r"([_/*+(=]|,(?!\d{3}\b))")  # not inside a number's digit groups: 150,000 stays whole


def wbr(value) -> Markup:
    """Escaped text with line-break opportunities after ``_ / * + , ( =`` (long names in narrow columns), but
    not after the comma of a digit group (``150,000`` is never split)."""
    return Markup(_BREAK_AFTER.sub(r"\1<wbr>", str(escape(value))))


_FLAG = re.compile(r"(?:riskmodel [a-z]+ )?--[a-z][a-z-]*(?: (?:all|full|summary|none)\b)?")


def _flag(m: re.Match) -> str:
    if m.group(0) == "--figures all":  # to the page's list of what is drawn on request
        return '<a href="#on-request" class="flag">--figures all</a>'
    return f'<span class="flag">{m.group(0)}</span>'


def flags(value) -> Markup:
    """Escaped text whose commands and flags (``--figures all``, ``riskmodel run --report full``) are not
    broken at their hyphens (class ``flag``); ``--figures all`` links to the list of what is drawn on request.

    >>> str(flags("drawn on request (--figures all); see riskmodel run --report full"))
    'drawn on request (<a href="#on-request" class="flag">--figures all</a>); see <span class="flag">riskmodel run --report full</span>'
    """
    return Markup(_FLAG.sub(_flag, str(escape(value))))


def write_outputs(folder: Path, figures: list, context: dict, html_template: str, md_template: str,
                  drawing=None) -> Path:
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
