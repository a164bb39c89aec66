"""Solutions to the exercises of tutorials/26_transfer_learning.py."""
import copy

import numpy as np

from scratchnet import Sequential, lesson
from scratchnet.datasets import load_digits
from scratchnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam

x, y = load_digits()
x_src, y_src, x_tgt, y_tgt = x[y < 5], y[y < 5], x[y >= 5], y[y >= 5] - 5


def cnn(seed):
    return Sequential([Conv2D(1, 16, 3, padding=1, rng=seed), ReLU(), MaxPool2D(2),
                       Conv2D(16, 32, 3, padding=1, rng=seed + 1), ReLU(), MaxPool2D(2),
                       Flatten(), Dense(128, 5, rng=seed + 2)])


def fit(model, xs, ys, lr, seed, epochs=40):
    model.fit(xs, ys, loss=CategoricalCrossEntropy(), optimizer=Adam(lr), epochs=epochs,
              batch_size=10, rng=seed, verbose=0)
    return model


pretrained = fit(cnn(0), x_src, y_src, 3e-3, 0, epochs=15)


def few_labels(per_class, seed):
    rng = np.random.default_rng(seed)
    few = np.concatenate([rng.choice(np.flatnonzero(y_tgt == k), per_class, replace=False)
                          for k in range(5)])
    rest = np.setdiff1d(np.arange(len(y_tgt)), few)
    return x_tgt[few], y_tgt[few], x_tgt[rest], y_tgt[rest]


# Exercise 1: frozen layers do not move, the new head does.
model = Sequential([*copy.deepcopy(pretrained).layers[:-1], Dense(128, 5, rng=7)])
for layer in model.layers[:-1]:
    layer.freeze(eval_mode=True)
frozen_before = {k: v.copy() for k, v in Sequential(model.layers[:-1]).parameters().items()}
head_before = model.layers[-1].params["W"].copy()
xs, ys, _, _ = few_labels(10, 0)
fit(model, xs, ys, 1e-2, 0)
unchanged = all(np.array_equal(v, Sequential(model.layers[:-1]).parameters()[k])
                for k, v in frozen_before.items())
moved = not np.array_equal(head_before, model.layers[-1].params["W"])
lesson.check(1, "frozen weights unchanged and head moved", f"{unchanged} and {moved}",
             unchanged and moved)

# Exercise 2: the pretrained first conv against a random one, both frozen.
scores = {"pretrained": [], "random": []}
for seed in range(4):
    xs, ys, x_rest, y_rest = few_labels(2, seed)
    for name, first in (("pretrained", copy.deepcopy(pretrained.layers[0])),
                        ("random", Conv2D(1, 16, 3, padding=1, rng=900 + seed))):
        net = Sequential([first.freeze(), *cnn(300 + seed).layers[1:]])
        fit(net, xs, ys, 3e-3, seed)
        scores[name].append(net.evaluate(x_rest, y_rest)["accuracy"])
mean = {k: float(np.mean(v)) for k, v in scores.items()}
print(f"2 labels per class, first conv frozen: pretrained {mean['pretrained']:.3f}, "
      f"random {mean['random']:.3f}")
lesson.check(2, "pretrained minus random first conv", mean["pretrained"] - mean["random"],
             mean["pretrained"] > mean["random"])
lesson.finish()
