# %% [markdown]
# # 00 - A tour of scratchnet in one page
#
# Everything the library does, once: make a data set, build a small network, prove its
# gradients with finite differences, train it, measure it, save and reload it, and draw it.
# The later tutorials open each of these boxes one at a time.
#
# Run: `python tutorials/00_tour.py`. SCRATCHNET_FAST=1 makes it finish in a few seconds;
# figures go to tutorials/out/ (or to the folder in SCRATCHNET_OUT).

# %%
import os

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.figure import Figure

import gradcheck
from scratchnet import Sequential
from scratchnet.callbacks import ProgressBar
from scratchnet.data import train_test_split
from scratchnet.datasets import spirals
from scratchnet.layers import Dense, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam
from scratchnet.plot import plot_decision_boundary

FAST = os.environ.get("SCRATCHNET_FAST", "") not in ("", "0")
OUT = os.environ.get("SCRATCHNET_OUT", os.path.join(os.path.dirname(__file__), "out"))
os.makedirs(OUT, exist_ok=True)

EPOCHS = 60 if FAST else 200      # passes over the training set
LR = 0.01                         # Adam's learning rate

# %% [markdown]
# ## The data: three spirals
# x: (N, 2) points in the plane; y: (N,) integer labels 0, 1, 2, one per spiral arm.
# No straight line separates the arms, so a linear model fails; a small MLP bends its
# decision boundary around them. A quarter of the points is kept aside as the test set,
# with the same share of each class (stratify=True).

# %%
x, y = spirals(n=600, k=3, noise=0.1, rng=0)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=True, rng=0)
print(f"data: x {x.shape}, y {y.shape}, classes {np.bincount(y).tolist()}")
print(f"train {len(x_train)} points, test {len(x_test)} points")

# %% [markdown]
# ## The model: Dense -> ReLU -> Dense -> ReLU -> Dense
# Each Dense computes y = x @ W + b; ReLU keeps the positive part, max(x, 0).
# The last layer gives K = 3 scores per point (logits): (N, 2) -> (N, 64) -> (N, 64) -> (N, 3).
# CategoricalCrossEntropy() takes those logits and the integer labels; it applies the
# softmax inside, in a numerically stable way (log-sum-exp).

# %%
model = Sequential([Dense(2, 64, rng=0), ReLU(),
                    Dense(64, 64, rng=1), ReLU(),
                    Dense(64, 3, rng=2)])
loss = CategoricalCrossEntropy()
print(model.summary(input_shape=(2,)))

# %% [markdown]
# ## Prove the gradients before trusting them
# gradcheck nudges every parameter (and every input) by a tiny step, measures how the loss
# changes, and compares that with what backward computed. A few examples are enough.

# %%
report = gradcheck.check_model(model, loss, x_train[:5], y_train[:5])
print(report)
print(f"gradcheck: {report.status}")

# %% [markdown]
# ## Train
# fit repeats, batch by batch: forward, loss, backward, optimizer step. batch_size=32 means
# 15 updates per epoch here (450 points: 14 batches of 32 and one of 2), each on a new random
# order of the points. The progress bar callback prints one line every few epochs.

# %%
history = model.fit(x_train, y_train, loss=loss, optimizer=Adam(LR), epochs=EPOCHS,
                    batch_size=32, rng=0, callbacks=[ProgressBar(every=max(1, EPOCHS // 5))])
print(f"updates: {len(history.batch_loss)} ({EPOCHS} epochs)")

# %% [markdown]
# ## Measure on data the model never saw
# evaluate runs in eval mode and returns the mean loss and the accuracy.

# %%
train_scores = model.evaluate(x_train, y_train)
test_scores = model.evaluate(x_test, y_test)
print(f"train accuracy: {train_scores['accuracy']:.3f}")
print(f"test loss: {test_scores['loss']:.4f}")
print(f"test accuracy: {test_scores['accuracy']:.3f}")

# %% [markdown]
# ## Save, then load into a freshly built model
# The weights go to an .npz file (no pickle), written atomically. A new model with the same
# layers but other random weights predicts exactly the same after loading them.

# %%
weights = os.path.join(OUT, "00_tour_weights.npz")
model.save(weights)
twin = Sequential([Dense(2, 64, rng=10), ReLU(), Dense(64, 64, rng=11), ReLU(),
                   Dense(64, 3, rng=12)])
twin.load(weights)
same = bool(np.array_equal(twin.predict(x_test), model.predict(x_test)))
print(f"reloaded model predicts the same: {same}")

# %% [markdown]
# ## The picture: loss per update, and the regions the network learned
# The loss is noisy from one mini-batch to the next but falls; the colours show the class
# the model picks at every point of the plane, with the test points on top.

# %%
fig = Figure(figsize=(10, 4))
ax_loss, ax_boundary = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
per_epoch = len(history.batch_loss) // len(history.epoch)
ax_loss.plot(history.batch_loss, lw=0.6, alpha=0.6, label="one batch")
ax_loss.plot(np.arange(1, len(history.epoch) + 1) * per_epoch, history["loss"], lw=2,
             label="epoch mean")
ax_loss.legend()
ax_loss.set_xlabel("update")
ax_loss.set_ylabel("cross-entropy")
ax_loss.set_yscale("log")
ax_loss.set_title("training loss per update")
plot_decision_boundary(model, x_test, y_test, resolution=150, ax=ax_boundary,
                       title=f"test accuracy {test_scores['accuracy']:.3f}")
figure_path = os.path.join(OUT, "00_tour.png")
fig.savefig(figure_path, dpi=100, bbox_inches="tight")
print(f"saved figure: {figure_path}")
