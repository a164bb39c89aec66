"""Solutions to the exercises of tutorials/09_universal_approximation.py."""
import numpy as np

from scratchnet import lesson
from scratchnet.datasets import curve
from scratchnet.layers import Dense, ReLU
from scratchnet.model import Sequential
from scratchnet.optimizers import Adam

LO, HI = -3.0, 3.0


def f(x):
    return np.sin(2 * x) + 0.5 * np.sin(5 * x)


x, y = curve(f, n=200, x_range=(LO, HI))
x_fine = np.linspace(LO, HI, 2001).reshape(-1, 1)
y_fine = f(x_fine)


def rms(model):
    return float(np.sqrt(np.mean((model.forward(x_fine) - y_fine) ** 2)))


# ----- Exercise 1: piecewise-linear interpolation by hand ---------------------------------------
def interpolator(units):
    """y = f(t_0) + sum_k (s_k - s_{k-1}) relu(x - t_k), k = 0 .. units-1, with s_{-1} = 0:
    unit k switches on at knot t_k and changes the slope to that of segment k."""
    knots = np.linspace(LO, HI, units + 1)                 # t_0 .. t_units
    slopes = np.diff(f(knots)) / np.diff(knots)            # s_0 .. s_{units-1}
    hidden, out = Dense(1, units), Dense(units, 1)
    hidden.params["W"][...] = 1.0
    hidden.params["b"][...] = -knots[:-1]
    out.params["W"][:, 0] = np.diff(slopes, prepend=0.0)
    out.params["b"][...] = f(knots[0])
    return Sequential([hidden, ReLU(), out])


max64 = float(np.max(np.abs(interpolator(64).forward(x_fine) - y_fine)))
max128 = float(np.max(np.abs(interpolator(128).forward(x_fine) - y_fine)))
print(f"interpolating ReLU net: 64 units max error {max64:.4f}, 128 units {max128:.4f} "
      f"({max64 / max128:.1f}x smaller)")
lesson.check(1, "max error of the 64-unit interpolator", max64,
             max64 < 0.03 and max64 / max128 >= 3)


# ----- Exercise 2: ReLU kinks all at 0, or spread -----------------------------------------------
def relu_net(spread, seed=0):
    first = Dense(1, 32, init="he", rng=seed)
    if spread:
        centres = np.random.default_rng(1000 + seed).uniform(LO, HI, 32)
        first.params["b"][...] = -first.params["W"][0] * centres
    net = Sequential([first, ReLU(), Dense(32, 1, init="xavier", rng=seed + 99)])
    net.fit(x, y, loss="mse", optimizer=Adam(0.01), epochs=1000, batch_size=None, verbose=0,
            rng=0)
    return net


plain, spread = rms(relu_net(False)), rms(relu_net(True))
print(f"1x32 ReLU, biases 0: RMS {plain:.4f}; spread kinks: RMS {spread:.4f}")
lesson.check(2, "RMS error ratio, kinks at 0 / spread", plain / spread,
             plain / spread >= 3 and plain >= 0.4)


# ----- Exercise 3: can training find the deep sawtooth? -----------------------------------------
def deep_sawtooth(depth):
    layers = [Dense(1, 2), ReLU()]
    layers[0].params["W"][...] = [[1.0, 1.0]]
    layers[0].params["b"][...] = [0.0, -0.5]
    for _ in range(depth - 1):
        fold = Dense(2, 2)
        fold.params["W"][...] = [[2.0, 2.0], [-4.0, -4.0]]
        fold.params["b"][...] = [0.0, -0.5]
        layers += [fold, ReLU()]
    out = Dense(2, 1)
    out.params["W"][...] = [[2.0], [-4.0]]
    return Sequential(layers + [out])


x01 = np.linspace(0, 1, 200).reshape(-1, 1)
saw = deep_sawtooth(2).forward(x01)
best = np.inf
for seed in range(5):
    net = Sequential([Dense(1, 2, rng=seed), ReLU(), Dense(2, 2, rng=seed + 10), ReLU(),
                      Dense(2, 1, rng=seed + 20)])
    net.fit(x01, saw, loss="mse", optimizer=Adam(0.01), epochs=2000, batch_size=None,
            verbose=0, rng=0)
    err = float(np.sqrt(np.mean((net.forward(x01) - saw) ** 2)))
    best = min(best, err)
    print(f"trained 2x2 ReLU net, seed {seed}: RMS error {err:.4f}")
hand = float(np.sqrt(np.mean((deep_sawtooth(2).forward(x01) - saw) ** 2)))
print(f"hand-built: RMS error {hand:.1e}")
lesson.check(3, "best trained RMS error on the 4-piece sawtooth", best, best > 0.01 and hand < 1e-12)

lesson.finish()
