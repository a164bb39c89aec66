"""Exercise softmax_cross_entropy: the gradient of cross-entropy with respect to the logits.

Shapes: z (N, K) logits, one row per example; labels (N,) integers in [0, K).
The loss is the mean over the batch:

    p[n] = softmax(z[n]),   p[n, k] = exp(z[n, k]) / sum_j exp(z[n, j])
    L    = -(1/N) sum_n log p[n, labels[n]]

backward() takes no argument (the loss is the end of the chain: dL/dL = 1) and returns
dL/dz, shaped like z.

Where the derivation starts: for one example with true class c,

    L_n = -z[n, c] + log sum_j exp(z[n, j])

Differentiate L_n by z[n, k] for k == c and for k != c; both cases fit in one formula with
y = the one-hot row of c. Then remember that L is the MEAN of the N values L_n.
(Going through softmax's full Jacobian gives the same answer, after more work.)

Fill in backward, then run:   python -m scratchnet.exercises check softmax_cross_entropy.py
After you have tried, compare with scratchnet/losses.py (CategoricalCrossEntropy, logits path).
"""
import numpy as np

EXERCISE = "softmax_cross_entropy"


class SoftmaxCrossEntropy:
    """Cross-entropy of integer labels, from logits: forward(z, labels) -> L (a float)."""

    def forward(self, z, labels):
        """z: (N, K) logits, labels: (N,) ints -> L, the mean cross-entropy (a float)."""
        shifted = z - z.max(axis=1, keepdims=True)            # exp never overflows
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        labels = np.asarray(labels, dtype=int)
        self.cache = (z, labels, np.exp(log_p))
        return float(-log_p[np.arange(len(labels)), labels].mean())

    def backward(self):
        """-> dL/dz: (N, K), a new array on every call."""
        z, labels, p = self.cache
        N, K = z.shape
        y = np.zeros((N, K))
        y[np.arange(N), labels] = 1                           # the one-hot rows of the labels
        # ---- your code: dz from p, y and N ----
        dz = np.zeros_like(z)
        # ---- end of your code ----
        return dz
