# %% [markdown]
# # 15 - Convolutions: an edge detector by hand, the backward pass, and LeNet-5
#
# After this lesson you can
# - apply a filter to an image by hand and say which edges the [-1, 1] filter finds;
# - compute the output size of a convolution for any padding, stride and dilation;
# - derive a convolution's backward: dL/dx is a FULL convolution of dL/dout with the FLIPPED
#   kernel, dL/dW is the input CORRELATED with dL/dout; compute both with NumPy and prove
#   them with gradcheck;
# - say where max pooling sends the gradient (to the winner of each window, nothing else);
# - train a LeNet-5-style network on handwritten digits and read its filters and feature
#   maps on a colour scale.
#
# Why: a convolution layer is the same dot product as a Dense layer, applied to every small
# patch of an image with ONE set of weights. That sharing is what lets a CNN find a pattern
# wherever it appears, and it is also what makes its backward look different: every weight
# was used at every position, so its gradient is a sum over all of them. Once you have written
# that sum yourself, a CNN is no longer a black box.
#
# The edge filter is the example of the astronomy course (AGA 0505, lecture 11: "if our filter
# is [-1, 1], you get a vertical edge detector"); the padding and stride cases and LeNet-5 are
# those of the Curso-R deck ("Introdução ao Deep Learning com R").
#
# Run: `python tutorials/15_cnn_lenet.py` (SCRATCHNET_FAST=1 trains for fewer epochs).
# Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import time

import numpy as np
from matplotlib.image import imread

import gradcheck
from scratchnet import Sequential, lesson
from scratchnet.data import train_test_split
from scratchnet.datasets import load_digits
from scratchnet.kernels import conv_reference, maxpool_reference
from scratchnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam
from scratchnet.plot import plot_feature_maps, plot_filters, plot_image_grid

EPOCHS = 8 if lesson.FAST else 30     # passes over the training set
LR = 0.002                            # Adam's learning rate

# %% [markdown]
# ## 1. A convolution by hand: the [-1, 1] edge detector
# The filter W = [[-1, 1]] (1 row, 2 columns) computes, at every position,
#
#     out[i, j] = -x[i, j] + x[i, j + 1]
#
# the change from one pixel to its right neighbour. Where the image is flat it gives 0; on a
# dark-to-bright step it gives +1, on a bright-to-dark step -1: it finds VERTICAL edges.
# Its transpose [[-1], [1]] compares a pixel with the one below: HORIZONTAL edges.
# We apply both with the reference kernel, which works on batches of multi-channel images:
# x (N, C_in, H, W) and W (C_out, C_in, KH, KW), so a single grey image is (1, 1, H, W).
# Without padding a 1x2 filter gives one column less: (6, 6) -> (6, 5).

# %%
square = np.zeros((6, 6))
square[1:5, 2:5] = 1.0                     # a bright 4x3 rectangle on a dark background
vertical = np.array([[-1.0, 1.0]])         # (KH, KW) = (1, 2)
horizontal = vertical.T                    # (2, 1)


def apply_filter(image, kernel):
    """image (H, W), kernel (KH, KW) -> the (H', W') valid cross-correlation, via conv_reference."""
    out, _ = conv_reference.forward(image[None, None], kernel[None, None], np.zeros(1))
    return out[0, 0]


def show(name, a):
    print(f"{name} {a.shape}:")
    for row in a:
        print("   " + " ".join(f"{v:+.0f}" if v else " 0" for v in row))


show("image", square)
edges_v = apply_filter(square, vertical)
edges_h = apply_filter(square, horizontal)
show("vertical edges, W = [[-1, 1]]", edges_v)
show("horizontal edges, W = [[-1], [1]]", edges_h)
print(f"vertical-edge filter output shape: {edges_v.shape}")
print(f"vertical edges found in columns: {sorted(set(np.nonzero(edges_v)[1].tolist()))}")
print(f"horizontal edges found in rows: {sorted(set(np.nonzero(edges_h)[0].tolist()))}")

# %% [markdown]
# The output column j compares columns j and j + 1 of the image: +1 at column 1 (dark 1,
# bright 2: the left side of the rectangle) and -1 at column 4 (bright 4, dark 5: its right
# side). The horizontal filter marks rows 0 (top side) and 4 (bottom side) the same way.
# A CNN learns filters like these by itself.
#
# ## 2. Convolution arithmetic: how big is the output?
# Along one axis, with input size H, kernel size K, padding p on each side, stride s and
# dilation d (a dilated kernel has gaps: it spans d(K - 1) + 1 pixels):
#
#     H' = (H + 2p - d(K - 1) - 1) // s + 1
#
# The kernel fits at positions 0, s, 2s, ... as long as it stays inside the padded input of
# H + 2p pixels; // rounds down, so with a stride some rows at the end may never be used.
# The named cases (the Curso-R deck draws each one):
#   * no padding ("valid"):  p = 0,            H' = H - K + 1    the output shrinks
#   * half ("same"):         p = (K - 1) / 2,  H' = H            (odd K, stride 1)
#   * full:                  p = K - 1,        H' = H + K - 1    every partial overlap counts
#   * arbitrary padding, and strides, which divide the size (rounding down).
# Each row below computes H' by the formula and builds a Conv2D with those settings to
# check that a real forward pass gives the same shape.

# %%
def out_size(H, K, p, s, d=1):
    """The formula: H' = (H + 2p - d(K - 1) - 1) // s + 1."""
    return (H + 2 * p - d * (K - 1) - 1) // s + 1


ARITHMETIC_CASES = [            # (case, H, K, padding p, stride s, dilation d)
    ("no padding, stride 1", 5, 3, 0, 1, 1),
    ("half (same) padding", 5, 3, 1, 1, 1),
    ("half (same) padding, K=5", 7, 5, 2, 1, 1),
    ("full padding", 5, 3, 2, 1, 1),
    ("arbitrary padding", 5, 4, 2, 1, 1),
    ("no padding, stride 2", 5, 3, 0, 2, 1),
    ("padding 1, stride 2", 5, 3, 1, 2, 1),
    ("padding 1, stride 2, H=6 (floor)", 6, 3, 1, 2, 1),
    ("no padding, stride 3 (floor)", 8, 3, 0, 3, 1),
    ("dilation 2", 7, 3, 0, 1, 2),
    ("LeNet conv1 (28x28, 5x5, pad 2)", 28, 5, 2, 1, 1),
    ("LeNet conv2 (14x14, 5x5)", 14, 5, 0, 1, 1),
]

print(f"{'case':34s} {'H':>3s} {'K':>2s} {'p':>2s} {'s':>2s} {'d':>2s}  "
      f"{'formula':>7s} {'Conv2D':>6s}")
all_match = True
for case, H, K, p, s, d in ARITHMETIC_CASES:
    predicted = out_size(H, K, p, s, d)
    layer = Conv2D(1, 1, K, stride=s, padding=p, dilation=d, rng=0)
    actual = layer.forward(np.zeros((1, 1, H, H))).shape[2]      # (N, C_out, H', W') -> H'
    all_match &= predicted == actual
    print(f"{case:34s} {H:3d} {K:2d} {p:2d} {s:2d} {d:2d}  {predicted:7d} {actual:6d}")
print(f"arithmetic table matches Conv2D: {all_match}")

# %% [markdown]
# Note the floor rows: with H = 6, K = 3, p = 1, s = 2 the padded input has 8 pixels; the
# kernel fits at 0, 2, 4 (covering up to pixel 6) but not at 6 (it would need pixel 8), so
# H' = 3, the same as for H = 5: the last padded row is never read.
#
# ## 3. The backward of a convolution
# One image, one input and one output channel, stride 1, no padding (the general case only
# adds sums over n, c and o):
#
#     out[i, j] = b + sum_{kh, kw} W[kh, kw] * x[i + kh, j + kw]
#
# Given the upstream gradient dout[i, j] = dL/dout[i, j], the chain rule sums over every
# output that a number touched:
#
#   * W[kh, kw] multiplied x[i + kh, j + kw] at EVERY position (i, j), so
#
#         dL/dW[kh, kw] = sum_{i, j} dout[i, j] * x[i + kh, j + kw]
#
#     a valid CORRELATION of x with dout: dout plays the kernel, slid over the input. Its
#     output has (H - H' + 1) = KH rows: exactly W's shape.
#   * x[h, w] was read by the outputs (i, j) = (h - kh, w - kw), with weight W[kh, kw], so
#
#         dL/dx[h, w] = sum_{kh, kw} W[kh, kw] * dout[h - kh, w - kw]
#
#     (terms whose (i, j) falls outside dout are 0). The minus signs make this a true
#     CONVOLUTION: a correlation with the kernel FLIPPED in both axes (W[::-1, ::-1]),
#     slid over dout padded with K - 1 zeros on every side (a FULL convolution, so that
#     dx comes out H' + K - 1 = H rows tall, the input's size).
#   * dL/db = sum_{i, j} dout[i, j]: b was added to every output.
#
# With padding p, the forward read a padded input xp: the same formulas give the gradient
# with respect to xp, and dx is that with p rows and columns cut off each side.
# Both are written below with NumPy slices and nothing else, for batches and channels
# (dx[n, c] sums over the output channels o, dW[o, c] over the images n).

# %%
def correlate_valid(a, k):
    """a (H, W), k (KH, KW) -> out (H-KH+1, W-KW+1), out[i, j] = sum_{p,q} k[p, q] a[i+p, j+q]."""
    out = np.zeros((a.shape[0] - k.shape[0] + 1, a.shape[1] - k.shape[1] + 1))
    for p in range(k.shape[0]):
        for q in range(k.shape[1]):
            out += k[p, q] * a[p:p + out.shape[0], q:q + out.shape[1]]
    return out


def conv_dx_by_hand(dout, W, padding=0):
    """dL/dx: dout (N, C_out, H', W'), W (C_out, C_in, KH, KW) -> (N, C_in, H, W), stride 1.

    A full convolution of dout with the flipped kernel, summed over the output channels,
    then the padding cut off."""
    N, C_out, HO, WO = dout.shape
    _, C_in, KH, KW = W.shape
    dxp = np.zeros((N, C_in, HO + KH - 1, WO + KW - 1))          # gradient of the padded input
    for n in range(N):
        for c in range(C_in):
            for o in range(C_out):
                full = np.pad(dout[n, o], ((KH - 1, KH - 1), (KW - 1, KW - 1)))
                dxp[n, c] += correlate_valid(full, W[o, c, ::-1, ::-1])
    p = padding
    return dxp[:, :, p:dxp.shape[2] - p, p:dxp.shape[3] - p]


def conv_dW_by_hand(x, dout, padding=0):
    """dL/dW: x (N, C_in, H, W), dout (N, C_out, H', W') -> (C_out, C_in, KH, KW), stride 1.

    The padded input correlated with dout, summed over the images."""
    p = padding
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    N, C_in, C_out = x.shape[0], x.shape[1], dout.shape[1]
    KH, KW = xp.shape[2] - dout.shape[2] + 1, xp.shape[3] - dout.shape[3] + 1
    dW = np.zeros((C_out, C_in, KH, KW))
    for o in range(C_out):
        for c in range(C_in):
            for n in range(N):
                dW[o, c] += correlate_valid(xp[n, c], dout[n, o])
    return dW


# the flip, on the course's filter: correlating with [[1, -1]] is convolving with [[-1, 1]]
print(f"edge filter W: {vertical.tolist()}, flipped: {vertical[::-1, ::-1].tolist()}")
# one output gets dout = 1, every other 0: dx is W, put back on the window that output read
spike = np.zeros((1, 1) + edges_v.shape)
spike[0, 0, 2, 1] = 1.0
show("dL/dx for dout = 1 at output (2, 1) only", conv_dx_by_hand(spike, vertical[None, None])[0, 0])

# %% [markdown]
# The single output (2, 1) read pixels (2, 1) and (2, 2) with weights -1 and +1, and that is
# exactly what it sends back. Now a real case: 2 images of 3 channels, 4 filters of 3x2,
# a random upstream gradient, with and without padding, against conv_reference.backward.

# %%
rng = np.random.default_rng(0)
x = rng.normal(size=(2, 3, 6, 7))                  # (N, C_in, H, W)
W = rng.normal(size=(4, 3, 3, 2))                  # (C_out, C_in, KH, KW)
b = rng.normal(size=4)
conv_reports = []
for pad in (0, 1):
    out, cache = conv_reference.forward(x, W, b, padding=pad)
    g = rng.normal(size=out.shape)                 # dL/dout, random (never ones)
    dx_ref, dW_ref, db_ref = conv_reference.backward(g, cache)
    dx_hand, dW_hand = conv_dx_by_hand(g, W, pad), conv_dW_by_hand(x, g, pad)
    print(f"padding {pad}: out {out.shape}; dx {dx_hand.shape}, dW {dW_hand.shape}")
    print(f"padding {pad}: dL/dx by full convolution vs conv_reference.backward: "
          f"max |diff| {np.abs(dx_hand - dx_ref).max():.1e}")
    print(f"padding {pad}: dL/dW by correlation vs conv_reference.backward: "
          f"max |diff| {np.abs(dW_hand - dW_ref).max():.1e}")
    print(f"padding {pad}: dL/db = sum of dout vs conv_reference.backward: "
          f"max |diff| {np.abs(g.sum(axis=(0, 2, 3)) - db_ref).max():.1e}")
    # gradcheck: our formulas against finite differences of L = sum(out * g)
    loss_of_x = lambda xx: float(np.sum(conv_reference.forward(xx, W, b, padding=pad)[0] * g))
    loss_of_W = lambda WW: float(np.sum(conv_reference.forward(x, WW, b, padding=pad)[0] * g))
    conv_reports += [
        gradcheck.check_function(loss_of_x, lambda xx: conv_dx_by_hand(g, W, pad), x,
                                 name=f"our dL/dx, padding {pad}"),
        gradcheck.check_function(loss_of_W, lambda WW: conv_dW_by_hand(x, g, pad), W,
                                 name=f"our dL/dW, padding {pad}")]
for report in conv_reports:
    print(f"gradcheck {report.title.split(':')[0]}: {report.status}, "
          f"max error {report.max_err:.1e}")
layer_report = gradcheck.check_layer(Conv2D(3, 4, (3, 2), padding=1, backend="reference",
                                            rng=0), x)
print(layer_report)
print(f"gradcheck Conv2D on conv_reference: {layer_report.status}")

# %% [markdown]
# Both formulas agree with the kernel to rounding (about 1e-15) and with finite differences.
# The kernel computes the same sums the other way round: each output position scatters its
# share back into the window it read (read `backward` in scratchnet/kernels/conv_reference.py).
#
# ## 4. The backward of max pooling
# A 2x2 max pool outputs the largest of each window: out[i, j] = x[winner of window (i, j)].
# Locally that is "copy the winner", whose derivative is 1 for the winner and 0 for the
# other three cells. So the whole gradient of a window goes to its winner (the argmax), and
# every other input gets exactly 0: most of dx is zero.

# %%
x_pool = np.array([[1., 3., 2., 0.],
                   [4., 2., 1., 5.],
                   [0., 1., 7., 2.],
                   [6., 2., 3., 1.]])[None, None]            # (1, 1, 4, 4), one max per window
out_pool, pool_cache = maxpool_reference.forward(x_pool, 2)
dout_pool = np.array([[10., 20.], [30., 40.]])[None, None]   # (1, 1, 2, 2)
dx_pool = maxpool_reference.backward(dout_pool, pool_cache)

dx_pool_hand = np.zeros_like(x_pool)                         # route each dout to its argmax
for i in range(2):
    for j in range(2):
        window = x_pool[0, 0, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
        kh, kw = np.unravel_index(np.argmax(window), window.shape)
        dx_pool_hand[0, 0, 2 * i + kh, 2 * j + kw] += dout_pool[0, 0, i, j]
show("x", x_pool[0, 0])
show("out = max of each 2x2 window", out_pool[0, 0])
show("dL/dx for dout = [[10, 20], [30, 40]]", dx_pool[0, 0])
print(f"max-pool dx by hand equals maxpool_reference.backward: "
      f"{bool(np.array_equal(dx_pool_hand, dx_pool))}")
print(f"max-pool dx: {np.count_nonzero(dx_pool)} of {dx_pool.size} entries nonzero; "
      f"sum of dx {dx_pool.sum():g} = sum of dout {dout_pool.sum():g}")

# overlapping windows (3x3 input, 2x2 kernel, stride 1): all four windows share one winner
center = np.array([[0., 1., 0.], [1., 9., 1.], [0., 1., 0.]])[None, None]
_, overlap_cache = maxpool_reference.forward(center, 2, stride=1)
dx_overlap = maxpool_reference.backward(np.ones((1, 1, 2, 2)), overlap_cache)
print(f"overlapping windows, dout = 1 each: the shared winner gets {dx_overlap[0, 0, 1, 1]:g}, "
      f"the other cells {np.abs(dx_overlap).sum() - dx_overlap[0, 0, 1, 1]:g}")
pool_report = gradcheck.check_layer(MaxPool2D(2, backend="reference"),
                                    rng.normal(size=(2, 3, 4, 6)))
print(f"gradcheck MaxPool2D on maxpool_reference: {pool_report.status}, "
      f"{len(pool_report.kinks)} kinks")

# %% [markdown]
# The winners 4, 5, 6 and 7 received 10, 20, 30 and 40; the other 12 cells got 0, and the
# gradient's total is kept. Where windows overlap, a cell that wins several windows gets the
# sum of their gradients (here 4 x 1). A tie would be a kink (no derivative); random inputs
# have none, and gradcheck counts any it meets apart from failures.
#
# ## 5. The data: 8x8 digits, upsampled to 16x16
# load_digits gives x (1797, 1, 8, 8) in [0, 1] and labels y (1797,). LeNet-5's two 5x5
# convolutions and two 2x2 poolings need more than 8x8 pixels, so every pixel becomes a 2x2
# block (np.kron with a 2x2 block of ones): x (1797, 1, 16, 16). A quarter is kept for testing.

# %%
x8, y = load_digits()
x = np.kron(x8, np.ones((1, 1, 2, 2)))                  # (N, 1, 8, 8) -> (N, 1, 16, 16)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=True, rng=0)
print(f"digits: x {x8.shape} upsampled to {x.shape}; train {len(x_train)}, test {len(x_test)}")

# %% [markdown]
# ## 6. LeNet-5 (with ReLU and max pooling), sized for 16x16 images
#
#     (N, 1, 16, 16)  Conv2D 6@5x5, pad 2   -> (N, 6, 16, 16)    "same": pad 2 for K = 5
#                     ReLU, MaxPool 2x2     -> (N, 6, 8, 8)
#                     Conv2D 16@5x5         -> (N, 16, 4, 4)     no padding: 8 - 5 + 1 = 4
#                     ReLU, MaxPool 2x2     -> (N, 16, 2, 2)
#                     Flatten               -> (N, 64)
#                     Dense 120, ReLU, Dense 84, ReLU, Dense 10 -> (N, 10) logits
#
# (The original LeNet-5 reads 32x32 images, so its flatten has 16*5*5 = 400 numbers.)
# Training runs forward and the backward of section 3 and 4 on every batch, on the fast
# "numba" backend (tutorial 20 compares the backends).

# %%
model = Sequential([Conv2D(1, 6, 5, padding=2, rng=0), ReLU(), MaxPool2D(2),
                    Conv2D(6, 16, 5, rng=1), ReLU(), MaxPool2D(2), Flatten(),
                    Dense(64, 120, rng=2), ReLU(), Dense(120, 84, rng=3), ReLU(),
                    Dense(84, 10, rng=4)])
print(model.summary(input_shape=(1, 16, 16)))

# %%
start = time.perf_counter()
history = model.fit(x_train, y_train, loss=CategoricalCrossEntropy(from_logits=True),
                    optimizer=Adam(LR), epochs=EPOCHS, batch_size=32, rng=0, verbose=0)
seconds = time.perf_counter() - start
print(f"trained {EPOCHS} epochs in {seconds:.1f} s, final training loss "
      f"{history['loss'][-1]:.4f}")
scores = model.evaluate(x_test, y_test)
print(f"train accuracy: {model.evaluate(x_train, y_train)['accuracy']:.3f}")
print(f"test accuracy: {scores['accuracy']:.3f}")

# %% [markdown]
# ## 7. What did the first layer learn?
# One test digit as the network sees it (16x16, grey levels on the colour bar), then the six 5x5 filters of the first
# Conv2D, W (6, 1, 5, 5), on ONE colour scale centred on 0 (the colour bar): white is a weight
# of 0, red positive, blue negative, so filters can be compared with each other. A filter with
# red beside blue responds to a change of brightness, as the [-1, 1] filter of section 1 does.
# Last, that digit's six feature maps after conv1 + ReLU, (6, 16, 16), also on one shared
# scale: a map is bright where its filter's pattern is strongly present, dark (0, cut by the
# ReLU) where it is not.

# %%
W1 = model[0].params["W"]
conv1_relu = model[1].forward(model[0].forward(x_test[:1]))    # (1, 6, 16, 16)
print("conv1 filters: " + ", ".join(f"{k}: {w.min():+.2f}..{w.max():+.2f}"
                                    for k, w in enumerate(W1[:, 0])))
print(f"conv1 feature maps shape: {conv1_relu.shape}, values {conv1_relu.min():.2f}.."
      f"{conv1_relu.max():.2f}")
names = ["15_digit.png", "15_filters.png", "15_feature_maps.png"]
lesson.save(plot_image_grid(x_test[:1], labels=[f"label {y_test[0]}"], colorbar=True,
                            colorbar_label="pixel value (0 = blank, 1 = ink)",
                            title="a test digit (16x16)"), names[0])
lesson.save(plot_filters(W1, title="conv1 filters (6 x 5x5), one shared scale",
                         colorbar=True), names[1])
lesson.save(plot_feature_maps(conv1_relu, colorbar=True,
                              title=f"conv1 + ReLU feature maps of a test '{y_test[0]}'"),
            names[2])
height, width = imread(lesson.out_path(names[0])).shape[:2]
print(f"digit figure: {width} x {height} px")
print(f"saved figures: {', '.join(names)} in {lesson.out_dir()}")

# %% [markdown]
# ## Read the source
# - `scratchnet/kernels/conv_reference.py`: `forward` is the loop over output positions with
#   one matmul each; `backward`'s docstring derives dW (correlation) and dx (full convolution
#   with the flipped kernel, zeros inserted for a stride) and the code scatters each
#   position's share back: compare it with `conv_dx_by_hand` above.
# - `scratchnet/kernels/maxpool_reference.py`: the winner rule (first NaN, else the first
#   maximum; padding never wins) and `backward`, which routes dout to `arg`, the winner's index.
# - `scratchnet/kernels/avgpool_reference.py`: the other pooling, whose backward you write in
#   exercise 2.
# - `scratchnet/layers/conv.py`: `Conv2D` holds W and b and calls a kernel backend;
#   `conv_padding` turns "same" and "full" into numbers (the table of section 2).
# - `scratchnet/kernels/geometry.py`: `out_size`, the formula of section 2.
#
# ## Exercises
# First, write this lesson's backward yourself: fetch a skeleton with
# `python -m scratchnet.exercises get conv2d`, fill in its backward, and check it with
# `python -m scratchnet.exercises check conv2d.py` (a gradcheck, and a comparison with the
# library's own layer on the same parameters). The same for `maxpool2d`.
#
# ### Exercise 1
# Stride 2. With stride s the forward reads xp[i*s + kh, j*s + kw], so dL/dx is the full
# convolution of dout with s - 1 zeros inserted between its entries. Write
# `conv_dx_strided(dout, W, stride, padding, x_shape)` (insert the zeros, then use
# `conv_dx_by_hand`'s idea; rows that no window read get 0) and compare it with
# conv_reference.backward for W (4, 3, 3, 3), stride 2, padding 1, on x (2, 3, 7, 7) and on
# x (2, 3, 8, 8), whose last padded row no window reads. Check: max |diff| below 1e-12.
#
# ### Exercise 2
# The backward of 2x2 average pooling (stride 2): every cell of a window gets dout / 4.
# Write it with NumPy (np.kron is one way) and compare it with avgpool_reference.backward on
# x (2, 3, 4, 6). Check: max |diff| below 1e-12, and gradcheck.check_layer on
# AvgPool2D(2, backend="reference") reports PASS.
#
# ### Exercise 3
# A dilated "same" convolution: which padding p keeps a 9x9 image 9x9 under a 3x3 kernel with
# dilation 2 (use the formula of section 2)? Check: your p gives Conv2D(1, 1, 3, padding=p,
# dilation=2) an output of shape (1, 1, 9, 9), and equals what padding="same" chooses.
# (Solutions: tutorials/solutions/15_cnn_lenet.py)
