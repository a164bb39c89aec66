# %% [markdown]
# # 18 - Gradient checking, walked through: plant a bug, find it, trust the fix
#
# After this lesson you can
# - check a hand-written backward with `gradcheck.check_layer` and read its Report: which
#   tensor is wrong, its worst elements, and the hint (a transposed matrix, a missing sum over
#   the batch, a lost factor of 2);
# - find a bug that no hint names, by comparing the local derivative with finite differences;
# - tell a wrong gradient from a badly chosen step with the error-against-step "V" curve
#   (`gradcheck.sweep_eps`);
# - explain why ReLU at 0 and ties in a max-pool are kinks, and why gradcheck counts them
#   apart from failures.
#
# Why: a wrong backward rarely crashes. Shapes fit, the loss goes down (we will watch it),
# and the model is just worse than it should be, for reasons nobody finds. The finite
# difference (f(x + h) - f(x - h)) / 2h needs no calculus, only two forwards, so it is the
# referee every hand-written backward in scratchnet answers to. CS231n's assignments work this
# way: the student writes a backward, then gradchecks it.
#
# Run: `python tutorials/18_gradient_checking.py` (SCRATCHNET_FAST=1 for a quick run). Figures
# go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

import gradcheck
from scratchnet import lesson
from scratchnet.layers import Dense, Layer, MaxPool2D, ReLU, Tanh, sigmoid
from scratchnet.losses import MSE
from scratchnet.model import Sequential
from scratchnet.optimizers import SGD

STEPS = 100 if lesson.FAST else 500             # training steps of the "a bug still trains" demo
rng = np.random.default_rng(0)


# %% [markdown]
# ## Layers with a bug planted in each
# `MyDense` is y = x @ W + b written the scratchnet way (forward caches x, backward fills
# `grads` and returns dx). Its `bug` argument plants one mistake that students really make:
#   "transpose"  dW = dy.T @ x  instead of  x.T @ dy  (same shape when W is square)
#   "mean"       db = dy.mean(axis=0)  instead of  dy.sum(axis=0)
# `Square` is y = x**2 with the 2 of 2x forgotten; `MySigmoid` uses x where the formula
# y * (1 - y) wants y.

# %%
class MyDense(Layer):
    """y = x @ W + b. x: (N, D), W: (D, M), b: (M,). bug: None, "transpose" or "mean"."""

    def __init__(self, d, m, bug=None, rng=0):
        super().__init__()
        r = np.random.default_rng(rng)
        self._add_param("W", r.normal(size=(d, m)) / np.sqrt(d))
        self._add_param("b", r.normal(size=m) * 0.1)
        self.bug = bug

    def forward(self, x):
        self._save(x=x)
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dy):
        """Right: dx = dy @ W.T (N, D), dW = x.T @ dy (D, M), db = dy.sum(axis=0) (M,)."""
        x = self._load()["x"]
        self.grads["W"] = dy.T @ x if self.bug == "transpose" else x.T @ dy
        self.grads["b"] = dy.mean(axis=0) if self.bug == "mean" else dy.sum(axis=0)
        return dy @ self.params["W"].T


class Square(Layer):
    """y = x**2, any shape. Right: dx = dy * 2x. Planted bug: dx = dy * x."""

    def forward(self, x):
        self._save(x=x)
        return x ** 2

    def backward(self, dy):
        return dy * self._load()["x"]


class MySigmoid(Layer):
    """y = sigmoid(x). Right: dx = dy * y * (1 - y). Planted bug: x where y belongs."""

    def forward(self, x):
        y = sigmoid(x)
        self._save(x=x, y=y)
        return y

    def backward(self, dy):
        x = self._load()["x"]
        return dy * x * (1 - x)


# %% [markdown]
# ## A bug does not stop training
# A tiny regression net with the "mean" bug in its first layer, trained by plain gradient
# descent: the loss falls all the same. db is just N times too small, so b learns slowly, and
# nothing in the loss curve says so.

# %%
x_demo = rng.normal(size=(64, 3))
y_demo = np.tanh(x_demo @ np.array([[1.0], [-2.0], [0.5]]) + 1.0)
buggy_net = Sequential([MyDense(3, 8, bug="mean", rng=1), Tanh(), MyDense(8, 1, rng=2)])
hist = buggy_net.fit(x_demo, y_demo, loss=MSE(), optimizer=SGD(0.1), epochs=STEPS,
                     batch_size=None, verbose=0)
print(f"with the planted bug the loss still falls: {hist['loss'][0]:.4f} -> {hist['loss'][-1]:.4f}")

# %% [markdown]
# ## What gradcheck computes
# For a layer it takes a random upstream gradient g (never ones: STYLE.md explains why) and
# the scalar L = sum(y * g), so dL/dy = g and the layer's backward(g) must return dL/dx. Each
# element of x and of every parameter is then moved by +h and -h, and
#     numeric = (L(+h) - L(-h)) / 2h,     error = |a - n| / (|a| + |n|)
# is compared with the analytic value a. Here is one such number by hand, for W[0, 1] of a
# correct layer, before letting `check_layer` do all of them.

# %%
x = rng.normal(size=(4, 3))                                  # a batch of 4: small is enough
layer = MyDense(3, 3)
g = np.random.default_rng(1).normal(size=(4, 3))             # the upstream gradient dL/dy
layer.forward(x)
layer.backward(g)
analytic = layer.grads["W"][0, 1]
h = gradcheck.DEFAULT_EPS                                    # cbrt(machine eps) ~ 6e-6
W = layer.params["W"]
W[0, 1] += h
L_plus = np.sum(layer.forward(x) * g)
W[0, 1] -= 2 * h
L_minus = np.sum(layer.forward(x) * g)
W[0, 1] += h                                                 # put it back
numeric = (L_plus - L_minus) / (2 * h)
print(f"dL/dW[0, 1] by hand: analytic {analytic:.10f}   numeric {numeric:.10f}   "
      f"error {abs(analytic - numeric) / (abs(analytic) + abs(numeric)):.1e}")

report = gradcheck.check_layer(MyDense(3, 3), x)
print(report)
print(f"correct MyDense: passed {report.passed}, max error {report.max_err:.1e}")
dense_report = gradcheck.check_layer(Dense(3, 3, rng=0), x)
print(f"scratchnet Dense: passed {dense_report.passed}, max error {dense_report.max_err:.1e}")

# %% [markdown]
# A correct backward agrees to about 1e-10: the remaining error is the finite difference's
# own (next section). Any real bug gives 1e-2 or more, so the default tolerance (rtol = 1e-5)
# sits far from both.
#
# ## Let gradcheck find the planted bugs
# The first report in full: read the table (which tensor fails), the hint, then the worst
# elements with their ratio analytic / numeric.

# %%
print(gradcheck.check_layer(MyDense(3, 3, bug="transpose"), x))

# %% [markdown]
# Every bug in one line: the failing tensor, how many of its elements are wrong, the largest
# error and the hints.

# %%
def failing(report):
    """(names of the failing tensors, wrong elements of the first, all its hints)."""
    bad = [r for r in report.rows if r.status != "ok"]
    wrong = f"{bad[0].n_bad} of {int(np.prod(bad[0].shape))}" if bad else "none"
    return [r.name for r in bad], wrong, (" | ".join(bad[0].hints) if bad and bad[0].hints
                                          else "no hint")


planted = {"transpose": MyDense(3, 3, bug="transpose"), "mean": MyDense(3, 3, bug="mean"),
           "square": Square(), "sigmoid": MySigmoid()}
for name, bad_layer in planted.items():
    r = gradcheck.check_layer(bad_layer, x)
    tensors, wrong, hints = failing(r)
    print(f"bug {name}: passed {r.passed}, failing {tensors} ({wrong} elements wrong), "
          f"max error {r.max_err:.2e}, hint: {hints}")

# %% [markdown]
# Read the hints against the bugs: the transposed dW is spotted as a transpose (and only 6 of
# its 9 elements are wrong: a transpose leaves the diagonal where it was); the mean is
# seen as a ratio of exactly 1/N = 0.25, and gradcheck's re-check with a batch of 1 (where a
# mean and a sum agree) passes; the forgotten 2 is a ratio of 0.5. The sigmoid bug has no
# constant ratio, so no hint: the report only says that every element of dx is wrong.
#
# ## A bug without a hint: compare the local derivative
# The sigmoid acts element by element, so its backward with dy = 1 is its local derivative
# dy/dx at each point (for this picture ones are fine, since nothing mixes the elements).
# Put it beside the central difference over a range of x: the shapes tell the story. The
# right formula lies on the numbers everywhere; the buggy one touches them near x = 0.5 only
# and leaves the picture on both sides (at x = -5 it is -30: the "largest gap" below).

# %%
grid = np.linspace(-5, 5, 201)
numeric_slope = gradcheck.numerical_gradient(lambda z: np.sum(sigmoid(z)), grid.copy())
buggy = MySigmoid()
buggy.forward(grid)
buggy_slope = buggy.backward(np.ones_like(grid))
s = sigmoid(grid)
right_slope = s * (1 - s)
at0 = np.argmin(np.abs(grid))
print(f"sigmoid slope at x = 0: numeric {numeric_slope[at0]:.4f}   buggy {buggy_slope[at0]:.4f}")
print(f"largest gap buggy vs numeric slope: {np.abs(buggy_slope - numeric_slope).max():.2f}   "
      f"y * (1 - y) vs numeric: {np.abs(right_slope - numeric_slope).max():.1e}")

fig = Figure(figsize=(7, 4.2))
ax = fig.add_subplot(1, 1, 1)
ax.plot(grid, numeric_slope, lw=4, alpha=0.4, color="C0", label="numeric (central difference)")
ax.plot(grid, right_slope, "--", color="C2", label="right: y * (1 - y)")
ax.plot(grid, buggy_slope, color="C3", label="planted bug: x * (1 - x)")
ax.set_ylim(-1.2, 0.5)
ax.set_xlabel("x")
ax.set_ylabel("dy/dx of y = sigmoid(x)")
ax.set_title("A backward without a hint: the local derivative beside the numbers")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
lesson.save(fig, "18_sigmoid_bug.png")

# %% [markdown]
# ## The V curve: is it the code or the step?
# The central difference has two errors. Truncation: (f(x+h) - f(x-h)) / 2h = f'(x) +
# h**2 f'''(x) / 6 + ..., large for a big h. Rounding: f is known to about machine epsilon
# (2.2e-16) times |f|, and dividing by 2h magnifies that, large for a tiny h. The sum is
# smallest near h ~ cbrt(eps) ~ 6e-6, gradcheck's default. `sweep_eps` measures the error
# for many steps and draws it on log-log axes: for a correct layer a V, for a wrong one a
# flat line far above it, whatever the step.

# %%
x_sweep = rng.normal(size=(3, 4))
fig = Figure(figsize=(12, 4.5))
axes = fig.subplots(1, 2, sharey=True)                       # one scale: the gap is the point
fig.subplots_adjust(wspace=0.25)
steps, err_ok, _ = gradcheck.sweep_eps(Tanh(), x_sweep, ax=axes[0])
_, err_bug, _ = gradcheck.sweep_eps(MySigmoid(), x_sweep, ax=axes[1])
axes[0].set_title("correct: scratchnet Tanh")
axes[1].set_title("planted bug: MySigmoid")
axes[0].set_ylim(1e-14, 10)                                  # room for the labels below the V
for ax in axes:
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.15), ncol=2)
fig.suptitle("Finite-difference error against the step h (dashed: the default step)")
lesson.save(fig, "18_eps_sweep.png")

best = int(np.argmin(err_ok))
default = int(np.argmin(np.abs(steps - gradcheck.DEFAULT_EPS)))
print(f"Tanh: error {err_ok[0]:.1e} at h = {steps[0]:.0e}, {err_ok[default]:.1e} at the default "
      f"h = {steps[default]:.1e}, {err_ok[-1]:.1e} at h = {steps[-1]:.0e}")
print(f"Tanh: smallest error {err_ok[best]:.1e} at h = {steps[best]:.0e}")
print(f"MySigmoid: smallest error over all steps {err_bug.min():.2f}")

# %% [markdown]
# On the left the error falls with slope 2 (truncation, ~h**2) as h shrinks, bottoms out near
# the default step, then rises with slope -1 (rounding, ~eps / h). On the right no step helps:
# that is a bug in the code. A check that fails only at some steps blames the step instead.
#
# ## Kinks: where there is no derivative
# ReLU has no derivative at exactly 0: the slope is 0 on the left and 1 on the right. Its
# backward uses 0 there (any value in [0, 1] is a valid subgradient). But the central
# difference straddles the corner and gives the average, 1/2. Zeros are common in practice
# (inputs that are exactly 0, images with black borders), so a naive check would fail a
# correct layer.

# %%
x_kink = rng.normal(size=(4, 5))
x_kink[x_kink < 0.2] = 0.0                                   # many exact zeros
g_kink = np.random.default_rng(0).normal(size=x_kink.shape)
relu = ReLU()
relu.forward(x_kink)
a_kink = relu.backward(g_kink)
n_kink = gradcheck.numerical_gradient(lambda z: np.sum(ReLU().forward(z) * g_kink), x_kink.copy())
naive_err = gradcheck.rel_error(a_kink, n_kink)
print(f"ReLU at {np.sum(x_kink == 0)} exact zeros of {x_kink.size}: a naive check fails "
      f"{np.sum(naive_err > gradcheck.RTOL)} elements (largest error {naive_err.max():.2f}; "
      f"numeric / dy at a zero = {n_kink[x_kink == 0][0] / g_kink[x_kink == 0][0]:.2f})")
relu_report = gradcheck.check_layer(ReLU(), x_kink, seed=0)
print(f"check_layer(ReLU): passed {relu_report.passed}, kinks counted {len(relu_report.kinks)}")

# %% [markdown]
# gradcheck also takes the one-sided differences (f(x+h) - f(x)) / h and (f(x) - f(x-h)) / h.
# At a kink they disagree, and an analytic value between them is accepted and counted as a
# kink, not as a pass of the plain test. A kink is no free pass: a ReLU whose mask is
# inverted (dy flows where x < 0) still fails, at the elements off the kinks. Moving the input
# off the kinks leaves none to count.

# %%
class InvertedReLU(ReLU):
    def backward(self, dy):
        x = self._load()["x"]
        return dy * (x < 0)


inv = gradcheck.check_layer(InvertedReLU(), x_kink)
print(f"check_layer(ReLU with the mask inverted): passed {inv.passed}, "
      f"bad elements {inv.rows[0].n_bad}, kinks {len(inv.kinks)}")
off = gradcheck.check_layer(ReLU(), x_kink + 0.01 * np.random.default_rng(2).normal(size=x_kink.shape))
print(f"check_layer(ReLU) off the kinks: passed {off.passed}, kinks {len(off.kinks)}")

# %% [markdown]
# Max-pooling has kinks too: where two values of a window tie for the maximum, the output
# follows whichever one rises, and does not move when one of them falls. Small integers tie
# often. scratchnet's MaxPool2D gives the whole dy to the first maximum (its docstring says
# so), a valid choice, and gradcheck counts the tied elements as kinks.

# %%
x_pool = np.random.default_rng(3).integers(0, 3, size=(2, 1, 4, 4)).astype(float)
pool_report = gradcheck.check_layer(MaxPool2D(2), x_pool)
windows = x_pool.reshape(2, 1, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(-1, 4)
ties = int(np.sum((windows == windows.max(axis=1, keepdims=True)).sum(axis=1) > 1))
print(f"check_layer(MaxPool2D) on integer input: {ties} of {len(windows)} windows tie, "
      f"passed {pool_report.passed}, kinks counted {len(pool_report.kinks)}")

# %% [markdown]
# A picture of the ReLU kink: the two one-sided slopes and the central difference's secant.

# %%
fig = Figure(figsize=(6, 4.2))
ax = fig.add_subplot(1, 1, 1)
t = np.linspace(-1, 1, 201)
hk = 0.5                                                     # a big step, to see the secants
ax.plot(t, np.maximum(t, 0), color="0.7", lw=6, label="relu(x)")
ax.plot([-hk, 0], [0, 0], "o-", color="C0", label="left slope 0")
ax.plot([0, hk], [0, hk], "o-", color="C1", label="right slope 1")
ax.plot([-hk, hk], [0, hk], "s--", color="C3", label="central difference: slope 1/2")
ax.set_xlabel("x")
ax.set_ylabel("relu(x)")
ax.set_title("A kink: the central difference averages the two slopes")
ax.legend(loc="upper left")
lesson.save(fig, "18_kinks.png")

# %% [markdown]
# ## A check of nothing must not pass
# With an empty batch every gradient is empty on both sides, and every comparison would
# "agree". Every gradcheck entry point refuses it.

# %%
for name, call in (("check_layer", lambda: gradcheck.check_layer(Tanh(), np.zeros((0, 3)))),
                   ("sweep_eps", lambda: gradcheck.sweep_eps(Tanh(), np.zeros((0, 3))))):
    try:
        call()
        print(f"{name} on x of shape (0, 3): no error")
    except ValueError as exc:
        print(f"{name} on x of shape (0, 3): ValueError ({str(exc)[:60]}...)")

# %% [markdown]
# ## Read the source
# - `gradcheck/checks.py`: `check_layer` builds L = sum(y * g) with a random g; `_structural`
#   runs the checks before any number (shapes, inputs untouched, backward linear in dy, same
#   seed same result); `_batch_probe` re-checks with a batch of 1 (the "mean" hint above).
# - `gradcheck/numeric.py`: `finite_differences` (the central difference and the two one-sided
#   ones, with h = eps * max(1, |x|)), `DEFAULT_EPS`, and `has_kink`.
# - `gradcheck/report.py`: `rel_error`, `compare` (the kink band between the one-sided slopes)
#   and `hints` (transpose, a missing path, ratios 2, -1, N).
# - `gradcheck/sweep.py`: `sweep_eps` and the truncation/rounding formula in its docstring.
# - `scratchnet/layers/dense.py`: `dense_backward`, the right version of MyDense; and
#   `scratchnet/layers/activations.py`: `Sigmoid.backward` (y * (1 - y)) and `ReLU.backward`
#   (the subgradient 0 at 0).
#
# ## Exercises
# ### Exercise 1
# `Softplus` below has a planted bug. Run `gradcheck.check_layer(Softplus(), x)` on a random
# (4, 3) batch, read the report, and fix the backward. Check: the report passes with a max
# error below 1e-7.
#
#     class Softplus(Layer):                 # y = log(1 + exp(x))
#         def forward(self, x):
#             self._save(x=x)
#             return np.logaddexp(0, x)
#         def backward(self, dy):
#             return dy / (1 + np.exp(self._load()["x"]))
#
# ### Exercise 2
# Why does gradcheck work in float64? Write `Tanh32`, a tanh whose forward computes in float32
# (`np.tanh(x.astype(np.float32))`, returned as float64), and run `sweep_eps` on it. Check: its
# best step is 1e-4 or larger (near cbrt(float32 eps) ~ 5e-3) and even there the error stays
# above 1e-6, so `check_layer` at rtol = 1e-5 fails it although its backward is right.
#
# ### Exercise 3
# Write `RowMax`, y = x.max(axis=1, keepdims=True) for x (N, D), whose backward gives dy to
# the first maximum of each row (np.argmax). Check it on integer input with ties,
# `rng.integers(0, 3, size=(5, 4))`. Check: the report passes and counts at least one kink.
# (solutions: tutorials/solutions/18_gradient_checking.py)
