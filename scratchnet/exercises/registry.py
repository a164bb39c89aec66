"""The exercises: what each one teaches, how it is checked, and the hints for its usual mistakes.

An Exercise names its skeleton (scratchnet/exercises/skeletons/NAME.py), the class the student
fills in, the arguments both that class and the library's layer are built with, the input the
check runs at, and hints:

    hints:    {tensor: text}, printed when that tensor is wrong ("dx", a parameter key such as
              "W", or "dz" for the loss);
    mistakes: [Mistake(tensor, wrong, message)]: wrong(ctx) computes what a typical mistake
              would give for that tensor; when the student's tensor equals it, the message
              says which mistake that was. ctx holds x, g (the upstream gradient), params
              (the parameters the check used), y (the library's output) and, for the loss,
              z, labels and p.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Mistake:
    tensor: str
    wrong: Callable
    message: str


@dataclass
class Exercise:
    name: str
    teaches: str
    class_name: str
    library: Callable                 # () -> the library's layer (or loss)
    library_name: str                 # how the reports name it
    make_input: Callable              # rng -> x   (a loss: rng -> (z, labels))
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    kind: str = "layer"               # "layer" or "loss"
    tutorial: str = ""                # the tutorial that teaches it
    source: str = ""                  # the library file to read afterwards
    hints: dict = field(default_factory=dict)
    mistakes: list = field(default_factory=list)
    available: bool = True            # False: its library layer does not exist yet

    @property
    def skeleton(self) -> str:
        """The path of the skeleton file inside the installed package."""
        import os
        return os.path.join(os.path.dirname(__file__), "skeletons", f"{self.name}.py")


def _with_zeros(rng, shape):
    """Normal values with about a quarter exactly 0 (on ReLU's kink, where a convention matters)."""
    x = rng.standard_normal(shape)
    x[rng.random(shape) < 0.25] = 0.0
    return x


# ----- the library's layers, built as the check builds the student's -------------------------------

def _lib_dense():
    from scratchnet.layers import Dense
    return Dense(3, 4, rng=0)


def _lib_relu():
    from scratchnet.layers import ReLU
    return ReLU()


def _lib_sigmoid():
    from scratchnet.layers import Sigmoid
    return Sigmoid()


def _lib_cce():
    from scratchnet.losses import CategoricalCrossEntropy
    return CategoricalCrossEntropy(from_logits=True)


def _lib_conv():
    from scratchnet.layers import Conv2D
    return Conv2D(2, 3, 3, stride=2, padding=1, rng=0, backend="reference")


def _lib_maxpool():
    from scratchnet.layers import MaxPool2D
    return MaxPool2D(2, backend="reference")


def _lib_batchnorm():
    from scratchnet.layers import BatchNorm1D
    return BatchNorm1D(4)


# ----- what typical mistakes give --------------------------------------------------------------------

def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _maxpool_all_ties(ctx):
    """dy to EVERY element equal to its window's max (K = s = 2, as the check runs it)."""
    x, g = ctx["x"], ctx["g"]
    dx = np.zeros_like(x)
    N, C, HO, WO = g.shape
    for n, c, i, j in np.ndindex(N, C, HO, WO):
        window = x[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
        dx[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2] += g[n, c, i, j] * (window == window.max())
    return dx


def _batchnorm_constant_stats(ctx):
    """dx as if mu and var were constants (the eval-mode formula)."""
    x, g, gamma = ctx["x"], ctx["g"], ctx["params"]["gamma"]
    return g * gamma / np.sqrt(x.var(axis=0) + 1e-5)


def _rnn_dx(ctx, carry=True):
    """SimpleRNN's dx (return_sequences): with carry=False, dL/dh_t = dy_t only (h_t's path
    into step t + 1 forgotten)."""
    x, g, p = ctx["x"], ctx["g"], ctx["params"]
    N, T, _ = x.shape
    hs = [np.zeros((N, p["Wh"].shape[0]))]
    for t in range(T):
        hs.append(np.tanh(x[:, t] @ p["Wx"] + hs[-1] @ p["Wh"] + p["b"]))
    dx, dh_next = np.zeros_like(x), 0.0
    for t in reversed(range(T)):
        da = (g[:, t] + (dh_next if carry else 0.0)) * (1 - hs[t + 1] ** 2)
        dx[:, t] = da @ p["Wx"].T
        dh_next = da @ p["Wh"].T
    return dx


def _lstm_dx(ctx, carry_c=True):
    """LSTM's dx (last state out): with carry_c=False, dL/dc_{t-1} = dc_t * f is dropped."""
    x, g, p = ctx["x"], ctx["g"], ctx["params"]
    N, T, _ = x.shape
    H = p["Wh"].shape[0]
    h, c, steps = np.zeros((N, H)), np.zeros((N, H)), []
    for t in range(T):
        a = x[:, t] @ p["Wx"] + h @ p["Wh"] + p["b"]
        i, f, gg, o = (_sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]),
                       _sigmoid(a[:, 3 * H:]))
        c_prev, c = c, f * c + i * gg
        h = o * np.tanh(c)
        steps.append((i, f, gg, o, c, c_prev))
    dx, dh, dc = np.zeros_like(x), g, np.zeros((N, H))
    for t in reversed(range(T)):
        i, f, gg, o, c, c_prev = steps[t]
        tc = np.tanh(c)
        dc = dc + dh * o * (1 - tc ** 2)
        da = np.concatenate([dc * gg * i * (1 - i), dc * c_prev * f * (1 - f),
                             dc * i * (1 - gg ** 2), dh * tc * o * (1 - o)], axis=1)
        dx[:, t] = da @ p["Wx"].T
        dh, dc = da @ p["Wh"].T, (dc * f if carry_c else np.zeros_like(dc))
    return dx


def _attention_dx(ctx, full_jacobian=True):
    """MultiHeadSelfAttention's dx (2 heads); with full_jacobian=False, dS = A * dA (the
    softmax Jacobian's diagonal only)."""
    x, g, p = ctx["x"], ctx["g"], ctx["params"]
    N, T, d = x.shape
    h = 2

    def heads(z):
        return z.reshape(N, T, h, d // h).transpose(0, 2, 1, 3)

    Q, K, V = (heads(x @ p["W" + k] + p["b" + k]) for k in "qkv")
    scale = 1 / np.sqrt(d // h)
    S = Q @ K.transpose(0, 1, 3, 2) * scale
    A = np.exp(S - S.max(axis=-1, keepdims=True))
    A /= A.sum(axis=-1, keepdims=True)
    dO = heads(g @ p["Wo"].T)
    dA = dO @ V.transpose(0, 1, 3, 2)
    dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True)) if full_jacobian else A * dA
    grads = {"q": dS @ K * scale, "k": dS.transpose(0, 1, 3, 2) @ Q * scale,
             "v": A.transpose(0, 1, 3, 2) @ dO}
    return sum((grads[k].transpose(0, 2, 1, 3).reshape(N, T, d) @ p["W" + k].T) for k in "qkv")


def _lib_rnn():
    from scratchnet.layers import SimpleRNN
    return SimpleRNN(3, 4, return_sequences=True, rng=0)


def _lib_lstm():
    from scratchnet.layers import LSTM
    return LSTM(3, 3, rng=0)


def _lib_attention():
    from scratchnet.layers import MultiHeadSelfAttention
    return MultiHeadSelfAttention(4, 2, rng=0)


EXERCISES: dict[str, Exercise] = {}


def _add(ex: Exercise) -> None:
    EXERCISES[ex.name] = ex


_add(Exercise(
    "dense", "the fully connected layer y = x @ W + b: dx, dW, db as matrix products and a sum",
    "Dense", _lib_dense, "scratchnet.layers.Dense(3, 4)",
    lambda rng: rng.standard_normal((5, 3)), args=(3, 4),
    tutorial="tutorials/02_linear_regression.py", source="scratchnet/layers/dense.py",
    hints={"dx": "dL/dx = dy @ W.T: (N, M) @ (M, D) -> (N, D)",
           "W": "dL/dW = x.T @ dy: (D, N) @ (N, M) -> (D, M), the sum over the batch of the "
                "outer products x[n] dy[n]",
           "b": "dL/db = dy.sum(axis=0): every row of y got the same b, so b collects the "
                "dy of every example (a sum, not a mean)"},
    mistakes=[Mistake("b", lambda c: c["g"].mean(axis=0),
                      "you took the MEAN of dy over the batch; b was added to every row, so its "
                      "gradient is the SUM: dy.sum(axis=0)"),
              Mistake("W", lambda c: c["g"].T @ c["x"] if c["g"].shape[1] == c["x"].shape[1]
                      else None, "dy.T @ x is dW transposed: x.T @ dy has W's shape (D, M)")]))

_add(Exercise(
    "relu", "y = max(x, 0): a diagonal Jacobian, the kink at 0, and never writing into dy",
    "ReLU", _lib_relu, "scratchnet.layers.ReLU()",
    lambda rng: _with_zeros(rng, (4, 5)),
    tutorial="tutorials/10_activations_initialization.py",
    source="scratchnet/layers/activations.py",
    hints={"dx": "dL/dx = dy * (x > 0): 1 where x > 0, 0 where x < 0, and 0 at x == 0 (the "
                 "library's choice); build it as a new array, e.g. dy * (x > 0) or "
                 "np.where(x > 0, dy, 0.0), never dy[x <= 0] = 0"},
    mistakes=[Mistake("dx", lambda c: c["g"] * (c["x"] >= 0),
                      "you used slope 1 at x == 0 (x >= 0): a valid subgradient, so the finite "
                      "differences accept it as a kink, but the library uses 0 there (x > 0)")]))

_add(Exercise(
    "sigmoid", "y = 1 / (1 + exp(-x)): its derivative y (1 - y), written with the output",
    "Sigmoid", _lib_sigmoid, "scratchnet.layers.Sigmoid()",
    lambda rng: 3 * rng.standard_normal((4, 5)),
    tutorial="tutorials/05_logistic_regression.py", source="scratchnet/layers/activations.py",
    hints={"dx": "dy/dx = exp(-x) / (1 + exp(-x))**2 = y * (1 - y), with y the OUTPUT of "
                 "forward: dx = dy * y * (1 - y)"},
    mistakes=[Mistake("dx", lambda c: c["g"] * c["x"] * (1 - c["x"]),
                      "you wrote x * (1 - x) with x the INPUT; the derivative is y * (1 - y) "
                      "with y = sigmoid(x), the output"),
              Mistake("dx", lambda c: c["g"] * _sigmoid(c["x"]),
                      "you multiplied dy by y alone: the derivative is y * (1 - y)")]))

_add(Exercise(
    "softmax_cross_entropy",
    "softmax and cross-entropy fused: dL/dz = (softmax(z) - y) / N from the logits",
    "SoftmaxCrossEntropy", _lib_cce,
    "scratchnet.losses.CategoricalCrossEntropy(from_logits=True)",
    lambda rng: (2 * rng.standard_normal((5, 4)), rng.integers(0, 4, size=5)), kind="loss",
    tutorial="tutorials/06_softmax_cross_entropy.py", source="scratchnet/losses.py",
    hints={"dz": "dL_n/dz[n, k] = p[n, k] - y[n, k] (y the one-hot row), and L is the mean "
                 "of the N losses L_n: dz = (p - y) / N"},
    mistakes=[Mistake("dz", lambda c: c["p"] - c["y"],
                      "you forgot the 1/N: L is the MEAN over the batch, so dz = (p - y) / N"),
              Mistake("dz", lambda c: (c["y"] - c["p"]) / len(c["p"]),
                      "a sign error: dL/dz = (p - y) / N, not (y - p) / N")]))

_add(Exercise(
    "conv2d", "2-D convolution with stride and padding by loops: every output hands its share "
              "back to the window it read",
    "Conv2D", _lib_conv, "scratchnet.layers.Conv2D(2, 3, 3, stride=2, padding=1, "
                         "backend='reference')",
    lambda rng: rng.standard_normal((2, 2, 5, 5)), args=(2, 3, 3),
    kwargs={"stride": 2, "padding": 1},
    tutorial="tutorials/15_cnn_lenet.py", source="scratchnet/kernels/conv_reference.py",
    hints={"dx": "in the forward's loops: dxp[n, :, i*s:i*s+K, j*s:j*s+K] += dy[n, o, i, j] * "
                 "Wt[o]; with K > s the windows overlap, and every filter o reads the same "
                 "window, so the shares must ADD (+=, not =); windows start at i*s, j*s",
           "W": "dW[o] += dy[n, o, i, j] * (the window of xp that output read), summed over "
                "n, i and j: every example and position used the same filter",
           "b": "db[o] = the sum of dy[:, o] over n, i and j (every output of filter o added b[o])"},
    mistakes=[Mistake("b", lambda c: c["g"].sum(axis=(2, 3))[0],
                      "db holds the first example only: sum dy[:, o] over the batch too")]))

_add(Exercise(
    "maxpool2d", "max pooling: the gradient goes to each window's winner, one winner per tie",
    "MaxPool2D", _lib_maxpool, "scratchnet.layers.MaxPool2D(2, backend='reference')",
    lambda rng: np.round(2 * rng.standard_normal((2, 2, 4, 4))) / 2, args=(2,),
    tutorial="tutorials/15_cnn_lenet.py", source="scratchnet/kernels/maxpool_reference.py",
    hints={"dx": "dy[n, c, i, j] goes to ONE element of window (i, j): its max, the first in "
                 "row-major order on a tie (np.argmax of the flattened window, then "
                 "np.unravel_index); the window starts at row i*s, column j*s"},
    mistakes=[Mistake("dx", _maxpool_all_ties,
                      "on a tie you gave dy to EVERY element equal to the max (window == max). "
                      "Each one alone passes the finite differences (it sits on a kink), but "
                      "together they are wrong: raising all tied elements by h raises the max "
                      "by h, not 2h. Give dy to the first maximum only (np.argmax)")]))

_add(Exercise(
    "batchnorm", "batch normalization in training mode: x reaches y through xhat, the mean and "
                 "the variance",
    "BatchNorm1D", _lib_batchnorm, "scratchnet.layers.BatchNorm1D(4)",
    lambda rng: 2 * rng.standard_normal((6, 4)) + 1, args=(4,),
    tutorial="tutorials/21_dropout_batchnorm.py", source="scratchnet/layers/normalization.py",
    hints={"dx": "x reaches y through xhat directly AND through mu and var; the closed form: "
                 "dx = (1 / (N sqrt(var + eps))) * (N dxhat - sum_n dxhat - xhat * "
                 "sum_n (dxhat * xhat)), with dxhat = dy * gamma",
           "gamma": "dgamma = sum over the batch of dy * xhat",
           "beta": "dbeta = sum over the batch of dy"},
    mistakes=[Mistake("dx", _batchnorm_constant_stats,
                      "this is dy * gamma / sqrt(var + eps), the gradient with mu and var held "
                      "constant (eval mode). In training mu and var come from this very batch, "
                      "so every x[n] also moves them: add the paths through mu and var")]))


_RECURRENT_SUMS = ("the same weights serve every step: their gradient is the SUM over the steps "
                   "of each step's share")

_add(Exercise(
    "rnn", "backprop through time: h_t feeds its output and the next step, the weights sum "
           "over the steps",
    "SimpleRNN", _lib_rnn, "scratchnet.layers.SimpleRNN(3, 4, return_sequences=True)",
    lambda rng: rng.standard_normal((2, 4, 3)), args=(3, 4),
    tutorial="tutorials/23_recurrent_networks.py", source="scratchnet/layers/recurrent.py",
    hints={"dx": "walk back from t = T carrying dh_next: dL/dh_t = dy[:, t] + dh_next, "
                 "da_t = dL/dh_t * (1 - h_t**2), dx_t = da_t @ Wx.T, dh_next = da_t @ Wh.T",
           "Wx": f"dWx = sum_t x_t.T @ da_t: {_RECURRENT_SUMS}",
           "Wh": f"dWh = sum_t h_(t-1).T @ da_t (the state that step t read): {_RECURRENT_SUMS}",
           "b": f"db = sum_t da_t.sum(axis=0): {_RECURRENT_SUMS}"},
    mistakes=[Mistake("dx", lambda c: _rnn_dx(c, carry=False),
                      "at step t you used only dy[:, t]. h_t also feeds step t + 1, so "
                      "dL/dh_t = dy[:, t] + da_(t+1) @ Wh.T: carry that dh_next backwards")]))

_add(Exercise(
    "lstm", "an LSTM's backward through time: the gates, and the cell's own path c_(t-1) = "
            "c_t's gradient times f",
    "LSTM", _lib_lstm, "scratchnet.layers.LSTM(3, 3)",
    lambda rng: rng.standard_normal((2, 3, 3)), args=(3, 3),
    tutorial="tutorials/23_recurrent_networks.py", source="scratchnet/layers/recurrent.py",
    hints={"dx": "carry two gradients back, dh and dc: dc += dh * o * (1 - tanh(c_t)**2); the "
                 "gates' gradients come from dc (and do from dh); then dh_(t-1) = da_t @ Wh.T "
                 "AND dc_(t-1) = dc * f: the cell has its own path back",
           "Wx": f"dWx = sum_t x_t.T @ da_t, with da_t the four gate blocks side by side "
                 f"(i, f, g, o): {_RECURRENT_SUMS}",
           "Wh": f"dWh = sum_t h_(t-1).T @ da_t: {_RECURRENT_SUMS}",
           "b": f"db = sum_t da_t.sum(axis=0): {_RECURRENT_SUMS}"},
    mistakes=[Mistake("dx", lambda c: _lstm_dx(c, carry_c=False),
                      "you dropped the cell's path back: besides dh_(t-1) = da_t @ Wh.T, the "
                      "cell passes dc_(t-1) = dc_t * f_t to the step before")]))

_add(Exercise(
    "attention", "scaled dot-product attention's backward: two matrix products and softmax's "
                 "Jacobian, row by row",
    "MultiHeadSelfAttention", _lib_attention, "scratchnet.layers.MultiHeadSelfAttention(4, 2)",
    lambda rng: rng.standard_normal((2, 3, 4)), args=(4, 2),
    tutorial="tutorials/28_attention.py", source="scratchnet/kernels/attention_reference.py",
    hints={"dx": "dV = A^T dO and dA = dO V^T; through the softmax, row by row, "
                 "dS = A * (dA - sum(dA * A, axis=-1, keepdims=True)); then dQ = dS K * scale "
                 "and dK = dS^T Q * scale",
           **{k: "the projections' backward is given: if dQ, dK or dV is wrong, so is "
                 "this" for k in ("Wq", "Wk", "Wv", "bq", "bk", "bv")}},
    mistakes=[Mistake("dx", lambda c: _attention_dx(c, full_jacobian=False),
                      "dS = A * dA keeps only the diagonal of softmax's Jacobian. Every S_j "
                      "moves every A_i of its row: dS = A * (dA - sum(dA * A) over the row)")]))


def get_exercise(name: str) -> Exercise:
    """The exercise called `name`; KeyError with the list of names otherwise."""
    if name not in EXERCISES:
        raise KeyError(f"no exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    return EXERCISES[name]
