"""Labels never sit on the curves they label (issue 15): read from the figure's data, not its pixels.

Each figure is captured before it is rasterised; every text's box (display
coordinates, from matplotlib's own text layout) is checked against every line
as drawn (its path in display coordinates, steps included) with
``Path.intersects_bbox`` and against every marker position: an independent
route from the sampled points the placement itself uses.
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.path import Path

from riskmodel.render import plots
from riskmodel.render._stats import ExceedanceCurve

MARKER_PX = 4.0  # a marker's radius in pixels (ms 5 at 120 dpi is about 4 px)


@pytest.fixture
def captured(monkeypatch):
    figs = []
    monkeypatch.setattr(plots, "png_bytes", lambda fig: figs.append(fig) or b"")
    return figs


def _covered(fig):
    """(text, line label or index) pairs where a text's box touches a drawn line or marker; and the texts."""
    renderer = fig.canvas.get_renderer()
    hits, texts = [], []
    for ax in fig.axes:
        for t in ax.texts:
            if not t.get_text():
                continue
            box = t.get_window_extent(renderer)
            texts.append((t.get_text(), box))
            for k, line in enumerate(ax.get_lines()):
                path = line.get_transform().transform_path(line.get_path())
                if line.get_linestyle() in ("None", "", " ", "none"):
                    g = box.padded(MARKER_PX)
                    if any(g.x0 <= x <= g.x1 and g.y0 <= y <= g.y1 for x, y in path.vertices):
                        hits.append((t.get_text(), k))
                elif Path(path.vertices).intersects_bbox(box, filled=False):
                    hits.append((t.get_text(), k))
    return hits, texts


def _curve(x, p, *, discrete=False, log_x=False):
    return ExceedanceCurve(x=np.asarray(x, float), p=np.asarray(p, float), discrete=discrete, log_x=log_x, n=20_000)


def _check(fig):
    hits, texts = _covered(fig)
    assert not hits, hits
    # texts do not cover each other and stay inside the figure
    fw, fh = fig.bbox.width, fig.bbox.height
    for i, (a, ba) in enumerate(texts):
        assert ba.x0 >= 0 and ba.y0 >= 0 and ba.x1 <= fw and ba.y1 <= fh, a
        for b, bb in texts[i + 1:]:
            assert not ba.overlaps(bb), (a, b)
    return texts


def test_exceedance_labels_keep_off_a_threshold_at_the_right_edge(captured):
    # the Mali `documented_share` case: two "below" risks, one threshold near the curve's right end
    x = np.linspace(0.05, 0.53, 512)
    p = 1 / (1 + np.exp((x - 0.23) / 0.04))
    marks = [plots.ThresholdMark("#5 most undocumented", 0.5, "below", 0.9998, 0.9995, 0.9999),
             plots.ThresholdMark("#6 mostly unseen", 0.25, "below", 0.561, 0.554, 0.568)]
    plots.exceedance_plot(_curve(x, p), title="Share documented", unit="share", marks=marks)
    texts = _check(captured[0])
    assert {"#5", "#6"} <= {t for t, _ in texts}
    assert any(t.startswith("#5 most undocumented: P(< 0.5) = >99.9%") for t, _ in texts)


def test_exceedance_labels_move_when_the_curve_fills_the_upper_right(captured):
    # near-certain output: P(X > x) stays near 1 until the right end, where the default block would sit
    x = np.linspace(0, 100, 512)
    p = np.where(x < 90, 1.0, np.clip((100 - x) / 10, 0, 1))
    marks = [plots.ThresholdMark("#1 high", 50.0, "above", 1.0, 0.9998, 1.0),
             plots.ThresholdMark("#2 higher", 95.0, "above", 0.5, 0.49, 0.51)]
    plots.exceedance_plot(_curve(x, p), title="Near certain", unit="events", marks=marks)
    _check(captured[0])


def test_exceedance_labels_on_a_step_curve_and_a_log_axis(captured):
    xs = np.arange(0, 17)
    p = np.exp(-xs / 2.0)
    plots.exceedance_plot(_curve(xs, p, discrete=True), title="Counts", unit="events",
                          marks=[plots.ThresholdMark("#3 any", 0.5, "above", 0.807, 0.80, 0.81)])
    _check(captured[0])
    x = np.geomspace(10, 3000, 512)
    p = 1 - np.clip(np.log(x / 10) / np.log(300), 0, 1)
    plots.exceedance_plot(_curve(x, p, log_x=True), title="Amounts", unit="people",
                          marks=[plots.ThresholdMark("#7 big", 200.0, "above", 0.47, 0.46, 0.48),
                                 plots.ThresholdMark("#8 small", 20.0, "above", 0.88, 0.87, 0.89)])
    _check(captured[1])


def test_overlay_labels_with_many_series_and_marks_stay_off_every_curve(captured):
    x = np.linspace(0, 10, 512)
    curves = [(f"scenario {i}", _curve(x, np.clip(1 - x / (9 + i), 0, 1))) for i in range(3)]
    marks = [plots.ThresholdMark(f"#{k} risk {k}", t, "above", 1 - t / (9 + i), 0.99 - t / (9 + i),
                                 1.01 - t / (9 + i), series=i)
             for k, t in ((1, 2.0), (2, 6.0)) for i in range(3)]
    plots.exceedance_overlay(curves, title="Overlay", unit="x", marks=marks)
    texts = _check(captured[0])
    assert sum(1 for t, _ in texts if ": P(> " in t) == 6
    ax = captured[0].axes[0]
    curves_z = max(ln.get_zorder() for ln in ax.get_lines() if ln.get_label().startswith("scenario"))
    dots = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    assert len(dots) == 6 and all(d.get_zorder() > curves_z for d in dots)  # each likelihood's dot shows


def _months(n):
    from riskmodel.model import Month

    return [Month(2024 + (i // 12), i % 12 + 1) for i in range(n)]


def test_fan_chart_window_labels_sit_above_the_bands(captured):
    months = _months(24)
    t = np.arange(24.0)
    b = {"q05": 50 + 0 * t, "q25": 70 + t, "q50": 80 + 2 * t, "q75": 90 + 3 * t, "q95": 100 + 4 * t,
         "mean": 82 + 2 * t}
    w = [plots.Window("regional force deployed", months[0], months[23])]
    plots.fan_chart(months, b, title="Attacks", unit="attacks", windows=w)
    fig = captured[0]
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    label = next(tx for tx in ax.texts if tx.get_text() == "regional force deployed")
    box = label.get_window_extent(renderer)
    top_of_bands = ax.transData.transform((0, float(b["q95"].max())))[1]
    assert box.y0 > top_of_bands  # the label is above every band, not on it
    assert box.y1 <= ax.bbox.y1 + 1


def test_summary_and_difference_rows_read_each_title_whole(captured):
    rows = ["#1 Attacks in 2026 run at more than twice the end-2023 monthly rate",
            "#4 A massacre on the scale of Moura (over 500 killed) by end-2026",
            "#11 Spillover of Mali's violence established in northern Benin by end-2026", "#15 short"]
    p = np.array([0.42, 0.24, 0.58, 0.65])
    plots.dot_plot(rows, [("a", p, p - 0.01, p + 0.01), ("b", p, p - 0.01, p + 0.01)], title="Every risk")
    plots.difference_chart(rows, [("b", p - p, p - p - 0.01, p - p + 0.01)], reference="a")
    for fig in captured:
        shown = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert [" ".join(s.split("\n")) for s in shown] == rows  # wrapped, never cut
        assert all(len(line) <= 46 for s in shown for line in s.split("\n"))
        # the figure is tall enough: neighbouring labels do not overlap
        renderer = fig.canvas.get_renderer()
        boxes = [t.get_window_extent(renderer) for t in fig.axes[0].get_yticklabels()]
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_identical_series_show_as_nested_stripes_with_the_reference_on_top(captured):
    x = np.linspace(0, 10, 128)
    same = _curve(x, np.clip(1 - x / 10, 0, 1))
    plots.exceedance_overlay([("base", same), ("force", same), ("exit", same)], title="t", unit="u")
    from riskmodel.model import Month

    months = [Month(2024, m) for m in range(1, 13)]
    v = np.linspace(0.0, 0.8, 12)
    plots.lines_grid([("spill (0/1)", [(0, months, v), (1, months, v), (2, months, v)])],
                     labels=["base", "force", "exit"])
    for fig in captured:
        lines = [ln for ln in fig.axes[0].get_lines() if ln.get_label() in ("base", "force", "exit")]
        assert len(lines) == 3
        top_down = sorted(lines, key=lambda ln: -ln.get_zorder())
        assert top_down[0].get_label() == "base"  # the reference on top
        widths = [ln.get_linewidth() for ln in top_down]
        assert widths == sorted(widths) and len(set(widths)) == 3  # each one beneath is wider: its edges show


def test_small_multiple_titles_are_wrapped_not_cut(captured):
    from riskmodel.model import Month

    months = [Month(2024, m) for m in range(1, 13)]
    v = np.linspace(0.0, 0.01, 12)
    names = ["moura_scale_atrocities (events per month)", "coup (0/1)"]
    plots.lines_grid([(t, [(0, months, v), (1, months, v)]) for t in names], labels=["base", "exit"])
    fig = captured[0]
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()]  # the style's titles are left
    assert [" ".join(t.split("\n")) for t in titles] == names
    renderer = fig.canvas.get_renderer()
    from matplotlib.text import Text

    for ax, title in zip(fig.axes, titles):  # inside the figure
        text = next(c for c in ax.get_children() if isinstance(c, Text) and c.get_text() == title)
        box = text.get_window_extent(renderer)
        assert box.y1 <= fig.bbox.height and box.x0 >= 0
