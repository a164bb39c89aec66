# %% [markdown]
# # 01 - The chain rule on a tiny computation graph
#
# Backpropagation is the chain rule, applied one small step at a time. Before any matrix,
# we do it on numbers: buying apples and oranges.
#
#     apples  = apple_price  * n_apples          (a Mul node)
#     oranges = orange_price * n_oranges         (a Mul node)
#     subtotal = apples + oranges                (an Add node)
#     total    = subtotal * tax                  (a Mul node)
#
# Each node knows only two things: how to compute its output (forward) and, given how much
# the final answer changes per unit of its output (the "upstream gradient" d total / d out),
# how much it changes per unit of each input (backward). Chaining the nodes backwards gives
# d total / d every input. Then we prove the answers with finite differences (gradcheck).
#
# Run: `python tutorials/01_chain_rule.py`. Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import os

import matplotlib

matplotlib.use("Agg")                      # draw to files; works without a screen

import numpy as np

import gradcheck
from scratchnet.layers import Layer
from scratchnet.losses import MSE
from scratchnet.model import Sequential

OUT = os.environ.get("SCRATCHNET_OUT", os.path.join(os.path.dirname(__file__), "out"))
os.makedirs(OUT, exist_ok=True)


# %% [markdown]
# ## Two nodes: Mul and Add
#
# Mul: out = a * b. If a grows by a tiny h, out grows by h * b, so d out / d a = b; likewise
# d out / d b = a. The chain rule multiplies the local derivative by the upstream gradient:
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
        da = dout * self.b
        db = dout * self.a
        return da, db


class Add:
    """out = a + b. Needs to remember nothing: its local derivatives are both 1."""

    def forward(self, a, b):
        return a + b

    def backward(self, dout):
        """Forward: out = a + b.  Backward: dL/da = dout * 1,  dL/db = dout * 1."""
        return dout * 1.0, dout * 1.0


# %% [markdown]
# ## Forward: compute the total, node by node

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


# %% [markdown]
# ## The same nodes as scratchnet Layers
#
# A Layer takes one array x (N, D) and keeps its numbers (parameters) in `params`; backward
# fills `grads` and returns dL/dx. Here are Mul and Add with a learnable vector:
#     Scale: y = x * w     w: (D,)   dL/dx = dy * w,   dL/dw = sum over the batch of dy * x
#     Shift: y = x + b     b: (D,)   dL/dx = dy,       dL/db = sum over the batch of dy
# The sums over the batch are the "variable used N times" rule again: w is used by every row.

# %%
class Scale(Layer):
    """y = x * w, elementwise; x: (N, D), w: (D,), y: (N, D)."""

    def __init__(self, D, rng=0):
        super().__init__()
        self._add_param("w", np.random.default_rng(rng).normal(size=D))

    def forward(self, x):
        x = self._check_input(x, ndim=2, axis=1, size=self.params["w"].shape[0])
        self._save(x=x)
        return x * self.params["w"]

    def backward(self, dy):
        """Forward: y[n, d] = x[n, d] * w[d].
        Backward: dL/dx = dy * w            (N, D)
                  dL/dw = (dy * x).sum(0)   (D,)   w is used by all N rows: add them up."""
        x = self._load()["x"]
        dy = self._check_grad(dy, x.shape)              # a clear error for a wrong shape
        self.grads["w"][...] = (dy * x).sum(axis=0)
        return dy * self.params["w"]


class Shift(Layer):
    """y = x + b; x: (N, D), b: (D,), y: (N, D)."""

    def __init__(self, D):
        super().__init__()
        self._add_param("b", np.zeros(D))

    def forward(self, x):
        x = self._check_input(x, ndim=2, axis=1, size=self.params["b"].shape[0])
        self._save(shape=x.shape)
        return x + self.params["b"]

    def backward(self, dy):
        """Forward: y = x + b.  Backward: dL/dx = dy (a copy),  dL/db = dy.sum(0)  (D,)."""
        dy = self._check_grad(dy, self._load()["shape"])
        self.grads["b"][...] = dy.sum(axis=0)
        return dy.copy()


# %% [markdown]
# check_layer uses a random upstream gradient g and L = sum(y * g), then compares every
# gradient with finite differences. check_model does the same through a loss.

# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(4, 3))
reports = [gradcheck.check_layer(Scale(3), x), gradcheck.check_layer(Shift(3), x)]
model = Sequential([Scale(3, rng=1), Shift(3), Scale(3, rng=2)])
reports.append(gradcheck.check_model(model, MSE(), x, rng.normal(size=(4, 3))))
for r in reports:
    print(f"gradcheck {r.title.split(':')[0]}: {r.status} (max error {r.max_err:.1e})")
print(reports[-1])
print(f"gradcheck all passed: {all(r.passed for r in reports)}")

# %% [markdown]
# ## A picture: the derivative is the slope
#
# The total as a function of the apple price alone is a straight line, and its slope is the
# gradient we computed: 2.2. We draw the curve and the tangent with that slope.

# %%
from matplotlib.figure import Figure

prices = np.linspace(0, 200, 50)
totals = [total_price(p, n_apples, orange_price, n_oranges, tax) for p in prices]
fig = Figure(figsize=(5, 3.5))
ax = fig.add_subplot()
ax.plot(prices, totals, label="total(apple_price)")
ax.plot(prices, total + dapple_price * (prices - apple_price), "--",
        label=f"tangent, slope d total/d apple_price = {dapple_price:.1f}")
ax.plot([apple_price], [total], "o", color="k")
ax.set_xlabel("apple price")
ax.set_ylabel("total")
ax.legend(fontsize=8)
figure_path = os.path.join(OUT, "01_chain_rule_slope.png")
fig.savefig(figure_path, dpi=100, bbox_inches="tight")
print(f"saved figure: {figure_path}")
