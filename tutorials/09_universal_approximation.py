# %% [markdown]
# # 09 - Universal approximation: one hidden layer, wider and wider; and what depth buys
#
# After this lesson you can
# - build by hand, without training, a one-hidden-layer sigmoid network that follows any
#   curve to within a chosen error, and say how many units that takes (the idea behind the
#   universal approximation theorem);
# - measure how the error of a *trained* one-hidden-layer network falls as its width grows;
# - compare a deep and a wide network at the same parameter count, and explain with a hand
#   built ReLU network why depth can buy exponentially many linear pieces, while training
#   does not always find them.
#
# Why: the theorem (Hornik and others; the Curso-R deck states it, the AGA 0505 deck points to
# Nielsen's "visual proof") says that one hidden layer of squashing units can approximate any
# continuous function on an interval as closely as we like, given enough units. It says
# nothing about how many units, nor whether training finds the weights, nor why anyone builds
# deep networks. Both decks add: "with more layers it is in general easier". Here every one
# of those statements becomes a number.
#
# The curve, on x in [-3, 3]: f(x) = sin(2x) + 0.5 sin(5x), two wiggles on top of each other.
#
# Run: `python tutorials/09_universal_approximation.py` (SCRATCHNET_FAST=1 for a quick run:
# fewer widths and epochs). Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

from scratchnet import lesson
from scratchnet.datasets import curve
from scratchnet.layers import Dense, ReLU, Sigmoid, Tanh
from scratchnet.model import Sequential
from scratchnet.optimizers import Adam

EPOCHS = 1000 if lesson.FAST else 3000         # full-batch Adam steps per trained net
WIDTHS = [1, 2, 4, 8, 16, 32] if lesson.FAST else [1, 2, 4, 8, 16, 32, 64, 128]
SEEDS = [0] if lesson.FAST else [0, 1, 2]      # for the depth-against-width comparison
LO, HI = -3.0, 3.0


def f(x):
    """The target curve, any shape."""
    return np.sin(2 * x) + 0.5 * np.sin(5 * x)


x, y = curve(f, n=200, x_range=(LO, HI))       # training points: x (200, 1), y (200, 1)
x_fine = np.linspace(LO, HI, 2001).reshape(-1, 1)  # where errors are measured: between points too
y_fine = f(x_fine)


def errors(model):
    """(max error, RMS error) of the model against f on the fine grid."""
    e = model.forward(x_fine) - y_fine
    return float(np.max(np.abs(e))), float(np.sqrt(np.mean(e ** 2)))


def n_params(model):
    return sum(p.size for p in model.parameters().values())


# %% [markdown]
# ## 1. The theorem by construction: a staircase of steep sigmoids
#
# A sigmoid unit h = sigmoid(w x + b) with a large w is almost a step, from 0 to 1, at the
# place where w x + b = 0, that is at x = -b / w. The output layer multiplies each step by a
# height and adds them up. So: cut [-3, 3] into N equal bins, and let the net output, in
# bin k, the value of f at the bin's centre c_k. Start at f(c_0) (the output bias) and at each
# inner bin edge t_k add one step of height f(c_k) - f(c_{k-1}). That takes N - 1 hidden units,
# and every weight is written down, not learned:
#
#     hidden layer  W[0, k] = s,  b[k] = -s * t_k          (s = 40 / bin width: a steep step)
#     output layer  V[k, 0] = f(c_k) - f(c_{k-1}),  a = f(c_0)
#
# Inside a bin the staircase is off by at most about |f'| times half a bin, so doubling the
# units should about halve the error. That is the theorem's promise: any error, given units.

# %%
def staircase(n_steps):
    """A Dense -> Sigmoid -> Dense net with n_steps - 1 hidden units whose output steps
    through f(c_k) at the centres c_k of n_steps equal bins of [LO, HI]."""
    width = (HI - LO) / n_steps
    centres = LO + (np.arange(n_steps) + 0.5) * width
    edges = LO + np.arange(1, n_steps) * width                # (n_steps - 1,)
    s = 40.0 / width
    hidden, out = Dense(1, n_steps - 1), Dense(n_steps - 1, 1)
    hidden.params["W"][...] = s
    hidden.params["b"][...] = -s * edges
    out.params["W"][:, 0] = np.diff(f(centres))
    out.params["b"][...] = f(centres[0])
    return Sequential([hidden, Sigmoid(), out])


STAIR_UNITS = [7, 15, 31, 63, 127, 255]
stairs = {}
for units in STAIR_UNITS:
    net = staircase(units + 1)
    stairs[units] = errors(net)[0]
    print(f"hand-built staircase, {units:3d} sigmoid units: max error {stairs[units]:.4f}")
halvings = [stairs[a] / stairs[b] for a, b in zip(STAIR_UNITS, STAIR_UNITS[1:])]
print(f"error ratio per doubling of the units: {min(halvings):.2f} to {max(halvings):.2f}")

# %% [markdown]
# The error halves with every doubling of the units, so any error can be reached: that is the
# whole proof idea, and also its weakness. Halving the error doubles the cost, because every
# unit serves one bin only.

# %% [markdown]
# ## 2. Training a single hidden layer, wider and wider
#
# Now the weights are learned: one hidden layer of tanh units, full-batch Adam(0.01) on the
# 200 training points, MSE. One detail matters for 1-D input: a unit's step sits where
# w x + b = 0, and Dense starts every bias at 0, which would put *every* unit's step at x = 0.
# We spread the steps over the interval instead, with b = -w * c for a random centre c in
# [-3, 3] (exercise 2 shows what happens to ReLU units without this), and draw w with He's
# std sqrt(2 / fan_in) = sqrt(2), a slope of order 1.

# %%
def spread_first_layer(layer, seed):
    """Put unit j's step (tanh: its centre; ReLU: its kink) at a random c_j in [LO, HI]."""
    centres = np.random.default_rng(1000 + seed).uniform(LO, HI, layer.n_out)
    layer.params["b"][...] = -layer.params["W"][0] * centres


def make_net(hidden, activation=Tanh, seed=0):
    """1 -> hidden widths -> 1, first layer spread over the interval."""
    first = Dense(1, hidden[0], init="he", rng=seed)
    spread_first_layer(first, seed)
    layers, width = [first, activation()], hidden[0]
    for i, h in enumerate(hidden[1:]):
        init = "he" if activation is ReLU else "xavier"
        layers += [Dense(width, h, init=init, rng=seed + 1 + i), activation()]
        width = h
    layers.append(Dense(width, 1, init="xavier", rng=seed + 99))
    return Sequential(layers)


def train(model):
    model.fit(x, y, loss="mse", optimizer=Adam(0.01), epochs=EPOCHS, batch_size=None,
              verbose=0, rng=0)
    return model


trained, fits = {}, {}
for width in WIDTHS:
    net = train(make_net([width]))
    trained[width] = errors(net)
    fits[width] = net.forward(x_fine)
    print(f"trained 1x{width:<4d} tanh ({n_params(net):4d} parameters): "
          f"max error {trained[width][0]:.4f}   RMS error {trained[width][1]:.4f}")
w_small, w_big = WIDTHS[0], WIDTHS[-1]
print(f"RMS error falls {trained[w_small][1] / trained[w_big][1]:.0f}x from width {w_small} "
      f"to width {w_big}")
worst_step = max(trained[b][1] / trained[a][1] for a, b in zip(WIDTHS, WIDTHS[1:]))
print(f"worst RMS change per doubling of the width: x{worst_step:.2f}")
print(f"trained 1x32 max error {trained[32][0]:.4f} against the 31-unit staircase's "
      f"{stairs[31]:.4f}: {stairs[31] / trained[32][0]:.0f}x smaller")

# %% [markdown]
# What the numbers say: a unit or two can only make one or two bends, so the error stays
# large; from 8 units on the fit follows both waves (RMS error below 0.06), and no doubling
# of the width makes it worse by more than 10%. How much each doubling still helps depends on
# the training: with the full run's 3000 epochs the error keeps falling up to 128 units, with
# the fast run's 1000 it levels off after 8. From there on the optimizer, not the width,
# decides the last digits. And the trained 32-unit net beats the hand-built staircase of 31
# units (by the printed factor): training chooses each unit's place *and* slope, instead of
# one sharp step per bin.

# %%
fig = Figure(figsize=(15, 4.2))
ax_stair, ax_fit, ax_err = fig.subplots(1, 3)
ax_stair.plot(x_fine, y_fine, "k", lw=2, label="f(x)")
for units in (7, 31):
    ax_stair.plot(x_fine, staircase(units + 1).forward(x_fine), label=f"{units} units")
ax_stair.set_title("Hand-built staircase of sigmoids")
ax_fit.plot(x_fine, y_fine, "k", lw=2, label="f(x)")
for width in (1, 4, 8, 32):
    ax_fit.plot(x_fine, fits[width], label=f"1x{width} trained")
ax_fit.plot(x, y, ".", color="gray", ms=2, label="training points")
ax_fit.set_title(f"Trained one-hidden-layer tanh nets ({EPOCHS} epochs)")
for ax in (ax_stair, ax_fit):
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="lower left", fontsize=8, ncol=2)
    ax.set_ylim(-2.6, 1.9)
ax_err.loglog(STAIR_UNITS, [stairs[u] for u in STAIR_UNITS], "s-", label="staircase, max error")
ax_err.loglog(WIDTHS, [trained[w][0] for w in WIDTHS], "o-", label="trained, max error")
ax_err.loglog(WIDTHS, [trained[w][1] for w in WIDTHS], "o--", label="trained, RMS error")
ax_err.set_xlabel("hidden units")
ax_err.set_ylabel("error against f")
ax_err.set_title("Error against width (log-log)")
ax_err.legend(loc="upper right", fontsize=8)
fig.tight_layout()
lesson.save(fig, "09_width.png")

# %% [markdown]
# ## 3. Depth against width
#
# ### What depth can represent: a sawtooth
# The tent map t(x) = 2 relu(x) - 4 relu(x - 1/2) takes [0, 1] up to 1 and back down to 0:
# two linear pieces from two ReLU units. Feed its output into another tent and the climb and
# the descent each get folded once more: 4 pieces. L tents in a row, L hidden layers of 2
# units, give 2**L pieces (a sawtooth with 2**(L-1) teeth) for 6 L + 1 parameters. A single
# hidden layer of K ReLU units has at most K kinks, so K + 1 pieces: the same sawtooth needs
# 2**L - 1 units, 3 (2**L - 1) + 1 parameters. We build both by hand and check that they
# compute the same function.

# %%
def deep_sawtooth(depth):
    """`depth` hidden layers of 2 ReLU units computing the tent map `depth` times on [0, 1]."""
    layers = [Dense(1, 2), ReLU()]
    layers[0].params["W"][...] = [[1.0, 1.0]]
    layers[0].params["b"][...] = [0.0, -0.5]
    for _ in range(depth - 1):
        fold = Dense(2, 2)
        fold.params["W"][...] = [[2.0, 2.0], [-4.0, -4.0]]   # u = 2 h1 - 4 h2, fed to both units
        fold.params["b"][...] = [0.0, -0.5]
        layers += [fold, ReLU()]
    out = Dense(2, 1)
    out.params["W"][...] = [[2.0], [-4.0]]
    out.params["b"][...] = 0.0
    return Sequential(layers + [out])


def wide_sawtooth(depth):
    """One hidden layer of n = 2**depth ReLU units with kinks at k / n, k = 0 .. n-1, same
    sawtooth on [0, 1]: y = n relu(x) + sum_{k>=1} (s_k - s_{k-1}) relu(x - k / n), where the
    slope s_k of piece k is +n for even k and -n for odd k, so each jump is 2 n (-1)**k."""
    n = 2 ** depth
    hidden, out = Dense(1, n), Dense(n, 1)
    hidden.params["W"][...] = 1.0
    hidden.params["b"][...] = -np.arange(n) / n
    out.params["W"][:, 0] = np.r_[n, 2.0 * n * (-1.0) ** np.arange(1, n)]
    out.params["b"][...] = 0.0
    return Sequential([hidden, ReLU(), out])


def pieces(y_grid):
    """Number of linear pieces of a function sampled on a uniform grid aligned with its kinks."""
    slopes = np.diff(y_grid[:, 0])
    return int(np.sum(np.abs(np.diff(slopes)) > 1e-9)) + 1


x01 = np.linspace(0, 1, 2 ** 12 + 1).reshape(-1, 1)
for depth in (2, 4, 6, 8):
    deep, shallow, n = deep_sawtooth(depth), wide_sawtooth(depth), 2 ** depth
    diff = np.max(np.abs(deep.forward(x01) - shallow.forward(x01)))
    print(f"sawtooth with {pieces(deep.forward(x01)):3d} pieces: deep {depth}x2 ReLU net "
          f"{n_params(deep):3d} parameters, one hidden layer of {n} units {n_params(shallow):4d} "
          f"parameters; largest difference {diff:.1e}")

# %% [markdown]
# The deep net's cost grows by 6 parameters per layer while its pieces double; the wide one
# pays 3 parameters per piece. (The wide net here uses 2**L units, one more than the minimum,
# so that its first piece's slope comes from a unit too.) That is the sense in which "several
# functions can be approximated with fewer units if the architecture has more layers".
#
# ### What training finds, at equal parameter counts
# Representing a function is not the same as learning it. We train, on our curve, a wide net
# (1 hidden layer of 56 tanh units) and a deep one (3 hidden layers of 8) with the same number
# of parameters, both with spread first layers and the same optimizer and epochs; in full mode
# with three seeds (we print the median).

# %%
shapes = {"1x56 tanh": [56], "3x8 tanh": [8, 8, 8]}
depth_results, depth_fits = {}, {}
for name, hidden in shapes.items():
    runs = []
    for seed in SEEDS:
        net = train(make_net(hidden, seed=seed))
        runs.append(errors(net)[1])
        if seed == 0:
            depth_fits[name] = net.forward(x_fine)
    depth_results[name] = float(np.median(runs))
    print(f"{name}: {n_params(net)} parameters, RMS error {depth_results[name]:.4f} "
          f"(seeds: {', '.join(f'{r:.4f}' for r in runs)})")
ratio = depth_results["3x8 tanh"] / depth_results["1x56 tanh"]
print(f"deep / wide RMS error at equal parameters: {ratio:.2f}")

# %% [markdown]
# On this smooth curve the two come out within a factor of two of each other: with 169
# parameters either shape fits two sine waves, and depth buys little. Depth pays where the
# function has structure to reuse, like the folds of the sawtooth; exercise 3 shows that even
# there gradient descent may not find the hand-built solution.

# %%
x_saw = np.linspace(0, 1, 801).reshape(-1, 1)
fig = Figure(figsize=(15, 4.2))
ax_saw, ax_dw = fig.subplots(1, 2)
for depth in (1, 2, 3, 4):
    ax_saw.plot(x_saw, deep_sawtooth(depth).forward(x_saw) + 1.2 * (depth - 1),
                label=f"{depth}x2 ReLU: {2 ** depth} pieces, {6 * depth + 1} params")
ax_saw.set_title("Hand-built deep sawtooth (curves shifted up)")
ax_saw.set_xlabel("x")
ax_saw.set_ylabel("output + 1.2 (depth - 1)")
ax_saw.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8)
for name, fit in depth_fits.items():                      # the fits lie on f: show errors
    ax_dw.plot(x_fine, fit - y_fine, label=f"{name} (median RMS {depth_results[name]:.3f})")
ax_dw.axhline(0, color="k", lw=0.8)
ax_dw.set_title("Equal parameters (169), trained: error of the fit (seed 0)")
ax_dw.set_xlabel("x")
ax_dw.set_ylabel("fitted minus f(x)")
ax_dw.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8)
fig.tight_layout()
lesson.save(fig, "09_depth.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/layers/dense.py`: `Dense.forward` is y = x @ W + b; the staircase and the
#   sawtooth only write numbers into `params["W"]` and `params["b"]`. Note that b starts at 0.
# - `scratchnet/layers/activations.py`: `sigmoid` (the stable form used by the steps),
#   `ReLU.forward` (one kink at 0), `Tanh`.
# - `scratchnet/datasets/toy.py`: `curve`, which samples f on an even grid (with optional noise).
# - `scratchnet/initializers.py`: `he_normal`, std sqrt(2 / fan_in), which is sqrt(2) for a
#   layer with one input.
#
# ## Exercises
# ### Exercise 1
# Build by hand a one-hidden-layer ReLU network that joins the points (t_k, f(t_k)) of 65
# equally spaced knots on [-3, 3] with straight lines (piecewise-linear interpolation: one
# unit per inner knot changes the slope; start from the first segment's line). Check: with 64
# hidden units its max error on the fine grid is below 0.03, and halving the spacing (128
# units) cuts the error at least 3 times (compare the staircase's 2 per doubling).
#
# ### Exercise 2
# Train a 1x32 ReLU net on the curve with Dense's own initialization (He weights, biases 0:
# every kink at x = 0), then one whose first layer is spread with `spread_first_layer`.
# Print both RMS errors on the fine grid. Check: the spread net's error is at least 3 times
# smaller, and the unspread net is no better than 0.4 (it fits little more than two lines).
#
# ### Exercise 3
# The deep sawtooth with 2 layers of 2 ReLU units (13 parameters) computes 4 pieces exactly.
# Train that shape (Dense(1, 2), ReLU, Dense(2, 2), ReLU, Dense(2, 1), He init) from random
# starts, seeds 0 to 4, on 200 points of deep_sawtooth(2) over [0, 1], 2000 epochs of
# Adam(0.01). Check: print every seed's RMS error; even the best stays above 0.01, while the
# hand-built net's is 0 up to rounding: gradient descent does not find the folds.
#
# (solutions: tutorials/solutions/09_universal_approximation.py)
