# %% [markdown]
# # 07 - Losses: what each one listens to
#
# After this lesson you can
# - write MSE, MAE and Huber and their derivatives, and say how hard each one pulls on a
#   prediction that is off by r;
# - predict, then measure, what a few outliers do to a line fitted under each loss;
# - explain why a sigmoid output is trained with cross-entropy and not with MSE: print the
#   gradient at a confidently wrong prediction under both, and watch both train.
#
# Why: the loss is the only thing the network is told about what "good" means, and backward
# starts from its derivative: dL/dy_pred is the push that every prediction gets. The Curso-R
# deck "Introduction to deep learning with R" lists the alternatives ("Outras funções de
# perda"): MAE "when you do not want to give outliers so much weight", Huber "a variant of MSE
# a little less sensitive to outliers", and, for a sigmoid output, cross-entropy instead of MSE
# because "the sigmoid saturates very fast". Here each of those sentences becomes a number.
#
# Run: `python tutorials/07_losses.py` (SCRATCHNET_FAST=1 for a quick run). Figures go to
# tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

import gradcheck
from scratchnet import lesson
from scratchnet.data import StandardScaler, train_test_split
from scratchnet.datasets import load_breast_cancer
from scratchnet.layers import Dense, Sigmoid
from scratchnet.losses import MAE, MSE, BinaryCrossEntropy, Huber
from scratchnet.model import Sequential
from scratchnet.optimizers import SGD, Adam

EPOCHS = 1000 if lesson.FAST else 3000    # full-batch Adam steps for each line fit

# %% [markdown]
# ## Three regression losses, and the push each one gives
# With the residual r = y_pred - y_true of one prediction:
#
# | loss  | per element h(r)                                          | derivative h'(r)       |
# |-------|-----------------------------------------------------------|------------------------|
# | MSE   | r^2                                                       | 2 r                    |
# | MAE   | abs(r)                                                    | sign(r)                |
# | Huber | r^2 / 2 if abs(r) <= delta, else delta (abs(r) - delta/2) | clip(r, -delta, delta) |
#
# Each library loss returns the mean over its M elements, so `backward()` is h'(r) / M. With
# one element (M = 1) it is h'(r) itself, which is how we read the curves off the library.
# The derivative is what matters for training: MSE pushes in proportion to the error, so a
# point 30 off pulls 60 times harder than a point off by 0.5; MAE pushes every point equally;
# Huber is MSE (halved) inside delta and, outside, delta times MAE minus a constant.

# %%
LOSSES = {"MSE": MSE(), "MAE": MAE(), "Huber (delta=1)": Huber(delta=1.0)}


def value_and_slope(loss, r):
    """h(r) and h'(r) of one element, read from the library loss (M = 1)."""
    value = loss.forward(np.array([r]), np.array([0.0]))
    return value, float(loss.backward()[0])


for r in (0.5, 3.0, 30.0):
    row = "  ".join(f"{name} {value_and_slope(loss, r)[1]:5.2f}" for name, loss in LOSSES.items())
    print(f"push h'(r) at r = {r:4.1f}:  {row}")

rng = np.random.default_rng(1)
for name, loss in LOSSES.items():
    y_true = rng.normal(size=(6, 1))
    y_pred = y_true + rng.choice([-1, 1], size=(6, 1)) * rng.uniform(0.2, 0.8, size=(6, 1))
    y_pred[:3] += np.sign(y_pred[:3] - y_true[:3]) * 2       # half the residuals beyond delta
    report = gradcheck.check_loss(loss, y_pred, y_true)
    print(f"gradcheck {name}: {report.status}, max error {report.max_err:.1e}")

# %% [markdown]
# The residuals in the gradcheck stay off the kinks (MAE at 0, Huber at +-delta), where the
# derivative jumps and a finite difference straddles two slopes.

# %%
residuals = np.linspace(-4, 4, 81)
fig = Figure(figsize=(10, 3.8))
panels = [fig.add_subplot(1, 2, k) for k in (1, 2)]
for name, loss in LOSSES.items():
    values, slopes = np.array([value_and_slope(loss, r) for r in residuals]).T
    panels[0].plot(residuals, values, label=name)
    panels[1].plot(residuals, slopes, label=name)
panels[0].set_title("loss of one prediction")
panels[0].set_ylabel("h(r)")
panels[0].legend(loc="upper center")
panels[1].set_title("its derivative: the push back")
panels[1].set_ylabel("h'(r) = dL/dy_pred (M = 1)")
panels[1].legend(loc="upper left")
for ax in panels:
    ax.set_xlabel("residual r = y_pred - y_true")
    ax.axhline(0, color="gray", lw=0.5)
fig.tight_layout()
lesson.save(fig, "07_losses_and_derivatives.png")

# %% [markdown]
# ## A line through data with outliers
# Fifty points on y = 2 x + 1 with noise of standard deviation 1, and five of them, all at
# x > 6, moved up by 30 (a sensor glitch, say). We fit y_pred = w x + b under each loss with
# the same model, Dense(1, 1), and the same optimizer, and print how far each slope lands
# from the true slope 2. As a yardstick: least squares on the 45 good points alone, the best
# one could do without knowing which points are bad.

# %%
TRUE_W, TRUE_B = 2.0, 1.0
rng = np.random.default_rng(0)
x = np.sort(rng.uniform(0, 10, 50))
y = TRUE_W * x + TRUE_B + rng.normal(0, 1, 50)
outliers = rng.choice(np.flatnonzero(x > 6), 5, replace=False)
y[outliers] += 30
good = np.setdiff1d(np.arange(50), outliers)
w_good = np.polyfit(x[good], y[good], 1)[0]
print(f"data: 50 points, outliers at x = {', '.join(f'{v:.1f}' for v in np.sort(x[outliers]))}")
print(f"least squares on the 45 good points: slope error {abs(w_good - TRUE_W):.3f}")

# %% [markdown]
# Before fitting, look at where the gradient comes from. At the true line, the five
# outliers have residuals near -30 and the rest are noise; what share of the total push
# sum |dL/dy_pred| do the five outliers supply under each loss?

# %%
for name, loss in LOSSES.items():
    loss.forward(TRUE_W * x + TRUE_B, y)
    push = np.abs(loss.backward())
    print(f"share of the push from the 5 outliers at the true line: {name} "
          f"{push[outliers].sum() / push.sum():.0%}")

# %%
fits = {}
for name, loss in LOSSES.items():
    line = Sequential([Dense(1, 1, init="zeros")])
    line.fit(x[:, None], y[:, None], loss=loss, optimizer=Adam(0.1), epochs=EPOCHS,
             batch_size=None, verbose=0)
    w, b = float(line[0].params["W"][0, 0]), float(line[0].params["b"][0])
    fits[name] = (w, b)
    print(f"{name}: slope {w:.3f}, intercept {b:.3f}, slope error {abs(w - TRUE_W):.3f}")
w_lstsq = np.polyfit(x, y, 1)[0]
print(f"MSE by gradient descent vs least squares on all points: slope difference "
      f"{abs(fits['MSE'][0] - w_lstsq):.1e}")
errors = {name: abs(w - TRUE_W) for name, (w, _) in fits.items()}
print(f"MSE's slope error is {errors['MSE'] / errors['Huber (delta=1)']:.1f}x Huber's "
      f"and {errors['MSE'] / errors['MAE']:.1f}x MAE's")

fig = Figure(figsize=(7.5, 4.5))
ax = fig.add_subplot(1, 1, 1)
ax.plot(x[good], y[good], "o", color="gray", ms=4, label="data")
ax.plot(x[outliers], y[outliers], "x", color="black", ms=8, label="outliers (+30)")
grid = np.array([0.0, 10.0])
ax.plot(grid, TRUE_W * grid + TRUE_B, ":", color="black", label="true line")
for name, (w, b) in fits.items():
    ax.plot(grid, w * grid + b, label=f"{name}: slope {w:.2f}")
ax.set_title("a line fitted under each loss")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(loc="upper left")
fig.tight_layout()
lesson.save(fig, "07_outliers.png")

# %% [markdown]
# MSE tilts the line towards the outliers: they supply most of its push. MAE and Huber hear
# each outlier no louder than any other point that is off by more than delta, so their lines
# stay near the good points, within about 0.1 of the true slope (least squares on the good
# points alone gets 0.04). Huber keeps MSE's shrinking push for small residuals (0.5 at
# r = 0.5, where MAE still pushes 1), so the fit can tell a point that is nearly right from
# one that is off by delta.
#
# ## Cross-entropy against MSE for a sigmoid output
# A yes/no classifier outputs p = sigmoid(z). Take a confidently wrong prediction: the true
# class is y = 1 but z = -6, so p = 0.0025. How hard does each loss push z back up?
#
#     cross-entropy from logits: dL/dz = p - y                (N = 1)
#     MSE on p:                  dL/dz = 2 (p - y) * p (1 - p)
#
# The second has the sigmoid's derivative p (1 - p) as a factor, and that is near 0 exactly
# when the sigmoid saturates, right or wrong. We read both off the library: the fused
# `BinaryCrossEntropy(from_logits=True)`, and a `Sigmoid` layer followed by `MSE`.

# %%


def push_on_logit(z, y=1.0):
    """|dL/dz| of one example under cross-entropy from logits and under MSE after a sigmoid."""
    bce = BinaryCrossEntropy(from_logits=True)
    bce.forward(np.array([[z]]), np.array([[y]]))
    sig, mse = Sigmoid(), MSE()
    mse.forward(sig.forward(np.array([[z]])), np.array([[y]]))
    return abs(float(bce.backward()[0, 0])), abs(float(sig.backward(mse.backward())[0, 0]))


for z in (0.0, -2.0, -6.0, -10.0):
    g_ce, g_mse = push_on_logit(z)
    print(f"y = 1, z = {z:5.1f} (p = {1 / (1 + np.exp(-z)):.1e}): |dL/dz| cross-entropy "
          f"{g_ce:.4f}, MSE {g_mse:.2e}, ratio {g_ce / g_mse:.0f}")

z_axis = np.linspace(-10, 10, 201)
pushes = np.array([push_on_logit(z) for z in z_axis])
fig = Figure(figsize=(6.5, 4))
ax = fig.add_subplot(1, 1, 1)
ax.semilogy(z_axis, pushes[:, 0], label="cross-entropy from logits")
ax.semilogy(z_axis, pushes[:, 1], "--", label="MSE after a sigmoid")
ax.axvspan(-10, 0, color="red", alpha=0.07)
ax.text(-9.5, 2e-6, "wrong side (true class 1)", fontsize=9)
ax.set_title("push on the logit of one example with y = 1")
ax.set_xlabel("logit z")
ax.set_ylabel("|dL/dz| (log scale)")
ax.legend(loc="lower right")
fig.tight_layout()
lesson.save(fig, "07_sigmoid_push.png")

# %% [markdown]
# At z = 0 the two differ by a factor 2, a matter of learning rate. At z = -6 the factor is
# about 200 and at z = -10 more than 10,000: with MSE the worst mistakes get almost no push.
# A larger learning rate cannot fix that, because it scales the push at every z alike: the
# MSE push at z = -10 stays more than 2,700 times smaller than at z = 0 (9.08e-05 against
# 2.50e-01).
#
# ## The same in training: logistic regression on the breast-cancer data
# A logistic model z = x W + b on the 30 standardized features of the bundled Wisconsin
# breast-cancer set. To start it confidently wrong, we first fit it, then flip the sign of W
# and b: every prediction points the wrong way, most of them by several units of z. From that
# start we train twice with full-batch SGD and the same learning rate: cross-entropy from
# logits, and MSE after a Sigmoid layer. Then again with a learning rate ten times larger.

# %%
features, labels = load_breast_cancer()
x_train, x_test, y_train, y_test = train_test_split(features, labels, test_size=0.25,
                                                    stratify=True, rng=0)
scaler = StandardScaler().fit(x_train)
x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
t_train = y_train[:, None].astype(np.float64)                     # (N, 1) targets 0 / 1

good_model = Sequential([Dense(30, 1, rng=0)])
good_model.fit(x_train, t_train, loss=BinaryCrossEntropy(from_logits=True), optimizer=Adam(0.01),
               epochs=200, batch_size=None, verbose=0)
W_good, b_good = good_model[0].params["W"].copy(), good_model[0].params["b"].copy()
z_start = -(x_train @ W_good + b_good)
print(f"flipped start: {np.mean((z_start > 0) != (t_train > 0.5)):.0%} of training predictions "
      f"wrong, median |z| {np.median(np.abs(z_start)):.1f}")

TRAIN_EPOCHS = 300
runs = {}
for lr in (0.1, 1.0):
    for name in ("cross-entropy", "MSE"):
        dense = Dense(30, 1, rng=0)
        dense.params["W"][...] = -W_good
        dense.params["b"][...] = -b_good
        if name == "cross-entropy":
            net, loss = Sequential([dense]), BinaryCrossEntropy(from_logits=True)
        else:
            net, loss = Sequential([dense, Sigmoid()]), MSE()
        history = net.fit(x_train, t_train, loss=loss, optimizer=SGD(lr), epochs=TRAIN_EPOCHS,
                          batch_size=None, verbose=0, metrics=["accuracy"])
        accuracy = np.array(history["accuracy"])
        runs[lr, name] = accuracy
        reached = np.flatnonzero(accuracy >= 0.9)
        when = f"at epoch {reached[0] + 1}" if reached.size else f"never in {TRAIN_EPOCHS} epochs"
        print(f"lr {lr}: {name}: 90% training accuracy {when}; "
              f"after {TRAIN_EPOCHS} epochs {accuracy[-1]:.3f}")

fig = Figure(figsize=(10, 3.8))
for k, lr in enumerate((0.1, 1.0)):
    ax = fig.add_subplot(1, 2, k + 1)
    epochs = np.arange(1, TRAIN_EPOCHS + 1)
    ax.plot(epochs, runs[lr, "cross-entropy"], label="cross-entropy from logits")
    ax.plot(epochs, runs[lr, "MSE"], "--", label="MSE after a sigmoid")
    ax.set_xscale("log")
    ax.set_title(f"from a flipped start, SGD lr = {lr}")
    ax.set_ylabel("training accuracy")
fig.supxlabel("epoch (log scale)")
fig.tight_layout()
fig.legend(*ax.get_legend_handles_labels(), loc="lower center", bbox_to_anchor=(0.5, 1.0),
           ncol=2)
lesson.save(fig, "07_sigmoid_training.png")

# %% [markdown]
# Note how `fit` counted accuracy: the cross-entropy model outputs logits, so `fit` thresholds
# them at 0 (`from_logits=True`); the MSE model outputs probabilities, thresholded at 0.5.
# Both runs climb out of the flipped start, but cross-entropy does it many times faster at
# either learning rate: its push on a wrong prediction stays near 1 whatever the margin.
#
# ## Read the source
# - `scratchnet/losses.py`: `MSE.backward` (2 e / M), `MAE.backward` (sign, with 0 at the kink),
#   `Huber.forward` and `.backward` (`np.clip(e, -delta, delta) / M`), and
#   `BinaryCrossEntropy`: the softplus form of the loss from logits and why its gradient is
#   simply (sigmoid(z) - y) / M.
# - `scratchnet/layers/activations.py`: `Sigmoid.backward`, the factor y (1 - y) that MSE
#   cannot escape.
# - `scratchnet/model.py`: `_metric_functions`, where `from_logits` picks the accuracy
#   threshold.
# - `gradcheck/checks.py`: `check_loss`, used above for every loss.
#
# ## Exercises
# ### Exercise 1
# Find the Huber delta that gives the best slope on the outlier data of this lesson: fit the
# line with delta in (0.1, 0.3, 1, 3, 10, 30) and print each slope error. Check: the best delta
# lies in [0.1, 1] with a slope error below 0.1, and with delta = 30 (larger than every
# residual) Huber gives MSE's slope to 1e-3. Why does a very large delta turn Huber into MSE?
#
# ### Exercise 2
# Derive dL/dz for MSE after a sigmoid, L = (sigmoid(z) - y)^2 for one example, and gradcheck
# your formula with `gradcheck.check_function`. Then find the logit z < 0 at which MSE pushes a
# y = 1 example hardest. Check: the gradcheck passes and z is within 0.01 of -log(2) = -0.693
# (where p = 1/3).
#
# ### Exercise 3
# Fit a single constant c (a model with no input, y_pred = c for every point) to the y values
# of the outlier data under MSE and under MAE, by gradient descent on c with the library's
# `backward`. Check: the MSE constant equals np.mean(y) within 1e-6 and the MAE constant is a
# median of y (at most as many points above it as below, within one point), the robust
# answer.
#
# Solutions: tutorials/solutions/07_losses.py
