"""Solutions to the exercises of tutorials/07_losses.py."""
import numpy as np

import gradcheck
from scratchnet import lesson
from scratchnet.layers import Dense, sigmoid
from scratchnet.losses import MAE, MSE, Huber
from scratchnet.model import Sequential
from scratchnet.optimizers import Adam

EPOCHS = 1000 if lesson.FAST else 3000

# the outlier data of the lesson, made the same way
TRUE_W, TRUE_B = 2.0, 1.0
rng = np.random.default_rng(0)
x = np.sort(rng.uniform(0, 10, 50))
y = TRUE_W * x + TRUE_B + rng.normal(0, 1, 50)
outliers = rng.choice(np.flatnonzero(x > 6), 5, replace=False)
y[outliers] += 30


def fitted_slope(loss):
    line = Sequential([Dense(1, 1, init="zeros")])
    line.fit(x[:, None], y[:, None], loss=loss, optimizer=Adam(0.1), epochs=EPOCHS,
             batch_size=None, verbose=0)
    return float(line[0].params["W"][0, 0])


# ----- Exercise 1: the best Huber delta ----------------------------------------------------------
deltas = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
errors = {}
for delta in deltas:
    errors[delta] = abs(fitted_slope(Huber(delta=delta)) - TRUE_W)
    print(f"Huber delta {delta:5.1f}: slope error {errors[delta]:.3f}")
best = min(errors, key=errors.get)
mse_error = abs(fitted_slope(MSE()) - TRUE_W)
print(f"best delta {best}, slope error {errors[best]:.3f}; MSE slope error {mse_error:.3f}")
# With delta larger than every residual, Huber is r^2 / 2 everywhere: MSE / 2, whose minimum
# (and so the fitted line) is MSE's. A small delta makes it delta * |r| for almost every point:
# MAE times delta, as robust as MAE.
lesson.check(1, "slope error at the best Huber delta", errors[best],
             0.1 <= best <= 1 and errors[best] < 0.1 and abs(errors[30.0] - mse_error) < 1e-3)

# ----- Exercise 2: MSE after a sigmoid, by hand ------------------------------------------------
# L = (p - y)^2 with p = sigmoid(z):  dL/dz = dL/dp * dp/dz = 2 (p - y) * p (1 - p)


def mse_after_sigmoid(z, y=1.0):
    return float(np.sum((sigmoid(z) - y) ** 2))


def mse_after_sigmoid_grad(z, y=1.0):
    p = sigmoid(z)
    return 2 * (p - y) * p * (1 - p)


z = np.linspace(-8, 8, 9) + 0.1
report = gradcheck.check_function(mse_after_sigmoid, mse_after_sigmoid_grad, z,
                                  name="MSE after a sigmoid")
print(report)
z_grid = np.linspace(-5, 0, 500001)
z_best = float(z_grid[np.argmax(np.abs(mse_after_sigmoid_grad(z_grid)))])
# by hand: |2 (1 - p) p (1 - p)| = 2 p (1 - p)^2 is largest at p = 1/3, z = log(1/2) = -log 2
print(f"MSE pushes hardest at z = {z_best:.4f}; -log(2) = {-np.log(2):.4f}")
lesson.check(2, "gradcheck passes; z of the hardest MSE push", z_best,
             report.passed and abs(z_best + np.log(2)) < 0.01)

# ----- Exercise 3: a constant fitted under MSE and under MAE -----------------------------------
constants = {}
for name, loss in (("MSE", MSE()), ("MAE", MAE())):
    c = 0.0
    steps = 5000
    for step in range(steps):
        loss.forward(np.full_like(y, c), y)
        dc = float(loss.backward().sum())          # every prediction is c: dL/dc = sum dL/dy_pred
        c -= (2.0 if name == "MAE" else 0.5) * dc * (1 - step / steps)   # shrinking steps
    constants[name] = c
above = int(np.sum(y > constants["MAE"]))
below = int(np.sum(y < constants["MAE"]))
print(f"MSE constant {constants['MSE']:.6f}, mean {np.mean(y):.6f}; MAE constant "
      f"{constants['MAE']:.4f}, median {np.median(y):.4f}, points above {above}, below {below}")
lesson.check(3, "MSE constant - mean (MAE constant is a median)",
             abs(constants["MSE"] - np.mean(y)),
             abs(constants["MSE"] - np.mean(y)) < 1e-6 and abs(above - below) <= 1)

lesson.finish()
