"""Sequential: a stack of layers applied one after the other, and the loop that trains it.

    model = Sequential([Dense(2, 16), ReLU(), Dense(16, 3)])
    history = model.fit(x, y, loss="cce", optimizer=Adam(0.01), epochs=50)
    model.predict(x_new)                  # (N, 3) scores, computed in eval mode

Forward runs the layers first to last; backward runs them last to first, each layer turning
dL/d(its output) into dL/d(its input): that is the chain rule, one layer at a time.

One training step (one "batch", one parameter update):

    y_pred = model.forward(x_batch)              # every layer caches what backward needs
    value  = loss.forward(y_pred, y_batch)       # a float, the mean over the batch
    model.backward(loss.backward())              # fills every layer.grads
    optimizer.step(model)                        # w <- w - lr * (something built from grads)

Also here: `History` (what fit returns), weights saved to / loaded from `.npz` files, and
`summary()`, a table of the layers. What a weights file must hold for this model is checked
here; writing files all or nothing and reading archives with care is scratchnet/io.py's job.

Sharing a layer. One layer object may sit in a model only once (its second use would overwrite
its own cache and grads). It may sit in SEVERAL models, to share its weights between them: an
encoder used by an autoencoder and by a classifier, say. Each model keeps the caches of its own
last forward and hands them back to its layers in backward, so interleaved forwards of the two
models give each backward its own numbers. The shared layer's `grads` are those of the last
backward that ran, so step a model's optimizer after its backward, before the other model's.

Threads. Separate models (or layers) in separate threads are safe, on every backend. One model
or layer used from several threads: forward, predict and evaluate give every thread its own
right answer (predict and evaluate take turns on one model, as they switch it to eval mode).
Training one model in two threads at once is not supported, since its layers hold one set of
caches and grads: a backward that would read another thread's forward cache raises
RuntimeError. Predict on a model that another thread is training would run that training's
forwards in eval mode. Give each thread its own copy (copy.deepcopy(model)).
"""
from __future__ import annotations

import contextlib
import csv
import functools
import io  # the standard library's (StringIO); our file helpers are scratchnet.io, below
import json
import math
import os
import threading
import weakref

import numpy as np

from scratchnet import callbacks as callbacks_module
from scratchnet import losses, metrics as metrics_module, optimizers
from scratchnet._config import as_rng, get_default_dtype
from scratchnet.layers.base import Layer, check_array, check_need_dx, iter_layers
# Writing and reading files (atomic writes, the careful .npz reader) live in scratchnet/io.py.
# atomic_write, atomic_write_bytes and read_npz are not used here: they stay importable from
# scratchnet.model, where they were first.
from scratchnet.io import (NpzReader, atomic_savez, atomic_write, atomic_write_bytes,  # noqa: F401
                           atomic_write_text, json_kind, read_json_object, read_npz)

SAVE_FORMAT = "scratchnet.Sequential weights"
SAVE_VERSION = 2            # 2: buffers (batch norm's running statistics) are stored too
READABLE_VERSIONS = (1, 2)  # 1: parameters only; still read, for models without buffers
META_KEY = "__meta__"


class TrainingDiverged(RuntimeError, FloatingPointError):
    """The loss, the outputs or a parameter became NaN or infinite during fit: usually the
    learning rate is too large."""


# ===== History ==================================================================================
class History:
    """What `fit` returns: the loss and metrics of every epoch.

    history:    dict name -> list with one float per epoch, for example
                {"loss": [...], "accuracy": [...], "val_loss": [...], "val_accuracy": [...]}
    epoch:      the epoch numbers, counted from 0: [0, 1, 2, ...]
    batch_loss: the loss of every single update (one per batch), to plot loss per step
    """

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.batch_loss: list[float] = []

    def append(self, epoch: int, logs: dict) -> None:
        """Record the logs (name -> number) of one epoch. Every list keeps one value per epoch:
        a name missing from this epoch's logs gets nan, a new name gets nan for earlier epochs."""
        before = len(self.epoch)
        self.epoch.append(int(epoch))
        for key, value in logs.items():
            self.history.setdefault(key, [math.nan] * before).append(float(value))
        for values in self.history.values():
            if len(values) == before:
                values.append(math.nan)

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.history:
            raise KeyError(f"History: no {key!r}; recorded: {sorted(self.history)}")
        return self.history[key]

    def __contains__(self, key) -> bool:
        return key in self.history

    def keys(self):
        return self.history.keys()

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"

    def to_csv(self, path) -> None:
        """Write one row per epoch: epoch, then every recorded value (atomically, as save)."""
        keys = list(self.history)
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(["epoch"] + keys)
        for i, epoch in enumerate(self.epoch):
            writer.writerow([epoch] + [repr(self.history[k][i]) for k in keys])
        atomic_write_text(os.fspath(path), text.getvalue())

    def to_json(self, path) -> None:
        """Write {"epoch": [...], "history": {...}, "batch_loss": [...]} as JSON (atomically)."""
        data = {"epoch": self.epoch, "history": self.history, "batch_loss": self.batch_loss}
        atomic_write_text(os.fspath(path), json.dumps(data, indent=1))

    @classmethod
    def from_json(cls, path) -> "History":
        """Read a History written by to_json; a malformed file is a ValueError naming it."""
        try:
            with open(path) as f:
                data = json.load(f)
            h = cls()
            h.epoch = [int(e) for e in data["epoch"]]
            h.history = {str(k): [float(v) for v in vals] for k, vals in data["history"].items()}
            h.batch_loss = [float(v) for v in data.get("batch_loss", [])]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"History.from_json: {path} is not a History written by to_json "
                             f"({type(exc).__name__}: {exc})") from exc
        if any(len(vals) != len(h.epoch) for vals in h.history.values()):
            raise ValueError(f"History.from_json: {path}: every list in 'history' must have one "
                             f"value per epoch ({len(h.epoch)})")
        return h


# ===== helpers: names of parameters, modes, checks =============================================
def named_layers(layer: Layer, prefix: str = ""):
    """Yield (path, layer) for every layer inside `layer`: "0", "1", nested "3.1", ..."""
    for j, child in enumerate(layer.children()):
        path = f"{prefix}{j}"
        yield path, child
        yield from named_layers(child, path + ".")


def named_parameters(layer: Layer, prefix: str = ""):
    """Yield (qualified name, param array): "0.W", "2.b", nested "3.1.W"."""
    for key, p in layer.params.items():
        yield prefix + key, p
    for j, child in enumerate(layer.children()):
        yield from named_parameters(child, f"{prefix}{j}.")


def named_buffers(layer: Layer, prefix: str = ""):
    """Yield (qualified name, buffer array): "1.running_mean", nested "3.1.running_var"."""
    for key, b in layer.buffers.items():
        yield prefix + key, b
    for j, child in enumerate(layer.children()):
        yield from named_buffers(child, f"{prefix}{j}.")


def _inner_rows(layer: Layer, prefix: str, trainable: bool):
    """summary() rows for the layers inside `layer`, depth first, indented by depth."""
    for j, child in enumerate(layer.children()):
        path = f"{prefix}{j}"
        ok = trainable and child.trainable
        yield (path, "  " * path.count(".") + child.name, "", f"{child.n_params:,}",
               "yes" if ok else "no")
        yield from _inner_rows(child, path + ".", ok)


def _shape_text(shape) -> str:
    """(1, 16) -> "(N, 16)": the batch axis is shown as N."""
    return "(" + ", ".join(["N"] + [str(d) for d in shape[1:]]) + ("," if len(shape) == 1 else "") + ")"


def _positive_int(who: str, what: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{who}: expected {what} to be a positive int, got {value!r}")
    return int(value)


def _batches(n: int, batch_size: int | None):
    """The slices [0:bs], [bs:2bs], ... that cover range(n); batch_size None means one batch."""
    bs = n if batch_size is None else batch_size
    return [slice(s, min(s + bs, n)) for s in range(0, n, bs)]


def _is_classification(loss) -> bool:
    """Cross-entropy against labels; KL divergence (a cross-entropy subclass) fits soft targets."""
    if isinstance(loss, losses.KLDivergence):
        return False
    return isinstance(loss, (losses.BinaryCrossEntropy, losses.CategoricalCrossEntropy))


def _metric_functions(metrics, loss) -> list[tuple[str, object]]:
    """[(name, fn)] from metrics ("auto", a name, a function or a list of those).

    "auto" means ["accuracy"] for a cross-entropy loss and no metric for the others.
    accuracy thresholds binary outputs at 0 when the loss takes logits (sigmoid(z) > 0.5
    exactly when z > 0) and at 0.5 when it takes probabilities.
    """
    if isinstance(metrics, str) and metrics == "auto":
        metrics = ["accuracy"] if _is_classification(loss) else []
    elif isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    out = []
    for m in metrics or []:
        fn = metrics_module.get(m)
        if fn is metrics_module.accuracy:
            threshold = 0.0 if getattr(loss, "from_logits", False) else 0.5
            fn = functools.partial(metrics_module.accuracy, threshold=threshold)
        out.append((metrics_module.name_of(m), fn))
    return out


class _Running:
    """Means over batches, weighted by batch size: sum(n_b * value_b) / sum(n_b)."""

    def __init__(self):
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, n: int, values: dict) -> None:
        self.count += n
        for key, v in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + n * float(v)

    def means(self, prefix: str = "") -> dict:
        return {prefix + k: s / self.count for k, s in self.sums.items()}


def _end_callbacks(cbs) -> list:
    """Call on_train_end of every callback, even when some raise; returns [(callback, error)]."""
    failed = []
    for cb in cbs:
        try:
            cb.on_train_end({})
        except Exception as error:      # noqa: BLE001  collected and raised by the caller
            failed.append((cb, error))
    return failed


def _check_targets_with_loss(who: str, loss, out: np.ndarray, y: np.ndarray) -> None:
    """Put ALL the targets y through the loss's own checks before training starts.

    The loss runs once on a stand-in prediction of the model's output shape for every example,
    (N,) + out.shape[1:], filled with 0.5 (a valid probability and a valid logit). So a bad
    target anywhere (a label 5.0 for 3 classes, a one-hot row that sums to 0.9) stops fit now,
    before any parameter has changed, rather than when its batch comes. The loss's cache is
    put back as it was."""
    stand_in = np.full((len(y),) + out.shape[1:], 0.5, dtype=out.dtype)
    kept = loss._cache
    try:
        loss.forward(stand_in, y)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{who}: the targets y (shape {y.shape}) do not suit {loss.name} for "
                        f"this model's output (shape (N, ...) = {_shape_text(out.shape)}); "
                        f"nothing was trained: {exc}") from exc
    finally:
        loss._cache = kept


_model_locks: "weakref.WeakKeyDictionary[Layer, threading.RLock]" = weakref.WeakKeyDictionary()
_model_locks_guard = threading.Lock()


def _model_lock(model: Layer) -> threading.RLock:
    """The lock of one model, made on first use (kept outside the model, so that copy.deepcopy
    and pickling of models keep working)."""
    with _model_locks_guard:
        lock = _model_locks.get(model)
        if lock is None:
            lock = _model_locks[model] = threading.RLock()
        return lock


# ===== Sequential ===============================================================================
class Sequential(Layer):
    """Layers applied in order: y = f_L(... f_2(f_1(x))).

    layers: a list of Layer objects. A layer whose name is still its class name is renamed
            with its position, "Dense[0]", so error messages say which layer failed.

    It is a Layer itself, so it nests inside another Sequential and gradcheck can treat it
    like any layer. It has no params of its own: `children()` are its layers, and
    `parameters()` names every parameter inside, "0.W", "0.b", "2.W", nested "3.1.W".
    forward: x (N, ...) -> y (N, ...), whatever the first layer takes and the last one gives.
    """

    def __init__(self, layers=(), name: str | None = None):
        super().__init__(name)
        if isinstance(layers, Layer):
            raise TypeError(f"{self.name}: expected a list of layers, got one {type(layers).__name__}; "
                            f"write Sequential([layer, ...])")
        self.layers: list[Layer] = []
        self.loss = None
        self.optimizer = None
        self.history: History | None = None
        self.stop_training = False
        for layer in layers:
            self.add(layer)

    # ----- the container -------------------------------------------------------------------
    def add(self, layer: Layer) -> "Sequential":
        """Append a layer at the end; returns the model so calls can be chained."""
        i = len(self.layers)
        if not isinstance(layer, Layer):
            hint = (f" (pass an instance: {layer.__name__}(...), not the class)"
                    if isinstance(layer, type) and issubclass(layer, Layer) else "")
            raise TypeError(f"{self.name}: layer {i} must be a scratchnet Layer, "
                            f"got {type(layer).__name__}{hint}")
        self._check_not_inside(i, layer)
        if layer.name == type(layer).__name__:
            layer.name = f"{type(layer).__name__}[{i}]"
        self.layers.append(layer)
        self._cache = None
        return self

    def _check_not_inside(self, i: int, layer: Layer) -> None:
        """One layer object may sit in a model only once: a second use would overwrite the
        first one's forward cache and, in backward, its grads (shared weights need the two
        gradients summed). Raises ValueError naming both positions."""
        if any(sub is self for sub in iter_layers(layer)):
            raise ValueError(f"{self.name}: cannot add a model to itself (layer {i})")
        mine = {id(sub): path for path, sub in named_layers(self)}
        for sub in iter_layers(layer):
            if id(sub) in mine:
                raise ValueError(f"{self.name}: layer {i} ({layer.name}) holds {sub.name}, which is "
                                 f"already in the model at position {mine[id(sub)]}; one layer "
                                 f"object can be used once (make a new layer instead)")

    def children(self) -> list[Layer]:
        return list(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __getitem__(self, i):
        """model[i] is a layer; model[a:b] is a new Sequential holding the same layer objects."""
        if isinstance(i, slice):
            return Sequential(self.layers[i])
        return self.layers[i]

    def __repr__(self) -> str:
        inner = "".join(f"\n  {layer!r}," for layer in self.layers)
        return f"Sequential([{inner}\n])"

    def parameters(self) -> dict[str, np.ndarray]:
        """dict qualified name -> the parameter array itself (not a copy): "0.W", "3.1.b", ..."""
        return dict(named_parameters(self))

    @property
    def dtype(self) -> np.dtype:
        """dtype of the parameters (the default dtype if there are none)."""
        for p in self.parameters().values():
            return p.dtype
        return get_default_dtype()

    # ----- forward and backward ------------------------------------------------------------
    def _run(self, i: int, layer: Layer, method: str, a, **kwargs):
        """layer.forward(a) or layer.backward(a), with the layer's position added to errors."""
        try:
            return getattr(layer, method)(a, **kwargs)
        except (ValueError, TypeError) as exc:
            what = "x" if method == "forward" else "dy"
            shape = a.shape if isinstance(a, np.ndarray) else type(a).__name__
            label = type(layer).__name__ if layer.name.startswith(type(layer).__name__) \
                else f"{type(layer).__name__} {layer.name!r}"
            message = f"{self.name}: layer {i} ({label}) failed in {method} on {what} of shape {shape}: {exc}"
            try:
                error = type(exc)(message)
            except Exception:  # an exception class with an unusual constructor
                error = ValueError(message)
            raise error from exc

    @property
    def input_is_index(self) -> bool:
        """True when the first layer takes token ids (an Embedding): no dL/dx then."""
        return bool(self.layers) and self.layers[0].input_is_index

    def forward(self, x: np.ndarray, mask=None) -> np.ndarray:
        """x (N, ...) -> y (N, ...): each layer's output is the next layer's input.

        The padding mask travels alongside: a layer's compute_mask(its input, mask) gives the
        mask for the layers after it (an Embedding with padding_idx makes one from the ids),
        and layers with supports_mask get it as forward(x, mask=mask). `mask` is the mask to
        start with (None: none)."""
        if not self.layers:
            raise ValueError(f"{self.name}: has no layers; add some with add(layer)")
        self._cache = None          # if a layer fails, no backward may run on mixed caches
        shapes, caches = [], []
        for i, layer in enumerate(self.layers):
            x_in = x
            if layer.supports_mask:
                x = self._run(i, layer, "forward", x, mask=mask)
            else:
                x = self._run(i, layer, "forward", x)
            mask = layer.compute_mask(x_in, mask)
            shapes.append(x.shape)
            caches.append(layer._cache)
        self.save_cache(out_shapes=shapes, layer_caches=caches, out_mask=mask)
        return x

    supports_mask = True     # nested in a model or a Residual, it takes the mask on
    can_skip_dx = True       # backward(dy, need_dx=False): see backward

    def compute_mask(self, x, mask=None):
        """The mask after the last layer, as the forward that just ran left it."""
        return self._cache["out_mask"] if self._cache else mask

    def backward(self, dy: np.ndarray, *, need_dx: bool = True) -> np.ndarray | None:
        """dy = dL/dy (the shape of the last output) -> dL/dx (the shape of the input).

        Forward:  y = f_L(... f_1(x))                 h_0 = x, h_i = f_i(h_{i-1}), y = h_L
        Backward: the chain rule, last layer first:
                  dL/dh_{i-1} = layer_i.backward(dL/dh_i)     for i = L, ..., 1
                  each layer also fills its own grads on the way; dL/dx = dL/dh_0.

        need_dx=False (what fit uses: x is data, nothing needs dL/dx): the chain stops at the
        first layer with parameters, p. Layers before p have no grads to fill and are not run
        backward; layer p is asked for its grads only (backward(dy, need_dx=False)) if it
        can_skip_dx, as Dense and Conv2D can. Every layer's grads come out the same; returns None.

        Each layer first gets back the cache of THIS model's last forward: a layer shared with
        another model (module docstring, "Sharing a layer") may have run a forward there since.
        """
        need_dx = check_need_dx(self.name, need_dx)
        caches = self.load_cache()["layer_caches"]
        first = 0 if need_dx else self._first_with_params()
        for i in reversed(range(first, len(self.layers))):
            layer = self.layers[i]
            layer._cache = caches[i]
            if i == first and not need_dx and layer.can_skip_dx:
                dy = self._run(i, layer, "backward", dy, need_dx=False)
            else:
                dy = self._run(i, layer, "backward", dy)
        return dy if need_dx else None

    def _first_with_params(self) -> int:
        """The position of the first layer holding parameters (len(self) if none does)."""
        return next((i for i, layer in enumerate(self.layers) if layer.n_params), len(self.layers))

    @contextlib.contextmanager
    def _eval_mode(self):
        """Run the body in eval mode, then give every layer back its own previous mode and
        its forward cache (so a backward that was pending still works). Two threads take
        turns here (one model's lock), so neither sees the other's switch of modes."""
        with _model_lock(self):
            layers = list(iter_layers(self))
            modes = [layer.training for layer in layers]
            caches = [layer._cache for layer in layers]
            self.eval()
            try:
                yield
            finally:
                for layer, mode, cache in zip(layers, modes, caches):
                    layer.training = mode
                    layer._cache = cache

    # ----- inputs ----------------------------------------------------------------------------
    def _as_input(self, who: str, x, what: str = "x") -> np.ndarray:
        """x as a float array in the model's dtype, with at least one example."""
        x = check_array(who, x, what=what, dtype=self.dtype)
        if x.ndim == 0 or x.shape[0] == 0:
            raise ValueError(f"{who}: expected {what} with a batch axis and at least one example "
                             f"(N, ...), got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{who}: {what} contains NaN or inf (shape {x.shape})")
        return x.astype(self.dtype, copy=False)

    def _as_xy(self, who: str, x, y, names=("x", "y")):
        """x in the model's dtype; y as an array of the same length (float y in the model's dtype)."""
        x = self._as_input(who, x, names[0])
        y = np.asarray(y)
        if y.dtype.kind not in "biuf" or y.ndim == 0:
            raise TypeError(f"{who}: expected {names[1]} to be an array of numbers (N, ...), "
                            f"got dtype {y.dtype} and shape {y.shape}")
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"{who}: {names[0]} and {names[1]} must have the same number of "
                             f"examples, got {names[0]} of shape {x.shape} ({x.shape[0]} examples) "
                             f"and {names[1]} of shape {y.shape} ({y.shape[0]} examples)")
        if y.dtype.kind == "f":
            if not np.all(np.isfinite(y)):
                raise ValueError(f"{who}: {names[1]} contains NaN or inf (shape {y.shape})")
            y = y.astype(self.dtype, copy=False)
        return x, y

    def _check_targets(self, who: str, x: np.ndarray, y: np.ndarray, loss) -> None:
        """Before training: run one example through (wrong input shapes fail here, naming the
        layer), then check y against the output: labels in range, one-hot width, 0/1 targets."""
        try:
            with self._eval_mode():
                out = self.forward(x[:1])
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"{who}: x of shape {x.shape} does not fit the model (tried on its "
                            f"first example): {exc}") from exc
        K = out.shape[1] if out.ndim == 2 else None
        if K is not None and K > 1 and y.ndim == 1 and y.dtype.kind in "biu":
            lo, hi = int(y.min()), int(y.max())
            if lo < 0 or hi >= K:
                raise ValueError(f"{who}: integer labels y must lie in 0..{K - 1}, because the "
                                 f"model's output has shape (N, {K}) (K = {K} classes), but y "
                                 f"(shape {y.shape}) holds labels from {lo} to {hi}")
        if K is not None and y.ndim == 2 and y.shape[1] != K:
            raise ValueError(f"{who}: y of shape {y.shape} does not match the model's output "
                             f"of shape (N, {K}): expected y of shape ({y.shape[0]}, {K})")
        if isinstance(loss, losses.BinaryCrossEntropy) and (y.min() < 0 or y.max() > 1):
            raise ValueError(f"{who}: {loss.name} needs targets y in [0, 1] (0/1 labels), got "
                             f"values from {y.min()} to {y.max()} (shape {y.shape})")
        if loss is not None:
            _check_targets_with_loss(who, loss, out, y)

    # ----- predict and evaluate --------------------------------------------------------------
    def predict(self, x: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """The model's outputs for x (N, ...), computed in eval mode (dropout off, batch norm
        with running statistics); every layer gets its previous mode back afterwards.
        batch_size: examples per forward pass (None: all at once)."""
        who = f"{self.name}.predict"
        x = self._as_input(who, x)
        if batch_size is not None:
            batch_size = _positive_int(who, "batch_size", batch_size)
        with self._eval_mode():
            outs = [self.forward(x[s]) for s in _batches(len(x), batch_size)]
        return np.concatenate(outs, axis=0)

    def _measure(self, x, y, loss, metric_fns, batch_size) -> dict:
        """Mean loss and metrics over (x, y), batch by batch, in eval mode."""
        running = _Running()
        with self._eval_mode():
            for s in _batches(len(x), batch_size):
                y_pred = self.forward(x[s])
                values = {} if loss is None else {"loss": loss.forward(y_pred, y[s])}
                values.update({name: fn(y_pred, y[s]) for name, fn in metric_fns})
                running.add(len(y_pred), values)
        return running.means()

    def evaluate(self, x, y, loss=None, metrics="auto", batch_size: int | None = None) -> dict:
        """Loss and metrics on (x, y) in eval mode, as a dict {"loss": ..., "accuracy": ...}.

        x: (N, ...) inputs; y: (N, ...) targets or (N,) labels.
        loss: a Loss or a name; None uses the loss of the last fit (or reports metrics only).
        metrics: "auto" (accuracy for cross-entropy losses), a name, a function or a list.
        """
        who = f"{self.name}.evaluate"
        loss = self.loss if loss is None else losses.get(loss)
        x, y = self._as_xy(who, x, y)
        if batch_size is not None:
            batch_size = _positive_int(who, "batch_size", batch_size)
        metric_fns = _metric_functions(metrics, loss)
        if loss is None and not metric_fns:
            raise ValueError(f"{who}: nothing to measure: give a loss (none was used by fit yet) "
                             f"or metrics, for example metrics=['accuracy']")
        self._check_targets(who, x, y, loss)
        return self._measure(x, y, loss, metric_fns, batch_size)

    # ----- fit -------------------------------------------------------------------------------
    def fit(self, x, y, loss=None, optimizer=None, epochs: int = 10, batch_size: int | None = 32,
            shuffle: bool = True, validation_data=None, validation_split: float = 0.0,
            metrics="auto", rng=None, verbose: int = 1, callbacks=None,
            augment=None, regularizer=None) -> History:
        """Train the model by mini-batch gradient descent and return its History.

        x: (N, ...) inputs; y: (N, ...) targets, (N,) integer labels or (N, K) one-hot rows.
        loss:       a Loss or a name ("mse", "bce", "cce", ...). optimizer: an Optimizer or a
                    name ("sgd", "adam", ...). Both default to those of the previous fit.
        epochs:     passes over the training data.
        batch_size: examples per update. None: the whole set (full-batch gradient descent,
                    one update per epoch); 1: stochastic gradient descent (N updates per epoch).
        shuffle:    visit the examples in a new random order every epoch (drawn from rng).
        validation_data:  (x_val, y_val), measured in eval mode at the end of every epoch.
        validation_split: a fraction in (0, 1): the LAST fraction of (x, y), taken before any
                    shuffling, is held out as validation data.
        metrics:    "auto" (accuracy for cross-entropy losses, nothing else), names or functions.
                    Training metrics are running means over the epoch's batches, each computed
                    on the batch's outputs before its update.
        verbose:    0 silent; 1 one line per epoch (and a progress bar in long epochs);
                    2 the bar in every epoch.
        callbacks:  a list of scratchnet.callbacks.Callback.
        augment:    None, or a function x_batch -> x_batch of the same shape (data
                    augmentation, e.g. scratchnet.augment.Compose([...])), applied to every
                    training batch before its forward; never to validation data, evaluate
                    or predict. It must not change its input in place (fit hands it a copy
                    anyway, so the training set itself is never changed).
        regularizer: None, or a penalty such as scratchnet.regularizers.L2(lam): its
                    penalty(model) is added to each batch's training loss (the logged "loss"
                    includes it; validation and evaluate measure the data loss alone) and
                    its add_gradients(model) to the gradients after backward.
        Each step is forward, loss, backward(dy, need_dx=False), optimizer step: x is data, so
        the first layer's dL/dx is not computed, and layers before the first one with
        parameters get no backward call (the grads are those of the plain backward).
        Raises TrainingDiverged if the outputs or the loss become NaN or inf (or, at the end of
        an epoch, a parameter), naming the epoch and batch; NumPy's overflow warnings are then
        silenced, as the error says it all.
        """
        who = f"{self.name}.fit"
        self._set_loss_and_optimizer(who, loss, optimizer)
        epochs = _positive_int(who, "epochs", epochs)
        x, y = self._as_xy(who, x, y)
        x, y, val = self._validation(who, x, y, validation_data, validation_split)
        if batch_size is not None:
            batch_size = min(_positive_int(who, "batch_size", batch_size), len(x))
        self._check_targets(who, x, y, self.loss)
        if val is not None:
            self._check_targets(who + " (validation data)", val[0], val[1], self.loss)
        metric_fns = _metric_functions(metrics, self.loss)
        self._check_metrics(who, x, y, metric_fns)
        cbs = self._callbacks(who, callbacks, verbose)
        logged = ["loss"] + [name for name, _ in metric_fns]
        info = {"epochs": epochs, "batches": len(_batches(len(x), batch_size)),
                "batch_size": batch_size or len(x), "samples": len(x),
                "metrics": logged + (["val_" + k for k in logged] if val is not None else [])}
        if augment is not None and not callable(augment):
            raise TypeError(f"{who}: expected augment to be None or a function x_batch -> "
                            f"x_batch, got {type(augment).__name__}")
        if regularizer is not None and not (callable(getattr(regularizer, "penalty", None)) and
                                            callable(getattr(regularizer, "add_gradients", None))):
            raise TypeError(f"{who}: expected regularizer to be None or an object with "
                            f"penalty(model) and add_gradients(model), such as L2(1e-4), got "
                            f"{type(regularizer).__name__}")
        self._regularizer = regularizer
        try:
            return self._train(x, y, val, batch_size, shuffle, as_rng(rng), metric_fns, cbs,
                               info, augment)
        finally:
            self._regularizer = None

    def _check_metrics(self, who, x, y, metric_fns) -> None:
        """Before training: every metric must be able to measure the model's output (tried on
        two examples), so that a wrong metric fails before any parameter has changed."""
        if not metric_fns:
            return
        with self._eval_mode():
            out = self.forward(x[:2])
        for name, fn in metric_fns:
            try:
                fn(out, y[:2])
            except (ValueError, TypeError) as exc:
                raise type(exc)(f"{who}: metric {name!r} cannot measure this model's output "
                                f"(shape (N, ...) = {_shape_text(out.shape)}) against y of shape "
                                f"{y.shape}: {exc}") from exc

    def _set_loss_and_optimizer(self, who, loss, optimizer) -> None:
        if loss is None and self.loss is None:
            raise ValueError(f"{who}: give a loss, for example loss='mse' or loss=CategoricalCrossEntropy()")
        if optimizer is None and self.optimizer is None:
            raise ValueError(f"{who}: give an optimizer, for example optimizer=Adam(0.01) or 'sgd'")
        self.loss = self.loss if loss is None else losses.get(loss)
        self.optimizer = self.optimizer if optimizer is None else optimizers.get(optimizer)

    def _validation(self, who, x, y, validation_data, validation_split):
        """Return (x_train, y_train, (x_val, y_val) or None)."""
        if validation_data is not None and validation_split:
            raise ValueError(f"{who}: give validation_data or validation_split, not both")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise TypeError(f"{who}: expected validation_data as a pair (x_val, y_val), "
                                f"got {type(validation_data).__name__}")
            return x, y, self._as_xy(who, *validation_data, names=("x_val", "y_val"))
        split = float(validation_split)
        if not 0 <= split < 1:
            raise ValueError(f"{who}: expected validation_split in [0, 1), got {validation_split}")
        if split == 0:
            return x, y, None
        n_train = int(len(x) * (1 - split))
        if n_train < 1 or n_train == len(x):
            raise ValueError(f"{who}: validation_split={split} of {len(x)} examples leaves "
                             f"{n_train} for training and {len(x) - n_train} for validation; "
                             f"both need at least one")
        return x[:n_train], y[:n_train], (x[n_train:], y[n_train:])

    def _callbacks(self, who, callbacks, verbose) -> list:
        if verbose not in (0, 1, 2):
            raise ValueError(f"{who}: expected verbose 0 (silent), 1 or 2, got {verbose!r}")
        cbs = list(callbacks or [])
        for cb in cbs:
            if not isinstance(cb, callbacks_module.Callback):
                raise TypeError(f"{who}: expected callbacks to be Callback objects, "
                                f"got {type(cb).__name__}")
        if verbose and not any(isinstance(cb, callbacks_module.ProgressBar) for cb in cbs):
            cbs.append(callbacks_module.ProgressBar(bar=True if verbose == 2 else "auto"))
        return cbs

    def _train(self, x, y, val, batch_size, shuffle, rng, metric_fns, cbs, info,
               augment=None) -> History:
        """The epoch loop: train one epoch, measure the validation data, tell the callbacks."""
        history = self.history = History()
        self.stop_training = False
        for cb in cbs:
            cb.set_model(self)
            cb.set_params(info)
        self.train()
        began = []                  # the callbacks whose on_train_begin ran: they are ended
        try:
            for cb in cbs:
                cb.on_train_begin({})
                began.append(cb)
            for epoch in range(info["epochs"]):
                for cb in cbs:
                    cb.on_epoch_begin(epoch, {})
                logs = self._train_epoch(epoch, x, y, batch_size, shuffle, rng, metric_fns, cbs,
                                         info, augment)
                if val is not None:
                    val_logs = self._measure(val[0], val[1], self.loss, metric_fns, batch_size)
                    logs.update({"val_" + k: v for k, v in val_logs.items()})
                history.append(epoch, logs)
                for cb in cbs:
                    cb.on_epoch_end(epoch, dict(logs))
                if self.stop_training:
                    break
        except BaseException as exc:
            # training failed (or was interrupted): still end every callback that began, so
            # files are closed, and raise the training's error, noting any from the endings
            for cb, error in _end_callbacks(began):
                if hasattr(exc, "add_note"):
                    exc.add_note(f"(then {type(cb).__name__}.on_train_end also failed: "
                                 f"{type(error).__name__}: {error})")
            raise
        failed = _end_callbacks(began)
        if failed:                  # every callback has ended; now raise the first error
            raise failed[0][1]
        return history

    def _train_epoch(self, epoch, x, y, batch_size, shuffle, rng, metric_fns, cbs, info,
                     augment=None) -> dict:
        """One pass over (x, y) in batches: forward, loss, backward, update. Returns the
        running means of the loss and metrics."""
        order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
        running = _Running()
        for b, s in enumerate(_batches(len(x), batch_size)):
            idx = order[s]
            x_batch, y_batch = x[idx], y[idx]          # fancy indexing: copies
            if augment is not None:
                x_batch = self._augmented(augment, x_batch, epoch, b, info)
            # A diverging model overflows somewhere (inf, then inf - inf = nan). NumPy's
            # warnings about it are silenced here because the checks below catch every case
            # and raise one clear TrainingDiverged instead.
            with np.errstate(over="ignore", invalid="ignore"):
                y_pred = self.forward(x_batch)
                if not np.all(np.isfinite(y_pred)):
                    self._diverged("the model's outputs became NaN or inf", epoch, b, info)
                value = float(self.loss.forward(y_pred, y_batch))
                regularizer = getattr(self, "_regularizer", None)
                if regularizer is not None:
                    value += regularizer.penalty(self)
                if not math.isfinite(value):
                    self._diverged(f"the loss became {value}", epoch, b, info)
                self.backward(self.loss.backward(), need_dx=False)    # x is data: no dL/dx
                if regularizer is not None:
                    regularizer.add_gradients(self)
                self.optimizer.step(self)
            self.history.batch_loss.append(value)
            values = {"loss": value}
            values.update({name: fn(y_pred, y_batch) for name, fn in metric_fns})
            running.add(len(idx), values)
            for cb in cbs:
                cb.on_batch_end(b, {"batch": b, "size": len(idx), "loss": value})
            if self.stop_training:
                break
        if not all(np.all(np.isfinite(p)) for p in self.parameters().values()):
            self._diverged("a parameter became NaN or inf", epoch, b, info)
        return running.means()

    def _augmented(self, augment, x_batch, epoch, batch, info):
        """augment(x_batch), checked: an array of the batch's shape, in the model's dtype."""
        out = np.asarray(augment(x_batch))
        if out.shape != x_batch.shape or out.dtype.kind != "f":
            raise ValueError(f"{self.name}.fit: augment must return a float array of the "
                             f"batch's shape {x_batch.shape}, got {out.dtype} of shape "
                             f"{out.shape} (epoch {epoch + 1}, batch {batch + 1})")
        return out.astype(self.dtype, copy=False)

    def _diverged(self, what, epoch, batch, info):
        lr = getattr(self.optimizer, "lr", None)
        raise TrainingDiverged(
            f"{self.name}.fit: training diverged: {what} at epoch "
            f"{epoch + 1}/{info['epochs']}, batch {batch + 1}/{info['batches']}. Try a smaller "
            f"learning rate (the optimizer's lr is {lr}), or check the scale of the inputs.")

    # ----- summary ---------------------------------------------------------------------------
    def _output_shapes(self, input_shape):
        """Output shape of each layer: from a forward pass on a zero batch of one example
        (eval mode; every cache is put back), or else from the last forward, or None."""
        if input_shape is None:
            cache = self._cache
            return cache["out_shapes"] if cache else [None] * len(self.layers)
        if isinstance(input_shape, (int, np.integer)):
            input_shape = (input_shape,)
        x = np.zeros((1,) + tuple(int(d) for d in input_shape), dtype=self.dtype)
        with self._eval_mode():
            self.forward(x)
            return self._cache["out_shapes"]

    def summary(self, input_shape=None, show: bool = False) -> str:
        """A table of the layers: index, name, output shape, parameter count, trainable.
        Layers inside a layer (a Residual's block, a nested Sequential) follow it, indented,
        with their path ("3.0.1") as index; a layer inside a frozen one counts as frozen.

        input_shape: the shape of ONE example, without the batch axis, e.g. (2,) or (1, 28, 28);
                     output shapes are then found by a forward pass on zeros. Without it, the
                     shapes of the last forward are shown ("?" before any forward).
        show:        also print the table.
        """
        shapes = self._output_shapes(input_shape)
        rows = [("#", "layer", "output shape", "params", "trainable")]
        for i, (layer, shape) in enumerate(zip(self.layers, shapes)):
            rows.append((str(i), layer.name, "?" if shape is None else _shape_text(shape),
                         f"{layer.n_params:,}", "yes" if layer.trainable else "no"))
            rows.extend(_inner_rows(layer, f"{i}.", layer.trainable))
        widths = [max(len(r[c]) for r in rows) for c in range(5)]
        lines = ["  ".join(cell.ljust(w) if c < 3 else cell.rjust(w)
                           for c, (cell, w) in enumerate(zip(row, widths))) for row in rows]
        rule = "-" * len(lines[0])
        total = self.n_params
        trainable = sum(p.size for layer in iter_layers(self, trainable_only=True)
                        for p in layer.params.values())
        text = "\n".join([rule, lines[0], rule, *lines[1:], rule,
                          f"total params: {total:,}", f"trainable params: {trainable:,}",
                          f"frozen params: {total - trainable:,}"])
        if show:
            print(text)
        return text

    # ----- save and load ---------------------------------------------------------------------
    def _description(self) -> list[dict]:
        """Every layer inside: its path, class name and parameter shapes (for the metadata)."""
        return [{"path": path, "class": type(layer).__name__,
                 "params": {k: list(p.shape) for k, p in layer.params.items()},
                 "buffers": {k: list(b.shape) for k, b in layer.buffers.items()}}
                for path, layer in named_layers(self)]

    def _state(self) -> dict[str, np.ndarray]:
        """Everything save() stores, by qualified name: the parameters, then the buffers
        (batch norm's running mean and variance). The arrays themselves, not copies."""
        return {**self.parameters(), **dict(named_buffers(self))}

    def save(self, path) -> None:
        """Write the model's state to `path` (exactly that name) as an .npz archive: every
        parameter and every buffer (batch norm's running statistics), nested layers included,
        so that a reloaded model in eval mode gives bit-identical outputs.

        Keys are the qualified names ("0.W", "1.running_mean", "3.1.W", ...). The key
        "__meta__" holds a JSON string (a 0-d unicode array, no pickle) with the format, its
        version (2), the dtype and every layer's class, parameter shapes and buffer shapes.
        The file is written to a temporary file in the same folder, flushed to disk, then
        renamed over `path` in one step, so a crash never leaves a half-written file under
        that name. A new file gets the permissions your umask allows (usually 0o644); a file
        saved over keeps its own. Optimizer state is saved by the optimizer (its state_dict).
        """
        meta = {"format": SAVE_FORMAT, "version": SAVE_VERSION, "dtype": str(self.dtype),
                "layers": self._description()}
        # C order always, so that load (which refuses Fortran-ordered entries) reads it back
        arrays = {key: np.ascontiguousarray(a) for key, a in self._state().items()}
        arrays[META_KEY] = np.array(json.dumps(meta))
        atomic_savez(path, arrays, who=f"{self.name}.save")

    def load(self, path) -> "Sequential":
        """Read a state written by save() into this model (built with the same layers).

        Everything is checked before anything is assigned, and nothing is read blindly: first
        the archive's entry names and the metadata (layer classes), then each entry's .npy
        header (shape, dtype), and only then the data, so a foreign or huge entry is refused
        without reading it. A corrupt, truncated or foreign file, other layer classes, a
        missing or extra key, a wrong shape, NaN/inf, or values too large for the model's
        dtype is a ValueError that names the file and the problem, and then the model is
        unchanged. Data is read with allow_pickle=False: no code from the file ever runs.
        Files of version 1 (parameters only) load into models without buffers; a model
        with buffers needs a version 2 file. Returns the model.
        """
        who, path = f"{self.name}.load", os.fspath(path)
        if os.path.isdir(path):
            raise IsADirectoryError(f"{who}: {path} is a folder, not a weights file")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{who}: no such file: {path}")
        state = self._state()
        with NpzReader(who, path) as archive:
            meta = read_meta(archive)
            self._check_layers(who, path, meta)
            if meta["version"] == 1 and len(state) > len(self.parameters()):
                raise ValueError(f"{who}: {path} is a version 1 file (parameters only), but "
                                 f"this model has buffers (batch norm's running statistics) "
                                 f"that such a file cannot hold; save it again with version "
                                 f"{SAVE_VERSION}")
            self._check_entries(archive, state)
            stored = {key: archive.read(key) for key in state}
        self._check_values(who, path, stored, state)
        for key, a in state.items():
            np.copyto(a, stored[key], casting="same_kind")
        return self

    load_weights = load

    def _check_layers(self, who, path, meta) -> None:
        """Raise ValueError unless the file's layers (paths and classes) are this model's."""
        mine = [(d["path"], d["class"]) for d in self._description()]
        theirs = [(d["path"], d["class"]) for d in meta["layers"]]
        if mine != theirs:
            diff = next(((a, b) for a, b in zip(theirs, mine) if a != b), None)
            if diff:
                (where, in_file), (_, in_model) = diff
                detail = f"layer {where} is {in_file} in the file but {in_model} in the model"
            else:
                detail = f"the file has {len(theirs)} layers, the model {len(mine)}"
            raise ValueError(f"{who}: {path} was saved from a different architecture: {detail}")

    def _kind(self, key: str) -> str:
        """"parameter" or "buffer", for messages about the entry `key` of the state."""
        return "parameter" if key in self.parameters() else "buffer"

    def _check_entries(self, archive: "NpzReader", params: dict) -> None:
        """Raise ValueError unless the archive holds exactly these parameters (and the
        metadata), each a float array of the parameter's shape. Reads names and headers only."""
        who, path = archive.who, archive.path
        keys = set(archive.keys()) - {META_KEY}
        missing, extra = sorted(set(params) - keys), sorted(keys - set(params))
        if missing or extra:
            raise ValueError(f"{who}: {path} does not match the model's parameters and buffers: "
                             f"missing {_first_few(missing)}, unexpected {_first_few(extra)}")
        for key, p in params.items():
            shape, dtype = archive.header(key)
            if shape != p.shape or dtype.kind != "f":
                raise ValueError(f"{who}: {path}: {self._kind(key)} {key!r} is {dtype} of shape "
                                 f"{shape} in the file, the model needs float of shape {p.shape}")

    def _check_values(self, who, path, stored: dict, params: dict) -> None:
        """Raise ValueError if a stored array holds NaN/inf, or values that its parameter's
        dtype cannot hold (1e300 becomes inf in float32)."""
        for key, p in params.items():
            a = stored[key]
            if not np.isfinite(a).all():
                raise ValueError(f"{who}: {path}: {self._kind(key)} {key!r} holds NaN/inf")
            largest = float(np.abs(a).max()) if a.size else 0.0
            if largest > float(np.finfo(p.dtype).max):
                raise ValueError(f"{who}: {path}: {self._kind(key)} {key!r} holds values up to "
                                 f"{largest:.3g} that overflow {p.dtype}")


def _first_few(names: list, limit: int = 10) -> str:
    """A list of names for a message, cut after `limit` of them: "['a', 'b'] and 3 more"."""
    if len(names) <= limit:
        return repr(names)
    return f"{names[:limit]!r} and {len(names) - limit} more"


# ===== the weights file's metadata (the file itself: scratchnet/io.py) ==========================
MAX_META_BYTES = 1 << 24  # 16 MiB of metadata (4 bytes a character): far more than any model's


def read_meta(archive: NpzReader) -> dict:
    """The JSON metadata stored by save(): size-bounded, then checked for format, version and
    structure ("layers": a list of {"path": str, "class": str, "params": {name: shape}})."""
    who, path = archive.who, archive.path
    if META_KEY not in archive.keys():
        raise ValueError(f"{who}: {path} has no {META_KEY!r} entry; was it written by save()?")
    info = read_json_object(archive, META_KEY, max_bytes=MAX_META_BYTES)
    if info.get("format") != SAVE_FORMAT or info.get("version") not in READABLE_VERSIONS \
            or isinstance(info.get("version"), bool):
        raise ValueError(f"{who}: {path}: format {info.get('format')!r:.100} version "
                         f"{info.get('version')!r:.100}; expected {SAVE_FORMAT!r} version "
                         f"{' or '.join(map(str, READABLE_VERSIONS))}")
    if "layers" not in info:
        raise ValueError(f"{who}: {path}: malformed metadata: no 'layers' entry")
    _check_meta_layers(who, path, info["layers"])
    return info


def _check_meta_layers(who: str, path: str, layers) -> None:
    """Raise ValueError unless `layers` is a list of {"path": str, "class": str,
    "params": {name: [int, ...]}, "buffers": {name: [int, ...]}} as _description() writes it
    ("buffers" is absent in version 1 files)."""
    def bad(where, value, expected):
        raise ValueError(f"{who}: {path}: malformed metadata: {where} is {json_kind(value)}, "
                         f"expected {expected}")

    if not isinstance(layers, list):
        bad("'layers'", layers, "a list of layer entries")
    for i, entry in enumerate(layers):
        if not isinstance(entry, dict):
            bad(f"layers[{i}]", entry, "an object with 'path', 'class' and 'params'")
        for field, kind, expected in (("path", str, "a string"), ("class", str, "a string"),
                                      ("params", dict, "an object (parameter name -> shape)")):
            if not isinstance(entry.get(field), kind):
                bad(f"layers[{i}][{field!r}]", entry.get(field), expected)
        if not isinstance(entry.get("buffers", {}), dict):
            bad(f"layers[{i}]['buffers']", entry["buffers"], "an object (buffer name -> shape)")
        for field in ("params", "buffers"):
            for name, shape in entry.get(field, {}).items():
                if not (isinstance(shape, list) and all(
                        isinstance(n, int) and not isinstance(n, bool) and n >= 0
                        for n in shape)):
                    bad(f"layers[{i}][{field!r}][{name!r}]", shape,
                        "a shape (a list of non-negative integers)")
