# %% [markdown]
# # 08 - Playground: what depth, width and activation buy you
#
# After this lesson you can
# - read a decision-region picture and say which shapes a linear model, one hidden layer and
#   two hidden layers can draw;
# - measure how fast a network learns (epochs until 95% training accuracy) and compare
#   activations, depths and widths by that number, not by eye;
# - explain with the Tracer's numbers why a sigmoid network learns slowest: sigmoid'(z) is at
#   most 1/4, so the first layer gets a small share of the gradient (the tracer's "weak"
#   verdict), and a fresh sigmoid network starts out almost linear.
#
# Why: the TensorFlow Playground (the course deck "Deep learning e TensorFlow" shows it) lets
# you click a net together and watch it carve up the plane. It teaches intuition, but not
# numbers. Here the same experiment runs in code, with three of its 2-D data sets (spirals,
# XOR, circles), and every impression is turned into a printed number that a test checks.
#
#   linear        no hidden layer: y = x @ W + b. Its boundaries are straight lines.
#   1x8-tanh      one hidden layer of 8 tanh units
#   1x32-relu     one hidden layer of 32 ReLU units
#   2x32-relu     two hidden layers of 32 ReLU units
#   2x32-tanh     the same with tanh
#   2x32-sigmoid  the same with sigmoid
#
# Run: `python tutorials/08_playground.py` (SCRATCHNET_FAST=1 for a quick run: the picture is
# trained for fewer epochs; the race below runs the same in both modes). Figures go to
# tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

from scratchnet import lesson
from scratchnet.data import train_test_split
from scratchnet.datasets import circles, spirals, xor
from scratchnet.layers import Dense, ReLU, Sigmoid, Tanh
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.model import Sequential
from scratchnet.optimizers import Adam
from scratchnet.plot import plot_decision_boundary, plot_gradient_flow
from scratchnet.trace import GradientNormRecorder, trace

EPOCHS = 60 if lesson.FAST else 300       # training of the 18 nets in the picture
RESOLUTION = 60 if lesson.FAST else 150   # grid points per axis in each picture
RACE_EPOCHS = 300                         # the race: the same budget in both modes
RACE_SEEDS = [0] if lesson.FAST else [0, 1, 2]

# %% [markdown]
# ## Data: 3/4 to train on, 1/4 held out to test
# Class labels are integers; every network ends in K logits (K = 3 arms of the spiral,
# K = 2 for the others) and is trained with softmax cross-entropy.

# %%
DATA = {"spirals": spirals(n=300, k=3, noise=0.2, rng=0),
        "xor": xor(n=200, noise=0.15, rng=0),
        "circles": circles(n=200, noise=0.08, rng=0)}
SPLITS = {name: train_test_split(x, y, test_size=0.25, stratify=True, rng=0)
          for name, (x, y) in DATA.items()}      # name -> (x_tr, x_te, y_tr, y_te)

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
    He initialization suits ReLU; Xavier suits tanh and sigmoid (tutorial 10 shows why)."""
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
for data_name, (x_tr, x_te, y_tr, y_te) in SPLITS.items():
    K = int(y_tr.max()) + 1
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
# * the linear model draws straight lines, so it stays near chance (0.5) on XOR and circles,
#   and far from a fit on the three spiral arms (chance is 0.33 there);
# * one hidden layer already solves XOR and circles;
# * two ReLU layers of 32 fit the spirals almost perfectly.

# %%
one_hidden = [c for c, (hidden, _) in CONFIGS.items() if len(hidden) == 1]
print(f"best linear accuracy on xor/circles: "
      f"{max(results['xor', 'linear'][0], results['circles', 'linear'][0]):.3f}")
print(f"linear train accuracy on the spirals: {results['spirals', 'linear'][0]:.3f}")
print(f"worst one-hidden-layer accuracy on xor/circles: "
      f"{min(results[d, c][0] for d in ('xor', 'circles') for c in one_hidden):.3f}")
relu_nets = [c for c in CONFIGS if "relu" in c]
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
fig.suptitle(f"Decision regions after {EPOCHS} epochs (Adam 0.01)")
fig.supxlabel("x1")
fig.supylabel("x2")
fig.tight_layout()
lesson.save(fig, "08_playground.png", dpi=80)

# %% [markdown]
# ## A race: how many epochs until 95% training accuracy?
#
# A final accuracy hides how long a net took to get there. So we train on the spirals with a
# budget of 300 epochs and record, per epoch, the training accuracy that `fit` reports (the
# mean over that epoch's mini-batches, each measured just before its update). The number to
# compare is the first epoch at which it reaches 95%. Three activations at the same shape
# (2x32), and then depth against width: one layer of 8 or 32 units against two of 32. In full
# mode every net runs with three seeds and we print the median; fast mode runs seed 0.

# %%
RACE = {"2x32-relu": ([32, 32], ReLU), "2x32-tanh": ([32, 32], Tanh),
        "2x32-sigmoid": ([32, 32], Sigmoid), "1x8-tanh": ([8], Tanh),
        "1x32-tanh": ([32], Tanh), "1x32-relu": ([32], ReLU)}
x_tr, x_te, y_tr, y_te = SPLITS["spirals"]


def epochs_to(accuracy, level=0.95):
    """First epoch (counted from 1) whose accuracy is >= level; inf if none is."""
    hits = np.flatnonzero(np.asarray(accuracy) >= level)
    return int(hits[0]) + 1 if hits.size else float("inf")


curves, race, seed0 = {}, {}, {}
for name, (hidden, activation) in RACE.items():
    counts = []
    for seed in RACE_SEEDS:
        net = make_net(3, hidden, activation, seed=10 * seed)
        history = net.fit(x_tr, y_tr, loss=CategoricalCrossEntropy(), optimizer=Adam(0.01),
                          epochs=RACE_EPOCHS, batch_size=32, verbose=0, rng=seed)
        counts.append(epochs_to(history["accuracy"]))
        if seed == 0:
            curves[name], seed0[name] = history["accuracy"], counts[-1]
    race[name] = float(np.median(counts))
    print(f"epochs to 95% train accuracy, spirals, {name:<13}: {race[name]:5.0f}   "
          f"(seeds: {', '.join(f'{c:.0f}' for c in counts)})")

print(f"sigmoid needs {race['2x32-sigmoid'] / race['2x32-relu']:.1f}x the epochs of ReLU, "
      f"tanh {race['2x32-tanh'] / race['2x32-relu']:.1f}x")
print(f"depth speed-up (1x32 -> 2x32 epochs to 95%): tanh "
      f"{race['1x32-tanh'] / race['2x32-tanh']:.1f}x, relu "
      f"{race['1x32-relu'] / race['2x32-relu']:.1f}x")
print(f"width speed-up (1x8 -> 1x32 tanh epochs to 95%): "
      f"{race['1x8-tanh'] / race['1x32-tanh']:.1f}x")

# %% [markdown]
# What the race says:
# * the order is ReLU, then tanh, then sigmoid, and the gaps are large: the sigmoid net needs
#   many times the epochs of the ReLU net of the same shape;
# * every net here reaches 95% in the end: the spirals do not *need* a second layer. What the
#   second layer buys is speed: the same 32 units per layer, stacked twice, get there several
#   times sooner, for tanh and for ReLU. Making one tanh layer four times wider (8 -> 32)
#   helps much less. (This is why the 60-epoch picture of the fast run shows the one-layer
#   tanh net still lost on the spirals, while the 300-epoch one shows it fitted.)

# %%
fig = Figure(figsize=(9, 7))
ax_act, ax_shape = fig.subplots(2, 1, sharex=True)
styles = {"relu": "-", "tanh": "--", "sigmoid": ":"}
colours = dict(zip(RACE, ["C0", "C1", "C2", "C3", "C4", "C5"]))
for ax, names, title in ((ax_act, ["2x32-relu", "2x32-tanh", "2x32-sigmoid"],
                          "activation, same shape (2x32)"),
                         (ax_shape, ["1x8-tanh", "1x32-tanh", "2x32-tanh", "1x32-relu",
                                     "2x32-relu"], "depth and width")):
    for name in names:
        epochs = np.arange(1, len(curves[name]) + 1)
        ax.plot(epochs, curves[name], styles[name.split("-")[1]], color=colours[name],
                label=f"{name} ({seed0[name]:.0f} epochs)")
    ax.axhline(0.95, color="gray", lw=0.8, label="95%")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training accuracy")
    ax.set_title(f"Spirals: training accuracy per epoch, {title} (seed 0)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=9,
              title="net (epochs to 95%)")
ax_act.set_xscale("log")                  # shared: the first few epochs get room
fig.tight_layout()
lesson.save(fig, "08_race.png")

# %% [markdown]
# ## Why does the sigmoid net learn slowest? Look inside.
#
# sigmoid'(z) = y (1 - y) is at most 0.25, so each sigmoid layer passes back at most a
# quarter of the gradient it receives, while ReLU passes all of it where it is active.
# The Tracer runs one forward and backward on a fresh network and records, per layer, the
# activations and gradient norms; gradient_ratio() divides the first layer's RMS weight
# gradient by the last layer's, and gradient_verdict() grades it: below 0.01 "vanishing",
# below 0.1 "weak", up to 10 "healthy" (scratchnet/trace.py says why these levels).

# %%
x, y = DATA["spirals"]
tracers = {}
for act in (ReLU, Tanh, Sigmoid):
    name = f"2x32-{act.__name__.lower()}"
    tracers[name] = trace(make_net(3, [32, 32], act), x, y, CategoricalCrossEntropy())
    print(f"gradient ratio first/last layer, fresh {name}: "
          f"{tracers[name].gradient_ratio():.3f} ({tracers[name].gradient_verdict()})")
tracer = tracers["2x32-sigmoid"]
tracer.summary()

# %% [markdown]
# The sigmoid net gets the verdict "weak": its first layer receives about 1/30 of the last
# layer's gradient, the ReLU net's about a quarter. Adam rescales each weight's step by its
# own gradient's size, which undoes part of that handicap, and yet the sigmoid net is slow.
# The table shows the second reason. Look at the first Sigmoid's outputs: mean 0.5 with a tiny
# std. The inputs of that layer are small, so every unit sits in the middle of its S-curve,
# where the sigmoid is nearly a straight line and its slope is close to its maximum, 1/4.
# At the start the network is almost linear, and it takes many updates to bend it.

# %%
pre = tracer.records[0].output                    # Dense[0]: the first sigmoid's inputs z
out = tracer.records[1].output                    # Sigmoid[1]: y = sigmoid(z)
print(f"first Sigmoid outputs: mean {out.mean():.3f}, std {out.std():.3f}")
print(f"first Sigmoid slope y(1-y): mean {np.mean(out * (1 - out)):.4f} (at most 0.25)")
line = 0.5 + pre / 4                              # the tangent line at z = 0
bend = np.max(np.abs(out - line)) / np.max(np.abs(line - 0.5))
print(f"first Sigmoid's largest departure from its tangent line: {bend:.1%} of its swing")

# %% [markdown]
# GradientNormRecorder follows each layer's gradient norm through training (the first
# layer, Dense[0], has 96 parameters, the last 99, so norms compare fairly). The first
# layer's gradient stays several times smaller than the last layer's while the net learns
# (the median ratio over all updates is printed).

# %%
recorder = GradientNormRecorder()
net = make_net(3, [32, 32], Sigmoid)
net.fit(x_tr, y_tr, loss=CategoricalCrossEntropy(), optimizer=Adam(0.01), epochs=EPOCHS // 3,
        batch_size=32, verbose=0, rng=0, callbacks=[recorder])
norms = list(recorder.norms.values())                 # Dense[0], Dense[2], Dense[4]
first, last = np.asarray(norms[0]), np.asarray(norms[-1])
print(f"sigmoid net in training: median first/last layer gradient norm over "
      f"{len(first)} updates: {np.median(first / last):.3f}")
fig = Figure(figsize=(8, 4))
ax = fig.add_subplot(1, 1, 1)
plot_gradient_flow(recorder, ax=ax)
ax.set_title(f"2x32-sigmoid on the spirals: gradient norm per layer, {EPOCHS // 3} epochs")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8)
lesson.save(fig, "08_gradient_flow_sigmoid.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/layers/activations.py`: `Sigmoid.backward` multiplies dy by y * (1 - y), the
#   at-most-1/4 factor behind the weak gradient; compare `ReLU.backward`'s 0/1 mask and
#   `Tanh.backward`'s 1 - y**2 (at most 1).
# - `scratchnet/trace.py`: `Tracer.gradient_ratio` (RMS gradients, so that layers of
#   different sizes compare), `gradient_verdict` with `WEAK_RATIO` and `VANISHING_RATIO`, and
#   the module docstring that says why 0.1 and 0.01; `GradientNormRecorder.on_batch_end`.
# - `scratchnet/model.py`: `Sequential._train_epoch`, where the per-epoch training accuracy
#   of the race comes from (a running mean over the epoch's batches).
# - `scratchnet/plot.py`: `plot_decision_boundary` (a grid of predictions, coloured by the
#   argmax class) and `plot_gradient_flow`.
#
# ## Exercises
# ### Exercise 1
# Run the activation race (2x32 relu, tanh, sigmoid on the spirals, seed 0, 300 epochs) with
# `Momentum(0.05)` from scratchnet.optimizers instead of Adam(0.01). Momentum does not
# rescale the steps by the gradient's size, so the sigmoid net's weak first-layer gradient
# counts in full. Print the epochs to 95% for each. Check: the order ReLU < tanh < sigmoid
# holds, and the sigmoid net needs at least 8 times the epochs of the ReLU net.
#
# ### Exercise 2
# Each sigmoid layer passes back at most 1/4 of the gradient. Trace fresh sigmoid nets with
# 2, 3 and 4 hidden layers of 32 on the spirals and print each gradient ratio and verdict.
# Check: every extra layer divides the ratio by at least 3, and the 3-layer net's verdict is
# already "vanishing".
#
# (solutions: tutorials/solutions/08_playground.py)
