"""Solutions to the exercises of tutorials/08_playground.py."""
import numpy as np

from scratchnet import lesson
from scratchnet.data import train_test_split
from scratchnet.datasets import spirals
from scratchnet.layers import Dense, ReLU, Sigmoid, Tanh
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.model import Sequential
from scratchnet.optimizers import Momentum
from scratchnet.trace import trace


def make_net(n_classes, hidden, activation, seed=0):
    """As in the tutorial: He init for ReLU, Xavier otherwise, Xavier for the logits."""
    init = "he" if activation is ReLU else "xavier"
    layers, width = [], 2
    for i, h in enumerate(hidden):
        layers += [Dense(width, h, init=init, rng=seed + i), activation()]
        width = h
    layers.append(Dense(width, n_classes, init="xavier", rng=seed + 99))
    return Sequential(layers)


def epochs_to(accuracy, level=0.95):
    hits = np.flatnonzero(np.asarray(accuracy) >= level)
    return int(hits[0]) + 1 if hits.size else float("inf")


x, y = spirals(n=300, k=3, noise=0.2, rng=0)
x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, stratify=True, rng=0)

# ----- Exercise 1: the activation race with Momentum(0.05) instead of Adam --------------------
race = {}
for act in (ReLU, Tanh, Sigmoid):
    net = make_net(3, [32, 32], act)
    history = net.fit(x_tr, y_tr, loss=CategoricalCrossEntropy(), optimizer=Momentum(0.05),
                      epochs=300, batch_size=32, verbose=0, rng=0)
    race[act.__name__] = epochs_to(history["accuracy"])
    print(f"Momentum(0.05), 2x32-{act.__name__.lower()}: {race[act.__name__]} epochs to 95%")
ordered = race["ReLU"] < race["Tanh"] < race["Sigmoid"]
factor = race["Sigmoid"] / race["ReLU"]
lesson.check(1, "sigmoid/ReLU epochs to 95% with Momentum", factor, ordered and factor >= 8)

# ----- Exercise 2: deeper sigmoid nets, traced --------------------------------------------------
ratios = {}
for depth in (2, 3, 4):
    tr = trace(make_net(3, [32] * depth, Sigmoid), x, y, CategoricalCrossEntropy())
    ratios[depth] = tr.gradient_ratio()
    print(f"{depth}x32-sigmoid: gradient ratio {ratios[depth]:.4f} ({tr.gradient_verdict()})")
    if depth == 3:
        verdict3 = tr.gradient_verdict()
smallest_drop = min(ratios[d] / ratios[d + 1] for d in (2, 3))
lesson.check(2, "smallest drop of the ratio per extra sigmoid layer", smallest_drop,
             smallest_drop >= 3 and verdict3 == "vanishing")

lesson.finish()
