# %% [markdown]
# # 24 - Data augmentation: more training images from the ones you have
#
# After this lesson you can
# - write a shift, a rotation, a shear or a zoom as one affine warp by inverse mapping, and
#   check it on a digit against plain array slicing and np.rot90;
# - compose random shifts, rotations, shears, noise and cutout into one pipeline and hand it
#   to `fit(augment=...)`, which changes only the training batches;
# - read the validation curves of a network trained on 150 digits with and without
#   augmentation, and say what augmentation changed;
# - say why a horizontal flip is the wrong augmentation for digits, and show it in numbers.
#
# Why: a network with many weights and few training images learns those images by heart.
# The course's AGA 0505 deck (lecture 11, "overfitting") names the two usual defences for
# image networks: dropout (tutorial 21) and data augmentation, which "multiplies" each image by
# training on variants of it: translations, rotations, shears, reflections. Each epoch the
# network sees a slightly different version of every training digit, so memorizing pixels no
# longer pays; what stays the same under the changes (the shape of a 3) is what it must learn.
#
# Run: `python tutorials/24_augmentation.py` (SCRATCHNET_FAST=1 for a quick run). Figures go to
# tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

from scratchnet import Sequential, lesson
from scratchnet import augment as A
from scratchnet.data import train_test_split
from scratchnet.datasets import load_digits
from scratchnet.kernels import warp_numba, warp_reference
from scratchnet.layers import Dense, Flatten, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam

EPOCHS = 100 if lesson.FAST else 200
SEEDS = (0,) if lesson.FAST else (0, 1, 2)      # full mode: three runs of each, averaged
N_TRAIN = 150

x, y = load_digits()                             # (1797, 1, 8, 8) in [0, 1], the NCHW layout
x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.5, stratify=True, rng=0)
x_train, y_train = x_train[:N_TRAIN], y_train[:N_TRAIN]
print(f"train {len(x_train)} digits, validation {len(x_val)}, each {x.shape[1:]} (C, H, W)")

# %% [markdown]
# ## A warp by inverse mapping
# A shift, a rotation, a shear and a zoom all move the point (row, column) of an image to
# M @ (row, column, 1), with a 3x3 matrix M whose last row is (0, 0, 1). To draw the moved
# image we walk over the OUTPUT pixels and ask where each one came from: it reads the source
# image at M^-1 @ (i, j, 1). That is inverse mapping. Pushing every source pixel forward
# instead leaves holes where the image stretches (the first lines below count them for a zoom
# by 2). The source point is rarely a whole
# pixel: "nearest" sampling takes the closest pixel, "bilinear" blends the four around it by
# their distances; points outside the image read a fill value (0, the paper's colour).
#
# `A.translation`, `A.rotation`, `A.shear` and `A.zoom` build the forward matrices (one per
# image), `A.inverse_2x3` inverts them, and `A.warp` samples. Four checks on one digit:

# %%
M = A.zoom([2.0], 8, 8)[0]                                # forward: a zoom by 2 about the centre
rows, cols = np.meshgrid(np.arange(8.0), np.arange(8.0), indexing="ij")
to = M @ np.stack([rows.ravel(), cols.ravel(), np.ones(64)])           # where each pixel goes
hit = np.zeros((8, 8), dtype=bool)
for r, c in np.floor(to[:2] + 0.5).astype(int).T:                      # pushed to the nearest
    if 0 <= r < 8 and 0 <= c < 8:
        hit[r, c] = True
print(f"zoom by 2, forward mapping: {hit.sum()} of 64 output pixels get a value; inverse "
      f"mapping: every output pixel reads one source point, 64 of 64")

digit = x_val[:1]                                                      # (1, 1, 8, 8)
same = A.warp(digit, A.inverse_2x3(np.eye(3)[None]))
print(f"identity matrix: the warp returns the digit exactly: {np.array_equal(same, digit)}")

right = A.warp(digit, A.inverse_2x3(A.translation([0.0], [1.0])))       # one column right
sliced = np.zeros_like(digit)
sliced[..., 1:] = digit[..., :-1]                                       # the same by slicing
print(f"shift one column right = slicing with a column of fill: max difference "
      f"{np.abs(right - sliced).max():.1e}")

turned = A.warp(digit, A.inverse_2x3(A.rotation([90.0], 8, 8)), order="nearest")
print(f"rotation by 90 degrees (nearest) = np.rot90: "
      f"{np.array_equal(turned, np.rot90(digit, 1, axes=(2, 3)))}")

half = A.warp(digit, A.inverse_2x3(A.translation([0.0], [0.5])))        # half a column right
blend = (digit[..., 1:] + digit[..., :-1]) / 2
print(f"half a column right (bilinear) = the mean of each pixel and its left neighbour: "
      f"max difference {np.abs(half[..., 1:] - blend).max():.1e}")

# %% [markdown]
# The last line is also a warning: on an 8x8 digit a fractional shift blurs, since every
# output pixel mixes two inputs. That is why the shifts below stay within half a pixel.
#
# The plain NumPy warp (`scratchnet/kernels/warp_reference.py`) is the definition; the numba
# kernel (`scratchnet/kernels/warp_numba.py`) does the same sums, in the same order, one image
# per thread. On 64 digits, each turned by its own random angle, they agree to the last bit:

# %%
rng = np.random.default_rng(0)
inverse = A.inverse_2x3(A.rotation(rng.uniform(-30, 30, 64), 8, 8))
ref = warp_reference.warp(x_val[:64], inverse)
fast = warp_numba.warp(x_val[:64], inverse)
print(f"numba warp against the NumPy reference, 64 turned digits: max difference "
      f"{np.abs(fast - ref).max():.1e}")

# %% [markdown]
# ## The transforms, and one pipeline for digits
# Each transform is a small class: `transform(x)` takes a batch (N, C, H, W) and returns a new
# one, with random parameters drawn per image from its own seeded generator. The geometric
# ones are the warp above with random matrices; `Compose` multiplies the matrices of
# neighbouring warps and samples once, so the digit is blurred once, not once per transform.
#
# The pipeline for digits: shifts of up to half a pixel, rotations and shears of up to 10
# degrees (handwriting slants), a little noise, and, for half of the digits, a 2x2 cutout
# (a hidden patch, so that no single pixel decides). No horizontal flip: see the next section.

# %%
def pipeline(seed):
    return A.Compose([A.RandomTranslate(0.5), A.RandomRotate(10), A.RandomShear(10),
                      A.GaussianNoise(0.05, clip=(0.0, 1.0)), A.Cutout(2, p=0.5)], rng=seed)


before = x_val.copy()
augmented = pipeline(0)(x_val)
print(f"augmenting the {len(x_val)} validation digits: shape {augmented.shape}, the input "
      f"unchanged: {np.array_equal(x_val, before)}; mean |change| per pixel "
      f"{np.abs(augmented - x_val).mean():.3f}")

shown = [("original", digit),
         ("RandomTranslate(0.5)", A.RandomTranslate(0.5, rng=1)(digit)),
         ("RandomRotate(10)", A.RandomRotate(10, rng=1)(digit)),
         ("RandomShear(10)", A.RandomShear(10, rng=1)(digit)),
         ("RandomZoom(0.1)", A.RandomZoom(0.1, rng=3)(digit)),
         ("horizontal flip", A.RandomHorizontalFlip(p=1.0)(digit)),
         ("Cutout(2)", A.Cutout(2, rng=2)(digit)),
         ("GaussianNoise(0.05)", A.GaussianNoise(0.05, rng=1, clip=(0.0, 1.0))(digit))]
many = pipeline(7)(np.repeat(digit, 4, axis=0))
shown += [(f"pipeline, draw {k + 1}", many[k:k + 1]) for k in range(4)]
fig = Figure(figsize=(13, 5.6))
for k, (title, img) in enumerate(shown):
    ax = fig.add_subplot(2, 6, k + 1)
    im = ax.imshow(img[0, 0], cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
fig.supxlabel("column (8 pixels)")
fig.supylabel("row (8 pixels)")
fig.suptitle(f"one validation digit (a {y_val[0]}) beside its augmentations")
fig.subplots_adjust(left=0.05, right=0.9, top=0.88, bottom=0.08, wspace=0.15, hspace=0.3)
fig.colorbar(im, cax=fig.add_axes([0.92, 0.15, 0.015, 0.65]), label="ink (0 = paper, 1 = black)")
lesson.save(fig, "24_augmentations.png")

# %% [markdown]
# ## Why not a horizontal flip for digits
# An augmentation must keep the label: a shifted 3 is still a 3. A mirrored 3 is not a digit
# at all (it is an epsilon), and a mirrored 7 points the wrong way. A horizontal flip suits
# photographs of cats or galaxies, whose mirror image is as likely as the original; it is
# wrong for writing.
#
# A check that needs no network: the mean image of each class over the 150 training digits,
# and for each validation digit the class whose mean is nearest. If the changed digits were
# still good examples of their class, they would still be nearest to it.

# %%
means = np.stack([x_train[y_train == k].mean(axis=0) for k in range(10)])   # (10, 1, 8, 8)


def nearest_mean(xs):
    """The class whose mean image is nearest to each image (squared distance): (N,)."""
    return ((xs[:, None] - means[None]) ** 2).sum(axis=(2, 3, 4)).argmin(axis=1)


flipped = A.RandomHorizontalFlip(p=1.0)(x_val)
hits = {name: nearest_mean(xs) == y_val
        for name, xs in [("original", x_val), ("augmented", augmented), ("flipped", flipped)]}
print("nearest class mean, share of validation digits in their own class: " + ", ".join(
    f"{name} {h.mean():.3f}" for name, h in hits.items()))
print("flipped, per digit 0-9: " + " ".join(
    f"{k}:{hits['flipped'][y_val == k].mean():.2f}" for k in range(10)))
print(f"flipped 2, 3, 5, 6, 7 still nearest their own class: at most "
      f"{max(hits['flipped'][y_val == k].mean() for k in (2, 3, 5, 6, 7)):.2f}")

# %% [markdown]
# The augmented digits mostly keep their class; the flipped ones mostly do not. The 0, 4 and 8
# survive the mirror, while the 2, 3, 5, 6 and 7 almost never do: a flip would teach the
# network that those mirrored shapes are digits too. Exercise 3 measures what that costs.
#
# ## 150 training digits, with and without augmentation
# Tutorial 21's overfitting network: a 64-256-256-10 MLP (85,002 weights) on 150 digits,
# Adam, batch 32. It is trained twice from the same start, once on the plain digits and once
# with `augment=pipeline(seed)`: `fit` applies the pipeline to a copy of every training batch,
# so each epoch sees new variants, and never to the validation digits, which it measures as
# they are.

# %%
def mlp(seed):
    return Sequential([Flatten(), Dense(64, 256, rng=seed), ReLU(),
                       Dense(256, 256, rng=seed + 1), ReLU(), Dense(256, 10, rng=seed + 2)])


print(f"weights in the MLP: {mlp(0).n_params:,}")
runs = {"plain": [], "augmented": []}
for seed in SEEDS:
    for name in runs:
        h = mlp(10 * seed).fit(x_train, y_train, loss=CategoricalCrossEntropy(),
                               optimizer=Adam(1e-3), epochs=EPOCHS, batch_size=32,
                               validation_data=(x_val, y_val), rng=seed, verbose=0,
                               augment=pipeline(seed) if name == "augmented" else None)
        runs[name].append(h)
        val = np.array(h["val_loss"])
        print(f"seed {seed}, {name}: final train loss {h['loss'][-1]:.4f}, lowest val loss "
              f"{val.min():.3f} at epoch {val.argmin() + 1}, val accuracy (mean of the last 10 "
              f"epochs) {np.mean(h['val_accuracy'][-10:]):.3f}")


def mean_over_runs(name, fn):
    return float(np.mean([fn(h) for h in runs[name]]))


summary = {name: {"best": mean_over_runs(name, lambda h: min(h["val_loss"])),
                  "acc": mean_over_runs(name, lambda h: np.mean(h["val_accuracy"][-10:])),
                  "train": mean_over_runs(name, lambda h: h["loss"][-1]),
                  "gap": mean_over_runs(name, lambda h: np.mean(h["val_loss"][-10:])
                                        - np.mean(h["loss"][-10:]))} for name in runs}
p, a = summary["plain"], summary["augmented"]
print(f"mean of {len(SEEDS)} run(s), {EPOCHS} epochs:")
print(f"lowest validation loss: plain {p['best']:.3f}, augmented {a['best']:.3f}")
print(f"validation accuracy (last 10 epochs): plain {p['acc']:.3f}, augmented {a['acc']:.3f}")
print(f"final training loss: plain {p['train']:.4f}, augmented {a['train']:.4f}")
print(f"gap val - train loss (last 10 epochs): plain {p['gap']:.3f}, augmented {a['gap']:.3f}")
late = [(h["loss"][19] / h["loss"][-1], 1 - min(h["val_loss"][20:]) / h["val_loss"][19])
        for h in runs["plain"]]
print(f"plain, after epoch 20: the training loss falls {np.mean([r for r, _ in late]):.0f}x "
      f"more, the validation loss at best {100 * np.mean([g for _, g in late]):.0f}% more")

# %% [markdown]
# Read the numbers above as the curves below show them. On the plain digits the training loss
# falls to almost nothing: the network has memorized its 150 digits. After epoch 20 its
# training loss still falls many times over, but its validation loss hardly moves: what it
# learns from then on is those 150 digits, not digits. With augmentation the training loss
# (which fit measures on the augmented batches it trains on) stays well above that: the
# network never sees the same digit twice. The lowest validation loss is lower, the
# validation accuracy of the last epochs is higher, and the gap between validation and
# training loss, the mark of overfitting, is much smaller. The accuracy gains least (one or
# two validation digits in a hundred); the loss, which also scores how sure each answer is,
# shows the change more clearly.

# %%
fig = Figure(figsize=(14, 4.2))
first = {name: hs[0] for name, hs in runs.items()}
epochs = np.arange(1, EPOCHS + 1)
ax0 = None
for k, (name, h) in enumerate(first.items()):
    ax = fig.add_subplot(1, 3, k + 1, sharey=ax0)
    ax0 = ax0 or ax
    ax.plot(epochs, h["loss"], label="training loss")
    ax.plot(epochs, h["val_loss"], label="validation loss")
    best = int(np.argmin(h["val_loss"]))
    ax.plot(best + 1, h["val_loss"][best], "o", color="black", label="lowest validation loss")
    ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="cross-entropy (log scale)",
           title=f"{name} training digits (seed {SEEDS[0]})")
    ax.legend(loc="lower left", fontsize=8)
ax = fig.add_subplot(1, 3, 3)
for name, h in first.items():
    ax.plot(epochs, h["val_accuracy"], label=name)
ax.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0.6, 1.0),
       title=f"validation accuracy ({len(x_val)} digits)")
ax.legend(loc="lower right")
fig.suptitle(f"{N_TRAIN} training digits, a 64-256-256-10 MLP: augmentation against overfitting")
fig.subplots_adjust(top=0.84, wspace=0.3)
lesson.save(fig, "24_validation_curves.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/kernels/warp_reference.py`: `warp`, the inverse mapping in NumPy, with the
#   sampling rules in the module docstring (which pixel "nearest" takes, the four bilinear
#   weights, what a point outside the image reads, and why a weight of exactly 0 reads
#   nothing, so that a NaN pixel does not spread to pixels that do not use it).
# - `scratchnet/kernels/warp_numba.py`: the same loops compiled, `prange` over images; the
#   source point and weights are computed once per pixel and reused for every channel.
#   `benchmarks/bench_augment.py` times it against the reference and torch's grid_sample.
# - `scratchnet/augment.py`: `rotation`, `shear`, `zoom` (each a matrix taken about the image
#   centre by `_centred`), `_Affine.matrices` (identity for the images left alone with
#   probability 1 - p), and `Compose.__call__`, which multiplies neighbouring matrices and
#   warps once.
# - `scratchnet/model.py`: `_train_epoch` calls `augment` on each training batch (a copy made by
#   fancy indexing) and `_augmented` checks what comes back; `_measure`, which scores the
#   validation data, never sees it.
#
# ## Exercises
# ### Exercise 1
# Write the inverse matrix of a zoom by 2 about the centre of an 8x8 image yourself (output
# pixel (i, j) reads the source point c + ((i, j) - c) / 2, with c = (3.5, 3.5)), warp a batch of
# digits with it and order="nearest", and check that the result is exactly the central 4x4
# block of each digit with every pixel repeated twice in each direction
# (`x[..., 2:6, 2:6].repeat(2, axis=2).repeat(2, axis=3)`).
#
# ### Exercise 2
# Write a new transform, `RandomContrast(lo, hi)`, as a subclass of `A.Transform` whose
# `_apply(x, chosen)` multiplies each chosen image by its own factor drawn uniformly from
# [lo, hi]. Check on the validation digits with (0.7, 1.3): the shape and dtype are kept, the
# input is unchanged, every image's ratio to the original lies in [0.7, 1.3], and the same seed
# gives the same batch.
#
# ### Exercise 3
# Add `A.RandomHorizontalFlip(0.5)` to the end of the pipeline and train the same MLP on the
# same 150 digits. Check that its validation accuracy (mean of the last 10 epochs) is lower
# than with the pipeline alone, and that it now reads flipped validation digits far better
# (above 0.6): it has learned mirrored shapes as digits, at the price of real ones.
# Solutions: tutorials/solutions/24_augmentation.py.
