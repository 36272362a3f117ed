"""Pictures of link utilisation: the network on its coordinates, and a histogram.

matplotlib with the Agg canvas through `matplotlib.figure.Figure` (never pyplot: no global state,
safe in a web server's threads). `map_svg` / `histogram_svg` return SVG text for the portal;
`report_figure` puts both side by side for the CLI's --png / --svg.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from unilink.errors import ValidationError
from unilink.planning.loads import LinkLoads
from unilink.planning.problem import CapacityProblem

COLORMAP = "RdYlGn_r"  # green (idle) → red (full): the convention of network weather maps


def _new_figure(width_in: float, height_in: float) -> Figure:
    figure = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def draw_map(axes, problem: CapacityProblem, loads: LinkLoads, *, title: str | None = None) -> None:
    """Links as segments between their PoPs' coordinates, coloured by the busier direction's utilisation."""
    pops = problem.network.pop_index()
    util = loads.link_utilization
    top = max(1.0, float(util.max()) if util.size else 1.0)
    norm = Normalize(vmin=0.0, vmax=top)
    segments = [((pops[lk.a].lon, pops[lk.a].lat), (pops[lk.b].lon, pops[lk.b].lat)) for lk in problem.links]
    order = np.argsort(util, kind="stable")  # busiest drawn last, on top
    lines = LineCollection([segments[i] for i in order], cmap=COLORMAP, norm=norm,
                           linewidths=1.0 + 2.5 * np.clip(util[order] / top, 0, 1))
    lines.set_array(util[order])
    axes.add_collection(lines)
    lons = np.array([p.lon for p in problem.network.pops])
    lats = np.array([p.lat for p in problem.network.pops])
    axes.scatter(lons, lats, s=6, c="#333333", zorder=3)
    if lons.size:
        pad = 0.5
        axes.set_xlim(lons.min() - pad, lons.max() + pad)
        axes.set_ylim(lats.min() - pad, lats.max() + pad)
        # Equirectangular with the right aspect at the map's mean latitude, so Europe is not squashed.
        axes.set_aspect(1.0 / max(0.2, math.cos(math.radians(float(lats.mean())))))
    axes.set_xlabel("longitude (°)")
    axes.set_ylabel("latitude (°)")
    axes.set_title(title or f"link utilisation ({loads.routing}), max {loads.max_utilization:.0%}")
    colorbar = axes.figure.colorbar(lines, ax=axes, shrink=0.8)
    colorbar.set_label("utilisation (busier direction)")


def draw_histogram(axes, loads: LinkLoads) -> None:
    util = loads.link_utilization * 100
    top = max(100.0, float(util.max()) if util.size else 100.0)
    bins = np.linspace(0, math.ceil(top / 10) * 10, int(math.ceil(top / 10)) + 1)
    axes.hist(util, bins=bins, color="#4477aa", edgecolor="white")
    axes.axvline(100, color="#cc3311", linestyle="--", linewidth=1)
    axes.set_xlabel("utilisation of the busier direction (%)")
    axes.set_ylabel("links")
    axes.set_title(f"{util.size} links, {int((util > 100).sum())} over capacity")


def map_figure(problem: CapacityProblem, loads: LinkLoads) -> Figure:
    figure = _new_figure(8, 7)
    draw_map(figure.add_subplot(), problem, loads)
    return figure


def histogram_figure(loads: LinkLoads) -> Figure:
    figure = _new_figure(6, 4)
    draw_histogram(figure.add_subplot(), loads)
    return figure


def report_figure(problem: CapacityProblem, loads: LinkLoads, *, title: str | None = None) -> Figure:
    figure = _new_figure(14, 7)
    map_axes, hist_axes = figure.subplots(1, 2, width_ratios=[1.6, 1])
    draw_map(map_axes, problem, loads, title=title)
    draw_histogram(hist_axes, loads)
    return figure


def figure_svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    return buffer.getvalue()


def figure_png(figure: Figure, dpi: int = 100) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def map_svg(problem: CapacityProblem, loads: LinkLoads) -> str:
    """SVG text of the utilisation map (for the portal)."""
    return figure_svg(map_figure(problem, loads))


def histogram_svg(loads: LinkLoads) -> str:
    """SVG text of the utilisation histogram (for the portal)."""
    return figure_svg(histogram_figure(loads))


def save_figure(figure: Figure, path: Path | str, fmt: str) -> None:
    """Write a figure as PNG or SVG; the directory must exist (we never create paths we were not asked to)."""
    path = Path(path)
    if fmt not in ("png", "svg"):
        raise ValidationError("unknown picture format", field="format", value=fmt, accepted="png | svg")
    if not path.parent.is_dir():
        raise ValidationError("directory does not exist", field=f"--{fmt}", value=str(path),
                              accepted="a file path in an existing directory")
    if fmt == "svg":
        path.write_text(figure_svg(figure), encoding="utf-8")
    else:
        path.write_bytes(figure_png(figure))
