"""Solutions to the exercises of tutorials/10_activations_initialization.py."""
import numpy as np

from scratchnet import initializers, lesson
from scratchnet.datasets import load_digits
from scratchnet.layers import Dense, Sigmoid
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.model import Sequential
from scratchnet.trace import trace

DEPTH, WIDTH = 10, 64
x_all, y_all = load_digits(flat=True)
x_all = (x_all - x_all.mean(axis=0)) / (x_all.std(axis=0) + 1e-8)
x, y = x_all[:512], y_all[:512]

# ----- Exercise 1: predict the std after 10 linear layers from fan_in * Var(W) ------------------
worst = 1.0
for init in ("xavier", "normal", "uniform"):
    factor = WIDTH * initializers.get(init)((WIDTH, WIDTH), rng=0).var()
    predicted = x.std() * factor ** (DEPTH / 2)
    stack = Sequential([Dense(WIDTH, WIDTH, init=init, rng=i) for i in range(DEPTH)])
    measured = stack.forward(x).std()
    off = max(predicted / measured, measured / predicted)
    worst = max(worst, off)
    print(f"{init:<8}: factor {factor:.4f}, predicted std {predicted:.3g}, measured "
          f"{measured:.3g} (off by x{off:.2f})")
lesson.check(1, "worst prediction error factor", worst, worst < 2)


# ----- Exercise 2: how deep can a Xavier sigmoid net be before "vanishing"? ---------------------
def sigmoid_net(depth):
    layers, width = [], x.shape[1]
    for i in range(depth):
        layers += [Dense(width, WIDTH, init="xavier", rng=i), Sigmoid()]
        width = WIDTH
    layers.append(Dense(width, 10, init="xavier", rng=99))
    return Sequential(layers)


ratios = {}
for depth in range(1, 7):
    tr = trace(sigmoid_net(depth), x, y, CategoricalCrossEntropy())
    ratios[depth] = tr.gradient_ratio()
    print(f"sigmoid depth {depth}: ratio {ratios[depth]:.3g} ({tr.gradient_verdict()})")
deepest = max(d for d, r in ratios.items() if r >= 0.01)
falls = min(ratios[d] / ratios[d + 1] for d in range(1, 6))
print(f"deepest sigmoid net that is not vanishing: {deepest} hidden layers; the ratio falls at "
      f"least x{falls:.1f} per layer")
lesson.check(2, "deepest non-vanishing Xavier sigmoid net (hidden layers)", deepest,
             deepest <= 4 and ratios[deepest + 1] < 0.01 and falls >= 3)

lesson.finish()
