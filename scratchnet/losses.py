"""Loss functions: one number that says how wrong a batch of predictions is, and its gradient.

Every loss is used the same way:

    value = loss.forward(y_pred, y_true)   # a Python float: the MEAN over the batch
    dy = loss.backward()                   # dL/dy_pred: y_pred's shape and dtype, a new array

`backward` takes no argument because a loss is the end of the chain: dL/dL = 1. The gradient
it returns is where backpropagation starts (`model.backward(dy)`). Because the value is a mean,
every gradient carries a factor 1/N (or 1/M, the number of averaged elements).

Regression:      MSE, MAE, Huber                       (average over every element)
Classification:  BinaryCrossEntropy, CategoricalCrossEntropy, KLDivergence

Cross-entropies can take logits (`from_logits=True`); then the loss works in log space
(log-sum-exp, softplus) and stays finite for logits of any size. The plain, unfused path
(softmax, then cross-entropy of probabilities, chained through the softmax Jacobian) sits next to
the fused one in this file, and the tests check that both give the same value and gradient for
moderate logits -- and that the plain path loses the gradient of a saturated wrong prediction,
where p is clipped at eps (see CategoricalCrossEntropy).

Probabilities and targets are checked to lie in [0, 1], and rows of y_true to sum to 1, within
one tolerance, PROB_TOL = 1e-4, for rounding error; values within it are clipped to [0, 1].
"""
from __future__ import annotations

import numpy as np

from scratchnet.layers.activations import sigmoid, softmax, softmax_jacobian
from scratchnet.layers.base import ForwardCache, check_array, check_same_thread

# Probabilities are clipped to [EPS, 1 - EPS] before a log, so log(0) never happens.
EPS = 1e-7

# How far outside the exact rules a probability may sit and still be accepted as rounding error:
# an entry in [-PROB_TOL, 1 + PROB_TOL] counts as in [0, 1] (and is clipped to it), and a row of
# y_true may sum to 1 +- PROB_TOL. One tolerance for both checks: a one-hot row written as
# 1.00005 (float32 arithmetic, label smoothing) passes the row check, so it must pass the range
# check too.
PROB_TOL = 1e-4


# ----- the numerics: each stable for any input size ------------------------------------------
# sigmoid(z) and softmax(z, axis=-1) come from the activations; exp underflowing to 0 for very
# negative arguments is the right answer here, so those underflows are silenced below.
def log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax(z) along the last axis, by log-sum-exp.   z: (N, K) -> (N, K)

    log p_k = z_k - log sum_j exp(z_j) = (z_k - m) - log sum_j exp(z_j - m),  m = max_j z_j,
    so the largest exponent is exp(0) = 1: nothing overflows and the log never sees 0.
    """
    shifted = z - z.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy_grad_unfused(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dz of L = mean_n CE(y_n, softmax(z_n)) the long way: two local derivatives, chained.

    z: (N, K) logits,  y: (N, K) one-hot or probability rows.  Returns dL/dz: (N, K).
        p = softmax(z)                         (N, K)
        dL/dp = -y / p / N                     derivative of -1/N sum y log p
        dL/dz_n = J_n^T dL/dp_n                J_n = diag(p_n) - p_n p_n^T: (K, K) for each row
    Multiplying out gives dL/dz = (p * sum_k(y) - y) / N = (p - y) / N for rows summing to 1:
    the fused gradient that CategoricalCrossEntropy(from_logits=True) uses. (For teaching: it
    builds N Jacobians and divides by p, so it is slow and needs moderate logits.)
    """
    p = softmax(z)
    dp = -y / p / z.shape[0]
    return np.stack([softmax_jacobian(p_n).T @ dp_n for p_n, dp_n in zip(p, dp)])


# ----- the base class --------------------------------------------------------------------------
class Loss:
    """Base class of every loss: `forward(y_pred, y_true) -> float`, `backward() -> dL/dy_pred`.

    from_logits: True when forward takes raw scores (logits) and applies the sigmoid or softmax
    itself; False when y_pred is used as it is (the regression losses; probabilities). Every
    loss answers it, so that fit and the plots can pick an accuracy threshold (0 for logits,
    0.5 for probabilities). The class attribute is each class's default: False here and for
    MSE, MAE, Huber; each cross-entropy sets its own to its constructor's default
    (CategoricalCrossEntropy True, BinaryCrossEntropy and KLDivergence False), so that
    help(CategoricalCrossEntropy) shows the default it really has; an instance holds the
    value it was given.
    """

    from_logits = False

    def __init__(self, name: str | None = None):
        self.name = name or type(self).__name__
        self._cache = None

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        raise NotImplementedError(f"{self.name}: forward is not implemented")

    def backward(self) -> np.ndarray:
        raise NotImplementedError(f"{self.name}: backward is not implemented")

    def __call__(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        return self.forward(y_pred, y_true)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # ----- helpers for subclasses ---------------------------------------------------------
    def _save(self, **cache) -> None:
        """Keep what backward needs, and which thread ran this forward (as layers do)."""
        self._cache = ForwardCache(cache)

    def _load(self) -> dict:
        """The last forward's cache; RuntimeError before any forward, or when another thread
        ran it (one loss object shared by two training threads would mix their batches)."""
        if self._cache is None:
            raise RuntimeError(f"{self.name}: backward called before forward")
        check_same_thread(self.name, self._cache)
        return self._cache

    def _check_pred(self, y_pred, ndim=None) -> np.ndarray:
        """y_pred as a float array (ints become the default dtype); no empty batches."""
        y_pred = check_array(self.name, y_pred, ndim=ndim, what="y_pred")
        if y_pred.size == 0:
            raise ValueError(f"{self.name}: expected a non-empty y_pred, got shape {y_pred.shape}")
        return y_pred

    def _check_target(self, y_pred: np.ndarray, y_true) -> np.ndarray:
        """y_true as an array of y_pred's shape and dtype.

        Same shapes are required, with one allowance: a column (N, 1) and a vector (N,) are
        accepted together (y_true is reshaped), because a one-output network gives (N, 1) while
        targets often come as (N,). Anything else is a ValueError: letting NumPy broadcast
        (N, 1) - (N,) into (N, N) would be a silent wrong answer.
        """
        y_true = check_array(self.name, y_true, what="y_true", dtype=y_pred.dtype)
        if y_true.shape != y_pred.shape:
            if not _is_column_pair(y_true.shape, y_pred.shape):
                raise ValueError(f"{self.name}: expected y_true of the same shape as y_pred, "
                                 f"got y_pred {y_pred.shape} and y_true {y_true.shape}")
            y_true = y_true.reshape(y_pred.shape)
        return y_true.astype(y_pred.dtype, copy=False)

    def _check_probabilities(self, p: np.ndarray, what: str) -> np.ndarray:
        """p clipped to [0, 1], or a ValueError unless every entry lies in [0, 1] within PROB_TOL.

        The message shows the real extremes with 6 significant digits: 1.0002 must not be
        printed as "1", or the message contradicts itself ("expected [0, 1], got [0, 1]").
        """
        if np.isnan(p).any():
            raise ValueError(f"{self.name}: expected {what} in [0, 1], got NaN at "
                             f"{np.count_nonzero(np.isnan(p))} of {p.size} entries")
        if not np.all((p >= -PROB_TOL) & (p <= 1 + PROB_TOL)):
            hint = " (got logits? use from_logits=True)" if what == "y_pred" else ""
            raise ValueError(f"{self.name}: expected {what} in [0, 1] (within {PROB_TOL:g}), "
                             f"got values in [{p.min():.6g}, {p.max():.6g}]{hint}")
        return np.clip(p, 0, 1)

    def _check_rows(self, y: np.ndarray, shape: tuple) -> np.ndarray:
        """y_true given as (N, K) rows: each a distribution (entries in [0, 1] and a sum of 1,
        both within PROB_TOL); returned clipped to [0, 1]."""
        if y.shape != shape:
            raise ValueError(f"{self.name}: expected y_true of shape {shape} like y_pred "
                             f"(or labels ({shape[0]},)), got y_pred {shape} and y_true {y.shape}")
        y = self._check_probabilities(y, "y_true")
        sums = y.sum(axis=1)
        if not np.allclose(sums, 1, rtol=0, atol=PROB_TOL):
            bad = int(np.argmax(np.abs(sums - 1)))
            raise ValueError(f"{self.name}: expected each row of y_true (shape {y.shape}) to sum "
                             f"to 1 within {PROB_TOL:g} (one-hot or probabilities), row {bad} "
                             f"sums to {sums[bad]:.6g}")
        return y


def _is_column_pair(a: tuple, b: tuple) -> bool:
    """True for the pair of shapes (N,) and (N, 1), in either order."""
    short, long = sorted((a, b), key=len)
    return len(short) == 1 and long == (short[0], 1)


# ----- regression --------------------------------------------------------------------------
class MSE(Loss):
    """Mean squared error over every element.

    y_pred, y_true: any shape (the same), M elements in all; (N, 1) and (N,) may be mixed.
    Forward:  L = (1/M) sum_i (y_pred_i - y_true_i)^2
    Backward: dL/dy_pred_i = 2 (y_pred_i - y_true_i) / M
    """

    def forward(self, y_pred, y_true) -> float:
        y_pred = self._check_pred(y_pred)
        y_true = self._check_target(y_pred, y_true)
        e = y_pred - y_true
        self._save(e=e)
        return float(np.mean(e * e))

    def backward(self) -> np.ndarray:
        """dL/dy_pred = 2 e / M,  e = y_pred - y_true, same shape as y_pred."""
        e = self._load()["e"]
        return 2 * e / e.size


class MAE(Loss):
    """Mean absolute error over every element.

    y_pred, y_true: any shape (the same), M elements in all; (N, 1) and (N,) may be mixed.
    Forward:  L = (1/M) sum_i |y_pred_i - y_true_i|
    Backward: dL/dy_pred_i = sign(y_pred_i - y_true_i) / M
    |e| has a kink at e = 0, where any value in [-1, 1] / M is a valid subgradient; we use 0
    (np.sign(0) = 0): an exact prediction gets no push either way.
    """

    def forward(self, y_pred, y_true) -> float:
        y_pred = self._check_pred(y_pred)
        y_true = self._check_target(y_pred, y_true)
        e = y_pred - y_true
        self._save(e=e)
        return float(np.mean(np.abs(e)))

    def backward(self) -> np.ndarray:
        """dL/dy_pred = sign(e) / M (0 where e == 0), same shape as y_pred."""
        e = self._load()["e"]
        return np.sign(e) / e.size


class Huber(Loss):
    """Huber loss: squared error for small errors, absolute error for large ones.

    y_pred, y_true: any shape (the same), M elements in all; e = y_pred - y_true.
    Forward:  L = (1/M) sum_i h(e_i),   h(e) = e^2 / 2                 if |e| <= delta
                                           = delta (|e| - delta / 2)   otherwise
    Both pieces meet at |e| = delta with the same value and slope, so h is smooth there.
    Inside delta it is MSE / 2; outside, delta times MAE minus a constant.
    Backward: dL/dy_pred_i = h'(e_i) / M,  h'(e) = e inside, delta * sign(e) outside,
              i.e. clip(e, -delta, delta) / M.
    """

    def __init__(self, delta: float = 1.0, name: str | None = None):
        super().__init__(name)
        if isinstance(delta, bool) or not isinstance(delta, (int, float, np.number)):
            raise TypeError(f"Huber: expected delta to be a positive number, got {delta!r}")
        if not (np.isfinite(delta) and delta > 0):
            raise ValueError(f"Huber: expected delta > 0, got {delta}")
        self.delta = float(delta)

    def forward(self, y_pred, y_true) -> float:
        y_pred = self._check_pred(y_pred)
        y_true = self._check_target(y_pred, y_true)
        e = y_pred - y_true
        a = np.abs(e)
        h = np.where(a <= self.delta, 0.5 * e * e, self.delta * (a - 0.5 * self.delta))
        self._save(e=e)
        return float(np.mean(h))

    def backward(self) -> np.ndarray:
        """dL/dy_pred = clip(e, -delta, delta) / M, same shape as y_pred."""
        e = self._load()["e"]
        return np.clip(e, -self.delta, self.delta) / e.size

    def __repr__(self) -> str:
        return f"Huber(delta={self.delta})"


# ----- classification ----------------------------------------------------------------------
class BinaryCrossEntropy(Loss):
    """Binary cross-entropy for yes/no targets, averaged over every element.

    y_pred: (N,) or (N, 1) (any shape works: multi-label (N, K) is averaged over all M elements)
            probabilities p in [0, 1], or logits z with from_logits=True.
    y_true: targets y in [0, 1] with y_pred's shape ((N,) and (N, 1) may be mixed).

    Probabilities (from_logits=False):
      Forward:  L = -(1/M) sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)]
                p is clipped to [eps, 1 - eps] (eps = 1e-7) first, so log(0) never happens.
      Backward: dL/dp_i = -(y_i / p_i - (1 - y_i) / (1 - p_i)) / M
                        = (p_i - y_i) / (p_i (1 - p_i)) / M
                (at the clipped p: at p = 0 or 1 the gradient stays finite and still points
                the right way, rather than being the clip's zero slope).
    Logits (from_logits=True), p = sigmoid(z):
      Forward:  -[y log p + (1-y) log(1-p)] = softplus(z) - y z = max(z, 0) - y z + log1p(exp(-|z|))
                (exp of -|z| only: finite for any z).
      Backward: dL/dz_i = (sigmoid(z_i) - y_i) / M     (softplus' = sigmoid)
    """

    from_logits = False        # the default of __init__, for help() and the class

    def __init__(self, from_logits: bool = False, eps: float = EPS, name: str | None = None):
        super().__init__(name)
        self.from_logits = bool(from_logits)
        self.eps = _check_eps(self.name, eps)

    def forward(self, y_pred, y_true) -> float:
        y_pred = self._check_pred(y_pred)
        y = self._check_probabilities(self._check_target(y_pred, y_true), "y_true")
        if self.from_logits:
            z = y_pred
            with np.errstate(under="ignore"):
                loss = np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))
            self._save(z=z, y=y)
        else:
            p = np.clip(self._check_probabilities(y_pred, "y_pred"), self.eps, 1 - self.eps)
            loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
            self._save(p=p, y=y)
        return float(np.mean(loss))

    def backward(self) -> np.ndarray:
        """dL/dz = (sigmoid(z) - y) / M from logits; dL/dp = (p - y) / (p (1 - p)) / M."""
        cache = self._load()
        y = cache["y"]
        if self.from_logits:
            return (sigmoid(cache["z"]) - y) / y.size
        p = cache["p"]
        return (p - y) / (p * (1 - p)) / y.size

    def __repr__(self) -> str:
        return f"BinaryCrossEntropy(from_logits={self.from_logits})"


class CategoricalCrossEntropy(Loss):
    """Cross-entropy for one of K classes, averaged over the batch.

    y_pred: (N, K) logits z (default, from_logits=True) or probabilities p (from_logits=False).
    y_true: (N,) integer labels in [0, K), or (N, K) one-hot / probability rows (each sums to 1).
            Labels are turned into one-hot rows y: (N, K) first.

    Logits (the fused path, use it for training):
      Forward:  log p = log_softmax(z) = z - logsumexp(z)    (stable for any z)
                L = -(1/N) sum_n sum_k y_nk log p_nk
      Backward: dL/dz = (softmax(z) - y) / N                 (N, K)
                Softmax's Jacobian times d(CE)/dp = -y/p/N collapses to this: see
                `cross_entropy_grad_unfused`, which does the long product.
    Probabilities (the plain path, after a Softmax layer):
      Forward:  L = -(1/N) sum_n sum_k y_nk log p_nk,  p clipped to [eps, 1] (eps = 1e-7)
      Backward: dL/dp = -y / p / N                           (N, K), p the clipped p
                The Softmax layer's backward then applies its Jacobian p_i (delta_ij - p_j),
                giving (p - y) / N -- but only in rows where the clip did not bind, i.e.
                p_nk >= eps wherever y_nk > 0.
    Why the fused path is the one to train with: a saturated wrong prediction. Take logits
    z = (20, 0, 0) with true class c = 1, so p_c = 2.1e-9 < eps. The clip caps the loss at
    -log(eps) = 16.1 (the true loss is 20.0), and it cuts dL/dp_c to -1/(eps N) where the truth
    is -1/(p_c N). Nothing downstream makes up for the cut: softmax's Jacobian p_i (delta_ij - p_j)
    is ~0 in a saturated row. For a one-hot row whose p_c < eps, Softmax.backward then returns
    exactly (p_c / eps) * (p - y) / N: here 2% of the true gradient, and exactly 0 once p_c
    underflows to 0 (z = (800, 0, 0)), so the worst mistakes teach the network nothing.
    from_logits=True never forms 1/p: (softmax(z) - y) / N is right for any z.
    (tests/test_losses.py checks these numbers.)
    """

    from_logits = True        # the default of __init__, for help() and the class

    def __init__(self, from_logits: bool = True, eps: float = EPS, name: str | None = None):
        super().__init__(name)
        self.from_logits = bool(from_logits)
        self.eps = _check_eps(self.name, eps)

    def forward(self, y_pred, y_true) -> float:
        y_pred = self._check_pred(y_pred, ndim=2)
        y = _targets_as_rows(self, y_pred, y_true)
        N = y_pred.shape[0]
        if self.from_logits:
            z = y_pred
            log_p = log_softmax(z)
            self._save(z=z, y=y)
        else:
            p = np.clip(self._check_probabilities(y_pred, "y_pred"), self.eps, 1)
            log_p = np.log(p)
            self._save(p=p, y=y)
        return float(-(y * log_p).sum() / N)

    def backward(self) -> np.ndarray:
        """dL/dz = (softmax(z) - y) / N from logits; dL/dp = -y / p / N from probabilities."""
        cache = self._load()
        y = cache["y"]
        N = y.shape[0]
        if self.from_logits:
            with np.errstate(under="ignore"):
                return (softmax(cache["z"]) - y) / N
        return -y / cache["p"] / N

    def __repr__(self) -> str:
        return f"CategoricalCrossEntropy(from_logits={self.from_logits})"


class KLDivergence(CategoricalCrossEntropy):
    """Kullback-Leibler divergence KL(y_true || y_pred), averaged over the batch.

    y_pred: (N, K) probabilities q (default) or logits z (from_logits=True: log q = log_softmax(z)).
    y_true: (N, K) probability rows y (each sums to 1), or (N,) integer labels (as one-hot rows).
    Forward:  L = (1/N) sum_n sum_k y_nk (log y_nk - log q_nk)
              terms with y_nk = 0 count 0 (the limit of y log y); q is clipped to [eps, 1].
    Backward: dL/dq = -y / q / N                             (probabilities; y log y is constant)
              dL/dz = (softmax(z) - y) / N                   (logits, as for cross-entropy)
    After a Softmax layer, a q clipped at eps loses the gradient as for cross-entropy (see
    CategoricalCrossEntropy): prefer from_logits=True for training.
    Relations: cross-entropy(y, q) = entropy(y) + KL(y || q), so the two differ by a constant
    in q and have the same gradient; KL(y || y) = 0 and KL >= 0. For a GLM the deviance is
    2 * sum_n KL(y_n || q_n) = 2 * N * L (for one-hot y, twice the summed negative log-likelihood).
    """

    from_logits = False        # the default of __init__, for help() and the class

    def __init__(self, from_logits: bool = False, eps: float = EPS, name: str | None = None):
        super().__init__(from_logits=from_logits, eps=eps, name=name)

    def forward(self, y_pred, y_true) -> float:
        """KL(y || q) = cross-entropy(y, q) - entropy(y); backward is cross-entropy's."""
        cross_entropy = super().forward(y_pred, y_true)
        y = self._load()["y"]
        y_log_y = np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0)
        return cross_entropy + float(y_log_y.sum() / y.shape[0])

    def __repr__(self) -> str:
        return f"KLDivergence(from_logits={self.from_logits})"


def _check_eps(who: str, eps) -> float:
    """The clipping constant: a number in (0, 0.5)."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.number)):
        raise TypeError(f"{who}: expected eps to be a small positive number, got {eps!r}")
    if not 0 < eps < 0.5:
        raise ValueError(f"{who}: expected eps in (0, 0.5), got {eps}")
    return float(eps)


def _targets_as_rows(loss: Loss, y_pred: np.ndarray, y_true) -> np.ndarray:
    """y_true for a (N, K) prediction as (N, K) rows in y_pred's dtype.

    (N,) integer labels in [0, K) become one-hot rows; (N, K) rows must be distributions.
    """
    N, K = y_pred.shape
    if not isinstance(y_true, np.ndarray):
        if not isinstance(y_true, (list, tuple)):
            raise TypeError(f"{loss.name}: expected y_true to be a numpy array, "
                            f"got {type(y_true).__name__}")
        y_true = np.asarray(y_true)
    if y_true.ndim == 1:
        labels = _check_labels(loss.name, y_true, N, K)
        y = np.zeros((N, K), dtype=y_pred.dtype)
        y[np.arange(N), labels] = 1
        return y
    if y_true.ndim != 2:
        raise ValueError(f"{loss.name}: expected y_true as labels ({N},) or rows ({N}, {K}), "
                         f"got y_pred {y_pred.shape} and y_true {y_true.shape}")
    y = check_array(loss.name, y_true, what="y_true", dtype=y_pred.dtype)
    return loss._check_rows(y.astype(y_pred.dtype, copy=False), (N, K))


def _check_labels(who: str, labels: np.ndarray, N: int, K: int) -> np.ndarray:
    """Integer class labels (N,) in [0, K) as int64, or a clear TypeError/ValueError."""
    shapes = f"y_pred ({N}, {K}) and y_true {labels.shape}"
    if labels.dtype.kind not in "iuf":
        raise TypeError(f"{who}: expected integer labels, got dtype {labels.dtype} ({shapes})")
    if labels.shape[0] != N:
        raise ValueError(f"{who}: expected {N} labels, one per row of y_pred, got {shapes}")
    if labels.dtype.kind == "f" and not np.all(np.isfinite(labels) & (labels == np.round(labels))):
        raise ValueError(f"{who}: expected integer labels, got non-integer values ({shapes})")
    if labels.size and (labels.min() < 0 or labels.max() >= K):
        raise ValueError(f"{who}: expected labels in [0, {K}) for K = {K} classes, got values in "
                         f"[{labels.min():g}, {labels.max():g}] ({shapes})")
    return labels.astype(np.int64)


# ----- look-up by name -----------------------------------------------------------------------
_BY_NAME = {
    "mse": MSE, "mean_squared_error": MSE,
    "mae": MAE, "mean_absolute_error": MAE,
    "huber": Huber,
    "bce": BinaryCrossEntropy, "binary_crossentropy": BinaryCrossEntropy,
    "cce": CategoricalCrossEntropy, "categorical_crossentropy": CategoricalCrossEntropy,
    "kl": KLDivergence, "kl_divergence": KLDivergence,
}


def get(name, **kwargs) -> Loss:
    """A fresh loss from its name ("mse", "mae", "huber", "bce", "binary_crossentropy", "cce",
    "categorical_crossentropy", "kl"); keyword arguments go to its constructor.

    A Loss instance is returned as it is, so `fit(loss=...)` can take either.
    """
    if isinstance(name, Loss):
        if kwargs:
            raise TypeError(f"losses.get: got a {type(name).__name__} instance and keyword "
                            f"arguments {sorted(kwargs)}; pass one or the other")
        return name
    if not isinstance(name, str):
        raise TypeError(f"losses.get: expected a loss name or a Loss, got {type(name).__name__}")
    key = name.lower()
    if key not in _BY_NAME:
        raise ValueError(f"losses.get: unknown loss {name!r}; known: {', '.join(sorted(_BY_NAME))}")
    return _BY_NAME[key](**kwargs)
