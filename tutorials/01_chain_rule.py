# %% [markdown]
# # 01 - The chain rule on a tiny computation graph
#
# After this lesson you can
# - write a node's forward and backward (Mul, Add, Sub, Tanh) and chain them backwards by hand
#   to get the derivative of the output with respect to every input;
# - explain why a value used twice receives the sum of the gradients of its uses;
# - read a computation graph with each node's value and gradient on it, and check every
#   gradient against finite differences (gradcheck);
# - write the same rule as a scratchnet Layer and prove it with gradcheck.check_layer.
#
# Why: backpropagation, the algorithm that trains every network in this course, is nothing
# but the chain rule applied one small node at a time. Every later tutorial (a Dense layer, a
# convolution, a softmax) is the same two methods, forward and backward, on bigger arrays. If
# you can do it on numbers, with a picture, you can do it on matrices.
#
# We start with numbers (buying apples and oranges, the example of "Deep Learning from
# Scratch", chapter 5), then a single tanh neuron, whose graph is the one the Curso-R deck
# ("Introdução ao Deep Learning com R") draws for linear regression with one node more.
#
# Run: `python tutorials/01_chain_rule.py` (SCRATCHNET_FAST=1 changes nothing here: it is
# quick). Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

import gradcheck
from scratchnet import lesson
from scratchnet.layers import Layer, Tanh
from scratchnet.losses import MSE
from scratchnet.model import Sequential

# %% [markdown]
# ## Two nodes: Mul and Add
#
# Mul: out = a * b. If a grows by a tiny h, out grows by h * b, so d out / d a = b; likewise
# d out / d b = a. The chain rule multiplies the local derivative by the upstream gradient
# dL/dout (how much the final answer L changes per unit of out):
#     dL/da = dL/dout * b,    dL/db = dL/dout * a
# Add: out = a + b. Both local derivatives are 1, so Add passes the upstream gradient on
# unchanged to both inputs:  dL/da = dL/dout,  dL/db = dL/dout.

# %%
class Mul:
    """out = a * b (numbers or arrays of one shape). Remembers a and b for backward."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, dout):
        """Forward: out = a * b.  Backward: dL/da = dout * b,  dL/db = dout * a."""
        return dout * self.b, dout * self.a


class Add:
    """out = a + b. Needs to remember nothing: its local derivatives are both 1."""

    def forward(self, a, b):
        return a + b

    def backward(self, dout):
        """Forward: out = a + b.  Backward: dL/da = dout * 1,  dL/db = dout * 1."""
        return dout * 1.0, dout * 1.0


# %% [markdown]
# ## Forward: compute the total, node by node
#
#     apples   = apple_price  * n_apples         (a Mul node)
#     oranges  = orange_price * n_oranges        (a Mul node)
#     subtotal = apples + oranges                (an Add node)
#     total    = subtotal * tax                  (a Mul node)

# %%
apple_price, n_apples = 100.0, 2.0
orange_price, n_oranges = 150.0, 3.0
tax = 1.1

mul_apple, mul_orange, add_fruit, mul_tax = Mul(), Mul(), Add(), Mul()


def total_price(apple_price, n_apples, orange_price, n_oranges, tax):
    """The whole graph's forward pass: returns the total and keeps each node's cache."""
    apples = mul_apple.forward(apple_price, n_apples)          # 200
    oranges = mul_orange.forward(orange_price, n_oranges)      # 450
    subtotal = add_fruit.forward(apples, oranges)              # 650
    return mul_tax.forward(subtotal, tax)                      # 715


total = total_price(apple_price, n_apples, orange_price, n_oranges, tax)
print(f"total price: {total:.4f}")

# %% [markdown]
# ## Backward: start from d total / d total = 1 and walk the graph in reverse
#
# Each node hands its inputs the upstream gradient times its local derivative. By hand:
#     d total / d tax          = subtotal                      = 650
#     d total / d subtotal     = tax                           = 1.1
#     d total / d apples       = 1.1 * 1   (Add passes it on)  = 1.1
#     d total / d apple_price  = 1.1 * n_apples                = 2.2
#     d total / d n_apples     = 1.1 * apple_price             = 110

# %%
dtotal = 1.0
dsubtotal, dtax = mul_tax.backward(dtotal)
dapples, doranges = add_fruit.backward(dsubtotal)
dapple_price, dn_apples = mul_apple.backward(dapples)
dorange_price, dn_oranges = mul_orange.backward(doranges)

analytic = {"apple_price": dapple_price, "n_apples": dn_apples, "orange_price": dorange_price,
            "n_oranges": dn_oranges, "tax": dtax}

# %% [markdown]
# ## Check: nudge each input a little and watch the total (finite differences)
#
# gradcheck.numerical_gradient computes (f(v + h) - f(v - h)) / (2 h) for each entry of v:
# no calculus at all, just the definition of a derivative. If it agrees with our backward,
# our chain rule was right.

# %%
v = np.array([apple_price, n_apples, orange_price, n_oranges, tax])
numeric = gradcheck.numerical_gradient(lambda v: total_price(*v), v)

worst = 0.0
for (name, a), n in zip(analytic.items(), numeric):
    print(f"d total / d {name:<13} analytic {a:10.4f}   numeric {n:12.6f}")
    worst = max(worst, abs(a - n))
print(f"max |analytic - numeric| (apples): {worst:.2e}")

# %% [markdown]
# ## A variable used twice: its gradients add up
#
# f(x, y) = x * y + x uses x twice. Each use sends back its own gradient, and the total
# derivative is their sum: df/dx = y + 1. Forgetting to add (overwriting instead) is one of
# the most common backprop bugs.

# %%
mul, add = Mul(), Add()


def f(x, y):
    return add.forward(mul.forward(x, y), x)


x0, y0 = 3.0, -2.0
f(x0, y0)
dxy, dx_direct = add.backward(1.0)         # gradient to (x * y) and to the lone x
dx_via_mul, dy = mul.backward(dxy)
dx = dx_via_mul + dx_direct                # two paths into x: add them
numeric_xy = gradcheck.numerical_gradient(lambda p: f(*p), np.array([x0, y0]))
print(f"df/dx analytic {dx:.4f}  numeric {numeric_xy[0]:.6f}   (y + 1 = {y0 + 1})")
print(f"df/dy analytic {dy:.4f}  numeric {numeric_xy[1]:.6f}   (x = {x0})")
worst_shared = max(abs(dx - numeric_xy[0]), abs(dy - numeric_xy[1]))
print(f"max |analytic - numeric| (shared x): {worst_shared:.2e}")
print(f"df/dx with only the Mul path (the bug): {dx_via_mul:.4f}, "
      f"error {abs(dx_via_mul - numeric_xy[0]):.4f}")

# %% [markdown]
# ## A nonlinear node: one tanh neuron and its loss
#
# The apples graph is linear: every local derivative is a constant, so the gradient is the
# same wherever you stand. A network needs a nonlinearity, and then the gradient depends on
# the point. Take one example (an input x and a target y) and one neuron:
#
#     m = w * x          (Mul)       the Curso-R deck's graph for linear regression:
#     z = m + b          (Add)       weights w, b; data x, y; the rest derived from both
#     a = tanh(z)        (Tanh)      the node we add: the neuron's activation
#     d = a - y          (Sub)       the error
#     L = d * d          (Mul)       the squared error: d is used twice
#
# Tanh: out = tanh(z), and d tanh(z) / dz = 1 - tanh(z)²: the backward needs only its own
# output. Sub: d out/da = 1, d out/db = -1.

# %%
class Sub:
    """out = a - b."""

    def forward(self, a, b):
        return a - b

    def backward(self, dout):
        """Forward: out = a - b.  Backward: dL/da = dout,  dL/db = -dout."""
        return dout * 1.0, dout * -1.0


class TanhNode:
    """out = tanh(z). Remembers its output: the local derivative is 1 - out**2."""

    def forward(self, z):
        self.out = np.tanh(z)
        return self.out

    def backward(self, dout):
        """Forward: out = tanh(z).  Backward: dL/dz = dout * (1 - out**2)."""
        return dout * (1.0 - self.out ** 2)


x_h, y_h = 1.5, 1.1                  # one example: input and target
w_h, b_h = 0.8, -0.5                 # the neuron's weights
n_mul, n_add, n_tanh, n_sub, n_sq = Mul(), Add(), TanhNode(), Sub(), Mul()


def neuron_forward(w, b, x=x_h, y=y_h):
    """Forward through the five nodes (each keeps its cache); returns every value by name."""
    m = n_mul.forward(w, x)
    z = n_add.forward(m, b)
    a = n_tanh.forward(z)
    d = n_sub.forward(a, y)
    L = n_sq.forward(d, d)
    return {"w": w, "x": x, "b": b, "y": y, "m": m, "z": z, "a": a, "d": d, "L": L}


def neuron_loss(w, b):
    return neuron_forward(w, b)["L"]


values = neuron_forward(w_h, b_h)
L_h = values["L"]
grads = {"L": 1.0}
d_use1, d_use2 = n_sq.backward(grads["L"])           # two uses of d: one gradient each
grads["d"] = d_use1 + d_use2                         # ... and they add up: 2 d
grads["a"], grads["y"] = n_sub.backward(grads["d"])
grads["z"] = n_tanh.backward(grads["a"])
grads["m"], grads["b"] = n_add.backward(grads["z"])
grads["w"], grads["x"] = n_mul.backward(grads["m"])
for name in ("L", "d", "a", "z", "m", "b", "w", "x", "y"):
    print(f"neuron {name}: value {values[name]:8.4f}   dL/d{name} {grads[name]:8.4f}")
print(f"gradient along each of the two edges d -> L: {d_use1:.4f}; their sum dL/dd: "
      f"{grads['d']:.4f} (2 d = {2 * values['d']:.4f})")
print(f"tanh's local derivative 1 - a²: {1 - values['a'] ** 2:.4f}")

numeric_h = gradcheck.numerical_gradient(lambda p: neuron_loss(*p), np.array([w_h, b_h]))
worst_neuron = max(abs(grads["w"] - numeric_h[0]), abs(grads["b"] - numeric_h[1]))
print(f"dL/dw analytic {grads['w']:.6f}  numeric {numeric_h[0]:.6f}")
print(f"max |analytic - numeric| (neuron): {worst_neuron:.2e}")

# %% [markdown]
# ## The graph, with every value and gradient on it
#
# Boxes are values (grey: weights, green: data, orange: derived from both, as in the course's
# slide); circles are the nodes' operations. Each box shows its forward value and its gradient
# dL/d(value); each arrow into an operation is labelled with the gradient that flows back along
# it (in red). The two arrows from d into the last Mul each carry one share, and d's box holds
# their sum.

# %%
POS = {name: (1.25 * px, py) for name, (px, py) in {
    "w": (0, 2.6), "x": (0, 0), "*m": (2, 1.3), "m": (4, 1.3), "b": (4, 3.9), "+": (6, 2.6),
    "z": (8, 2.6), "tanh": (10, 2.6), "a": (12, 2.6), "y": (12, 0), "-": (14, 1.3),
    "d": (16, 1.3), "*L": (18, 1.3), "L": (20, 1.3)}.items()}
KIND = {"w": "#d9d9d9", "b": "#d9d9d9", "x": "#b7e4b7", "y": "#b7e4b7"}   # default orange
OPS = {"*m": "*", "+": "+", "tanh": "tanh", "-": "-", "*L": "*"}
# (from, to, the gradient that flows back along this edge; None on an operation's output)
EDGES = [("w", "*m", grads["w"]), ("x", "*m", grads["x"]), ("*m", "m", None),
         ("m", "+", grads["m"]), ("b", "+", grads["b"]), ("+", "z", None),
         ("z", "tanh", grads["z"]), ("tanh", "a", None), ("a", "-", grads["a"]),
         ("y", "-", grads["y"]), ("-", "d", None), ("d", "*L", d_use1), ("d", "*L", d_use2),
         ("*L", "L", None)]


BOX_W, BOX_H, RADIUS = 0.85, 0.6, 0.45           # half width and height of a box; a circle


def _to_border(name, direction):
    """From the centre of node `name` to its border, along `direction` (a 2-vector)."""
    dx, dy = direction / np.hypot(*direction)
    if name in OPS:
        return RADIUS * np.array([dx, dy])
    t = min(BOX_W / abs(dx) if dx else np.inf, BOX_H / abs(dy) if dy else np.inf)
    return t * np.array([dx, dy])


def draw_graph(ax, values, grads, title):
    """Draw the neuron's graph into ax: value boxes, operation circles, labelled arrows."""
    for name, (px, py) in POS.items():
        if name in OPS:
            ax.add_patch(Circle((px, py), RADIUS, facecolor="#cfe2f3", edgecolor="k"))
            ax.text(px, py, OPS[name], ha="center", va="center", fontsize=10)
            continue
        ax.add_patch(FancyBboxPatch((px - BOX_W + 0.05, py - BOX_H + 0.05), 2 * BOX_W - 0.1,
                                    2 * BOX_H - 0.1, boxstyle="round,pad=0.05",
                                    edgecolor="k", facecolor=KIND.get(name, "#fbd5a5")))
        ax.text(px, py + 0.3, name, ha="center", va="center", fontsize=10, fontweight="bold")
        ax.text(px, py, f"value {values[name]:.3f}", ha="center", va="center", fontsize=8)
        ax.text(px, py - 0.3, f"grad {grads[name]:.3f}", ha="center", va="center",
                fontsize=8, color="#c00000")
    drawn = set()
    for start, end, g in EDGES:
        p1, p2 = np.array(POS[start], float), np.array(POS[end], float)
        p1, p2 = p1 + _to_border(start, p2 - p1), p2 + _to_border(end, p1 - p2)
        rad = 0.0
        if start == "d":                                # d is used twice: two curved edges
            rad = 0.5 if (start, end) in drawn else -0.5
        drawn.add((start, end))
        ax.add_patch(FancyArrowPatch(tuple(p1), tuple(p2), arrowstyle="-|>", mutation_scale=12,
                                     connectionstyle=f"arc3,rad={rad}", shrinkA=0, shrinkB=0,
                                     color="k", lw=1))
        if g is None:
            continue
        length = np.hypot(*(p2 - p1))
        normal = np.array([-(p2 - p1)[1], (p2 - p1)[0]]) / length   # left of the edge
        off = 0.3 if rad == 0 else rad * length / 2 + 0.25 * np.sign(rad)
        mx, my = (p1 + p2) / 2 + normal * off
        ax.text(mx, my, f"{g:.3f}", ha="center", va="center", fontsize=8, color="#c00000")
    ax.set_xlim(-1.0, 26.0)
    ax.set_ylim(-0.8, 4.7)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("forward: values flow left to right;  backward: gradients (red) flow right "
                  "to left, and each arrow is labelled with the gradient it carries back")
    ax.set_ylabel("grey: weights\ngreen: data\norange: derived", fontsize=8)
    ax.set_title(title)


fig = Figure(figsize=(16, 4.2))
draw_graph(fig.add_subplot(), values, grads,
           f"L = (tanh(w x + b) - y)²  at w = {w_h}, b = {b_h}, x = {x_h}, y = {y_h}")
lesson.save(fig, "01_graph.png")

# %% [markdown]
# ## The derivative is the slope of the tangent
#
# With everything but w held fixed, L(w) is a curve (tanh bends it), and dL/dw from backward is
# the slope of its tangent at w = 0.8. Near that point the tangent is the best straight-line
# guess of the curve: its error shrinks like h² when you step h away, so ten times closer is
# about a hundred times more accurate. Further away the curve bends off, which is why gradient
# descent takes small steps. Far to the right tanh saturates: it never exceeds 1, so this
# neuron can never reach y = 1.1, L(w) flattens out at (1 - 1.1)² = 0.01, and a saturated
# tanh passes back almost no gradient (1 - a² is nearly 0).

# %%
g_w = grads["w"]


def tangent_error(h):
    """|L(w0 + h) - (L(w0) + g h)|: how far the tangent misses the curve at distance h."""
    return abs(neuron_loss(w_h + h, b_h) - (L_h + g_w * h))


err_far, err_near = tangent_error(0.1), tangent_error(0.01)
print(f"tangent error at h = 0.1: {err_far:.3e}   at h = 0.01: {err_near:.3e}   "
      f"ratio: {err_far / err_near:.1f}")

far = neuron_forward(3.0, b_h)
print(f"saturated at w = 3: L = {far['L']:.4f}, 1 - a² = {1 - far['a'] ** 2:.4f}, "
      f"dL/dw = {2 * far['d'] * (1 - far['a'] ** 2) * x_h:.4f}   (at w = {w_h}: {g_w:.4f})")

ws = np.linspace(-1.0, 3.0, 200)
Ls = np.array([neuron_loss(w, b_h) for w in ws])
near = np.array([w_h - 0.25, w_h + 0.25])            # the tangent, drawn near its point
fig = Figure(figsize=(6, 4))
ax = fig.add_subplot()
ax.plot(ws, Ls, label="L(w) = (tanh(w x + b) - y)²")
ax.plot(near, L_h + g_w * (near - w_h), "--", lw=2,
        label=f"tangent at w = {w_h}, slope dL/dw = {g_w:.3f}")
ax.plot([w_h], [L_h], "o", color="k", label="the point of the backward pass")
ax.set_xlabel("w")
ax.set_ylabel("L")
ax.set_title("dL/dw from backward is the slope of L(w)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
lesson.save(fig, "01_tangent.png")


# %% [markdown]
# ## The same nodes as scratchnet Layers
#
# A Layer takes one array x (N, D) and keeps its numbers (parameters) in `params`; backward
# fills `grads` and returns dL/dx. Here are Mul and Add with a learnable vector:
#     Scale: y = x * w     w: (D,)   dL/dx = dy * w,   dL/dw = sum over the batch of dy * x
#     Shift: y = x + b     b: (D,)   dL/dx = dy,       dL/db = sum over the batch of dy
# The sums over the batch are the "variable used N times" rule again: w is used by every row.
# scratchnet's own Tanh layer (scratchnet/layers/activations.py) is our TanhNode on arrays.

# %%
class Scale(Layer):
    """y = x * w, elementwise; x: (N, D), w: (D,), y: (N, D)."""

    def __init__(self, D, rng=0):
        super().__init__()
        self.add_param("w", np.random.default_rng(rng).normal(size=D))

    def forward(self, x):
        x = self.check_input(x, ndim=2, axis=1, size=self.params["w"].shape[0])
        self.save_cache(x=x)
        return x * self.params["w"]

    def backward(self, dy):
        """Forward: y[n, d] = x[n, d] * w[d].
        Backward: dL/dx = dy * w            (N, D)
                  dL/dw = (dy * x).sum(0)   (D,)   w is used by all N rows: add them up."""
        x = self.load_cache()["x"]
        dy = self.check_grad(dy, x.shape)               # a clear error for a wrong shape
        self.grads["w"][...] = (dy * x).sum(axis=0)
        return dy * self.params["w"]


class Shift(Layer):
    """y = x + b; x: (N, D), b: (D,), y: (N, D)."""

    def __init__(self, D):
        super().__init__()
        self.add_param("b", np.zeros(D))

    def forward(self, x):
        x = self.check_input(x, ndim=2, axis=1, size=self.params["b"].shape[0])
        self.save_cache(shape=x.shape)
        return x + self.params["b"]

    def backward(self, dy):
        """Forward: y = x + b.  Backward: dL/dx = dy (a copy),  dL/db = dy.sum(0)  (D,)."""
        dy = self.check_grad(dy, self.load_cache()["shape"])
        self.grads["b"][...] = dy.sum(axis=0)
        return dy.copy()


# %% [markdown]
# check_layer uses a random upstream gradient g and L = sum(y * g), then compares every
# gradient with finite differences. check_model does the same through a loss.

# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(4, 3))
reports = [gradcheck.check_layer(Scale(3), x), gradcheck.check_layer(Shift(3), x),
           gradcheck.check_layer(Tanh(), x)]
model = Sequential([Scale(3, rng=1), Shift(3), Tanh(), Scale(3, rng=2)])
reports.append(gradcheck.check_model(model, MSE(), x, rng.normal(size=(4, 3))))
for r in reports:
    print(f"gradcheck {r.title.split(':')[0]}: {r.status} (max error {r.max_err:.1e})")
print(reports[-1])
print(f"gradcheck all passed: {all(r.passed for r in reports)}")

# %% [markdown]
# ## Read the source
# - `scratchnet/layers/base.py`: the module docstring is the layer contract (backward never
#   updates a parameter, never changes dy in place) with a worked Scale layer like ours;
#   `add_param`, `save_cache`, `load_cache`, `check_input`, `check_grad` are the helpers used
#   above.
# - `scratchnet/layers/activations.py`: `Tanh.backward` is `dy * (1 - y * y)`, our TanhNode
#   on arrays; `Sigmoid.backward` is the same idea with y (1 - y).
# - `gradcheck/numeric.py`: `numerical_gradient` and `finite_differences`, the central
#   difference and the choice of the step h.
# - `gradcheck/checks.py`: `check_layer` (the random upstream gradient, the structural checks
#   that run before any number is compared).
#
# ## Exercises
# ### Exercise 1
# Replace the tanh node by a sigmoid node, s = 1 / (1 + exp(-z)), whose local derivative is
# s (1 - s). With the same w, b, x, y as above, compute dL/dw and dL/db by backward.
# Check: both agree with gradcheck.numerical_gradient to better than 1e-8.
#
# ### Exercise 2
# Write a scratchnet Layer `Square` (y = x², elementwise, no parameters) with forward and
# backward, using `check_input`, `save_cache`, `load_cache` and `check_grad` as Scale does.
# Check: gradcheck.check_layer(Square(), x) passes for x of shape (4, 3), and
# gradcheck.check_model passes for Sequential([Scale(3), Square()]) with MSE.
#
# ### Exercise 3
# The course's first graph: linear regression on one house, y_hat = w x + b,
# L = (y - y_hat)², with x = 1.5, y = 1.1, w = 0.8, b = -0.5. Build it from Mul, Add and
# Sub nodes (d = y - y_hat; L = d * d) and backpropagate.
# Check: your dL/dw equals the course's formula -2 (y - y_hat) x, and dL/db equals
# -2 (y - y_hat), to 1e-12 (here dL/dw = -1.2 and dL/db = -0.8).
# (Solutions: tutorials/solutions/01_chain_rule.py)
