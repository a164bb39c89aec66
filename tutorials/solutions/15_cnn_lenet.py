"""Solutions to the exercises of tutorials/15_cnn_lenet.py (run it: each ends in a check)."""
import numpy as np

import gradcheck
from scratchnet import lesson
from scratchnet.kernels import avgpool_reference, conv_reference
from scratchnet.layers import AvgPool2D, Conv2D


def correlate_valid(a, k):
    """a (H, W), k (KH, KW) -> out (H-KH+1, W-KW+1), out[i, j] = sum_{p,q} k[p, q] a[i+p, j+q]."""
    out = np.zeros((a.shape[0] - k.shape[0] + 1, a.shape[1] - k.shape[1] + 1))
    for p in range(k.shape[0]):
        for q in range(k.shape[1]):
            out += k[p, q] * a[p:p + out.shape[0], q:q + out.shape[1]]
    return out


# ----- exercise 1: dL/dx of a strided convolution ---------------------------------------------
def conv_dx_strided(dout, W, stride, padding, x_shape):
    """dout (N, C_out, H', W'), W (C_out, C_in, KH, KW) -> dL/dx (N, C_in, H, W).

    Forward read xp[i*s + kh, j*s + kw]. Put dout[i, j] at (i*s, j*s) of a grid of zeros
    (s - 1 zeros between entries), and the stride-1 rule applies: a full convolution with the
    flipped kernel gives the gradient of the padded input, up to the last row a window read.
    Rows past it (the floor of the output-size formula) were never read: their gradient is 0.
    """
    N, C_out, HO, WO = dout.shape
    _, C_in, KH, KW = W.shape
    s, p = stride, padding
    H, Wd = x_shape[2], x_shape[3]
    dilated = np.zeros((N, C_out, (HO - 1) * s + 1, (WO - 1) * s + 1))
    dilated[:, :, ::s, ::s] = dout
    dxp = np.zeros((N, C_in, H + 2 * p, Wd + 2 * p))          # the padded input's gradient
    for n in range(N):
        for c in range(C_in):
            for o in range(C_out):
                full = np.pad(dilated[n, o], ((KH - 1, KH - 1), (KW - 1, KW - 1)))
                part = correlate_valid(full, W[o, c, ::-1, ::-1])   # rows 0 .. (HO-1)*s + KH - 1
                dxp[n, c, :part.shape[0], :part.shape[1]] += part
    return dxp[:, :, p:p + H, p:p + Wd]


rng = np.random.default_rng(1)
W = rng.normal(size=(4, 3, 3, 3))
b = rng.normal(size=4)
worst = 0.0
for size in (7, 8):
    x = rng.normal(size=(2, 3, size, size))
    out, cache = conv_reference.forward(x, W, b, stride=2, padding=1)
    g = rng.normal(size=out.shape)
    dx_ref, _, _ = conv_reference.backward(g, cache)
    diff = float(np.abs(conv_dx_strided(g, W, 2, 1, x.shape) - dx_ref).max())
    print(f"x {x.shape}: out {out.shape}, max |diff| {diff:.1e}")
    worst = max(worst, diff)
lesson.check(1, "stride-2 dL/dx by hand vs conv_reference.backward, max |diff|", worst,
             worst < 1e-12)

# ----- exercise 2: the backward of average pooling ----------------------------------------------
x = rng.normal(size=(2, 3, 4, 6))
out, cache = avgpool_reference.forward(x, 2)
g = rng.normal(size=out.shape)
dx_hand = np.kron(g, np.ones((1, 1, 2, 2))) / 4.0            # each cell of a window: dout / 4
diff = float(np.abs(dx_hand - avgpool_reference.backward(g, cache)).max())
report = gradcheck.check_layer(AvgPool2D(2, backend="reference"), x)
print(report)
lesson.check(2, "avg-pool dL/dx by hand vs avgpool_reference.backward, max |diff|", diff,
             diff < 1e-12 and report.passed)

# ----- exercise 3: "same" padding for a dilated kernel -------------------------------------------
# H' = (H + 2p - d(K - 1) - 1) // 1 + 1 = H  <=>  2p = d(K - 1)  <=>  p = 2 * (3 - 1) / 2 = 2
K, d = 3, 2
p = d * (K - 1) // 2
shape = Conv2D(1, 1, K, padding=p, dilation=d, rng=0).forward(np.zeros((1, 1, 9, 9))).shape
same = Conv2D(1, 1, K, padding="same", dilation=d, rng=0).padding
print(f"p = {p}: output {shape}; padding='same' chooses {same}")
lesson.check(3, "padding that keeps 9x9 under a 3x3 kernel of dilation 2", p,
             shape == (1, 1, 9, 9) and same == ((p, p), (p, p)))

lesson.finish()
