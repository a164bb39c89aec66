"""Recurrent layers: a state carried from one time step to the next, and backprop through time.

    SimpleRNN(n_in, H)   h_t = tanh(x_t Wx + h_{t-1} Wh + b)
    LSTM(n_in, H)        gates i, f, g, o; a cell c_t = f*c_{t-1} + i*g; h_t = o*tanh(c_t)
    GRU(n_in, H)         gates r, z and a candidate n; h_t = (1 - z)*n + z*h_{t-1}

Shapes (batch first, as Keras and torch's batch_first=True):

    x: (N, T, n_in)    N sequences of T steps, n_in features per step
    y: (N, H)          the last state h_T                      (return_sequences=False)
       (N, T, H)       every state h_1 .. h_T                  (return_sequences=True)

h_0 = 0 (and c_0 = 0 for the LSTM). The same weights serve every step: a recurrent layer
is ONE cell applied T times, so its gradient is the sum of the T per-step gradients.

Backprop through time (BPTT). Unrolled, the layer is a chain of T copies of the cell:

    h_0 -> [cell] -> h_1 -> [cell] -> h_2 -> ... -> h_T      with x_t entering step t

and backward walks that chain from t = T down to 1, as Sequential walks its layers. The
gradient that reaches h_t has two sources, the output at t (return_sequences) and step t + 1:

    dL/dh_t = dy_t + (dL/dh_{t+1}) (dh_{t+1}/dh_t)        (dy_t = 0 where no output is read)

Each step's local backward turns dL/dh_t into dL/d(its pre-activations) `da_t`, from which

    dL/dh_{t-1} = da_t @ Wh.T      (+ the direct paths of LSTM's cell and GRU's z*h)
    dL/dWh = sum_t h_{t-1}.T @ da_t    dL/dWx = sum_t x_t.T @ da_t    dL/db = sum_t sum_n da_t
    dL/dx_t = da_t @ Wx.T

Only the first line has to be a loop (each step needs the next one's result). The sums over t
are done after the loop as single matrix products over all N*T rows, as is the input
projection x_t Wx + b in forward: one (N*T, n_in) @ (n_in, k*H) product for all steps at
once, leaving only h_{t-1} Wh inside the loop. After backward, `layer.hidden_grads`
(N, T, H) holds dL/dh_t for every step: the numbers behind "vanishing gradients" (tutorial
27): in a SimpleRNN, dh_{t+1}/dh_t = diag(1 - h_{t+1}^2) Wh, a product of T such factors
shrinks (or grows) geometrically; the LSTM's cell path multiplies by the forget gate f
instead, which the network can hold near 1.

Padding. With a mask (N, T) (True at real tokens: an Embedding(padding_idx=0) makes one and
Sequential hands it on, or forward(x, mask=...)), a step whose mask is False leaves the
state as it was: h_t = h_{t-1} (and c_t = c_{t-1}). So with padding at the end, the output
without return_sequences is the state after each row's last real token, whatever the
padding's length; with return_sequences the padded steps output 0, and the mask goes on to
the next layer (a second recurrent layer, say). A row with no real token outputs h_0 = 0.
In backward a masked step passes dL/dh_t straight to h_{t-1} and adds nothing to any
gradient. (The rule holds for a False anywhere, not only at the end: that step is skipped.)

Gates. Wx (n_in, k*H), Wh (H, k*H) and b (k*H,) hold the k gate blocks side by side, each H
columns wide: LSTM's in the order input, forget, cell candidate, output (torch's order);
GRU's in the order reset, update, candidate (torch's order). Copying torch's weights:
Wx = weight_ih_l0.T, Wh = weight_hh_l0.T, b = bias_ih_l0 + bias_hh_l0 (GRU: see GRU).

Initial weights: Wx Glorot-uniform per gate block (fan_in n_in, fan_out H); every H x H
block of Wh orthogonal, so that at the start a step neither grows nor shrinks the state by
its matrix alone; b = 0, except the LSTM's forget block (forget_bias, default 1).
"""
from __future__ import annotations

import contextlib
import ctypes
import glob
import math
import os

import numpy as np

from scratchnet import initializers
from scratchnet._checks import positive_int
from scratchnet._config import as_rng, get_default_dtype
from scratchnet.layers.base import Layer, check_array


def _orthogonal(rng, n: int, dtype) -> np.ndarray:
    """A random n x n orthogonal matrix (Q of the QR of a normal matrix, signs fixed so that
    Q is uniform over orthogonal matrices)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.sign(np.diag(r))).astype(dtype)


# ----- one BLAS thread inside the time loop ------------------------------------------------------
# The loop's product h_{t-1} Wh is small ((64, 128) @ (128, 512) in the benchmark): split over
# two OpenBLAS threads it spends more time handing work over and waiting than computing, and
# on a busy machine far more (measured: the LSTM benchmark's forward+backward 2-4x slower).
# So the loops run with one OpenBLAS thread for the calling thread only (OpenBLAS's
# openblas_set_num_threads_local, in NumPy's bundled OpenBLAS 0.3.27 and later), while the big
# products before and after the loop keep every thread. Where that function is not found
# (another BLAS), nothing changes. Only the speed depends on it: the results are the same.
SERIAL_STEP_MACS = 1 << 24      # products of at most this many multiply-adds run on one thread
_set_local = "unset"


def _blas_local_setter():
    """openblas_set_num_threads_local of the OpenBLAS that NumPy loaded, or None."""
    global _set_local
    if _set_local == "unset":
        _set_local = None
        base = os.path.dirname(np.__file__)
        for path in sorted(glob.glob(os.path.join(base, "..", "numpy.libs", "*openblas*")) +
                           glob.glob(os.path.join(base, ".libs", "*openblas*"))):
            try:
                fn = ctypes.CDLL(path).openblas_set_num_threads_local
            except (OSError, AttributeError):
                continue
            fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
            _set_local = fn
            break
    return _set_local


@contextlib.contextmanager
def _one_blas_thread(macs: int):
    """Run the body with one OpenBLAS thread (this thread only) when a step's product has at
    most SERIAL_STEP_MACS multiply-adds; otherwise, or without the setter, change nothing."""
    setter = _blas_local_setter() if macs <= SERIAL_STEP_MACS else None
    if setter is None:
        yield
        return
    before = setter(1)
    try:
        yield
    finally:
        setter(before)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)), in place on a (a fresh buffer), without overflow warnings:
    exp(-a) may overflow to inf for a < -88 (float32), and 1 / inf = 0 is right."""
    with np.errstate(over="ignore"):
        np.negative(a, out=a)
        np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)
    return a


class _Recurrent(Layer):
    """What SimpleRNN, LSTM and GRU share: arguments, input and mask checks, the input
    projection for all steps at once, the outputs, and the parameter gradients summed over
    all steps after the backward loop. A subclass writes `_loop` (forward through time) and
    `_loop_back` (backward through time) for its cell; `gates` is its k."""

    supports_mask = True
    gates = 1

    def __init__(self, n_in: int, n_hidden: int, return_sequences: bool = False, rng=None,
                 *, name: str | None = None):
        super().__init__(name)
        self.n_in = positive_int(self.name, "n_in", n_in)
        self.n_hidden = positive_int(self.name, "n_hidden", n_hidden)
        if not isinstance(return_sequences, (bool, np.bool_)):
            raise TypeError(f"{self.name}: expected return_sequences to be True or False, "
                            f"got {return_sequences!r}")
        self.return_sequences = bool(return_sequences)
        self.hidden_grads: np.ndarray | None = None
        rng, dtype = as_rng(rng), get_default_dtype()
        k, H = self.gates, self.n_hidden
        Wx = np.concatenate([initializers.xavier_uniform((self.n_in, H), rng=rng, dtype=dtype)
                             for _ in range(k)], axis=1)
        Wh = np.concatenate([_orthogonal(rng, H, dtype) for _ in range(k)], axis=1)
        self.add_param("Wx", Wx)
        self.add_param("Wh", Wh)
        self.add_param("b", np.zeros(k * H, dtype=dtype))

    # ----- checks ------------------------------------------------------------------------
    def _inputs(self, x, mask):
        """x as (N, T, n_in) in the layer's dtype; the mask as (T, N, 1) bool (time first,
        like the loop), or None when there is none or it is all True."""
        x = self.check_input(x, ndim=3, axis=2, size=self.n_in)
        N, T, _ = x.shape
        if T == 0:
            raise ValueError(f"{self.name}: expected x of shape (N, T, {self.n_in}) with at "
                             f"least one time step, got shape {x.shape}")
        x = x.astype(self.dtype, copy=False)
        if mask is None:
            return x, None
        m = np.asarray(mask)
        if m.dtype.kind not in "biuf":
            raise TypeError(f"{self.name}: expected a bool mask (N, T), got dtype {m.dtype}")
        if m.shape != (N, T):
            raise ValueError(f"{self.name}: expected a mask of shape {(N, T)} (that of x "
                             f"without its feature axis), got shape {m.shape}")
        if m.dtype.kind != "b":
            if not np.all((m == 0) | (m == 1)):
                raise ValueError(f"{self.name}: expected a mask of True/False (or 1/0), got "
                                 f"values other than 0 and 1")
            m = m.astype(bool)
        if m.all():
            return x, None
        return x, np.ascontiguousarray(m.T)[:, :, None]

    def compute_mask(self, x, mask=None):
        """The mask goes on with the time axis (return_sequences); without it, it is gone."""
        return mask if self.return_sequences else None

    # ----- forward and backward --------------------------------------------------------------
    def forward(self, x: np.ndarray, mask=None) -> np.ndarray:
        """x (N, T, n_in), mask None or (N, T) bool -> y (N, H), or (N, T, H) with
        return_sequences. The input projection xp_t = x_t Wx + b is one product for all
        steps; the loop adds h_{t-1} Wh and applies the cell."""
        x, m = self._inputs(x, mask)
        N, T, D = x.shape
        xt = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(T * N, D)     # time first
        xp = (xt @ self.params["Wx"]).reshape(T, N, -1)
        xp += self.params["b"]
        with _one_blas_thread(N * self.params["Wh"].size):
            hs, cache = self._loop(xp, m)            # hs: (T + 1, N, H), hs[0] = h_0 = 0
        self.save_cache(xt=xt, hs=hs, m=m, shape=x.shape, **cache)
        if not self.return_sequences:
            return hs[T].copy()
        y = hs[1:].transpose(1, 0, 2)
        return (y * m.transpose(1, 0, 2)) if m is not None else y.copy()

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy (N, H) or (N, T, H), like the output -> dx (N, T, n_in); fills grads and
        hidden_grads (N, T, H) = dL/dh_t. The derivation is in the module docstring and in
        each cell's `_loop_back`."""
        cache = self.load_cache()
        N, T, D = cache["shape"]
        H, m = self.n_hidden, cache["m"]
        out_shape = (N, T, H) if self.return_sequences else (N, H)
        dy = self.check_grad(dy, out_shape).astype(self.dtype, copy=False)
        if self.return_sequences:                 # dL/dh_t from the outputs, time first
            dys = dy.transpose(1, 0, 2)
            if m is not None:
                dys = np.where(m, dys, 0)         # a padded output was 0: no gradient
        else:
            dys = None
        with _one_blas_thread(N * self.params["Wh"].size):
            da, dh_all, extra = self._loop_back(cache, dy, dys)   # da: (T, N, k*H)
        self.hidden_grads = dh_all.transpose(1, 0, 2)
        da2 = da.reshape(T * N, -1)
        hprev = cache["hs"][:-1].reshape(T * N, H)
        self.grads["Wx"][...] = cache["xt"].T @ da2
        self.grads["b"][...] = da2.sum(axis=0)
        self._recurrent_grads(hprev, da2, extra)
        dx = (da2 @ self.params["Wx"].T).reshape(T, N, D)
        return np.ascontiguousarray(dx.transpose(1, 0, 2))

    def _recurrent_grads(self, hprev, da2, extra) -> None:
        """dL/dWh = sum_t h_{t-1}.T @ da_t, as one product (GRU overrides it)."""
        self.grads["Wh"][...] = hprev.T @ da2

    def _loop(self, xp, m):
        raise NotImplementedError

    def _loop_back(self, cache, dy, dys):
        raise NotImplementedError

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.n_in}, {self.n_hidden}, "
                f"return_sequences={self.return_sequences})")


class SimpleRNN(_Recurrent):
    """The plain (Elman) recurrent layer: h_t = tanh(x_t Wx + h_{t-1} Wh + b), h_0 = 0.

    n_in:   features per step; n_hidden: H, the size of the state.
    return_sequences: False: y = h_T (N, H); True: y = (h_1, ..., h_T) (N, T, H).
    rng:    seed or Generator for the initial weights (module docstring).
    params: Wx (n_in, H), Wh (H, H), b (H,).
    Padding masks: see the module docstring (a masked step keeps the state).

    Backward, one step (a_t = x_t Wx + h_{t-1} Wh + b, h_t = tanh(a_t)):
        da_t       = dL/dh_t * (1 - h_t^2)                  tanh' = 1 - tanh^2
        dL/dh_{t-1} = da_t @ Wh.T                             (+ dy_{t-1}, added in the loop)
    so dL/dh_{t-1} = dL/dh_t diag(1 - h_t^2) Wh: one factor per step back, the reason the
    gradient from far back vanishes (or explodes) geometrically.
    """

    gates = 1

    def _loop(self, xp, m):
        T, N, H = xp.shape
        Wh = self.params["Wh"]
        hs = np.zeros((T + 1, N, H), dtype=xp.dtype)
        for t in range(T):
            a = hs[t + 1]                         # written in place: h_t's own slot
            np.matmul(hs[t], Wh, out=a)
            a += xp[t]
            np.tanh(a, out=a)
            if m is not None:
                np.copyto(a, hs[t], where=~m[t])  # a padded step keeps h_{t-1}
        return hs, {}

    def _loop_back(self, cache, dy, dys):
        hs, m = cache["hs"], cache["m"]
        T, N, H = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
        WhT = np.ascontiguousarray(self.params["Wh"].T)
        da = np.empty((T, N, H), dtype=hs.dtype)
        dh_all = np.empty((T, N, H), dtype=hs.dtype)
        dh = dy.copy() if dys is None else np.zeros((N, H), dtype=hs.dtype)
        for t in range(T - 1, -1, -1):
            if dys is not None:
                dh += dys[t]                      # the output's share of dL/dh_t
            dh_all[t] = dh
            d = da[t]
            np.multiply(hs[t + 1], hs[t + 1], out=d)
            np.subtract(1, d, out=d)
            d *= dh                               # da_t = dL/dh_t * (1 - h_t^2)
            if m is not None:
                d[~m[t][:, 0]] = 0                # a padded step: h_t = h_{t-1}, no a_t
                dh = np.where(m[t], d @ WhT, dh)  # ... and dL/dh_t flows on unchanged
            else:
                dh = d @ WhT
        return da, dh_all, None


class LSTM(_Recurrent):
    """Long short-term memory (Hochreiter and Schmidhuber), in the form torch and Keras use.

    n_in, n_hidden (H), return_sequences, rng: as SimpleRNN.
    forget_bias: the starting value of the forget gate's bias (default 1: f starts near
                 sigmoid(1) = 0.73, so the cell keeps most of its memory before any training,
                 Keras' unit_forget_bias; 0 gives torch's start).
    params: Wx (n_in, 4H), Wh (H, 4H), b (4H,), gate blocks in the order i, f, g, o.

    Forward, one step (a_t = x_t Wx + h_{t-1} Wh + b split into four H-wide blocks):
        i = sigmoid(a_i)    input gate: how much of the candidate enters the cell
        f = sigmoid(a_f)    forget gate: how much of the old cell stays
        g = tanh(a_g)       the candidate
        o = sigmoid(a_o)    output gate
        c_t = f * c_{t-1} + i * g          h_t = o * tanh(c_t)          c_0 = h_0 = 0
    Backward, one step, given dh = dL/dh_t and dc = dL/dc_t from step t + 1:
        dc  += dh * o * (1 - tanh(c_t)^2)  (the total gradient reaching c_t)
        do   = dh * tanh(c_t)     di = dc * g     dg = dc * i     df = dc * c_{t-1}
        da_t = [di * i(1 - i), df * f(1 - f), dg * (1 - g^2), do * o(1 - o)]
        dL/dh_{t-1} = da_t @ Wh.T         dL/dc_{t-1} = dc * f
    The cell's path back multiplies by f alone, no weight matrix and no tanh': with f near 1
    a gradient travels many steps (the "constant error carousel"). After backward,
    `cell_grads` (N, T, H) holds dL/dc_t (beside hidden_grads, dL/dh_t; at a padded step,
    where c_t is only a copy of c_{t-1}, it holds 0).
    Padding masks: see the module docstring (a masked step keeps h and c).
    """

    gates = 4

    def __init__(self, n_in: int, n_hidden: int, return_sequences: bool = False, rng=None,
                 forget_bias: float = 1.0, *, name: str | None = None):
        super().__init__(n_in, n_hidden, return_sequences, rng, name=name)
        if isinstance(forget_bias, bool) or not isinstance(
                forget_bias, (int, float, np.integer, np.floating)) or not math.isfinite(forget_bias):
            raise TypeError(f"{self.name}: expected forget_bias to be a finite number, "
                            f"got {forget_bias!r}")
        self.forget_bias = float(forget_bias)
        self.cell_grads: np.ndarray | None = None
        H = self.n_hidden
        self.params["b"][H:2 * H] = self.forget_bias

    def _loop(self, xp, m):
        T, N, H4 = xp.shape
        H = H4 // 4
        Wh = self.params["Wh"]
        hs = np.zeros((T + 1, N, H), dtype=xp.dtype)
        cs = np.zeros((T + 1, N, H), dtype=xp.dtype)
        acts = np.empty((T, N, H4), dtype=xp.dtype)     # i, f, g, o after their functions
        tcs = np.empty((T, N, H), dtype=xp.dtype)       # tanh(c_t)
        for t in range(T):
            a = acts[t]
            np.matmul(hs[t], Wh, out=a)
            a += xp[t]
            _sigmoid(a[:, :2 * H])                # i, f
            np.tanh(a[:, 2 * H:3 * H], out=a[:, 2 * H:3 * H])
            _sigmoid(a[:, 3 * H:])                # o
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            c = cs[t + 1]
            np.multiply(f, cs[t], out=c)
            c += i * g                            # c_t = f c_{t-1} + i g
            tc = tcs[t]
            np.tanh(c, out=tc)
            np.multiply(o, tc, out=hs[t + 1])     # h_t = o tanh(c_t)
            if m is not None:
                keep = ~m[t]
                np.copyto(c, cs[t], where=keep)   # a padded step keeps c and h
                np.copyto(hs[t + 1], hs[t], where=keep)
        return hs, {"cs": cs, "acts": acts, "tcs": tcs}

    def _loop_back(self, cache, dy, dys):
        hs, cs, acts, tcs, m = cache["hs"], cache["cs"], cache["acts"], cache["tcs"], cache["m"]
        T, N, H = tcs.shape
        WhT = np.ascontiguousarray(self.params["Wh"].T)
        da = np.empty((T, N, 4 * H), dtype=hs.dtype)
        dh_all = np.empty((T, N, H), dtype=hs.dtype)
        dh = dy.copy() if dys is None else np.zeros((N, H), dtype=hs.dtype)
        dc = np.zeros((N, H), dtype=hs.dtype)
        dc_buf = np.empty((N, H), dtype=hs.dtype)
        dc_all = np.zeros((T, N, H), dtype=hs.dtype)      # dL/dc_t (0 at padded steps)
        slope = np.empty((N, 4 * H), dtype=hs.dtype)
        for t in range(T - 1, -1, -1):
            if dys is not None:
                dh += dys[t]
            dh_all[t] = dh
            a, tc, d = acts[t], tcs[t], da[t]
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            if m is not None:                     # padded rows: h_t = h_{t-1}, c_t = c_{t-1}
                real = m[t]
                dh_cell, dc_cell = np.where(real, dh, 0), np.where(real, dc, 0)
            else:
                dh_cell, dc_cell = dh, dc
            dct = dc_buf
            np.multiply(tc, tc, out=dct)
            np.subtract(1, dct, out=dct)
            dct *= o
            dct *= dh_cell
            dct += dc_cell                        # total dL/dc_t
            dc_all[t] = dct
            np.subtract(1, a, out=slope)          # the slope of each gate's function:
            slope *= a                            # s(1 - s) for i, f, o ...
            sg = slope[:, 2 * H:3 * H]
            np.multiply(g, g, out=sg)
            np.subtract(1, sg, out=sg)            # ... and 1 - g^2 for g
            np.multiply(dct, g, out=d[:, :H])                  # dL/di
            np.multiply(dct, cs[t], out=d[:, H:2 * H])         # dL/df
            np.multiply(dct, i, out=d[:, 2 * H:3 * H])         # dL/dg
            np.multiply(dh_cell, tc, out=d[:, 3 * H:])         # dL/do
            d *= slope                            # da_t
            dh_prev = d @ WhT
            dc_prev = dct * f
            if m is not None:
                keep = ~real
                np.copyto(dh_prev, dh, where=keep)
                np.copyto(dc_prev, dc, where=keep)
            dh, dc = dh_prev, dc_prev
        self.cell_grads = dc_all.transpose(1, 0, 2)
        return da, dh_all, None

    def __repr__(self) -> str:
        return (f"LSTM({self.n_in}, {self.n_hidden}, return_sequences={self.return_sequences}, "
                f"forget_bias={self.forget_bias:g})")


class GRU(_Recurrent):
    """Gated recurrent unit (Cho et al. 2014), in torch's convention (Keras' reset_after=True).

    n_in, n_hidden (H), return_sequences, rng: as SimpleRNN.
    params: Wx (n_in, 3H), Wh (H, 3H), b (3H,), blocks in the order r, z, n (torch's), and
            bhn (H,): the hidden bias of the candidate, which sits inside the reset gate.

    Forward, one step (xp = x_t Wx + b, hp = h_{t-1} Wh, each split into blocks r, z, n):
        r = sigmoid(xp_r + hp_r)                 reset gate
        z = sigmoid(xp_z + hp_z)                 update gate: how much of the old state stays
        n = tanh(xp_n + r * (hp_n + bhn))        candidate: r scales Wh h + bh, torch's form
        h_t = (1 - z) * n + z * h_{t-1}
    The original paper (and Keras' reset_after=False) puts r inside the product instead,
    n = tanh(xp_n + (r * h_{t-1}) Wh_n); that form is not implemented here.
    From torch: Wx = weight_ih_l0.T, Wh = weight_hh_l0.T, b = bias_ih_l0 + [bias_hh_l0's r and
    z blocks, 0], bhn = bias_hh_l0's n block (only the sum of the two r and z biases matters).

    Backward, one step, given dh = dL/dh_t:
        dn = dh * (1 - z)     dz = dh * (h_{t-1} - n)     direct path: dh * z
        dan = dn * (1 - n^2)                      dL/d(xp_n) = dan
        dr = dan * (hp_n + bhn)                   dL/d(hp_n + bhn) = dan * r
        dar = dr * r(1 - r)    daz = dz * z(1 - z)
        dL/dh_{t-1} = [dar, daz, dan * r] @ Wh.T + dh * z
        dL/dWx, dL/db from [dar, daz, dan]; dL/dWh from [dar, daz, dan * r]; dL/dbhn =
        sum of dan * r.
    Padding masks: see the module docstring.
    """

    gates = 3

    def __init__(self, n_in: int, n_hidden: int, return_sequences: bool = False, rng=None,
                 *, name: str | None = None):
        super().__init__(n_in, n_hidden, return_sequences, rng, name=name)
        self.add_param("bhn", np.zeros(self.n_hidden, dtype=self.params["b"].dtype))

    def _loop(self, xp, m):
        T, N, H3 = xp.shape
        H = H3 // 3
        Wh, bhn = self.params["Wh"], self.params["bhn"]
        hs = np.zeros((T + 1, N, H), dtype=xp.dtype)
        acts = np.empty((T, N, H3), dtype=xp.dtype)     # r, z, n after their functions
        hns = np.empty((T, N, H), dtype=xp.dtype)       # hp_n + bhn, which r multiplies
        hp = np.empty((N, H3), dtype=xp.dtype)
        for t in range(T):
            a = acts[t]
            np.matmul(hs[t], Wh, out=hp)
            np.add(xp[t][:, :2 * H], hp[:, :2 * H], out=a[:, :2 * H])
            _sigmoid(a[:, :2 * H])                # r, z
            r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            np.add(hp[:, 2 * H:], bhn, out=hns[t])
            np.multiply(r, hns[t], out=n)
            n += xp[t][:, 2 * H:]
            np.tanh(n, out=n)
            h = hs[t + 1]
            np.subtract(hs[t], n, out=h)
            h *= z
            h += n                                # h_t = n + z (h_{t-1} - n)
            if m is not None:
                np.copyto(h, hs[t], where=~m[t])
        return hs, {"acts": acts, "hns": hns}

    def _loop_back(self, cache, dy, dys):
        hs, acts, hns, m = cache["hs"], cache["acts"], cache["hns"], cache["m"]
        T, N, H = hns.shape
        WhT = np.ascontiguousarray(self.params["Wh"].T)
        da = np.empty((T, N, 3 * H), dtype=hs.dtype)      # dL/d[xp_r, xp_z, xp_n]
        dahn = np.empty((T, N, H), dtype=hs.dtype)        # dL/d(hp_n + bhn) = dan * r
        dh_all = np.empty((T, N, H), dtype=hs.dtype)
        dhp = np.empty((N, 3 * H), dtype=hs.dtype)
        dh = dy.copy() if dys is None else np.zeros((N, H), dtype=hs.dtype)
        for t in range(T - 1, -1, -1):
            if dys is not None:
                dh += dys[t]
            dh_all[t] = dh
            a, d = acts[t], da[t]
            r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            dh_cell = np.where(m[t], dh, 0) if m is not None else dh
            dar, daz, dan = d[:, :H], d[:, H:2 * H], d[:, 2 * H:]
            np.subtract(1, z, out=dan)
            dan *= dh_cell
            dan *= 1 - n * n                      # dan = dh (1 - z)(1 - n^2)
            np.multiply(dan, hns[t], out=dar)
            dar *= r * (1 - r)
            np.subtract(hs[t], n, out=daz)
            daz *= dh_cell
            daz *= z * (1 - z)
            np.multiply(dan, r, out=dahn[t])
            dhp[:, :2 * H] = d[:, :2 * H]
            dhp[:, 2 * H:] = dahn[t]
            dh_prev = dhp @ WhT
            dh_prev += dh_cell * z
            if m is not None:
                np.copyto(dh_prev, dh, where=~m[t])
            dh = dh_prev
        return da, dh_all, dahn

    def _recurrent_grads(self, hprev, da2, dahn) -> None:
        """dL/dWh's r and z blocks from da; its n block and dL/dbhn from dan * r."""
        H = self.n_hidden
        dahn = dahn.reshape(-1, H)
        self.grads["Wh"][:, :2 * H] = hprev.T @ da2[:, :2 * H]
        self.grads["Wh"][:, 2 * H:] = hprev.T @ dahn
        self.grads["bhn"][...] = dahn.sum(axis=0)


__all__ = ["SimpleRNN", "LSTM", "GRU"]
