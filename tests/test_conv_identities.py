"""The two identities that conv.py's docstring teaches, shown with the reference kernel itself.

  dL/dx = a FULL convolution of dy with the kernel flipped in (kh, kw) and its channel axes swapped
  dL/dW = the (padded) input correlated with dy, dy acting as a kernel dilated by the stride
"""
import numpy as np
from hypothesis import given, strategies as st

from scratchnet.kernels import conv_reference as ref


@st.composite
def conv_case(draw):
    N, C_in, C_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    K, d, p = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 2))
    H = draw(st.integers(d * (K - 1) + 1, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(size=(N, C_in, H, H))
    W = rng.normal(size=(C_out, C_in, K, K))
    return x, W, p, d, rng


@given(conv_case())
def test_dx_is_full_convolution_of_dy_with_flipped_kernel(case):
    """Stride 1: dx = conv(dy, W swapped and flipped, padding d(K-1) - p, same dilation)."""
    x, W, p, d, rng = case
    K = W.shape[2]
    if p > d * (K - 1):          # more padding than the kernel reaches: the full conv would crop
        p = d * (K - 1)
    out, cache = ref.forward(x, W, np.zeros(W.shape[0]), 1, p, d)
    dy = rng.normal(size=out.shape)
    dx, _, _ = ref.backward(dy, cache)

    W_flipped = W.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]          # (C_in, C_out, K, K)
    full = d * (K - 1) - p
    dx_full, _ = ref.forward(dy, W_flipped, np.zeros(W.shape[1]), 1, full, d)
    np.testing.assert_allclose(dx_full, dx, rtol=1e-10, atol=1e-12)


@given(conv_case(), st.integers(1, 2))
def test_dW_is_input_correlated_with_dy(case, s):
    """dW[o, c] = sum_n corr(xp[n, c], dy[n, o]): a convolution over the batch axis."""
    x, W, p, d, rng = case
    b = np.zeros(W.shape[0])
    out, cache = ref.forward(x, W, b, s, p, d)
    dy = rng.normal(size=out.shape)
    _, dW, db = ref.backward(dy, cache)

    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    # treat C_in as the batch, N as the channels, dy (C_out, N, H', W') as the kernel:
    # its taps sit `s` apart (dilation = the forward's stride), and the "stride" is d.
    corr, _ = ref.forward(xp.transpose(1, 0, 2, 3), dy.transpose(1, 0, 2, 3),
                          np.zeros(W.shape[0]), d, 0, s)          # (C_in, C_out, >=K, >=K)
    K = W.shape[2]
    np.testing.assert_allclose(corr[:, :, :K, :K].transpose(1, 0, 2, 3), dW, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(db, dy.sum(axis=(0, 2, 3)))
