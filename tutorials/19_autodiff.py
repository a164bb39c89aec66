# %% [markdown]
# # 19 - Hand-written backward against automatic differentiation
#
# After this lesson you can
# - build a reverse-mode automatic differentiator in under 40 lines: a `Value` that records
#   how it was made, a `_backward` closure per operation, and a walk in reverse topological
#   order;
# - show that it gives the same gradients as scratchnet's hand-written Dense, Tanh and MSE
#   (to about 1e-16) on a 2-layer network;
# - say what an autodiff system does for you (record the graph, order the work, add up the
#   gradients of a value used twice) and what scratchnet does by hand instead.
#
# Why: the course's decks train their networks with JAX's `grad` ("Introduction to neural
# networks and deep learning": NumPy + accelerators + autodiff) and with {torch}'s autograd
# (the UFPR "Deep Learning with {torch}" deck): nobody writes a backward there. scratchnet
# writes every backward by hand so that you see each one. This lesson joins the two views:
# the chain rule that you apply by hand in each layer is exactly what autodiff applies
# mechanically, one scalar operation at a time.
#
# Run: `python tutorials/19_autodiff.py` (SCRATCHNET_FAST=1 for a quick run). Figures go to
# tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import math
import time

import numpy as np
from matplotlib.figure import Figure

from scratchnet import lesson
from scratchnet.layers import Dense, Tanh
from scratchnet.losses import MSE
from scratchnet.model import Sequential

REPEATS = 3 if lesson.FAST else 20        # timing runs (the best one counts)


# %% [markdown]
# ## The engine
# A `Value` holds one number (`data`), the derivative of the final result with respect to it
# (`grad`, filled by backward), the values it was computed from (`parents`) and a closure
# `_backward` that passes its own grad on to its parents, times the local derivatives:
#     out = a * b:       a.grad += b * out.grad,   b.grad += a * out.grad
#     out = a + b:       a.grad += out.grad,       b.grad += out.grad
#     out = tanh(a):     a.grad += (1 - out**2) * out.grad
# `backward()` sorts the graph so that every value comes after everything it was computed
# from (a topological order), sets d(out)/d(out) = 1, and runs the closures in REVERSE order:
# by the time a value passes its grad on, every use of it has added its share.

# %%
class Value:
    """A scalar that remembers how it was computed, so that gradients can flow back to it."""

    def __init__(self, data, parents=(), op=""):
        self.data, self.grad = float(data), 0.0
        self.parents, self.op = parents, op
        self._backward = lambda: None                    # a leaf passes nothing on

    def _result(self, data, parents, op, local):
        """A new Value from `parents`; local[i] = d(result)/d(parents[i]) at these numbers."""
        out = Value(data, parents, op)

        def _backward():                                 # the chain rule, one step
            for parent, d in zip(parents, local):
                parent.grad += d * out.grad              # +=: a value used twice gets both
        out._backward = _backward
        return out

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self._result(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self._result(self.data * other.data, (self, other), "*", (other.data, self.data))

    def tanh(self):
        t = math.tanh(self.data)
        return self._result(t, (self,), "tanh", (1.0 - t * t,))

    __radd__, __rmul__ = __add__, __mul__
    def __neg__(self): return self * -1.0                            # noqa: E301, E704
    def __sub__(self, other): return self + (-other)                 # noqa: E301, E704
    def __rsub__(self, other): return (-self) + other                # noqa: E301, E704

    def backward(self):
        """Fill .grad of every value this one depends on with d(self)/d(value)."""
        order, seen = [], set()

        def visit(v):                                    # depth first: parents before v
            if v not in seen:
                seen.add(v)
                for parent in v.parents:
                    visit(parent)
                order.append(v)
        visit(self)
        self.grad = 1.0
        for v in reversed(order):                        # every user of v before v itself
            v._backward()
        return order                                     # the tape, in forward order


# %% [markdown]
# ## One neuron, drawn
# y = tanh(w1 * x1 + w2 * x2 + b). The forward pass builds the graph as it computes; backward
# then fills every grad. Check one by hand: dy/dw1 = (1 - y**2) * x1.

# %%
x1, x2, w1, w2, b = Value(2.0), Value(-1.0), Value(-0.5), Value(0.8), Value(0.3)
for v, name in ((x1, "x1"), (x2, "x2"), (w1, "w1"), (w2, "w2"), (b, "b")):
    v.op = name
neuron = (w1 * x1 + w2 * x2 + b).tanh()
tape = neuron.backward()
print(f"neuron: y = {neuron.data:.6f}, graph of {len(tape)} values")
print(f"dy/dw1: autodiff {w1.grad:.10f}   by hand (1 - y**2) * x1 = "
      f"{(1 - neuron.data ** 2) * x1.data:.10f}")
print("the tape (forward order; backward runs it from the bottom up):")
for i, v in enumerate(tape):
    made_of = ", ".join(str(tape.index(p)) for p in v.parents) or "-"
    print(f"  {i}: {v.op:>4}  from [{made_of:>4}]  data {v.data:+.4f}  grad {v.grad:+.4f}")


def draw_graph(ax, tape):
    """Nodes placed by depth (longest path from a leaf; a leaf sits just before its first
    use), edges from each parent to its child."""
    depth = {}
    for v in tape:                                       # parents come first in the tape
        depth[v] = 1 + max((depth[p] for p in v.parents), default=-1)
    for v in tape:
        users = [u for u in tape if v in u.parents]
        if not v.parents and users:
            depth[v] = min(depth[u] for u in users) - 1
    rows = {}
    pos = {}
    for v in tape:
        pos[v] = (depth[v], rows.get(depth[v], 0))
        rows[depth[v]] = rows.get(depth[v], 0) + 1
    pos = {v: (d, r - (rows[d] - 1) / 2) for v, (d, r) in pos.items()}   # centre each column
    for v in tape:
        for p in v.parents:
            ax.plot([pos[p][0], pos[v][0]], [pos[p][1], pos[v][1]], color="0.6", zorder=1)
    leaves = [v for v in tape if not v.parents]
    ops = [v for v in tape if v.parents]
    for group, colour, label in ((leaves, "#aec7e8", "input or weight (a leaf)"),
                                 (ops, "#ffbb78", "operation")):
        ax.scatter([pos[v][0] for v in group], [pos[v][1] for v in group], s=2200,
                   color=colour, zorder=2, label=label)
    for v in tape:
        ax.text(pos[v][0], pos[v][1], f"{v.op}\n{v.data:+.3f}\ngrad {v.grad:+.3f}",
                ha="center", va="center", fontsize=8, zorder=3)
    ax.set_xlim(-0.6, max(depth.values()) + 0.6)
    ax.set_ylim(-2.3, 2.3)
    ax.set_yticks([])


fig = Figure(figsize=(10, 4.8))
ax = fig.add_subplot(1, 1, 1)
draw_graph(ax, tape)
ax.set_title("y = tanh(w1*x1 + w2*x2 + b): each node shows its value and its grad dy/d(node)")
ax.set_xlabel("depth: forward runs left to right, backward right to left")
ax.set_ylabel("values at this depth")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), markerscale=0.3)
lesson.save(fig, "19_graph.png")

# %% [markdown]
# ## A 2-layer network, both ways
# x (4, 3) -> Dense(3, 5) -> Tanh -> Dense(5, 2) -> MSE against targets (4, 2). First with
# scratchnet: every layer's backward is written out by hand (read dense_backward in
# scratchnet/layers/dense.py). Then the very same numbers, each wrapped in a Value. NumPy
# arrays of Python objects let `@`, `+` and `np.tanh` run on Values (np.tanh calls each
# element's .tanh()), so the forward reads exactly like NumPy, and every scalar product and
# sum becomes a node of the graph.

# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(4, 3))
target = rng.normal(size=(4, 2))
model = Sequential([Dense(3, 5, init="xavier", rng=1), Tanh(), Dense(5, 2, init="xavier", rng=2)])
for layer in (model[0], model[2]):                       # biases away from 0, so they matter
    layer.params["b"][...] = rng.normal(size=layer.params["b"].shape)
loss = MSE()
hand_loss = loss.forward(model.forward(x), target)
hand = {"dx": model.backward(loss.backward()),                   # copies: the next backward
        "W1": model[0].grads["W"].copy(), "b1": model[0].grads["b"].copy(),   # overwrites grads
        "W2": model[2].grads["W"].copy(), "b2": model[2].grads["b"].copy()}

as_values = np.vectorize(Value, otypes=[object])
grads_of = np.vectorize(lambda v: v.grad, otypes=[float])


def autodiff_loss(x, W1, b1, W2, b2, target):
    """The same network on Values: returns (loss Value, the leaf arrays)."""
    leaves = {k: as_values(a) for k, a in (("dx", x), ("W1", W1), ("b1", b1), ("W2", W2),
                                           ("b2", b2))}
    h = np.tanh(leaves["dx"] @ leaves["W1"] + leaves["b1"])          # (N, 5) of Values
    out = h @ leaves["W2"] + leaves["b2"]                            # (N, 2)
    err = (out - target).ravel()
    total = sum((e * e for e in err), Value(0.0)) * (1.0 / err.size)  # mean squared error
    return total, leaves


params = (model[0].params["W"], model[0].params["b"], model[2].params["W"], model[2].params["b"])
auto_loss, leaves = autodiff_loss(x, *params, target)
graph = auto_loss.backward()
auto = {k: grads_of(v) for k, v in leaves.items()}
print(f"loss: scratchnet {hand_loss:.15f}   autodiff {auto_loss.data:.15f}")
for k in hand:
    print(f"  {k:>2} {str(hand[k].shape):7}  max |hand - autodiff| = "
          f"{np.abs(hand[k] - auto[k]).max():.1e}")
worst = max(float(np.abs(hand[k] - auto[k]).max()) for k in hand)
print(f"largest difference over all gradients: {worst:.1e}")

# %% [markdown]
# The two agree to rounding. Nothing was derived for the autodiff version: it knows only the
# local derivatives of +, * and tanh. What it built instead is a graph of scalars.

# %%
ops = {}
for v in graph:
    ops[v.op or "leaf"] = ops.get(v.op or "leaf", 0) + 1
print(f"graph for N = 4: {len(graph)} values ({', '.join(f'{n} {k}' for k, n in sorted(ops.items()))})")
x8, t8 = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
print(f"graph for N = 8: {len(autodiff_loss(x8, *params, t8)[0].backward())} values")


def best_time(fn):
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def times(n):
    """Best time of forward + backward, scratchnet and scalar autodiff, for a batch of n."""
    xn, tn = rng.normal(size=(n, 3)), rng.normal(size=(n, 2))

    def run_hand():
        loss.forward(model.forward(xn), tn)
        model.backward(loss.backward())
    return best_time(run_hand), best_time(lambda: autodiff_loss(xn, *params, tn)[0].backward())


for n in (4, 64):
    t_hand, t_auto = times(n)
    print(f"forward + backward, N = {n:2d}: scratchnet {t_hand * 1e3:.3f} ms   scalar autodiff "
          f"{t_auto * 1e3:.3f} ms   ({t_auto / t_hand:.0f} times slower)")

# %% [markdown]
# ## What autodiff does that scratchnet does by hand
# - **It records the graph.** Every operation on a Value appends a node; the graph (the
#   "tape") is built while the forward runs, and it grows with the batch: twice the examples,
#   about twice the nodes (the counts above). scratchnet records nothing but each layer's
#   cache; the graph is the list of layers in `Sequential`.
# - **It orders the work.** `backward` sorts the graph topologically and walks it in reverse.
#   scratchnet's `Sequential.backward` walks its layers from last to first: a chain is its
#   own topological order.
# - **It derives nothing, only chains local derivatives,** of + , * and tanh here. scratchnet's
#   layers are big operations whose backward someone derived once, for the whole matrix:
#   dL/dW = x.T @ dy is one matrix product where the autodiff graph has a node for every
#   scalar product. That is why the scalar version is slower, and the more so the bigger
#   the batch (the times above: at N = 4 the layers' own checks and caches still weigh).
#   JAX and PyTorch record whole-array operations instead of scalars, with hand-written
#   backward rules for each (a matmul's rule is exactly dense_backward's), so they are fast:
#   they are this engine with scratchnet's layers as the primitives.
# - **It adds up the gradients of a value used twice** (the `+=`). A weight used by all N
#   examples gets N shares: in dense_backward that sum is the `x.T @ dy` over the batch, and
#   `dy.sum(axis=0)` for b, written by hand.
#
# In the course's tools the same network needs no backward at all:
#
#     # JAX                                    # {torch} in R, or PyTorch in Python
#     grads = jax.grad(loss_fn)(params, x, y)  loss = ((net(x) - y) ** 2).mean()
#                                              loss.backward()   # fills w.grad
#
# If PyTorch is installed, its autograd gives the same numbers once more.

# %%
try:
    import torch
except ImportError:
    torch = None
if torch is None:
    print("torch autograd: not installed, skipped")
else:
    tx = torch.tensor(x, requires_grad=True)
    tp = [torch.tensor(p, requires_grad=True) for p in params]
    t_out = torch.tanh(tx @ tp[0] + tp[1]) @ tp[2] + tp[3]
    ((t_out - torch.tensor(target)) ** 2).mean().backward()
    torch_grads = dict(zip(("dx", "W1", "b1", "W2", "b2"), [tx.grad] + [p.grad for p in tp]))
    diff = max(float(np.abs(hand[k] - torch_grads[k].numpy()).max()) for k in hand)
    print(f"torch autograd: max |hand - torch| = {diff:.1e}")

# %% [markdown]
# ## Read the source
# - `scratchnet/layers/dense.py`: `dense_backward` derives dx = dy @ W.T, dW = x.T @ dy and
#   db = dy.sum(axis=0) once, for whole matrices; compare it with the hundreds of scalar `*`
#   and `+` nodes that our graph needs for the same layer.
# - `scratchnet/layers/activations.py`: `Tanh.backward`, dy * (1 - y**2): the same local
#   derivative as `Value.tanh`.
# - `scratchnet/losses.py`: `MSE.backward`, 2 e / M: what our graph of squares and one mean
#   computes node by node.
# - `scratchnet/model.py`: `Sequential.backward`, the fixed reverse order that replaces the
#   topological sort.
#
# ## Exercises
# ### Exercise 1
# Give `Value` a `sigmoid()` method (one `_result` call: its local derivative is s * (1 - s)).
# Check it with `gradcheck.check_function` on f(x) = sum_i sigmoid(x_i) * x_i for x of 6
# random numbers, where df builds the Values and returns their grads. Check: the report
# passes with a max error below 1e-7.
#
# ### Exercise 2
# Replace Tanh by Sigmoid in both the scratchnet model (`scratchnet.layers.Sigmoid`) and the
# autodiff network (your method from Exercise 1). Check: the largest difference between the
# hand and the autodiff gradients is below 1e-12.
#
# ### Exercise 3
# A tied linear autoencoder uses one W twice: z = x @ W, x_hat = z @ W.T, L = mean((x_hat -
# x)**2). Compute dL/dW with your engine, and by hand from the two uses, with d = dL/dx_hat
# = 2 (x_hat - x) / M: dW = x.T @ (d @ W) + d.T @ z. Check: they agree to 1e-12, while either
# use alone is off by more than 1e-3 (the `+=` is what adds the second use).
# (solutions: tutorials/solutions/19_autodiff.py)
