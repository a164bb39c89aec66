# %% [markdown]
# # 28 - Attention: every position looks at every other one
#
# After this lesson you can
# - compute scaled dot-product attention by hand, softmax(Q K^T / sqrt(d_k)) V, and read its
#   weights as "where each position looked";
# - say what the padding mask and the causal mask do, show that the causal mask hides the
#   future, and say what a query that may see no key gets (zeros, not NaN);
# - train a one-layer attention model to reverse sequences and read the learned rule off its
#   attention maps;
# - explain why attention needs positional encodings, and build a transformer encoder block
#   from attention, LayerNorm, residual connections and Dense layers, then gradcheck it.
#
# Why: a recurrent network carries information from position 1 to position 8 through seven
# steps, and it fades on the way. Attention lets every position fetch what it needs from any
# other position in ONE step, weighted by how well a learned query matches a learned key
# (Vaswani et al., 2017, "Attention is all you need", the "atenção" slides that close the
# AGA 0505 deck). Stacked in transformer blocks, it is the core of today's language models.
#
# Run: `python tutorials/28_attention.py` (SCRATCHNET_FAST=1 for a quick run). Figures go to
# tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

import gradcheck
from scratchnet import Sequential, lesson
from scratchnet.kernels import attention_reference as sdpa
from scratchnet.layers import (Dense, Embedding, FixedMask, MultiHeadSelfAttention,
                               PositionalEncoding, TimeDistributed, TransformerEncoderBlock)
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam

STEPS = 150 if lesson.FAST else 600     # training steps of the reversal model
np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## Attention by hand
# Three tokens, each with a query q, a key k and a value v (rows of Q, K, V, d_k = 2).
# Token i scores every token j by the dot product q_i . k_j, divided by sqrt(d_k) so that the
# spread of the scores does not grow with d_k. A softmax along each row turns the scores into
# weights that are positive and sum to 1, and the output of token i is the weighted average
# of the values:
#
#     S = Q K^T / sqrt(d_k)      A = softmax(S) row by row      O = A V
#
# `scratchnet/kernels/attention_reference.py` computes the same thing; we compare.

# %%
Q = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
K = np.array([[2.0, 0.0], [0.0, 2.0], [-1.0, 0.0]])
V = np.array([[1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
S = Q @ K.T / np.sqrt(2)
A = np.exp(S - S.max(axis=1, keepdims=True))
A /= A.sum(axis=1, keepdims=True)
O = A @ V
out, cache = sdpa.forward(Q, K, V)
print("weights A (row i: where token i looked):")
print(A)
print(f"row sums of A: {A.sum(axis=1)}")
print(f"token 0's largest weight is on token {A[0].argmax()} (q_0 . k_0 = {Q[0] @ K[0]:.0f} is "
      f"its largest score)")
print(f"max |O by hand - attention_reference.forward|: {np.abs(O - out).max():.1e}")

# %% [markdown]
# ## The backward pass: softmax's Jacobian through the scores
# O = A V is a product, so dL/dV = A^T dO and dL/dA = dO V^T. Each row of A is the softmax of
# the same row of S, whose Jacobian is J = diag(a) - a a^T; multiplying by it gives
# dL/dS = A * (dL/dA - rowsum(dL/dA * A)) without ever building J. Finally S = Q K^T / sqrt(d_k)
# gives dL/dQ = dS K / sqrt(d_k) and dL/dK = dS^T Q / sqrt(d_k). The kernel has both versions:
# `backward` (the compact formula) and `backward_with_jacobians` (J built for every row).
# They agree, and `MultiHeadSelfAttention` (the projections x Wq, x Wk, x Wv, split into heads,
# attention per head, then an output projection Wo) passes gradcheck.

# %%
rng = np.random.default_rng(0)
q, k, v = (rng.normal(size=(2, 3, 5, 4)) for _ in range(3))   # (N, heads, T, d_k)
_, c = sdpa.forward(q, k, v)
g = rng.normal(size=(2, 3, 5, 4))
diff = max(np.abs(a - b).max() for a, b in zip(sdpa.backward(g, c),
                                              sdpa.backward_with_jacobians(g, c)))
print(f"max |compact backward - Jacobian backward| over dQ, dK, dV: {diff:.1e}")
x = rng.normal(size=(2, 5, 8))
pad = np.array([[True] * 3 + [False] * 2, [True] * 5])
for label, layer in [("plain", MultiHeadSelfAttention(8, 2, rng=0)),
                     ("padding mask", FixedMask(MultiHeadSelfAttention(8, 2, rng=0), pad)),
                     ("causal", MultiHeadSelfAttention(8, 2, causal=True, rng=0))]:
    report = gradcheck.check_layer(layer, x)
    print(f"gradcheck MultiHeadSelfAttention, {label}: {report.status}, max error "
          f"{report.max_err:.1e}")

# %% [markdown]
# ## Masks: padding and the future
# A batch of sentences is padded to one length. The padding mask (N, T), True at real
# tokens, forbids every query to look at a padded KEY: inside a Sequential, an
# `Embedding(padding_idx=0)` makes this mask and hands it on (scratchnet/model.py). Below,
# sentence 0 has 3 real tokens and 2 of padding: the weights on the padding are exactly 0,
# and whatever the padded positions hold, the real positions' outputs do not move.
#
# A sequence with no real token at all leaves a row with nothing to attend to. Written with
# -inf scores, its softmax is exp(-inf - (-inf)) = NaN; we give that row zero weights
# instead, so its attention output is 0 and the layer returns its output bias bo.

# %%
attn = MultiHeadSelfAttention(8, 2, rng=1)
attn.params["bo"][...] = rng.normal(size=8)
y = attn.forward(x, mask=pad)
print(f"largest weight on a padded key: {attn.attention_weights[0][..., 3:].max():.1f}")
x_other = x.copy()
x_other[0, 3:] = 100 * rng.normal(size=(2, 8))           # change what the padding holds
y_other = attn.forward(x_other, mask=pad)
print(f"max change at real positions when the padding changes: "
      f"{np.abs(y_other[0, :3] - y[0, :3]).max():.1e}")
s_empty = np.full(4, -np.inf)                             # a row whose every key is masked
with np.errstate(invalid="ignore"):
    naive = np.exp(s_empty - s_empty.max()) / np.exp(s_empty - s_empty.max()).sum()
nothing = np.zeros((1, 5), bool)
y_empty = attn.forward(x[:1], mask=nothing)
print(f"softmax of an all -inf row, written naively: {np.isnan(naive).sum()} NaN of 4; ours: "
      f"{np.isnan(y_empty).sum()} NaN, weights sum {attn.attention_weights.sum():.1f}, "
      f"max |y - bo| {np.abs(y_empty - attn.params['bo']).max():.1e}")

# %% [markdown]
# The causal mask (`causal=True`) forbids position t to look at any position after t, as a
# model that predicts the next word must: it may not read the answer. We change every token
# after t and measure how much each output moves.

# %%
T = 8
xs = rng.normal(size=(4, T, 8))
causal = MultiHeadSelfAttention(8, 2, causal=True, rng=2)
free = MultiHeadSelfAttention(8, 2, rng=2)                # the same weights, no mask
t = 3
later = xs.copy()
later[:, t + 1:] = rng.normal(size=later[:, t + 1:].shape)
moved = np.abs(causal.forward(later) - causal.forward(xs)).max(axis=(0, 2))   # per position
moved_free = np.abs(free.forward(later) - free.forward(xs)).max(axis=(0, 2))
print(f"tokens after t = {t} changed; causal: max change of outputs 0..{t} = "
      f"{moved[:t + 1].max():.1e}, of outputs {t + 1}..{T - 1} = {moved[t + 1:].min():.2f} "
      f"or more")
print(f"without the causal mask: max change of outputs 0..{t} = {moved_free[:t + 1].max():.2f}")
for t_check in range(T):
    changed = xs.copy()
    changed[:, t_check + 1:] += 1.0
    d = np.abs(causal.forward(changed)[:, :t_check + 1] - causal.forward(xs)[:, :t_check + 1]).max()
    assert d == 0.0, (t_check, d)
print(f"for every t in 0..{T - 1}: the output at t does not change when tokens after t change "
      f"(largest change 0.0)")
causal.forward(xs[:1])
causal_map = causal.attention_weights[0, 0]
print(f"causal weights above the diagonal: {np.triu(causal_map, 1).max():.1f}")

# %% [markdown]
# ## Why positions are needed
# Attention compares contents only, so it cannot tell WHERE a token sits: shuffle the input
# positions and the outputs come out shuffled the same way (it is permutation equivariant).
# Adding a vector that depends on the position, the sinusoids of Vaswani et al.
# (`PositionalEncoding`: PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(...)), breaks
# the symmetry.

# %%
perm = rng.permutation(T)
plain = MultiHeadSelfAttention(8, 2, rng=3)
ys = plain.forward(xs)
print(f"without positions: max |attn(x shuffled) - attn(x) shuffled| = "
      f"{np.abs(plain.forward(xs[:, perm]) - ys[:, perm]).max():.1e}")
pe = PositionalEncoding(8)
ys_pe = plain.forward(pe.forward(xs))
print(f"with positional encoding: max |attn(PE(x shuffled)) - attn(PE(x)) shuffled| = "
      f"{np.abs(plain.forward(pe.forward(xs[:, perm])) - ys_pe[:, perm]).max():.2f}")

# %% [markdown]
# ## A toy task: reverse a sequence
# Input: 8 random tokens out of 10; target: the same tokens in reverse order, so the output
# at position t must be the token at position 7 - t. One attention layer can do this if its
# queries and keys learn to match position t with position 7 - t, which they can only see
# through the positional encoding. The model: Embedding, PositionalEncoding, attention with 2
# heads, and a Dense layer at every position (TimeDistributed) that reads the fetched value
# and scores the 10 tokens. The loss is the cross-entropy over all N * T positions; the step
# is written out, with the reshapes between (N, T, 10) and (N * T, 10).

# %%
VOCAB, D = 10, 32


def reversal_batch(gen, n):
    tokens = gen.integers(0, VOCAB, size=(n, T))
    return tokens, tokens[:, ::-1]


def mirrored_weight(weights):
    """The mean attention weight on the mirrored key (t -> 7 - t), over examples and heads."""
    return float(weights[..., np.arange(T), np.arange(T)[::-1]].mean())


model = Sequential([Embedding(VOCAB, D, init="xavier", rng=0), PositionalEncoding(D),
                    MultiHeadSelfAttention(D, 2, rng=1), TimeDistributed(Dense(D, VOCAB, rng=2))])
attention = model[2]
loss, opt = CategoricalCrossEntropy(from_logits=True), Adam(0.01)
data_rng = np.random.default_rng(1)
x_test, y_test = reversal_batch(np.random.default_rng(99), 1000)
accuracy0 = float((model.predict(x_test).argmax(-1) == y_test).mean())
losses, mirrored = [], []
for step in range(STEPS):
    xb, yb = reversal_batch(data_rng, 64)
    logits = model.forward(xb)                                        # (64, T, VOCAB)
    losses.append(loss.forward(logits.reshape(-1, VOCAB), yb.reshape(-1)))
    model.backward(loss.backward().reshape(logits.shape))
    opt.step(model)
    mirrored.append(mirrored_weight(attention.attention_weights))
pred = model.predict(x_test).argmax(-1)
accuracy = float((pred == y_test).mean())
print(f"reversal: test accuracy per token {accuracy0:.3f} before training (chance 0.1), "
      f"{accuracy:.3f} after {STEPS} steps; loss {losses[0]:.2f} -> {losses[-1]:.2g}")
weights = attention.attention_weights                                 # (64, 2, T, T)
near = [(t, T - 1 - t + s) for t in range(T) for s in (-1, 1) if 0 <= T - 1 - t + s < T]
neighbours = sum(float(weights[..., r, c].mean()) for r, c in near) / T     # per row, on average
print(f"mean weight on the mirrored position 7 - t: {mirrored_weight(weights):.2f} after "
      f"training (uniform attention: {1 / T:.3f}); on its two neighbours together: "
      f"{neighbours:.2f}")
print(f"whole test sequences reversed exactly: {np.all(pred == y_test, axis=1).mean():.3f}")

# %%
fig = Figure(figsize=(11, 3.8), layout="constrained")
ax1, ax2 = fig.subplots(1, 2)
ax1.semilogy(losses)
ax1.set(title="reversal: training loss", xlabel="training step", ylabel="cross-entropy (log)")
ax2.plot(mirrored)
ax2.axhline(1 / T, color="grey", linestyle=":")
ax2.text(0.98, 1 / T + 0.02, "uniform 1/8", ha="right", transform=ax2.get_yaxis_transform())
ax2.set(title="weight on the mirrored position 7 - t", xlabel="training step",
        ylabel="mean attention weight", ylim=(0, 1))
lesson.save(fig, "28_reversal_training.png")

# %% [markdown]
# The maps of one test sequence: row t is where position t looked. The trained heads put
# their weight on the anti-diagonal, position 7 - t, which is the reversal rule; most of the
# rest falls on its two neighbours (the numbers above), and the Dense layer still reads the
# right token off the mix. The third
# panel is the causal layer from above: nothing above the diagonal.

# %%
model.predict(x_test[:1])
maps = attention.attention_weights[0]
ticks = [f"{p}\n({tok})" for p, tok in enumerate(x_test[0])]
fig = Figure(figsize=(13, 4.4), layout="constrained")
axes = fig.subplots(1, 3)
panels = [(maps[0], "reversal model, head 1"), (maps[1], "reversal model, head 2"),
          (causal_map, "causal layer (untrained), head 1")]
for ax, (weights, title) in zip(axes, panels):
    image = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1)
    ax.set(title=title, xticks=range(T), yticks=range(T))
    if "reversal" in title:
        ax.set_xticklabels(ticks)
        ax.set(xlabel="key position (token)", ylabel="query position (output)")
    else:
        ax.set(xlabel="key position", ylabel="query position")
    fig.colorbar(image, ax=ax, shrink=0.8, label="attention weight")
fig.suptitle("attention maps: row t shows where position t looked")
lesson.save(fig, "28_attention_maps.png")
hits = int((maps.argmax(-1) == np.arange(T)[::-1]).sum())
print(f"on this sequence, the mirrored key is the most attended in {hits} of {2 * T} rows "
      f"(2 heads x {T} positions)")

# %% [markdown]
# ## A transformer encoder block
# A transformer stacks blocks of two sub-layers, each inside a residual connection and a
# layer norm: self-attention (positions exchange information), then a small two-layer network
# applied at every position on its own (each position digests what it fetched):
#
#     h = LayerNorm(x + Dropout(MHSA(x)))        y = LayerNorm(h + Dropout(FF(h)))
#
# `TransformerEncoderBlock` is built from the layers of the library: `MultiHeadSelfAttention`,
# `LayerNorm`, `Residual`, `Dropout` and two `Dense` layers inside `TimeDistributed` (Dense
# takes (N, D), so the (N, T, D) sequence goes through as (N * T, D)). Its children are those
# parts, so summary(), train()/eval(), freezing and save/load reach all of them. Parameters:
# 4 d^2 + 4 d in the attention, 2 d d_ff + d_ff + d in the feed-forward network, 4 d in the
# two layer norms.

# %%
d, d_ff = 16, 32
block = TransformerEncoderBlock(d, 2, d_ff, dropout=0.1, rng=0)
formula = 4 * d * d + 4 * d + 2 * d * d_ff + d_ff + d + 4 * d
print(Sequential([block]).summary((T, d)))
print(f"block parameters {block.n_params:,}, by the formula {formula:,}")
xb = rng.normal(size=(2, T, d))
block.train()
for mode in ("train", "eval"):
    getattr(block, mode)()
    twice = np.abs(block.forward(xb) - block.forward(xb)).max()
    print(f"{mode} mode, two forwards: max difference {twice:.2f}"
          + (" (dropout draws new masks)" if mode == "train" else ""))
block.train()
pad8 = np.array([[True] * 5 + [False] * 3, [True] * T])
report = gradcheck.check_layer(FixedMask(block, pad8), xb)
print(f"gradcheck TransformerEncoderBlock, train mode (dropout reseeded), padding mask: "
      f"{report.status}, max error {report.max_err:.1e}")
report = gradcheck.check_layer(block.eval(), xb)
print(f"gradcheck TransformerEncoderBlock, eval mode: {report.status}, max error "
      f"{report.max_err:.1e}")

# %% [markdown]
# ## Read the source
# - `scratchnet/kernels/attention_reference.py`: `forward` (scores, `masked_softmax` over the
#   allowed keys, and what a row with no allowed key gives), `backward` with its derivation in
#   the docstring, and `backward_with_jacobians`, the same gradients with softmax's Jacobian
#   built row by row.
# - `scratchnet/layers/attention.py`: `MultiHeadSelfAttention.forward` (the three projections
#   as one product, the reshape into heads (N, h, T, d_k), the concatenation) and its
#   `backward` (x fed three projections, so dx is the sum of three terms);
#   `sinusoidal_encoding`; `TransformerEncoderBlock` and how its mask reaches the attention
#   inside a `Residual` (`Residual.forward` hands it on to a block with `supports_mask`).
# - `scratchnet/layers/residual.py` and `scratchnet/layers/normalization.py` (`LayerNorm`):
#   the two pieces a transformer block wraps around each sub-layer.
# - `scratchnet/model.py`: `Sequential.forward` carries the padding mask from an Embedding
#   with `padding_idx` to every layer with `supports_mask`.
#
# ## Exercises
# First, write attention's backward yourself: fetch a skeleton with
# `python -m scratchnet.exercises get attention`, fill in its backward, and check it with
# `python -m scratchnet.exercises check attention.py` (a gradcheck, and a comparison with the
# library's own layer on the same parameters).
#
# ### Exercise 1
# Write the additive mask of the paper: scores + M with M = 0 at real keys and -1e9 at padded
# ones, then a plain softmax. On x (2, 5, 4) with the padding mask of this lesson (sentence 0:
# 3 real tokens), compare your weights for one head (Q = K = V = x) with
# `attention_reference.forward(x, x, x, mask[:, None, :])`. Then give it a sequence that is all
# padding. Check: the weights agree to 1e-12 where a row has a real key; your all-padding rows
# come out as the softmax of the scores WITHOUT any mask (to 1e-6: the -1e9 is the same in every
# entry and cancels), so they attend to the padding, where ours are 0.
#
# ### Exercise 2
# Train the reversal model again WITHOUT `PositionalEncoding` (same steps, same seeds). Check:
# its test accuracy stays below 0.5, while the model with positions passes 0.9. Explain from
# the permutation result above why no setting of its weights can reverse.
#
# ### Exercise 3
# Train the reversal model with `MultiHeadSelfAttention(D, 2, causal=True)`. Print the test
# accuracy at every position. Check: positions 4..7 pass 0.9 and positions 0..3 stay below
# 0.3 (chance is 0.1). Why exactly these positions? (Position t needs the token at 7 - t.)
# Solutions: tutorials/solutions/28_attention.py.
