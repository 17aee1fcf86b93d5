"""The course's figures (chapters 1, 2, 4, 7, 8 and 9): decision regions, training curves, image grids.

Every chapter draws with these helpers, so every figure uses the
same colours and markers.  The colours are Okabe and Ito's palette (2008), which
stays distinguishable under the common kinds of colour blindness, and classes
also differ in marker shape, so a figure still reads in grey.

matplotlib is imported inside the functions, not by ``import dlref`` or
``import dlref.plot``; all but ``image_grid`` draw on an ``Axes`` you pass in.
"""
import numpy as np

from dlref._checks import as_float_array, positive_int

PALETTE = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9",
    "bluish_green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
    "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
    "light_grey": "#F2F2F2", "light_blue": "#CCE3F0",   # the two region shades
}
"""The Okabe-Ito colours by name, plus two light shades for decision regions."""

CLASS_COLORS = tuple(PALETTE[name] for name in ("vermillion", "blue", "bluish_green", "orange",
                                                "reddish_purple", "sky_blue", "black", "yellow"))
"""Colour of class 0, 1, 2, ...: class 0 vermillion, class 1 ("fires") blue."""

MARKERS = ("X", "o", "s", "^", "D", "v", "P", "*")
"""Marker of class 0, 1, 2, ...: class 0 a cross, class 1 a circle."""

REGION_COLORS = (PALETTE["light_grey"], PALETTE["light_blue"])
"""Shading of a two-class plot: class 0 light grey, class 1 a light tint of blue."""

LINE_COLORS = tuple(PALETTE[name] for name in ("blue", "orange", "bluish_green", "vermillion",
                                               "reddish_purple", "sky_blue", "black"))
"""Colours of successive curves (loss curves, training histories)."""


def _integer_epochs(ax):
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def _pick(seq, i):
    return seq[int(i) % len(seq)]


def region_colors(k):
    """Shades of ``k`` class regions: ``REGION_COLORS`` for two, else tints of ``CLASS_COLORS``."""
    if k <= 2:
        return list(REGION_COLORS[:max(k, 1)])
    rgb = [np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) / 255 for c in CLASS_COLORS]
    return [tuple(1 - 0.25 * (1 - _pick(rgb, i))) for i in range(k)]


def _labels(values, name):
    arr = np.asarray(values)
    arr = arr.astype(np.int64) if arr.dtype.kind == "b" else arr
    if (arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr))
            or np.any(arr != np.round(arr)) or np.any(arr < 0)):
        raise ValueError(f"{name} must hold class labels 0, 1, ..., K-1 (non-negative integers), "
                         f"got dtype {arr.dtype}, values like {arr.ravel()[:4]}")
    return arr.astype(np.int64)


def boundary_line(ax, w, b, **kw):
    """Draw the line ``w[0] x1 + w[1] x2 + b = 0`` across ``ax`` (chapters 1 and 2).

    ``w`` has shape (2,) and is the line's normal; ``w[1] == 0`` gives the vertical line
    ``x1 = -b / w[0]``, and ``w == 0`` is an error.  ``kw`` goes to matplotlib (``color``,
    ``ls``, ``lw``, ``label``; black and 2 points wide by default).  Returns the ``Line2D``.
    """
    if np.shape(w) != (2,):
        raise ValueError(f"w must hold 2 weights, shape (2,), got shape {np.shape(w)} "
                         "(decision_regions takes lines=[(w, b), ...])")
    w = as_float_array(w, "w", ndim=1)
    b = float(as_float_array(b, "b", ndim=0))
    if not np.any(w):
        raise ValueError("w = (0, 0) defines no line: w.x + b is the constant b everywhere")
    kw = {"color": PALETTE["black"], "lw": 2, **kw}
    if w[1] == 0:
        return ax.axvline(-b / w[0], **kw)
    return ax.axline((0.0, -b / w[1]), slope=-w[0] / w[1], **kw)


def decision_regions(ax, predict, X, y, *, lims=None, resolution=201, lines=(), title=None,
                     line_kw=None, class_names=None, s=None):
    """Shade where a 2-D classifier outputs each class; scatter the points (chapters 1, 2, 4, 7).

    Parameters
    ----------
    ax : matplotlib Axes
    predict : callable, points (k, 2) -> labels (k,) in 0..K-1
        For probabilities (k, K) pass ``lambda p: model.predict(p).argmax(axis=1)``.
    X : array_like, shape (n, 2)
    y : array_like, shape (n,)
        Labels 0..K-1; class c is drawn in ``CLASS_COLORS[c]`` with ``MARKERS[c]``.
    lims : (lo, hi) or ((x1_lo, x1_hi), (x2_lo, x2_hi)), optional
        Plotted range; by default the data's range padded by 15%.
    resolution : int
        Grid points per axis at which ``predict`` is evaluated.
    lines : sequence of (w, b)
        Boundaries ``w.x + b = 0`` drawn with :func:`boundary_line`, styled by ``line_kw``.
    class_names : sequence of str, optional
        Adds a legend naming class 0, 1, ...
    s : float, optional
        Marker area: by default 140 for up to 20 points, else 30.

    Returns
    -------
    ax
    """
    X = as_float_array(X, "X", ndim=2)
    if X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"X must have shape (n, 2), one point of the plane per row; got {X.shape}")
    y = _labels(y, "y")
    if y.shape != (len(X),):
        raise ValueError(f"y must have shape ({len(X)},), one label per row of X; got {y.shape}")
    if lims is None:
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.15 * np.max(hi - lo) or 1.0
        lims = np.stack([lo - pad, hi + pad], axis=1)
    lims = as_float_array(lims, "lims")
    lims = np.stack([lims, lims]) if lims.shape == (2,) else lims
    if lims.shape != (2, 2) or np.any(lims[:, 0] >= lims[:, 1]):
        raise ValueError(f"lims must be (lo, hi) or one such pair per axis, with lo < hi; "
                         f"got {lims.tolist()}")
    resolution = positive_int(resolution, "resolution")

    g1, g2 = np.meshgrid(np.linspace(*lims[0], resolution), np.linspace(*lims[1], resolution))
    labels = _labels(predict(np.c_[g1.ravel(), g2.ravel()]), "predict(points)")
    if labels.shape != (g1.size,):
        raise ValueError(f"predict must return one label per point, shape ({g1.size},), got "
                         f"{labels.shape}; for probabilities use lambda p: f(p).argmax(axis=1)")
    k = max(2, labels.max() + 1, y.max() + 1)
    ax.contourf(g1, g2, labels.reshape(g1.shape), levels=np.arange(k + 1) - 0.5,
                colors=region_colors(k))
    for c in np.unique(y):
        ax.scatter(X[y == c, 0], X[y == c, 1], s=s or (140 if len(X) <= 20 else 30),
                   marker=_pick(MARKERS, c), color=_pick(CLASS_COLORS, c), edgecolors="white",
                   linewidths=0.8, zorder=3, label=None if class_names is None else class_names[c])
    for w, b in lines:
        boundary_line(ax, w, b, **(line_kw or {}))
    ax.set(xlim=lims[0], ylim=lims[1], xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    if title is not None:
        ax.set_title(title)
    if class_names is not None:
        ax.legend()
    return ax


def loss_curve(ax, losses, *, xlabel="step", ylabel="loss", title=None, markers=False):
    """Plot per-step (or per-epoch) curves, x counted from 1 (chapters 1, 7 and 8).

    ``losses`` is an array of shape (steps,) or a dict mapping a label to one; a dict draws
    one curve per entry in ``LINE_COLORS`` order and a legend.  ``markers=True`` marks every
    point, each curve with its own marker.  Returns ``ax``.
    """
    curves = losses if isinstance(losses, dict) else {None: losses}
    for i, (label, values) in enumerate(curves.items()):
        values = as_float_array(values, "losses" if label is None else f"losses[{label!r}]",
                                ndim=1, allow_nan=True)
        ax.plot(np.arange(1, len(values) + 1), values, color=_pick(LINE_COLORS, i),
                marker=_pick("os^Dv", i) if markers else None, label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    _integer_epochs(ax)
    if title is not None:
        ax.set_title(title)
    if isinstance(losses, dict):
        ax.legend()
    return ax


def history(ax_or_axes, history, metrics=("loss",)):
    """Plot a Keras-style history, ``metric`` and ``val_metric`` per epoch (chapters 8 to 11).

    ``history`` is a dict, or an object with a ``.history`` dict (what ``Sequential.fit`` and
    ``keras.Model.fit`` return), mapping names such as ``'loss'``, ``'val_loss'`` and
    ``'accuracy'`` to one value per epoch.  Give one Axes per metric in ``metrics``: each
    gets the training curve (solid), the validation curve (dashed) where there is one, axis
    labels and a legend.  Returns ``ax_or_axes``.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(f"history must be a dict or have a .history dict, "
                        f"got {type(history).__name__}")
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    axes = np.atleast_1d(np.asarray(ax_or_axes, dtype=object)).ravel()
    if len(axes) != len(metrics):
        raise ValueError(f"got {len(axes)} axes for the {len(metrics)} metrics {metrics}; "
                         "pass one Axes per metric")
    for ax, metric in zip(axes, metrics):
        if metric not in logs:
            raise KeyError(f"history has no {metric!r}; it holds {sorted(logs)}")
        for key, label, color, ls in ((metric, "train", LINE_COLORS[0], "-"),
                                      ("val_" + metric, "validation", LINE_COLORS[1], "--")):
            if key in logs:
                values = as_float_array(logs[key], f"history[{key!r}]", ndim=1, allow_nan=True)
                ax.plot(np.arange(1, len(values) + 1), values, ls, color=color, label=label)
        ax.set(xlabel="epoch", ylabel=metric)
        _integer_epochs(ax)
        ax.legend()
    return ax_or_axes


def image_grid(images, labels=None, ncols=10, *, size=1.2, cmap="gray", title=None):
    """A figure of grey-scale images in a grid, titled by ``labels`` if given (chapters 8 and 9).

    ``images`` has shape (N, H, W) or (N, H, W, 1); all share one grey scale from the
    smallest to the largest value.  ``labels`` (length N) are shown above the images,
    ``size`` is inches per image.  Returns the matplotlib ``Figure``.
    """
    images = as_float_array(images, "images", ndim=(3, 4))
    if images.ndim == 4:
        if images.shape[-1] != 1:
            raise ValueError(f"images must be grey-scale, shape (N, H, W) or (N, H, W, 1); "
                             f"got {images.shape}")
        images = images[..., 0]
    n = len(images)
    if n == 0:
        raise ValueError("images is empty; expected at least one image")
    if labels is not None and len(labels) != n:
        raise ValueError(f"got {len(labels)} labels for {n} images")
    ncols = min(positive_int(ncols, "ncols"), n)
    nrows = -(-n // ncols)
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, layout="compressed", figsize=(
        size * ncols, (size + 0.25 * (labels is not None)) * nrows + 0.4 * (title is not None)))
    vmin, vmax = images.min(), images.max()
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap, vmin=vmin, vmax=vmax)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=9)
    if title is not None:
        fig.suptitle(title)
    return fig
