"""Solutions to the exercises of tutorials/28_attention.py."""
import numpy as np

from scratchnet import Sequential, lesson
from scratchnet.kernels import attention_reference as sdpa
from scratchnet.layers import (Dense, Embedding, MultiHeadSelfAttention, PositionalEncoding,
                               TimeDistributed)
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam

STEPS = 150 if lesson.FAST else 600
VOCAB, D, T = 10, 32, 8

# ----- Exercise 1: the paper's additive mask, and where it differs from ours ----------------------
rng = np.random.default_rng(0)
x = rng.normal(size=(2, 5, 4))
mask = np.array([[True] * 3 + [False] * 2, [True] * 5])


def additive_attention_weights(x, mask):
    """softmax(x x^T / sqrt(d) + M) with M = 0 at real keys and -1e9 at padded ones."""
    s = x @ np.swapaxes(x, 1, 2) / np.sqrt(x.shape[-1]) + np.where(mask, 0.0, -1e9)[:, None, :]
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


mine = additive_attention_weights(x, mask)
_, cache = sdpa.forward(x, x, x, mask[:, None, :])
agree = float(np.abs(mine - cache.weights).max())
empty = np.zeros((1, 5), bool)
mine_empty = additive_attention_weights(x[:1], empty)
unmasked = additive_attention_weights(x[:1], ~empty)      # M = 0 everywhere: no mask at all
_, cache_empty = sdpa.forward(x[:1], x[:1], x[:1], empty[:, None, :])
gap = float(np.abs(mine_empty - unmasked).max())
# every score of the row is shifted by the same -1e9, and a softmax ignores a common shift
# (up to rounding: near 1e9 a float64 keeps about 1e-7 of the score)
print(f"all-padding sequence: additive mask = the unmasked softmax to {gap:.1e}; "
      f"our weights there: {np.unique(cache_empty.weights)}")
lesson.check(1, "max |additive-mask weights - ours| where a row has a real key", agree,
             agree < 1e-12 and gap < 1e-6 and np.all(cache_empty.weights == 0))


# ----- Exercises 2 and 3: the reversal model without positions, and with a causal mask ------------
def train_reversal(positions: bool = True, causal: bool = False) -> np.ndarray:
    """Train as in the tutorial; return the test accuracy at each position (T,)."""
    layers = [Embedding(VOCAB, D, init="xavier", rng=0)]
    layers += [PositionalEncoding(D)] if positions else []
    layers += [MultiHeadSelfAttention(D, 2, causal=causal, rng=1),
               TimeDistributed(Dense(D, VOCAB, rng=2))]
    model = Sequential(layers)
    loss, opt = CategoricalCrossEntropy(from_logits=True), Adam(0.01)
    data_rng = np.random.default_rng(1)
    for _ in range(STEPS):
        xb = data_rng.integers(0, VOCAB, size=(64, T))
        logits = model.forward(xb)
        loss.forward(logits.reshape(-1, VOCAB), xb[:, ::-1].reshape(-1))
        model.backward(loss.backward().reshape(logits.shape))
        opt.step(model)
    x_test = np.random.default_rng(99).integers(0, VOCAB, size=(1000, T))
    return (model.predict(x_test).argmax(-1) == x_test[:, ::-1]).mean(axis=0)


with_pe = float(train_reversal(positions=True).mean())
without = float(train_reversal(positions=False).mean())
print(f"reversal accuracy with positional encoding {with_pe:.3f}, without {without:.3f}")
# Without positions, attention is permutation equivariant: the output at t is a function of
# x_t and of the SET of tokens, so it cannot know which token sits at 7 - t.
lesson.check(2, "reversal accuracy without positional encoding", without,
             without < 0.5 and with_pe > 0.9)

per_position = train_reversal(causal=True)
print(f"causal reversal, accuracy per position 0..7: {np.round(per_position, 3)}")
# Position t may look at 0..t only; it needs the token at 7 - t, which is among them only when
# 7 - t <= t, that is t >= 4. Before that it can only guess (chance 0.1).
lesson.check(3, "causal reversal: worst accuracy at positions 4..7", float(per_position[4:].min()),
             per_position[4:].min() > 0.9 and per_position[:4].max() < 0.3)
lesson.finish()
