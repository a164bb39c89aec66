"""Callbacks: code that `Sequential.fit` runs at fixed points of training.

fit calls, in this order:

    on_train_begin(logs)
    for each epoch:  on_epoch_begin(epoch, logs)
                     for each batch: on_batch_end(batch, logs)    logs: {"batch", "size", "loss"}
                     on_epoch_end(epoch, logs)                    logs: {"loss", "accuracy", "val_loss", ...}
    on_train_end(logs)

Epochs and batches are counted from 0 here (as in `History.epoch`); printed text counts from 1.
Before training, fit sets `callback.model` (the Sequential) and `callback.params`
(a dict with "epochs", "batches" per epoch, "batch_size", "samples" and "metrics", the names
every epoch's logs will hold, such as ["loss", "accuracy", "val_loss", "val_accuracy"]).
A callback stops training by setting `self.model.stop_training = True`; fit finishes the
current batch and epoch and then returns.

Here: ProgressBar (the line per epoch that fit prints), CSVLogger (one CSV row per epoch),
EarlyStopping (stop when a monitored value stops improving, restore the best weights),
LearningRateScheduler (the optimizer's rate per epoch) and LambdaCallback (plain functions).
"""
from __future__ import annotations

import csv
import math
import numbers
import os
import sys
import time


class Callback:
    """Base class: every hook does nothing. Subclasses override the hooks they need."""

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = dict(params)

    def on_train_begin(self, logs=None) -> None:
        pass

    def on_train_end(self, logs=None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        pass

    def on_batch_end(self, batch: int, logs=None) -> None:
        pass


def format_logs(logs: dict) -> str:
    """'loss: 0.1234 - accuracy: 0.9500' from a dict of numbers."""
    return " - ".join(f"{key}: {value:.4f}" for key, value in logs.items())


def format_seconds(seconds: float) -> str:
    """A duration with three significant digits, in a unit that suits it:
    0.0000123 -> '0.0123 ms', 0.00456 -> '4.56 ms', 0.5 -> '500 ms', 12.345 -> '12.3 s',
    75.2 -> '1 min 15 s'. (A fixed '{:.2f}s' printed most epochs of a small model as '0.00s'.)"""
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise TypeError(f"format_seconds: expected a number of seconds, got {seconds!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"format_seconds: expected a finite number of seconds >= 0, "
                         f"got {seconds!r}")
    if seconds < 0.9995:                     # below 999.5 ms: milliseconds
        return f"{_three_digits(seconds * 1e3)} ms"
    if seconds < 59.95:
        return f"{_three_digits(seconds)} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest} s"


def _three_digits(x: float) -> str:
    """x > 0 rounded to 3 significant digits, written without an exponent: 4.56, 45.6, 456."""
    if x == 0:
        return "0"
    x = float(f"{x:.3g}")
    decimals = max(0, 2 - math.floor(math.log10(x)))
    return f"{x:.{decimals}f}"


class ProgressBar(Callback):
    """Plain-text progress: one line per epoch, plus a bar inside long epochs.

    every:  print the line of every `every`-th epoch (the first and last are always printed).
    bar:    "auto" shows a bar when an epoch has at least `min_batches` batches or has been
            running for more than `min_seconds`; True always; False never.
    stream: where to write (sys.stdout by default). In a terminal the bar redraws itself
            with '\\r'; elsewhere (CI logs, files) it prints a short line at each quarter.
    show_time: end each epoch line with that epoch's wall-clock time, three significant
            digits in ms, s or min (see format_seconds); False leaves it out (output that
            must not change from run to run, such as a doctest).

    An epoch line reads: "epoch 3/10 - loss: 0.2145 - accuracy: 0.9200 - 4.56 ms".
    """

    def __init__(self, every: int = 1, bar="auto", stream=None, width: int = 30,
                 min_batches: int = 100, min_seconds: float = 2.0, show_time: bool = True):
        super().__init__()
        if not isinstance(show_time, bool):
            raise TypeError(f"ProgressBar: expected show_time to be True or False, "
                            f"got {show_time!r}")
        self.show_time = show_time
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"ProgressBar: expected every to be a positive int, got {every!r}")
        if bar not in ("auto", True, False):
            raise ValueError(f"ProgressBar: expected bar to be 'auto', True or False, got {bar!r}")
        for what, value in (("width", width), ("min_batches", min_batches)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ProgressBar: expected {what} to be a positive int, got {value!r}")
        self.every, self.bar, self.width = every, bar, width
        self.min_batches, self.min_seconds = min_batches, min_seconds
        self.stream = stream
        self._epoch_start = 0.0
        self._drawn = False
        self._quarter = 0

    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._drawn, self._quarter = False, 0

    def _wants_bar(self) -> bool:
        if self.bar != "auto":
            return self.bar
        slow = time.perf_counter() - self._epoch_start > self.min_seconds
        return self.params.get("batches", 0) >= self.min_batches or slow

    def on_batch_end(self, batch, logs=None):
        total = self.params.get("batches", 0)
        if total <= 1 or not self._wants_bar():
            return
        done = batch + 1
        out = self._out()
        filled = self.width * done // total
        text = f"  [{'=' * filled}{'.' * (self.width - filled)}] {done}/{total}"
        if getattr(out, "isatty", lambda: False)():
            out.write("\r" + text + (f" - loss: {logs['loss']:.4f}" if logs else ""))
            self._drawn = True
        elif 4 * done // total > self._quarter:
            self._quarter = 4 * done // total
            out.write(text + "\n")
        out.flush()

    def on_epoch_end(self, epoch, logs=None):
        epochs = self.params.get("epochs", epoch + 1)
        out = self._out()
        if self._drawn:
            out.write("\r" + " " * (self.width + 40) + "\r")
        if epoch == 0 or epoch + 1 == epochs or (epoch + 1) % self.every == 0 \
                or self.model is not None and getattr(self.model, "stop_training", False):
            parts = [f"epoch {epoch + 1}/{epochs}"]
            if logs:
                parts.append(format_logs(logs))
            if self.show_time:
                parts.append(format_seconds(time.perf_counter() - self._epoch_start))
            out.write(" - ".join(parts) + "\n")
        out.flush()


class CSVLogger(Callback):
    """Write one row per epoch to a CSV file: epoch, then every value in the epoch's logs.

    path:   the file; it is created (or emptied) when training begins, unless append=True.
            Appending to a file that has a header keeps its columns: a value the run does not
            log is written as nan, a value the file has no column for is a ValueError.
    The file is flushed after every row, so it can be read while training runs.
    """

    def __init__(self, path, append: bool = False):
        super().__init__()
        self.path = os.fspath(path)
        self.append = append
        self._file = None
        self._writer = None
        self._keys = None

    def on_train_begin(self, logs=None):
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"CSVLogger: cannot write {self.path}: the folder {folder} "
                                    f"does not exist")
        resume = self.append and os.path.exists(self.path) and os.path.getsize(self.path) > 0
        self._keys = None
        if resume:                                  # the columns of the existing header
            with open(self.path, newline="") as f:
                self._keys = next(csv.reader(f), ["epoch"])[1:]
        self._file = open(self.path, "a" if self.append else "w", newline="")
        self._writer = csv.writer(self._file)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._keys is None:
            self._keys = list(logs)
            self._writer.writerow(["epoch"] + self._keys)
        extra = [k for k in logs if k not in self._keys]
        if extra:
            raise ValueError(f"CSVLogger: {', '.join(map(repr, extra))} not among the file's "
                             f"columns {self._keys} ({self.path}); log to a new file")
        self._writer.writerow([epoch] + [repr(float(logs.get(k, math.nan))) for k in self._keys])
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None


class EarlyStopping(Callback):
    """Stop training when a monitored number has stopped improving.

    monitor:      a key of the epoch logs, such as "val_loss" (default) or "val_accuracy".
    patience:     how many epochs without improvement to wait before stopping.
    min_delta:    a change smaller than this does not count as an improvement.
    mode:         "min" (lower is better), "max", or "auto": "max" for names containing
                  "acc", else "min".
    restore_best: at the end of training, copy back the parameters of the best epoch.

    After training: best (the best value), best_epoch, stopped_epoch (None if it never stopped).
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best: bool = True):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: expected mode 'auto', 'min' or 'max', got {mode!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: expected patience to be an int >= 0, got {patience!r}")
        if not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping: expected monitor to be a name such as 'val_loss', "
                            f"got {monitor!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real):
            raise TypeError(f"EarlyStopping: expected min_delta to be a number >= 0, got {min_delta!r}")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: expected min_delta >= 0, got {min_delta!r}")
        self.monitor, self.patience, self.min_delta = monitor, patience, float(min_delta)
        self.mode = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
        self.restore_best = restore_best
        self.best, self.best_epoch, self.stopped_epoch, self.wait = None, None, None, 0
        self._best_params = None

    def on_train_begin(self, logs=None):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.stopped_epoch = None
        self.wait = 0
        self._best_params = None
        names = self.params.get("metrics")
        if names is not None and self.monitor not in names:    # fail before any update
            raise ValueError(self._missing(names))

    def _missing(self, names) -> str:
        return (f"EarlyStopping: monitor {self.monitor!r} is not among the epoch's logs "
                f"{sorted(names)}; pass validation data for 'val_...' names")

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(self._missing(logs))
        value = float(logs[self.monitor])
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self._best_params = {k: p.copy() for k, p in self.model.parameters().items()}
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best and self._best_params is not None:
            for key, p in self.model.parameters().items():
                p[...] = self._best_params[key]


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of every epoch: lr = schedule(epoch).

    schedule: a scratchnet.optimizers.Schedule (StepDecay(0.1, 0.5, every=10) halves the rate
              every 10 epochs) or any function epoch -> lr > 0, with epochs counted from 0.
    lrs:      after training, the rate used in each epoch, one float per epoch.

    It writes a plain number into optimizer.lr, which replaces any schedule the optimizer
    held (optimizers evaluate their own schedule once per step, that is per batch; use that
    for warmups and cosines measured in updates, this callback for rates per epoch).
    """

    def __init__(self, schedule):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: expected a schedule (a function epoch -> "
                            f"lr, such as optimizers.StepDecay), got {type(schedule).__name__}")
        self.schedule = schedule
        self.lrs: list[float] = []

    def on_train_begin(self, logs=None):
        if getattr(self.model, "optimizer", None) is None:
            raise ValueError("LearningRateScheduler: the model has no optimizer to set")
        self.lrs = []

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:
            lr = self.schedule(epoch)
            optimizer.lr = lr
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"LearningRateScheduler: the schedule {self.schedule!r} gave no "
                            f"usable lr at epoch {epoch}: {exc}") from exc
        self.lrs.append(optimizer.lr)


class LambdaCallback(Callback):
    """A callback made of plain functions, for one-off needs.

        LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))

    Each argument is None or a function with the signature of the hook of the same name.
    """

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_end")

    def __init__(self, on_train_begin=None, on_train_end=None, on_epoch_begin=None,
                 on_epoch_end=None, on_batch_end=None):
        super().__init__()
        given = dict(on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_batch_end=on_batch_end)
        for hook, fn in given.items():
            if fn is not None:
                if not callable(fn):
                    raise TypeError(f"LambdaCallback: {hook} must be callable, got {type(fn).__name__}")
                setattr(self, hook, fn)

