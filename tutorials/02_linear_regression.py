# %% [markdown]
# # 02 - Linear regression by hand, then with scratchnet
#
# A house's price grows with its living area. We fit a straight line
#     price_hat = w * area + b
# by gradient descent on the mean squared error, three ways:
#   1. the exact answer from linear algebra (numpy.linalg.lstsq), as the reference;
#   2. a hand-written loop with the update rules for w and b written out;
#   3. the same model as Dense(1, 1) + MSE + SGD trained with `fit`.
# All three must agree. Then we look at the loss as a surface over (w, b) and draw the path
# that gradient descent took across it.
#
# Run: `python tutorials/02_linear_regression.py`; SCRATCHNET_FAST=1 for a quick run.

# %%
import os

import matplotlib

matplotlib.use("Agg")

import numpy as np

from scratchnet.datasets.toy import house_prices
from scratchnet.layers import Dense
from scratchnet.losses import MSE
from scratchnet.model import Sequential
from scratchnet.optimizers import SGD
from scratchnet.plot import plot_history, plot_loss_surface

FAST = os.environ.get("SCRATCHNET_FAST", "") not in ("", "0")
OUT = os.environ.get("SCRATCHNET_OUT", os.path.join(os.path.dirname(__file__), "out"))
os.makedirs(OUT, exist_ok=True)

STEPS = 400 if FAST else 2000        # gradient-descent steps (full batch: one per epoch)
LR = 0.3                             # learning rate

# %% [markdown]
# ## The data
# area: (N, 1) in units of 100 m²; price: (N, 1) in thousands of euros.
# The data was made as price = 50 + 250 * area + noise, so we expect w ≈ 250 and b ≈ 50.

# %%
area, price = house_prices(n=100, noise=20.0, rng=0)
N = len(area)
print(f"data: {N} houses, area {area.min():.2f}..{area.max():.2f} (100 m²), "
      f"price {price.min():.0f}..{price.max():.0f} (k€)")

# %% [markdown]
# ## 1. The exact answer
# Least squares solves  min over (w, b) of ||A @ [w, b] - price||²  with A = [area, 1].

# %%
A = np.hstack([area, np.ones_like(area)])                 # (N, 2)
(w_exact, b_exact), *_ = np.linalg.lstsq(A, price[:, 0], rcond=None)
print(f"lstsq:     w = {w_exact:.6f}   b = {b_exact:.6f}")


def mse(w, b):
    """L(w, b) = 1/N * sum_n (w * x_n + b - y_n)**2, the mean squared error."""
    return float(np.mean((w * area + b - price) ** 2))


# %% [markdown]
# ## 2. Gradient descent by hand
#
# With the error e_n = w x_n + b - y_n and L = 1/N Σ e_n²:
#     dL/dw = 2/N Σ e_n * x_n      (the chain rule: dL/de_n = 2 e_n / N, de_n/dw = x_n)
#     dL/db = 2/N Σ e_n            (de_n/db = 1)
# and each step moves against the gradient:
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
# ## 3. The same with scratchnet
#
# Dense(1, 1) computes y = x @ W + b with W (1, 1) and b (1,): the same line. MSE's backward
# gives dL/dy = 2/N * e, and Dense's backward turns it into dL/dW = x.T @ dL/dy (exactly
# 2/N Σ e_n x_n) and dL/db = the sum of dL/dy. SGD(lr) applies w <- w - lr * dL/dw.
# batch_size=None means full-batch gradient descent: one update per epoch, as in our loop.

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
print(f"max difference from lstsq: hand {diff_hand:.2e}   fit {diff_fit:.2e}")
print(f"max difference hand vs fit: {diff_hand_fit:.2e}")
print(f"final loss: {mse(w_fit, b_fit):.4f} (lstsq: {mse(w_exact, b_exact):.4f})")
print(f"price of a 120 m² house: {w_fit * 1.2 + b_fit:.1f} k€")

# %% [markdown]
# ## The loss surface and the path of gradient descent
#
# L(w, b) is a bowl (a quadratic); its contours are long, thin ellipses, because area and the
# constant 1 are correlated: w and b must move together. With lr = 0.3 the first steps
# overshoot across the narrow valley and zig-zag, then the path crawls along the valley floor
# to the minimum (the red star). Centering the area would make the bowl round and the path
# straight; a larger lr (above about 0.39 here) would make the zig-zag grow: divergence.

# %%
path = np.array(path)                                     # (STEPS + 1, 2)
fig = plot_loss_surface(mse, (-50, 400), (-150, 250), trajectory=path,
                        path=os.path.join(OUT, "02_loss_surface.png"))
plot_history(history, path=os.path.join(OUT, "02_history.png"))
print(f"saved figures: 02_loss_surface.png, 02_history.png in {OUT}")
