# %% [markdown]
# # 21 - Dropout and batch norm: fighting overfitting, and training deep nets at all
#
# After this lesson you can
# - say what inverted dropout does at training time and at test time, and check it in numbers;
# - read an overfitting curve (training loss falling, validation loss turning up) and see what
#   dropout and early stopping change in it;
# - derive batch norm's backward from its four-line algorithm, and check it with gradcheck;
# - show a deep sigmoid network that does not learn at all without batch norm, and does with it.
#
# Why: a network big enough to fit the data can also memorize it. The course's exercise 08
# (the Curso-R deck) adds dropout and batch norm to a network that overfits. Dropout makes
# every unit work without relying on a fixed set of others. Batch norm keeps each layer's
# inputs standardized, so that a deep stack stays in the range where its gradients flow.
#
# Run: `python tutorials/21_dropout_batchnorm.py` (SCRATCHNET_FAST=1 for a quick run).
# Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

import gradcheck
from scratchnet import Sequential, lesson
from scratchnet.callbacks import EarlyStopping
from scratchnet.data import train_test_split
from scratchnet.datasets import load_digits
from scratchnet.layers import BatchNorm1D, Dense, Dropout, ReLU, Sigmoid
from scratchnet.layers.normalization import (batchnorm_backward, batchnorm_backward_steps,
                                             batchnorm_forward)
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import SGD, Adam
from scratchnet.trace import trace

EPOCHS = 150 if lesson.FAST else 300      # overfitting needs many passes over few examples
BN_EPOCHS = 10

# %% [markdown]
# ## Inverted dropout, in numbers
# In training, each unit is kept with probability 1 - p and then divided by 1 - p:
# y = x * m with m = [u >= p] / (1 - p). The expected output is the input, E[y] = x, so at test
# time (eval mode) the layer is simply the identity: nothing to rescale there.

# %%
p = 0.3
drop = Dropout(p, rng=0)
ones = np.ones((1000, 100))
y = drop.forward(ones)
print(f"dropout p={p}: fraction dropped {np.mean(y == 0):.3f}, kept units become "
      f"{y.max():.4f} = 1/(1-p), mean output {y.mean():.3f} (the input was 1)")
drop.eval()
print(f"eval mode is the identity: {np.array_equal(drop.forward(ones), ones)}")
drop.train()

# %% [markdown]
# ## A network that overfits
# 150 training digits and a network with 85,002 weights (printed below): it can learn every
# training example by heart. We watch the validation loss, measured at the end of every epoch on 898 digits the
# network never trains on, with and without dropout after each hidden layer.

# %%
x, y = load_digits(flat=True)
x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.5, stratify=True, rng=0)
x_train, y_train = x_train[:150], y_train[:150]
print(f"train {len(x_train)} digits, validation {len(x_val)}")


def mlp(p):
    """64 -> 256 -> 256 -> 10, ReLU; Dropout(p) after each hidden layer when p > 0."""
    drops = (lambda seed: [Dropout(p, rng=seed)]) if p > 0 else (lambda seed: [])
    return Sequential([Dense(64, 256, rng=0), ReLU(), *drops(1),
                       Dense(256, 256, rng=2), ReLU(), *drops(3), Dense(256, 10, rng=4)])


print(f"weights in the MLP: {mlp(0.0).n_params:,}")
histories = {}
for p in (0.0, 0.5):
    model = mlp(p)
    histories[p] = model.fit(x_train, y_train, loss=CategoricalCrossEntropy(),
                             optimizer=Adam(1e-3), epochs=EPOCHS, batch_size=32,
                             validation_data=(x_val, y_val), rng=0, verbose=0)
    h = histories[p]
    val = np.array(h["val_loss"])
    print(f"dropout {p}: final train loss {h['loss'][-1]:.4f}, val loss {val[-1]:.3f}, "
          f"lowest val loss {val.min():.3f} at epoch {val.argmin() + 1}, "
          f"val accuracy {h['val_accuracy'][-1]:.3f}")
bn_model = Sequential([Dense(64, 256, rng=0), BatchNorm1D(256), ReLU(),
                       Dense(256, 256, rng=2), BatchNorm1D(256), ReLU(), Dense(256, 10, rng=4)])
h_bn = bn_model.fit(x_train, y_train, loss=CategoricalCrossEntropy(), optimizer=Adam(1e-3),
                    epochs=EPOCHS, batch_size=32, validation_data=(x_val, y_val), rng=0,
                    verbose=0)
val_bn = np.array(h_bn["val_loss"])
print(f"batch norm: final train loss {h_bn['loss'][-1]:.4f}, lowest val loss {val_bn.min():.3f} "
      f"at epoch {val_bn.argmin() + 1}, val accuracy {h_bn['val_accuracy'][-1]:.3f}")
best = {p: min(h["val_loss"]) for p, h in histories.items()}
gap = {p: h["val_loss"][-1] - h["loss"][-1] for p, h in histories.items()}
print(f"lowest validation loss: without dropout {best[0.0]:.3f}, with dropout {best[0.5]:.3f}")
print(f"final gap val - train loss: without dropout {gap[0.0]:.3f}, with dropout {gap[0.5]:.3f}")

# %% [markdown]
# A third remedy stops training instead: `EarlyStopping` watches the validation loss, stops
# when it has not improved for `patience` epochs, and puts back the weights of the best epoch.
# It costs a fraction of the epochs and ends at the lowest validation loss of the run without
# dropout, by construction.

# %%
stopper = EarlyStopping(monitor="val_loss", patience=10, restore_best=True)
early = mlp(0.0)
h_early = early.fit(x_train, y_train, loss=CategoricalCrossEntropy(), optimizer=Adam(1e-3),
                    epochs=EPOCHS, batch_size=32, validation_data=(x_val, y_val), rng=0,
                    verbose=0, callbacks=[stopper])
restored = early.evaluate(x_val, y_val)["loss"]
print(f"early stopping: stopped after {len(h_early['loss'])} of {EPOCHS} epochs, best epoch "
      f"{stopper.best_epoch + 1}, restored val loss {restored:.3f} "
      f"(the run without dropout: lowest {best[0.0]:.3f})")

# %% [markdown]
# Without dropout the training loss keeps falling towards zero while the validation loss
# stops improving after a couple of dozen epochs and then creeps up: from there on the network
# only memorizes. With dropout the training loss stays higher (fit measures it on the thinned
# network it trains, so it is also noisier), the lowest validation loss is lower and comes
# later, and the gap between the two losses, the mark of overfitting, is smaller. Batch norm
# (BatchNorm1D after each hidden Dense) also ends with a lower validation loss than the plain
# network: each example is normalized with the statistics of its random batch, a little noise
# of its own. It still drives the training loss towards zero; it is not a cure for
# memorizing, and it earns its place for another reason, shown below.

# %%
panels = {"no dropout": histories[0.0], "dropout p = 0.5": histories[0.5],
          "batch norm (BatchNorm1D)": h_bn}
fig = Figure(figsize=(15, 4))
for i, (name, h) in enumerate(panels.items()):
    ax = fig.add_subplot(1, 3, i + 1, sharey=fig.axes[0] if fig.axes else None)
    epochs = np.arange(1, len(h["loss"]) + 1)
    ax.plot(epochs, h["loss"], label="training loss")
    ax.plot(epochs, h["val_loss"], label="validation loss")
    k = int(np.argmin(h["val_loss"]))
    ax.plot(k + 1, h["val_loss"][k], "o", color="black", label="lowest validation loss")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy (log scale)")
    ax.set_title(name)
    ax.legend(loc="lower left")
fig.suptitle("150 training digits, a 64-256-256-10 MLP: overfitting, dropout and batch norm")
fig.subplots_adjust(top=0.85)
lesson.save(fig, "21_dropout_curves.png")

# %% [markdown]
# ## Batch norm: the algorithm and its backward
# For each feature over a batch of M values: mu = mean(x), var = mean((x - mu)^2),
# xhat = (x - mu) / sqrt(var + eps), y = gamma * xhat + beta. In backward, mu and var depend on
# every x_j, so each dx_j collects three paths: through xhat directly, through mu and through
# var. `batchnorm_backward_steps` goes back through the four lines one at a time; the compact
# form collapses them into one line:
#
#     dx = (s / M) * (M * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)),  s = 1/sqrt(var + eps)
#
# Both are printed against each other, then against finite differences.

# %%
rng = np.random.default_rng(0)
xb, dyb, gamma, beta = rng.normal(size=(8, 5)) * 3 + 2, rng.normal(size=(8, 5)), \
    rng.normal(size=5), rng.normal(size=5)
_, cache, _, _ = batchnorm_forward(xb, gamma, beta)
compact = batchnorm_backward(dyb, cache)
steps = batchnorm_backward_steps(dyb, xb, gamma)
print(f"max |compact - step by step| over dx, dgamma, dbeta: "
      f"{max(np.abs(a - b).max() for a, b in zip(compact, steps)):.1e}")
print(f"sum of dx per feature (the mean is removed, so it is 0): "
      f"{np.abs(compact[0].sum(axis=0)).max():.1e}")
for mode in ("train", "eval"):
    layer = BatchNorm1D(5)
    layer.params["gamma"][...], layer.params["beta"][...] = gamma, beta
    layer.forward(xb)                                # running statistics become non-trivial
    getattr(layer, mode)()
    report = gradcheck.check_layer(layer, xb)
    print(f"gradcheck BatchNorm1D ({mode} mode): {report.status}, max error {report.max_err:.1e}")

# %% [markdown]
# ## Why batch norm: a deep sigmoid net that cannot start
# Six sigmoid layers of 64 units, plain SGD with learning rate 0.1, ten epochs. Without batch
# norm the signal and the gradient shrink at every sigmoid (its slope is at most 1/4), and
# the network stays at chance, 1 in 10. With BatchNorm1D before each sigmoid, every layer
# sees standardized inputs and the same network learns in the first epoch.

# %%
def deep_sigmoid(bn):
    layers = []
    for i in range(6):
        layers += [Dense(64, 64, init="xavier", rng=10 + i)]
        layers += [BatchNorm1D(64)] if bn else []
        layers += [Sigmoid()]
    return Sequential(layers + [Dense(64, 10, rng=99)])


x_bn, y_bn, x_bn_val, y_bn_val = x[:1000], y[:1000], x[1000:], y[1000:]
curves, ratios = {}, {}
for bn in (False, True):
    model = deep_sigmoid(bn)
    ratios[bn] = trace(model, x_bn[:200], y_bn[:200], CategoricalCrossEntropy()).gradient_ratio()
    h = model.fit(x_bn, y_bn, loss=CategoricalCrossEntropy(), optimizer=SGD(0.1),
                  epochs=BN_EPOCHS, batch_size=32, validation_data=(x_bn_val, y_bn_val),
                  rng=0, verbose=0)
    curves[bn] = h["val_accuracy"]
    print(f"{'with' if bn else 'without'} batch norm: first/last layer gradient ratio at the "
          f"start {ratios[bn]:.2e}, validation accuracy after {BN_EPOCHS} epochs "
          f"{curves[bn][-1]:.3f}")

fig = Figure(figsize=(11, 4))
ax = fig.add_subplot(1, 2, 1)
for bn, acc in curves.items():
    ax.plot(np.arange(1, len(acc) + 1), acc, "o-", label="with BatchNorm1D" if bn else "without")
ax.axhline(0.1, color="gray", ls="--", label="chance (1 in 10)")
ax.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1),
       title="6 sigmoid layers, SGD lr 0.1")
ax.legend(loc="center right")
ax = fig.add_subplot(1, 2, 2)
ax.bar(["without", "with BatchNorm1D"], [ratios[False], ratios[True]], color=["#d62728", "#2ca02c"])
ax.set_yscale("log")
ax.set(xlabel="network", ylabel="gradient RMS, first / last Dense layer",
       title="how much gradient reaches the first layer")
fig.suptitle("batch norm lets a deep sigmoid network train")
fig.subplots_adjust(top=0.85)
lesson.save(fig, "21_batchnorm.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/layers/dropout.py`: `Dropout.forward` draws the mask and divides by 1 - p;
#   `backward` multiplies dy by the same mask. `reseed` is what gradcheck uses to see one
#   fixed function.
# - `scratchnet/layers/normalization.py`: `batchnorm_forward`, the compact `batchnorm_backward`
#   with its derivation in the docstring, and `batchnorm_backward_steps` beside it. `_BatchNorm`
#   keeps the running statistics in `buffers` (PyTorch's momentum convention; the unbiased
#   variance), and eval mode uses them. `BatchNorm2D` runs the same formulas per channel of
#   (N, C, H, W) in a kernel: `scratchnet/kernels/batchnorm_reference.py` (NumPy) and
#   `scratchnet/kernels/batchnorm_numba.py` (fused, one channel per thread).
# - `scratchnet/layers/base.py`: `buffers`, which optimizers never touch.
#
# ## Exercises
# First, write this lesson's backward yourself: fetch a skeleton with
# `python -m scratchnet.exercises get batchnorm`, fill in its backward, and check it with
# `python -m scratchnet.exercises check batchnorm.py` (a gradcheck, and a comparison with the
# library's own layer on the same parameters).
#
# ### Exercise 1
# In eval mode batch norm is a fixed affine map, so it can be folded into the Dense layer
# before it: W' = W * g and b' = (b - running_mean) * g + beta, with
# g = gamma / sqrt(running_var + eps). Train a small Dense -> BatchNorm1D model, fold it into
# one Dense, and check that both give the same outputs on the validation digits
# (max difference below 1e-9).
#
# ### Exercise 2
# Plain (not inverted) dropout keeps units without dividing by 1 - p. Write it as a small
# function and measure the mean output in training against the mean in eval mode on an
# all-ones input: the ratio is 1 - p, so a network trained this way sees inputs 1/(1 - p)
# times too large at test time. Check the ratio for p = 0.4 to within 0.01.
#
# ### Exercise 3
# Write the eval-mode backward of batch norm yourself (running mean and variance are
# constants, so dL/dx = dy * gamma / sqrt(running_var + eps)) and check it against
# `BatchNorm1D.backward` in eval mode on random data (max difference below 1e-12).
# Solutions: tutorials/solutions/21_dropout_batchnorm.py.
