# %% [markdown]
# # 11 - Optimizers in depth: SGD, momentum, Nesterov, RMSprop, Adam, and learning-rate schedules
#
# After this lesson you can
# - write the update rule of SGD, momentum, Nesterov, RMSprop and Adam, and say what each
#   one keeps in memory between steps;
# - explain with numbers why plain gradient descent crawls along a ravine: its learning rate
#   is capped by the steepest direction, lr < 2 / (largest curvature);
# - predict how fast gradient descent and momentum close in on the minimum of a quadratic,
#   and check the prediction against a run;
# - give an optimizer a learning-rate schedule (step decay, exponential, cosine, warmup) and
#   tell when one is needed;
# - compare optimizers fairly on a real data set (the 8x8 digits).
#
# Why: the Curso-R deck ("Introduction to deep learning with R", slide "Variações") says that
# besides SGD the most used optimizers are SGD with momentum, Adam and RMSprop, and that none
# of them is far better than the others; the 2021 introduction deck says momentum reduces the
# zig-zags of SGD and allows a larger learning rate. Here we measure both claims instead of
# taking them on trust: first on a two-parameter "ravine", where every step can be drawn and
# computed by hand, then on the digits.
#
# Run: `python tutorials/11_optimizers.py` (SCRATCHNET_FAST=1 for a quick run). Figures go to
# tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from scratchnet import Sequential, lesson
from scratchnet.data import train_test_split
from scratchnet.datasets import load_digits
from scratchnet.layers import Dense, Layer, ReLU
from scratchnet.optimizers import (SGD, Adam, CosineDecay, ExponentialDecay, Momentum,
                                   Nesterov, RMSprop, StepDecay, Warmup)

EPOCHS = 10 if lesson.FAST else 40          # digits epochs; the ravine is the same in both modes

# %% [markdown]
# ## 1. A ravine, and why plain gradient descent crawls along it
#
# The loss f(w) = 0.5 (a w1² + b w2²) with a = 100 and b = 1 is a valley that is 100 times
# steeper across (w1) than along (w2). Its gradient is (a w1, b w2) and its minimum is w = 0.
# Real networks have such directions too: the curvatures of a loss surface (the eigenvalues
# of its Hessian) often span many decades.
#
# The optimizers of scratchnet update `layer.params` from `layer.grads`, so the ravine is a
# tiny Layer with one parameter w of shape (2,), whose gradient we write by hand.

# %%
A_CURV, B_CURV = 100.0, 1.0                 # curvatures across and along the valley
W0 = np.array([0.5, 5.0])                   # the start: 0.5 across, 5 along the valley
STEPS = 100


class Ravine(Layer):
    """f(w) = 0.5 * (a w1² + b w2²); w: (2,); grad() writes df/dw = (a w1, b w2)."""

    def __init__(self, w0):
        super().__init__("ravine")
        self._add_param("w", np.array(w0, dtype=np.float64))

    def grad(self) -> None:
        self.grads["w"][...] = np.array([A_CURV, B_CURV]) * self.params["w"]


def descend(optimizer, steps=STEPS, w0=W0) -> np.ndarray:
    """The path of `optimizer` on the ravine: w before the first step and after each, (steps + 1, 2)."""
    ravine = Ravine(w0)
    path = [ravine.params["w"].copy()]
    for _ in range(steps):
        ravine.grad()
        optimizer.step(ravine)
        path.append(ravine.params["w"].copy())
    return np.array(path)


def distance(path) -> np.ndarray:
    """Distance to the minimum w = 0 after each step, (steps + 1,)."""
    return np.linalg.norm(path, axis=1)


def ravine_loss(w1, w2):
    return 0.5 * (A_CURV * w1 ** 2 + B_CURV * w2 ** 2)


# %% [markdown]
# Gradient descent, w <- w - lr * g, multiplies each coordinate by its own factor at every
# step: w1 <- (1 - lr a) w1 and w2 <- (1 - lr b) w2. So after T steps
# w_i(T) = (1 - lr λ_i)^T w_i(0), with λ = (a, b). The steep coordinate blows up as soon as
# |1 - lr a| > 1, that is for lr > 2 / a = 0.02: the steepest direction caps the learning rate,
# and along the flat direction a step that small barely moves.

# %%
lr_limit = 2.0 / A_CURV
print(f"stability limit of gradient descent: lr < 2 / a = {lr_limit:.3g}")
for lr in (0.95 * lr_limit, 1.05 * lr_limit):
    d = distance(descend(SGD(lr)))
    verdict = "diverged" if d[-1] > d[0] else "converging"
    print(f"SGD lr {lr:.4f} ({lr / lr_limit:.2f} x the limit): distance after {STEPS} steps "
          f"{d[-1]:.3g} ({verdict})")

LR_SGD = 0.95 * lr_limit                    # as large as plain gradient descent can go
factors = np.abs(1 - LR_SGD * np.array([A_CURV, B_CURV]))
predicted = np.linalg.norm(W0 * (1 - LR_SGD * np.array([A_CURV, B_CURV])) ** STEPS)
measured = distance(descend(SGD(LR_SGD)))[-1]
print(f"SGD lr {LR_SGD:.4f}: factor per step across {factors[0]:.3f}, along {factors[1]:.4f}")
print(f"SGD distance after {STEPS} steps: predicted {predicted:.6g}, measured {measured:.6g}, "
      f"relative difference {abs(predicted - measured) / predicted:.1e}")

# %% [markdown]
# Across the valley, w1 flips sign at every step and shrinks by 0.9: the zig-zag. Along it,
# w2 shrinks by only 0.981 per step, so after 100 steps w2 is still 5 * 0.981^100 ≈ 0.74 from
# the minimum. The prediction matches the run to rounding error: for a quadratic, gradient
# descent holds no surprises.
#
# ## 2. Four optimizers with memory
#
# g is the gradient, lr the learning rate, t the step number (1, 2, ...):
#
#     Momentum:  p <- beta p + g;                  w <- w - lr p
#     Nesterov:  p <- beta p + g;                  w <- w - lr (g + beta p)
#     RMSprop:   s <- rho s + (1 - rho) g²;         w <- w - lr g / (sqrt(s) + eps)
#     Adam:      m <- beta1 m + (1 - beta1) g;      v <- beta2 v + (1 - beta2) g²
#                w <- w - lr m_hat / (sqrt(v_hat) + eps),   m_hat = m / (1 - beta1^t), v_hat likewise
#
# Momentum keeps a running sum p of past gradients: the zig-zag components of successive
# gradients cancel in it, while the steady push along the valley adds up, to about
# g / (1 - beta) = 10 g for beta = 0.9. Nesterov uses the velocity it is about to have.
# RMSprop and Adam divide each coordinate by the root-mean-square of its own recent
# gradients, so every coordinate moves by about lr per step, whatever its curvature; their lr
# is a distance in w, not a multiple of the gradient.

# %%
OPTIMIZERS = {                             # name -> (optimizer, colour, marker)
    "SGD lr 0.019": (SGD(LR_SGD), "#d62728", "o"),
    "Momentum lr 0.01, beta 0.9": (Momentum(0.01, beta=0.9), "#1f77b4", "s"),
    "Nesterov lr 0.01, beta 0.9": (Nesterov(0.01, beta=0.9), "#9467bd", "^"),
    "RMSprop lr 0.1": (RMSprop(0.1), "#ff7f0e", "D"),
    "Adam lr 0.1": (Adam(0.1), "#2ca02c", "v"),
}
paths = {name: descend(opt) for name, (opt, _, _) in OPTIMIZERS.items()}
for name, path in paths.items():
    print(f"{name:<27} distance to the minimum after {STEPS} steps: {distance(path)[-1]:.3g}")
d_sgd = distance(paths["SGD lr 0.019"])[-1]
for name in ("Momentum lr 0.01, beta 0.9", "Nesterov lr 0.01, beta 0.9"):
    print(f"{name.split()[0]} ends {d_sgd / distance(paths[name])[-1]:.0f} times closer than SGD")

# %%
fig = Figure(figsize=(14, 8.5), layout="constrained")
axes = fig.subplots(2, 3)
g1, g2 = np.meshgrid(np.linspace(-0.9, 0.9, 200), np.linspace(-1.5, 5.8, 200))
levels = np.geomspace(1e-2, 60, 14)         # log-spaced: the valley floor shows as well as the walls
for ax, (name, path) in zip(axes.flat, paths.items()):
    _, colour, marker = OPTIMIZERS[name]
    cs = ax.contour(g1, g2, ravine_loss(g1, g2), levels=levels, cmap="viridis", linewidths=0.8)
    # the path as a line collection plus scattered markers (a path in the (w1, w2) plane is
    # not a curve over time, so it stays on linear axes)
    ax.add_collection(LineCollection([path], colors=colour, linewidths=1.2))
    ax.scatter(path[::2, 0], path[::2, 1], color=colour, marker=marker, s=14, zorder=3,
               label=name)
    ax.scatter(*path[0], marker="o", s=90, facecolors="none", edgecolors="black",
               linewidths=1.5, zorder=4, label="start")
    ax.scatter(*path[-1], marker="*", s=220, color="gold", edgecolors="black", zorder=5,
               label=f"end (step {STEPS})")
    ax.scatter(0, 0, marker="+", s=120, color="black", linewidths=2, zorder=4, label="minimum")
    ax.set_xlim(-0.9, 0.9)
    ax.set_ylim(-1.5, 5.8)
    ax.set_title(f"{name}\ndistance at the end {distance(path)[-1]:.2g}", fontsize=9)
    ax.legend(fontsize=7, loc="lower left", framealpha=0.9)
ax = axes.flat[5]
for name, path in paths.items():
    _, colour, marker = OPTIMIZERS[name]
    ax.plot(np.arange(STEPS + 1), np.maximum(distance(path), 1e-12), color=colour,
            marker=marker, markevery=10, ms=5, label=name)
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel("distance to the minimum")
ax.set_title("distance to the minimum (log scale)", fontsize=9)
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
fig.colorbar(cs, ax=axes[0, :].tolist(), label="loss f(w): the contours of every panel\n"
             "(log-spaced levels)", format="%.2g")
for ax in axes.flat[:5]:
    ax.set_xlabel("w1 (steep: a = 100)")
    ax.set_ylabel("w2 (flat: b = 1)")
fig.suptitle("f(w) = 0.5 (100 w1² + w2²): 100 steps of each optimizer from w = (0.5, 5)")
lesson.save(fig, "11_ravine_paths.png")

# %% [markdown]
# SGD zig-zags across the valley and is still far up it. Momentum swings across the valley a
# few times and Nesterov once, but their velocity carries them down it. RMSprop and Adam head for the
# minimum diagonally at first (each coordinate moves by about lr), and then hover around it:
# they never quite settle, a point we come back to with schedules.
#
# ## 3. How much faster? Rates per step
#
# For a quadratic with curvatures between μ = b and L = a (condition number κ = L / μ = 100),
# theory gives the best factor by which the error can shrink per step:
#
#     gradient descent, lr = 2 / (L + μ):                       (κ - 1) / (κ + 1)
#     momentum, lr = 4 / (√L + √μ)², beta = ((√κ - 1) / (√κ + 1))²:   (√κ - 1) / (√κ + 1)
#
# (Polyak's heavy ball, which is our Momentum: p <- beta p + g, w <- w - lr p.) We measure
# the rate of each run as (d_100 / d_50)^(1/50), the mean factor over its last 50 steps.

# %%
kappa = A_CURV / B_CURV
theory_gd, theory_mom = (kappa - 1) / (kappa + 1), (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
lr_mom = 4 / (np.sqrt(A_CURV) + np.sqrt(B_CURV)) ** 2
beta_mom = theory_mom ** 2


def rate(path) -> float:
    d = distance(path)
    return float((d[STEPS] / d[STEPS // 2]) ** (1 / (STEPS - STEPS // 2)))


rate_gd = rate(descend(SGD(2 / (A_CURV + B_CURV))))
rate_mom = rate(descend(Momentum(lr_mom, beta=beta_mom)))
print(f"condition number kappa = {kappa:.0f}")
print(f"gradient descent, lr {2 / (A_CURV + B_CURV):.4f}: rate per step measured {rate_gd:.4f}, "
      f"theory {theory_gd:.4f}")
print(f"momentum, lr {lr_mom:.4f}, beta {beta_mom:.3f}: rate per step measured {rate_mom:.4f}, "
      f"theory {theory_mom:.4f}")
half = STEPS // 2                          # error ~ t r^t: the rate over steps 50..100 is
t_factor = (STEPS / half) ** (1 / half)     # r times (100 / 50)^(1/50)
print(f"theory with the factor t of a repeated root: {t_factor * theory_mom:.4f}")
print(f"steps to shrink the error 1000 times: gradient descent {np.log(1e-3) / np.log(rate_gd):.0f}, "
      f"momentum {np.log(1e-3) / np.log(rate_mom):.0f}")

# %% [markdown]
# The error of gradient descent shrinks by 2% per step, that of momentum by about 17%: with
# κ = 100, momentum needs roughly √κ = 10 times fewer steps. (Its measured rate is a little
# above the theory: at these settings the two roots of each coordinate's recursion coincide,
# so the error goes like t r^t rather than r^t; with that factor t the theory gives the
# measured rate to three digits.)
#
# ## 4. Learning-rate schedules
#
# An optimizer's lr may be a number or a schedule, a function t -> lr that the optimizer
# evaluates before every step (t = the number of steps taken so far). scratchnet has four,
# in scratchnet/optimizers.py:
#
#     StepDecay(lr, drop, every)         lr * drop^(t // every)                 a staircase
#     ExponentialDecay(lr, rate, every)  lr * rate^(t / every)                  smooth
#     CosineDecay(lr, steps, lr_min)     lr_min + (lr - lr_min)(1 + cos(π t / steps)) / 2
#     Warmup(after, steps)               a linear ramp up to `after`, then `after`
#
# For a rate per epoch instead of per step, scratchnet/callbacks.py has a
# LearningRateScheduler callback that sets optimizer.lr at the start of every epoch.

# %%
SCHED_STEPS = 200
schedules = {"constant 0.1": lambda t: 0.1,
             "StepDecay(0.1, drop=0.5, every=50)": StepDecay(0.1, drop=0.5, every=50),
             "ExponentialDecay(0.1, rate=0.01, every=200)": ExponentialDecay(0.1, 0.01, 200),
             "CosineDecay(0.1, steps=200)": CosineDecay(0.1, steps=SCHED_STEPS),
             "Warmup(CosineDecay(0.1, 180), steps=20)": Warmup(CosineDecay(0.1, 180), 20)}
for name, s in schedules.items():
    lrs = [s(t) for t in range(SCHED_STEPS)]
    print(f"schedule {name:<44} lr at t = 0, 100, 199: {lrs[0]:.4g}, {lrs[100]:.4g}, {lrs[199]:.4g}")

# %% [markdown]
# Why decay at all? RMSprop's step is about lr in size whatever the gradient, so with a
# constant lr it cannot settle closer to the minimum than a distance of the order of lr: near
# w = 0 it keeps overshooting. A rate that falls to 0 lets it land. Below, RMSprop runs 200
# steps on the ravine with each schedule; "last 20 steps" is the closest it got in its final
# 20 steps.

# %%
sched_paths = {}
for name, s in schedules.items():
    sched_paths[name] = path = descend(RMSprop(s), steps=SCHED_STEPS)
    d = distance(path)
    budget = sum(s(t) for t in range(SCHED_STEPS))
    print(f"RMSprop with {name:<44} distance after {SCHED_STEPS} steps {d[-1]:.3g}, "
          f"closest in the last 20 steps {d[-20:].min():.3g}, sum of lr {budget:.3g}")

# %%
fig = Figure(figsize=(12, 4))
ax1, ax2 = fig.subplots(1, 2)
styles = ["-", "--", "-.", ":", (0, (5, 1, 1, 1))]
colours = ["#7f7f7f", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
for (name, s), path, ls, c in zip(schedules.items(), sched_paths.values(), styles, colours):
    ax1.plot(np.arange(SCHED_STEPS), [s(t) for t in range(SCHED_STEPS)], ls=ls, color=c, lw=2,
             label=name)
    ax2.plot(np.arange(SCHED_STEPS + 1), np.maximum(distance(path), 1e-17), ls=ls, color=c,
             lw=1.5, label=name)
ax1.set_yscale("log")
ax1.set_xlabel("step t")
ax1.set_ylabel("learning rate (log scale)")
ax1.set_title("the schedules: lr(t)")
ax2.set_yscale("log")
ax2.set_xlabel("step")
ax2.set_ylabel("distance to the minimum")
ax2.set_title("RMSprop on the ravine with each schedule")
fig.tight_layout()
fig.legend(*ax1.get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.0),
           ncol=3, fontsize=8)
lesson.save(fig, "11_schedules.png")

# %% [markdown]
# With a constant rate RMSprop stalls a few hundredths from the minimum, where its steps of
# size ~lr keep overshooting. The cosine (with or without a warmup) brings the rate down to
# almost 0 and lands within rounding error of w = 0; the step decay, which ends at 0.0125,
# ends several times closer than the constant rate. The exponential decay, though, ends
# FARTHER away than the constant rate: its rate falls so early that the sum of all its
# steps (about 4.3, since each step moves w2 by about lr) is less than the distance of 5 that
# w2 has to travel, so it stops short. A schedule must leave the optimizer enough road
# before it brakes.
#
# ## 5. The digits: the same optimizers on a real network
#
# The UCI 8x8 digits (scratchnet.datasets.load_digits, 1,797 images), a 64-64-10 ReLU network,
# cross-entropy, mini-batches of 32; the same initial weights and the same batches for every
# optimizer. Mini-batch gradients are noisy, which the ravine's were not.

# %%
x, y = load_digits(flat=True)
x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.2, stratify=True, rng=0)
print(f"digits: {len(x_train)} to train on, {len(x_val)} to validate, {x.shape[1]} pixels each")

DIGIT_OPTIMIZERS = {                        # name -> (optimizer, colour, marker)
    "SGD lr 0.1": (SGD(0.1), "#d62728", "o"),
    "Momentum lr 0.01, beta 0.9": (Momentum(0.01, beta=0.9), "#17becf", "x"),
    "Momentum lr 0.05, beta 0.9": (Momentum(0.05, beta=0.9), "#1f77b4", "s"),
    "Nesterov lr 0.05, beta 0.9": (Nesterov(0.05, beta=0.9), "#9467bd", "^"),
    "RMSprop lr 0.001": (RMSprop(0.001), "#ff7f0e", "D"),
    "Adam lr 0.003": (Adam(0.003), "#2ca02c", "v"),
}
histories = {}
for name, (opt, _, _) in DIGIT_OPTIMIZERS.items():
    net = Sequential([Dense(64, 64, rng=0), ReLU(), Dense(64, 10, rng=1)])
    histories[name] = h = net.fit(x_train, y_train, loss="cce", optimizer=opt, epochs=EPOCHS,
                                  batch_size=32, validation_data=(x_val, y_val), verbose=0,
                                  rng=0)
    print(f"digits {name:<27} after {EPOCHS} epochs: training loss {h['loss'][-1]:.4f}, "
          f"validation accuracy {h['val_accuracy'][-1]:.3f}")

final = {name: h["loss"][-1] for name, h in histories.items()}
val_accs = [h["val_accuracy"][-1] for h in histories.values()]
print(f"Momentum(lr 0.01, beta 0.9) / SGD(lr 0.1), final training loss: "
      f"{final['Momentum lr 0.01, beta 0.9'] / final['SGD lr 0.1']:.3f}")
print(f"SGD(lr 0.1) / Momentum(lr 0.05, beta 0.9), final training loss: "
      f"{final['SGD lr 0.1'] / final['Momentum lr 0.05, beta 0.9']:.2f}")
print(f"validation accuracy: lowest {min(val_accs):.3f}, highest {max(val_accs):.3f}, "
      f"spread {max(val_accs) - min(val_accs):.3f}")

# %% [markdown]
# Two lessons. First, Momentum with lr 0.01 and beta 0.9 ends where SGD with lr 0.1 ends
# (their final losses agree within a few percent): on noisy mini-batches momentum's real step
# is lr / (1 - beta), so it is the same optimizer in disguise. Its gain comes when that
# effective step is larger than plain SGD could take, as with lr 0.05 (an effective 0.5),
# which reaches a training loss several times lower. Second, the validation accuracies of
# all six lie within a few points of each other, as the course says: once each has a
# sensible learning rate, the choice of optimizer matters less than the rate itself.

# %%
fig = Figure(figsize=(12, 4))
ax1, ax2 = fig.subplots(1, 2)
epochs = np.arange(1, EPOCHS + 1)
for name, h in histories.items():
    _, colour, marker = DIGIT_OPTIMIZERS[name]
    ax1.plot(epochs, h["loss"], color=colour, marker=marker, ms=4, label=name)
    ax2.plot(epochs, h["val_loss"], color=colour, marker=marker, ms=4, label=name)
for ax, what in ((ax1, "training loss"), (ax2, "validation loss")):
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(what + " (cross-entropy)")
    ax.set_title(f"digits, 64-64-10 ReLU: {what}")
fig.tight_layout()
fig.legend(*ax1.get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.0),
           ncol=3, fontsize=8)
lesson.save(fig, "11_digits_optimizers.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/optimizers.py`: `Optimizer.step` walks the trainable layers and calls
#   `_update(w, g, state)` once per parameter; each class's `_update` is the two or three
#   lines of its formula above, changing w in place. Look at how `_state` keeps one velocity
#   (Momentum), one `s` (RMSprop) or `m`, `v` (Adam) per parameter, and at the `lr` property:
#   a number, or a `Schedule` that `step` evaluates first (`_scheduled_lr`).
# - `scratchnet/optimizers.py`, the schedules: `StepDecay`, `ExponentialDecay`, `CosineDecay`
#   and `Warmup` each write only `_value(t)`; `Schedule.__call__` checks t.
# - `scratchnet/callbacks.py`: `LearningRateScheduler.on_epoch_begin`, the per-epoch
#   alternative, which writes a number into `optimizer.lr`.
#
# ## Exercises
# ### Exercise 1
# Write Momentum and Nesterov yourself, in plain NumPy, for the ravine: start from W0, keep a
# velocity p, and apply the two formulas of section 2 for 50 steps with lr 0.01 and beta 0.9.
# Check: your w after 50 steps matches scratchnet's `Momentum` and `Nesterov` (run with
# `descend(..., steps=50)`) to within 1e-12, for both.
#
# ### Exercise 2
# RMSprop's trick works per coordinate, so it depends on the axes. Rotate the ravine by 45
# degrees (the gradient becomes H w with H = R diag(a, b) Rᵀ, R the rotation matrix) and start
# from R @ W0, the same distance from the minimum. Run SGD(0.019) and
# RMSprop(CosineDecay(0.1, steps=200)) for 200 steps on both ravines. Check: SGD's final
# distance is the same on both (to 1e-9 relative), while RMSprop's final distance on the
# rotated ravine is more than 1000 times its distance on the aligned one.
#
# ### Exercise 3
# Write a schedule of your own: `InverseTimeDecay(lr, k)`, lr(t) = lr / (1 + k t), as a
# subclass of `scratchnet.optimizers.Schedule` that defines `_value(t)`. Check: its
# `values(5)` equal lr / (1 + k t) for t = 0..4 (to 1e-15), and RMSprop with
# InverseTimeDecay(0.1, 0.01) ends closer to the ravine's minimum after 200 steps than RMSprop
# with the constant rate 0.1.
#
# Solutions: tutorials/solutions/11_optimizers.py.
