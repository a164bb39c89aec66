"""Attention (issue 12): the scaled dot-product kernel and its backward, MultiHeadSelfAttention,
PositionalEncoding, TimeDistributed and TransformerEncoderBlock.

Gradients against finite differences in float64 with random upstream gradients on random shapes
(hypothesis): masked and causal attention, sequences of length 1, the block in train mode with
dropout reseeded and in eval mode. Then what each computes (the head layout, masks, a fully
masked row, the causal mask hiding the future), that the block's parts are reached by modes,
freezing, summary and save/load, clear errors, and optional comparisons with PyTorch.
"""
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck import check_function, check_layer, check_model
from scratchnet import Sequential
from scratchnet.kernels import attention_reference as sdpa
from scratchnet.layers import Dense, Dropout, Embedding, GlobalAvgPool1D, ReLU
from scratchnet.layers.attention import (FixedMask, MultiHeadSelfAttention, PositionalEncoding,
                                         TimeDistributed, TransformerEncoderBlock,
                                         sinusoidal_encoding)
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import SGD


def random_mask(rng, N, T, p_pad=0.4):
    """(N, T) bool, True at real tokens; sometimes a whole row of padding."""
    return rng.random((N, T)) >= p_pad


# ----- the kernel ---------------------------------------------------------------------------------
@given(lead=st.lists(st.integers(1, 3), min_size=0, max_size=2), Tq=st.integers(1, 4),
       Tk=st.integers(1, 4), dk=st.integers(1, 3), dv=st.integers(1, 3),
       masked=st.booleans(), causal=st.booleans(), seed=st.integers(0, 2**16))
def test_kernel_backward_equals_the_jacobian_version_and_finite_differences(
        lead, Tq, Tk, dk, dv, masked, causal, seed):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(*lead, Tq, dk))
    k = rng.normal(size=(*lead, Tk, dk))
    v = rng.normal(size=(*lead, Tk, dv))
    mask = rng.random((*lead, 1, Tk)) > 0.3 if masked else None
    out, cache = sdpa.forward(q, k, v, mask, causal)
    assert out.shape == (*lead, Tq, dv) and np.all(np.isfinite(out))
    g = rng.normal(size=out.shape)
    kept = g.copy()
    fast = sdpa.backward(g, cache)
    slow = sdpa.backward_with_jacobians(g, cache)
    np.testing.assert_array_equal(g, kept)                      # dout is not changed
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for i, name in enumerate("qkv"):                             # each input on its own
        def f(t, i=i):
            args = [q, k, v]
            args[i] = t
            return float(np.sum(sdpa.forward(*args, mask, causal)[0] * g))
        report = check_function(f, lambda t, i=i: fast[i], [q, k, v][i], name=f"d{name}")
        assert report.passed, str(report)


def test_kernel_weights_rows_sum_to_one_and_masked_entries_are_exactly_zero():
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 4))
    mask = np.array([[True, True, False, True, False], [True] * 5])[:, None, :]
    out, cache = sdpa.forward(q, k, v, mask, causal=True)
    A = cache.weights
    allowed = mask & np.tri(5, dtype=bool)
    assert np.all(A[~np.broadcast_to(allowed, A.shape)] == 0)
    np.testing.assert_allclose(A.sum(-1), 1, rtol=1e-12)          # every row has key 0
    np.testing.assert_allclose(out, A @ v, rtol=1e-12)
    # the softmax over the allowed keys, written out for one row
    s = q[0, 3] @ k[0].T / np.sqrt(3)
    keep = allowed[0, 3]                                          # (5,) the allowed keys
    e = np.exp(s[keep] - s[keep].max())
    np.testing.assert_allclose(A[0, 3][keep], e / e.sum(), rtol=1e-12)


def test_kernel_row_with_no_allowed_key_gives_zeros_never_nan():
    rng = np.random.default_rng(1)
    q, k, v = rng.normal(size=(1, 3, 2)), rng.normal(size=(1, 3, 2)), rng.normal(size=(1, 3, 2))
    mask = np.zeros((1, 1, 3), bool)
    out, cache = sdpa.forward(q, k, v, mask)
    np.testing.assert_array_equal(out, 0)
    np.testing.assert_array_equal(cache.weights, 0)
    for grad in sdpa.backward(rng.normal(size=out.shape), cache):
        np.testing.assert_array_equal(grad, 0)
    # causal with a mask that hides key 0: the first query sees nothing
    out, cache = sdpa.forward(q, k, v, np.array([False, True, True])[None, None, :], causal=True)
    np.testing.assert_array_equal(out[0, 0], 0)
    assert np.all(np.isfinite(out)) and np.all(cache.weights[0, 1:].sum(-1) > 0.999)


def test_kernel_is_stable_for_huge_scores_and_keeps_float32():
    q = np.full((1, 2, 4), 300.0, np.float32)
    k = np.array([[[300.0] * 4, [-300.0] * 4]], np.float32)
    v = np.array([[[1.0], [2.0]]], np.float32)
    out, cache = sdpa.forward(q, k, v)
    assert out.dtype == np.float32 and np.all(np.isfinite(out))
    np.testing.assert_allclose(out, 1.0)
    assert all(g.dtype == np.float32 for g in sdpa.backward(np.ones_like(out), cache))


def test_kernel_refuses_bad_input_by_name():
    q = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match="attention_reference.forward.*same leading axes"):
        sdpa.forward(q, np.zeros((2, 3, 5)), np.zeros((2, 3, 4)))
    with pytest.raises(TypeError, match="attention_reference.forward: expected mask to be a bool"):
        sdpa.forward(q, q, q, mask=np.ones((2, 1, 3)))
    with pytest.raises(ValueError, match="does not broadcast"):
        sdpa.forward(q, q, q, mask=np.ones((2, 1, 4), bool))
    with pytest.raises(ValueError, match="expected q of shape"):
        sdpa.forward(np.zeros(3), q, q)
    _, cache = sdpa.forward(q, q, q)
    with pytest.raises(ValueError, match="attention_reference.backward: expected dout of shape"):
        sdpa.backward(np.zeros((2, 3, 3)), cache)


# ----- MultiHeadSelfAttention ---------------------------------------------------------------------
@given(N=st.integers(1, 3), T=st.integers(1, 4), heads=st.integers(1, 3), dk=st.integers(1, 2),
       causal=st.booleans(), masked=st.booleans(), seed=st.integers(0, 2**16))
@settings(max_examples=15)
def test_attention_gradients_on_random_shapes(N, T, heads, dk, causal, masked, seed):
    rng = np.random.default_rng(seed)
    layer = MultiHeadSelfAttention(heads * dk, heads, causal=causal, rng=seed)
    for key in ("bq", "bk", "bv", "bo"):
        layer.params[key][...] = rng.normal(size=heads * dk)
    x = rng.normal(size=(N, T, heads * dk))
    mask = random_mask(rng, N, T) if masked else None
    report = check_layer(FixedMask(layer, mask), x, seed=seed)
    assert report.passed, str(report)


def test_attention_length_one_sequences_attend_to_themselves():
    rng = np.random.default_rng(2)
    layer = MultiHeadSelfAttention(4, 2, rng=0)
    x = rng.normal(size=(3, 1, 4))
    y = layer.forward(x)
    np.testing.assert_array_equal(layer.attention_weights, 1.0)
    p = layer.params
    np.testing.assert_allclose(y, (x @ p["Wv"] + p["bv"]) @ p["Wo"] + p["bo"], rtol=1e-12)
    assert check_layer(layer, x).passed
    assert check_layer(MultiHeadSelfAttention(4, 2, causal=True, rng=1), x).passed


def test_attention_heads_take_consecutive_columns():
    """Head j uses columns j*d_k .. (j+1)*d_k - 1 of Q, K and V, and its output fills the same
    columns of the concatenation (PyTorch's layout), written out head by head."""
    rng = np.random.default_rng(3)
    d, h = 6, 3
    layer = MultiHeadSelfAttention(d, h, rng=0)
    p = layer.params
    for key in ("bq", "bk", "bv", "bo"):
        p[key][...] = rng.normal(size=d)
    x = rng.normal(size=(2, 5, d))
    Q, K, V = (x @ p["W" + c] + p["b" + c] for c in "qkv")
    y = layer.forward(x)
    concat = np.zeros_like(Q)
    for j in range(h):
        cols = slice(2 * j, 2 * j + 2)
        s = Q[..., cols] @ np.swapaxes(K[..., cols], 1, 2) / np.sqrt(2)
        A = np.exp(s - s.max(-1, keepdims=True))
        A /= A.sum(-1, keepdims=True)
        np.testing.assert_allclose(layer.attention_weights[:, j], A, rtol=1e-12)
        concat[..., cols] = A @ V[..., cols]
    np.testing.assert_allclose(y, concat @ p["Wo"] + p["bo"], rtol=1e-12)


def test_attention_padding_mask_hides_padded_keys():
    rng = np.random.default_rng(4)
    layer = MultiHeadSelfAttention(4, 2, rng=0)
    x = rng.normal(size=(2, 5, 4))
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    y = layer.forward(x, mask=mask)
    assert np.all(layer.attention_weights[0, :, :, 3:] == 0)
    x2 = x.copy()
    x2[0, 3:] = rng.normal(size=(2, 4)) * 10                 # change the padded tokens
    y2 = layer.forward(x2, mask=mask)
    np.testing.assert_allclose(y2[0, :3], y[0, :3], rtol=1e-12)   # real positions: unchanged
    np.testing.assert_allclose(y2[1], y[1], rtol=1e-12)
    # the same as the real tokens alone
    np.testing.assert_allclose(layer.forward(x[:1, :3]), y[:1, :3], rtol=1e-12)
    # 0/1 integers work as a mask too
    np.testing.assert_array_equal(layer.forward(x, mask=mask.astype(int)), y)


def test_attention_causal_output_at_t_ignores_tokens_after_t():
    rng = np.random.default_rng(5)
    layer = MultiHeadSelfAttention(6, 2, causal=True, rng=0)
    x = rng.normal(size=(2, 7, 6))
    y = layer.forward(x)
    assert np.all(np.triu(np.ones((7, 7)), 1)[None, None] * layer.attention_weights == 0)
    for t in range(7):
        x2 = x.copy()
        x2[:, t + 1:] = rng.normal(size=x2[:, t + 1:].shape) * 5
        np.testing.assert_allclose(layer.forward(x2)[:, :t + 1], y[:, :t + 1], rtol=1e-12)
    x2 = x.copy()
    x2[:, 3:] += 1.0                                   # without the causal mask, t < 3 sees it
    free = MultiHeadSelfAttention(6, 2, rng=0)
    assert np.max(np.abs(free.forward(x2)[:, :3] - free.forward(x)[:, :3])) > 1e-3


def test_attention_all_padding_sequence_gives_the_output_bias_never_nan():
    rng = np.random.default_rng(6)
    layer = MultiHeadSelfAttention(4, 2, rng=0)
    layer.params["bo"][...] = rng.normal(size=4)
    x = rng.normal(size=(2, 3, 4))
    mask = np.array([[False] * 3, [True, True, False]])
    y = layer.forward(x, mask=mask)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y[0], np.broadcast_to(layer.params["bo"], (3, 4)), rtol=1e-12)
    np.testing.assert_array_equal(layer.attention_weights[0], 0)
    dx = layer.backward(rng.normal(size=y.shape))
    np.testing.assert_array_equal(dx[0], 0)                     # no path from sequence 0's x
    assert check_layer(FixedMask(layer, mask), x).passed


def test_attention_float32_and_errors():
    from scratchnet import get_default_dtype, set_default_dtype
    old = get_default_dtype()
    set_default_dtype(np.float32)
    try:
        layer = MultiHeadSelfAttention(8, 2, rng=0)
    finally:
        set_default_dtype(old)
    x = np.random.default_rng(7).normal(size=(2, 3, 8))
    y = layer.forward(x)
    assert y.dtype == np.float32 and layer.backward(np.ones_like(y)).dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())
    with pytest.raises(ValueError, match="MultiHeadSelfAttention: expected n_heads to divide"):
        MultiHeadSelfAttention(6, 4)
    with pytest.raises(ValueError, match=r"MultiHeadSelfAttention: expected x with 3 dim"):
        layer.forward(np.zeros((2, 8)))
    with pytest.raises(ValueError, match=r"expected x.shape\[2\] == 8"):
        layer.forward(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"expected mask of shape \(2, 3\)"):
        layer.forward(x, mask=np.ones((2, 4), bool))
    with pytest.raises(TypeError, match="expected mask to be a bool array"):
        layer.forward(x, mask=np.full((2, 3), 0.5))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        MultiHeadSelfAttention(8, 2).backward(np.zeros((2, 3, 8)))
    with pytest.raises(ValueError, match="expected dy of shape"):
        layer.backward(np.zeros((2, 3, 4)))


@pytest.mark.torch
def test_attention_matches_torch(torch):
    rng = np.random.default_rng(8)
    d, h, N, T = 8, 2, 3, 5
    ours = MultiHeadSelfAttention(d, h, causal=True, rng=0)
    p = ours.params
    for key in ("bq", "bk", "bv", "bo"):
        p[key][...] = rng.normal(size=d)
    theirs = torch.nn.MultiheadAttention(d, h, batch_first=True).double()
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.tensor(np.concatenate([p["Wq"].T, p["Wk"].T, p["Wv"].T])))
        theirs.in_proj_bias.copy_(torch.tensor(np.concatenate([p["bq"], p["bk"], p["bv"]])))
        theirs.out_proj.weight.copy_(torch.tensor(p["Wo"].T))
        theirs.out_proj.bias.copy_(torch.tensor(p["bo"]))
    x, dy = rng.normal(size=(N, T, d)), rng.normal(size=(N, T, d))
    mask = np.ones((N, T), bool)
    mask[0, 3:] = False
    mask[2, 1] = False                                  # never the first key: torch gives NaN
    y = ours.forward(x, mask=mask)                      # for a row with no allowed key
    dx = ours.backward(dy)
    xt = torch.tensor(x, requires_grad=True)
    yt, wt = theirs(xt, xt, xt, key_padding_mask=torch.tensor(~mask),
                    attn_mask=torch.tensor(~sdpa.causal_mask(T)), need_weights=True,
                    average_attn_weights=False)
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.attention_weights, wt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    gW = theirs.in_proj_weight.grad.numpy()
    gb = theirs.in_proj_bias.grad.numpy()
    for j, c in enumerate("qkv"):
        rows = slice(j * d, (j + 1) * d)
        np.testing.assert_allclose(ours.grads["W" + c], gW[rows].T, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.grads["b" + c], gb[rows], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.grads["Wo"], theirs.out_proj.weight.grad.numpy().T, rtol=1e-10)
    np.testing.assert_allclose(ours.grads["bo"], theirs.out_proj.bias.grad.numpy(), rtol=1e-10)


@pytest.mark.torch
def test_all_padding_row_is_nan_in_torch_and_the_output_bias_in_ours(torch):
    """The documented difference: torch's softmax over no key at all gives NaN."""
    ours = MultiHeadSelfAttention(4, 2, rng=0)
    theirs = torch.nn.MultiheadAttention(4, 2, batch_first=True).double()
    x = np.random.default_rng(17).normal(size=(1, 3, 4))
    nothing = np.zeros((1, 3), bool)
    yt, _ = theirs(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(~nothing))
    assert torch.isnan(yt).all()
    y = ours.forward(x, mask=nothing)
    np.testing.assert_array_equal(y, np.broadcast_to(ours.params["bo"], y.shape))


# ----- PositionalEncoding and TimeDistributed -----------------------------------------------------
def test_positional_encoding_formula_gradient_and_any_length():
    pe = sinusoidal_encoding(50, 7)
    t, i = 13, 2
    assert pe[t, 2 * i] == pytest.approx(np.sin(t / 10000 ** (2 * i / 7)), rel=1e-12)
    assert pe[t, 2 * i + 1] == pytest.approx(np.cos(t / 10000 ** (2 * i / 7)), rel=1e-12)
    np.testing.assert_array_equal(pe[0, 1::2], 1)
    layer = PositionalEncoding(7)
    x = np.random.default_rng(9).normal(size=(2, 4, 7))
    np.testing.assert_allclose(layer.forward(x), x + pe[:4], rtol=1e-12)
    assert layer.forward(np.zeros((1, 60, 7))).shape == (1, 60, 7)     # longer: table grows
    np.testing.assert_allclose(layer.forward(x), x + pe[:4], rtol=1e-12)
    assert check_layer(layer, x).passed and check_layer(layer, x[:, :1]).passed
    assert layer.forward(x.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match=r"PositionalEncoding: expected x.shape\[2\] == 7"):
        layer.forward(np.zeros((2, 4, 6)))


def test_time_distributed_is_the_layer_at_every_position():
    rng = np.random.default_rng(10)
    dense = Dense(5, 3, rng=0)
    td = TimeDistributed(dense)
    x = rng.normal(size=(2, 4, 5))
    y = td.forward(x)
    np.testing.assert_allclose(y, x @ dense.params["W"] + dense.params["b"], rtol=1e-12)
    assert td.children() == [dense] and td.n_params == dense.n_params
    assert check_layer(td, x).passed
    assert check_layer(TimeDistributed(Sequential([Dense(5, 4), ReLU(), Dense(4, 2)])), x).passed
    with pytest.raises(ValueError, match="TimeDistributed: expected x with a batch and a time"):
        td.forward(np.zeros((2, 5)))
    with pytest.raises(TypeError, match="TimeDistributed: expected a scratchnet Layer"):
        TimeDistributed(dense.forward)


def test_fixed_mask_refuses_layers_without_masks():
    with pytest.raises(TypeError, match="FixedMask: expected a scratchnet Layer with supports"):
        FixedMask(Dense(2, 2), None)


# ----- TransformerEncoderBlock --------------------------------------------------------------------
@given(N=st.integers(1, 2), T=st.integers(1, 4), heads=st.integers(1, 2), d_ff=st.integers(1, 5),
       p=st.sampled_from([0.0, 0.3]), train=st.booleans(), causal=st.booleans(),
       norm_first=st.booleans(), masked=st.booleans(), seed=st.integers(0, 2**16))
@settings(max_examples=12)
def test_block_gradients_on_random_shapes(N, T, heads, d_ff, p, train, causal, norm_first, masked,
                                          seed):
    rng = np.random.default_rng(seed)
    d = 2 * heads
    block = TransformerEncoderBlock(d, heads, d_ff, dropout=p, causal=causal,
                                    norm_first=norm_first, rng=seed)
    if not train:
        block.eval()
    x = rng.normal(size=(N, T, d))
    mask = random_mask(rng, N, T) if masked else None
    report = check_layer(FixedMask(block, mask), x, seed=seed)
    assert report.passed, str(report)


def test_block_in_train_mode_with_dropout_and_in_eval_mode():
    rng = np.random.default_rng(11)
    block = TransformerEncoderBlock(4, 2, 6, dropout=0.4, rng=0)
    x = rng.normal(size=(2, 5, 4))
    block.reseed(1)
    y1 = block.forward(x)
    block.reseed(2)
    assert np.max(np.abs(block.forward(x) - y1)) > 1e-3          # dropout: a new mask
    assert check_layer(block, x, seed=3).passed                   # reseeded before each forward
    block.eval()
    np.testing.assert_array_equal(block.forward(x), block.forward(x))
    assert check_layer(block, x).passed
    drops = [layer for layer in _leaves(block) if isinstance(layer, Dropout)]
    assert len(drops) == 3 and not any(layer.training for layer in drops)
    block.train()
    assert all(layer.training for layer in drops)


def _leaves(layer):
    out = []
    for child in layer.children():
        out += [child] + _leaves(child)
    return out


def test_block_computes_the_post_norm_and_pre_norm_formulas():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(2, 3, 4))
    for norm_first in (False, True):
        block = TransformerEncoderBlock(4, 2, 5, dropout=0.0, norm_first=norm_first, rng=1)
        a, ff, n1, n2 = block.attention, block.feed_forward, block.norm1, block.norm2
        n1.params["gamma"][...] = rng.normal(size=4)
        n2.params["beta"][...] = rng.normal(size=4)
        mask = np.array([[1, 1, 0], [1, 1, 1]], bool)

        def FF(h):
            return ff.forward(h.reshape(-1, 4)).reshape(h.shape)
        if norm_first:
            h = x + a.forward(n1.forward(x), mask=mask)
            want = h + FF(n2.forward(h))
        else:
            h = n1.forward(x + a.forward(x, mask=mask))
            want = n2.forward(h + FF(h))
        np.testing.assert_allclose(block.forward(x, mask=mask), want, rtol=1e-12)
        # the mask does not linger: the next forward without one attends to every key
        if norm_first:
            h = x + a.forward(n1.forward(x))
            plain = h + FF(n2.forward(h))
        else:
            h = n1.forward(x + a.forward(x))
            plain = n2.forward(h + FF(h))
        np.testing.assert_allclose(block.forward(x), plain, rtol=1e-12)
        assert not np.allclose(plain, want)


def test_block_parts_are_reached_by_freeze_summary_and_save_load(tmp_path):
    rng = np.random.default_rng(13)
    V, T, d = 12, 6, 8
    block = TransformerEncoderBlock(d, 2, 16, dropout=0.1, rng=0)
    model = Sequential([Embedding(V, d, padding_idx=0, rng=0), PositionalEncoding(d), block,
                        GlobalAvgPool1D(), Dense(d, 3, rng=1)])
    attn_params = 4 * d * d + 4 * d
    ff_params = d * 16 + 16 + 16 * d + d
    assert block.n_params == attn_params + ff_params + 4 * d
    text = model.summary()
    assert f"{block.n_params:,}" in text
    ids = rng.integers(1, V, size=(5, T))
    ids[0, 4:] = 0
    y = rng.integers(0, 3, size=5)
    # the padding mask reaches the attention inside the block's Residual
    model.eval()
    out = model.forward(ids)
    assert np.max(np.abs(block.attention.attention_weights[0, :, :, 4:])) == 0
    # freezing the block keeps every parameter inside it, the rest trains
    block.freeze()
    before = {k: v.copy() for k, v in model.parameters().items()}
    model.fit(ids, y, loss="cce", optimizer=SGD(0.1), epochs=2, verbose=0)
    after = model.parameters()
    inside = [k for k in before if k.startswith("2.")]
    assert len(inside) == 8 + 2 * 2 + 2 * 2               # attention 8, two norms, two Dense
    assert all(np.array_equal(before[k], after[k]) for k in inside)
    assert not np.array_equal(before["4.W"], after["4.W"])
    block.unfreeze()
    # save/load round-trips every part
    path = tmp_path / "m.npz"
    model.save(path)
    twin = Sequential([Embedding(V, d, padding_idx=0), PositionalEncoding(d),
                       TransformerEncoderBlock(d, 2, 16, dropout=0.1, rng=5), GlobalAvgPool1D(),
                       Dense(d, 3)])
    twin.load(path)
    np.testing.assert_array_equal(twin.predict(ids), model.predict(ids))
    assert out.shape == (5, 3)


def test_block_trains_a_model_and_passes_check_model():
    rng = np.random.default_rng(14)
    model = Sequential([PositionalEncoding(4), TransformerEncoderBlock(4, 2, 6, 0.2, rng=0),
                        GlobalAvgPool1D(), Dense(4, 2, rng=1)])
    x, y = rng.normal(size=(3, 3, 4)), rng.integers(0, 2, size=3)
    report = check_model(model, CategoricalCrossEntropy(from_logits=True), x, y)
    assert report.passed, str(report)


def test_block_bound_mask_is_per_thread():
    rng = np.random.default_rng(15)
    block = TransformerEncoderBlock(4, 2, 6, 0.0, rng=0).eval()
    x = rng.normal(size=(2, 4, 4))
    masks = [np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool), None]
    want = [block.forward(x, mask=m) for m in masks]
    got, errors = {}, []

    def run(k):
        try:
            for _ in range(20):
                r = block.forward(x, mask=masks[k])
                if not np.array_equal(r, want[k]):
                    errors.append(k)
            got[k] = True
        except Exception as exc:                         # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(got) == 2


def test_block_errors_name_the_block():
    with pytest.raises(ValueError, match="TransformerEncoderBlock: expected p"):
        TransformerEncoderBlock(4, 2, 6, dropout=1.0)
    with pytest.raises(ValueError, match="MultiHeadSelfAttention: expected n_heads to divide"):
        TransformerEncoderBlock(6, 4, 6)
    block = TransformerEncoderBlock(4, 2, 6)
    with pytest.raises(ValueError, match=r"TransformerEncoderBlock: expected x.shape\[2\] == 4"):
        block.forward(np.zeros((1, 3, 5)))
    with pytest.raises(ValueError, match=r"TransformerEncoderBlock: expected mask of shape"):
        block.forward(np.zeros((1, 3, 4)), mask=np.ones((1, 2), bool))


@pytest.mark.torch
@pytest.mark.parametrize("norm_first", [False, True])
def test_block_matches_torch_encoder_layer(torch, norm_first):
    rng = np.random.default_rng(16)
    d, h, d_ff, N, T = 8, 2, 12, 2, 5
    ours = TransformerEncoderBlock(d, h, d_ff, dropout=0.0, norm_first=norm_first, rng=0).eval()
    for layer in _leaves(ours):
        for key, value in layer.params.items():
            value[...] = rng.normal(size=value.shape) * 0.5
    theirs = torch.nn.TransformerEncoderLayer(d, h, d_ff, dropout=0.0, batch_first=True,
                                              norm_first=norm_first).double().eval()
    p, ff = ours.attention.params, ours.feed_forward
    t = lambda a: torch.tensor(np.ascontiguousarray(a))              # noqa: E731
    with torch.no_grad():
        sa = theirs.self_attn
        sa.in_proj_weight.copy_(t(np.concatenate([p["Wq"].T, p["Wk"].T, p["Wv"].T])))
        sa.in_proj_bias.copy_(t(np.concatenate([p["bq"], p["bk"], p["bv"]])))
        sa.out_proj.weight.copy_(t(p["Wo"].T))
        sa.out_proj.bias.copy_(t(p["bo"]))
        theirs.linear1.weight.copy_(t(ff[0].params["W"].T))
        theirs.linear1.bias.copy_(t(ff[0].params["b"]))
        theirs.linear2.weight.copy_(t(ff[3].params["W"].T))
        theirs.linear2.bias.copy_(t(ff[3].params["b"]))
        for mine, their in ((ours.norm1, theirs.norm1), (ours.norm2, theirs.norm2)):
            their.weight.copy_(t(mine.params["gamma"]))
            their.bias.copy_(t(mine.params["beta"]))
    x, dy = rng.normal(size=(N, T, d)), rng.normal(size=(N, T, d))
    mask = np.array([[1, 1, 1, 0, 0], [1] * 5], bool)
    y = ours.forward(x, mask=mask)
    dx = ours.backward(dy)
    xt = t(x).requires_grad_()
    with torch.autograd.set_grad_enabled(True):
        theirs.train(False)
        yt = theirs(xt, src_key_padding_mask=t(~mask))
        yt.backward(t(dy))
    keep = mask[:, :, None]                 # torch's fast path may zero padded positions' output
    np.testing.assert_allclose(np.where(keep, y, 0), np.where(keep, yt.detach().numpy(), 0),
                               rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(ff[0].grads["W"], theirs.linear1.weight.grad.numpy().T, rtol=1e-9,
                               atol=1e-11)


# ----- the benchmark script does not rot -----------------------------------------------------------
def test_bench_attention_quick_runs_and_prints_every_case():
    import os
    import subprocess
    import sys
    from pathlib import Path
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_attention.py"
    done = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout.split("== ATTENTION ==\n", 1)[1]
    for case in ("MHSA fwd+bwd (2, 8, 16)", "MHSA fwd+bwd, causal", "encoder block fwd+bwd"):
        assert case in table, table
    assert "torch: not used" in done.stdout
