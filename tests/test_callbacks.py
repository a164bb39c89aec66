"""Tests of the callbacks that fit runs: EarlyStopping, CSVLogger, LambdaCallback, ProgressBar,
LearningRateScheduler, and format_seconds (the time at the end of a progress line)."""
import csv
import io
import re

import numpy as np
import pytest

from scratchnet import Sequential
from scratchnet.callbacks import (CSVLogger, EarlyStopping, LambdaCallback, LearningRateScheduler,
                                  ProgressBar, format_seconds)
from scratchnet.datasets import moons
from scratchnet.layers import Dense, ReLU
from scratchnet.optimizers import SGD, StepDecay


def regression_with_conflicting_validation(seed=0):
    """Training data y = 2x; validation data y = -2x. Fitting the training set drives the
    validation loss up after at most a few epochs, so early stopping has something to do."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(32, 1))
    x_val = rng.normal(size=(16, 1))
    model = Sequential([Dense(1, 1, rng=seed)])
    model[0].params["W"][...] = -3.0         # start beyond the validation answer (W = -2)
    return model, (x, 2 * x), (x_val, -2 * x_val)


def test_early_stopping_stops_and_restores_best():
    model, (x, y), val = regression_with_conflicting_validation()
    stop = EarlyStopping(monitor="val_loss", patience=2)
    h = model.fit(x, y, loss="mse", optimizer=SGD(0.05), epochs=50, batch_size=None,
                  validation_data=val, callbacks=[stop], verbose=0)
    best = int(np.argmin(h["val_loss"]))
    assert best > 0                                    # it improved, then got worse
    assert stop.stopped_epoch is not None and len(h) == stop.stopped_epoch + 1 < 50
    assert stop.stopped_epoch == best + 2 + 1 and stop.best_epoch == best
    assert stop.best == h["val_loss"][best]
    # the weights now are those of the best epoch: they reproduce its validation loss
    np.testing.assert_allclose(model.evaluate(*val)["loss"], h["val_loss"][best], rtol=1e-12)
    assert h["val_loss"][-1] > h["val_loss"][best]


def test_early_stopping_without_restore_keeps_last_weights():
    model, (x, y), val = regression_with_conflicting_validation()
    stop = EarlyStopping(patience=1, restore_best=False)
    h = model.fit(x, y, loss="mse", optimizer=SGD(0.05), epochs=50, batch_size=None,
                  validation_data=val, callbacks=[stop], verbose=0)
    np.testing.assert_allclose(model.evaluate(*val)["loss"], h["val_loss"][-1], rtol=1e-12)


def test_early_stopping_modes_and_min_delta(tmp_path):
    x, y = moons(n=60, rng=0)
    model = Sequential([Dense(2, 8, rng=0), ReLU(), Dense(8, 2, rng=1)])
    stop = EarlyStopping(monitor="accuracy", patience=1, min_delta=10.0)
    assert stop.mode == "max"
    h = model.fit(x, y, loss="cce", optimizer="adam", epochs=20, callbacks=[stop], verbose=0)
    assert len(h) == 3 and stop.best_epoch == 0           # nothing beats epoch 0 by 10
    assert EarlyStopping(monitor="loss").mode == "min"
    assert EarlyStopping(monitor="val_accuracy", mode="min").mode == "min"
    before = model[0].params["W"].copy()
    with pytest.raises(ValueError, match="'val_loss' is not among"):
        model.fit(x, y, epochs=2, callbacks=[EarlyStopping()], verbose=0)
    # it used to fail only at the end of the first epoch, after a full epoch of updates
    np.testing.assert_array_equal(model[0].params["W"], before)
    logger = CSVLogger(tmp_path / "log.csv")              # begun before EarlyStopping failed:
    with pytest.raises(ValueError, match="'val_loss' is not among"):
        model.fit(x, y, epochs=2, callbacks=[logger, EarlyStopping()], verbose=0)
    assert logger._file is None                           # ...and still ended (file closed)
    for bad in (dict(mode="up"), dict(patience=-1), dict(min_delta=-0.1)):
        with pytest.raises(ValueError, match="EarlyStopping"):
            EarlyStopping(**bad)
    for bad in (dict(min_delta="0.1"), dict(monitor=3)):     # used to be bare Python TypeErrors
        with pytest.raises(TypeError, match="EarlyStopping"):
            EarlyStopping(**bad)


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    x, y = moons(n=40, rng=1)
    model = Sequential([Dense(2, 4, rng=0), ReLU(), Dense(4, 2, rng=1)])
    path = tmp_path / "log.csv"
    h = model.fit(x, y, loss="cce", optimizer="sgd", epochs=3, validation_split=0.25,
                  callbacks=[CSVLogger(path)], verbose=0)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    for i, row in enumerate(rows[1:]):
        assert [float(v) for v in row[1:]] == [h[k][i] for k in rows[0][1:]]
    model.fit(x, y, epochs=2, validation_split=0.25, callbacks=[CSVLogger(path, append=True)],
              verbose=0)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 6 and [r[0] for r in rows].count("epoch") == 1


def test_csv_logger_append_keeps_the_file_columns(tmp_path):
    # Appending a run without validation data to a file whose header has val_ columns used to
    # write the new values under the wrong column names, silently.
    x, y = moons(n=40, rng=1)
    model = Sequential([Dense(2, 2, rng=0)])
    path = tmp_path / "log.csv"
    kw = dict(loss="cce", optimizer=SGD(0.1), verbose=0)
    model.fit(x, y, epochs=1, validation_split=0.25, callbacks=[CSVLogger(path)], **kw)
    h = model.fit(x, y, epochs=1, callbacks=[CSVLogger(path, append=True)], **kw)
    with open(path, newline="") as f:
        header, _, row = list(csv.reader(f))
    assert header == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]
    values = dict(zip(header, row))
    assert float(values["loss"]) == h["loss"][0] and float(values["accuracy"]) == h["accuracy"][0]
    assert values["val_loss"] == "nan" and values["val_accuracy"] == "nan"
    logger = CSVLogger(path, append=True)
    logger.on_train_begin({})
    with pytest.raises(ValueError, match=r"CSVLogger.*'mae'.*not among the file's columns"):
        logger.on_epoch_end(0, {"loss": 1.0, "mae": 0.5})
    logger.on_train_end({})


def test_lambda_callback_hook_order_and_stop_from_a_batch():
    x, y = moons(n=20, rng=2)
    model = Sequential([Dense(2, 2, rng=0)])
    calls = []
    cb = LambdaCallback(on_train_begin=lambda logs: calls.append("begin"),
                        on_epoch_begin=lambda e, logs: calls.append(f"e{e}"),
                        on_batch_end=lambda b, logs: calls.append(f"b{b}:{logs['size']}"),
                        on_epoch_end=lambda e, logs: calls.append(f"end{e}:{sorted(logs)}"),
                        on_train_end=lambda logs: calls.append("done"))
    model.fit(x, y, loss="cce", optimizer="sgd", epochs=2, batch_size=8, callbacks=[cb], verbose=0)
    epoch = ["b0:8", "b1:8", "b2:4"]
    assert calls == ["begin", "e0", *epoch, "end0:['accuracy', 'loss']",
                     "e1", *epoch, "end1:['accuracy', 'loss']", "done"]
    assert cb.params == {"epochs": 2, "batches": 3, "batch_size": 8, "samples": 20,
                         "metrics": ["loss", "accuracy"]}

    def stop(batch, logs):
        model.stop_training = True

    h = model.fit(x, y, epochs=5, batch_size=4, callbacks=[LambdaCallback(on_batch_end=stop)],
                  verbose=0)
    assert len(h) == 1 and len(h.batch_loss) == 1 and h["loss"] == h.batch_loss
    with pytest.raises(TypeError, match="on_epoch_end must be callable"):
        LambdaCallback(on_epoch_end=3)


def test_callbacks_see_the_end_of_training_after_divergence(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 2)), 1e3 * rng.normal(size=(16, 1))
    ended = []
    model = Sequential([Dense(2, 1, rng=0)])
    with pytest.raises(FloatingPointError), np.errstate(all="ignore"):
        model.fit(x, y, loss="mse", optimizer=SGD(1e8), epochs=50, verbose=0,
                  callbacks=[LambdaCallback(on_train_end=lambda logs: ended.append(True))])
    assert ended == [True]


def test_csv_logger_into_a_missing_folder_says_so_even_with_early_stopping(tmp_path):
    """The FileNotFoundError used to be hidden by EarlyStopping.on_train_end's AttributeError
    (its on_train_begin had never run)."""
    model, train, val = regression_with_conflicting_validation()
    missing = tmp_path / "no" / "log.csv"
    with pytest.raises(FileNotFoundError, match="CSVLogger.*the folder .*no does not exist"):
        model.fit(*train, loss="mse", optimizer=SGD(0.1), validation_data=val, verbose=0,
                  callbacks=[CSVLogger(missing), EarlyStopping(patience=1)])
    with pytest.raises(FileNotFoundError, match="CSVLogger"):
        model.fit(*train, loss="mse", optimizer=SGD(0.1), validation_data=val, verbose=0,
                  callbacks=[EarlyStopping(patience=1), CSVLogger(missing)])


class Boom(Exception):
    pass


def failing_end(logs):
    raise Boom("on_train_end failed")


def test_every_callback_ends_when_one_end_fails_and_the_first_error_is_raised(tmp_path):
    """When one callback's on_train_end raises, the callbacks after it still end (the CSV file
    is closed), and then the first error is raised."""
    model, train, val = regression_with_conflicting_validation()
    ended = []
    logger = CSVLogger(tmp_path / "log.csv")
    cbs = [LambdaCallback(on_train_end=failing_end), logger,
           LambdaCallback(on_train_end=lambda logs: ended.append("last"))]
    with pytest.raises(Boom, match="on_train_end failed"):
        model.fit(*train, loss="mse", optimizer=SGD(0.1), epochs=2, verbose=0, callbacks=cbs)
    assert ended == ["last"] and logger._file is None
    assert len((tmp_path / "log.csv").read_text().splitlines()) == 3


def test_a_training_error_wins_over_errors_in_on_train_end(tmp_path):
    """Training fails (a callback raises at the end of epoch 1); every callback still ends,
    and the training's error is the one raised."""
    model, train, val = regression_with_conflicting_validation()
    logger = CSVLogger(tmp_path / "log.csv")

    def fail_epoch(epoch, logs):
        raise KeyError("in epoch")

    cbs = [LambdaCallback(on_epoch_end=fail_epoch), LambdaCallback(on_train_end=failing_end),
           logger]
    with pytest.raises(KeyError, match="in epoch"):
        model.fit(*train, loss="mse", optimizer=SGD(0.1), epochs=3, verbose=0, callbacks=cbs)
    assert logger._file is None


def test_verbose_lines(capsys):
    x, y = moons(n=20, rng=3)
    model = Sequential([Dense(2, 2, rng=0)])
    model.fit(x, y, loss="cce", optimizer="sgd", epochs=3, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert "loss: " in lines[0] and "accuracy: " in lines[0]
    model.fit(x, y, epochs=3, verbose=0)
    assert capsys.readouterr().out == ""


def test_progress_bar_in_plain_text_and_thinned_epochs():
    x, y = moons(n=40, rng=4)
    model = Sequential([Dense(2, 2, rng=0)])
    out = io.StringIO()                              # not a terminal: no '\r' redraws
    bar = ProgressBar(every=3, bar=True, stream=out)
    model.fit(x, y, loss="cce", optimizer="sgd", epochs=7, batch_size=5, callbacks=[bar], verbose=1)
    text = out.getvalue()
    assert "\r" not in text
    epochs = [line.split(" - ")[0] for line in text.splitlines() if line.startswith("epoch")]
    assert epochs == ["epoch 1/7", "epoch 3/7", "epoch 6/7", "epoch 7/7"]
    bars = [line for line in text.splitlines() if line.strip().startswith("[")]
    assert len(bars) == 7 * 4 and bars[3].strip() == "[" + "=" * 30 + "] 8/8"
    quiet = io.StringIO()
    model.fit(x, y, epochs=2, batch_size=5, callbacks=[ProgressBar(bar="auto", stream=quiet)])
    assert "[" not in quiet.getvalue()               # 8 quick batches: no bar
    slow = io.StringIO()                             # "slow" epochs (over 0 s) get a bar too
    model.fit(x, y, epochs=1, batch_size=5, callbacks=[ProgressBar(min_seconds=0, stream=slow)])
    assert "8/8" in slow.getvalue()
    for bad in (dict(every=0), dict(width=0), dict(width="30"), dict(min_batches=-1)):
        with pytest.raises(ValueError, match="ProgressBar"):
            ProgressBar(**bad)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_redraws_in_a_terminal():
    x, y = moons(n=40, rng=5)
    model = Sequential([Dense(2, 2, rng=0)])
    term = Terminal()
    model.fit(x, y, loss="cce", optimizer="sgd", epochs=2, batch_size=10,
              callbacks=[ProgressBar(bar=True, stream=term)])
    text = term.getvalue()
    assert text.count("\r  [") == 2 * 4                # one redraw per batch
    assert "4/4 - loss: " in text
    lines = [part for part in text.split("\r") if part.startswith("epoch")]
    assert [line.split(" - ")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]



# ----- the time at the end of an epoch line ----------------------------------------------------
def test_format_seconds_keeps_three_significant_digits():
    cases = {0.0: "0 ms", 1.23e-5: "0.0123 ms", 0.00456: "4.56 ms", 0.0456: "45.6 ms",
             0.5: "500 ms", 0.9994: "999 ms", 0.9996: "1.00 s", 9.996: "10.0 s",
             12.345: "12.3 s", 59.94: "59.9 s", 59.96: "1 min 0 s", 75.2: "1 min 15 s"}
    assert {s: format_seconds(s) for s in cases} == cases
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="format_seconds"):
            format_seconds(bad)
    for bad in ("1", True, None):
        with pytest.raises(TypeError, match="format_seconds"):
            format_seconds(bad)


EPOCH_TIME = re.compile(r" - (\d+(?:\.\d+)?) (ms|s)$")


def test_progress_line_ends_with_a_readable_epoch_time():
    """The line used to end in '- 0.00s' for any epoch under 5 ms, which says nothing."""
    x, y = moons(n=40, rng=6)
    model = Sequential([Dense(2, 2, rng=0)])
    out = io.StringIO()
    model.fit(x, y, loss="cce", optimizer="sgd", epochs=3, batch_size=10,
              callbacks=[ProgressBar(bar=False, stream=out)])
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    for line in lines:
        m = EPOCH_TIME.search(line)
        assert m, line
        digits = m[1].replace(".", "").lstrip("0")
        assert float(m[1]) > 0 and len(digits) == 3, line        # 3 significant digits
        assert not line.endswith("0.00s")
    quiet = io.StringIO()
    model.fit(x, y, epochs=2, callbacks=[ProgressBar(show_time=False, stream=quiet)])
    lines = quiet.getvalue().splitlines()
    assert all(line.endswith(tuple("0123456789")) and not EPOCH_TIME.search(line)
               for line in lines) and len(lines) == 2
    assert lines[0].startswith("epoch 1/2 - loss: ")
    with pytest.raises(TypeError, match="ProgressBar: expected show_time"):
        ProgressBar(show_time="no")


def test_progress_line_time_is_the_epochs_own_time(monkeypatch):
    """A clock that advances 2.5 ms per reading: the line shows that epoch's time, in ms."""
    import scratchnet.callbacks as cbmod
    ticks = iter(range(10 ** 6))
    monkeypatch.setattr(cbmod.time, "perf_counter", lambda: next(ticks) * 0.0025)
    bar = ProgressBar(bar=False, stream=io.StringIO())
    bar.set_params({"epochs": 1, "batches": 1})
    bar.on_epoch_begin(0)                      # reads the clock once: t = 0
    bar.on_epoch_end(0, {"loss": 0.5})         # reads it again: 2.5 ms later
    assert bar.stream.getvalue() == "epoch 1/1 - loss: 0.5000 - 2.50 ms\n"


# ----- LearningRateScheduler -------------------------------------------------------------------
def test_learning_rate_scheduler_sets_the_rate_of_every_epoch():
    x, y = moons(n=32, rng=7)
    model = Sequential([Dense(2, 2, rng=0)])
    seen = []
    record = LambdaCallback(on_epoch_end=lambda e, logs: seen.append(model.optimizer.lr))
    sched = LearningRateScheduler(StepDecay(0.4, drop=0.5, every=2))
    model.fit(x, y, loss="cce", optimizer=SGD(0.01), epochs=5, batch_size=8, verbose=0,
              callbacks=[sched, record])
    assert sched.lrs == seen == [0.4, 0.4, 0.2, 0.2, 0.1]
    # the updates really used those rates: full-batch epochs (no shuffle to reproduce), each
    # one the same as a one-epoch fit with that epoch's rate
    a = Sequential([Dense(2, 2, rng=0)])
    b = Sequential([Dense(2, 2, rng=0)])
    a.fit(x, y, loss="cce", optimizer=SGD(0.01), epochs=3, batch_size=None, verbose=0,
          callbacks=[LearningRateScheduler(lambda epoch: 0.3 / (1 + epoch))])
    for epoch in range(3):
        b.fit(x, y, loss="cce", optimizer=SGD(0.3 / (1 + epoch)), epochs=1, batch_size=None,
              verbose=0)
    np.testing.assert_allclose(a[0].params["W"], b[0].params["W"], rtol=1e-12)


def test_learning_rate_scheduler_errors_name_it():
    x, y = moons(n=16, rng=8)
    model = Sequential([Dense(2, 2, rng=0)])
    with pytest.raises(TypeError, match="LearningRateScheduler: expected a schedule"):
        LearningRateScheduler(0.1)
    with pytest.raises(ValueError, match="LearningRateScheduler: .* at epoch 1: SGD: expected lr"):
        model.fit(x, y, loss="cce", optimizer=SGD(0.1), epochs=3, verbose=0,
                  callbacks=[LearningRateScheduler(lambda e: 0.1 - 0.1 * e)])
    bare = LearningRateScheduler(lambda e: 0.1)
    bare.set_model(object())
    with pytest.raises(ValueError, match="LearningRateScheduler: the model has no optimizer"):
        bare.on_train_begin({})
