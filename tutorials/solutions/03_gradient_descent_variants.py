"""Solutions to the exercises of tutorials/03_gradient_descent_variants.py (each ends in a check)."""
import numpy as np

from scratchnet import lesson
from scratchnet.callbacks import LambdaCallback
from scratchnet.datasets import house_prices
from scratchnet.layers import Dense
from scratchnet.losses import MSE
from scratchnet.model import Sequential, TrainingDiverged
from scratchnet.optimizers import SGD, Momentum

area, price = house_prices(n=100, noise=20.0, rng=0)
A = np.hstack([area, np.ones_like(area)])
best = np.linalg.lstsq(A, price[:, 0], rcond=None)[0]
L_best = float(np.mean((A @ best - price[:, 0]) ** 2))


def line_model():
    return Sequential([Dense(1, 1, init="zeros")])


# ----- Exercise 1: a decaying learning rate lets SGD settle -----------------------------------
results = {}
for name, decay in (("constant", False), ("decaying", True)):
    opt = SGD(0.1)
    callbacks = []
    if decay:
        callbacks.append(LambdaCallback(
            on_epoch_end=lambda epoch, logs: setattr(opt, "lr", 0.1 / (1 + (epoch + 1) / 2))))
    model = line_model()
    model.fit(area, price, loss=MSE(), optimizer=opt, epochs=30, batch_size=1, verbose=0, rng=0,
              callbacks=callbacks)
    results[name] = model.evaluate(area, price)["loss"] / L_best
    print(f"SGD batch 1, {name} lr: final loss / best {results[name]:.4f} (last lr {opt.lr:.4f})")
lesson.check(1, "final loss / best with a decaying lr", results["decaying"],
             results["decaying"] < 1.01 < results["constant"])

# ----- Exercise 2: Momentum's stability limit, 2 (1 + beta) / lambda_max ----------------------
lam_max = np.linalg.eigvalsh(2.0 / len(A) * A.T @ A).max()
formula = 2 * (1 + 0.9) / lam_max
start = np.hypot(*best)


def diverges(lr):
    model = line_model()
    try:
        model.fit(area, price, loss=MSE(), optimizer=Momentum(lr, beta=0.9), epochs=300,
                  batch_size=None, verbose=0)
    except TrainingDiverged:
        return True
    dense = model.layers[0]
    end = np.hypot(dense.params["W"][0, 0] - best[0], dense.params["b"][0] - best[1])
    return end > start


low, high = 0.1, 2.0
for _ in range(12):
    mid = (low + high) / 2
    if diverges(mid):
        high = mid
    else:
        low = mid
print(f"Momentum(beta=0.9): limit between {low:.4f} and {high:.4f}; "
      f"2 (1 + beta) / lambda_max = {formula:.4f} (plain SGD: {2 / lam_max:.4f})")
lesson.check(2, "relative error of the measured Momentum limit", abs(low - formula) / formula,
             abs(low - formula) / formula < 0.02)

lesson.finish()
