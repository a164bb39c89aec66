# %% [markdown]
# # 16 - A CNN for colour images (CIFAR-10, or the bundled digits): channels, shared weights, shifts
#
# After this lesson you can
# - say what a convolution does with several input channels (one kernel per channel, the
#   results summed) and check it against `Conv2D`;
# - count a convolution's parameters and compare them with a Dense layer of the same output;
# - build a small CNN (convolution, ReLU, max pooling, twice, then a Dense classifier), follow
#   the shapes through it, train it and compare it with an MLP;
# - measure how much of its accuracy each model keeps when the test images move by one pixel.
#
# Why: a Dense layer looks at every pixel with its own weight, so it must learn a pattern again
# at every place it may appear. A convolution slides one small kernel over the image: the same
# weights at every position. That costs far fewer parameters, and a pattern learned in one place
# is found in another. Colour images add one more axis, the channels (red, green, blue), which a
# convolution sums over.
#
# This lesson is our counterpart of exercise 07 of the course deck "Introduction to deep learning
# with R" (Curso-R): a convolutional network on CIFAR-10, 60,000 colour images of 32x32 pixels
# in 10 classes. It uses CIFAR-10 when the binary version's files are in scratchnet's data folder
# (~/.cache/scratchnet/cifar-10, or $SCRATCHNET_DATA/cifar-10; `load_cifar10(download=True)`
# fetches the 162 MB archive), and otherwise the bundled 8x8 digits (one grey channel). It
# prints which it used. The machine this lesson was written on has no CIFAR-10 files, so every
# number quoted in the text is from the digits; the CIFAR-10 path is the same code with C = 3
# and 32x32 images. Every weight of a convolution is used at every position, so a CNN costs
# far more time per image than an MLP: a stand-in with CIFAR-10's shapes (3x32x32 images made
# from the digits) took 3 to 10 s per epoch over 1,000 images on the 2 shared cores of that
# machine, so on CIFAR-10 the runs are cut to a subset (fast mode: 2 epochs, about half a
# minute; full mode: 5,000 images for 8 epochs, several minutes).
#
# Run: `python tutorials/16_cifar_cnn.py` (SCRATCHNET_FAST=1 for a quick run). Figures go to
# tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import time

import numpy as np

from scratchnet import lesson
from scratchnet.data import train_test_split
from scratchnet.datasets import CIFAR10_CLASSES, load_cifar10, load_digits
from scratchnet.kernels import conv_reference
from scratchnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.model import Sequential
from scratchnet.optimizers import Adam
from scratchnet.plot import plot_feature_maps, plot_filters, plot_image_grid
from matplotlib.figure import Figure

# %% [markdown]
# ## The data
#
# `load_cifar10()` raises FileNotFoundError when the files are missing; then we take the
# digits and keep a quarter for testing. Both give images x (N, C, H, W) in [0, 1] and labels
# y (N,) in 0..9. The digits are few and small, so both modes train on all 1,347 training
# images (fast mode for fewer epochs); on CIFAR-10, fast mode takes the first 1,000 training
# images and full mode 5,000 of the 50,000.

# %%
def load_data():
    """(x_train, y_train, x_test, y_test, class_names, source)."""
    try:
        (x_train, y_train), (x_test, y_test), names = load_cifar10()
        n_train, n_test = (1000, 500) if lesson.FAST else (5000, 2000)
        return (x_train[:n_train].astype(np.float64), y_train[:n_train],
                x_test[:n_test].astype(np.float64), y_test[:n_test], names,
                "CIFAR-10 (binary files)")
    except FileNotFoundError:
        x, y = load_digits()
        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=True,
                                                            rng=0)
        return (x_train, y_train, x_test, y_test, [str(d) for d in range(10)],
                "the bundled 8x8 digits (no CIFAR-10 files found)")


x_train, y_train, x_test, y_test, CLASSES, SOURCE = load_data()
CIFAR = SOURCE.startswith("CIFAR")
EPOCHS = (2 if lesson.FAST else 8) if CIFAR else (10 if lesson.FAST else 30)
N, C, H, W = x_train.shape
print(f"data: {SOURCE}")
print(f"images: train {x_train.shape}, test {x_test.shape}: {C} channel(s) of {H}x{W} pixels")
lesson.save(plot_image_grid(x_train[:10], labels=[CLASSES[k] for k in y_train[:10]], ncols=10,
                            title=f"Ten training images ({C} channel(s), {H}x{W})"),
            "16_examples.png")

# %% [markdown]
# ## A convolution over several channels
#
# A kernel of `Conv2D(C_in, C_out, K)` has shape (C_in, K, K): one K x K slice per input channel.
# At each position it multiplies every slice with the patch of its own channel and adds all the
# products, over the channels too, plus one bias:
#
#     out[n, o, i, j] = b[o] + sum_c sum_u sum_v x[n, c, i + u, j + v] * W[o, c, u, v]
#
# So a 3-channel convolution is the SUM of three 1-channel convolutions, one per colour, each
# with its own slice of the kernel (the course draws this: a kernel per channel, the outputs
# summed). We check that on a random 3-channel image with `conv_reference`, the plain NumPy
# kernel, and against `Conv2D` itself.

# %%
rng = np.random.default_rng(0)
image = rng.normal(size=(1, 3, 6, 6))                    # (N, C_in, H, W): any 3-channel input
layer = Conv2D(3, 1, 3, rng=0)                           # W (1, 3, 3, 3), b (1,)
Wk, bk = layer.params["W"], layer.params["b"]
whole = layer.forward(image)                             # (1, 1, 4, 4)
per_channel = [conv_reference.forward(image[:, c:c + 1], Wk[:, c:c + 1], np.zeros(1))[0]
               for c in range(3)]                         # three (1, 1, 4, 4) maps
summed = per_channel[0] + per_channel[1] + per_channel[2] + bk[0]
print(f"kernel W {Wk.shape}, output {whole.shape}")
print(f"3-channel conv vs sum of 3 one-channel convs + b: largest difference "
      f"{np.abs(whole - summed).max():.1e}")

# %% [markdown]
# ## Shared weights: parameters of a convolution against a Dense layer
#
# `Conv2D(C, 16, 3, padding=1)` maps (C, H, W) to (16, H, W) with 16 * C * 9 weights and 16
# biases, whatever the image size. A Dense layer that produced the same 16 * H * W numbers from
# the flattened image would need one weight per (input pixel, output number) pair.

# %%
conv = Conv2D(C, 16, 3, padding=1, rng=0)
outputs = 16 * H * W
dense_params = C * H * W * outputs + outputs
print(f"Conv2D({C}, 16, 3, padding=1) on {C}x{H}x{W}: {conv.n_params} parameters for "
      f"{outputs} outputs")
print(f"a Dense layer with the same inputs and outputs: {dense_params:,} parameters "
      f"({dense_params / conv.n_params:.0f} times as many)")

# %% [markdown]
# ## The CNN, and the shapes through it
#
#     (N, C, H, W)  Conv2D 16@3x3, pad 1 -> (N, 16, H, W)       "same" padding keeps the size
#                   ReLU, MaxPool 2x2    -> (N, 16, H/2, W/2)   the max of each 2x2 block
#                   Conv2D 32@3x3, pad 1 -> (N, 32, H/2, W/2)   sums over all 16 channels
#                   ReLU, MaxPool 2x2    -> (N, 32, H/4, W/4)
#                   Flatten, Dense 10    -> (N, 10) logits
#
# This is the course's summary: convolutions and poolings make the images smaller and deeper,
# then a classifier reads the result. Beside it, an MLP with one hidden layer of 128 ReLU units
# on the flattened pixels (lesson 14).

# %%
def make_cnn():
    return Sequential([Conv2D(C, 16, 3, padding=1, rng=0), ReLU(), MaxPool2D(2),
                       Conv2D(16, 32, 3, padding=1, rng=1), ReLU(), MaxPool2D(2), Flatten(),
                       Dense(32 * (H // 4) * (W // 4), 10, rng=2)])


def make_mlp():
    return Sequential([Flatten(), Dense(C * H * W, 128, rng=0), ReLU(), Dense(128, 10, rng=1)])


cnn, mlp = make_cnn(), make_mlp()
print(cnn.summary(input_shape=(C, H, W)))
print(f"parameters: CNN {cnn.n_params:,}, MLP {mlp.n_params:,}")

# %% [markdown]
# ## Training both
#
# The same loss (the fused softmax cross-entropy), optimizer (Adam, learning rate 0.005),
# batches of 32 and epochs for both; the last fifth of the training part is validation data.

# %%
histories, seconds = {}, {}
for name, model in (("CNN", cnn), ("MLP", mlp)):
    start = time.perf_counter()
    histories[name] = model.fit(x_train, y_train, loss=CategoricalCrossEntropy(),
                                optimizer=Adam(0.005), epochs=EPOCHS, batch_size=32,
                                validation_split=0.2, rng=0, verbose=0)
    seconds[name] = time.perf_counter() - start
acc = {name: model.evaluate(x_test, y_test)["accuracy"] for name, model in (("CNN", cnn),
                                                                             ("MLP", mlp))}
for name in ("CNN", "MLP"):
    print(f"{name}: {EPOCHS} epochs on {int(len(x_train) * 0.8)} images in {seconds[name]:.1f} s, "
          f"test accuracy {acc[name]:.3f}")
print(f"time per epoch: CNN {seconds['CNN'] / EPOCHS:.2f} s, MLP {seconds['MLP'] / EPOCHS:.3f} s")

fig = Figure(figsize=(11, 4))
for i, key in enumerate(("loss", "val_accuracy")):
    ax = fig.add_subplot(1, 2, i + 1)
    for name in ("CNN", "MLP"):
        ax.plot(np.arange(1, EPOCHS + 1), histories[name][key], marker="o", ms=3, label=name)
    ax.set_title("training loss" if key == "loss" else "validation accuracy")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy" if key == "loss" else "accuracy")
    ax.legend(loc="upper right" if key == "loss" else "lower right")
fig.suptitle(f"CNN and MLP on {'CIFAR-10' if CIFAR else 'the 8x8 digits'}")
fig.tight_layout()
lesson.save(fig, "16_learning_curves.png")

# %% [markdown]
# On the 8x8 digits the two reach similar accuracy on the test images as they are; the CNN
# does it with fewer parameters, and each of its epochs costs much more time (every weight is
# used at every position). How the two compare on CIFAR-10's colour photos was not measured
# on the machine this lesson was written on: run it with the files and see.
#
# ## Move the test images
#
# Shift every test image by an eighth of its width, to the right (and, separately, to the
# left), filling the emptied columns with 0, and measure again: one pixel for the 8x8 digits
# (four for CIFAR-10's 32x32 images). For the MLP every pixel is a separate input with its
# own weights, so a shifted digit is a new pattern. The CNN's kernels find their patterns
# anywhere, and max pooling forgets small displacements within each 2x2 block.

# %%
def shift(images, dx):
    """images (N, C, H, W) moved dx pixels to the right (left for dx < 0), zeros filled in."""
    out = np.zeros_like(images)
    if dx > 0:
        out[..., dx:] = images[..., :-dx]
    else:
        out[..., :dx] = images[..., -dx:]
    return out


STEP = W // 8                                                 # pixels to move
print(f"shift: {STEP} pixel(s) of {W}")
shifted = {}
for name, model in (("CNN", cnn), ("MLP", mlp)):
    right = model.evaluate(shift(x_test, STEP), y_test)["accuracy"]
    left = model.evaluate(shift(x_test, -STEP), y_test)["accuracy"]
    shifted[name] = (right + left) / 2
    print(f"{name}: test accuracy {acc[name]:.3f}; shifted right {right:.3f}, left {left:.3f}: "
          f"it keeps {shifted[name] / acc[name]:.0%} of its accuracy")
print(f"shifted test images: CNN {shifted['CNN']:.3f}, MLP {shifted['MLP']:.3f} (mean of the two "
      f"shifts)")

sample = x_test[:1]
views = np.concatenate([shift(sample, -STEP), sample, shift(sample, STEP)])
preds = {name: model.predict(views).argmax(axis=1) for name, model in (("CNN", cnn), ("MLP", mlp))}
labels = [f"{title}: CNN {CLASSES[preds['CNN'][k]]}, MLP {CLASSES[preds['MLP'][k]]}"
          for k, title in enumerate(("left", "as is", "right"))]
lesson.save(plot_image_grid(views, labels=labels, ncols=3,
                            title=f"One test image (a {CLASSES[y_test[0]]}), shifted"),
            "16_shifted.png")

# %% [markdown]
# The CNN keeps much more of its accuracy than the MLP, but not all of it: it is far from
# "invariant" to shifts. Its pooling forgives a move of one pixel only inside a 2x2 block, and
# on 8x8 images a pixel is an eighth of the picture. (These numbers are the digits'.)
# Exercise 3 teaches the MLP the same tolerance from data instead.
#
# ## What the first layer learned
#
# The 16 kernels of the first convolution, W (16, C, 3, 3) (RGB pictures for CIFAR-10, the one
# grey slice for the digits), on one colour scale, and the 16 feature maps that they and the
# ReLU make of one test image.

# %%
# RGB kernels are drawn as colour pictures, each scaled to [0, 1] on its own (no colour bar);
# one-channel kernels share one diverging scale, with a colour bar.
lesson.save(plot_filters(cnn[0].params["W"], title="conv1 kernels (16 x 3x3)",
                         colorbar=not CIFAR, ncols=8), "16_filters.png")
maps = cnn[1].forward(cnn[0].forward(x_test[:1]))          # (1, 16, H, W)
lesson.save(plot_feature_maps(maps, ncols=8, colorbar=True,
                              title=f"conv1 + ReLU feature maps of a test {CLASSES[y_test[0]]}"),
            "16_feature_maps.png")
print(f"feature maps after conv1 + ReLU: {maps.shape}, {np.mean(maps == 0):.0%} of them exactly 0")

# %% [markdown]
# ## Read the source
# - `scratchnet/layers/conv.py`: `Conv2D`: the shapes W (C_out, C_in, KH, KW) and b (C_out,),
#   the output-size formula in the docstring, and how it hands the work to a kernel backend.
# - `scratchnet/kernels/conv_reference.py`: `forward`, the formula of this lesson written with
#   NumPy (patches gathered into a matrix, then one product), and `backward`, which gives
#   dL/dW by the same sum over positions and dL/dx by scattering back.
# - `scratchnet/layers/pooling.py` and `scratchnet/kernels/maxpool_reference.py`: max pooling,
#   whose backward sends each gradient to the position that held the maximum.
# - `scratchnet/datasets/cifar.py`: `load_cifar10` and `parse_batch`: the binary records
#   (1 label byte, then 1,024 red, 1,024 green and 1,024 blue bytes) and why the pickled
#   version is never read.
#
# ## Exercises
# ### Exercise 1
# The formula by hand. For a random x (2, 3, 5, 5) and a `Conv2D(3, 4, 3, padding=1)`, compute
# out[n, o, i, j] = b[o] + sum_c sum_u sum_v xp[n, c, i + u, j + v] W[o, c, u, v] with loops
# (xp: x padded with one ring of zeros, `np.pad`). Check: the largest difference from
# `layer.forward(x)` is below 1e-12.
#
# ### Exercise 2
# Gradcheck the pieces of the CNN: `gradcheck.check_layer` on `Conv2D(3, 4, 3, stride=2,
# padding=1)` with x (2, 3, 5, 5), and on `MaxPool2D(2)` with x (2, 3, 4, 4). Check: both
# reports pass (`report.passed`).
#
# ### Exercise 3
# Data augmentation. Train the MLP again on the training images together with copies shifted
# left and right by the lesson's STEP (three times the data, the same labels). Check, on the
# digits: its mean accuracy on the shifted test images rises by at least 0.15 over the MLP
# trained on the originals, while its accuracy on the unshifted test images stays above 0.85
# (on CIFAR-10 the solution checks only that the shifted accuracy rises). Compare it with the
# CNN's shifted accuracy.
# (Solutions: tutorials/solutions/16_cifar_cnn.py)
