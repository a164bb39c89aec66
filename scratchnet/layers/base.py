"""The layer contract that every layer in scratchnet keeps.

A layer is a function y = f(x; params) that also knows its own local derivative:

    forward(x)   -> y       computes y and keeps what backward will need (the "cache")
    backward(dy) -> dx      given dL/dy, fills self.grads with dL/dparam and returns dL/dx

Rules (tests hold every layer to them):
  * backward never updates a parameter: an optimizer does that, from `grads`.
  * backward never changes x, y or dy in place: it builds new arrays.
  * backward before forward raises RuntimeError; so does a backward in one thread that
    would read the cache of a forward run in another (see ForwardCache).
  * `params` and `grads` have the same keys and shapes.
  * bad input raises ValueError/TypeError naming the layer, what it expected and what came.

Writing a layer: subclass Layer, register parameters with `add_param`, check the input with
`check_input`, keep what backward needs with `save_cache`, and in backward get it back with
`load_cache` and check dy with `check_grad`. A layer that computes y = x * a, elementwise:

    class Scale(Layer):
        def __init__(self, n):
            super().__init__()
            self.add_param("a", np.ones(n))                 # also makes grads["a"] = 0
        def forward(self, x):                               # x: (N, n)
            x = self.check_input(x, ndim=2, axis=1, size=self.params["a"].size)
            self.save_cache(x=x)
            return x * self.params["a"]
        def backward(self, dy):                             # dy: (N, n)
            x = self.load_cache()["x"]
            dy = self.check_grad(dy, x.shape)
            self.grads["a"] = (dy * x).sum(axis=0)          # every row used the same a
            return dy * self.params["a"]                    # dL/dx = dy * dy/dx

Then prove it: `gradcheck.check_layer(Scale(3), np.random.randn(4, 3))`.

Skipping dL/dx. A model's first layer gets data as x: nothing upstream needs dL/dx, and for a
conv or dense layer it costs as much as dL/dW. Such a layer sets `can_skip_dx = True` and
takes `backward(dy, need_dx=False)`: it fills grads as always and returns None. Sequential's
`backward(dy, need_dx=False)` (what fit calls) asks this of its first layer with parameters.
"""
from __future__ import annotations

import threading

import numpy as np

from scratchnet._config import check_float_dtype, get_default_dtype


class Layer:
    """Base class of every layer.

    Attributes:
        params:    dict name -> ndarray, the learnable parameters (empty for most activations).
        grads:     dict name -> ndarray, dL/dparam from the last backward, same keys and shapes.
        buffers:   dict name -> ndarray, state that is not learned by gradient descent (batch
                   norm's running mean and variance): optimizers never touch it.
        training:  True in training mode (dropout drops, batch norm uses batch statistics).
        trainable: False freezes the layer: optimizers skip its params (backward still runs).
        keep_eval: True keeps the layer in eval mode even when train() is called on the model
                   around it (see freeze).
        name:      used in error messages and in Sequential.summary().
    """

    # Class-level facts about a layer, read by Sequential and gradcheck:
    input_is_index = False   # True: x holds ids (Embedding), no dL/dx; backward returns None
    supports_mask = False    # True: forward(x, mask=None) takes a padding mask (N, T)
    can_skip_dx = False      # True: backward(dy, need_dx=False) fills grads, returns None

    def __init__(self, name: str | None = None):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.training = True
        self.trainable = True
        self.keep_eval = False
        self.name = name or type(self).__name__
        self._cache = None

    # ----- the two methods every layer writes ------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: the input batch (N, ...) -> y: the output batch (N, ...). Keeps in the cache
        (self._save) what backward will need; changes neither x nor any parameter."""
        raise NotImplementedError(f"{self.name}: forward is not implemented")

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy = dL/dy, shaped like the last output y -> dx = dL/dx, shaped like its input x.

        By the chain rule, dL/dx = (dy/dx)^T dL/dy and dL/dparam = (dy/dparam)^T dL/dy; each
        layer writes these out for its own y (see its docstring). Fills self.grads, returns dx,
        and never changes a parameter, x, y or dy."""
        raise NotImplementedError(f"{self.name}: backward is not implemented")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    # ----- modes and parameters ----------------------------------------------------------
    def train(self) -> "Layer":
        """Switch to training mode (this layer and its children), except where keep_eval is
        set: such a layer, and everything inside it, stays in eval mode."""
        if self.keep_eval:
            return self.eval()
        self.training = True
        for child in self.children():
            child.train()
        return self

    def eval(self) -> "Layer":
        """Switch to evaluation mode (this layer and its children)."""
        self.training = False
        for child in self.children():
            child.eval()
        return self

    def compute_mask(self, x, mask=None):
        """The padding mask for the layers after this one, given this layer's input x and the
        mask it got. Most layers keep the time axis or never see one: they pass it on."""
        return mask

    def freeze(self, eval_mode: bool = False) -> "Layer":
        """Stop training this layer and everything inside it (transfer learning): optimizers
        skip their params, which stay bit-identical through fit. Backward still runs through
        it, so layers before it keep learning.

        eval_mode: False (default): in training the layer still behaves as in training, as a
                   frozen layer does in PyTorch: Dropout drops, and BatchNorm normalizes with
                   the batch's statistics and keeps updating its running statistics.
                   True: it also stays in eval mode through model.train() and fit, as Keras
                   does with trainable=False: BatchNorm uses and keeps its running
                   statistics, Dropout passes everything. Use this for a pretrained
                   feature extractor while a new head trains.
        Returns the layer; unfreeze() undoes both."""
        self.trainable = False
        self.keep_eval = bool(eval_mode)
        if self.keep_eval:
            self.eval()
        return self

    def unfreeze(self) -> "Layer":
        """Train this layer again (trainable=True, keep_eval=False); fit's train() call puts
        it back in training mode."""
        self.trainable = True
        self.keep_eval = False
        return self

    def children(self) -> list["Layer"]:
        """Layers held inside this one (a residual block's branch, say). Leaves have none."""
        return []

    def reseed(self, seed) -> None:
        """Reset the random stream of a random layer (dropout); a no-op for others.

        gradcheck calls this before every forward so that finite differences see one
        fixed function. Layers with randomness override it.
        """
        for i, child in enumerate(self.children()):
            child.reseed(None if seed is None else (int(seed) + i + 1))

    def zero_grad(self) -> None:
        """Set every gradient to zero."""
        for key, g in self.grads.items():
            g[...] = 0
        for child in self.children():
            child.zero_grad()

    def astype(self, dtype) -> "Layer":
        """Convert params and grads to float32 or float64 (in place on the layer)."""
        dt = check_float_dtype(dtype, f"{self.name}.astype")
        for key in self.params:
            self.params[key] = self.params[key].astype(dt)
            self.grads[key] = np.zeros_like(self.params[key])
        for key in self.buffers:
            self.buffers[key] = self.buffers[key].astype(dt)
        for child in self.children():
            child.astype(dt)
        self._cache = None
        return self

    @property
    def n_params(self) -> int:
        """Number of scalar parameters, children included."""
        own = sum(int(p.size) for p in self.params.values())
        return own + sum(child.n_params for child in self.children())

    @property
    def dtype(self) -> np.dtype:
        """dtype of the parameters (the default dtype for a layer without any)."""
        for p in self.params.values():
            return p.dtype
        return get_default_dtype()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # ----- helpers for writing a layer (public: part of the contract) ----------------------
    def add_param(self, key: str, value: np.ndarray) -> None:
        """Register a parameter `key` and a zero gradient of the same shape and dtype, so that
        optimizers, save/load, summary() and gradcheck all find it."""
        self.params[key] = value
        self.grads[key] = np.zeros_like(value)

    def save_cache(self, **cache) -> None:
        """In forward: keep what backward needs (x, masks, ...), replacing the last forward's
        cache. Also records the thread that ran this forward (see ForwardCache)."""
        self._cache = ForwardCache(cache)

    def load_cache(self) -> dict:
        """In backward: the last forward's cache. Raises RuntimeError if forward has not run,
        or if it ran in another thread (whose backward it belongs to)."""
        if self._cache is None:
            raise RuntimeError(f"{self.name}: backward called before forward")
        check_same_thread(self.name, self._cache)
        return self._cache

    def check_input(self, x, ndim: int | tuple[int, ...] | None = None, *,
                    axis: int | None = None, size: int | None = None,
                    what: str = "x") -> np.ndarray:
        """In forward: validate x and return it as a float array.

        ndim: the number of axes expected (an int or a tuple of allowed ints).
        axis, size: x.shape[axis] must equal size (for example the feature axis of Dense).
        Integer and bool input is converted to the layer's dtype; anything else non-float is
        a TypeError; a wrong shape a ValueError naming the layer.
        """
        return check_array(self.name, x, ndim=ndim, axis=axis, size=size, what=what,
                           dtype=self.dtype)

    def check_grad(self, dy, shape: tuple[int, ...]) -> np.ndarray:
        """In backward: validate the upstream gradient dy, which must have the shape of this
        layer's last output; returns it as a float array (never changed in place)."""
        dy = check_array(self.name, dy, what="dy", dtype=self.dtype)
        if dy.shape != tuple(shape):
            raise ValueError(f"{self.name}.backward: expected dy of shape {tuple(shape)} "
                             f"(the shape of the last output), got {dy.shape}")
        return dy

    # the names these helpers had first; layers written against them keep working
    _add_param = add_param
    _save = save_cache
    _load = load_cache
    _check_input = check_input
    _check_grad = check_grad


class ForwardCache(dict):
    """What a forward kept for its backward (a dict), and the thread that ran that forward.

    A layer holds one cache: the last forward's. If one layer object is used from two
    threads, thread B's forward replaces the cache that thread A's backward needs; the thread
    recorded here lets A's backward see that and refuse, rather than use B's numbers.
    """

    def __init__(self, items):
        super().__init__(items)
        self.thread = threading.get_ident()


def check_same_thread(who: str, cache) -> None:
    """Raise RuntimeError if `cache` was made by a forward in another thread than this one."""
    made_by = getattr(cache, "thread", None)
    if made_by is not None and made_by != threading.get_ident():
        raise RuntimeError(
            f"{who}: backward in this thread would use the cache of a forward run in another "
            f"thread: one layer object cannot run forward and backward in two threads at once. "
            f"Give each thread its own layer or model (copy.deepcopy), or run forward and "
            f"backward in one thread. (forward alone, e.g. predict, is safe from several threads.)")


def check_array(who: str, x, *, ndim=None, axis=None, size=None, what="x",
                dtype=None) -> np.ndarray:
    """Return x as a float32/float64 ndarray, or raise a clear TypeError/ValueError.

    who:   the layer's name, used as the first word of the message.
    ndim:  allowed number of axes (int or tuple); axis/size: required size of one axis.
    dtype: the dtype that integer or bool input is converted to.
    """
    if not isinstance(x, np.ndarray):
        if isinstance(x, (list, tuple)) or np.isscalar(x):
            x = np.asarray(x)
        else:
            raise TypeError(f"{who}: expected {what} to be a numpy array, got {type(x).__name__}")
    if x.dtype.kind in "iub":
        x = x.astype(dtype if dtype is not None else get_default_dtype())
    elif x.dtype.kind != "f" or x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{who}: expected {what} with a float32 or float64 dtype, got {x.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{who}: expected {what} with {want} dimensions, got shape {x.shape}")
    if axis is not None and size is not None:
        if x.ndim == 0 or x.shape[axis] != size:
            raise ValueError(f"{who}: expected {what}.shape[{axis}] == {size}, got shape {x.shape}")
    return x


def check_need_dx(who: str, need_dx) -> bool:
    """backward's need_dx flag, which must be True or False: a TypeError otherwise."""
    if not isinstance(need_dx, (bool, np.bool_)):
        raise TypeError(f"{who}: expected need_dx to be True or False, got {need_dx!r}")
    return bool(need_dx)


def iter_layers(model, trainable_only: bool = False):
    """Yield every leaf-or-parent layer in `model` (a Layer, a Sequential or an iterable).

    With trainable_only=True, a frozen layer is skipped together with everything inside it.
    """
    items = [model] if isinstance(model, Layer) else list(model)
    for layer in items:
        if not isinstance(layer, Layer):
            raise TypeError(f"expected Layer objects, got {type(layer).__name__}")
        if trainable_only and not layer.trainable:
            continue
        yield layer
        yield from iter_layers(layer.children(), trainable_only)
