"""Solutions to the exercises of tutorials/12_monitoring_training.py
(run: python tutorials/solutions/12_monitoring_training.py)."""
import numpy as np

from scratchnet import Sequential, lesson
from scratchnet.callbacks import Callback
from scratchnet.datasets import load_digits
from scratchnet.layers import Dense, Dropout, ReLU
from scratchnet.optimizers import Adam

EPOCHS = 60 if lesson.FAST else 150
BATCH, LR = 25, 0.003

# the data of the tutorial: 200 training digits, one in five with a wrong label; 500 to validate
x, y = load_digits(flat=True)
order = np.random.default_rng(0).permutation(len(x))
x_train, y_train = x[order[:200]], y[order[:200]].copy()
x_val, y_val = x[order[200:700]], y[order[200:700]]
noise = np.random.default_rng(1)
flipped = noise.random(len(y_train)) < 0.2
y_train[flipped] = (y_train[flipped] + noise.integers(1, 10, flipped.sum())) % 10


def big_net():
    return Sequential([Dense(64, 256, rng=0), ReLU(), Dense(256, 256, rng=1), ReLU(),
                       Dense(256, 10, rng=2)])


def train(net, optimizer, callbacks=()):
    return net.fit(x_train, y_train, loss="cce", optimizer=optimizer, epochs=EPOCHS,
                         batch_size=BATCH, validation_data=(x_val, y_val), rng=0, verbose=0,
                         callbacks=list(callbacks))


# ----- Exercise 1: dropout ---------------------------------------------------------------------
def net_with_dropout():
    return Sequential([Dense(64, 256, rng=0), ReLU(), Dropout(0.5, rng=5),
                       Dense(256, 256, rng=1), ReLU(), Dropout(0.5, rng=6),
                       Dense(256, 10, rng=2)])


plain = np.array(train(big_net(), Adam(LR))["val_loss"])
dropped = np.array(train(net_with_dropout(), Adam(LR))["val_loss"])
print(f"without dropout: validation loss lowest {plain.min():.4f}, last {plain[-1]:.4f}")
print(f"with dropout:    validation loss lowest {dropped.min():.4f}, last {dropped[-1]:.4f}")
lesson.check(1, f"lowest validation loss with dropout (without: {plain.min():.4f}; last "
             f"{dropped[-1]:.4f} vs {plain[-1]:.4f})", float(dropped.min()),
             dropped.min() < plain.min() and dropped[-1] < plain[-1])


# ----- Exercise 2: a callback that stops runaway overfitting -----------------------------------
class StopWhenValLossRunsAway(Callback):
    """Stop as soon as val_loss > factor * (the lowest val_loss so far)."""

    def __init__(self, factor: float = 1.2):
        super().__init__()
        self.factor = factor
        self.best = np.inf
        self.stopped_epoch = None

    def on_train_begin(self, logs=None):
        self.best, self.stopped_epoch = np.inf, None

    def on_epoch_end(self, epoch, logs=None):
        value = logs["val_loss"]
        self.best = min(self.best, value)
        if value > self.factor * self.best:
            self.stopped_epoch = epoch
            self.model.stop_training = True


guard = StopWhenValLossRunsAway(1.2)
train(big_net(), Adam(LR), [guard])
running_min = np.minimum.accumulate(plain)
expected = int(np.argmax(plain > 1.2 * running_min))     # first epoch over the line (from 0)
print(f"the guard stopped after epoch {guard.stopped_epoch + 1}; in the full run's History "
      f"val_loss first exceeds 1.2 x its minimum so far at epoch {expected + 1}")
best = int(np.argmin(plain))
print(f"the validation minimum of the full run is at epoch {best + 1}: "
      + ("a spike stopped the guard BEFORE it, which EarlyStopping's patience would have waited out"
         if guard.stopped_epoch < best else "the guard stopped after it, as intended"))
lesson.check(2, "epoch the guard stopped at (counted from 1)", guard.stopped_epoch + 1,
             guard.stopped_epoch == expected and bool(plain[expected] > 1.2 * running_min[expected]))

lesson.finish()
