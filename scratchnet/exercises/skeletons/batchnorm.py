"""Exercise batchnorm: the backward of batch normalization in training mode.

Shapes: x (N, F), one row per example; gamma, beta (F,); y (N, F). Each column (feature) is
normalized with the mean and variance of its own N values in this batch:

    mu   = (1/N) sum_n x[n]                  (F,)
    var  = (1/N) sum_n (x[n] - mu)**2        (F,)   (biased: divide by N)
    xhat = (x - mu) / sqrt(var + eps)        (N, F)
    y    = gamma * xhat + beta               (N, F)

Where the derivation starts: gamma and beta are the easy part (every row used the same
gamma and beta: sum over the batch). For dx, note that x[n] reaches xhat along THREE paths:
directly, through mu, and through var (both are computed from this very batch). Go back one
line at a time, giving each intermediate its gradient from the line after it:

    dxhat = dy * gamma                                            (N, F)
    dvar  = ...   var is used by every xhat[n] of its column      (F,)
    dmu   = ...   mu is used by every xhat[n], and by var          (F,)
    dx    = ...   the three paths added up                         (N, F)

A check of your result: every column of dx sums to 0 (why?).

Fill in backward, then run:   python -m scratchnet.exercises check batchnorm.py
After you have tried, compare with scratchnet/layers/normalization.py (batchnorm_backward and
batchnorm_backward_steps).
"""
import numpy as np

from scratchnet.layers.base import Layer

EXERCISE = "batchnorm"


class BatchNorm1D(Layer):
    """Batch norm of (N, F) features, training mode only (no running statistics).
    params: gamma (F,), starts at ones; beta (F,), starts at zeros."""

    def __init__(self, n_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.add_param("gamma", np.ones(n_features))
        self.add_param("beta", np.zeros(n_features))

    def forward(self, x):
        """x: (N, F) -> y: (N, F), normalized with this batch's statistics."""
        mu = x.mean(axis=0)
        var = ((x - mu) ** 2).mean(axis=0)
        xhat = (x - mu) / np.sqrt(var + self.eps)
        self.save_cache(x=x, mu=mu, var=var, xhat=xhat)
        return self.params["gamma"] * xhat + self.params["beta"]

    def backward(self, dy):
        """dy = dL/dy: (N, F) -> dx: (N, F); sets grads["gamma"] and grads["beta"] (F,)."""
        cache = self.load_cache()
        x, mu, var, xhat = cache["x"], cache["mu"], cache["var"], cache["xhat"]
        gamma, eps, N = self.params["gamma"], self.eps, x.shape[0]
        # ---- your code: dx, dgamma and dbeta ----
        dx = np.zeros_like(x)
        dgamma = np.zeros_like(gamma)
        dbeta = np.zeros_like(gamma)
        # ---- end of your code ----
        self.grads["gamma"] = dgamma
        self.grads["beta"] = dbeta
        return dx
