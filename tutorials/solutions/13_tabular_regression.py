"""Solutions to the exercises of tutorials/13_tabular_regression.py.

Run: python tutorials/solutions/13_tabular_regression.py (SCRATCHNET_FAST=1 for fewer splits).
"""
import numpy as np

from scratchnet import lesson
from scratchnet.callbacks import EarlyStopping
from scratchnet.data import StandardScaler, train_test_split
from scratchnet.datasets import load_penguins
from scratchnet.layers import Dense, ReLU
from scratchnet.losses import BinaryCrossEntropy
from scratchnet.model import Sequential
from scratchnet.optimizers import SGD, Adam

SPLITS = 5 if lesson.FAST else 10
x_all, y_all = load_penguins()


def split(seed, columns):
    """The tutorial's split: 20% test, then 20% of the rest for validation."""
    x_rest, x_test, y_rest, y_test = train_test_split(x_all[:, columns], y_all, test_size=0.2,
                                                      rng=seed)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=0.2,
                                                      rng=seed + 100)
    return x_train, x_val, x_test, y_train, y_val, y_test


def prepared(seed, columns):
    """Standardized features and targets of one split, and the target's scaler."""
    xtr, xva, xte, ytr, yva, yte = split(seed, columns)
    sx, sy = StandardScaler().fit(xtr), StandardScaler().fit(ytr[:, None])
    z = [sx.transform(a) for a in (xtr, xva, xte)]
    t = [sy.transform(b[:, None]) for b in (ytr, yva)]
    return z, t, (ytr, yva, yte), sy


def rmse(pred, y):
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def linear_rmse(seed, columns):
    (ztr, _, zte), (ttr, _), (_, _, yte), sy = prepared(seed, columns)
    model = Sequential([Dense(ztr.shape[1], 1, init="zeros")])
    model.fit(ztr, ttr, loss="mse", optimizer=SGD(0.1), epochs=300, batch_size=None, verbose=0)
    return rmse(sy.inverse_transform(model.predict(zte))[:, 0], yte)


# ----- Exercise 1: the linear model told the species ---------------------------------------------
without = np.array([linear_rmse(seed, list(range(4))) for seed in range(SPLITS)])
with_species = np.array([linear_rmse(seed, list(range(7))) for seed in range(SPLITS)])
for seed in range(SPLITS):
    print(f"split {seed}: linear, 4 columns {without[seed]:.0f} g; with the species "
          f"{with_species[seed]:.0f} g")
ratio = with_species.mean() / without.mean()
print(f"mean test RMSE: 4 columns {without.mean():.1f} g, 7 columns {with_species.mean():.1f} g")
# The species is what the MLP had to infer from bill shape and flipper length: told it outright,
# the linear model does as well as the 4-column MLP or better.
lesson.check(1, "mean RMSE with species / without", ratio, ratio < 0.95)


# ----- Exercise 2: early stopping for the big MLP --------------------------------------------------
def big_mlp_rmse(callbacks):
    (ztr, zva, zte), (ttr, tva), (_, _, yte), sy = prepared(0, list(range(4)))
    model = Sequential([Dense(4, 64, rng=0), ReLU(), Dense(64, 64, rng=1), ReLU(),
                        Dense(64, 1, rng=2)])
    history = model.fit(ztr, ttr, loss="mse", optimizer=Adam(0.003), epochs=300, batch_size=16,
                        validation_data=(zva, tva), rng=0, verbose=0, callbacks=callbacks)
    return rmse(sy.inverse_transform(model.predict(zte))[:, 0], yte), len(history["loss"])


full_rmse, _ = big_mlp_rmse([])
stopper = EarlyStopping(monitor="val_loss", patience=20, restore_best=True)
early_rmse, epochs_run = big_mlp_rmse([stopper])
print(f"big MLP, 300 epochs: test RMSE {full_rmse:.1f} g; with early stopping: {early_rmse:.1f} g "
      f"after {epochs_run} epochs (best epoch {stopper.best_epoch + 1})")
lesson.check(2, "early-stopped RMSE / 300-epoch RMSE", early_rmse / full_rmse,
             early_rmse <= 0.9 * full_rmse and epochs_run < 300)


# ----- Exercise 3: logistic regression by hand -----------------------------------------------------
(ztr, _, zte), _, (ytr, _, yte), _ = prepared(0, list(range(4)))
median = np.median(ytr)
c = (ytr > median).astype(np.float64)[:, None]                  # (N, 1) targets 0 or 1
N = len(ztr)
W, b = np.zeros((4, 1)), np.zeros(1)
for step in range(300):
    p = 1.0 / (1.0 + np.exp(-(ztr @ W + b)))                      # (N, 1) probabilities
    W = W - 0.5 * ztr.T @ (p - c) / N                             # dL/dW = z.T @ (p - y) / N
    b = b - 0.5 * np.sum(p - c, axis=0) / N                       # dL/db = sum(p - y) / N

model = Sequential([Dense(4, 1, init="zeros")])
model.fit(ztr, c, loss=BinaryCrossEntropy(from_logits=True), optimizer=SGD(0.5), epochs=300,
          batch_size=None, verbose=0)
diff = max(np.abs(W - model.layers[0].params["W"]).max(),
           np.abs(b - model.layers[0].params["b"]).max())
acc_hand = float(np.mean(((zte @ W + b)[:, 0] > 0) == (yte > median)))
acc_fit = float(np.mean((model.predict(zte)[:, 0] > 0) == (yte > median)))
print(f"by hand: W = {np.round(W[:, 0], 4).tolist()}, b = {b[0]:.4f}; test accuracy "
      f"{acc_hand:.3f} (fit: {acc_fit:.3f})")
lesson.check(3, "largest difference from fit's weights", float(diff),
             diff < 1e-9 and acc_hand == acc_fit)

lesson.finish()
