"""Solutions to the exercises of tutorials/05_logistic_regression.py."""
import numpy as np

import gradcheck
from scratchnet import lesson
from scratchnet.data import StandardScaler
from scratchnet.datasets import load_breast_cancer
from scratchnet.layers.activations import sigmoid
from scratchnet.losses import BinaryCrossEntropy

x_raw, t_int, features, _ = load_breast_cancer(return_names=True)
x_all = StandardScaler().fit(x_raw).transform(x_raw)
t = t_int.astype(np.float64)
N = len(t)
CHOSEN = ("radius (mean)", "texture (mean)", "smoothness (worst)", "symmetry (worst)")
X4 = np.hstack([np.ones((N, 1)), x_all[:, [features.index(c) for c in CHOSEN]]])   # (569, 5)
X30 = np.hstack([np.ones((N, 1)), x_all])                                          # (569, 31)


def irls(X, t, lam=0.0, iterations=50, tol=1e-12):
    """Fisher scoring for logistic regression with an optional ridge penalty (lam / 2) |beta|^2
    on every coefficient but the intercept. Returns (beta, iterations run, last change)."""
    P = np.eye(X.shape[1])
    P[0, 0] = 0.0                                   # the intercept is not penalised
    beta = np.zeros(X.shape[1])
    for it in range(1, iterations + 1):
        y = sigmoid(X @ beta)
        W = y * (1 - y)
        XtWX = X.T @ (W[:, None] * X)
        # Newton on E + (lam / 2) beta^T P beta: the curvature gains lam * P, and
        # beta - (XtWX + lam P)^-1 (-X^T (t - y) + lam P beta) = (XtWX + lam P)^-1 X^T W z
        Wz = W * (X @ beta) + (t - y)
        new = np.linalg.solve(XtWX + lam * P, X.T @ Wz)
        change = float(np.max(np.abs(new - beta)))
        beta = new
        if change < tol:
            break
    return beta, it, change


def deviance(t, y):
    """2 sum [t log(t / y) + (1 - t) log((1 - t) / (1 - y))], 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(t > 0, t * np.log(t / y), 0.0)
        b = np.where(t < 1, (1 - t) * np.log((1 - t) / (1 - y)), 0.0)
    return float(2 * np.sum(a + b))


# ----- Exercise 1: the curvature of E is X^T W X ---------------------------------------------
beta_hat, _, _ = irls(X4, t)


def gradient(beta):
    """dE/dbeta = -X^T (t - y)   (5,)"""
    return -X4.T @ (t - sigmoid(X4 @ beta))


y_hat = sigmoid(X4 @ beta_hat)
hess = X4.T @ ((y_hat * (1 - y_hat))[:, None] * X4)                     # (5, 5)
numeric = np.stack([gradcheck.numerical_gradient(lambda b, j=j: gradient(b)[j], beta_hat.copy())
                    for j in range(5)])                                  # row j = d g_j / d beta
rel = float(np.max(np.abs(hess - numeric)) / np.max(np.abs(hess)))
print(f"exercise 1: X^T W X =\n{np.array2string(hess, precision=3)}")
lesson.check(1, "largest relative difference, X^T W X vs finite differences of the gradient",
             rel, rel < 1e-6)

# ----- Exercise 2: soft targets --------------------------------------------------------------
t_soft = 0.1 + 0.8 * t                          # 0.9 for benign, 0.1 for malignant
beta_soft, iters, _ = irls(X4, t_soft)
eta = X4 @ beta_soft
y_soft = sigmoid(eta)
D = deviance(t_soft, y_soft)
p = np.column_stack([1 - t_soft, t_soft])
q = np.column_stack([1 - y_soft, y_soft])
kl_sum = float(np.sum(p * np.log(p / q)))
entropy_sum = float(-np.sum(p * np.log(p)))
bce_total = N * BinaryCrossEntropy(from_logits=True).forward(eta, t_soft)
gap = 2 * bce_total - D
print(f"exercise 2: Fisher scoring on soft targets: {iters} iterations; D = {D:.8f}, "
      f"2 sum KL = {2 * kl_sum:.8f}, 2 N BCE = {2 * bce_total:.8f}")
print(f"exercise 2: 2 N BCE - D = {gap:.8f}, 2 sum H(p) = {2 * entropy_sum:.8f}")
ok = abs(D - 2 * kl_sum) < 1e-8 and abs(gap - 2 * entropy_sum) < 1e-8 and gap > 100
lesson.check(2, "|D - 2 sum KL| + |(2 N BCE - D) - 2 sum H|",
             abs(D - 2 * kl_sum) + abs(gap - 2 * entropy_sum), ok)

# ----- Exercise 3: ridge makes the estimate exist for all 30 features --------------------------
lam = 1.0
beta_ridge, iters, change = irls(X30, t, lam=lam, tol=1e-10)
P = np.eye(31)
P[0, 0] = 0.0
grad_pen = -X30.T @ (t - sigmoid(X30 @ beta_ridge)) + lam * P @ beta_ridge
print(f"exercise 3: ridge (lambda = {lam}) Fisher scoring on all 30 features: {iters} iterations, "
      f"last change {change:.1e}, |beta| = {np.linalg.norm(beta_ridge):.3f}, penalised gradient "
      f"{np.max(np.abs(grad_pen)):.1e}")
lesson.check(3, "iterations for ridge Fisher scoring on 30 features", iters,
             iters < 30 and change < 1e-10 and np.max(np.abs(grad_pen)) < 1e-8)

lesson.finish()
