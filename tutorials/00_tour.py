# %% [markdown]
# # 00 - A tour of scratchnet in one page
#
# After this lesson you can
# - load the 8x8 handwritten digits that ship with scratchnet and split them into a training
#   and a test set;
# - build a small convolutional network (CNN) from layers, and prove its gradients with
#   gradcheck before training it;
# - train it, measure it on digits it never saw, save it and load it back;
# - read its learning curve and its confusion matrix, and look at the digits it gets wrong.
#
# Why: every later tutorial opens one of these boxes (the chain rule, a Dense layer, a loss,
# an optimizer, a convolution, the kernels that make it fast). Seeing the whole loop once
# first tells you where each box sits, and that the loop fits on one page: data, model,
# gradient check, training, a number on the test set, a picture.
#
# Run: `python tutorials/00_tour.py` (SCRATCHNET_FAST=1 trains for fewer epochs). Figures go to
# tutorials/out/ (or $SCRATCHNET_OUT). The first run after installing compiles scratchnet's
# numba kernels (several seconds, once; tutorial 20 shows what is compiled and cached).

# %%
import numpy as np
from matplotlib.figure import Figure

import gradcheck
from scratchnet import Sequential, lesson
from scratchnet.callbacks import ProgressBar
from scratchnet.data import train_test_split
from scratchnet.datasets import load_digits
from scratchnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam
from scratchnet.plot import confusion_matrix, plot_confusion_matrix, plot_image_grid

EPOCHS = 15 if lesson.FAST else 30     # passes over the training set
LR = 0.005                             # Adam's learning rate

# %% [markdown]
# ## The data: 1,797 handwritten digits of 8x8 pixels
# x: (N, 1, 8, 8), one grey channel per image, values in [0, 1]; y: (N,) the digit, 0..9.
# (They come from the UCI repository and ship inside the package, so no download.)
# A quarter is kept aside as the test set, with the same share of each digit
# (stratify=True): the model never trains on it, so it measures what the model learned
# rather than what it memorised.

# %%
x, y = load_digits()
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=True, rng=0)
print(f"data: x {x.shape}, y {y.shape}, digits per class {np.bincount(y).tolist()}")
print(f"train {len(x_train)} images, test {len(x_test)} images")

# %% [markdown]
# ## The model: two convolutions, then one Dense layer
# A Conv2D slides small 3x3 filters over the image and gives one map per filter; ReLU keeps
# the positive part, max(x, 0); MaxPool2D(2) keeps the largest of each 2x2 block, halving
# the size. The last layer gives 10 scores per image (logits), one per digit:
#
#     (N, 1, 8, 8) -> Conv2D 8@3x3, pad 1 -> (N, 8, 8, 8) -> MaxPool -> (N, 8, 4, 4)
#                  -> Conv2D 16@3x3, pad 1 -> (N, 16, 4, 4) -> MaxPool -> (N, 16, 2, 2)
#                  -> Flatten -> (N, 64) -> Dense -> (N, 10)
#
# CategoricalCrossEntropy() takes the logits and the integer labels; it applies the softmax
# inside, in a numerically stable way (log-sum-exp).

# %%
model = Sequential([Conv2D(1, 8, 3, padding=1, rng=0), ReLU(), MaxPool2D(2),
                    Conv2D(8, 16, 3, padding=1, rng=1), ReLU(), MaxPool2D(2),
                    Flatten(), Dense(64, 10, rng=2)])
loss = CategoricalCrossEntropy()
print(model.summary(input_shape=(1, 8, 8)))

# %% [markdown]
# ## Prove the gradients before trusting them
# gradcheck nudges every parameter (and every input pixel) by a tiny step, measures how the
# loss changes, and compares that with what backward computed: one row per tensor. Three
# images are enough, since a wrong formula is wrong on any input. One detail: blank pixels
# are exactly 0 and the biases start at 0, so many ReLU inputs would sit exactly at 0, the
# kink where ReLU has no derivative. A little noise (at most 0.01) moves them off it.

# %%
x_check = x_train[:3] + 0.01 * np.random.default_rng(0).random(x_train[:3].shape)
report = gradcheck.check_model(model, loss, x_check, y_train[:3])
print(report)
print(f"gradcheck: {report.status}")

# %% [markdown]
# ## Train
# fit repeats, batch by batch: forward, loss, backward, optimizer step. batch_size=32 on
# 1,347 images means 43 updates per epoch (42 batches of 32 and one of 3), each epoch in a
# new random order. The progress bar prints a line every few epochs.

# %%
history = model.fit(x_train, y_train, loss=loss, optimizer=Adam(LR), epochs=EPOCHS,
                    batch_size=32, rng=0,
                    callbacks=[ProgressBar(every=max(1, EPOCHS // 5), bar=False)])
print(f"updates: {len(history.batch_loss)} ({EPOCHS} epochs)")

# %% [markdown]
# ## Measure on digits the model never saw
# evaluate runs in eval mode and returns the mean loss and the accuracy.

# %%
train_scores = model.evaluate(x_train, y_train)
test_scores = model.evaluate(x_test, y_test)
predicted = model.predict(x_test).argmax(axis=1)
wrong = np.flatnonzero(predicted != y_test)
print(f"train accuracy: {train_scores['accuracy']:.3f}")
print(f"test loss: {test_scores['loss']:.4f}")
print(f"test accuracy: {test_scores['accuracy']:.3f}")
print(f"test digits wrong: {len(wrong)} of {len(y_test)}")

# %% [markdown]
# ## Save, then load into a freshly built model
# The weights go to an .npz file (no pickle), written atomically. A new model with the same
# layers but other random weights predicts exactly the same after loading them.

# %%
weights = lesson.out_path("00_tour_weights.npz")
model.save(weights)
twin = Sequential([Conv2D(1, 8, 3, padding=1, rng=10), ReLU(), MaxPool2D(2),
                   Conv2D(8, 16, 3, padding=1, rng=11), ReLU(), MaxPool2D(2),
                   Flatten(), Dense(64, 10, rng=12)])
twin.load(weights)
same = bool(np.array_equal(twin.predict(x_test), model.predict(x_test)))
print(f"reloaded model predicts the same: {same}")

# %% [markdown]
# ## The pictures
# Left: the loss of every mini-batch (noisy) and its mean per epoch, on a log axis since it
# falls by decades. Right: the confusion matrix of the test set, C[true, predicted]; the
# correct answers sit on the diagonal, and every count off it is a mistake.

# %%
C = confusion_matrix(y_test, predicted, k=10)
off = C - np.diag(np.diag(C))                                # the mistakes only
most = [f"{t} read as {p}" for t, p in zip(*np.nonzero((off == off.max()) & (off > 0)))]
print(f"confusion matrix: {np.trace(C)} on the diagonal, {off.sum()} off it; most common "
      f"mistakes ({off.max()} times each): {', '.join(most) or 'none'}")

fig = Figure(figsize=(12, 4.8), layout="constrained")
ax_loss, ax_cm = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
per_epoch = len(history.batch_loss) // len(history.epoch)
ax_loss.plot(np.arange(1, len(history.batch_loss) + 1), history.batch_loss, lw=0.6, alpha=0.6,
             label="one batch")
ax_loss.plot(np.arange(1, len(history.epoch) + 1) * per_epoch, history["loss"], lw=2,
             label="epoch mean")
ax_loss.legend(loc="upper right")
ax_loss.set_xlabel("update")
ax_loss.set_ylabel("cross-entropy")
ax_loss.set_yscale("log")
ax_loss.set_title("training loss per update")
plot_confusion_matrix(y_test, predicted, class_names=[str(d) for d in range(10)], ax=ax_cm)
fig.colorbar(ax_cm.images[0], ax=ax_cm, label="test images")
ax_cm.set_title(f"test set: accuracy {test_scores['accuracy']:.3f}")
lesson.save(fig, "00_tour.png")

# %% [markdown]
# The digits it got wrong (the first 12), each captioned with its true label and the
# model's answer. Would you have read each of them right, at 8x8 pixels?

# %%
shown = wrong[:12] if len(wrong) else np.arange(6)
lesson.save(plot_image_grid(x_test[shown], ncols=6, colorbar=True, colorbar_label="pixel value",
                            labels=[f"true {y_test[i]}, said {predicted[i]}" for i in shown],
                            title="test digits the model got wrong"), "00_mistakes.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/model.py`: `Sequential.fit` is the loop of the "Train" cell (forward, loss,
#   backward, optimizer step, per batch); `evaluate`, `save` and `load` are below it.
# - `scratchnet/layers/conv.py`: `Conv2D.forward` and `backward`, which call the kernels in
#   `scratchnet/kernels/conv_reference.py` (the plain NumPy loops to read; tutorial 15
#   derives them).
# - `scratchnet/losses.py`: `CategoricalCrossEntropy`, softmax and log-sum-exp.
# - `gradcheck/checks.py`: `check_model`, the finite differences behind the report above.
#
# ## Exercises
# ### Exercise 1
# gradcheck catches bugs. Write a Layer `Double` (y = 2 x, no parameters) whose backward
# forgets the factor: `return dy`. Put it after the Flatten of the model above and run
# gradcheck.check_model. Check: the report says FAIL, its hint names a ratio of 0.5, and
# the failing rows are the tensors before Double (dx and both Conv2D) while the Dense after it
# passes, which says where the bug is; after fixing backward (`return 2 * dy`) it says PASS.
#
# ### Exercise 2
# A network without convolutions: Flatten, Dense(64, 32), ReLU, Dense(32, 10). Train it the
# same way (Adam(0.005), batch 32, EPOCHS epochs) and compare its number of parameters and its
# test accuracy with the CNN's. Check: its test accuracy is above 0.9.
# (Solutions: tutorials/solutions/00_tour.py)
