# %% [markdown]
# # 12 - Monitoring training: validation curves, overfitting, early stopping, logs, gradient flow
#
# After this lesson you can
# - read a pair of training and validation curves and say whether a network underfits,
#   fits or overfits, from two numbers: where the validation loss is lowest, and the gap;
# - stop training when the validation loss stops improving (`EarlyStopping`) and get the
#   weights of the best epoch back;
# - log every epoch to a CSV file (`CSVLogger`), read it back, and smooth a noisy curve the
#   way TensorBoard's smoothing slider does;
# - watch each layer's gradient norm while training (`GradientNormRecorder`) and say what a
#   gradient that shrinks towards zero means.
#
# Why: the training loss only says how well the network has learned the examples it was
# shown. The AGA 0505 deck (lecture 11, "overfitting") tells us to monitor the cost and the
# accuracy on a validation set, and quotes Chollet's workflow: first build a network big
# enough to overfit, then simplify or regularize it. The "Deep learning and TensorFlow" deck
# ends with "O poder do Tensorboard", the tool that draws these curves while a network
# trains. scratchnet has no TensorBoard, but it records the same numbers (History, a CSV
# file, gradient norms), and this lesson reads them the way one reads TensorBoard.
#
# Run: `python tutorials/12_monitoring_training.py` (SCRATCHNET_FAST=1 for a quick run).
# Figures and the CSV log go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import csv

import numpy as np
from matplotlib.figure import Figure

from scratchnet import Sequential, lesson
from scratchnet.callbacks import CSVLogger, EarlyStopping, ProgressBar
from scratchnet.datasets import load_digits
from scratchnet.layers import Dense, ReLU
from scratchnet.optimizers import Adam
from scratchnet.plot import plot_gradient_flow
from scratchnet.trace import GradientNormRecorder

EPOCHS = 60 if lesson.FAST else 150
BATCH = 25                                  # 200 training images: 8 equal batches per epoch
LR = 0.003

# %% [markdown]
# ## 1. A network big enough to overfit, and too few examples
#
# The 8x8 digits (scratchnet.datasets.load_digits), but we train on only 200 of them, about
# 20 per digit, and hold out 500 others as the validation set. Real data sets also hold some
# wrong labels; the digits' labels are clean, so we give one training image in five a wrong
# label at random (the validation labels stay right). The network, 64-256-256-10 with ReLU,
# has about 85,000 weights, over 400 per training image: plenty to learn every image by
# heart, wrong labels included.

# %%
x, y = load_digits(flat=True)
order = np.random.default_rng(0).permutation(len(x))
x_train, y_train = x[order[:200]], y[order[:200]].copy()
x_val, y_val = x[order[200:700]], y[order[200:700]]
noise = np.random.default_rng(1)
flipped = noise.random(len(y_train)) < 0.2
y_train[flipped] = (y_train[flipped] + noise.integers(1, 10, flipped.sum())) % 10  # a wrong digit
print(f"training images: {len(x_train)} ({flipped.sum()} with a wrong label), "
      f"validation images: {len(x_val)}")


def big_net():
    """64-256-256-10 ReLU, the same initial weights every time."""
    return Sequential([Dense(64, 256, rng=0), ReLU(), Dense(256, 256, rng=1), ReLU(),
                       Dense(256, 10, rng=2)])


net = big_net()
print(f"weights: {sum(p.size for p in net.parameters().values())}")

# %% [markdown]
# We train it for EPOCHS epochs with three callbacks: a `ProgressBar` that prints every
# tenth epoch (the time at the end of each line is that epoch's wall-clock time, three
# significant digits), a `CSVLogger` that writes one row per epoch, and a
# `GradientNormRecorder` that keeps each layer's gradient norm after every update.

# %%
log_path = lesson.out_path("12_overfit_log.csv")
grads = GradientNormRecorder()
history = net.fit(x_train, y_train, loss="cce", optimizer=Adam(LR), epochs=EPOCHS,
                  batch_size=BATCH, validation_data=(x_val, y_val), rng=0,
                  callbacks=[ProgressBar(every=10), CSVLogger(log_path), grads])

# %% [markdown]
# ## 2. Reading the two curves
#
# The training loss falls all the way; the validation loss falls for a while, reaches its
# lowest point, and then turns up. That turn is overfitting: from then on, each update fits
# the 200 training images a little better and the 500 others a little worse. Two numbers sum
# it up: the epoch of the validation minimum, and the gap between the validation and the
# training loss.

# %%
train_loss, val_loss = np.array(history["loss"]), np.array(history["val_loss"])
val_acc = np.array(history["val_accuracy"])
best = int(np.argmin(val_loss))             # counted from 0, printed from 1
print(f"validation loss is lowest at epoch {best + 1} of {EPOCHS}: {val_loss[best]:.4f}")
print(f"validation loss at the end: {val_loss[-1]:.4f}, {val_loss[-1] / val_loss[best]:.2f} "
      f"times its minimum")
print(f"training loss at epoch {best + 1}: {train_loss[best]:.4g}, at the end: "
      f"{train_loss[-1]:.3g} ({train_loss[best] / train_loss[-1]:.0f} times lower)")
print(f"gap (validation - training loss) at epoch {best + 1}: "
      f"{val_loss[best] - train_loss[best]:.3f}, at the end: {val_loss[-1] - train_loss[-1]:.3f}")
print(f"validation accuracy at epoch {best + 1}: {val_acc[best]:.3f}, at the end: {val_acc[-1]:.3f}")
memorized = np.mean(net.predict(x_train[flipped]).argmax(axis=1) == y_train[flipped])
print(f"training accuracy at the end: {history['accuracy'][-1]:.3f}; the network gives "
      f"{100 * memorized:.0f}% of the {flipped.sum()} wrong labels back")

# %% [markdown]
# The last line says what went wrong: the network reproduces the wrong labels it was
# taught, so it has memorized noise, and that costs it on new images: the validation
# accuracy falls from its value at the validation-loss minimum. Cross-entropy also punishes
# confidence in a wrong answer, so the validation loss climbs faster than the accuracy falls.
#
# For contrast, a network too small to memorize: a linear model (64 -> 10, no hidden
# layer), trained the same way. Its training loss stays high (it cannot fit the wrong
# labels), and its validation loss keeps falling for far longer.

# %%
linear = Sequential([Dense(64, 10, rng=0)])
h_lin = linear.fit(x_train, y_train, loss="cce", optimizer=Adam(LR), epochs=EPOCHS,
                   batch_size=BATCH, validation_data=(x_val, y_val), rng=0, verbose=0)
lin_train, lin_val = np.array(h_lin["loss"]), np.array(h_lin["val_loss"])
print(f"linear model: training loss at the end {lin_train[-1]:.3f} "
      f"({lin_train[-1] / train_loss[-1]:.0f} times the big network's), "
      f"validation loss lowest at epoch {int(np.argmin(lin_val)) + 1} of {EPOCHS}")

# %%
fig = Figure(figsize=(14, 4), layout="constrained")
ax1, ax2, ax3 = fig.subplots(1, 3)
epochs = np.arange(1, EPOCHS + 1)
for ax, (tr, va), title, where in ((ax1, (train_loss, val_loss), "64-256-256-10", "center right"),
                                   (ax3, (lin_train, lin_val), "linear model", "upper right")):
    ax.plot(epochs, tr, color="#1f77b4", label="training loss")
    ax.plot(epochs, va, color="#d62728", label="validation loss")
    b = int(np.argmin(va))
    ax.axvline(b + 1, color="gray", ls="--", lw=1, label=f"validation minimum (epoch {b + 1})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy (log scale)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc=where)                # where the curves are not
ax1.set_title("64-256-256-10 on 200 images: overfits")
ax3.set_title("linear model on 200 images: cannot memorize")
ax2.plot(epochs, history["accuracy"], color="#1f77b4", label="training accuracy")
ax2.plot(epochs, val_acc, color="#d62728", label="validation accuracy")
ax2.axvline(best + 1, color="gray", ls="--", lw=1, label=f"validation-loss minimum (epoch {best + 1})")
ax2.set_xlabel("epoch")
ax2.set_ylabel("accuracy")
ax2.set_title("the big network's accuracy")
ax2.legend(fontsize=8, loc="lower right")
lesson.save(fig, "12_curves.png")

# %% [markdown]
# ## 3. Early stopping
#
# Training past the validation minimum only makes the network worse on new data, so stop
# there. `EarlyStopping(monitor="val_loss", patience=10)` watches the validation loss at the
# end of every epoch; after 10 epochs without a new minimum it stops training, and
# (restore_best=True, the default) it copies back the weights of the best epoch. The run is
# the same as above (same initial weights, same batches) until it stops.

# %%
stopper = EarlyStopping(monitor="val_loss", patience=10)
net_es = big_net()
h_es = net_es.fit(x_train, y_train, loss="cce", optimizer=Adam(LR), epochs=EPOCHS,
                  batch_size=BATCH, validation_data=(x_val, y_val), rng=0, verbose=0,
                  callbacks=[stopper])
restored_eval = net_es.evaluate(x_val, y_val)
restored = restored_eval["loss"]
print(f"early stopping: stopped after epoch {stopper.stopped_epoch + 1} of {EPOCHS}, "
      f"best epoch {stopper.best_epoch + 1}")
print(f"early stopping: best validation loss {stopper.best:.6f}; the restored weights give "
      f"{restored:.6f}")
print(f"early stopping: the full run's minimum was {val_loss[best]:.6f} at epoch {best + 1}; "
      f"it trained {len(h_es)} epochs instead of {EPOCHS}")
print(f"validation accuracy: early-stopped network {restored_eval['accuracy']:.3f}, "
      f"the network trained for all {EPOCHS} epochs {val_acc[-1]:.3f}")

# %% [markdown]
# The stopped run found the same minimum as the full run, at the same epoch, and the model
# it returns has exactly that validation loss; it is also the more accurate network on new
# images, and it took a fraction of the epochs. The patience is a trade: too small and a curve that wobbles stops too
# early, too large and it trains on for nothing.
#
# ## 4. The CSV log
#
# `CSVLogger` wrote one row per epoch while the first run trained (and flushed each row, so
# another program can read the file while training goes on, the way TensorBoard reads its
# event files). Reading it back with Python's csv module:

# %%
with open(log_path, newline="") as f:
    rows = list(csv.DictReader(f))
print(f"CSV log: {len(rows)} rows, columns {', '.join(rows[0].keys())}")
for row in rows[:3] + rows[-1:]:
    print("  " + ", ".join(f"{k} {float(v):.4g}" if k != "epoch" else f"epoch {v}"
                           for k, v in row.items()))
diff = max(abs(float(row[k]) - history[k][i]) for i, row in enumerate(rows)
           for k in ("loss", "accuracy", "val_loss", "val_accuracy"))
print(f"CSV log vs History: largest difference {diff:.1e}")

# %% [markdown]
# ## 5. Reading curves the way TensorBoard does
#
# TensorBoard draws the loss of every update, which is noisy (each batch is a different
# quarter of the data), and offers a "smoothing" slider. Smoothing s in [0, 1) is an
# exponential moving average, with the same correction for its zero start as Adam's:
#
#     m_t = s m_(t-1) + (1 - s) loss_t,   m_0 = 0;   smoothed_t = m_t / (1 - s^t)
#
# It shows the trend without hiding the raw curve (drawn faintly behind it). A good reading
# habit: a log axis for the loss, the raw and the smoothed curve together, and several runs
# on one chart.

# %%
def smooth(values, s=0.6):
    """TensorBoard-style smoothing: a debiased exponential moving average of `values`."""
    m, out = 0.0, []
    for t, v in enumerate(values, start=1):
        m = s * m + (1 - s) * v
        out.append(m / (1 - s ** t))
    return np.array(out)


raw = np.array(history.batch_loss)
smoothed = smooth(raw, 0.9)
ups_raw = np.mean(np.diff(np.log(raw)) > 0)
ups_smooth = np.mean(np.diff(np.log(smoothed)) > 0)
print(f"batch losses: {len(raw)} updates; the loss rises from one update to the next in "
      f"{100 * ups_raw:.0f}% of them raw, {100 * ups_smooth:.0f}% smoothed (s = 0.9)")

fig = Figure(figsize=(8, 4))
ax = fig.add_subplot()
ax.plot(np.arange(1, len(raw) + 1), raw, color="#1f77b4", alpha=0.3, lw=0.8,
        label="training loss per update (raw)")
ax.plot(np.arange(1, len(raw) + 1), smoothed, color="#1f77b4", lw=2,
        label="smoothed, s = 0.9")
ax.plot(np.arange(1, EPOCHS + 1) * len(raw) // EPOCHS, val_loss, color="#d62728", lw=2,
        label="validation loss (end of each epoch)")
ax.set_yscale("log")
ax.set_xlabel("update")
ax.set_ylabel("cross-entropy (log scale)")
ax.set_title("the big network, read like TensorBoard")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
lesson.save(fig, "12_tensorboard_style.png")

# %% [markdown]
# ## 6. Gradient flow
#
# The GradientNormRecorder kept ||dL/dW|| of each Dense layer after every update. Drawn on a
# log axis, one line per layer, it answers two questions: does every layer get a gradient
# (a line far below the others would be a layer that learns nothing, tutorial 08's vanishing
# gradients), and is the network still learning from its training data?

# %%
per_epoch = len(history.batch_loss) // EPOCHS    # updates per epoch
for layer, norms in grads.norms.items():
    start, end = np.mean(norms[:per_epoch]), np.mean(norms[-per_epoch:])
    print(f"gradient norm of {layer}: first epoch {start:.3g}, last epoch {end:.3g} "
          f"({start / end:.0f} times smaller)")
fig = plot_gradient_flow(grads)
ax = fig.axes[0]
ax.set_title("gradient norm per layer, every update (log scale)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
lesson.save(fig, "12_gradient_flow.png")

# %% [markdown]
# Every layer starts with a healthy gradient of the same order, so all of them learn. Then
# all the norms fall together, by orders of magnitude (the numbers above): the training loss is nearly zero, so
# its gradient is too. The network has learned its 200 images by heart and has nothing left
# to learn from them; what still changes is its confidence, which is what drives the
# validation loss up. A flat training loss with a vanishing gradient, and a validation loss
# that climbs, is the signature of overfitting; the cure is more data, a smaller network,
# or regularization (exercise 1), not more epochs.
#
# ## Read the source
# - `scratchnet/callbacks.py`: `EarlyStopping.on_epoch_end` (the comparison with
#   `min_delta`, the `wait` counter, the copy of the best parameters) and `on_train_end`
#   (where they are put back); `CSVLogger.on_epoch_end` (one row, then `flush`);
#   `ProgressBar.on_epoch_end` and `format_seconds` (the time at the end of each line).
# - `scratchnet/model.py`: `Sequential._train`, the epoch loop that measures the
#   validation data after each epoch and calls every callback's hooks in order.
# - `scratchnet/trace.py`: `GradientNormRecorder.on_batch_end`, the norms it keeps, and
#   `scratchnet/plot.py`: `plot_gradient_flow`, which draws them.
#
# ## Exercises
# ### Exercise 1
# Regularize the big network with dropout (scratchnet/layers/dropout.py; the course's
# remedy for overfitting): put `Dropout(0.5, rng=...)` after each of its two hidden ReLUs,
# and train it exactly as in section 1. Check: both its lowest and its last validation loss
# are below those of the network without dropout.
#
# ### Exercise 2
# Write a callback of your own, a subclass of `scratchnet.callbacks.Callback`, that stops
# training as soon as the validation loss exceeds 1.2 times the lowest validation loss seen
# so far (a guard against runaway overfitting). Check: with it, the run of section 1 stops
# at the first epoch where, in the full run's History, val_loss > 1.2 * min(val_loss so far).
# Then compare that epoch with the epoch of the validation minimum: what does it tell you
# about stopping on one bad epoch, and about EarlyStopping's patience?
#
# Solutions: tutorials/solutions/12_monitoring_training.py.
