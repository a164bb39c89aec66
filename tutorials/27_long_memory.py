# %% [markdown]
# # 27 - Long memory: why the simple RNN forgets and the LSTM remembers
#
# After this lesson you can
# - build a task that needs memory over a chosen number of steps, and measure how far back a
#   SimpleRNN and an LSTM can reach;
# - read the gradient through time, dL/dh_t for every step t, and see it vanish (or explode)
#   in the RNN as its recurrent weights shrink (or grow);
# - explain it from the backward of one step, dL/dh_{t-1} = (dL/dh_t (1 - h_t^2)) Wh^T, and
#   show that the LSTM's cell gradient is set by its forget gate instead, dL/dc_{t-1} = dL/dc_t f;
# - clip gradients by their global norm (`clipnorm=`), the usual guard for recurrent nets.
#
# Why: a recurrent network is as deep as its sequence is long. Backprop through time (tutorial
# 23) multiplies the gradient by one step's Jacobian per step, so the signal from the loss
# reaches the early steps shrunk (or blown up) geometrically: the deep-network problem of
# tutorial 25, along time. The LSTM (Hochreiter and Schmidhuber, 1997; the AGA 0505 deck's
# "long/short term memory") was built against it: its cell is updated by addition, c_t =
# f c_{t-1} + i g, and its gradient flows back through the forget gate f alone.
#
# Run: `python tutorials/27_long_memory.py` (SCRATCHNET_FAST=1 for a quick run).
# Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

from scratchnet import Sequential, lesson
from scratchnet.layers import LSTM, Dense, Embedding, SimpleRNN
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam

EPOCHS = 10 if lesson.FAST else 15
N_TRAIN = 1000 if lesson.FAST else 2000
LENGTHS = (5, 10, 20)
PROBE = 60                     # the sequence length on which we read the gradients

# %% [markdown]
# ## A task that needs memory: do the first and the last token match?
# Each sequence has L tokens: the first is A or B, then L - 2 distractors drawn from five
# other tokens, then A or B again. The label is 1 when the last token equals the first. Only
# the two ends matter, and the network sees the first one L - 1 steps before it must use it.

# %%
NAMES = ".ABCDEFG"            # id 0 is never used (no padding here); 1 = A, 2 = B


def match_task(n, length, rng):
    """(ids (n, length), labels (n,)): first and last token A or B, distractors between."""
    first = rng.integers(1, 3, size=n)
    same = rng.random(n) < 0.5
    last = np.where(same, first, 3 - first)
    middle = rng.integers(3, 8, size=(n, length - 2))
    return np.concatenate([first[:, None], middle, last[:, None]], axis=1), same.astype(np.int64)


for row, label in zip(*match_task(4, 10, np.random.default_rng(0))):
    print(f"  {''.join(NAMES[i] for i in row)}  match {label}")


def model_of(cell):
    """Embedding(8) -> the recurrent layer given (n_in 8, H 16) -> Dense 2."""
    return Sequential([Embedding(8, 8, rng=0), cell, Dense(16, 2, rng=2)])


def train(model, x, y):
    opt = Adam(0.01, clipnorm=1.0)            # clip by the global norm: see the last section
    model.fit(x, y, loss=CategoricalCrossEntropy(), optimizer=opt, epochs=EPOCHS,
              batch_size=32, rng=0, verbose=0)
    return opt

# %% [markdown]
# ## How far back can each network reach?
# The same model around both, trained the same way at every length L. The LSTM gets a forget
# bias of 3 (its forget gates start near sigmoid(3) = 0.95, "keep"); the next section
# measures why that matters.

# %%
accuracy = {}
for length in LENGTHS:
    data_rng = np.random.default_rng(length)
    x_train, y_train = match_task(N_TRAIN, length, data_rng)
    x_test, y_test = match_task(500, length, data_rng)
    for name, make in (("SimpleRNN", lambda: SimpleRNN(8, 16, rng=1)),
                       ("LSTM", lambda: LSTM(8, 16, rng=1, forget_bias=3.0))):
        model = model_of(make())
        train(model, x_train, y_train)
        accuracy[name, length] = model.evaluate(x_test, y_test)["accuracy"]
    print(f"L = {length:2d}: test accuracy SimpleRNN {accuracy['SimpleRNN', length]:.3f}, "
          f"LSTM {accuracy['LSTM', length]:.3f}")

# %% [markdown]
# The LSTM solves the task at every length. The SimpleRNN is erratic at short lengths (on
# some runs it finds the rule, on others it stays at chance) and at L = 20 it stays at chance,
# 0.5: the first token is 19 steps back, and nothing of it survives to the last step in a
# form that training can find.
#
# ## The gradient through time, and what sets it
# After backward a recurrent layer keeps `hidden_grads`, dL/dh_t for every step (N, T, H), and
# the LSTM also `cell_grads`, dL/dc_t. We run one forward and backward of untrained networks on
# 200 sequences of length 60 and read the norm of the gradient at each step t, relative to the
# last step's: how much of the loss's signal reaches step t.
#
# One step back in the SimpleRNN multiplies by the transposed Jacobian of
# h_t = tanh(x_t Wx + h_{t-1} Wh + b):
#
#     dL/dh_{t-1} = (dL/dh_t * (1 - h_t^2)) @ Wh.T
#
# so over k steps the gradient is scaled by about (slope of tanh x size of Wh)^k. We scale
# Wh (orthogonal at the start, scratchnet's default: it keeps a vector's length) by rho. In the
# LSTM the cell's own path back is
#
#     dL/dc_{t-1} = dL/dc_t * f_t        (plus what comes in through h_{t-1})
#
# with no weight matrix and no tanh slope on it: the forget gate f alone decides, and its bias
# sets where f starts.

# %%
x_probe, y_probe = match_task(200, PROBE, np.random.default_rng(99))


def through_time(layer, which="hidden_grads"):
    """||dL/d(h or c)_t|| / ||dL/d(h or c)_T|| for t = 1..T, for an untrained model."""
    model = model_of(layer)
    loss = CategoricalCrossEntropy()
    loss.forward(model.forward(x_probe), y_probe)
    model.backward(loss.backward())
    norms = np.linalg.norm(getattr(layer, which), axis=(0, 2))
    return norms / norms[-1]


rnn_curves, lstm_curves = {}, {}
for rho in (0.5, 0.9, 1.0, 1.2):
    layer = SimpleRNN(8, 16, rng=1)
    layer.params["Wh"][...] *= rho
    rnn_curves[rho] = through_time(layer)
    print(f"SimpleRNN, Wh scaled by {rho}: ||dL/dh_1|| / ||dL/dh_T|| = {rnn_curves[rho][0]:.1e}")
for bias in (0.0, 1.0, 3.0):
    lstm_curves[bias] = through_time(LSTM(8, 16, rng=1, forget_bias=bias), "cell_grads")
    print(f"LSTM, forget bias {bias}: ||dL/dc_1|| / ||dL/dc_T|| = {lstm_curves[bias][0]:.1e}")
half = LSTM(8, 16, rng=1, forget_bias=3.0)
half.params["Wh"][...] *= 0.5
half_wh = through_time(half, "cell_grads")[0]
print(f"LSTM, forget bias 3.0 with Wh scaled by 0.5: ||dL/dc_1|| / ||dL/dc_T|| = {half_wh:.1e}")

fig = Figure(figsize=(12, 4.5))
t_axis = np.arange(1, PROBE + 1)
ax = fig.add_subplot(1, 2, 1)
for rho, curve in rnn_curves.items():
    ax.semilogy(t_axis, curve, label=f"Wh x {rho}")
ax.set(xlabel="time step t (the loss is read after step 60)",
       ylabel="||dL/dh_t|| / ||dL/dh_60||", title="SimpleRNN: set by the size of Wh")
ax.legend(loc="lower right")
ax = fig.add_subplot(1, 2, 2, sharey=ax)
for bias, curve in lstm_curves.items():
    ax.semilogy(t_axis, curve, label=f"forget bias {bias:g} (f starts at "
                                     f"{1 / (1 + np.exp(-bias)):.2f})")
ax.set(xlabel="time step t (the loss is read after step 60)",
       ylabel="||dL/dc_t|| / ||dL/dc_60||", title="LSTM cell: set by the forget gate")
ax.legend(loc="lower right")
fig.suptitle("how much of the gradient reaches step t, untrained networks, sequences of 60")
lesson.save(fig, "27_gradient_through_time.png")

# %% [markdown]
# The SimpleRNN's gradient is a knife edge: Wh a little smaller than orthogonal and it
# vanishes geometrically (rho = 0.5 leaves nothing after 60 steps), a little larger and it
# explodes; only near rho = 1 does some of it reach the start, and training moves Wh away from
# there. The LSTM's cell gradient follows its forget gate: with f near 0.5 (bias 0) it
# vanishes like the worst RNN, with f near 0.95 (bias 3) it reaches step 1 undiminished
# (larger, even: every step adds its own share),
# and it still does when Wh is halved: the weight matrix is not on that path. The gate is
# learned, so the network itself decides, step by step, how long to remember.
#
# ## Clipping by the global norm
# Where the gradient explodes, one huge step undoes the training. Every optimizer here takes
# `clipnorm=c`: before the update it measures the norm of ALL the gradients together and, when
# it is above c, scales them all down by c / norm (directions kept; the layers' grads
# untouched). We trained with clipnorm=1; the optimizer keeps the norm it measured last:

# %%
model = model_of(SimpleRNN(8, 16, rng=1))
x_train, y_train = match_task(N_TRAIN, 20, np.random.default_rng(20))
opt = train(model, x_train, y_train)
print(f"SimpleRNN at L = 20: global gradient norm at the last step {opt.last_grad_norm:.3f} "
      f"(clipnorm {opt.clipnorm:g}: steps use min(1, {opt.clipnorm:g} / norm) times the "
      f"gradients)")

# %% [markdown]
# ## Read the source
# - `scratchnet/layers/recurrent.py`: `SimpleRNN._loop_back` is the backward step above (look
#   for `1 - h_t^2`); `LSTM._loop_back` carries two gradients back, `dh` and `dc`, and the
#   cell's path is `dc_prev = dct * f`. `hidden_grads` and `cell_grads` are filled there.
#   `forget_bias` is set in `LSTM.__init__`.
# - `scratchnet/optimizers.py`: `Optimizer._clip_scale` computes the global norm and
#   min(1, clipnorm / norm); `_gradient` applies it to a copy.
#
# ## Exercises
# ### Exercise 1
# A GRU (`scratchnet.layers.GRU`) mixes old and new state with its update gate,
# h_t = (1 - z) n + z h_{t-1}: the term z h_{t-1} is a path back without a weight matrix,
# like the LSTM's cell. Its bias b holds the blocks r, z, n (H each). Measure
# ||dL/dh_1|| / ||dL/dh_T|| on the 60-step probe for an untrained `GRU(8, 16, rng=1)` as it
# is, and with its update-gate bias (b[16:32]) set to 3, so that z starts near 0.95. Check:
# the ratio with the bias at 3 is at least 1000 times the ratio without.
#
# ### Exercise 2
# Clipping by hand. Fill the grads of a small model (`Dense(3, 4)`, `Dense(4, 2)`) with
# random numbers times 10, compute their global norm, take one `SGD(lr=1.0, clipnorm=0.5)`
# step and show that the parameters moved by exactly min(norm, 0.5) (relative error below
# 1e-9), and that the grads did not change.
#
# ### Exercise 3
# Backprop through time, checked. For a `SimpleRNN(3, 4)` on a random (2, 6, 3) batch, run
# forward and backward and verify with `hidden_grads` that dL/dh_{t-1} = (dL/dh_t (1 - h_t^2))
# Wh^T at every step (max difference below 1e-12); then gradcheck the layer with
# `return_sequences=True`. Check: PASS.
# Solutions: tutorials/solutions/27_long_memory.py.
