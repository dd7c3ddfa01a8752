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

import importlib

__all__ = ["render_report", "render_comparison", "FIGURE_SETS", "FigurePool", "render_backtest_markdown", "render_backtest_html",
           "reliability_png"]

#: Where each name lives, loaded on first use: a run's report needs neither the comparison's nor the
#: backtest's modules (their import, with the outcomes module, cost 0.05 s of every run).
_HOME = {"render_report": "_report", "FIGURE_SETS": "_report", "FigurePool": "_pool", "render_comparison": "_compare",
         "render_backtest_markdown": "_backtest", "render_backtest_html": "_backtest",
         "reliability_png": "_backtest"}


def __getattr__(name: str):
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(__all__))
