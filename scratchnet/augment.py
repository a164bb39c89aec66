"""Data augmentation: random, label-preserving changes to a batch of images (N, C, H, W).

A network trained on few images learns those images. Showing it a slightly different version
of each image at every epoch (shifted, turned, sheared, zoomed, mirrored, partly hidden, noisy)
"multiplies" the training set, as the course's AGA 0505 deck puts it, and it has to learn what
stays the same under those changes. Every transform here is a small class:

    aug = Compose([RandomTranslate(1.0), RandomRotate(10), GaussianNoise(0.05)], rng=0)
    x_new = aug(x)                       # x: (N, C, H, W) float32/float64, never changed
    model.fit(x, y, ..., augment=aug)    # applied to every training batch, never to validation

Each transform draws its own random numbers (rng=: None, an int seed or a numpy Generator,
as everywhere in scratchnet) for each image of each batch, and `reseed(seed)` restarts them.
`p` is the probability that an image is changed at all (drawn per image).

The geometric transforms (RandomTranslate, RandomRotate, RandomShear, RandomZoom) are all the
same operation, an affine warp, with a different 3x3 matrix per image. In homogeneous
coordinates (row, column, 1), with pixel (i, j) at the centre of cell (i, j), each draws a
FORWARD matrix M (where a source point goes) and the warp samples every output pixel at
M^-1 (i, j, 1), the point it came from (inverse mapping: scratchnet/kernels/warp_reference.py
explains the sampling, nearest or bilinear, and the fill value for points outside the image).
Rotation, shear and zoom turn about the image centre ((H-1)/2, (W-1)/2).
Compose multiplies the matrices of neighbouring geometric transforms and warps ONCE, so a
rotation followed by a shift resamples (and blurs) the image once, not twice.

The warp runs on the backend chosen as for the layers (backend=, scratchnet.set_backend or
$SCRATCHNET_BACKEND): "reference" is the plain NumPy version, "numba" the compiled one.
There is no CUDA warp: with "cuda" the numba CPU kernel runs (augmentation happens on the
host, before a batch would go to the GPU).
"""
from __future__ import annotations

import math

import numpy as np

from scratchnet._config import as_rng
from scratchnet.kernels.backend import check_backend, get_backend
from scratchnet.kernels.warp_reference import ORDERS

__all__ = ["Transform", "Compose", "RandomTranslate", "RandomRotate", "RandomShear",
           "RandomZoom", "RandomHorizontalFlip", "Cutout", "GaussianNoise", "warp",
           "translation", "rotation", "shear", "zoom", "inverse_2x3"]


# ----- checks shared by the transforms ---------------------------------------------------------
def _number(who: str, what: str, value) -> float:
    """value as a float; TypeError naming `who` for a non-number, ValueError for NaN or inf."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise TypeError(f"{who}: expected {what} to be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{who}: expected {what} to be a finite number, got {value}")
    return value


def _in_range(who: str, what: str, value, lo: float, hi: float, hi_open: bool = False) -> float:
    """A number in [lo, hi] (or [lo, hi) with hi_open)."""
    v = _number(who, what, value)
    if v < lo or v > hi or (hi_open and v == hi):
        raise ValueError(f"{who}: expected {what} in [{lo:g}, {hi:g}{')' if hi_open else ']'}, "
                         f"got {value!r}")
    return v


def _pair(who: str, what: str, value, lo: float, hi: float) -> tuple[float, float]:
    """One number (used for both axes) or a pair (rows, columns), each in [lo, hi]."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{who}: expected {what} as one number or a pair (rows, columns), "
                             f"got {len(value)} values: {value!r}")
        return (_in_range(who, what, value[0], lo, hi), _in_range(who, what, value[1], lo, hi))
    v = _in_range(who, what, value, lo, hi)
    return v, v


def _fill(who: str, fill) -> float:
    """The value for pixels outside the image or hidden: any float (NaN and inf allowed)."""
    if isinstance(fill, (bool, np.bool_)) or not isinstance(fill, (int, float, np.integer,
                                                                   np.floating)):
        raise TypeError(f"{who}: expected fill to be a number, got {fill!r}")
    return float(fill)


def check_batch(who: str, x) -> np.ndarray:
    """x must be a float32/float64 NumPy array of shape (N, C, H, W); returned as it is."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{who}: expected a NumPy array of images (N, C, H, W), "
                        f"got {type(x).__name__}")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{who}: expected images of dtype float32 or float64, got {x.dtype} "
                        f"(convert first, e.g. x.astype(np.float32) / 255)")
    if x.ndim != 4:
        raise ValueError(f"{who}: expected images of shape (N, C, H, W), got shape {x.shape}"
                         + (" (add the channel axis: x[:, None])" if x.ndim == 3 else ""))
    return x


# ----- the warp and its matrices ---------------------------------------------------------------
def _warp_module(backend):
    """The warp kernel module for `backend` (None: the global choice; "cuda" -> numba)."""
    name = get_backend() if backend is None else backend
    if name == "reference":
        from scratchnet.kernels import warp_reference as module
    else:
        from scratchnet.kernels import warp_numba as module
    return module


def warp(x, inverse, fill=0.0, order="bilinear", backend=None) -> np.ndarray:
    """Affine warp by inverse mapping: out[n, :, i, j] = x[n] sampled at inverse[n] @ (i, j, 1).

    x: (N, C, H, W) float32/float64; inverse: (N, 2, 3), for each image the map from an
    OUTPUT pixel (row i, column j) to the SOURCE point it reads (see inverse_2x3);
    fill: the value of points outside the image; order: "nearest" or "bilinear";
    backend: "reference", "numba" or None (the global choice). Returns a new array like x.
    The sampling rules are in scratchnet/kernels/warp_reference.py.
    """
    if backend is not None:
        check_backend(backend, "warp")
    return _warp_module(backend).warp(x, inverse, fill, order)


def _centred(core: np.ndarray, H: int, W: int) -> np.ndarray:
    """T(c) @ core @ T(-c): the 3x3 maps in `core` (N, 3, 3), taken about the image centre
    c = ((H-1)/2, (W-1)/2) instead of about pixel (0, 0)."""
    cr, cc = (H - 1) / 2.0, (W - 1) / 2.0
    n = len(core)
    return translation(np.full(n, cr), np.full(n, cc)) @ core @ translation(
        np.full(n, -cr), np.full(n, -cc))


def _stack(a00, a01, a10, a11, t0=0.0, t1=0.0) -> np.ndarray:
    """(N, 3, 3) matrices [[a00, a01, t0], [a10, a11, t1], [0, 0, 1]] from (N,) arrays."""
    a00 = np.asarray(a00, dtype=np.float64)
    M = np.zeros(a00.shape + (3, 3))
    M[:, 0, 0], M[:, 0, 1], M[:, 0, 2] = a00, a01, t0
    M[:, 1, 0], M[:, 1, 1], M[:, 1, 2] = a10, a11, t1
    M[:, 2, 2] = 1.0
    return M


def translation(dy, dx) -> np.ndarray:
    """Forward matrices (N, 3, 3) moving every point by dy rows (down) and dx columns (right).
    dy, dx: (N,) arrays."""
    dy = np.asarray(dy, dtype=np.float64)
    return _stack(np.ones_like(dy), 0.0, 0.0, 1.0, dy, dx)


def rotation(degrees, H: int, W: int) -> np.ndarray:
    """Forward matrices (N, 3, 3) turning the image by `degrees` (N,) about its centre,
    counter-clockwise as it is displayed. Rows point DOWN, so in (row, col) relative to the
    centre a counter-clockwise turn by t is
        row' = cos t * row - sin t * col,    col' = sin t * row + cos t * col
    (t = 90 degrees takes the point right of the centre, (0, 1), to (-1, 0), just above it)."""
    t = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    cos, sin = np.cos(t), np.sin(t)
    return _centred(_stack(cos, -sin, sin, cos), H, W)


def shear(degrees, H: int, W: int) -> np.ndarray:
    """Forward matrices (N, 3, 3) of a horizontal shear by `degrees` (N,) about the centre:
    each row slides sideways in proportion to its height above the centre row,
    col' = col - tan(t) * row (relative to the centre), so for t > 0 the top leans right and
    vertical strokes lean forward, like italics."""
    k = np.tan(np.deg2rad(np.asarray(degrees, dtype=np.float64)))
    return _centred(_stack(np.ones_like(k), 0.0, -k, 1.0), H, W)


def zoom(scale, H: int, W: int) -> np.ndarray:
    """Forward matrices (N, 3, 3) scaling the image by `scale` (N,) about its centre: a factor
    above 1 enlarges it (zoom in, the edges leave the frame), below 1 shrinks it (fill around)."""
    s = np.asarray(scale, dtype=np.float64)
    return _centred(_stack(s, 0.0, 0.0, s), H, W)


def inverse_2x3(forward: np.ndarray) -> np.ndarray:
    """The inverse maps, as warp wants them: (N, 3, 3) forward matrices -> (N, 2, 3), the top
    two rows of each M^-1 (output pixel -> source point)."""
    return np.linalg.inv(forward)[:, :2, :]


# ----- the transforms --------------------------------------------------------------------------
class Transform:
    """A random change of a batch: `transform(x) -> new array`, x (N, C, H, W) float.

    p:   the probability that an image is changed at all, drawn per image (1: every image).
    rng: None (fresh entropy), an int seed or a numpy Generator (shared, not copied).
    Subclasses implement _apply(x, chosen) with chosen (N,) bool: the images to change.
    """

    def __init__(self, p: float = 1.0, rng=None):
        self.p = _in_range(self.name, "p", p, 0.0, 1.0)
        self.rng = as_rng(rng)

    @property
    def name(self) -> str:
        return type(self).__name__

    def reseed(self, seed=None) -> None:
        """Restart the random stream from `seed` (None: fresh entropy; or a Generator)."""
        self.rng = as_rng(seed)

    def _chosen(self, n: int) -> np.ndarray:
        """(n,) bool: which images to change; drawn even when p = 1, so that the stream a seed
        gives does not depend on p."""
        return self.rng.random(n) < self.p

    def __call__(self, x) -> np.ndarray:
        x = check_batch(self.name, x)
        return self._apply(x, self._chosen(len(x)))

    def _apply(self, x, chosen) -> np.ndarray:
        raise NotImplementedError

    def _args(self) -> str:
        return f"p={self.p:g}"

    def __repr__(self) -> str:
        return f"{self.name}({self._args()})"


class _Affine(Transform):
    """A geometric transform: one forward 3x3 matrix per image, then one warp (module
    docstring). fill: the value outside the image; order: "bilinear" or "nearest";
    backend: "reference", "numba" or None (the global choice)."""

    def __init__(self, p=1.0, rng=None, fill=0.0, order="bilinear", backend=None):
        super().__init__(p, rng)
        self.fill = _fill(self.name, fill)
        if order not in ORDERS:
            raise ValueError(f"{self.name}: expected order 'bilinear' or 'nearest', got {order!r}")
        self.order = order
        self.backend = None if backend is None else check_backend(backend, self.name)

    def _core(self, n: int, H: int, W: int) -> np.ndarray:
        """(n, 3, 3) forward matrices for one image each, drawn from self.rng."""
        raise NotImplementedError

    def matrices(self, shape) -> np.ndarray:
        """Draw the forward matrices (N, 3, 3) for a batch of this shape (N, C, H, W): the
        identity for the images not chosen (probability 1 - p)."""
        N, _, H, W = shape
        chosen = self._chosen(N)
        M = self._core(N, H, W)
        M[~chosen] = np.eye(3)
        return M

    def warp_key(self):
        """Neighbours in a Compose with the same key are warped together, in one pass."""
        return (self.fill if not math.isnan(self.fill) else "nan", self.order, self.backend)

    def __call__(self, x) -> np.ndarray:
        x = check_batch(self.name, x)
        return warp(x, inverse_2x3(self.matrices(x.shape)), self.fill, self.order, self.backend)

    def _args(self) -> str:
        return f"p={self.p:g}, fill={self.fill:g}, order={self.order!r}"


class RandomTranslate(_Affine):
    """Shift each image by a random (dy, dx), each uniform in [-max_shift, max_shift] pixels.

    max_shift: one number for both axes, or (rows, columns); fractions of a pixel are
    allowed (bilinear sampling then blends neighbours; order="nearest" moves whole pixels).
    Pixels shifted in from outside get `fill`. x: (N, C, H, W) -> (N, C, H, W), new array.
    """

    def __init__(self, max_shift=2.0, p=1.0, rng=None, fill=0.0, order="bilinear",
                 backend=None):
        self.max_shift = _pair(type(self).__name__, "max_shift", max_shift, 0.0, 1e6)
        super().__init__(p, rng, fill, order, backend)

    def _core(self, n, H, W):
        (mr, mc) = self.max_shift
        dy = self.rng.uniform(-mr, mr, n)
        dx = self.rng.uniform(-mc, mc, n)
        return translation(dy, dx)

    def _args(self):
        return f"max_shift={self.max_shift}, " + super()._args()


class RandomRotate(_Affine):
    """Turn each image about its centre by an angle uniform in [-max_degrees, max_degrees]
    (positive: counter-clockwise as displayed). max_degrees in [0, 180].
    Corners turned in from outside get `fill`. x: (N, C, H, W) -> (N, C, H, W), new array.
    """

    def __init__(self, max_degrees=10.0, p=1.0, rng=None, fill=0.0, order="bilinear",
                 backend=None):
        self.max_degrees = _in_range(type(self).__name__, "max_degrees", max_degrees, 0.0, 180.0)
        super().__init__(p, rng, fill, order, backend)

    def _core(self, n, H, W):
        return rotation(self.rng.uniform(-self.max_degrees, self.max_degrees, n), H, W)

    def _args(self):
        return f"max_degrees={self.max_degrees:g}, " + super()._args()


class RandomShear(_Affine):
    """Shear each image horizontally about its centre by an angle uniform in
    [-max_degrees, max_degrees]: rows slide sideways, in proportion to their distance from
    the centre row, so upright strokes lean (see `shear`). max_degrees in [0, 80].
    x: (N, C, H, W) -> (N, C, H, W), new array.
    """

    def __init__(self, max_degrees=10.0, p=1.0, rng=None, fill=0.0, order="bilinear",
                 backend=None):
        self.max_degrees = _in_range(type(self).__name__, "max_degrees", max_degrees, 0.0, 80.0)
        super().__init__(p, rng, fill, order, backend)

    def _core(self, n, H, W):
        return shear(self.rng.uniform(-self.max_degrees, self.max_degrees, n), H, W)

    def _args(self):
        return f"max_degrees={self.max_degrees:g}, " + super()._args()


class RandomZoom(_Affine):
    """Scale each image about its centre by a factor uniform in `scale` = (lo, hi), both > 0
    (a factor above 1 enlarges); a single number z in [0, 1) means (1 - z, 1 + z).
    x: (N, C, H, W) -> (N, C, H, W), new array; a shrunk image is surrounded by `fill`.
    """

    def __init__(self, scale=(0.9, 1.1), p=1.0, rng=None, fill=0.0, order="bilinear",
                 backend=None):
        who = type(self).__name__
        if isinstance(scale, (tuple, list)):
            if len(scale) != 2:
                raise ValueError(f"{who}: expected scale as (lo, hi) or one number z in [0, 1), "
                                 f"got {scale!r}")
            lo, hi = (_in_range(who, "scale", s, 1e-3, 1e3) for s in scale)
            if lo > hi:
                raise ValueError(f"{who}: expected scale (lo, hi) with lo <= hi, got {scale!r}")
        else:
            z = _in_range(who, "scale", scale, 0.0, 1.0, hi_open=True)
            lo, hi = 1.0 - z, 1.0 + z
            if lo < 1e-3:
                raise ValueError(f"{who}: scale z = {scale!r} would shrink images to nothing; "
                                 f"expected z below 0.999")
        self.scale = (lo, hi)
        super().__init__(p, rng, fill, order, backend)

    def _core(self, n, H, W):
        return zoom(self.rng.uniform(self.scale[0], self.scale[1], n), H, W)

    def _args(self):
        return f"scale={self.scale}, " + super()._args()


class RandomHorizontalFlip(Transform):
    """Mirror each chosen image left to right (out[..., j] = x[..., W-1-j]), with probability p
    (default 0.5). Exact: a copy of the pixels, no resampling.

    Only for data whose mirror image is another example of the same class (a cat, a galaxy):
    a mirrored 2 or 7 is not a digit. x: (N, C, H, W) -> (N, C, H, W), new array.
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__(p, rng)

    def _apply(self, x, chosen):
        out = x.copy()
        out[chosen] = x[chosen][..., ::-1]
        return out


class Cutout(Transform):
    """Hide a random square of each chosen image: set a size x size patch (all channels) to
    `fill` (DeVries & Taylor's cutout, 2017). The patch centre is a pixel drawn uniformly from
    the whole image, so near the border the patch is cut by the edge and hides less.
    size: an int >= 1, or (rows, columns); for an even size the patch reaches one pixel
    further up and left of its centre. x: (N, C, H, W) -> (N, C, H, W), new array.
    """

    def __init__(self, size=2, p=1.0, rng=None, fill=0.0):
        who = type(self).__name__
        sizes = size if isinstance(size, (tuple, list)) else (size, size)
        if len(sizes) != 2 or any(isinstance(s, (bool, np.bool_)) or not isinstance(
                s, (int, np.integer)) for s in sizes):
            raise TypeError(f"{who}: expected size as an int or a pair of ints (rows, "
                            f"columns), got {size!r}")
        if min(sizes) < 1:
            raise ValueError(f"{who}: expected size >= 1, got {size!r}")
        self.size = (int(sizes[0]), int(sizes[1]))
        self.fill = _fill(who, fill)
        super().__init__(p, rng)

    def _apply(self, x, chosen):
        N, _, H, W = x.shape
        cr = self.rng.integers(0, H, N)                      # the patch centres, one per image
        cc = self.rng.integers(0, W, N)
        top, left = cr - self.size[0] // 2, cc - self.size[1] // 2       # (N,)
        rows, cols = np.arange(H), np.arange(W)
        in_rows = (rows >= top[:, None]) & (rows < top[:, None] + self.size[0])    # (N, H)
        in_cols = (cols >= left[:, None]) & (cols < left[:, None] + self.size[1])  # (N, W)
        hidden = in_rows[:, :, None] & in_cols[:, None, :] & chosen[:, None, None]  # (N, H, W)
        return np.where(hidden[:, None], x.dtype.type(self.fill), x)

    def _args(self):
        return f"size={self.size}, p={self.p:g}, fill={self.fill:g}"


class GaussianNoise(Transform):
    """Add independent normal noise of standard deviation `std` to every pixel of each chosen
    image: out = x + std * z, z ~ N(0, 1) drawn in x's dtype; then, with clip=(lo, hi), the
    result is limited to [lo, hi] (e.g. (0, 1) for images in [0, 1]).
    x: (N, C, H, W) -> (N, C, H, W), new array.
    """

    def __init__(self, std=0.05, p=1.0, rng=None, clip=None):
        who = type(self).__name__
        self.std = _in_range(who, "std", std, 0.0, 1e6)
        if clip is not None:
            if not isinstance(clip, (tuple, list)) or len(clip) != 2:
                raise TypeError(f"{who}: expected clip as None or a pair (lo, hi), got {clip!r}")
            lo, hi = (_number(who, "clip", c) for c in clip)
            if lo > hi:
                raise ValueError(f"{who}: expected clip (lo, hi) with lo <= hi, got {clip!r}")
            clip = (lo, hi)
        self.clip = clip
        super().__init__(p, rng)

    def _apply(self, x, chosen):
        z = self.rng.standard_normal(x.shape, dtype=x.dtype)
        z *= x.dtype.type(self.std)
        z[~chosen] = 0
        out = x + z
        if self.clip is not None:
            np.clip(out, self.clip[0], self.clip[1], out=out)
        return out

    def _args(self):
        return f"std={self.std:g}, p={self.p:g}, clip={self.clip}"


class Compose(Transform):
    """Apply transforms one after the other: Compose([t1, t2, ...])(x) = ...t2(t1(x)).

    Neighbouring geometric transforms (RandomTranslate, RandomRotate, RandomShear, RandomZoom)
    with the same fill, order and backend are FUSED when fuse=True: their forward matrices
    are multiplied (M = M2 @ M1: first t1, then t2) and the image is warped once, which
    blurs less and costs one pass. Each transform still draws the same random numbers as
    when called alone. (Unfused, t2 would also see the fill that t1 moved in; fused, pixels
    that t1 pushed out and t2 brings back are kept.)

    rng: None leaves each transform's own stream alone; an int seed reseeds them all with
    independent streams spawned from it (numpy SeedSequence), so one seed fixes the whole
    pipeline; a Generator is shared by all of them. reseed(seed) does the same later.
    x: (N, C, H, W) -> (N, C, H, W), a new array (also for an empty list).
    """

    def __init__(self, transforms, rng=None, fuse: bool = True):
        if not isinstance(transforms, (list, tuple)):
            raise TypeError(f"Compose: expected a list of transforms, got "
                            f"{type(transforms).__name__}")
        for t in transforms:
            if not callable(t):
                raise TypeError(f"Compose: expected transforms (callables x -> x), got "
                                f"{type(t).__name__}")
        self.transforms = list(transforms)
        self.fuse = bool(fuse)
        self.p = 1.0
        self.rng = None
        if rng is not None:
            self.reseed(rng)

    def reseed(self, seed=None) -> None:
        """Reseed every transform: an int -> independent spawned streams, a Generator ->
        shared, None -> fresh entropy for each."""
        if isinstance(seed, np.random.Generator):
            children = [seed] * len(self.transforms)
        elif seed is None or isinstance(seed, (int, np.integer)):
            seq = np.random.SeedSequence(None if seed is None else int(seed))
            children = [np.random.default_rng(s) for s in seq.spawn(len(self.transforms))]
        else:
            raise TypeError(f"Compose: expected the seed as None, an int or a numpy Generator, "
                            f"got {type(seed).__name__}")
        for t, child in zip(self.transforms, children):
            if hasattr(t, "reseed"):
                t.reseed(child)

    def __call__(self, x) -> np.ndarray:
        x = check_batch(self.name, x)
        out, k, ts = x.copy(), 0, self.transforms
        while k < len(ts):
            group = [ts[k]]
            if self.fuse and isinstance(ts[k], _Affine):
                while (k + len(group) < len(ts) and isinstance(ts[k + len(group)], _Affine)
                       and ts[k + len(group)].warp_key() == ts[k].warp_key()):
                    group.append(ts[k + len(group)])
            if len(group) == 1:
                out = np.asarray(ts[k](out))
            else:
                M = np.broadcast_to(np.eye(3), (len(out), 3, 3))
                for t in group:
                    M = t.matrices(out.shape) @ M          # t acts after everything before it
                first = group[0]
                out = warp(out, inverse_2x3(M), first.fill, first.order, first.backend)
            k += len(group)
        return out

    def __repr__(self) -> str:
        inner = ", ".join(repr(t) for t in self.transforms)
        return f"Compose([{inner}])"
