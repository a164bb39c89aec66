# %% [markdown]
# # 05 - Convolutions: an edge detector by hand, the output-size arithmetic, and LeNet-5
#
# A convolution layer slides a small filter over an image and, at every position, takes the
# dot product of the filter with the patch under it. First we apply a hand-made edge filter,
# then we learn the rule that gives the size of the output for any padding and stride, and
# check it against Conv2D. Last, we train a LeNet-5-style network on handwritten digits and
# look at what its first layer learned.
#
# Run: `python tutorials/15_cnn_lenet.py`. SCRATCHNET_FAST=1 trains for fewer epochs;
# figures go to tutorials/out/ (or to the folder in SCRATCHNET_OUT).

# %%
import os
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np

from scratchnet import Sequential
from scratchnet.data import train_test_split
from scratchnet.datasets import load_digits
from scratchnet.kernels import conv_reference
from scratchnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam
from scratchnet.plot import plot_feature_maps, plot_filters, plot_image_grid

FAST = os.environ.get("SCRATCHNET_FAST", "") not in ("", "0")
OUT = os.environ.get("SCRATCHNET_OUT", os.path.join(os.path.dirname(__file__), "out"))
os.makedirs(OUT, exist_ok=True)

EPOCHS = 12 if FAST else 40      # passes over the training set
LR = 0.002                       # Adam's learning rate

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

# %% [markdown]
# The output column j compares columns j and j + 1 of the image: +1 at column 1 (dark 1,
# bright 2: the left side of the rectangle) and -1 at column 4 (bright 4, dark 5: its right
# side). A CNN learns filters like this one by itself; we will see them at the end.
#
# ## 2. Convolution arithmetic: how big is the output?
# Along one axis, with input size H, kernel size K, padding p on each side, stride s and
# dilation d (a dilated kernel has gaps: it spans d(K - 1) + 1 pixels):
#
#     H' = (H + 2p - d(K - 1) - 1) // s + 1
#
# The kernel fits at positions 0, s, 2s, ... as long as it stays inside the padded input of
# H + 2p pixels; // rounds down, so with a stride some rows at the end may never be used.
# The named cases:
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
# ## 3. The data: 8x8 digits, upsampled to 16x16
# load_digits gives x (1797, 1, 8, 8) in [0, 1] and labels y (1797,). LeNet-5's two 5x5
# convolutions and two 2x2 poolings need more than 8x8 pixels, so every pixel becomes a 2x2
# block (np.kron with a 2x2 block of ones): x (1797, 1, 16, 16). A quarter is kept for testing.

# %%
x8, y = load_digits()
x = np.kron(x8, np.ones((1, 1, 2, 2)))                  # (N, 1, 8, 8) -> (N, 1, 16, 16)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=True, rng=0)
print(f"digits: x {x8.shape} upsampled to {x.shape}; train {len(x_train)}, test {len(x_test)}")

# %% [markdown]
# ## 4. LeNet-5 (with ReLU and max pooling), sized for 16x16 images
#
#     (N, 1, 16, 16)  Conv2D 6@5x5, pad 2   -> (N, 6, 16, 16)    "same": pad 2 for K = 5
#                     ReLU, MaxPool 2x2     -> (N, 6, 8, 8)
#                     Conv2D 16@5x5         -> (N, 16, 4, 4)     no padding: 8 - 5 + 1 = 4
#                     ReLU, MaxPool 2x2     -> (N, 16, 2, 2)
#                     Flatten               -> (N, 64)
#                     Dense 120, ReLU, Dense 84, ReLU, Dense 10 -> (N, 10) logits
#
# (The original LeNet-5 reads 32x32 images, so its flatten has 16*5*5 = 400 numbers.)

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
# ## 5. What did the first layer learn?
# The six 5x5 filters of the first Conv2D, W (6, 1, 5, 5), each on its own colour scale
# (red: its largest weights, blue: its smallest). After a few epochs on small images they are
# still noisy, but several show a band of red beside a band of blue: the edge detector of
# part 1, stretched and turned. Then one test digit's six feature maps after conv1 + ReLU,
# (6, 16, 16): each map lights up where its filter's pattern appears in the digit.

# %%
W1 = model[0].params["W"]
conv1_relu = model[1].forward(model[0].forward(x_test[:1]))    # (1, 6, 16, 16)
names = ["15_digit.png", "15_filters.png", "15_feature_maps.png"]
plot_image_grid(x_test[:1], labels=[f"label {y_test[0]}"], path=os.path.join(OUT, names[0]))
plot_filters(W1, path=os.path.join(OUT, names[1]), title="conv1 filters (6 x 5x5)")
plot_feature_maps(conv1_relu, path=os.path.join(OUT, names[2]),
                  title=f"conv1 + ReLU feature maps of a test '{y_test[0]}'")
print(f"conv1 feature maps shape: {conv1_relu.shape}")
print(f"saved figures: {', '.join(names)} in {OUT}")
