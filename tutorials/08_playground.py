# %% [markdown]
# # 04 - Playground: what depth, width and activation buy you
#
# In the spirit of the TensorFlow Playground: three 2-D data sets (spirals, XOR, circles),
# six small networks, and a picture of the regions each one carves out of the plane.
#
#   linear        no hidden layer: y = x @ W + b. Its boundaries are straight lines.
#   1x8-tanh      one hidden layer of 8 tanh units
#   1x32-relu     one hidden layer of 32 ReLU units
#   2x32-relu     two hidden layers of 32 ReLU units
#   2x32-tanh     the same with tanh
#   2x32-sigmoid  the same with sigmoid
#
# Then we look inside the sigmoid net with the Tracer to see why it learns slowest.
# Run: `python tutorials/08_playground.py`; SCRATCHNET_FAST=1 for a quick run.

# %%
import os

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.figure import Figure

from scratchnet.data import train_test_split
from scratchnet.datasets import circles, spirals, xor
from scratchnet.layers import Dense, ReLU, Sigmoid, Tanh
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.model import Sequential
from scratchnet.optimizers import Adam
from scratchnet.plot import plot_decision_boundary, plot_gradient_flow
from scratchnet.trace import GradientNormRecorder, trace

FAST = os.environ.get("SCRATCHNET_FAST", "") not in ("", "0")
OUT = os.environ.get("SCRATCHNET_OUT", os.path.join(os.path.dirname(__file__), "out"))
os.makedirs(OUT, exist_ok=True)
EPOCHS = 60 if FAST else 300
RESOLUTION = 60 if FAST else 150          # grid points per axis in each picture

# %% [markdown]
# ## Data: 3/4 to train on, 1/4 held out to test
# Class labels are integers; every network ends in K logits (K = 3 arms of the spiral,
# K = 2 for the others) and is trained with softmax cross-entropy.

# %%
DATA = {"spirals": spirals(n=300, k=3, noise=0.2, rng=0),
        "xor": xor(n=200, noise=0.15, rng=0),
        "circles": circles(n=200, noise=0.08, rng=0)}

CONFIGS = {                                # name -> (hidden layer widths, activation)
    "linear": ([], None),
    "1x8-tanh": ([8], Tanh),
    "1x32-relu": ([32], ReLU),
    "2x32-relu": ([32, 32], ReLU),
    "2x32-tanh": ([32, 32], Tanh),
    "2x32-sigmoid": ([32, 32], Sigmoid),
}


def make_net(n_classes, hidden, activation, seed=0):
    """Dense -> activation for each hidden width, then Dense to n_classes logits.
    He initialization suits ReLU; Xavier suits tanh and sigmoid."""
    init = "he" if activation is ReLU else "xavier"
    layers, width = [], 2
    for i, h in enumerate(hidden):
        layers += [Dense(width, h, init=init, rng=seed + i), activation()]
        width = h
    layers.append(Dense(width, n_classes, init="xavier", rng=seed + 99))
    return Sequential(layers)


# %% [markdown]
# ## Train every network on every data set
# Adam(0.01), mini-batches of 32, the same seeds everywhere. We print training and test
# accuracy for each pair.

# %%
results, models = {}, {}
for data_name, (x, y) in DATA.items():
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, stratify=True, rng=0)
    K = int(y.max()) + 1
    for cfg_name, (hidden, activation) in CONFIGS.items():
        net = make_net(K, hidden, activation)
        net.fit(x_tr, y_tr, loss=CategoricalCrossEntropy(), optimizer=Adam(0.01),
                epochs=EPOCHS, batch_size=32, verbose=0, rng=0)
        train_acc = net.evaluate(x_tr, y_tr)["accuracy"]
        test_acc = net.evaluate(x_te, y_te)["accuracy"]
        results[data_name, cfg_name] = (train_acc, test_acc)
        models[data_name, cfg_name] = net
        print(f"accuracy {data_name:<8} {cfg_name:<13} train {train_acc:.3f}   test {test_acc:.3f}")

# %% [markdown]
# What to look for:
# * the linear model draws straight lines, so it cannot do better than chance on XOR and
#   circles, and badly on the spirals;
# * one hidden layer already solves XOR and circles; the spirals need more units or layers;
# * two ReLU layers of 32 fit the spirals almost perfectly.

# %%
hidden_nets = [c for c in CONFIGS if c != "linear"]
print(f"best linear accuracy on xor/circles: "
      f"{max(results['xor', 'linear'][0], results['circles', 'linear'][0]):.3f}")
relu_nets = [c for c in hidden_nets if "relu" in c]
print(f"worst ReLU-net accuracy on xor/circles: "
      f"{min(results[d, c][0] for d in ('xor', 'circles') for c in relu_nets):.3f}")
print(f"spirals 2x32-relu train accuracy: {results['spirals', '2x32-relu'][0]:.3f}")

# %% [markdown]
# ## The picture: one row per data set, one column per network
# Each panel colours the plane by the predicted class (argmax of the logits) and shows the
# data points in their true colours; the title gives the test accuracy.

# %%
fig = Figure(figsize=(3 * len(CONFIGS), 3 * len(DATA)))
axes = fig.subplots(len(DATA), len(CONFIGS))
for r, (data_name, (x, y)) in enumerate(DATA.items()):
    for c, cfg_name in enumerate(CONFIGS):
        ax = axes[r, c]
        plot_decision_boundary(models[data_name, cfg_name], x, y, resolution=RESOLUTION, ax=ax,
                               title=f"{data_name}, {cfg_name}\n"
                                     f"test acc {results[data_name, cfg_name][1]:.2f}")
        ax.set_xticks([])
        ax.set_yticks([])
fig.tight_layout()
grid_path = os.path.join(OUT, "08_playground.png")
fig.savefig(grid_path, dpi=80)
print(f"saved figure: {grid_path}")

# %% [markdown]
# ## Why does the sigmoid net learn slowest? Look inside.
#
# sigmoid'(x) = y (1 - y) is at most 0.25, so each sigmoid layer passes back at most a
# quarter of the gradient it receives, while ReLU passes all of it where it is active.
# The Tracer runs one forward and backward on a fresh network and records, per layer, the
# activations and gradient norms; gradient_ratio() compares the first layer's (RMS) weight
# gradient with the last layer's.
#
# In the table, also look at the first Sigmoid's outputs: mean 0.5 with a tiny std. The
# inputs are small, so every unit sits in the middle of its S-curve, where the sigmoid is
# nearly a straight line: at the start the network is almost linear, and it takes many
# updates with the shrunken gradient to bend it. GradientNormRecorder then follows each
# layer's gradient norm through training.

# %%
x, y = DATA["spirals"]
for act in (ReLU, Sigmoid):
    tracer = trace(make_net(3, [32, 32], act), x, y, CategoricalCrossEntropy())
    print(f"gradient ratio first/last layer, fresh 2x32-{act.__name__.lower()}: "
          f"{tracer.gradient_ratio():.3f}")
tracer.summary()

recorder = GradientNormRecorder()
net = make_net(3, [32, 32], Sigmoid)
net.fit(x, y, loss=CategoricalCrossEntropy(), optimizer=Adam(0.01), epochs=EPOCHS // 3,
        batch_size=32, verbose=0, rng=0, callbacks=[recorder])
flow_path = os.path.join(OUT, "08_gradient_flow_sigmoid.png")
plot_gradient_flow(recorder, path=flow_path)
print(f"saved figure: {flow_path}")
