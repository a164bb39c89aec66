# %% [markdown]
# # 04 - The perceptron: the park table by hand, and why XOR needs a hidden layer
#
# After this lesson you can
# - run the perceptron rule by hand, one row at a time, and say what each update does to the
#   weights and to the decision line;
# - read a trained perceptron as a line in the plane, and say what it predicts for a point it
#   never saw (and how much of that answer the data really decided);
# - show that no single perceptron computes XOR (no line gets more than 3 of its 4 rows right)
#   and that one hidden layer fixes it.
#
# Why: the perceptron is the smallest learning machine there is: a weighted sum, a threshold,
# and a rule that nudges the weights after each mistake. Every network in this course is built
# from units like it, with the step replaced by a smooth activation so that backpropagation can
# train it. Its one weakness, that it can only draw a straight line, is the reason networks
# have hidden layers.
#
# This lesson follows the perceptron example of the course deck "Deep learning and TensorFlow"
# (V. Mesel and G. Uzeda): the park table, the starting values it gives (weights 0, bias held at
# 0, a step with threshold 0, the error (output - y)^2), the same row order, and its question
# about the new point (-1, 1).
#
# Run: `python tutorials/04_perceptron.py` (SCRATCHNET_FAST=1 for a quick run). Figures go to
# tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

from scratchnet import lesson
from scratchnet.datasets import park
from scratchnet.layers import Dense, Step, Tanh
from scratchnet.layers.activations import NotDifferentiableError
from scratchnet.losses import BinaryCrossEntropy
from scratchnet.model import Sequential
from scratchnet.optimizers import Adam

XOR_EPOCHS = 300 if lesson.FAST else 1000     # full-batch Adam steps for the 2-layer XOR net

# %% [markdown]
# ## The data: do we go to the park?
#
# Two features, each with three levels: x1 is the weather (-1 raining, 0 cloudy, 1 sunny) and
# x2 the money (-1 broke, 0 getting by, 1 rich). y = 1 means "we go", y = 0 "we stay home".
# `park(table="course")` returns the six rows in the course's order.

# %%
x, y = park(table="course")                   # x (6, 2), y (6,), float64
WEATHER = {-1: "raining", 0: "cloudy", 1: "sunny"}
MONEY = {-1: "broke", 0: "getting by", 1: "rich"}
print(" x1  x2  y   (weather, money)")
for (x1, x2), t in zip(x, y):
    print(f"{x1:3.0f} {x2:3.0f}  {t:.0f}   ({WEATHER[int(x1)]}, {MONEY[int(x2)]})")
print(f"park table: {len(x)} rows, {int(y.sum())} go, {int(len(y) - y.sum())} stay")

# %% [markdown]
# ## The perceptron and its rule
#
# One unit: a weighted sum z = w1 x1 + w2 x2 + b, then a step with threshold 0:
#     output = 1 if z > 0 else 0.
# The course measures the error of one row as E = (output - y)^2: 0 when the answer is right,
# 1 when it is wrong. The perceptron rule changes the weights only after a mistake:
#     w <- w + lr * (y - output) * x
# A missed "go" (y = 1, output 0) adds lr * x to w, which raises z for this x by lr * |x|^2;
# a false "go" subtracts it. This is the gradient step on (1/2)(output - y)^2 with the step's
# slope taken as 1 (the step itself has slope 0, see below): the factor 2 of the course's
# (output - y)^2 is absorbed into lr.
#
# As in the course the bias stays at 0 and the weights start at 0. We use lr = 1. With
# w = 0 and b = 0 at the start, the learning rate only scales the weights: every z, and so
# every decision, is the same for any lr > 0 (checked below).
#
# Walk through the table once, one row at a time, printing the weights after every row.

# %%
def perceptron_epoch(w, b, x, y, lr=1.0, learn_bias=False, log=None):
    """One pass of the perceptron rule over the rows of x (N, 2), y (N,). Returns (w, b, mistakes).
    With log, print each row's z, output, error and the weights after the update."""
    mistakes = 0
    for n, (xn, yn) in enumerate(zip(x, y)):
        z = float(w @ xn + b)
        out = 1.0 if z > 0 else 0.0
        err = (out - yn) ** 2
        if out != yn:
            mistakes += 1
            w = w + lr * (yn - out) * xn
            if learn_bias:
                b = b + lr * (yn - out)
        if log is not None:
            print(f"{log} row {n + 1}: x = ({xn[0]:2.0f}, {xn[1]:2.0f})  y = {yn:.0f}  "
                  f"z = {z:2.0f}  output = {out:.0f}  error = {err:.0f}  ->  "
                  f"w = ({w[0]:.0f}, {w[1]:.0f})  b = {b:.0f}")
    return w, b, mistakes


w, b = np.zeros(2), 0.0
print(f"start: w = ({w[0]:.0f}, {w[1]:.0f})  b = {b:.0f}")
epoch = 0
while True:
    epoch += 1
    w, b, mistakes = perceptron_epoch(w, b, x, y, log=f"epoch {epoch}")
    print(f"epoch {epoch}: {mistakes} mistakes")
    if mistakes == 0 or epoch == 10:
        break
w_park, b_park = w, b
print(f"learned: w1 = {w_park[0]:.0f}  w2 = {w_park[1]:.0f}  b = {b_park:.0f}  "
      f"after {epoch} epochs (the last without a mistake)")
print(f"training rows right: {int(np.sum((x @ w_park + b_park > 0) == (y == 1)))} of {len(y)}")

# %% [markdown]
# Two mistakes, two updates. Row 1 (sunny, getting by) sits at z = 0, so the step says 0, but
# the answer is "go": w becomes (1, 0): "go when it is sunny". Row 3 (cloudy, rich) is missed
# the same way, and w becomes (1, 1). From then on every row is right, and the second epoch
# changes nothing. The learned unit says: go when weather + money > 0.
#
# Any positive learning rate gives the same walk, with the weights scaled by lr:

# %%
w_small, _, _ = perceptron_epoch(np.zeros(2), 0.0, x, y, lr=0.1)
w_one, _, _ = perceptron_epoch(np.zeros(2), 0.0, x, y, lr=1.0)
print(f"lr = 0.1 gives w = ({w_small[0]:.2f}, {w_small[1]:.2f}); ratio to lr = 1: "
      f"{w_one[0] / w_small[0]:.6g}, {w_one[1] / w_small[1]:.6g}; same decisions on the table: "
      f"{bool(np.array_equal(x @ w_small > 0, x @ w_one > 0))}")

# %% [markdown]
# ## The same unit from the library's pieces
#
# `Dense(2, 1)` computes z = x @ W + b and `Step()` the threshold, so the trained perceptron
# is `Sequential([Dense(2, 1), Step()])` with W = w as a column. Its `Step.backward` refuses
# to run: the step's slope is 0 everywhere except at 0, where it has none, so backpropagation
# would get no signal through it. That is why the perceptron has its own rule, and why later
# networks use a smooth step (the sigmoid) instead.

# %%
unit = Sequential([Dense(2, 1, init="zeros"), Step()])
unit.layers[0].params["W"][...] = w_park.reshape(2, 1)
unit.layers[0].params["b"][...] = b_park
out_lib = unit.predict(x)[:, 0]
out_hand = (x @ w_park + b_park > 0).astype(float)
print(f"Dense + Step outputs: {out_lib.astype(int).tolist()}  (by hand: "
      f"{out_hand.astype(int).tolist()}; equal: {bool(np.array_equal(out_lib, out_hand))})")
unit.forward(x)
try:
    unit.backward(np.ones((len(x), 1)))
    step_refuses = False
except NotDifferentiableError:
    step_refuses = True
print(f"Step.backward raises NotDifferentiableError: {step_refuses}")

# %% [markdown]
# ## The new point: raining, but rich
#
# The course then asks about a day that is not in the table: x = (-1, 1), raining but rich,
# and says that we do go (y = 1). What does the learned line say?

# %%
new = np.array([-1.0, 1.0])
z_new = float(new @ w_park + b_park)
out_new = 1.0 if z_new > 0 else 0.0
print(f"new point (-1, 1): z = {z_new:.0f}, output = {out_new:.0f} "
      f"({'go' if out_new else 'stay'}), but y = 1")
print(f"table rows where weather and money point opposite ways (x1 * x2 < 0): "
      f"{int(np.sum(x[:, 0] * x[:, 1] < 0))}")

# %% [markdown]
# The point lies exactly on the learned line x1 + x2 = 0: weather and money got equal weights,
# and here they cancel. The answer "stay" comes from the convention "output 1 only if z > 0";
# with "z >= 0" the same weights would say "go" (Exercise 2). Nothing in the data decided it:
# the table has no day at all where the weather and the money point opposite ways.
#
# How much did the data decide? Take every line w1 x1 + w2 x2 + b on a grid (each of w1, w2, b
# in -2, -1.9, ..., 2) and keep those that get all six rows right. Ask each what it says
# about (-1, 1):

# %%
grid = np.linspace(-2.0, 2.0, 41)
W1, W2, B = np.meshgrid(grid, grid, grid, indexing="ij")
lines = np.column_stack([W1.ravel(), W2.ravel(), B.ravel()])     # (41**3, 3): w1, w2, b
separates = np.all((lines[:, :2] @ x.T + lines[:, 2:] > 0) == (y == 1), axis=1)
z_lines = lines[separates, :2] @ new + lines[separates, 2]
go, stay, on = np.mean(z_lines > 0), np.mean(z_lines < 0), np.mean(z_lines == 0)
print(f"lines on the grid that get all 6 rows right: {int(separates.sum())} of {len(lines)}")
print(f"of those, at (-1, 1): {100 * go:.1f}% say go, {100 * stay:.1f}% say stay, "
      f"{100 * on:.1f}% pass through it")

# %% [markdown]
# About half say "go" and half "stay": the six rows fit a whole fan of lines, and they fan out
# on both sides of (-1, 1). A perceptron stops at the first line that makes no mistake, and
# nothing in its rule prefers one of these lines for a reason that has to do with rainy days
# with money. To learn that money beats rain, the table needs such a row. (Models that pick the line with the widest margin, or that give a probability instead
# of a hard 0/1, would at least say how unsure they are: logistic regression, lesson 05, does
# the second.)
#
# The figure shows the line after each of the two updates, with the new point.

# %%
def draw_park(ax, w, b, title, legend=False):
    """The park rows by class, the line w1 x1 + w2 x2 + b = 0 and its 'go' side, the new point.
    legend: label the series and draw the legend to the right of the panel."""
    tag = (lambda text: text) if legend else (lambda text: "_" + text)    # "_..." = no legend
    g = np.linspace(-1.6, 1.6, 161)
    G1, G2 = np.meshgrid(g, g)
    ax.contourf(G1, G2, (w[0] * G1 + w[1] * G2 + b > 0).astype(float), levels=[-0.5, 0.5, 1.5],
                colors=["#f4cccc", "#cfe2f3"], alpha=0.8)
    if w[1] != 0:
        ax.plot(g, -(w[0] * g + b) / w[1], "k-", lw=1.5, label=tag("the line z = 0"))
    else:
        ax.axvline(-b / w[0], color="k", lw=1.5, label=tag("the line z = 0"))
    ax.scatter(*x[y == 1].T, marker="o", s=80, color="#1f77b4", edgecolors="k",
               label=tag("go (y = 1)"))
    ax.scatter(*x[y == 0].T, marker="s", s=80, color="#d62728", edgecolors="k",
               label=tag("stay (y = 0)"))
    ax.scatter(*new, marker="*", s=300, color="gold", edgecolors="k",
               label=tag("new point (-1, 1)"))
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.6, 1.6)
    ax.set_xticks([-1, 0, 1])
    ax.set_yticks([-1, 0, 1])
    ax.set_xlabel("weather x1")
    ax.set_ylabel("money x2")
    ax.set_title(title)
    ax.set_aspect("equal")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), title="blue side: go")


fig = Figure(figsize=(10.5, 4.4), layout="constrained")
axes = fig.subplots(1, 2)
draw_park(axes[0], np.array([1.0, 0.0]), 0.0, "after row 1: w = (1, 0)")
draw_park(axes[1], w_park, b_park, f"learned: w = ({w_park[0]:.0f}, {w_park[1]:.0f}), b = 0",
          legend=True)
fig.suptitle("The perceptron on the course's park table")
lesson.save(fig, "04_park_perceptron.png")

# %% [markdown]
# ## XOR: the table no line can learn
#
# XOR says 1 when exactly one input is 1:
#     (0, 0) -> 0,  (0, 1) -> 1,  (1, 0) -> 1,  (1, 1) -> 0.
# A perceptron would need b <= 0 (row 1), w2 + b > 0 and w1 + b > 0 (rows 2, 3), and
# w1 + w2 + b <= 0 (row 4). Add rows 2 and 3: w1 + w2 + 2b > 0, so w1 + w2 + b > -b >= 0,
# against row 4. No weights do it. The same search over the grid of lines shows it:

# %%
x_xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y_xor = np.array([0.0, 1.0, 1.0, 0.0])
right = np.sum((lines[:, :2] @ x_xor.T + lines[:, 2:] > 0) == (y_xor == 1), axis=1)
print(f"XOR: best line on the grid of {len(lines)} (w1, w2, b) gets {right.max()} of 4 right; "
      f"lines with 4 of 4: {int(np.sum(right == 4))}")
three = lines[(right == 3) & np.any(lines[:, :2] != 0, axis=1)]       # w = 0 draws no line
margin = np.min(np.abs(three[:, :2] @ x_xor.T + three[:, 2:]), axis=1) / np.linalg.norm(
    three[:, :2], axis=1)
best = three[np.argmax(margin)]                   # the 3-of-4 line farthest from every point
wrong = x_xor[(x_xor @ best[:2] + best[2] > 0) != (y_xor == 1)]
print(f"the 3-of-4 line with the widest margin: w = ({best[0]:.1f}, {best[1]:.1f}), "
      f"b = {best[2]:.1f}, wrong on {len(wrong)} row: {wrong.astype(int).tolist()}")

w, b = np.zeros(2), 0.0
mistakes_per_epoch = []
for _ in range(100):
    w, b, m = perceptron_epoch(w, b, x_xor, y_xor, learn_bias=True)
    mistakes_per_epoch.append(m)
print(f"perceptron rule on XOR, 100 epochs: fewest mistakes in an epoch = "
      f"{min(mistakes_per_epoch)}, in the last epoch = {mistakes_per_epoch[-1]}")

# %% [markdown]
# The rule never settles: it keeps fixing one row by breaking another.
#
# ## One hidden layer solves it
#
# Put two units in between: each draws its own line, and the output unit combines their
# answers, which is no longer a single line in (x1, x2). To train it by backpropagation we use
# smooth pieces: `Dense(2, 4)`, `Tanh`, `Dense(4, 1)` giving a logit, and binary cross-entropy
# from logits (lesson 05 looks at this loss closely). Full-batch Adam, lr = 0.05.

# %%
net = Sequential([Dense(2, 4, init="xavier", rng=0), Tanh(), Dense(4, 1, init="xavier", rng=1)])
history = net.fit(x_xor, y_xor.reshape(4, 1), loss=BinaryCrossEntropy(from_logits=True),
                  optimizer=Adam(0.05), epochs=XOR_EPOCHS, batch_size=None, verbose=0)
logits = net.predict(x_xor)[:, 0]
right_net = int(np.sum((logits > 0) == (y_xor == 1)))
print(f"2-layer net on XOR after {XOR_EPOCHS} epochs: {right_net} of 4 right, "
      f"loss {history['loss'][-1]:.4f}")
print("its outputs sigmoid(logit): " + ", ".join(
    f"({a:.0f}, {c:.0f}) -> {1 / (1 + np.exp(-z)):.3f}" for (a, c), z in zip(x_xor, logits)))

# %%
fig = Figure(figsize=(10.5, 4.4), layout="constrained")
axes = fig.subplots(1, 2)
g = np.linspace(-0.5, 1.5, 121)
G1, G2 = np.meshgrid(g, g)
grid_points = np.column_stack([G1.ravel(), G2.ravel()])
for ax, decide, title, tag in [
        (axes[0], lambda p: p @ best[:2] + best[2] > 0,
         f"best single line: {right.max()} of 4 right", "_"),
        (axes[1], lambda p: net.predict(p)[:, 0] > 0,
         f"2-layer net (tanh, 4 hidden): {right_net} of 4 right", "")]:
    regions = decide(grid_points).reshape(G1.shape).astype(float)
    ax.contourf(G1, G2, regions, levels=[-0.5, 0.5, 1.5], colors=["#f4cccc", "#cfe2f3"], alpha=0.8)
    ax.contour(G1, G2, regions, levels=[0.5], colors="k", linewidths=1.5)
    ax.scatter(*x_xor[y_xor == 1].T, marker="o", s=100, color="#1f77b4", edgecolors="k",
               label=tag + "XOR = 1")
    ax.scatter(*x_xor[y_xor == 0].T, marker="s", s=100, color="#d62728", edgecolors="k",
               label=tag + "XOR = 0")
    ax.set_xlabel("input x1")
    ax.set_ylabel("input x2")
    ax.set_title(title)
    ax.set_aspect("equal")
axes[1].legend(loc="upper left", bbox_to_anchor=(1.02, 1), title="blue region: 1")
fig.suptitle("XOR: one line is not enough, a hidden layer is")
lesson.save(fig, "04_xor.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/layers/activations.py`: `Step.forward` is `(x > 0)`, so z = 0 gives 0 (the
#   convention that decided the new point), and `Step.backward` raises `NotDifferentiableError`
#   with the reason. Compare `Sigmoid`, the smooth step that backpropagation can train.
# - `scratchnet/layers/dense.py`: `dense_forward` is the weighted sum z = x @ W + b for a
#   whole batch; `dense_backward` is what a hidden layer needs and a perceptron does without.
# - `scratchnet/datasets/toy.py`: `park` with `table="course"` (this lesson's table) and the
#   default AND table; `xor` for noisy XOR clouds.
#
# ## Exercises
# ### Exercise 1
# Let the bias learn too: after a mistake also do b <- b + lr * (y - output). Run the rule on
# the park table (lr = 1, start at 0, course order) until an epoch has no mistake. Check: how
# many epochs it takes, and that it ends at the same line, w = (1, 1) and b = 0.
#
# ### Exercise 2
# Change the step's convention to "output 1 if z >= 0" and run the course's walk-through
# again (bias held at 0). Print the weights after every row. Check: the final weights are
# still (1, 1), and now the new point (-1, 1) is answered "go" (output 1).
#
# ### Exercise 3
# Build XOR from three step units with the library's layers, choosing the weights yourself:
# `Sequential([Dense(2, 2), Step(), Dense(2, 1), Step()])`, where the hidden units compute
# OR and AND of the inputs and the output unit "OR and not AND". Check: 4 of 4 rows right.
# (Solutions: tutorials/solutions/04_perceptron.py)
