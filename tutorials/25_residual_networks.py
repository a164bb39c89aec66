# %% [markdown]
# # 25 - Residual networks: a deep stack that trains because of its skip connections
#
# After this lesson you can
# - write the forward and backward of a residual block, y = x + f(x), and say why its input
#   gradient is dy plus what f sends back;
# - measure per-layer gradient flow in a deep plain network and in the same network with
#   skip connections, and read from it why one trains and the other does not;
# - build a residual block whose shapes change, with a projection shortcut, and gradcheck it.
#
# Why: past a handful of layers, a plain network is hard to train. The backward pass
# multiplies the gradient by one layer Jacobian after another, and when those shrink it,
# the first layers receive almost nothing. He et al. (2015) added the input of each block to
# its output ("ResNets", in the Curso-R deck: pass the inputs on to the layers in front). The
# gradient then has a path around every block, and networks of 100+ layers train.
#
# Run: `python tutorials/25_residual_networks.py` (SCRATCHNET_FAST=1 for a quick run).
# Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

import gradcheck
from scratchnet import Sequential, lesson
from scratchnet.data import train_test_split
from scratchnet.datasets import load_digits
from scratchnet.layers import Dense, Residual, Sigmoid
from scratchnet.optimizers import SGD
from scratchnet.plot import plot_gradient_flow
from scratchnet.trace import GradientNormRecorder, trace

DEPTH = 20                                # blocks between the input layer and the head
EPOCHS = 5 if lesson.FAST else 15
WIDTH = 32

# %% [markdown]
# ## One residual block, by hand
# A residual block computes y = x + f(x), with f any layer (here a Dense, f(x) = x W + b).
# x feeds two paths, the block and the skip, so in backward its gradient is the SUM of what
# the two paths send back (where a graph forks, gradients add):
#
#     dL/dx = dy @ W.T   (through f)   +   dy   (through the skip, whose Jacobian is I)
#
# `Residual(block)` does this; we check it against the formula and against finite differences.

# %%
rng = np.random.default_rng(0)
f = Dense(3, 3, rng=0)
block = Residual(f)
x, dy = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
y = block.forward(x)
print(f"max |y - (x + x W + b)|: {np.abs(y - (x + x @ f.params['W'] + f.params['b'])).max():.1e}")
dx = block.backward(dy)
print(f"max |dx - (dy W^T + dy)|: {np.abs(dx - (dy @ f.params['W'].T + dy)).max():.1e}")
report = gradcheck.check_layer(Residual(Dense(3, 3, rng=1)), x)
print(f"gradcheck Residual(Dense): {report.status}, max error {report.max_err:.1e}")

# %% [markdown]
# ## Two networks of the same depth
# Both networks take the 8x8 digits (64 pixels) and map them to 32 features with a Dense,
# pass them through 20 blocks of Sigmoid + Dense(32, 32), and end with a sigmoid and a
# Dense(32, 10) head. They are built from the same seeds, so their weights are identical; the
# only difference is that the residual network adds each block's input to its output.
# (A block starts with its activation and ends with its Dense, the "pre-activation" order of
# He et al., 2016: what a block adds to the running sum is then centred near 0, where the
# sigmoid's own outputs would add about 0.5 to every feature at every block.)

# %%
x_all, y_all = load_digits(flat=True)
x_train, x_test, y_train, y_test = train_test_split(x_all, y_all, test_size=0.3, stratify=True,
                                                    rng=0)


def network(skip: bool, depth: int = DEPTH) -> Sequential:
    """64 -> 32, `depth` blocks of Sigmoid + Dense(32, 32), Sigmoid, -> 10 (He init, the
    default). skip=True: every block computes h + block(h)."""
    blocks = []
    for k in range(depth):
        body = Sequential([Sigmoid(), Dense(WIDTH, WIDTH, rng=10 + k)])
        blocks.append(Residual(body) if skip else body)
    return Sequential([Dense(64, WIDTH, rng=0), *blocks, Sigmoid(), Dense(WIDTH, 10, rng=1)])


plain, resnet = network(skip=False), network(skip=True)
same = all(np.array_equal(a, b) for a, b in zip(plain.parameters().values(),
                                                resnet.parameters().values()))
print(f"train {len(x_train)} digits, test {len(x_test)}; parameters: plain {plain.n_params:,}, "
      f"residual {resnet.n_params:,}, identical weights: {same}")

# %% [markdown]
# ## Gradient flow before any training
# One traced forward and backward on 256 training digits. For each layer with parameters the
# tracer records the norm of its parameter gradient, ||dL/dW||: input layer first, then the
# 20 blocks, then the head.

# %%
batch = slice(0, 256)
traces = {name: trace(model, x_train[batch], y_train[batch], "cce")
          for name, model in (("plain", plain), ("residual", resnet))}
for name, tr in traces.items():
    norms = list(tr.grad_norms().values())
    print(f"{name}: ||dL/dW|| input layer {norms[0]:.2e}, block 1 {norms[1]:.2e}, "
          f"block {DEPTH} {norms[DEPTH]:.2e}, head {norms[-1]:.2e}; "
          f"input layer / head {norms[0] / norms[-1]:.1e}")
ratio_plain = traces["plain"].gradient_ratio()
ratio_res = traces["residual"].gradient_ratio()
print(f"the residual network's input layer gets {ratio_res / ratio_plain:.1e} times the plain "
      f"network's share of the gradient")

fig = Figure(figsize=(12, 4.2))
low = min(min(tr.grad_norms().values()) for tr in traces.values()) / 3
ticks = ["in"] + [str(k) if k in (1, 5, 10, 15) else "" for k in range(1, DEPTH + 1)]
for i, (name, tr) in enumerate(traces.items()):
    ax = fig.add_subplot(1, 2, i + 1)
    plot_gradient_flow(tr, ax=ax)
    ax.set_xticks(range(DEPTH + 2), ticks + ["head"], rotation=0, fontsize=8)
    ax.set_ylim(low, 5)                               # one scale for both panels
    ax.set_xlabel(f"layer: input layer, blocks 1-{DEPTH}, head")
    ax.set_title(f"{name} network, before training")
fig.suptitle(f"||dL/dW|| per layer, {DEPTH} sigmoid blocks (log scale, the same on both)")
fig.subplots_adjust(top=0.84, bottom=0.16, wspace=0.25)
lesson.save(fig, "25_gradient_flow.png")

# %% [markdown]
# In the plain network the bars fall by orders of magnitude from the head back to the input
# layer: each block's backward multiplies the gradient by its Jacobian,
# sigmoid'(z) * W^T, and sigmoid' is at most 1/4. Why the residual network's bars stay
# level: its block k passes back dL/dh_k = dL/dh_(k+1) (I + J_k), and the I is the skip. The
# gradient that reaches a block's input is at least what came in, plus a correction. The
# tracer also records the gradient each block passes on, ||dL/dx||; the average factor per
# block over the 20 blocks shows the difference directly:

# %%
for name, tr in traces.items():
    g = np.array([r.grad_norm for r in tr.records[1:1 + DEPTH]])   # the 20 blocks' dL/dx
    per_block = (g[0] / g[-1]) ** (1 / (DEPTH - 1))
    print(f"{name}: ||dL/dx|| at block 20 {g[-1]:.2e}, at block 1 {g[0]:.2e}: a factor "
          f"{per_block:.3f} per block")
stream = resnet[:1 + DEPTH].predict(x_train[batch])        # h after the 20th block
first_h = resnet[:1].predict(x_train[batch])
print(f"residual network: the running sum h has std {first_h.std():.2f} after the input layer "
      f"and {stream.std():.2f} after block {DEPTH}, mean {stream.mean():.2f}")

# %% [markdown]
# The last line is the price of the skip connections: each block adds to the running sum, so
# it grows along the stack (its std, printed above, after the input layer and after the
# last block). Real ResNets
# keep it in range with batch norm inside each block (as in Exercise 2) or by starting each
# block's last layer near zero.
#
# ## Training both
# Plain SGD, learning rate 0.1, batches of 32. A GradientNormRecorder keeps each layer's
# ||dL/dW|| at every update.

# %%
recorders, histories = {}, {}
for name, model in (("plain", plain), ("residual", resnet)):
    recorders[name] = GradientNormRecorder()
    histories[name] = model.fit(x_train, y_train, loss="cce", optimizer=SGD(0.1), epochs=EPOCHS,
                                batch_size=32, rng=0, verbose=0, callbacks=[recorders[name]])
    test_acc = float(np.mean(model.predict(x_test).argmax(axis=1) == y_test))
    h = histories[name]
    print(f"{name}: training loss {h['loss'][0]:.3f} -> {h['loss'][-1]:.3f}, training accuracy "
          f"{h['accuracy'][-1]:.3f}, test accuracy {test_acc:.3f} after {EPOCHS} epochs")
first = {name: np.median(list(rec.norms.values())[0]) for name, rec in recorders.items()}
start = {name: list(tr.grad_norms().values())[0] for name, tr in traces.items()}
print(f"median ||dL/dW|| of the input layer over training: plain {first['plain']:.1e} (at the "
      f"start {start['plain']:.1e}), residual {first['residual']:.1e} (at the start "
      f"{start['residual']:.1e})")

# %%
fig = Figure(figsize=(12, 4.2))
ax = fig.add_subplot(1, 2, 1)
for name, h in histories.items():
    ax.plot(np.arange(1, EPOCHS + 1), h["loss"], marker="o", label=name)
ax.axhline(np.log(10), color="grey", linestyle=":", label="log(10): a uniform guess")
ax.set_xlabel("epoch")
ax.set_ylabel("training cross-entropy")
ax.set_title("training loss")
ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.92))     # below the plain line
ax = fig.add_subplot(1, 2, 2)
for name, rec in recorders.items():
    v = list(rec.norms.values())[0]
    ax.plot(np.arange(1, len(v) + 1), v, label=f"{name}: input layer")
ax.set_yscale("log")
ax.set_xlabel("update")
ax.set_ylabel("||dL/dW|| of the input layer (log scale)")
ax.set_title("the input layer's gradient during training")
ax.legend(loc="center right")
fig.suptitle(f"{DEPTH} sigmoid blocks on the digits: plain against residual")
fig.subplots_adjust(top=0.84, wspace=0.3)
lesson.save(fig, "25_training.png")

# %% [markdown]
# The plain network's loss stays near log(10) = 2.30, the loss of a uniform guess, and its
# accuracy near chance: its first layers receive almost no gradient, so the features the
# head sees never become useful. The residual network, with the same weights at the start,
# learns, and its input layer keeps receiving a gradient of about the size it had at the
# start (the median over all updates, printed above).
#
# ## Read the source
# - `scratchnet/layers/residual.py`: `Residual.forward` adds the block's output and the
#   shortcut's; `backward` returns `block.backward(dy) + dy` (or `+ shortcut.backward(dy)`),
#   with the derivation in its docstring. `children()` lists both paths, which is how
#   `train()`, `eval()`, freezing, optimizers and save/load reach inside.
# - `scratchnet/trace.py`: `Tracer` records per layer ||dL/dx|| (`grad_norm`) and ||dL/dW||
#   (`grad_norms()`); a block that is a Residual counts the parameters inside it.
# - `scratchnet/layers/normalization.py`: `LayerNorm` and `BatchNorm2D`, the normalizations
#   that ResNets and transformers put inside their residual branches.
# - `scratchnet/kernels/batchnorm_reference.py`: batch norm per channel of (N, C, H, W), the
#   four lines of the algorithm in NumPy; `batchnorm_numba.py` is the same math fused.
#
# ## Exercises
# ### Exercise 1
# Depth sweep without training: for L = 2, 4, 6, ..., 20 blocks, trace a fresh plain network
# and a fresh residual one (as `network` builds them, with DEPTH = L) on 256 digits and print
# the input layer / head gradient ratio. Find the smallest L at which the plain network's
# ratio is below 1e-6. Check: that L is at most 12, and the residual ratio at L = 20 stays
# above 1e-3.
#
# ### Exercise 2
# A block whose shape changes needs a projection on the shortcut. Build a residual block for
# 8x8 digit images: the branch `Conv2D(1, 8, 3, stride=2, padding=1)`, `BatchNorm2D(8)`,
# `ReLU()`, `Conv2D(8, 8, 3, padding=1)`, `BatchNorm2D(8)`, the shortcut `Conv2D(1, 8, 1,
# stride=2)`, and gradcheck it in train mode on 3 digit images (shape (3, 1, 8, 8)). Check:
# the report passes, and the identity shortcut instead raises a ValueError that suggests a
# projection.
#
# ### Exercise 3
# Put the skip around TWO layers at a time: 10 residual blocks of
# Dense-Sigmoid-Dense-Sigmoid (the same 20 Dense layers). Train it as above. Check: its
# training accuracy after the same number of epochs is above 0.4, far above the plain
# network's.
# Solutions: tutorials/solutions/25_residual_networks.py.
