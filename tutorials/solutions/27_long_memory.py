"""Solutions to the exercises of tutorials/27_long_memory.py."""
import numpy as np

import gradcheck
from scratchnet import Sequential, lesson
from scratchnet.layers import GRU, Dense, Embedding, SimpleRNN
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import SGD


def match_task(n, length, rng):
    first = rng.integers(1, 3, size=n)
    same = rng.random(n) < 0.5
    last = np.where(same, first, 3 - first)
    middle = rng.integers(3, 8, size=(n, length - 2))
    return np.concatenate([first[:, None], middle, last[:, None]], axis=1), same.astype(np.int64)


# Exercise 1: the GRU's update gate keeps the gradient when it starts near 1.
x_probe, y_probe = match_task(200, 60, np.random.default_rng(99))


def gru_ratio(z_bias):
    layer = GRU(8, 16, rng=1)
    if z_bias is not None:
        layer.params["b"][16:32] = z_bias                  # blocks r, z, n: z is the middle
    model = Sequential([Embedding(8, 8, rng=0), layer, Dense(16, 2, rng=2)])
    loss = CategoricalCrossEntropy()
    loss.forward(model.forward(x_probe), y_probe)
    model.backward(loss.backward())
    norms = np.linalg.norm(layer.hidden_grads, axis=(0, 2))
    return norms[0] / norms[-1]


plain, kept = gru_ratio(None), gru_ratio(3.0)
print(f"GRU ||dL/dh_1|| / ||dL/dh_T||: as built {plain:.1e}, update bias 3 {kept:.1e}")
lesson.check(1, "gradient reaching step 1, update bias 3 / as built", kept / plain,
             kept / plain >= 1000)

# Exercise 2: clipping by the global norm, by hand.
rng = np.random.default_rng(0)
small = Sequential([Dense(3, 4, rng=0), Dense(4, 2, rng=1)])
for layer in small.layers:
    for key in layer.grads:
        layer.grads[key][...] = 10 * rng.normal(size=layer.grads[key].shape)
grads = {k: g.copy() for layer in small.layers for k, g in
         ((f"{id(layer)}.{key}", layer.grads[key]) for key in layer.grads)}
norm = np.sqrt(sum(float(np.sum(g ** 2)) for g in grads.values()))
before = np.concatenate([p.ravel() for p in small.parameters().values()])
SGD(1.0, clipnorm=0.5).step(small)
after = np.concatenate([p.ravel() for p in small.parameters().values()])
moved = np.linalg.norm(after - before)
unchanged = all(np.array_equal(g, small_g) for g, small_g in zip(
    grads.values(), (layer.grads[key] for layer in small.layers for key in layer.grads)))
error = abs(moved - min(norm, 0.5)) / min(norm, 0.5)
lesson.check(2, "relative error of the clipped step, grads unchanged",
             f"{error:.1e}, {unchanged}", error < 1e-9 and unchanged)

# Exercise 3: dL/dh_{t-1} = (dL/dh_t (1 - h_t^2)) Wh^T, then gradcheck.
layer = SimpleRNN(3, 4, return_sequences=True, rng=2)
x = rng.normal(size=(2, 6, 3))
h = layer.forward(x)                                  # (N, T, H): h_1 .. h_T
dy = rng.normal(size=h.shape)
layer.backward(dy)
dh = layer.hidden_grads                               # dL/dh_t, all paths in
Wh = layer.params["Wh"]
worst = 0.0
for t in range(5, 0, -1):                             # h_t feeds y_t and step t + 1
    through_next = (dh[:, t] * (1 - h[:, t] ** 2)) @ Wh.T
    worst = max(worst, float(np.abs(dh[:, t - 1] - (dy[:, t - 1] + through_next)).max()))
report = gradcheck.check_layer(SimpleRNN(3, 4, return_sequences=True, rng=3), x)
lesson.check(3, "max BPTT difference, then gradcheck", f"{worst:.1e}, {report.status}",
             worst < 1e-12 and report.passed)
lesson.finish()
