# %% [markdown]
# # 10 - Activations, initialization and vanishing gradients
#
# After this lesson you can
# - say, for six activations (sigmoid, tanh, ReLU, leaky ReLU, ELU, maxout) and five
#   initializers (zeros, normal, uniform, Xavier/Glorot, He), whether the gradient reaches
#   the first layer of a deep network, and show it with the Tracer's numbers and a picture of
#   the per-layer gradient norms;
# - predict from fan_in * Var(W) whether an initializer makes the signal shrink or keep its
#   size from layer to layer;
# - count dead ReLUs, and tell what kills them (not the scale of the initializer, but a zero
#   initialization or a too-large learning rate).
#
# Why: a deep network learns only if the gradient survives the way back to its first layer.
# Backpropagation multiplies, layer by layer, by each activation's derivative and by each
# weight matrix. Both factors are chosen by us: the activation (the decks "Deep learning e
# TensorFlow" and Curso-R list sigmoid, tanh, ReLU, leaky ReLU, maxout and ELU, and warn that
# the sigmoid saturates), and the initial weights. Choose badly and the gradient at the first
# layer is a millionth of the last layer's, or exactly zero, before training even begins.
#
# Run: `python tutorials/10_activations_initialization.py` (SCRATCHNET_FAST=1 for a quick
# run; the traces are the same, only the training at the end is shorter). Figures go to
# tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

from scratchnet import initializers, lesson
from scratchnet.datasets import load_digits
from scratchnet.layers import ELU, Dense, LeakyReLU, Maxout, ReLU, Sigmoid, Tanh
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.model import Sequential
from scratchnet.optimizers import Adam
from scratchnet.plot import plot_gradient_flow
from scratchnet.trace import trace

DEPTH, WIDTH = 10, 64              # hidden layers, units per hidden layer
TRAIN_EPOCHS = 2 if lesson.FAST else 5

# %% [markdown]
# ## The network and the data
# The 8x8 digits (64 pixels, 10 classes), standardized per pixel. The network: 10 hidden
# layers of 64 units, each Dense -> activation (for maxout, one Maxout layer with k = 2
# pieces per unit, which is its own affine layer), then Dense(64, 10) logits. The hidden
# layers take the initializer under study; the output layer is always Xavier, so that the
# comparison is about the hidden layers. One traced forward and backward on 512 digits gives,
# per layer, the output and the gradient.

# %%
x_all, y_all = load_digits(flat=True)                         # (1797, 64), (1797,)
x_all = (x_all - x_all.mean(axis=0)) / (x_all.std(axis=0) + 1e-8)
x, y = x_all[:512], y_all[:512]

ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky relu": LeakyReLU,
               "elu": ELU, "maxout": Maxout}
INITS = ["zeros", "normal", "uniform", "xavier", "he"]


def deep_net(activation, init, seed=0, depth=DEPTH):
    """depth hidden layers of WIDTH units with the given activation name and initializer."""
    layers, width = [], x.shape[1]
    for i in range(depth):
        if activation == "maxout":
            layers.append(Maxout(width, WIDTH, k=2, init=init, rng=seed + i))
        else:
            layers += [Dense(width, WIDTH, init=init, rng=seed + i), ACTIVATIONS[activation]()]
        width = WIDTH
    layers.append(Dense(width, 10, init="xavier", rng=seed + 99))
    return Sequential(layers)


# %% [markdown]
# ## What each initializer does to the signal
# A Dense layer sums fan_in products, so Var(x @ W) = fan_in * Var(W) * Var(x): every layer
# multiplies the signal's variance by fan_in * Var(W) (scratchnet/initializers.py derives it).
# We measure Var(W) on the arrays that each initializer really returns for a 64 -> 64 layer.

# %%
for init in INITS:
    W = initializers.get(init)((WIDTH, WIDTH), rng=0)
    print(f"fan_in * Var(W), {init:<8}: {WIDTH * W.var():.4f}")

# %% [markdown]
# zeros gives 0: no signal passes at all. normal (std 0.01) and uniform (on [-0.05, 0.05])
# are the "small random numbers" of old tutorials: each layer shrinks the variance to a few
# percent, and ten such layers to nothing. Xavier keeps it at 1 (right for tanh, whose slope
# at 0 is 1); He doubles it, because a ReLU sets half of its inputs to 0 and so halves it.

# %% [markdown]
# ## The gradient ratio for every activation and initializer
# gradient_ratio() is the first hidden layer's RMS weight gradient over the output layer's;
# the tracer grades it (scratchnet/trace.py): below 0.01 "vanishing", below 0.1 "weak",
# up to 10 "healthy", above that "growing" or "exploding".

# %%
tracers = {}
for act in ACTIVATIONS:
    for init in INITS:
        tracers[act, init] = trace(deep_net(act, init), x, y, CategoricalCrossEntropy())

print(f"{'gradient ratio':<14}" + "".join(f"{init:>19}" for init in INITS))
for act in ACTIVATIONS:
    cells = [f"{tracers[act, i].gradient_ratio():9.2g} {tracers[act, i].gradient_verdict():>9}"
             for i in INITS]
    print(f"{act:<14}" + "".join(f"{c:>19}" for c in cells))


def verdicts(acts, inits):
    return {tracers[a, i].gradient_verdict() for a in acts for i in inits}


def worst(acts, inits):
    return max(tracers[a, i].gradient_ratio() for a in acts for i in inits)


non_sigmoid = [a for a in ACTIVATIONS if a != "sigmoid"]
print(f"zeros: largest ratio over all activations: {worst(ACTIVATIONS, ['zeros']):.1g}")
print(f"sigmoid: largest ratio over all initializers: {worst(['sigmoid'], INITS):.1g}")
print(f"normal and uniform: largest ratio over all activations: "
      f"{worst(ACTIVATIONS, ['normal', 'uniform']):.2g}")
print(f"xavier, every activation but sigmoid: verdicts "
      f"{sorted(verdicts(non_sigmoid, ['xavier']))}")
print(f"he, tanh / relu / leaky relu / elu: verdicts "
      f"{sorted(verdicts(['tanh', 'relu', 'leaky relu', 'elu'], ['he']))}; "
      f"maxout: {tracers['maxout', 'he'].gradient_verdict()}")
for init in ("xavier", "he"):
    hidden = [r.output for r in tracers["maxout", init].records[:DEPTH]]
    print(f"maxout, {init}: output std of hidden layer 1: {hidden[0].std():.3g}, "
          f"of hidden layer {DEPTH}: {hidden[-1].std():.3g}")
last_hidden = tracers["sigmoid", "zeros"].records[2 * DEPTH - 1].output      # (512, 64)
print(f"zeros init, sigmoid: the last hidden layer outputs one value everywhere: "
      f"{np.ptp(last_hidden) == 0} (value {last_hidden[0, 0]:.2f})")

# %% [markdown]
# Reading the table:
# * **zeros**: every hidden weight is 0, so the gradient that a layer passes back,
#   dL/dx = dy @ W.T, is exactly 0: nothing reaches the first layer, with any activation.
#   And every unit of a layer computes the same thing (the sigmoid net's last hidden layer
#   outputs 0.5 for every unit and example), so even where a gradient arrives, all units of
#   a layer get the same update and stay copies of each other.
# * **sigmoid**: vanishing under every initializer. Its slope is at most 1/4, so ten layers
#   cost a factor of at most 4**-10, about 1e-6, before the weights even enter.
# * **normal, uniform**: vanishing for every activation: each layer shrinks the signal (the
#   factor printed above), going forward and coming back.
# * **Xavier, He**: healthy for tanh, ReLU, leaky ReLU and ELU. Maxout takes the larger of
#   two pieces, which pushes its outputs up; under He, already scaled for ReLU, the outputs
#   grow layer by layer (the printed std of hidden layer 1 against layer 10) and the last
#   layer's gradient with them: "weak" for the first layer. Under Xavier they stay within a
#   factor of two.

# %% [markdown]
# ## The picture: per-layer gradient norms
# The tracer's grad_norms() gives ||dL/dW|| per layer with parameters, input side first;
# plot_gradient_flow draws them as bars on a log axis. First the classic pair, then every
# activation under every initializer but zeros (its hidden gradients are exactly 0, which a
# log axis cannot show).

# %%
fig = Figure(figsize=(12, 4))
for k, (act, init) in enumerate([("sigmoid", "xavier"), ("relu", "he")]):
    ax = fig.add_subplot(1, 2, k + 1)
    plot_gradient_flow(tracers[act, init], ax=ax)
    ax.set_title(f"{act}, {init} init: ratio {tracers[act, init].gradient_ratio():.2g} "
                 f"({tracers[act, init].gradient_verdict()})")
fig.tight_layout()
lesson.save(fig, "10_gradient_flow.png")

fig = Figure(figsize=(14, 7))
axes = fig.subplots(2, 3, sharex=True).ravel()
for ax, act in zip(axes, ACTIVATIONS):
    for init in INITS[1:]:
        norms = list(tracers[act, init].grad_norms().values())
        ax.semilogy(np.arange(1, len(norms) + 1), norms, "o-", ms=3, label=init)
    ax.set_title(act)
    ax.set_xticks(range(1, DEPTH + 2))
fig.legend(*axes[0].get_legend_handles_labels(), loc="upper left", bbox_to_anchor=(0.91, 0.9),
           title="initializer")
fig.suptitle(f"||dL/dW|| per layer, {DEPTH} hidden layers of {WIDTH}, one batch of 512 digits "
             f"(zeros init: exactly 0)")
fig.supxlabel("layer with parameters (1 = first hidden, 11 = output)")
fig.supylabel("gradient norm (log)")
fig.tight_layout(rect=(0, 0, 0.9, 1))
lesson.save(fig, "10_gradient_norms.png")

# %% [markdown]
# ## Dead ReLUs
# A ReLU unit is dead on a batch when its output is 0 for every example: its weights get no
# gradient, so nothing revives it (the tracer's dead_fraction, per layer). How many units are
# dead in the fresh ReLU nets?

# %%
def dead(tracer):
    """Mean and largest fraction of dead units over the ReLU layers."""
    fractions = [r.dead_fraction for r in tracer.records if isinstance(r.layer, ReLU)]
    return float(np.mean(fractions)), float(np.max(fractions))


for init in INITS:
    mean, top = dead(tracers["relu", init])
    print(f"dead ReLUs at the start, {init:<8}: mean {mean:.0%}, worst layer {top:.0%}")
fresh = [dead(tracers["relu", i])[0] for i in INITS[1:]]
print(f"spread of the dead fraction over the random initializers: "
      f"{min(fresh):.0%} to {max(fresh):.0%}")


def dead_units(tracer):
    """(layer, unit) of every dead ReLU unit, as a set."""
    return {(r.index, j) for r in tracer.records if isinstance(r.layer, ReLU)
            for j in np.flatnonzero(np.all(r.output == 0, axis=0))}


for small, scaled in (("normal", "he"), ("uniform", "xavier")):
    same = dead_units(tracers["relu", small]) == dead_units(tracers["relu", scaled])
    print(f"the same units are dead under {small} and {scaled}: {same}")

# %% [markdown]
# Zeros kills every unit. The random initializers all leave a few percent dead, and he and
# normal kill exactly the same units (he_normal is normal with a larger std, drawn from the
# same random numbers), as do xavier and uniform: without biases, multiplying all weights by a
# constant does not change the sign of any pre-activation, so the scale of the initializer
# cannot decide which units are dead. It decides how big the gradients are (the table above). What kills ReLUs in practice is
# training with too large steps: one big update can push a unit's pre-activation below 0 for
# every input. We train the He-initialized ReLU net on all 1797 digits with Adam at three
# learning rates and count again.

# %%
dead_after = {}
for lr in (0.001, 0.01, 0.05):
    net = deep_net("relu", "he")
    net.fit(x_all, y_all, loss=CategoricalCrossEntropy(), optimizer=Adam(lr),
            epochs=TRAIN_EPOCHS, batch_size=64, verbose=0, rng=0)
    tr = trace(net, x, y, CategoricalCrossEntropy())
    dead_after[lr] = [r.dead_fraction for r in tr.records if isinstance(r.layer, ReLU)]
    acc = net.evaluate(x_all, y_all)["accuracy"]
    print(f"dead ReLUs after {TRAIN_EPOCHS} epochs of Adam({lr}): mean "
          f"{np.mean(dead_after[lr]):.0%}, worst layer {np.max(dead_after[lr]):.0%}; "
          f"training accuracy {acc:.3f}")

fig = Figure(figsize=(8, 4))
ax = fig.add_subplot(1, 1, 1)
layers = np.arange(1, DEPTH + 1)
ax.plot(layers, [r.dead_fraction for r in tracers["relu", "he"].records
                 if isinstance(r.layer, ReLU)], "k--", label="fresh (He)")
for lr, fractions in dead_after.items():
    ax.plot(layers, fractions, "o-", label=f"after Adam({lr})")
ax.set_xlabel("ReLU layer (1 = first)")
ax.set_ylabel("fraction of dead units")
ax.set_title(f"Dead ReLUs, {DEPTH}x{WIDTH} net, He init, {TRAIN_EPOCHS} epochs on the digits")
ax.set_xticks(layers)
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
fig.tight_layout()
lesson.save(fig, "10_dead_relus.png")

# %% [markdown]
# The largest learning rate leaves most units dead and the net far behind. Leaky ReLU and
# ELU have a small slope below 0 instead of none (read their backward), so such a unit still
# receives a gradient and can come back; swap them in above and count for yourself.
#
# ## Read the source
# - `scratchnet/initializers.py`: the module docstring derives Var(y) = fan_in Var(W) Var(x);
#   `xavier_uniform` and `he_normal` choose Var(W) from it; `normal` and `uniform` do not.
# - `scratchnet/layers/activations.py`: each backward is dy times the local slope:
#   `Sigmoid.backward` (y (1 - y) <= 1/4), `Tanh.backward` (1 - y**2), `ReLU.backward`
#   (the 0/1 mask), `LeakyReLU.backward` and `ELU.backward` (a small slope below 0), and
#   `Maxout.backward`, which sends dy to the winning piece only.
# - `scratchnet/trace.py`: `TraceRecord.dead_fraction`, `Tracer.grad_norms`,
#   `Tracer.gradient_ratio`, `gradient_verdict` and why its levels are 0.01 and 0.1.
# - `scratchnet/plot.py`: `plot_gradient_flow`, bars for one traced batch on a log axis.
#
# ## Exercises
# First, write this lesson's backward yourself: fetch a skeleton with
# `python -m scratchnet.exercises get relu`, fill in its backward, and check it with
# `python -m scratchnet.exercises check relu.py` (a gradcheck, and a comparison with the
# library's own layer on the same parameters).
#
# ### Exercise 1
# For a stack of 10 Dense(64, 64) layers *without* activations, predict the std of the last
# layer's output from the printed factors: std(x) * (fan_in * Var(W)) ** (10 / 2), for the
# xavier, normal and uniform initializers, and measure it on the standardized digits.
# Check: every prediction is within a factor of 2 of the measurement (while the values
# themselves span more than ten decades).
#
# ### Exercise 2
# How deep can a sigmoid net with Xavier initialization be before the tracer calls its
# gradients "vanishing"? Trace `deep_net("sigmoid", "xavier", depth=d)` for d = 1, 2, 3, ...
# Check: print the largest depth whose verdict is not "vanishing" (ratio >= 0.01); it is at
# most 4, and the ratio falls by at least a factor 3 with every layer added.
#
# (solutions: tutorials/solutions/10_activations_initialization.py)
