# %% [markdown]
# # 03 - Gradient descent: batch sizes, learning rates, optimizers
#
# After this lesson you can
# - write mini-batch SGD by hand (shuffle, slice, average the gradient over the batch) and get
#   exactly what `fit(batch_size=16)` gets;
# - say what the batch size trades: exact but few updates (full batch) against many noisy ones
#   (one example), and why a constant learning rate leaves SGD jittering;
# - pick a learning rate from the stability limit, and read the TrainingDiverged error that
#   `fit` raises when the rate is too large;
# - compare SGD, Momentum, RMSprop and Adam on a network and on the two-parameter loss surface.
#
# Why: every model in the rest of the course is trained by one of these loops, and most
# training failures are a learning rate or a batch size away from working. On the house-price
# line of tutorial 02 we know the exact answer, so we can measure every variant against it.
# The section "Mini-batch SGD by hand" is the Curso-R deck's exercise 02 ("mini-batch SGD");
# its slides on SGD, mini-batches and the optimizer variants are parts 1 and 3.
#
# Part 1: how many examples per update? Full-batch gradient descent (all N), stochastic
#         gradient descent (one example) and mini-batch SGD (a few), on the same budget of
#         epochs, looked at per update and per epoch.
# Part 2: the learning rate: too small crawls, a good one converges, too large diverges
#         (and `fit` stops with TrainingDiverged instead of printing nan forever).
# Part 3: SGD, Momentum, RMSprop and Adam on the same neural network and data, and their
#         paths on the loss surface of a two-parameter model.
#
# Run: `python tutorials/03_gradient_descent_variants.py` (SCRATCHNET_FAST=1 for a quick run).
# Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure

from scratchnet import lesson
from scratchnet.callbacks import LambdaCallback
from scratchnet.datasets import house_prices, spirals
from scratchnet.layers import Dense, ReLU
from scratchnet.losses import MSE, CategoricalCrossEntropy
from scratchnet.model import Sequential, TrainingDiverged
from scratchnet.optimizers import SGD, Adam, Momentum, RMSprop
from scratchnet.plot import plot_loss_surface


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
# ## Mini-batch SGD by hand (the course's exercise 02)
#
# Each epoch: shuffle the N examples, cut them into batches of B, and for each batch take one
# step with the gradient of the loss on that batch alone, the mean over its B examples:
#     e = x_b @ W + b - y_b               (B, 1)    errors on this batch
#     dL/dy = 2 e / B                      (B, 1)    MSE's backward on B elements
#     dL/dW = x_bᵀ @ dL/dy,  dL/db = Σ dL/dy        Dense's backward
#     W <- W - lr dL/dW,  b <- b - lr dL/db
# The last batch of an epoch may be smaller (100 = 6 · 16 + 4). `fit(batch_size=16, rng=0)`
# shuffles with np.random.default_rng(0), one permutation per epoch; use the same generator
# and the two must agree to the last bit.

# %%
EPOCHS, B, LR = 30, 16, 0.1
rng = np.random.default_rng(0)
W, b = np.zeros((1, 1)), np.zeros(1)
hand_updates = 0
for epoch in range(EPOCHS):
    order = rng.permutation(len(area))
    for start in range(0, len(area), B):
        idx = order[start:start + B]
        x_b, y_b = area[idx], price[idx]                      # (B, 1) each
        e = x_b @ W + b - y_b
        dy = 2 * e / e.size
        W, b = W - LR * (x_b.T @ dy), b - LR * dy.sum(axis=0)
        hand_updates += 1
model = line_model()
model.fit(area, price, loss=MSE(), optimizer=SGD(LR), epochs=EPOCHS, batch_size=B, verbose=0,
          rng=0)
dense = model.layers[0]
diff = max(abs(W[0, 0] - dense.params["W"][0, 0]), abs(b[0] - dense.params["b"][0]))
print(f"mini-batch SGD by hand: w = {W[0, 0]:.4f}  b = {b[0]:.4f}  ({hand_updates} updates)")
print(f"max difference hand vs fit(batch_size={B}): {diff:.2e}")

# %% [markdown]
# ## Part 1: full batch, stochastic, mini-batch
#
# One epoch is one pass over the N examples. With batch_size=None the gradient is averaged
# over all N: one exact but expensive update per epoch. batch_size=1 updates after every
# example: N cheap, noisy updates per epoch. batch_size=16: N/16 updates of moderate noise.
# History.batch_loss holds the loss of every single update.

# %%
runs = {}
for label, batch_size in (("full batch", None), ("mini-batch 16", 16), ("SGD (batch 1)", 1)):
    model = line_model()
    history = model.fit(area, price, loss=MSE(), optimizer=SGD(LR), epochs=EPOCHS,
                        batch_size=batch_size, verbose=0, rng=0)
    final = model.evaluate(area, price)["loss"] / L_best
    runs[label] = history
    print(f"{label:<14} updates {len(history.batch_loss):5d}   "
          f"final loss / best: {final:.4f}")
for label, h in runs.items():
    last = np.array(h.history["loss"][-10:]) / L_best
    print(f"{label:<14} epoch loss / best over the last 10 epochs: {last.min():.4f} .. "
          f"{last.max():.4f}")

# %% [markdown]
# Per epoch, full batch is slowest: it made only 30 updates. SGD made 3000, but each one
# follows a single house, so it keeps jittering around the minimum (a constant learning rate
# never lets it settle: its epoch loss still jumps up and down over the last 10 epochs). The
# mini-batch run is the usual compromise, and ends closest to the best line. In the left
# panel, the loss of one update of SGD is the loss on one house: it swings over decades (drawn
# faintly, behind the others); the right panel averages each epoch.

# %%
fig = Figure(figsize=(11, 3.8))
ax1, ax2 = fig.subplots(1, 2)
styles = {"full batch": dict(lw=1.5, zorder=3), "mini-batch 16": dict(lw=1.2, zorder=2),
          "SGD (batch 1)": dict(lw=0.5, alpha=0.45, zorder=1)}
for label, h in runs.items():
    ax1.plot(np.arange(1, len(h.batch_loss) + 1), np.array(h.batch_loss) / L_best, label=label,
             **styles[label])
    ax2.plot(np.arange(1, EPOCHS + 1), np.array(h.history["loss"]) / L_best, label=label)
for ax, xlabel in ((ax1, "update"), (ax2, "epoch")):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss / best")
fig.legend(*ax2.get_legend_handles_labels(), fontsize=8, loc="upper left",
           bbox_to_anchor=(0.91, 0.88))
fig.subplots_adjust(right=0.9)
ax1.set_title("loss per update (batch_loss)")
ax2.set_title("mean loss per epoch")
lesson.save(fig, "03_batch_sizes.png")

# %% [markdown]
# ## Part 2: the learning rate
#
# For this quadratic loss, full-batch gradient descent is stable when lr < 2 / λ_max, the
# largest eigenvalue of the Hessian 2/N AᵀA (tutorial 02 derives it and tests it at 0.97 and
# 1.03 times the limit). Beyond it every step overshoots the valley by more than the last: the
# loss grows geometrically until it overflows, and `fit` raises TrainingDiverged, naming the
# epoch and batch and saying what to try. We print its message whole: the hint at the end is
# the useful part.

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
        print(f"lr {lr:<6} ({label}, {lr / lr_limit:.1f} x the limit): diverged; "
              f"TrainingDiverged says:\n    {err}")
    losses = np.array(model.history.batch_loss) / L_best
    lr_runs[f"lr {lr} ({label})"] = losses[np.isfinite(losses)]
print(f"lr 1.0: last finite loss / best: {lr_runs['lr 1.0 (too large)'][-1]:.3g} after "
      f"{len(lr_runs['lr 1.0 (too large)'])} updates")

# %% [markdown]
# The diverging run climbs through about 300 decades before it overflows, so it gets a panel
# of its own (drawn up to 1e280); on a shared axis it would squash the other two into a flat
# line.

# %%
fig = Figure(figsize=(11, 3.8))
ax1, ax2 = fig.subplots(1, 2)
for label, losses in lr_runs.items():
    ax = ax2 if "too large" in label else ax1
    shown = losses < 1e280                 # near float64's top (1.8e308) ticks overflow
    ax.plot(np.arange(1, len(losses) + 1)[shown], losses[shown], label=label,
            color="tab:red" if ax is ax2 else None)
for ax, title in ((ax1, "below the limit: slow and good"),
                  (ax2, f"above the limit ({1.0 / lr_limit:.1f} x): divergence")):
    ax.set_yscale("log")
    ax.set_xlabel("update (full batch: one per epoch)")
    ax.set_ylabel("loss / best")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper right" if ax is ax1 else "upper left")
ax2.set_ylim(0.1, 1e290)
ax2.set_yticks(10.0 ** np.arange(0, 300, 50))           # fixed ticks: the automatic ones
ax2.minorticks_off()                                   # overflow near float64's top
lesson.save(fig, "03_learning_rates.png")

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
NET_EPOCHS = 30 if lesson.FAST else 200
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

# %% [markdown]
# On the network, where each weight's gradient has its own scale, Adam ends with a fraction of
# SGD's loss after the same epochs and the same batches (the ratio above), and RMSprop is
# close to Adam. The curves are per-epoch means of noisy mini-batch losses, so they jitter.

# %%

fig = Figure(figsize=(5, 3.5))
ax = fig.add_subplot()
for name, h in net_runs.items():
    ax.plot(np.arange(1, NET_EPOCHS + 1), h.history["loss"], label=name)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title(f"spirals, 2-32-32-3 ReLU net, {NET_EPOCHS} epochs")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
lesson.save(fig, "03_optimizers.png")

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
distances = {}
for name, p in paths.items():
    distances[name] = np.hypot(*(p[-1] - best[:, 0]))
    first = np.abs(p[1] - p[0])
    print(f"path {name:<17} first step |dw| {first[0]:7.2f} |db| {first[1]:7.2f}   "
          f"distance to the best (w, b) after {PATH_STEPS} steps: {distances[name]:.3g}")

# %% [markdown]
# Adam's first step is exactly lr in each parameter (its bias-corrected m / sqrt(v) is the sign
# of the gradient), however steep the slope. One panel per optimizer, so that no path hides
# another; each path is white with a black edge, the circle is the start (0, 0), the small
# square is where it is after 300 steps and the red star is the best line (a square on the
# star: the path got there). SGD, with the lr that tutorial 02 chose from the Hessian, ends
# closest of the four: per-parameter step sizes do not help on a diagonal valley.

# %%
fig = Figure(figsize=(11, 8.5))
outline = [patheffects.Stroke(linewidth=2.6, foreground="black"), patheffects.Normal()]
for ax, (name, p) in zip(fig.subplots(2, 2).ravel(), paths.items()):
    plot_loss_surface(mse, (-50, 400), (-150, 250), resolution=60, ax=ax)
    ax.plot(p[:, 0], p[:, 1], "-", color="white", lw=1.3, path_effects=outline, label="path")
    ax.plot(*p[0], "o", color="white", mec="black", ms=8, label="start (0, 0)")
    ax.plot(*best[:, 0], "*", color="red", mec="black", ms=16, label="best (lstsq)")
    ax.plot(*p[-1], "s", color="orange", mec="black", ms=6,
            label=f"after {PATH_STEPS} steps")
    ax.set_title(f"{name}: {distances[name]:.2g} from the best")
    ax.set_xlabel("")
    ax.set_ylabel("")
handles, labels = fig.axes[0].get_legend_handles_labels()
order = [labels.index(k) for k in ("path", "start (0, 0)", f"after {PATH_STEPS} steps",
                                   "best (lstsq)")]
handles, labels = [handles[i] for i in order], [labels[i] for i in order]
fig.legend(handles, labels, loc="lower center", ncol=4, bbox_to_anchor=(0.5, -0.01))
fig.supxlabel("w", y=0.04)
fig.supylabel("b")
fig.subplots_adjust(bottom=0.12, hspace=0.3, wspace=0.4)
lesson.save(fig, "03_optimizer_paths.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/model.py`: `Sequential._train_epoch` is our hand loop (the permutation from
#   rng, the slices from `_batches`, forward, loss, backward, `optimizer.step`) plus the checks
#   that raise TrainingDiverged; `_diverged` writes the message printed above.
# - `scratchnet/optimizers.py`: `SGD._update`, `Momentum._update` (p <- beta p + g),
#   `RMSprop` and `Adam` (the bias correction that makes Adam's first step exactly lr).
# - `scratchnet/callbacks.py`: `LambdaCallback`, used above to record the path and in the
#   exercises to change the learning rate during training.
#
# ## Exercises
# ### Exercise 1
# SGD with batch 1 and a constant lr 0.1 ends at loss / best ≈ 1.18 after 30 epochs (Part 1).
# Make the learning rate decay: after every epoch set lr = 0.1 / (1 + epochs_done / 2), with a
# LambdaCallback(on_epoch_end=...) that changes `optimizer.lr`. Same data, rng=0, 30 epochs.
# Check: the final loss / best is below 1.01.
#
# ### Exercise 2
# Momentum has its own stability limit. For a quadratic with curvature λ, the heavy ball
# p <- beta p + g, w <- w - lr p is stable when lr λ < 2 (1 + beta), so for beta = 0.9 the
# limit is 3.8 / λ_max instead of 2 / λ_max. Find it by experiment: bisect on lr between 0.1
# and 2.0 with Momentum(lr, beta=0.9), full batch, 300 epochs, calling a run diverged when fit
# raises TrainingDiverged or ends farther from the best (w, b) than it started.
# Check: your limit is within 2% of 3.8 / λ_max ≈ 0.683.
# (Solutions: tutorials/solutions/03_gradient_descent_variants.py)
