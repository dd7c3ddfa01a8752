"""Shared by the report and the comparison: templates, escaping, figures on disk, number formats."""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from .plots import fmt_num

__all__ = ["Figure", "environment", "write_outputs", "fmt_pct", "fmt_pp", "fmt_se", "fmt_num", "month_span", "slug",
           "md_escape", "wbr"]

TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class Figure:
    """A rendered figure: file name under ``figures/``, PNG bytes, caption (plain text), alt text."""

    file: str
    png: bytes
    title: str
    caption: str
    alt: str
    wide: bool = False  # spans the page (otherwise: two to a row in HTML)

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


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


def environment(markdown: bool = False) -> jinja2.Environment:
    """The jinja environment: HTML autoescaped; Markdown escaped through ``finalize``."""
    if markdown:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False,
                                 finalize=md_escape, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                 trim_blocks=True, lstrip_blocks=True)
    else:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                 undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=fmt_num, pct=fmt_pct, pp=fmt_pp, se=fmt_se, wbr=(lambda v: v) if markdown else wbr)
    return env


_BREAK_AFTER = re.compile(r"([_/*+,(=])")


def wbr(value) -> Markup:
    """Escaped text with line-break opportunities after ``_ / * + , ( =`` (long names in narrow columns)."""
    return Markup(_BREAK_AFTER.sub(r"\1<wbr>", str(escape(value))))


def fmt_se(se) -> str:
    """A standard error of a probability in percent, two decimals (``0.49%``, ``0.50%``); tiny ones two digits."""
    if se is None or (isinstance(se, float) and math.isnan(se)):
        return "–"
    v = float(se) * 100
    return f"{v:.2f}%" if v == 0 or v >= 0.01 else f"{v:.2g}%"


def write_outputs(folder: Path, figures: list, context: dict, html_template: str, md_template: str) -> Path:
    """Write ``figures/*.png``, ``index.html`` and ``report.md`` into ``folder``."""
    folder = Path(folder)
    fig_dir = folder / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    for f in figures:
        (fig_dir / f.file).write_bytes(f.png)
    html = environment(False).get_template(html_template).render(**context, figures=figures)
    md = environment(True).get_template(md_template).render(**context, figures=figures)
    (folder / "index.html").write_text(html, encoding="utf-8")
    (folder / "report.md").write_text(md, encoding="utf-8")
    return folder / "index.html"


def fmt_pct(p, digits: int = 1) -> str:
    """A probability in percent: ``0.3124`` -> ``31.2%``; small values keep two significant digits."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "–"
    v = float(p) * 100
    if v == 0 or v == 100:
        return f"{v:.{digits}f}%"
    if abs(v) < 1:
        return f"{v:.2g}%"
    while digits < 6 and 99 < v < 100 and float(f"{v:.{digits}f}") == 100:
        digits += 1  # never round a likelihood below 1 up to "100.0%"
    return f"{v:.{digits}f}%"


def fmt_pp(d, digits: int = 1, sign: bool = True) -> str:
    """A difference of probabilities in percentage points: ``+3.1 pp``."""
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return "–"
    v = float(d) * 100
    text = f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}"
    if abs(v) < 10 ** (-digits) and v != 0:
        text = f"{v:+.2g}" if sign else f"{v:.2g}"
    return text.replace("-", "−") + " pp"


def month_span(start, until) -> str:
    return f"{start} to {until}" if until is not None else f"{start} to the end"


def slug(text: str) -> str:
    """A file-name-safe version of a scenario's name (names are already restricted; this is defence)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-") or "x"
