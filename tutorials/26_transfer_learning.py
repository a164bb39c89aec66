# %% [markdown]
# # 26 - Transfer learning: reuse a trained network, and measure whether it pays
#
# After this lesson you can
# - pretrain a network, save it, reload it into a new model, and put a new head on it;
# - freeze layers (`layer.freeze()`), so that their weights do not move while the rest trains,
#   and fine-tune all of it afterwards with a lower learning rate;
# - measure transfer honestly: against training from scratch on the same few labels, over
#   several seeds, with the spread;
# - say which layers carry over between tasks (the early, general ones) and which do not.
#
# Why: labels are expensive. The course (the TensorFlow deck, "transfer learning") takes a
# network trained on a large task and reuses its layers for a new task with few labels. Here the
# large task is the digits 0-4 and the new task is telling apart the digits 5-9 from a handful of
# labelled examples. Whether it helps is not a matter of belief: it depends on whether the
# reused features are what the new task needs, and we measure it.
#
# Run: `python tutorials/26_transfer_learning.py` (SCRATCHNET_FAST=1 for a quick run).
# Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import copy

import numpy as np
from matplotlib.figure import Figure

from scratchnet import Sequential, lesson
from scratchnet.datasets import load_digits
from scratchnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam

SEEDS = 4 if lesson.FAST else 8
EPOCHS = 40                         # on the few labels of the new task
LABELS_PER_CLASS = (2, 10)

# %% [markdown]
# ## The two tasks
# The source task: digits 0-4, about 900 images, all labelled. The target task: digits 5-9
# (relabelled 0-4), with only a few labelled images per class to learn from; the rest of the
# 5-9 images (about 850) measure the result.

# %%
x, y = load_digits()                                 # (1797, 1, 8, 8), labels 0-9
source = y < 5
x_src, y_src = x[source], y[source]
x_tgt, y_tgt = x[~source], y[~source] - 5
print(f"source task: {len(x_src)} images of 0-4; target task: {len(x_tgt)} images of 5-9")


def cnn(seed):
    """conv 1->16 (3x3), ReLU, pool, conv 16->32, ReLU, pool, Flatten, Dense(128, 5)."""
    return Sequential([Conv2D(1, 16, 3, padding=1, rng=seed), ReLU(), MaxPool2D(2),
                       Conv2D(16, 32, 3, padding=1, rng=seed + 1), ReLU(), MaxPool2D(2),
                       Flatten(), Dense(128, 5, rng=seed + 2)])


# %% [markdown]
# ## Pretrain, save, reload
# The pretrained network is saved to an .npz file and loaded into a freshly built one, as a
# student would reuse a network trained by someone else.

# %%
pretrained = cnn(0)
history = pretrained.fit(x_src, y_src, loss=CategoricalCrossEntropy(), optimizer=Adam(3e-3),
                         epochs=15, batch_size=32, rng=0, verbose=0)
print(f"pretrained on 0-4: training accuracy {history['accuracy'][-1]:.3f}")
weights = lesson.out_path("26_pretrained.npz")
pretrained.save(weights)
reloaded = cnn(123).load(weights)
print(f"reloaded network predicts the same: "
      f"{np.array_equal(reloaded.predict(x_src[:50]), pretrained.predict(x_src[:50]))}")

# %% [markdown]
# ## Four ways to learn the new task from few labels
# - **scratch**: a new network, every weight random.
# - **frozen features, new head**: the reloaded network with its last layer replaced by a new
#   Dense(128, 5); everything before it frozen (`freeze(eval_mode=True)`): only the 645
#   weights of the head learn.
# - **then fine-tuned**: that network after its head has learned, unfrozen and trained a little
#   more, all of it, with a learning rate ten times lower (large steps would wreck the
#   pretrained features).
# - **frozen first conv only**: keep just the first convolution (its 16 filters: edges and
#   strokes), freeze it, and train everything after it from a fresh start.
#
# The same labelled images for every way, drawn anew for each seed.

# %%
def new_head(model, seed):
    """The same layers, with a fresh last Dense layer."""
    return Sequential([*model.layers[:-1], Dense(128, 5, rng=1000 + seed)])


def fit(model, xs, ys, lr, seed, epochs=EPOCHS):
    model.fit(xs, ys, loss=CategoricalCrossEntropy(), optimizer=Adam(lr), epochs=epochs,
              batch_size=10, rng=seed, verbose=0)
    return model


def four_ways(xs, ys, x_rest, y_rest, seed):
    """Test accuracy of each way on the target images outside the labelled few (x_rest)."""
    scratch = fit(cnn(50 + seed), xs, ys, 3e-3, seed)
    head = new_head(copy.deepcopy(reloaded), seed)
    for layer in head.layers[:-1]:
        layer.freeze(eval_mode=True)
    fit(head, xs, ys, 1e-2, seed)
    frozen_acc = head.evaluate(x_rest, y_rest)["accuracy"]
    for layer in head.layers[:-1]:
        layer.unfreeze()
    fit(head, xs, ys, 3e-4, seed, epochs=EPOCHS // 2)
    first_conv = copy.deepcopy(reloaded.layers[0]).freeze()
    early = Sequential([first_conv, *cnn(300 + seed).layers[1:]])   # fresh after it
    fit(early, xs, ys, 3e-3, seed)
    return {"scratch": scratch.evaluate(x_rest, y_rest)["accuracy"],
            "frozen features, new head": frozen_acc,
            "then fine-tuned": head.evaluate(x_rest, y_rest)["accuracy"],
            "frozen first conv only": early.evaluate(x_rest, y_rest)["accuracy"]}


results = {}
for per_class in LABELS_PER_CLASS:
    runs = []
    for seed in range(SEEDS):
        rng = np.random.default_rng(seed)
        few = np.concatenate([rng.choice(np.flatnonzero(y_tgt == k), per_class, replace=False)
                              for k in range(5)])
        rest = np.setdiff1d(np.arange(len(y_tgt)), few)
        runs.append(four_ways(x_tgt[few], y_tgt[few], x_tgt[rest], y_tgt[rest], seed))
    results[per_class] = {way: np.array([r[way] for r in runs]) for way in runs[0]}
    print(f"{per_class} labels per class, {SEEDS} seeds: test accuracy mean +- std")
    for way, acc in results[per_class].items():
        print(f"  {way:27} {acc.mean():.3f} +- {acc.std():.3f}   "
              f"(per seed: {' '.join(f'{a:.2f}' for a in acc)})")

# %% [markdown]
# Read the table the way it was measured, seed by seed, not by the means alone. On these 8x8
# digits a network trained from scratch on 50 labels is already good, and the frozen features
# of the 0-4 network do worse than learning from scratch: the layers near the output learned
# what separates 0-4, not what separates 5-9. Fine-tuning recovers part of the gap. Keeping
# only the first convolution, whose filters find edges and strokes in any digit, does better
# than keeping all the features: early layers are general, later ones specific to the task
# they were trained on. Transfer pays on big networks pretrained on big, varied data sets
# (ImageNet and the like), whose features cover far more than the new task needs.

# %%
mean = {k: {way: acc.mean() for way, acc in v.items()} for k, v in results.items()}
for per_class in LABELS_PER_CLASS:
    m = mean[per_class]
    print(f"{per_class} per class: first conv only minus all features frozen: "
          f"{m['frozen first conv only'] - m['frozen features, new head']:+.3f}; "
          f"fine-tuning minus frozen: {m['then fine-tuned'] - m['frozen features, new head']:+.3f}")
big = max(LABELS_PER_CLASS)
print(f"{big} per class: scratch minus frozen features: "
      f"{mean[big]['scratch'] - mean[big]['frozen features, new head']:+.3f}")

fig = Figure(figsize=(10, 4.5))
ax = fig.add_subplot(1, 1, 1)
ways = list(results[LABELS_PER_CLASS[0]])
colors = ["#7f7f7f", "#1f77b4", "#2ca02c", "#d62728"]
for j, per_class in enumerate(LABELS_PER_CLASS):
    for i, way in enumerate(ways):
        acc = results[per_class][way]
        pos = j * (len(ways) + 1) + i
        ax.bar(pos, acc.mean(), yerr=acc.std(), color=colors[i], capsize=4,
               label=way if j == 0 else None)
        ax.plot(np.full(len(acc), pos), acc, "k.", ms=4)
ax.set_xticks([j * (len(ways) + 1) + (len(ways) - 1) / 2 for j in range(len(LABELS_PER_CLASS))],
              [f"{p} labels per class" for p in LABELS_PER_CLASS])
ax.set(xlabel="labelled images of the new task", ylabel="test accuracy on digits 5-9",
       ylim=(0.5, 1.0), title=f"transfer from digits 0-4 to 5-9: mean, spread and each of "
                              f"{SEEDS} seeds")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
lesson.save(fig, "26_transfer.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/layers/base.py`: `freeze(eval_mode=...)` and `unfreeze`. A frozen layer is
#   skipped by every optimizer (`scratchnet/optimizers.py`, `Optimizer.step` walks
#   `iter_layers(model, trainable_only=True)`), but backward still runs through it, so layers
#   before it could still learn. `eval_mode=True` keeps it in eval mode through `fit`.
# - `scratchnet/model.py`: `Sequential.save` and `load` (parameters and buffers, checked
#   before anything is assigned), and `model[a:b]` / `model.layers` to take a network apart.
#
# ## Exercises
# ### Exercise 1
# Check that freezing works: after training the new head of the reloaded network on 10 labels
# per class, every weight of the frozen layers is bit-identical to the reloaded ones, and the
# head's weights have moved. Check: both hold.
#
# ### Exercise 2
# Is it the pretraining that helps the "frozen first conv only" way, or just having fewer
# weights to learn? Replace the pretrained first convolution by a random one (frozen too) and
# compare on 2 labels per class over 4 seeds. Check: the pretrained first conv gives a higher
# mean accuracy than the random one.
# Solutions: tutorials/solutions/26_transfer_learning.py.
