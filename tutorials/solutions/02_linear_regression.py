"""Solutions to the exercises of tutorials/02_linear_regression.py (run it: each ends in a check)."""
import numpy as np

from scratchnet import lesson
from scratchnet.datasets.toy import house_prices
from scratchnet.layers import Dense
from scratchnet.losses import MSE
from scratchnet.model import Sequential
from scratchnet.optimizers import SGD

area, price = house_prices(n=100, noise=20.0, rng=0)
N = len(area)
y = price[:, 0]


def steps_to_converge(A, lr, tol=1e-6, max_steps=10_000):
    """Hand-written full-batch gradient descent on 1/N ||A θ - y||² from θ = 0: the number of
    steps until every parameter is within tol of the normal equations' answer."""
    exact = np.linalg.solve(A.T @ A, A.T @ y)
    theta = np.zeros(A.shape[1])
    for step in range(1, max_steps + 1):
        theta = theta - lr * 2.0 / N * A.T @ (A @ theta - y)
        if np.abs(theta - exact).max() < tol:
            return step
    return max_steps


# ----- Exercise 1: standardized area: a round bowl --------------------------------------------
x_s = (area - area.mean()) / area.std()                  # (N, 1), mean 0, variance 1
A_s = np.hstack([x_s, np.ones_like(x_s)])
H_s = 2.0 / N * A_s.T @ A_s                              # = 2 I: the columns are orthogonal
ev = np.linalg.eigvalsh(H_s)
kappa, limit = ev.max() / ev.min(), 2.0 / ev.max()
steps_s = steps_to_converge(A_s, 0.3)
steps_half = steps_to_converge(A_s, 0.5)                 # I - 0.5 H = 0: one step lands on θ*
steps_raw = steps_to_converge(np.hstack([area, np.ones_like(area)]), 0.3)
print(f"standardized: eigenvalues {ev}, condition number {kappa:.12f}, limit {limit:.12f}")
print(f"steps to 1e-6: standardized at lr 0.3: {steps_s}, at lr 0.5: {steps_half}; "
      f"raw area at lr 0.3: {steps_raw}")
lesson.check(1, "steps to 1e-6 with the standardized area at lr 0.3", steps_s,
             abs(kappa - 1) < 1e-9 and abs(limit - 1) < 1e-9 and steps_s < 30
             and steps_half == 1 and 300 < steps_raw < 400)

# ----- Exercise 2: a quadratic feature, normal equations and fit ------------------------------
X2 = np.hstack([x_s, x_s ** 2])                          # (N, 2) features
A2 = np.hstack([X2, np.ones((N, 1))])                    # (N, 3)
exact2 = np.linalg.solve(A2.T @ A2, A2.T @ y)            # (w1, w2, b)
lr_max2 = 2.0 / np.linalg.eigvalsh(2.0 / N * A2.T @ A2).max()
lr2 = 0.9 * lr_max2
model = Sequential([Dense(2, 1, init="zeros")])
model.fit(X2, price, loss=MSE(), optimizer=SGD(lr2), epochs=1000, batch_size=None, verbose=0)
dense = model.layers[0]
fitted2 = np.array([*dense.params["W"][:, 0], dense.params["b"][0]])
diff2 = float(np.abs(fitted2 - exact2).max())
print(f"quadratic: normal equations {np.round(exact2, 4)}, fit {np.round(fitted2, 4)} "
      f"(lr {lr2:.3f} < limit {lr_max2:.3f}), max difference {diff2:.2e}")
lesson.check(2, "max |fit - normal equations| with the feature x_s²", diff2,
             diff2 < 1e-4 and abs(exact2[1]) < 10)

# ----- Exercise 3: the learning-rate limit by bisection ---------------------------------------
A = np.hstack([area, np.ones_like(area)])
exact = np.linalg.solve(A.T @ A, A.T @ y)
formula = 2.0 / np.linalg.eigvalsh(2.0 / N * A.T @ A).max()


def diverges(lr, steps=300):
    theta = np.zeros(2)
    for _ in range(steps):
        theta = theta - lr * 2.0 / N * A.T @ (A @ theta - y)
    return np.hypot(*(theta - exact)) > np.hypot(*exact)


low, high = 0.1, 1.0
for _ in range(20):
    mid = (low + high) / 2
    if diverges(mid):
        high = mid
    else:
        low = mid
print(f"bisection: lr limit between {low:.5f} and {high:.5f}; 2 / λ_max = {formula:.5f}")
lesson.check(3, "relative error of the measured limit", abs(low - formula) / formula,
             abs(low - formula) / formula < 0.01)

lesson.finish()
