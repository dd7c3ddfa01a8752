"""Where a figure's text goes: among candidate spots, the one with the least drawn data under it.

A label over the curve it labels hides the curve and the label both. The
functions here measure the text once (one Agg renderer per figure), sample
every line drawn on the axes in display coordinates (the paths as drawn: a
step curve's horizontal runs, a threshold's full height, error bars), and
give each candidate spot a cost: the number of sampled points under it (with
a few pixels of margin), and far more for covering text already placed. The
cheapest spot wins; ties go to the earlier candidate, so the callers list
spots in the order a reader would look for them.

Nothing here draws data; the figures of :mod:`riskmodel.render.plots` call
these after the data are drawn and the axes limits are final.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.transforms import Bbox

__all__ = ["line_points", "text_size", "cost", "best_spot", "place_tag", "stack_block"]

#: Points along a line are sampled at most this many pixels apart.
STEP_PX = 2.0
#: Margin around a text box within which a data point counts as covered (pixels).
PAD_PX = 3.0
#: Cost of covering text already placed, against one data point.
TEXT_OVERLAP_COST = 10_000


def _densify(d: np.ndarray, step: float) -> np.ndarray:
    """Points along the polyline ``d`` (n, 2), no two consecutive ones more than ``step`` apart."""
    if len(d) < 2:
        return d
    seg = np.hypot(*np.diff(d, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] <= step:
        return d
    t = np.linspace(0.0, s[-1], int(np.ceil(s[-1] / step)) + 1)
    return np.column_stack([np.interp(t, s, d[:, 0]), np.interp(t, s, d[:, 1])])


def line_points(ax) -> np.ndarray:
    """Display coordinates (n, 2) of points along every visible line and line collection in ``ax``."""
    chunks = []
    for line in ax.get_lines():
        if not line.get_visible():
            continue
        path = line.get_transform().transform_path(line.get_path())  # as drawn: steps included
        d = np.asarray(path.vertices, dtype=float)
        d = d[np.all(np.isfinite(d), axis=1)]
        if not len(d):
            continue
        if line.get_linestyle() in ("None", "", " ", "none"):  # markers only: each as its centre and edges
            r = 0.5 * line.get_markersize() * ax.figure.dpi / 72.0
            chunks += [d + off for off in ((0, 0), (-r, 0), (r, 0), (0, -r), (0, r))]
        else:
            chunks.append(_densify(d, STEP_PX))
    for coll in ax.collections:  # error bars (LineCollection), bands (PolyCollection outlines)
        if not coll.get_visible():
            continue
        for path in coll.get_paths():
            d = np.asarray(coll.get_transform().transform(path.vertices), dtype=float)
            d = d[np.all(np.isfinite(d), axis=1)]
            if len(d):
                chunks.append(_densify(d, STEP_PX))
    return np.concatenate(chunks) if chunks else np.zeros((0, 2))


def text_size(text, renderer) -> tuple:
    """Width and height in pixels of a Text artist (with its bbox patch, if any)."""
    box = text.get_window_extent(renderer)
    return box.width, box.height


def cost(box: Bbox, points: np.ndarray, taken: Sequence[Bbox] = (), pad: float = PAD_PX) -> int:
    """Data points under ``box`` (grown by ``pad``), plus a large cost per placed text it overlaps."""
    x0, y0, x1, y1 = box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad
    n = 0
    if len(points):
        px, py = points[:, 0], points[:, 1]
        n = int(np.count_nonzero((px >= x0) & (px <= x1) & (py >= y0) & (py <= y1)))
    n += TEXT_OVERLAP_COST * sum(1 for t in taken if box.overlaps(t))
    return n


def best_spot(boxes: Sequence[Bbox], points: np.ndarray, taken: Sequence[Bbox] = ()) -> tuple:
    """Index and cost of the cheapest of ``boxes`` (the first among equals)."""
    costs = [cost(b, points, taken) for b in boxes]
    i = int(np.argmin(costs))
    return i, costs[i]


def place_tag(ax, text, x_px: float, points: np.ndarray, taken: list, renderer, *, gap: float = 3.0) -> Bbox:
    """Put a short label beside the vertical line at display x ``x_px``: right or left of it, near the top
    or further down, wherever the fewest data points are. ``text`` is a Text in display coordinates;
    returns its box (appended to ``taken``)."""
    w, h = text_size(text, renderer)
    a = ax.bbox
    tops = [a.y1 - gap, a.y1 - gap - 1.4 * h, a.y0 + 0.5 * a.height + h / 2, a.y0 + gap + h]
    boxes = []
    for top in tops:
        for left in (x_px + gap, x_px - gap - w):
            left = min(max(left, a.x0 + 1), a.x1 - w - 1)
            boxes.append(Bbox.from_bounds(left, top - h, w, h))
    i, _ = best_spot(boxes, points, taken)
    box = boxes[i]
    text.set_position(ax.transAxes.inverted().transform((box.x0, box.y1)))
    text.set_transform(ax.transAxes)
    text.set_horizontalalignment("left")
    text.set_verticalalignment("top")
    taken.append(box)
    return box


def block_spots(ax, width: float, height: float, *, inset: float = 6.0, top_only: bool = False) -> list:
    """Candidate boxes for a block of text inside ``ax``: upper right first, then the other corners and
    edges (``top_only``: the upper ones)."""
    a = ax.bbox
    xs = (a.x1 - inset - width, a.x0 + 0.5 * (a.width - width), a.x0 + inset)
    ys = (a.y1 - inset - height,) if top_only else (a.y1 - inset - height, a.y0 + 0.5 * (a.height - height),
                                                     a.y0 + inset)
    order = [(0, 0), (2, 0), (1, 0), (0, 1), (0, 2), (2, 2), (1, 2), (2, 1), (1, 1)]
    return [Bbox.from_bounds(xs[i], ys[j], width, height) for i, j in order if j < len(ys)]


def stack_block(ax, texts: Sequence, box: Bbox, line_height: float) -> None:
    """Put ``texts`` (right-aligned, one under another) into ``box``, in axes coordinates."""
    inv = ax.transAxes.inverted()
    for j, t in enumerate(texts):
        t.set_transform(ax.transAxes)
        t.set_horizontalalignment("right")
        t.set_verticalalignment("top")
        t.set_position(inv.transform((box.x1, box.y1 - j * line_height)))
