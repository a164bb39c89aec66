# %% [markdown]
# # 02 - Linear regression by hand, then with scratchnet
#
# After this lesson you can
# - derive the gradient of the mean squared error of a line, set it to zero to get the normal
#   equations AᵀA θ = Aᵀy, and solve them;
# - write gradient descent for w and b by hand and get the same answer to 1e-6;
# - train the same model with scratchnet's Keras-style `fit` (Dense + MSE + SGD) and say why it
#   computes exactly what your loop computes;
# - compute the largest learning rate that converges, 2 / λ_max of the Hessian, and show what
#   happens just below and just above it.
#
# Why: every network is trained by the loop in this lesson (forward, loss, gradient, step).
# On a line we can also solve the problem exactly, so we can see precisely how far gradient
# descent is from the answer, how fast it gets there and why a learning rate 3% too large
# blows up. The example is the Curso-R deck's first one ("Introdução ao Deep Learning com R"):
# predict a house's price from its area. Section 2 is the course's exercise 01 (linear
# regression by hand); section 3 is its exercise 03 (the same regression through Keras's
# `fit`), done with scratchnet.
#
# Run: `python tutorials/02_linear_regression.py` (SCRATCHNET_FAST=1 for a quick run). Figures
# go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

from scratchnet import lesson
from scratchnet.datasets.toy import house_prices
from scratchnet.layers import Dense
from scratchnet.losses import MSE
from scratchnet.model import Sequential
from scratchnet.optimizers import SGD
from scratchnet.plot import plot_history, plot_loss_surface

STEPS = 400 if lesson.FAST else 2000     # gradient-descent steps (full batch: one per epoch)
LR = 0.3                                 # learning rate

# %% [markdown]
# ## The data
# area: (N, 1) in units of 100 m²; price: (N, 1) in thousands of euros.
# The data was made as price = 50 + 250 * area + noise, so we expect w ≈ 250 and b ≈ 50.

# %%
area, price = house_prices(n=100, noise=20.0, rng=0)
N = len(area)
print(f"data: {N} houses, area {area.min():.2f}..{area.max():.2f} (100 m²), "
      f"price {price.min():.0f}..{price.max():.0f} (k€)")


def mse(w, b):
    """L(w, b) = 1/N * sum_n (w * x_n + b - y_n)**2, the mean squared error."""
    return float(np.mean((w * area + b - price) ** 2))


# %% [markdown]
# ## 1. The exact answer: the normal equations
#
# Put the two parameters in one vector θ = (w, b) and the inputs in a matrix A = [area, 1]
# (N, 2), so that the predictions are A θ (N,). The loss is
#     L(θ) = 1/N ||A θ - y||²  = 1/N (A θ - y)ᵀ(A θ - y)
# and its gradient (the chain rule on a square: 2 (A θ - y) times d(A θ - y)/dθ = A) is
#     ∇L(θ) = 2/N Aᵀ(A θ - y).
# At the minimum of a bowl the gradient is zero:
#     2/N Aᵀ(A θ - y) = 0   ⇔   AᵀA θ = Aᵀy        (the normal equations: 2 equations, 2 unknowns)
# AᵀA is (2, 2), so we solve it with np.linalg.solve. np.linalg.lstsq solves the same problem
# more stably (by an SVD of A, never forming AᵀA); both must agree.

# %%
A = np.hstack([area, np.ones_like(area)])                 # (N, 2)
y = price[:, 0]                                           # (N,)
AtA, Aty = A.T @ A, A.T @ y
print(f"AᵀA = [[{AtA[0, 0]:.2f}, {AtA[0, 1]:.2f}], [{AtA[1, 0]:.2f}, {AtA[1, 1]:.2f}]]   "
      f"Aᵀy = [{Aty[0]:.1f}, {Aty[1]:.1f}]")
w_exact, b_exact = np.linalg.solve(AtA, Aty)
print(f"normal equations: w = {w_exact:.6f}   b = {b_exact:.6f}")
theta_lstsq, *_ = np.linalg.lstsq(A, y, rcond=None)
print(f"lstsq:            w = {theta_lstsq[0]:.6f}   b = {theta_lstsq[1]:.6f}")
print(f"normal equations vs lstsq: {np.abs(theta_lstsq - [w_exact, b_exact]).max():.2e}")
grad_at_exact = 2.0 / N * A.T @ (A @ [w_exact, b_exact] - y)
print(f"|gradient| at the solution: {np.abs(grad_at_exact).max():.2e}")
L_best = mse(w_exact, b_exact)

# %% [markdown]
# ## 2. Gradient descent by hand (the course's exercise 01)
#
# The same gradient, one parameter at a time. With the error e_n = w x_n + b - y_n:
#     dL/dw = 2/N Σ e_n * x_n      (the chain rule: dL/de_n = 2 e_n / N, de_n/dw = x_n)
#     dL/db = 2/N Σ e_n            (de_n/db = 1)
# (the course writes the same with (y_n - ŷ_n) = -e_n and a minus sign in front), and each step
# moves against the gradient:
#     w <- w - lr * dL/dw,   b <- b - lr * dL/db

# %%
w, b = 0.0, 0.0
path = [(w, b)]                                           # (w, b) after every step
for step in range(STEPS):
    e = w * area + b - price                              # (N, 1) errors
    dL_dw = 2.0 / N * np.sum(e * area)
    dL_db = 2.0 / N * np.sum(e)
    w = w - LR * dL_dw
    b = b - LR * dL_db
    path.append((w, b))
    if step in (0, 9, 99) or step == STEPS - 1:
        print(f"hand step {step + 1:5d}: loss {mse(w, b):12.4f}   w {w:10.4f}   b {b:10.4f}")
w_hand, b_hand = w, b
print(f"hand loop: w = {w_hand:.6f}   b = {b_hand:.6f}   ({STEPS} steps, lr {LR})")

# %% [markdown]
# ## 3. The same with scratchnet's `fit` (the course's exercise 03)
#
# The course does this step with Keras: a dense layer with one unit, the MSE loss, SGD and
# `fit`. scratchnet has the same four pieces. Dense(1, 1) computes y = x @ W + b with W (1, 1)
# and b (1,): the same line. MSE's backward gives dL/dy = 2/N * e, and Dense's backward turns it
# into dL/dW = x.T @ dL/dy (exactly 2/N Σ e_n x_n) and dL/db = the sum of dL/dy. SGD(lr) applies
# w <- w - lr * dL/dw. batch_size=None means full-batch gradient descent: one update per epoch,
# as in our loop, so the two must agree to rounding error.

# %%
model = Sequential([Dense(1, 1, init="zeros")])           # start at w = b = 0, as by hand
history = model.fit(area, price, loss=MSE(), optimizer=SGD(LR), epochs=STEPS, batch_size=None,
                    verbose=0)
w_fit = float(model.layers[0].params["W"][0, 0])
b_fit = float(model.layers[0].params["b"][0])
print(f"fit:       w = {w_fit:.6f}   b = {b_fit:.6f}")

diff_hand = max(abs(w_hand - w_exact), abs(b_hand - b_exact))
diff_fit = max(abs(w_fit - w_exact), abs(b_fit - b_exact))
diff_hand_fit = max(abs(w_hand - w_fit), abs(b_hand - b_fit))
print(f"max difference from the normal equations: hand {diff_hand:.2e}   fit {diff_fit:.2e}")
print(f"max difference hand vs fit: {diff_hand_fit:.2e}")
print(f"final loss: {mse(w_fit, b_fit):.4f} (normal equations: {L_best:.4f})")
print(f"price of a 120 m² house: {w_fit * 1.2 + b_fit:.1f} k€")

fig = Figure(figsize=(5.5, 4))
ax = fig.add_subplot()
ax.plot(area[:, 0], price[:, 0], "o", ms=4, alpha=0.6, label="houses")
xs = np.array([area.min(), area.max()])
ax.plot(xs, w_fit * xs + b_fit, "r-", label=f"fit: price = {w_fit:.1f} area + {b_fit:.1f}")
ax.set_xlabel("area (100 m²)")
ax.set_ylabel("price (k€)")
ax.set_title("the line that gradient descent found")
ax.legend(fontsize=8, loc="upper left")
lesson.save(fig, "02_fit.png")

# %% [markdown]
# ## How large may the learning rate be?
#
# The gradient is linear in θ, so the loss has one second derivative everywhere, the Hessian
#     H = ∇²L = 2/N AᵀA           (2, 2)
# (scratchnet's MSE is the mean over all N·1 outputs, exactly our 1/N). Subtract the minimum θ*
# from a gradient-descent step: because ∇L(θ) = H (θ - θ*),
#     θ_{k+1} - θ* = (I - lr H)(θ_k - θ*).
# Along an eigenvector of H with eigenvalue λ, the distance to θ* is multiplied by (1 - lr λ)
# at every step. It shrinks only if |1 - lr λ| < 1, that is 0 < lr < 2/λ, and that must hold for
# the largest eigenvalue: lr < 2/λ_max. The smallest eigenvalue sets the speed: its factor
# 1 - lr λ_min is the slowest.

# %%
H = 2.0 / N * AtA
eigenvalues = np.linalg.eigvalsh(H)                       # ascending
lr_limit = 2.0 / eigenvalues.max()
print(f"Hessian eigenvalues: {eigenvalues[0]:.4f} {eigenvalues[1]:.4f}   "
      f"condition number {eigenvalues[1] / eigenvalues[0]:.1f}")
print(f"stability limit: lr < 2 / λ_max = {lr_limit:.4f}")
factors = np.abs(1 - LR * eigenvalues)
print(f"lr {LR}: per-step factors |1 - lr λ| = {factors[0]:.4f} (slow) {factors[1]:.4f} (fast)")


def run_gd(lr, steps=300):
    """fit full-batch gradient descent from w = b = 0; returns (distance to θ* at the start,
    at the end, the last loss)."""
    net = Sequential([Dense(1, 1, init="zeros")])
    net.fit(area, price, loss=MSE(), optimizer=SGD(lr), epochs=steps, batch_size=None,
            verbose=0)
    theta = np.array([net.layers[0].params["W"][0, 0], net.layers[0].params["b"][0]])
    start = np.hypot(w_exact, b_exact)
    return start, float(np.hypot(*(theta - [w_exact, b_exact]))), mse(*theta)


for scale in (0.97, 1.03):
    lr = scale * lr_limit
    start, end, last = run_gd(lr)
    verdict = "converges" if end < start else "diverges"
    print(f"lr {lr:.4f} ({scale:.2f} x limit): distance to the minimum {start:.1f} -> {end:.3g} "
          f"after 300 steps, loss {last:.4g}: {verdict}")

# %% [markdown]
# The limit is sharp: 3% below it the distance shrinks to almost nothing, 3% above it
# (lr 0.370) the distance grows step after step, because the factor along the steep direction
# is |1 - 0.370 · λ_max| > 1. With 300 steps it has not overflowed yet; with more, `fit` would stop
# with TrainingDiverged (tutorial 03 shows it).

# %% [markdown]
# ## The loss surface and the path of gradient descent
#
# L(w, b) is a bowl (a quadratic) whose contours are ellipses with axes along the eigenvectors
# of H. The condition number printed above (the ratio of the eigenvalues) is the ratio of the
# curvatures: the bowl is long and thin, because area and the constant 1 are correlated (the
# area is never near 0), so w and b must move together. With lr = 0.3 the first steps cross the
# narrow valley, then the path crawls along its floor to the minimum (the red star), at the slow
# factor printed above per step. The learning curve on a log axis shows the same: the excess
# loss L - L* falls as a straight line, by the slow factor squared per step, until it reaches
# rounding error (after about 350 steps; the picture shows the first 400).

# %%
path = np.array(path)                                     # (STEPS + 1, 2)
fig = plot_loss_surface(mse, (-50, 400), (-150, 250), trajectory=path)
fig.axes[0].set_title(f"loss surface and {STEPS} steps of gradient descent, lr {LR}")
lesson.save(fig, "02_loss_surface.png")

excess = np.array(history.history["loss"]) - L_best
slope = (excess[150] / excess[50]) ** (1 / 100)
print(f"excess loss shrinks by {slope:.4f} per step (slow factor squared: {factors[0] ** 2:.4f})")
SHOWN = 400                                               # after that, only rounding error
fig = plot_history({"loss": history.history["loss"][:SHOWN], "loss - L*": excess[:SHOWN]},
                   logy=True)
fig.axes[0].set_title(f"loss per epoch, full batch, lr {LR}")
fig.axes[1].set_title("excess loss L - L*: a straight line on a log axis")
lesson.save(fig, "02_history.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/losses.py`: `MSE.forward` is `np.mean(e * e)` and `MSE.backward` returns
#   `2 * e / e.size`: the 2/N of our derivation.
# - `scratchnet/layers/dense.py`: `dense_backward` gives dW = x.T @ dy and
#   db = dy.sum(axis=0), the two sums of our hand loop, with the shapes written out.
# - `scratchnet/optimizers.py`: `SGD._update` is the one line w -= lr * g.
# - `scratchnet/model.py`: `Sequential.fit` and `_train_epoch`: forward, loss, backward, step,
#   and the checks that raise TrainingDiverged.
#
# ## Exercises
# First, write this lesson's backward yourself: fetch a skeleton with
# `python -m scratchnet.exercises get dense`, fill in its backward, and check it with
# `python -m scratchnet.exercises check dense.py` (a gradcheck, and a comparison with the
# library's own layer on the same parameters).
#
# ### Exercise 1
# Standardize the area, x_s = (area - mean) / std, and build A_s = [x_s, 1]. Compute the
# Hessian 2/N A_sᵀA_s, its eigenvalues and the learning-rate limit, then count the steps of the
# hand loop until both parameters are within 1e-6 of the normal equations' answer, at lr 0.3
# and at lr 0.5. Check: the condition number is 1 (to 1e-9), the limit is exactly 1, lr 0.3
# takes fewer than 30 steps (the raw area takes about 350), and lr 0.5 takes exactly one.
# Why one? (Hint: I - lr H.)
#
# ### Exercise 2
# Fit price = w1 · x_s + w2 · x_s² + b (standardized area x_s and its square) twice: with the
# normal equations (A = [x_s, x_s², 1]) and with scratchnet (Dense(2, 1), MSE, SGD, full batch,
# `fit`), with a learning rate below 2 / λ_max of its Hessian.
# Check: the two answers agree to 1e-4, and w2 is small (|w2| < 10 k€, the data are linear).
#
# ### Exercise 3
# Find the learning-rate limit by experiment: bisect on lr between 0.1 (converges) and 1.0
# (diverges), calling a run "diverged" when the distance to θ* after 300 steps is larger than
# at the start. Check: after 20 halvings your limit is within 1% of 2 / λ_max = 0.3594.
# (Solutions: tutorials/solutions/02_linear_regression.py)
