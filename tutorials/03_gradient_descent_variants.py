# %% [markdown]
# # 03 - Gradient descent: batch sizes, learning rates, optimizers
#
# Part 1: how many examples per update? Full-batch gradient descent (all N), stochastic
#         gradient descent (one example) and mini-batch SGD (a few), on the same budget of
#         epochs, looked at per update and per epoch.
# Part 2: the learning rate: too small crawls, a good one converges, too large diverges
#         (and `fit` stops with TrainingDiverged instead of printing nan forever).
# Part 3: SGD, Momentum, RMSprop and Adam on the same neural network and data, and their
#         paths on the loss surface of a two-parameter model.
#
# Run: `python tutorials/03_gradient_descent_variants.py`; SCRATCHNET_FAST=1 for a quick run.

# %%
import os

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.figure import Figure

from scratchnet.callbacks import LambdaCallback
from scratchnet.datasets import house_prices, spirals
from scratchnet.layers import Dense, ReLU
from scratchnet.losses import MSE, CategoricalCrossEntropy
from scratchnet.model import Sequential, TrainingDiverged
from scratchnet.optimizers import SGD, Adam, Momentum, RMSprop
from scratchnet.plot import plot_loss_surface

FAST = os.environ.get("SCRATCHNET_FAST", "") not in ("", "0")
OUT = os.environ.get("SCRATCHNET_OUT", os.path.join(os.path.dirname(__file__), "out"))
os.makedirs(OUT, exist_ok=True)


def save(fig, name):
    path = os.path.join(OUT, name)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"saved figure: {path}")


# %% [markdown]
# ## The regression problem of tutorial 02
# price = w * area + b, N = 100 houses. The best possible mean squared error (the noise
# left over by the best line) comes from least squares; we report each loss as a multiple
# of it, so 1.00 means "as good as it gets".

# %%
area, price = house_prices(n=100, noise=20.0, rng=0)
A = np.hstack([area, np.ones_like(area)])
best = np.linalg.lstsq(A, price, rcond=None)[0]
L_best = float(np.mean((A @ best - price) ** 2))
print(f"best possible loss (lstsq): {L_best:.2f}")


def line_model():
    """Dense(1, 1) starting at w = b = 0, so every run starts from the same point."""
    return Sequential([Dense(1, 1, init="zeros")])


# %% [markdown]
# ## Part 1: full batch, stochastic, mini-batch
#
# One epoch is one pass over the N examples. With batch_size=None the gradient is averaged
# over all N: one exact but expensive update per epoch. batch_size=1 updates after every
# example: N cheap, noisy updates per epoch. batch_size=16: N/16 updates of moderate noise.
# History.batch_loss holds the loss of every single update.

# %%
EPOCHS = 30
runs = {}
for label, batch_size in (("full batch", None), ("mini-batch 16", 16), ("SGD (batch 1)", 1)):
    model = line_model()
    history = model.fit(area, price, loss=MSE(), optimizer=SGD(0.1), epochs=EPOCHS,
                        batch_size=batch_size, verbose=0, rng=0)
    final = model.evaluate(area, price)["loss"] / L_best
    runs[label] = history
    print(f"{label:<14} updates {len(history.batch_loss):5d}   "
          f"final loss / best: {final:.4f}")

# %% [markdown]
# Per epoch, full batch is slowest: it made only 30 updates. SGD made 3000, but each one
# follows a single house, so it keeps jittering around the minimum (a constant learning rate
# never lets it settle). The mini-batch run is the usual compromise.

# %%
fig = Figure(figsize=(10, 3.5))
ax1, ax2 = fig.subplots(1, 2)
for label, h in runs.items():
    ax1.plot(np.arange(1, len(h.batch_loss) + 1), np.array(h.batch_loss) / L_best, label=label,
             lw=0.8)
    ax2.plot(np.arange(1, EPOCHS + 1), np.array(h.history["loss"]) / L_best, label=label)
for ax, xlabel in ((ax1, "update"), (ax2, "epoch")):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss / best")
    ax.legend(fontsize=8)
ax1.set_title("loss per update (batch_loss)")
ax2.set_title("mean loss per epoch")
save(fig, "03_batch_sizes.png")

# %% [markdown]
# ## Part 2: the learning rate
#
# For this quadratic loss, gradient descent is stable when lr < 2 / (largest curvature of
# the bowl), the largest eigenvalue of the Hessian 2/N * A.T @ A (printed below). Beyond it
# every step overshoots the valley by more than the last: the loss grows geometrically until
# it overflows, and fit raises TrainingDiverged, naming the epoch and batch.

# %%
H = 2.0 / len(A) * A.T @ A                                 # Hessian of the MSE in (w, b)
lr_limit = 2.0 / np.linalg.eigvalsh(H).max()
print(f"stability limit: lr < {lr_limit:.3f}")
lr_runs = {}
for lr, label in ((0.001, "too small"), (0.1, "good"), (1.0, "too large")):
    model = line_model()
    try:
        model.fit(area, price, loss=MSE(), optimizer=SGD(lr), epochs=300, batch_size=None,
                  verbose=0)                   # fit itself turns the overflow into one error
        final = model.evaluate(area, price)["loss"] / L_best
        print(f"lr {lr:<6} ({label}): final loss / best: {final:.4f}")
    except TrainingDiverged as err:
        print(f"lr {lr:<6} ({label}): diverged: {str(err).split(': ', 2)[-1][:60]}...")
    losses = np.array(model.history.batch_loss) / L_best
    lr_runs[f"lr {lr} ({label})"] = losses[losses < 1e100]     # the plot's range ends somewhere

fig = Figure(figsize=(5, 3.5))
ax = fig.add_subplot()
for label, losses in lr_runs.items():
    ax.plot(np.arange(1, len(losses) + 1), losses, label=label)
ax.set_yscale("log")
ax.set_xlabel("update")
ax.set_ylabel("loss / best")
ax.legend(fontsize=8)
save(fig, "03_learning_rates.png")

# %% [markdown]
# ## Part 3: optimizers on a neural network
#
# Three spiral arms, a 2-32-32-3 ReLU network, cross-entropy; the same initial weights and
# the same mini-batches for every optimizer. Formulas (g = gradient):
#     SGD:      w <- w - lr * g
#     Momentum: p <- beta * p + g;  w <- w - lr * p            (a running sum of gradients)
#     RMSprop:  s <- rho * s + (1 - rho) g²;  w <- w - lr * g / sqrt(s)   (per-weight step size)
#     Adam:     momentum and RMSprop together, with bias correction

# %%
x, y = spirals(n=300, k=3, noise=0.2, rng=0)
NET_EPOCHS = 30 if FAST else 200
optimizers = {"SGD": SGD(0.1), "Momentum": Momentum(0.1, beta=0.9),
              "RMSprop": RMSprop(0.01), "Adam": Adam(0.01)}
net_runs, net_final = {}, {}
for name, opt in optimizers.items():
    net = Sequential([Dense(2, 32, rng=0), ReLU(), Dense(32, 32, rng=1), ReLU(),
                      Dense(32, 3, rng=2)])
    h = net.fit(x, y, loss=CategoricalCrossEntropy(), optimizer=opt, epochs=NET_EPOCHS,
                batch_size=32, verbose=0, rng=0)
    result = net.evaluate(x, y)
    net_runs[name], net_final[name] = h, result["loss"]
    print(f"optimizer {name:<9} final loss: {result['loss']:.4f}   "
          f"accuracy: {result['accuracy']:.3f}")
print(f"Adam vs SGD final loss ratio: {net_final['Adam'] / net_final['SGD']:.3f}")

fig = Figure(figsize=(5, 3.5))
ax = fig.add_subplot()
for name, h in net_runs.items():
    ax.plot(np.arange(1, NET_EPOCHS + 1), h.history["loss"], label=name)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title(f"spirals, 2-32-32-3 ReLU net, {NET_EPOCHS} epochs")
ax.legend(fontsize=8)
save(fig, "03_optimizers.png")

# %% [markdown]
# ## Their paths on a loss surface
#
# Back to the two parameters (w, b) of the line. A callback records (w, b) after every
# update, and we draw the paths on the contours of the loss. Plain gradient descent zig-zags
# across the narrow valley; momentum builds up speed along it (and overshoots, then swings
# back). RMSprop and Adam divide each parameter's step by the size of its own recent
# gradients, so a step moves each parameter by about lr, whatever the gradient's scale: their
# lr is in the units of w and b (w must travel about 250 here), and a diagonal valley like
# this one, where w and b must move together, is no easier for them than for SGD.

# %%
PATH_STEPS = 300


def path_of(optimizer):
    """(w, b) before training and after every update of full-batch training: (T + 1, 2)."""
    model = line_model()
    dense = model.layers[0]
    points = [(0.0, 0.0)]
    record = LambdaCallback(on_batch_end=lambda batch, logs: points.append(
        (float(dense.params["W"][0, 0]), float(dense.params["b"][0]))))
    model.fit(area, price, loss=MSE(), optimizer=optimizer, epochs=PATH_STEPS,
              batch_size=None, verbose=0, callbacks=[record])
    return np.array(points)


def mse(w, b):
    return float(np.mean((w * area + b - price) ** 2))


paths = {"SGD lr 0.3": path_of(SGD(0.3)), "Momentum lr 0.05": path_of(Momentum(0.05)),
         "RMSprop lr 3": path_of(RMSprop(3.0)), "Adam lr 30": path_of(Adam(30.0))}
fig = plot_loss_surface(mse, (-50, 400), (-150, 250), resolution=60)
ax = fig.axes[0]
for (name, p), color in zip(paths.items(), ["white", "red", "orange", "cyan"]):
    ax.plot(p[:, 0], p[:, 1], "-", color=color, lw=1, label=name)
    dist = np.hypot(*(p[-1] - best[:, 0]))
    print(f"path {name:<17} distance to the best (w, b) after {PATH_STEPS} steps: {dist:.3g}")
ax.legend(fontsize=7, loc="upper right")
save(fig, "03_optimizer_paths.png")
