# %% [markdown]
# # 05 - Logistic regression two ways: gradient descent and Fisher scoring
#
# After this lesson you can
# - fit a logistic regression by gradient descent on binary cross-entropy (one `Dense(k, 1)`
#   layer and `BinaryCrossEntropy(from_logits=True)`), and by Fisher scoring (IRLS), the
#   statistician's way, in a few lines of NumPy: beta <- (X^T W X)^-1 X^T W z;
# - say when the maximum-likelihood coefficients exist, and recognise when they do not (the
#   coefficients keep growing);
# - show that the deviance is twice a Kullback-Leibler divergence, and check by finite
#   differences that the gradient of the cross-entropy is dE/dw = -(t - y) x.
#
# Why: a logistic regression is a neural network with one layer and a sigmoid, so everything
# a network does (a loss, its gradient, gradient descent) can be held against a model that
# statistics solved decades ago. Both fields minimise the same function and must reach the same
# numbers; what differs is the road. Gradient descent takes thousands of cheap steps, Fisher
# scoring a handful of expensive ones; networks use the first because the second needs the
# curvature of every parameter against every other.
#
# This lesson follows the course deck "Deep Learning com o {torch}" (UFPR, 2021): logistic
# regression as a generalized linear model (GLM), its deviance as 2 KL, and Fisher scoring
# against gradient descent.
#
# Run: `python tutorials/05_logistic_regression.py` (SCRATCHNET_FAST=1 for a quick run).
# Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

import gradcheck
from scratchnet import lesson
from scratchnet.callbacks import LambdaCallback
from scratchnet.data import StandardScaler
from scratchnet.datasets import load_breast_cancer
from scratchnet.layers import Dense
from scratchnet.layers.activations import sigmoid
from scratchnet.losses import BinaryCrossEntropy, KLDivergence
from scratchnet.model import Sequential
from scratchnet.optimizers import SGD

GD_EPOCHS = 3000 if lesson.FAST else 10000      # gradient-descent steps, 4 features
RUNOFF_EPOCHS = 3000 if lesson.FAST else 30000  # gradient-descent steps, all 30 features

# %% [markdown]
# ## The data and the model
#
# 569 breast tumours, 30 measurements of their cell nuclei each; t = 1 for benign, 0 for
# malignant. The features are on very different scales, so we standardize each one (mean 0,
# standard deviation 1): then every coefficient is "per standard deviation of that feature".
#
# The model: for a row x (with a leading 1 for the intercept) the probability of benign is
#     y = sigmoid(eta),   eta = x^T beta      (eta: the linear predictor, or logit)
# The likelihood of the data is prod_n y_n^t_n (1 - y_n)^(1 - t_n); its negative log is the
# cross-entropy E(beta) = -sum_n [t_n log y_n + (1 - t_n) log(1 - y_n)]. Maximum likelihood
# means: minimise E. In network terms: `Dense(k, 1)` computes eta, and
# `BinaryCrossEntropy(from_logits=True)` computes E / N from eta.

# %%
x_raw, t_int, features, classes = load_breast_cancer(return_names=True)
x_all = StandardScaler().fit(x_raw).transform(x_raw)        # (569, 30), standardized
t = t_int.astype(np.float64)                                # (569,), 1 = benign
N = len(t)
print(f"data: {N} tumours, {x_all.shape[1]} features, {int(t.sum())} {classes[1]}, "
      f"{int(N - t.sum())} {classes[0]}")


def design(x):
    """The design matrix [1, x]: (N, k) -> (N, k + 1); column 0 carries the intercept."""
    return np.hstack([np.ones((len(x), 1)), x])


def deviance(t, y):
    """D = 2 sum_n [t log(t / y) + (1 - t) log((1 - t) / (1 - y))], with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(t > 0, t * np.log(t / y), 0.0)
        b = np.where(t < 1, (1 - t) * np.log((1 - t) / (1 - y)), 0.0)
    return float(2 * np.sum(a + b))


# %% [markdown]
# ## Fisher scoring, written out
#
# Newton's method on E needs its gradient and its curvature. For the logit link they are
#     gradient  dE/dbeta = -X^T (t - y)
#     curvature d2E/dbeta2 = X^T W X,   W = diag(y_n (1 - y_n))
# and the curvature does not depend on t, so it equals its expectation, the Fisher
# information: for this model Newton and Fisher scoring are the same method. One step is
#     beta <- beta + (X^T W X)^-1 X^T (t - y)
# and, with the working response z = X beta + W^-1 (t - y), it is a weighted least-squares fit:
#     beta <- (X^T W X)^-1 X^T W z
# (iteratively reweighted least squares, IRLS: refit, recompute W and z, repeat). In the code
# W z is formed as W X beta + (t - y), which is the same number but never divides by a weight
# that has underflowed to 0.

# %%
def irls(X, t, iterations=25, tol=1e-12, log=None):
    """Fisher scoring for logistic regression. X: (N, p) design matrix, t: (N,) 0/1 targets.
    Returns (beta (p,), the iterations run, [beta after each iteration])."""
    beta = np.zeros(X.shape[1])
    path = []
    for it in range(1, iterations + 1):
        eta = X @ beta
        y = sigmoid(eta)
        W = y * (1 - y)                                    # (N,) weights
        Wz = W * eta + (t - y)                             # W z, z = eta + (t - y) / W
        new = np.linalg.solve(X.T @ (W[:, None] * X), X.T @ Wz)
        step = float(np.max(np.abs(new - beta)))
        beta = new
        path.append(beta.copy())
        if log:
            print(f"{log} iteration {it:2d}: deviance {deviance(t, sigmoid(X @ beta)):12.6f}   "
                  f"largest change {step:.2e}   |beta| {np.linalg.norm(beta):9.3f}")
        if step < tol:
            break
    return beta, it, path


# %% [markdown]
# ## With all 30 features the coefficients run off
#
# The maximum-likelihood estimate exists only if no plane separates the two classes. If one
# does, multiplying beta by 2, 3, 10 ... pushes every y_n closer to its t_n and E lower: E has
# no minimum, only an infimum of 0 at infinity. Standardized, all 30 features are such a case.
# Fisher scoring shows it at once:

# %%
X30 = design(x_all)                                         # (569, 31)
beta30, _, path30 = irls(X30, t, iterations=20, tol=0.0)
norms30 = [np.linalg.norm(b) for b in path30]
print("all 30 features, Fisher scoring: |beta| after iterations 1, 5, 10, 15, 20 = "
      + ", ".join(f"{norms30[i - 1]:.1f}" for i in (1, 5, 10, 15, 20)))
print("all 30 features, Fisher scoring: deviance after iterations 1, 5, 10, 15, 20 = "
      + ", ".join(f"{deviance(t, sigmoid(X30 @ path30[i - 1])):.2e}" for i in (1, 5, 10, 15, 20)))
right30 = int(np.sum((X30 @ beta30 > 0) == (t == 1)))
print(f"all 30 features: the plane of iteration 20 gets {right30} of {N} rows right")

# %% [markdown]
# From about iteration 13 on, every row is on the right side of one plane: the deviance then
# falls by a constant factor per iteration towards 0, and |beta| grows by a constant amount.
# There is no estimate to converge to. Gradient
# descent is slower, but it drifts the same way: the loss keeps falling towards 0 and |beta|
# keeps growing with every tenfold more steps, with no sign of settling (the figure below).

# %%
def gradient_descent(x, t, epochs):
    """Full-batch gradient descent on BCE with the library: Dense(k, 1) + BCE from logits.
    The learning rate is 1 / L, where L = lambda_max(X^T X) / (4 N) bounds the curvature of
    E / N (y (1 - y) <= 1/4). Returns (beta after every epoch (epochs, k + 1), History, lr)."""
    X = design(x)
    lr = 1.0 / (np.linalg.eigvalsh(X.T @ X / len(X)).max() / 4)
    model = Sequential([Dense(x.shape[1], 1, init="zeros")])
    dense = model.layers[0]
    path = []
    keep = LambdaCallback(on_epoch_end=lambda epoch, logs: path.append(
        np.concatenate([dense.params["b"], dense.params["W"][:, 0]])))
    history = model.fit(x, t.reshape(-1, 1), loss=BinaryCrossEntropy(from_logits=True),
                        optimizer=SGD(lr), epochs=epochs, batch_size=None, verbose=0,
                        callbacks=[keep])
    return np.array(path), history, lr


runoff, runoff_history, _ = gradient_descent(x_all, t, RUNOFF_EPOCHS)
runoff_norms = np.linalg.norm(runoff, axis=1)
checkpoints = sorted({e for e in (10, 100, 1000, 10000) if e < RUNOFF_EPOCHS} | {RUNOFF_EPOCHS})
print("all 30 features, gradient descent: |beta| after " + ", ".join(
    f"{e}: {runoff_norms[e - 1]:.2f}" for e in checkpoints) + " epochs")
print("all 30 features, gradient descent: loss after " + ", ".join(
    f"{e}: {runoff_history['loss'][e - 1]:.4f}" for e in checkpoints) + " epochs")

# %% [markdown]
# ## A handful of features for which the estimate exists
#
# Take four features that describe different things: size (radius, mean), texture (mean),
# and shape (smoothness and symmetry, worst), none strongly correlated with another. The two
# classes overlap in these four, and Fisher scoring finds a proper minimum of E in a few
# iterations:

# %%
CHOSEN = ("radius (mean)", "texture (mean)", "smoothness (worst)", "symmetry (worst)")
cols = [features.index(name) for name in CHOSEN]
x4 = x_all[:, cols]                                         # (569, 4)
X4 = design(x4)                                             # (569, 5)
corr = np.corrcoef(x4.T)
print(f"the 4 features: {', '.join(CHOSEN)}; largest |correlation| between two of them "
      f"{np.max(np.abs(corr - np.eye(4))):.2f}")
beta_irls, irls_iterations, irls_path = irls(X4, t, log="Fisher scoring")
y_irls = sigmoid(X4 @ beta_irls)
right4 = int(np.sum((y_irls > 0.5) == (t == 1)))
print(f"Fisher scoring converged in {irls_iterations} iterations; gradient there "
      f"{np.max(np.abs(X4.T @ (t - y_irls))):.1e}; rows right {right4} of {N} "
      f"({100 * right4 / N:.1f}%)")

# %% [markdown]
# Fisher scoring stops where the gradient is 0 (to 1e-14): a finite maximum of the likelihood
# exists. Its plane gets 96.5% of the rows right, not 100%; had some plane separated the rows,
# there would be no maximum, as with all 30 features.
#
# ## Gradient descent on the same four
#
# The library's way: `Dense(4, 1)` starting at zero, full-batch `SGD` at lr = 1 / L.
# `BinaryCrossEntropy(from_logits=True)` averages over the N rows, so it minimises E / N:
# the same minimiser as E.

# %%
gd_path, gd_history, gd_lr = gradient_descent(x4, t, GD_EPOCHS)
beta_gd = gd_path[-1]
gd_gap = np.max(np.abs(gd_path - beta_irls), axis=1)       # (epochs,)
within = int(np.argmax(gd_gap < 1e-6)) + 1 if np.any(gd_gap < 1e-6) else None
print(f"gradient descent: lr = {gd_lr:.3f}, {GD_EPOCHS} epochs; within 1e-6 of Fisher scoring "
      f"after {within} epochs")
print("coefficient          Fisher scoring   gradient descent")
for name, a, b in zip(("intercept",) + CHOSEN, beta_irls, beta_gd):
    print(f"{name:20s} {a:15.8f} {b:18.8f}")
print(f"largest difference, gradient descent vs Fisher scoring: "
      f"{np.max(np.abs(beta_gd - beta_irls)):.2e}")
print(f"change of the gradient-descent coefficients over the last 10% of the epochs: "
      f"{np.max(np.abs(gd_path[-1] - gd_path[int(0.9 * GD_EPOCHS)])):.2e}")

# %% [markdown]
# The same coefficients. Fisher scoring needed 10 iterations and gradient descent over 2000
# epochs: each Fisher step solves a 5 x 5 linear system built from all the curvature,
# while gradient descent only knows the slope and must take steps small enough (1 / L) for the
# most curved direction, which makes it crawl along the flattest one. With a million
# parameters the curvature matrix would have 10^12 entries: networks take the slow road.
#
# Reading the coefficients: positive means more likely benign. Every one is negative: a
# larger, rougher, less smooth, less symmetric nucleus points to malignant.

# %%
fig = Figure(figsize=(11, 4.2), layout="constrained")
ax_fit, ax_run = fig.subplots(1, 2)
irls_gap = np.max(np.abs(np.array(irls_path) - beta_irls), axis=1)
ax_fit.loglog(np.arange(1, GD_EPOCHS + 1), np.maximum(gd_gap, 1e-16), label="gradient descent")
ax_fit.loglog(np.arange(1, irls_iterations + 1), np.maximum(irls_gap, 1e-16), "o-",
              label="Fisher scoring (IRLS)")
ax_fit.set_xlabel("iteration (epoch)")
ax_fit.set_ylabel("largest |beta - beta_hat|")
ax_fit.set_title("4 features: both reach the same estimate")
ax_fit.legend(loc="lower left", bbox_to_anchor=(0.36, 0.02))
ax_run.semilogx(np.arange(1, RUNOFF_EPOCHS + 1), runoff_norms,
                label="gradient descent, 30 features")
ax_run.semilogx(np.arange(1, GD_EPOCHS + 1), np.linalg.norm(gd_path, axis=1),
                label="gradient descent, 4 features")
ax_run.set_xlabel("epoch")
ax_run.set_ylabel("|beta|")
ax_run.set_title("30 features: the coefficients keep growing")
ax_run.legend(loc="upper left")
fig.suptitle("Logistic regression on the breast-cancer data, two ways")
lesson.save(fig, "05_logistic_two_ways.png")

# %% [markdown]
# ## The deviance is twice a KL divergence
#
# The deviance compares the fitted model with the saturated one, the model with one
# parameter per row that fits each t_n exactly:
#     D = 2 sum_n [t_n log(t_n / y_n) + (1 - t_n) log((1 - t_n) / (1 - y_n))]
# Each term is a Kullback-Leibler divergence KL(p || q) = sum_k p_k log(p_k / q_k) between
# two distributions over {malignant, benign}: p = (1 - t_n, t_n), the empirical distribution
# of row n (all its mass on the observed class; the saturated model's fit), and
# q = (1 - y_n, y_n), the fitted Bernoulli. So D = 2 sum_n KL(p_n || q_n).
# The library's `KLDivergence` averages that KL over the rows; fed logits (0, eta_n), its
# softmax is exactly (1 - y_n, y_n). And since a 0/1 target has zero entropy, the KL equals
# the cross-entropy here: D = 2 N * BCE, so minimising BCE is maximising the likelihood.

# %%
D = deviance(t, y_irls)
p_rows = np.column_stack([1 - t, t])                                       # (N, 2)
with np.errstate(divide="ignore", invalid="ignore"):
    kl_rows = np.sum(np.where(p_rows > 0, p_rows * np.log(p_rows / np.column_stack(
        [1 - y_irls, y_irls])), 0.0), axis=1)                              # (N,)
eta_irls = X4 @ beta_irls
kl_library = KLDivergence(from_logits=True).forward(
    np.column_stack([np.zeros(N), eta_irls]), p_rows)                     # mean over rows
bce = BinaryCrossEntropy(from_logits=True).forward(eta_irls, t)
print(f"deviance D = {D:.10f}")
print(f"2 * sum of KL(empirical || fitted) by hand = {2 * kl_rows.sum():.10f}   "
      f"difference {abs(D - 2 * kl_rows.sum()):.1e}")
print(f"2 * N * KLDivergence (library) = {2 * N * kl_library:.10f}   "
      f"difference {abs(D - 2 * N * kl_library):.1e}")
print(f"2 * N * BinaryCrossEntropy = {2 * N * bce:.10f}   difference {abs(D - 2 * N * bce):.1e}")

# %% [markdown]
# ## The gradient, checked by finite differences
#
# For one row, E = -[t log y + (1 - t) log(1 - y)] with y = sigmoid(w^T x). The chain rule:
#     dE/dy = -(t / y - (1 - t) / (1 - y)) = (y - t) / (y (1 - y))
#     dy/deta = y (1 - y),   deta/dw = x
# and the two y (1 - y) cancel: dE/dw = -(t - y) x. Summed over rows, -X^T (t - y), the
# gradient that Fisher scoring used. `gradcheck.check_function` compares it with central
# differences of E itself, at a random w, on 8 rows.

# %%
rng = np.random.default_rng(0)
rows = rng.choice(N, size=8, replace=False)
X8, t8 = X4[rows], t[rows]


def cross_entropy(w):
    """E(w) summed over the 8 rows, in the stable form softplus(eta) - t eta."""
    eta = X8 @ w
    return float(np.sum(np.logaddexp(0.0, eta) - t8 * eta))


def cross_entropy_grad(w):
    """dE/dw = -sum_n (t_n - y_n) x_n = -X^T (t - y)."""
    return -X8.T @ (t8 - sigmoid(X8 @ w))


report = gradcheck.check_function(cross_entropy, cross_entropy_grad, rng.normal(size=5),
                                  name="E(w)")
print(report)
print(f"gradcheck of dE/dw = -(t - y) x: {report.status}, max error {report.max_err:.1e}")

# %% [markdown]
# The library's layer computes the same thing: after `forward` and `backward` through
# `Dense(4, 1)` and `BinaryCrossEntropy(from_logits=True)`, `grads["W"]` holds
# -X^T (t - y) / N (the 1/N from the mean):

# %%
probe = Sequential([Dense(4, 1, init="zeros")])
probe.layers[0].params["W"][...] = beta_gd[1:].reshape(4, 1) * 0.5      # any point will do
probe.layers[0].params["b"][...] = beta_gd[:1] * 0.5
loss = BinaryCrossEntropy(from_logits=True)
loss.forward(probe.forward(x4), t.reshape(-1, 1))
probe.backward(loss.backward())
w_probe = np.concatenate([probe.layers[0].params["b"], probe.layers[0].params["W"][:, 0]])
by_formula = -X4.T @ (t - sigmoid(X4 @ w_probe)) / N
by_library = np.concatenate([probe.layers[0].grads["b"], probe.layers[0].grads["W"][:, 0]])
print(f"library gradient vs -X^T (t - y) / N: largest difference "
      f"{np.max(np.abs(by_library - by_formula)):.1e}")

# %% [markdown]
# ## Read the source
# - `scratchnet/losses.py`: `BinaryCrossEntropy` with `from_logits=True`: the forward as
#   softplus(z) - y z (finite for any z) and the backward (sigmoid(z) - y) / M, our
#   -(t - y) / N; and `KLDivergence`, whose docstring states the deviance relation.
# - `scratchnet/layers/activations.py`: `sigmoid`, written so that exp never overflows.
# - `scratchnet/layers/dense.py`: `dense_backward`, where dL/dW = x.T @ dy turns
#   (sigmoid(z) - t) / N into -X^T (t - y) / N.
# - `gradcheck/checks.py`: `check_function`, the finite-difference check used above, and
#   `gradcheck/numeric.py` for the step size h = cbrt(eps) * max(1, |w|).
#
# ## Exercises
# First, write this lesson's backward yourself: fetch a skeleton with
# `python -m scratchnet.exercises get sigmoid`, fill in its backward, and check it with
# `python -m scratchnet.exercises check sigmoid.py` (a gradcheck, and a comparison with the
# library's own layer on the same parameters).
#
# ### Exercise 1
# Fisher scoring is Newton's method here: show that the curvature of E is X^T W X. Write
# hess(beta) = X^T diag(y (1 - y)) X for the four features and compare it with central
# differences of the gradient -X^T (t - y), column by column, at beta_hat. Check: the
# largest relative difference is below 1e-6.
#
# ### Exercise 2
# Soft targets: replace t by 0.9 for benign and 0.1 for malignant (label smoothing) and fit
# again by Fisher scoring (the same code works for t in [0, 1]). Check that the deviance
# still equals 2 sum_n KL(p_n || q_n) (to 1e-8), but no longer 2 N * BCE: the gap is
# 2 sum_n H(p_n), twice the entropy of the targets (check it to 1e-8).
#
# ### Exercise 3
# Make the estimate exist for all 30 features with a ridge penalty: minimise
# E + (lambda / 2) |beta|^2 (intercept not penalised), lambda = 1. Derive the Newton step:
# the curvature gains lambda P, P = diag(0, 1, ..., 1), and the step becomes
# beta <- (X^T W X + lambda P)^-1 X^T W z, with the same working response z as before.
# Check: it converges (largest change < 1e-10) in fewer than 30 iterations, and the
# penalised gradient -X^T (t - y) + lambda P beta is below 1e-8 there.
# (Solutions: tutorials/solutions/05_logistic_regression.py)
