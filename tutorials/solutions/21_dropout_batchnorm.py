"""Solutions to the exercises of tutorials/21_dropout_batchnorm.py."""
import numpy as np

from scratchnet import Sequential, lesson
from scratchnet.datasets import load_digits
from scratchnet.layers import BatchNorm1D, Dense
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam

x, y = load_digits(flat=True)

# Exercise 1: fold an eval-mode BatchNorm1D into the Dense layer before it.
model = Sequential([Dense(64, 10, rng=0), BatchNorm1D(10)])
model.fit(x[:1000], y[:1000], loss=CategoricalCrossEntropy(), optimizer=Adam(1e-2),
          epochs=3, rng=0, verbose=0)
dense, bn = model.layers
g = bn.params["gamma"] / np.sqrt(bn.buffers["running_var"] + bn.eps)
folded = Dense(64, 10)
folded.params["W"][...] = dense.params["W"] * g                  # scales column j by g_j
folded.params["b"][...] = (dense.params["b"] - bn.buffers["running_mean"]) * g + bn.params["beta"]
difference = np.abs(model.predict(x[1000:]) - folded.forward(x[1000:])).max()
lesson.check(1, "max |BN model - folded Dense|", difference, difference < 1e-9)


# Exercise 2: plain dropout (no 1/(1-p)) shrinks the training output by 1 - p.
def plain_dropout(x, p, rng):
    return x * (rng.random(x.shape) >= p)


p = 0.4
ones = np.ones((2000, 500))
ratio = plain_dropout(ones, p, np.random.default_rng(0)).mean() / ones.mean()  # train / eval
lesson.check(2, "mean train output / eval output, p = 0.4", ratio, abs(ratio - (1 - p)) < 0.01)

# Exercise 3: the eval-mode backward of batch norm by hand.
rng = np.random.default_rng(1)
layer = BatchNorm1D(6)
layer.params["gamma"][...] = rng.normal(size=6)
layer.buffers["running_mean"][...] = rng.normal(size=6)
layer.buffers["running_var"][...] = rng.uniform(0.5, 2, size=6)
layer.eval()
xe, dy = rng.normal(size=(5, 6)), rng.normal(size=(5, 6))
layer.forward(xe)
mine = dy * layer.params["gamma"] / np.sqrt(layer.buffers["running_var"] + layer.eps)
difference = np.abs(mine - layer.backward(dy)).max()
lesson.check(3, "max |hand eval backward - BatchNorm1D.backward|", difference, difference < 1e-12)
lesson.finish()
