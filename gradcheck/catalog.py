"""The cases that `python -m gradcheck` checks: every built-in layer and loss, at random shapes.

Inputs of ReLU-like layers include exact zeros and max-pooling inputs include ties, on purpose:
a correct layer must pass ON its kinks.

A layer case is a function (rng) -> (layer, x); a loss case is (rng) -> (loss, y_pred, y_true).
Register one with a decorator, and it joins the run:

    @layer_case("Conv2D")
    def _conv(rng):
        from scratchnet.layers import Conv2D
        return Conv2D(3, 2, 3, rng=rng), rng.normal(size=(2, 3, 5, 5))   # (layer, x)

Imports happen inside the builders, so one missing or broken module fails its own cases only.
Random layers need a `reseed(seed)` method (gradcheck calls it before every forward); layers
with `differentiable = False` are listed as skipped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class Case:
    """A named builder. kind: "layer" (build(rng) -> (layer, x)) or "loss" (-> (loss, y_pred, y_true))."""
    name: str
    kind: str
    build: Callable


CASES: list[Case] = []


def layer_case(name: str):
    """Decorator: register build(rng) -> (layer, x) under `name`."""
    def register(build):
        CASES.append(Case(name, "layer", build))
        return build
    return register


def loss_case(name: str):
    """Decorator: register build(rng) -> (loss, y_pred, y_true) under `name`."""
    def register(build):
        CASES.append(Case(name, "loss", build))
        return build
    return register


def _nd(rng, low=2, high=5):
    """A random (N, D) shape."""
    return int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1))


def _with_zeros(rng, shape):
    """Normal values with about a quarter set to exactly 0: inputs ON the kink of ReLU-likes."""
    x = rng.normal(size=shape)
    x[rng.random(shape) < 0.25] = 0.0
    return x


# ----- layers ---------------------------------------------------------------------------------------

@layer_case("Dense")
def _dense(rng):
    from scratchnet.layers import Dense
    (n, d), m = _nd(rng), int(rng.integers(1, 6))
    return Dense(d, m, rng=rng), rng.normal(size=(n, d))


@layer_case("ReLU")
def _relu(rng):
    from scratchnet.layers import ReLU
    return ReLU(), _with_zeros(rng, (*_nd(rng), 2))


@layer_case("LeakyReLU")
def _leaky(rng):
    from scratchnet.layers import LeakyReLU
    return LeakyReLU(0.1), _with_zeros(rng, _nd(rng))


@layer_case("ELU")
def _elu(rng):
    from scratchnet.layers import ELU
    return ELU(0.7), _with_zeros(rng, _nd(rng))


@layer_case("Sigmoid")
def _sigmoid(rng):
    from scratchnet.layers import Sigmoid
    return Sigmoid(), 3 * rng.normal(size=_nd(rng))


@layer_case("Tanh")
def _tanh(rng):
    from scratchnet.layers import Tanh
    return Tanh(), 2 * rng.normal(size=_nd(rng))


@layer_case("Softmax")
def _softmax(rng):
    from scratchnet.layers import Softmax
    return Softmax(), 2 * rng.normal(size=_nd(rng))


@layer_case("Softmax(axis=1), 3-D")
def _softmax_axis(rng):
    from scratchnet.layers import Softmax
    return Softmax(axis=1), rng.normal(size=(*_nd(rng), 3))


@layer_case("Identity")
def _identity(rng):
    from scratchnet.layers import Identity
    return Identity(), rng.normal(size=_nd(rng))


@layer_case("Maxout")
def _maxout(rng):
    from scratchnet.layers import Maxout
    (n, d), m, k = _nd(rng), int(rng.integers(1, 4)), int(rng.integers(2, 4))
    return Maxout(d, m, k, rng=rng), rng.normal(size=(n, d))


@layer_case("Flatten")
def _flatten(rng):
    from scratchnet.layers import Flatten
    return Flatten(), rng.normal(size=(*_nd(rng), 2, 3))


@layer_case("Dropout(p=0.4), train mode")
def _dropout(rng):
    from scratchnet.layers import Dropout
    return Dropout(0.4, rng=rng), rng.normal(size=_nd(rng))


@layer_case("BatchNorm1D, train mode")
def _bn1d(rng):
    from scratchnet.layers import BatchNorm1D
    n, f = _nd(rng)
    layer = BatchNorm1D(f)
    layer.params["gamma"][...] = rng.normal(size=f)
    layer.params["beta"][...] = rng.normal(size=f)
    return layer, 2 * rng.normal(size=(n, f)) + 1


@layer_case("BatchNorm1D, eval mode")
def _bn1d_eval(rng):
    layer, x = _bn1d(rng)
    layer.buffers["running_mean"][...] = rng.normal(size=layer.n)
    layer.buffers["running_var"][...] = rng.uniform(0.5, 2.0, size=layer.n)
    return layer.eval(), x


@layer_case("BatchNorm2D, train mode")
def _bn2d(rng):
    from scratchnet.layers import BatchNorm2D
    c = int(rng.integers(1, 4))
    layer = BatchNorm2D(c)
    layer.params["gamma"][...] = rng.normal(size=c)
    return layer, rng.normal(size=(2, c, 3, 4))


@layer_case("BatchNorm2D, eval mode, reference kernel")
def _bn2d_eval_reference(rng):
    from scratchnet.layers import BatchNorm2D
    c = int(rng.integers(1, 4))
    layer = BatchNorm2D(c, backend="reference")
    layer.params["gamma"][...] = rng.normal(size=c)
    layer.buffers["running_mean"][...] = rng.normal(size=c)
    layer.buffers["running_var"][...] = rng.uniform(0.5, 2.0, size=c)
    return layer.eval(), rng.normal(size=(2, c, 3, 2))


@layer_case("LayerNorm over the last axis of (N, T, D)")
def _layernorm(rng):
    from scratchnet.layers import LayerNorm
    d = int(rng.integers(2, 6))
    layer = LayerNorm(d)
    layer.params["gamma"][...] = rng.normal(size=d)
    layer.params["beta"][...] = rng.normal(size=d)
    return layer, 2 * rng.normal(size=(2, int(rng.integers(1, 4)), d)) + 1


@layer_case("LayerNorm over (C, H, W)")
def _layernorm_3d(rng):
    from scratchnet.layers import LayerNorm
    shape = (int(rng.integers(1, 3)), int(rng.integers(2, 4)), int(rng.integers(2, 4)))
    layer = LayerNorm(shape)
    layer.params["gamma"][...] = rng.normal(size=shape)
    return layer, rng.normal(size=(2, *shape))


def _conv_bn_block(rng, c, out, stride=1):
    """conv-BN-ReLU-conv-BN on the reference kernels: a ResNet basic block's branch."""
    from scratchnet import Sequential
    from scratchnet.layers import BatchNorm2D, Conv2D, ReLU
    return Sequential([Conv2D(c, out, 3, stride=stride, padding=1, rng=rng, backend="reference"),
                       BatchNorm2D(out), ReLU(),
                       Conv2D(out, out, 3, padding=1, rng=rng, backend="reference"),
                       BatchNorm2D(out)])


@layer_case("Residual, identity shortcut, conv-BN-ReLU-conv-BN, train mode")
def _residual_identity(rng):
    from scratchnet.layers import Residual
    c = int(rng.integers(1, 3))
    return Residual(_conv_bn_block(rng, c, c)), rng.normal(size=(2, c, 3, 4))


@layer_case("Residual, 1x1 Conv2D projection, stride 2, train mode")
def _residual_conv_projection(rng):
    from scratchnet.layers import Conv2D, Residual
    c, out = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    shortcut = Conv2D(c, out, 1, stride=2, rng=rng, backend="reference")
    return Residual(_conv_bn_block(rng, c, out, stride=2), shortcut), rng.normal(size=(2, c, 4, 5))


@layer_case("Residual, Dense projection, Dense-BatchNorm1D-Tanh, train mode")
def _residual_dense_projection(rng):
    from scratchnet import Sequential
    from scratchnet.layers import BatchNorm1D, Dense, Residual, Tanh
    (n, d), m = _nd(rng, low=3), int(rng.integers(1, 5))
    block = Sequential([Dense(d, m, rng=rng), BatchNorm1D(m), Tanh()])
    return Residual(block, Dense(d, m, rng=rng)), rng.normal(size=(n, d))


@layer_case("Embedding, padding_idx=0, repeated ids")
def _embedding(rng):
    from scratchnet.layers import Embedding
    vocab = int(rng.integers(3, 7))
    layer = Embedding(vocab, int(rng.integers(1, 4)), padding_idx=0, rng=rng)
    ids = rng.integers(0, vocab, size=(3, 5))
    ids[:, -2:] = 0                              # padded tails
    return layer, ids


@layer_case("GlobalAvgPool1D")
def _avgpool1d(rng):
    from scratchnet.layers import GlobalAvgPool1D
    return GlobalAvgPool1D(), rng.normal(size=(2, int(rng.integers(1, 5)), 3))


@layer_case("Step (not differentiable)")
def _step(rng):
    from scratchnet.layers import Step
    return Step(), rng.normal(size=_nd(rng))


# ----- losses ---------------------------------------------------------------------------------------

def _probs(rng, n, k):
    """(n, k) rows of probabilities, each row sums to 1, no entry near 0."""
    e = np.exp(rng.normal(size=(n, k)))
    return e / e.sum(axis=1, keepdims=True)


@loss_case("MSE")
def _mse(rng):
    from scratchnet.losses import MSE
    shape = _nd(rng)
    return MSE(), rng.normal(size=shape), rng.normal(size=shape)


@loss_case("MAE")
def _mae(rng):
    from scratchnet.losses import MAE
    shape = _nd(rng)
    y_true = rng.normal(size=shape)
    away = rng.choice([-1, 1], size=shape) * rng.uniform(0.1, 2, size=shape)   # |y_pred - y| >= 0.1
    return MAE(), y_true + away, y_true


@loss_case("Huber(delta=1.0)")
def _huber(rng):
    from scratchnet.losses import Huber
    shape = _nd(rng)
    y_true = rng.normal(size=shape)
    return Huber(delta=1.0), y_true + 2 * rng.normal(size=shape), y_true


@loss_case("BinaryCrossEntropy(from_logits=False)")
def _bce(rng):
    from scratchnet.losses import BinaryCrossEntropy
    n = int(rng.integers(2, 8))
    return (BinaryCrossEntropy(from_logits=False), rng.uniform(0.05, 0.95, size=(n, 1)),
            rng.integers(0, 2, size=(n, 1)).astype(np.float64))


@loss_case("BinaryCrossEntropy(from_logits=True)")
def _bce_logits(rng):
    from scratchnet.losses import BinaryCrossEntropy
    n = int(rng.integers(2, 8))
    return (BinaryCrossEntropy(from_logits=True), 3 * rng.normal(size=n),
            rng.integers(0, 2, size=n).astype(np.float64))


@loss_case("CategoricalCrossEntropy(from_logits=True), labels")
def _cce_labels(rng):
    from scratchnet.losses import CategoricalCrossEntropy
    n, k = _nd(rng)
    return (CategoricalCrossEntropy(from_logits=True), 2 * rng.normal(size=(n, k)),
            rng.integers(0, k, size=n))


@loss_case("CategoricalCrossEntropy(from_logits=True), one-hot")
def _cce_onehot(rng):
    from scratchnet.losses import CategoricalCrossEntropy
    n, k = _nd(rng)
    return (CategoricalCrossEntropy(from_logits=True), 2 * rng.normal(size=(n, k)),
            np.eye(k)[rng.integers(0, k, size=n)])


@loss_case("CategoricalCrossEntropy(from_logits=False)")
def _cce_probs(rng):
    from scratchnet.losses import CategoricalCrossEntropy
    n, k = _nd(rng)
    return CategoricalCrossEntropy(from_logits=False), _probs(rng, n, k), rng.integers(0, k, size=n)


@loss_case("KLDivergence")
def _kl(rng):
    from scratchnet.losses import KLDivergence
    n, k = _nd(rng)
    return KLDivergence(), _probs(rng, n, k), _probs(rng, n, k)


# ----- convolution and pooling (the readable "reference" kernels; tests/test_conv.py and
# ----- tests/test_pooling.py gradcheck the numba and CUDA backends) ------------------------------

def _images(rng, c=None, low=4, high=6):
    """A random (N, C, H, W) batch."""
    n, c = int(rng.integers(1, 3)), c or int(rng.integers(1, 3))
    return rng.normal(size=(n, c, int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1))))


@layer_case("Conv2D 3x3, padding 1")
def _conv(rng):
    from scratchnet.layers import Conv2D
    x = _images(rng)
    return Conv2D(x.shape[1], 2, 3, padding=1, rng=rng, backend="reference"), x


@layer_case("Conv2D 2x3, stride 2, dilation (1, 2)")
def _conv_strided(rng):
    from scratchnet.layers import Conv2D
    x = _images(rng, low=5, high=7)
    return Conv2D(x.shape[1], 3, (2, 3), stride=2, dilation=(1, 2), rng=rng, backend="reference"), x


@layer_case("MaxPool2D 2x2")
def _maxpool(rng):
    from scratchnet.layers import MaxPool2D
    return MaxPool2D(2, backend="reference"), _images(rng)


@layer_case("MaxPool2D 3x3, stride 1, with ties")
def _maxpool_ties(rng):
    from scratchnet.layers import MaxPool2D
    x = np.round(_images(rng))                     # integers: many ties inside a window
    return MaxPool2D(3, stride=1, backend="reference"), x


@layer_case("AvgPool2D 2x2, padding 1")
def _avgpool(rng):
    from scratchnet.layers import AvgPool2D
    return AvgPool2D(2, padding=1, backend="reference"), _images(rng)


@layer_case("GlobalAvgPool2D")
def _global_avgpool(rng):
    from scratchnet.layers import GlobalAvgPool2D
    return GlobalAvgPool2D(), _images(rng)


# ----- attention (issue 12): masks held fixed with FixedMask, since check_layer calls forward(x) --

def _sequence(rng, d, low=1, high=4):
    """A random (N, T, d) batch and a padding mask (N, T), True at real tokens (a row may be
    all padding: its attention weights are then 0, never NaN)."""
    n, t = int(rng.integers(1, 3)), int(rng.integers(low, high + 1))
    return rng.normal(size=(n, t, d)), rng.random((n, t)) >= 0.3


@layer_case("MultiHeadSelfAttention, padding mask")
def _mhsa_masked(rng):
    from scratchnet.layers.attention import FixedMask, MultiHeadSelfAttention
    heads = int(rng.integers(1, 3))
    x, mask = _sequence(rng, 2 * heads)
    return FixedMask(MultiHeadSelfAttention(2 * heads, heads, rng=rng), mask), x


@layer_case("MultiHeadSelfAttention, causal, length 1 to 4")
def _mhsa_causal(rng):
    from scratchnet.layers.attention import MultiHeadSelfAttention
    x, _ = _sequence(rng, 4)
    return MultiHeadSelfAttention(4, 2, causal=True, rng=rng), x


@layer_case("PositionalEncoding")
def _positional(rng):
    from scratchnet.layers.attention import PositionalEncoding
    return PositionalEncoding(5), _sequence(rng, 5)[0]


@layer_case("TransformerEncoderBlock, train mode, dropout 0.3, padding mask")
def _encoder_train(rng):
    from scratchnet.layers.attention import FixedMask, TransformerEncoderBlock
    x, mask = _sequence(rng, 4)
    return FixedMask(TransformerEncoderBlock(4, 2, 6, dropout=0.3, rng=rng), mask), x


@layer_case("TransformerEncoderBlock, eval mode, pre-norm, causal")
def _encoder_eval(rng):
    from scratchnet.layers.attention import TransformerEncoderBlock
    block = TransformerEncoderBlock(4, 2, 6, dropout=0.3, causal=True, norm_first=True, rng=rng)
    return block.eval(), _sequence(rng, 4)[0]


# ----- recurrent layers (issue 12): backprop through time, masks held fixed with FixedMask ------

def _recurrent(rng, cls, **kwargs):
    """A recurrent layer with random biases (they start at 0) and a (N, T, n_in) batch."""
    n, t, d, h = (int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 4)),
                  int(rng.integers(1, 4)))
    layer = cls(d, h, rng=rng, **kwargs)
    for key in ("b", "bhn"):
        if key in layer.params:
            layer.params[key][...] = rng.normal(size=layer.params[key].shape)
    return layer, rng.normal(size=(n, t, d))


def _end_padding(rng, x):
    """(N, T) bool, True then False, each row a random length from 0 to T."""
    n, t = x.shape[:2]
    return np.arange(t)[None, :] < rng.integers(0, t + 1, size=n)[:, None]


@layer_case("SimpleRNN, last state")
def _simple_rnn(rng):
    from scratchnet.layers.recurrent import SimpleRNN
    return _recurrent(rng, SimpleRNN)


@layer_case("SimpleRNN, return_sequences, padding mask")
def _simple_rnn_masked(rng):
    from scratchnet.layers.attention import FixedMask
    from scratchnet.layers.recurrent import SimpleRNN
    layer, x = _recurrent(rng, SimpleRNN, return_sequences=True)
    return FixedMask(layer, _end_padding(rng, x)), x


@layer_case("LSTM, return_sequences")
def _lstm_sequences(rng):
    from scratchnet.layers.recurrent import LSTM
    return _recurrent(rng, LSTM, return_sequences=True)


@layer_case("LSTM, last state, padding mask")
def _lstm_masked(rng):
    from scratchnet.layers.attention import FixedMask
    from scratchnet.layers.recurrent import LSTM
    layer, x = _recurrent(rng, LSTM)
    return FixedMask(layer, _end_padding(rng, x)), x


@layer_case("GRU, last state")
def _gru(rng):
    from scratchnet.layers.recurrent import GRU
    return _recurrent(rng, GRU)


@layer_case("GRU, return_sequences, padding mask")
def _gru_masked(rng):
    from scratchnet.layers.attention import FixedMask
    from scratchnet.layers.recurrent import GRU
    layer, x = _recurrent(rng, GRU, return_sequences=True)
    return FixedMask(layer, _end_padding(rng, x)), x
