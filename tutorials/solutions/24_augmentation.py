"""Solutions to the exercises of tutorials/24_augmentation.py (run: python tutorials/solutions/24_augmentation.py)."""
import numpy as np

from scratchnet import Sequential, lesson
from scratchnet import augment as A
from scratchnet.data import train_test_split
from scratchnet.datasets import load_digits
from scratchnet.layers import Dense, Flatten, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam

EPOCHS = 100 if lesson.FAST else 200
x, y = load_digits()
x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.5, stratify=True, rng=0)
x_train, y_train = x_train[:150], y_train[:150]

# ----- Exercise 1: a zoom by 2 about the centre, by hand ---------------------------------------
# output (i, j) reads c + ((i, j) - c) / 2: r = i/2 + c/2, the same for columns
c = 3.5
inverse = np.array([[0.5, 0.0, c / 2], [0.0, 0.5, c / 2]])
zoomed = A.warp(x_val, np.repeat(inverse[None], len(x_val), axis=0), order="nearest")
blocks = x_val[..., 2:6, 2:6].repeat(2, axis=2).repeat(2, axis=3)
library = A.warp(x_val, A.inverse_2x3(A.zoom(np.full(len(x_val), 2.0), 8, 8)), order="nearest")
print(f"hand-made inverse = the library's zoom: max difference {np.abs(zoomed - library).max():.1e}")
lesson.check(1, "max |zoom by 2 - central 4x4 block repeated|", float(np.abs(zoomed - blocks).max()),
             np.array_equal(zoomed, blocks))


# ----- Exercise 2: a new transform --------------------------------------------------------------
class RandomContrast(A.Transform):
    """Multiply each chosen image by its own factor, uniform in [lo, hi]."""

    def __init__(self, lo=0.7, hi=1.3, p=1.0, rng=None):
        if not 0 <= lo <= hi:
            raise ValueError(f"RandomContrast: expected 0 <= lo <= hi, got {lo}, {hi}")
        self.lo, self.hi = float(lo), float(hi)
        super().__init__(p, rng)

    def _apply(self, x, chosen):
        factor = self.rng.uniform(self.lo, self.hi, len(x))
        factor[~chosen] = 1.0
        return x * factor[:, None, None, None].astype(x.dtype)


before = x_val.copy()
out = RandomContrast(0.7, 1.3, rng=0)(x_val)
ink = x_val.sum(axis=(1, 2, 3))
ratio = out.sum(axis=(1, 2, 3))[ink > 0] / ink[ink > 0]
ok = (out.shape == x_val.shape and out.dtype == x_val.dtype and np.array_equal(x_val, before)
      and ratio.min() >= 0.7 and ratio.max() <= 1.3
      and np.array_equal(out, RandomContrast(0.7, 1.3, rng=0)(x_val)))
print(f"contrast factors from {ratio.min():.3f} to {ratio.max():.3f}")
lesson.check(2, "RandomContrast keeps shape, dtype, input and seed; widest factor",
             float(max(abs(ratio.min() - 1), abs(ratio.max() - 1))), ok)


# ----- Exercise 3: a horizontal flip hurts digits ---------------------------------------------
def mlp(seed):
    return Sequential([Flatten(), Dense(64, 256, rng=seed), ReLU(),
                       Dense(256, 256, rng=seed + 1), ReLU(), Dense(256, 10, rng=seed + 2)])


def pipeline(extra=()):
    return A.Compose([A.RandomTranslate(0.5), A.RandomRotate(10), A.RandomShear(10),
                      A.GaussianNoise(0.05, clip=(0.0, 1.0)), A.Cutout(2, p=0.5), *extra], rng=0)


flipped_val = x_val[..., ::-1].copy()
result = {}
for name, extra in [("pipeline", ()), ("pipeline + flip", (A.RandomHorizontalFlip(0.5),))]:
    model = mlp(0)
    h = model.fit(x_train, y_train, loss=CategoricalCrossEntropy(), optimizer=Adam(1e-3),
                  epochs=EPOCHS, batch_size=32, validation_data=(x_val, y_val), rng=0,
                  verbose=0, augment=pipeline(extra))
    acc = float(np.mean(h["val_accuracy"][-10:]))
    on_flipped = model.evaluate(flipped_val, y_val, metrics=["accuracy"])["accuracy"]
    result[name] = acc, on_flipped
    print(f"{name}: val accuracy (last 10 epochs) {acc:.3f}, on flipped digits {on_flipped:.3f}")
(acc_plain, _), (acc_flip, flip_read) = result["pipeline"], result["pipeline + flip"]
lesson.check(3, "val accuracy lost by adding the flip", acc_plain - acc_flip,
             acc_flip < acc_plain and flip_read > 0.6)
lesson.finish()
