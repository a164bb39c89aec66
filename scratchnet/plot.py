"""Pictures of training: learning curves, decision boundaries, images and filters, confusion
matrices, histograms of weights, gradient flow and the loss surface of a two-parameter model.

Every function builds a `matplotlib.figure.Figure` (no global pyplot state, so it works on a
headless machine), returns it, and saves it as a PNG when given `path=`. Functions that draw
into one panel also take `ax=` to draw into a panel of your own figure. In a notebook the
returned figure shows itself; in a script, save it with `path=`.
"""
from __future__ import annotations

import io
import json
import math
import os
import sys

import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

from scratchnet.io import atomic_write_bytes

# one colour per class, used both for regions (light) and for points (dark)
_CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


# ----- saving, and the figure standard -------------------------------------------------------
AUDIT_ENV = "SCRATCHNET_FIGURE_AUDIT"   # when set, save_figure writes PATH.audit.json beside PATH


def save_figure(fig: Figure, path, dpi: int = 100) -> Figure:
    """Save `fig` as `path` and return it; show it inline when a notebook kernel runs the code.

    The format follows the extension (PNG when there is none); folders are created, and the
    file is replaced in one step (drawn in memory, then written like Sequential.save), so a
    failure never leaves half a picture. When the environment variable SCRATCHNET_FIGURE_AUDIT
    is set (the tutorial tests set it), the problems that `figure_problems` finds are written
    to PATH.audit.json, so that a test can hold every saved figure to the standard.
    """
    path = os.fspath(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    buffer = io.BytesIO()
    fig.savefig(buffer, format=ext or "png", dpi=dpi, bbox_inches="tight")
    atomic_write_bytes(path, buffer.getvalue())
    if os.environ.get(AUDIT_ENV):
        record = {"path": path, "problems": figure_problems(fig, dpi=dpi)}
        atomic_write_bytes(path + ".audit.json", json.dumps(record, indent=1).encode())
    _show_in_notebook(path, ext)
    return fig


def _show_in_notebook(path: str, ext: str) -> None:
    """Display the saved picture when an IPython kernel (Jupyter, VS Code, Colab) runs us.

    Our figures live outside pyplot, so nothing shows them by itself; the saved PNG is shown."""
    shell = sys.modules.get("IPython")
    shell = getattr(shell, "get_ipython", lambda: None)() if shell is not None else None
    if shell is None or "ipykernel" not in sys.modules or ext not in ("", "png"):
        return
    from IPython.display import Image, display
    display(Image(filename=path))


def _has_data(ax) -> bool:
    return bool(ax.lines or ax.collections or ax.patches or ax.images)


def _span_in_decades(ax) -> float:
    """Decades spanned by the positive y values of the lines in `ax` (0 when none)."""
    ys = [np.asarray(line.get_ydata(), dtype=float).ravel() for line in ax.lines]
    ys = np.concatenate(ys) if ys else np.zeros(0)
    ys = ys[np.isfinite(ys) & (ys > 0)]
    if ys.size < 2:
        return 0.0
    return float(np.log10(ys.max() / ys.min()))


def _squashed(ax) -> bool:
    """Lines spanning over 4 decades with half their points under 1/100 of the top: on a
    linear axis those points lie flat on the bottom (a falling loss). A curve that merely
    touches 0 (a parabola) is not squashed."""
    ys = [np.asarray(line.get_ydata(), dtype=float).ravel() for line in ax.lines]
    ys = np.concatenate(ys) if ys else np.zeros(0)
    ys = ys[np.isfinite(ys) & (ys > 0)]
    return ys.size >= 2 and _span_in_decades(ax) > 4 and np.median(ys) < ys.max() / 100


def figure_problems(fig: Figure, dpi: int = 100, min_image_px: int = 48) -> list[str]:
    """What keeps `fig` from the figure standard (DEVELOPERS.md), as one sentence each.

    - a title: the figure's suptitle or a title on every panel;
    - both axes labelled on every plot panel (panels without images), or a shared
      fig.supxlabel / fig.supylabel for a grid;
    - a legend when a panel has two or more labelled series;
    - a log y axis when a panel's lines span more than 4 decades of positive values with
      most of them squashed near 0 (a falling loss, not a parabola that touches 0);
    - images drawn at least `min_image_px` pixels wide.
    Panels without data (colour bars, empty slots) are skipped. An empty list means it passes.
    """
    problems = []
    panels = [ax for ax in fig.axes if _has_data(ax) and not _is_colorbar(ax)]
    suptitle = fig._suptitle is not None and fig._suptitle.get_text().strip()
    shared_x = fig._supxlabel is not None and fig._supxlabel.get_text().strip()
    shared_y = fig._supylabel is not None and fig._supylabel.get_text().strip()
    width_px = fig.get_figwidth() * dpi
    for i, ax in enumerate(panels):
        name = f"panel {i} ({ax.get_title() or 'untitled'})"
        if not suptitle and not ax.get_title().strip():
            problems.append(f"{name}: no title, and the figure has no suptitle")
        if ax.images:
            w = ax.get_position().width * width_px
            if w < min_image_px:
                problems.append(f"{name}: image drawn {w:.0f} px wide (< {min_image_px})")
            continue
        if not (ax.get_xlabel().strip() or shared_x):
            problems.append(f"{name}: no x-axis label")
        if not (ax.get_ylabel().strip() or shared_y):
            problems.append(f"{name}: no y-axis label")
        labelled = [a for a in ax.lines + ax.collections
                    if a.get_label() and not a.get_label().startswith("_")]
        if len(labelled) >= 2 and ax.get_legend() is None and not fig.legends:
            problems.append(f"{name}: {len(labelled)} labelled series and no legend")
        if ax.get_yscale() == "linear" and _squashed(ax):
            problems.append(f"{name}: lines span {_span_in_decades(ax):.1f} decades, most "
                            f"of them squashed near 0 on a linear y axis (use a log axis)")
    if not panels:
        problems.append("the figure has no panel with data")
    return problems


def _is_colorbar(ax) -> bool:
    return getattr(ax, "_colorbar", None) is not None or ax.get_label() == "<colorbar>"


def _save(fig: Figure, path) -> Figure:
    """save_figure when a path is given; the plotting functions below all end here."""
    return fig if path is None else save_figure(fig, path)


def _figure_and_ax(ax, figsize=(5, 4)):
    """Return (fig, ax): a new one-panel figure, or the figure that `ax` belongs to."""
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize)
    return fig, fig.add_subplot(1, 1, 1)


def _as_float_array(who: str, what: str, a) -> np.ndarray:
    """a as a float64 ndarray (bool, int or float input), or a clear TypeError."""
    try:
        arr = np.asarray(a)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{who}: expected {what} to be array-like, got {type(a).__name__}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{who}: expected {what} to hold numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _check_resolution(who: str, resolution) -> int:
    """Grid points per axis: an int >= 2, or a clear ValueError."""
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) \
            or resolution < 2:
        raise ValueError(f"{who}: expected resolution to be an int >= 2, got {resolution!r}")
    return int(resolution)


def _grid_shape(n: int, ncols: int | None) -> tuple[int, int]:
    """(rows, cols) for n panels; about square when ncols is None."""
    if ncols is None:
        ncols = max(1, math.ceil(math.sqrt(n)))
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"plot: expected ncols to be a positive int, got {ncols!r}")
    ncols = min(int(ncols), n)
    return math.ceil(n / ncols), ncols


# ----- learning curves -------------------------------------------------------------------------
def plot_history(history, metrics=None, path=None, logy=None) -> Figure:
    """Learning curves: one panel per metric, training and validation (if recorded) per epoch.

    history: a History from Sequential.fit (uses `.history`) or a dict name -> list per epoch,
             with keys such as "loss", "accuracy", "val_loss", "val_accuracy".
    metrics: names to draw (without "val_"); default every training key in the history.
    logy:    a log y axis: True for every panel, False for none, or a collection of metric
             names; None (default) puts the loss panels on a log axis when their values span
             more than two decades (a loss that falls from 10 to 0.01 looks flat otherwise).
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(f"plot_history: expected a History or a non-empty dict name -> list, "
                         f"got {type(history).__name__}")
    if metrics is None:
        metrics = [k for k in logs if not k.startswith("val_")] or list(logs)
    if isinstance(metrics, str):
        metrics = [metrics]
    missing = [m for m in metrics if m not in logs and "val_" + m not in logs]
    if missing:
        raise ValueError(f"plot_history: metrics {missing} are not in the history "
                         f"(it has {sorted(logs)})")
    fig = Figure(figsize=(4.5 * len(metrics), 3.5))
    for i, name in enumerate(metrics):
        ax = fig.add_subplot(1, len(metrics), i + 1)
        for key, label in ((name, "train"), ("val_" + name, "validation")):
            if key in logs and len(logs[key]) > 0:
                values = _as_float_array("plot_history", key, logs[key]).ravel()
                ax.plot(np.arange(1, len(values) + 1), values, label=label)
        if _wants_log(logy, name, ax):
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(name)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.set_layout_engine("constrained")      # also leaves room for a suptitle added later
    return _save(fig, path)


def _wants_log(logy, name: str, ax) -> bool:
    """plot_history's logy rule for the panel of metric `name` (see its docstring)."""
    if logy is None:
        return "loss" in name and _span_in_decades(ax) > 2
    if isinstance(logy, bool):
        return logy
    if isinstance(logy, str):
        logy = [logy]
    return name in logy


# ----- decision boundaries ---------------------------------------------------------------------
def _predict_fn(model_or_predict_fn):
    """A function x (M, 2) -> outputs, from a model (predict or forward) or a plain callable."""
    for attr in ("predict", "forward"):
        fn = getattr(model_or_predict_fn, attr, None)
        if callable(fn):
            return fn
    if callable(model_or_predict_fn):
        return model_or_predict_fn
    raise TypeError(f"plot_decision_boundary: expected a model with predict/forward or a "
                    f"callable, got {type(model_or_predict_fn).__name__}")


def _labels_of(who: str, y, n: int) -> np.ndarray:
    """Class labels (n,) from labels (n,), a column (n, 1) of 0/1, or one-hot rows (n, K)."""
    y = _as_float_array(who, "y", y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    elif y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{who}: expected y with {n} labels, shape ({n},), ({n}, 1) or "
                         f"({n}, K), got shape {y.shape}")
    if np.any(y < 0) or not np.all(np.isfinite(y)):
        raise ValueError(f"{who}: expected class labels >= 0 in y, got values from {y.min()}")
    return np.rint(y).astype(np.int64)


def _threshold_of(model):
    """The binary threshold a fitted model's loss implies: 0 for logits (from_logits=True),
    0.5 for probabilities; None when the model has no loss (then _classify guesses)."""
    loss = getattr(model, "loss", None)
    from_logits = getattr(loss, "from_logits", None)
    if not isinstance(from_logits, bool):
        return None
    return 0.0 if from_logits else 0.5


def _classify(who: str, scores: np.ndarray, m: int, threshold):
    """Turn model outputs for m grid points into (classes (m,), score (m,) or None).

    (m, K) with K > 1: the class is the argmax. (m,) or (m, 1): binary, class 1 where the
    score is above `threshold` (default 0.5 for outputs in [0, 1], otherwise 0, as for logits).
    """
    scores = _as_float_array(who, "the model's output", scores)
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{who}: the model's output on the grid has nan or inf values")
    if scores.ndim == 2 and scores.shape[1] > 1 and scores.shape[0] == m:
        return scores.argmax(axis=1), None
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.ndim != 1 or scores.shape[0] != m:
        raise ValueError(f"{who}: expected the model to map x ({m}, 2) to ({m}, K) or ({m}, 1), "
                         f"got shape {scores.shape}")
    if threshold is None:
        threshold = 0.5 if np.all((scores >= 0) & (scores <= 1)) else 0.0
    return (scores > threshold).astype(np.int64), scores


def plot_decision_boundary(model_or_predict_fn, x, y, resolution: int = 200, path=None,
                           ax=None, threshold=None, title=None) -> Figure:
    """The regions a classifier assigns to each class, with the data points on top.

    model_or_predict_fn: a model (its predict, or forward) or a function x (M, 2) -> scores.
    x: (N, 2) points; y: (N,) labels, (N, 1) 0/1 targets or (N, K) one-hot rows.
    Multi-class output (M, K): the colour is the argmax class. Binary output (M,) or (M, 1):
    the shading is the score, the black line is where it crosses `threshold`. threshold None:
    from the loss of a fitted model (0 for logits, 0.5 for probabilities), else 0.5 when every
    score lies in [0, 1] and 0 otherwise.
    resolution: grid points per axis (resolution**2 predictions).
    """
    who = "plot_decision_boundary"
    x = _as_float_array(who, "x", x)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"{who}: expected x of shape (N, 2) (2-D points), got shape {x.shape}")
    labels = _labels_of(who, y, x.shape[0])
    resolution = _check_resolution(who, resolution)
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = 0.1 * np.maximum(hi - lo, 1e-3)
    g0 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    g1 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    G0, G1 = np.meshgrid(g0, g1)
    grid = np.column_stack([G0.ravel(), G1.ravel()])          # (resolution**2, 2)
    if threshold is None:
        threshold = _threshold_of(model_or_predict_fn)
    classes, score = _classify(who, _predict_fn(model_or_predict_fn)(grid), len(grid), threshold)
    fig, ax = _figure_and_ax(ax)
    k = int(max(classes.max(), labels.max())) + 1
    colors = [_CLASS_COLORS[i % len(_CLASS_COLORS)] for i in range(max(k, 2))]
    _draw_regions(ax, G0, G1, classes.reshape(G0.shape),
                  None if score is None else score.reshape(G0.shape), colors)
    ax.scatter(x[:, 0], x[:, 1], c=[colors[c] for c in labels],
               edgecolors="k", linewidths=0.5, s=18)
    ax.set_xlim(g0[0], g0[-1])
    ax.set_ylim(g1[0], g1[-1])
    if title is not None:
        ax.set_title(title)
    return _save(fig, path)


def _draw_regions(ax, G0, G1, classes, score, colors) -> None:
    """Colour the grid: one light colour per class, or for a binary score a red-blue shading
    with a black line on the boundary. classes, score: (resolution, resolution)."""
    if score is None:
        ax.contourf(G0, G1, classes, levels=np.arange(len(colors) + 1) - 0.5,
                    cmap=ListedColormap(colors), alpha=0.3)
        return
    ax.contourf(G0, G1, score, levels=20, cmap="RdBu_r", alpha=0.4)
    if classes.min() != classes.max():                       # the boundary crosses the grid
        ax.contour(G0, G1, classes, levels=[0.5], colors="k", linewidths=1)


# ----- images, filters and feature maps --------------------------------------------------------
def _as_image_stack(images, who: str = "plot_image_grid") -> tuple[np.ndarray, bool]:
    """Images as (N, H, W) or (N, H, W, 3) for imshow, and whether they are RGB.

    Accepts (H, W), (N, H, W), (N, 1, H, W), (N, 3, H, W) (RGB) and (N, C, H, W) with other
    C, of which the first channel is shown (conv filters (C_out, C_in, KH, KW) are such).
    """
    a = _as_float_array(who, "images", images)
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 3:
        return a, False
    if a.ndim != 4:
        raise ValueError(f"{who}: expected images (H, W), (N, H, W) or (N, C, H, W), "
                         f"got shape {a.shape}")
    if a.shape[1] == 3:
        rgb = a.transpose(0, 2, 3, 1)                        # (N, H, W, 3)
        lo = rgb.min(axis=(1, 2, 3), keepdims=True)          # each image scaled to [0, 1]
        span = np.maximum(rgb.max(axis=(1, 2, 3), keepdims=True) - lo, 1e-12)
        return (rgb - lo) / span, True
    return a[:, 0], False


PANEL_INCHES = (1.3, 3.0)     # the default panel size lies in this range (see _panel_inches)


def _panel_inches(who: str, panel_size, cols: int) -> float:
    """Inches per panel: `panel_size` if given (a number > 0), else about 9 inches across the
    grid, but never less than 1.3 (a 10-column grid) nor more than 3 (one image: 300 px)."""
    if panel_size is None:
        return float(np.clip(9.0 / cols, *PANEL_INCHES))
    if isinstance(panel_size, bool) or not isinstance(panel_size, (int, float, np.integer,
                                                                   np.floating)) \
            or not (math.isfinite(panel_size) and panel_size > 0):
        raise ValueError(f"{who}: expected panel_size to be a number of inches > 0, "
                         f"got {panel_size!r}")
    return float(panel_size)


def _colour_range(who: str, stack: np.ndarray, vmin, vmax, symmetric: bool):
    """(vmin, vmax) for imshow. Unset ends come from the finite values of `stack` (all the
    panels, for a shared scale; one panel, for its own); symmetric=True makes the range
    (-m, m) with m the largest |value|, so that 0 sits in the middle of a diverging map."""
    finite = stack[np.isfinite(stack)]
    if symmetric:
        if vmin is not None or vmax is not None:
            raise ValueError(f"{who}: give either symmetric=True or vmin/vmax, not both")
        m = float(np.abs(finite).max()) if finite.size else 1.0
        m = m if m > 0 else 1.0
        return -m, m
    lo = float(finite.min()) if vmin is None and finite.size else vmin
    hi = float(finite.max()) if vmax is None and finite.size else vmax
    lo = 0.0 if lo is None else float(lo)
    hi = 1.0 if hi is None else float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise ValueError(f"{who}: expected vmin <= vmax (finite numbers), got vmin {lo!r}, "
                         f"vmax {hi!r}")
    return lo, hi


def _check_flag(who: str, what: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{who}: expected {what} to be True or False, got {value!r}")
    return bool(value)


def plot_image_grid(images, labels=None, ncols=None, cmap="gray", path=None, title=None,
                    max_images: int = 100, *, colorbar: bool = False, vmin=None, vmax=None,
                    symmetric: bool = False, panel_size=None,
                    colorbar_label: str = "value") -> Figure:
    """A grid of images: digits, conv filters or feature maps, drawn big enough to see.

    images: (H, W), (N, H, W), (N, 1, H, W), (N, 3, H, W) shown as RGB, or (N, C, H, W) of
            which the first channel is shown. At most `max_images` are drawn.
    labels: N captions (numbers or strings), or None.
    colorbar: False (default): each panel has its own colour scale, from its smallest to its
            largest value (or vmin/vmax when given). True: every panel shares ONE scale, from
            the smallest to the largest value of all of them (or vmin/vmax), and one colour bar
            labelled `colorbar_label` shows it, so that colours can be compared across panels.
    symmetric: the scale runs from -m to m, m = the largest |value| (shared or per panel), so
            that 0 is the middle colour of a diverging map such as "coolwarm".
    panel_size: inches per panel; default 9 / ncols, kept within 1.3..3 (one image: 3 inches).
    RGB images have no colour scale: colorbar, symmetric, vmin and vmax apply to one-channel
    images only.
    """
    return _image_grid("plot_image_grid", images, labels, ncols, cmap, path, title, max_images,
                       colorbar, vmin, vmax, symmetric, panel_size, colorbar_label)


def _image_grid(who, images, labels, ncols, cmap, path, title, max_images, colorbar, vmin, vmax,
                symmetric, panel_size, colorbar_label) -> Figure:
    """plot_image_grid's work, with `who` (the public function called) named in errors."""
    stack, rgb = _as_image_stack(images, who)
    colorbar = _check_flag(who, "colorbar", colorbar)
    symmetric = _check_flag(who, "symmetric", symmetric)
    if rgb and (colorbar or symmetric or vmin is not None or vmax is not None):
        raise ValueError(f"{who}: colorbar, symmetric, vmin and vmax need one-channel images; "
                         f"got RGB images of shape {np.shape(images)}")
    if isinstance(max_images, bool) or not isinstance(max_images, (int, np.integer)) \
            or max_images < 1:
        raise ValueError(f"{who}: expected max_images to be a positive int, got {max_images!r}")
    n = min(len(stack), int(max_images))
    if n == 0:
        raise ValueError(f"{who}: expected at least one image, got none")
    if labels is not None and len(labels) < n:
        raise ValueError(f"{who}: expected {n} labels (one per image), got {len(labels)}")
    rows, cols = _grid_shape(n, ncols)
    inches = _panel_inches(who, panel_size, cols)
    shared = None
    if colorbar and not rgb:
        shared = _colour_range(who, stack[:n], vmin, vmax, symmetric)
    fig = Figure(figsize=(inches * cols + (1.0 if colorbar else 0.0),
                          inches * rows + (0.5 if title else 0.0) + (0.3 if labels else 0.0)),
                 layout="constrained")                     # room for the titles and colour bar
    axes, picture = [], None
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        if rgb:
            picture = ax.imshow(stack[i], interpolation="nearest")
        else:
            lo, hi = shared or _colour_range(who, stack[i], vmin, vmax, symmetric)
            picture = ax.imshow(stack[i], cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=9)
        axes.append(ax)
    if title is not None:
        fig.suptitle(title)
    if colorbar:
        fig.colorbar(picture, ax=axes, label=colorbar_label, shrink=0.9)
    return _save(fig, path)


def plot_filters(W, ncols=None, cmap="coolwarm", path=None, title="filters", *,
                 colorbar: bool = False, symmetric: bool = True, panel_size=None) -> Figure:
    """Conv filters W (C_out, C_in, KH, KW): one picture per output channel (RGB when C_in
    is 3, otherwise input channel 0), captioned with its number.

    symmetric=True (default): the colour scale runs from -m to m, so that white is a weight of
    0, red positive and blue negative (per filter, or shared by all with colorbar=True, which
    also draws one colour bar labelled "weight"). RGB filters (C_in = 3) are scaled to [0, 1]
    each and have no colour bar.
    """
    W = _as_float_array("plot_filters", "W", W)
    if W.ndim != 4:
        raise ValueError(f"plot_filters: expected W of shape (C_out, C_in, KH, KW), got {W.shape}")
    rgb = W.shape[1] == 3
    return _image_grid("plot_filters", W, [f"{i}" for i in range(W.shape[0])], ncols, cmap, path,
                       title, 100, colorbar, None, None, symmetric and not rgb, panel_size,
                       "weight")


def plot_feature_maps(maps, index: int = 0, ncols=None, cmap="viridis", path=None,
                      title="feature maps", *, colorbar: bool = False, symmetric: bool = False,
                      panel_size=None) -> Figure:
    """Feature maps of one example: (C, H, W), or (N, C, H, W) of which example `index`,
    one panel per channel ("ch c"). colorbar=True: one shared scale and a colour bar labelled
    "activation", so that a bright map means a large value in every panel; symmetric=True
    centres the scale on 0 (for maps before a ReLU, which can be negative)."""
    maps = _as_float_array("plot_feature_maps", "maps", maps)
    if maps.ndim == 4:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
                or not 0 <= index < maps.shape[0]:
            raise ValueError(f"plot_feature_maps: index {index!r} out of range for "
                             f"{maps.shape[0]} examples")
        maps = maps[index]
    if maps.ndim != 3:
        raise ValueError(f"plot_feature_maps: expected maps (C, H, W) or (N, C, H, W), "
                         f"got {maps.shape}")
    return _image_grid("plot_feature_maps", maps, [f"ch {c}" for c in range(maps.shape[0])], ncols,
                       cmap, path, title, 100, colorbar, None, None, symmetric, panel_size,
                       "activation")


# ----- confusion matrix ------------------------------------------------------------------------
def _class_labels(who: str, what: str, y) -> np.ndarray:
    """Integer labels (N,) from ints (N,) or a column (N, 1) of them, or from scores / one-hot
    rows (N, K > 1) (argmax). A column of scores (one sigmoid output) must be thresholded first."""
    a = np.asarray(y)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]                                   # a column of labels, not K = 1 scores
    elif a.ndim == 2:
        a = a.argmax(axis=1)
    if a.ndim != 1:
        raise ValueError(f"{who}: expected {what} of shape (N,), (N, 1) or (N, K), got shape {a.shape}")
    if a.dtype.kind == "f" and np.any(a != np.round(a)):
        raise ValueError(f"{who}: expected {what} to be integer class labels, got fractions; "
                         f"threshold one-output scores first, e.g. (p > 0.5).astype(int)")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{who}: expected {what} to hold integer labels, got dtype {a.dtype}")
    a = a.astype(np.int64)
    if a.size and a.min() < 0:
        raise ValueError(f"{who}: expected labels >= 0 in {what}, got {a.min()}")
    return a


def confusion_matrix(y_true, y_pred, k: int | None = None) -> np.ndarray:
    """Counts C (K, K): C[i, j] = number of examples of true class i predicted as class j.

    y_true, y_pred: (N,) or (N, 1) integer labels, or (N, K) one-hot rows / scores (argmax).
    k: the number of classes K; default 1 + the largest label seen.
    The diagonal holds the correct answers; accuracy = trace(C) / N.
    """
    who = "confusion_matrix"
    t = _class_labels(who, "y_true", y_true)
    p = _class_labels(who, "y_pred", y_pred)
    if t.shape != p.shape:
        raise ValueError(f"{who}: y_true and y_pred must have the same length, "
                         f"got {t.shape} and {p.shape}")
    top = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if k is None:
        k = max(top, 1)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{who}: expected k to be a positive int, got {k!r}")
    if top > k:
        raise ValueError(f"{who}: labels go up to {top - 1} but k={k} classes (labels 0..{k - 1})")
    C = np.zeros((k, k), dtype=np.int64)
    np.add.at(C, (t, p), 1)                                   # one count per (true, predicted) pair
    return C


def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize: bool = False, path=None,
                          ax=None) -> Figure:
    """The confusion matrix as a picture, with the count (or, with normalize=True, the
    fraction of each true class) written in every cell. Rows: true class; columns: predicted."""
    k = None if class_names is None else len(class_names)
    C = confusion_matrix(y_true, y_pred, k=k)
    values = C.astype(np.float64)
    if normalize:
        values = values / np.maximum(values.sum(axis=1, keepdims=True), 1)
    K = C.shape[0]
    names = [str(i) for i in range(K)] if class_names is None else [str(c) for c in class_names]
    fig, ax = _figure_and_ax(ax, figsize=(1.0 + 0.5 * K, 0.8 + 0.5 * K))
    ax.imshow(values, cmap="Blues", vmin=0)
    top = values.max() if values.size else 1
    for i in range(K):
        for j in range(K):
            text = f"{values[i, j]:.2f}" if normalize else str(C[i, j])
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if values[i, j] > 0.6 * top else "black")
    ax.set_xticks(range(K), names)
    ax.set_yticks(range(K), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return _save(fig, path)


# ----- histograms ------------------------------------------------------------------------------
def plot_histograms(arrays: dict, bins: int = 50, path=None, ncols=None) -> Figure:
    """One histogram per named array (weights, activations, gradients), with mean and std.

    arrays: dict name -> array of any shape (all its values are counted).
    """
    if not isinstance(arrays, dict) or not arrays:
        raise ValueError(f"plot_histograms: expected a non-empty dict name -> array, "
                         f"got {type(arrays).__name__}")
    rows, cols = _grid_shape(len(arrays), ncols if ncols is not None else min(len(arrays), 4))
    fig = Figure(figsize=(3.2 * cols, 2.6 * rows))
    for i, (name, a) in enumerate(arrays.items()):
        values = _as_float_array("plot_histograms", f"arrays[{name!r}]", a).ravel()
        ax = fig.add_subplot(rows, cols, i + 1)
        if values.size:
            ax.hist(values[np.isfinite(values)], bins=bins, color="#1f77b4")
            ax.set_title(f"{name}\nmean {values.mean():.3g}  std {values.std():.3g}", fontsize=9)
        else:
            ax.set_title(f"{name} (empty)", fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


# ----- gradient flow ---------------------------------------------------------------------------
def _norm_series(records) -> dict:
    """Gradient norms as dict layer name -> 1-D array (one value per update).

    records: a GradientNormRecorder (its `.norms`), a Tracer (one backward: its
    `grad_norms()`), or a dict name -> sequence (or single number) of norms.
    """
    if hasattr(records, "grad_norms") and callable(records.grad_norms):
        records = records.grad_norms()
    records = getattr(records, "norms", records)
    if not isinstance(records, dict) or not records:
        raise ValueError("plot_gradient_flow: expected a GradientNormRecorder, a Tracer or a "
                         f"non-empty dict layer -> norms, got {type(records).__name__}")
    return {str(k): np.atleast_1d(_as_float_array("plot_gradient_flow", str(k), v)).ravel()
            for k, v in records.items()}


def plot_gradient_flow(records, path=None, ax=None) -> Figure:
    """Per-layer gradient norms, log scale. Many values per layer (a GradientNormRecorder):
    one line per layer over the updates. One value per layer (a Tracer): bars in layer order,
    which show a vanishing gradient as bars shrinking towards the input."""
    series = _norm_series(records)
    fig, ax = _figure_and_ax(ax, figsize=(6, 4))
    tiny = np.finfo(np.float64).tiny
    if all(len(v) == 1 for v in series.values()):
        names = list(series)
        ax.bar(range(len(names)), [max(series[n][0], tiny) for n in names], color="#1f77b4")
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
        ax.set_xlabel("layer (input on the left)")
    else:
        for name, v in series.items():
            ax.plot(np.arange(1, len(v) + 1), np.maximum(v, tiny), label=name)
        ax.set_xlabel("update")
        ax.legend(fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("gradient norm")
    ax.set_title("gradient flow")
    return _save(fig, path)


# ----- loss surface ----------------------------------------------------------------------------
def _check_range(who: str, what: str, r) -> tuple[float, float]:
    r = _as_float_array(who, what, r)
    if r.shape != (2,) or not np.all(np.isfinite(r)) or not r[0] < r[1]:
        raise ValueError(f"{who}: expected {what} = (low, high) with low < high, got {r.tolist()}")
    return float(r[0]), float(r[1])


def plot_loss_surface(loss_fn, w_range, b_range, path=None, trajectory=None,
                      resolution: int = 80, ax=None, labels=("w", "b")) -> Figure:
    """Contours of L(w, b) for a model with two parameters, and the optimizer's path on them.

    loss_fn: a function (w, b) -> the loss, a float (called resolution**2 times).
    w_range, b_range: (low, high) of the two axes.
    trajectory: (T, 2) array of (w, b) after each step, drawn as a line from start to end.
    Contour levels are spaced on a log scale above the smallest loss, so that the valley's
    floor shows as well as its walls.
    """
    who = "plot_loss_surface"
    if not callable(loss_fn):
        raise TypeError(f"{who}: expected loss_fn to be a function (w, b) -> float")
    w_lo, w_hi = _check_range(who, "w_range", w_range)
    b_lo, b_hi = _check_range(who, "b_range", b_range)
    resolution = _check_resolution(who, resolution)
    ws, bs = np.linspace(w_lo, w_hi, resolution), np.linspace(b_lo, b_hi, resolution)
    L = np.array([[float(loss_fn(w, b)) for w in ws] for b in bs])   # L[i, j] = loss(ws[j], bs[i])
    if not np.all(np.isfinite(L)):
        raise ValueError(f"{who}: loss_fn returned non-finite values on the grid")
    fig, ax = _figure_and_ax(ax, figsize=(5.5, 4.5))
    L_min, span = L.min(), max(L.max() - L.min(), 1e-300)
    levels = np.concatenate([[L_min], L_min + np.geomspace(1e-4 * span, span, 24)])
    cs = ax.contourf(ws, bs, L, levels=levels, cmap="viridis",
                     norm=BoundaryNorm(levels, ncolors=256))
    fig.colorbar(cs, ax=ax, label="loss", format="%.3g")
    if trajectory is not None:
        path_wb = _as_float_array(who, "trajectory", trajectory)
        if path_wb.ndim != 2 or path_wb.shape[1] != 2 or len(path_wb) == 0:
            raise ValueError(f"{who}: expected trajectory of shape (T, 2), got {path_wb.shape}")
        ax.plot(path_wb[:, 0], path_wb[:, 1], "-", color="white", lw=1.2)
        # black edges: white markers stay visible on the light legend box too
        ax.plot(path_wb[0, 0], path_wb[0, 1], "o", color="white", mec="black", ms=8,
                label="start")
        ax.plot(path_wb[-1, 0], path_wb[-1, 1], "*", color="red", mec="black", ms=13,
                label="end")
        ax.legend(fontsize=8, facecolor="lightgray", framealpha=0.9)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title("loss surface")
    return _save(fig, path)

