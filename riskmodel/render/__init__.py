"""Stage 6, render: the report of a run and the comparison of runs.

:func:`render_report` writes ``index.html`` (self-contained: styles inline,
figures as base64 PNG, no script, a Content-Security-Policy that forbids any
network access), ``report.md`` (figures linked from ``figures/``) and
``figures/*.png`` into a folder. :func:`render_comparison` does the same for
several runs made with common random numbers. Both take Results and the
validated Scenario only: nothing here reads a scenario file or the CLI.

Templates are jinja2 with autoescaping: text from a scenario file (a title, a
rationale, a quote) is always text, never markup, in the HTML and in the
Markdown.
"""

from ._backtest import reliability_png, render_backtest_html, render_backtest_markdown
from ._compare import render_comparison
from ._report import FIGURE_SETS, render_report

__all__ = ["render_report", "render_comparison", "FIGURE_SETS", "render_backtest_markdown", "render_backtest_html",
           "reliability_png"]
