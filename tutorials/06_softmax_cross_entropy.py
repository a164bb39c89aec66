# %% [markdown]
# # 06 - Softmax and categorical cross-entropy
#
# After this lesson you can
# - compute softmax and its full Jacobian J = diag(p) - p p^T by hand, and check them against
#   finite differences;
# - show that chaining that Jacobian with the cross-entropy's gradient collapses to the fused
#   gradient (p - y) / N, and say why a classifier's loss should take logits
#   (`from_logits=True`): the plain path loses the gradient of a saturated wrong prediction;
# - train a softmax regression and a small MLP on the 8x8 digits and read their confusion
#   matrix.
#
# Why: with more than two classes a network needs an output that is a probability for every
# class, rows that sum to 1, and a loss that says how much probability went to the true class.
# The Curso-R deck "Introduction to deep learning with R" ("Mais de duas categorias") builds
# exactly this: softmax on the last layer and categorical cross-entropy, -log of the
# probability given to the true class. Here we derive both gradients, write them the long way
# and the short way, and see where the long way breaks.
#
# Run: `python tutorials/06_softmax_cross_entropy.py` (SCRATCHNET_FAST=1 for a quick run).
# Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

import gradcheck
from scratchnet import lesson
from scratchnet.data import one_hot, train_test_split
from scratchnet.datasets import load_digits
from scratchnet.layers import Dense, ReLU, Softmax, softmax, softmax_jacobian
from scratchnet.losses import EPS, CategoricalCrossEntropy, log_softmax
from scratchnet.model import Sequential
from scratchnet.optimizers import SGD, Adam
from scratchnet.plot import confusion_matrix, plot_confusion_matrix

EPOCHS = 30 if lesson.FAST else 60        # training epochs for the digit classifiers

# %% [markdown]
# ## The data: 1,797 handwritten digits of 8x8 pixels
# `load_digits(flat=True)` gives x: (N, 64) in [0, 1] and y: (N,) labels 0..9. We keep a
# fifth of each class for testing.

# %%
x, y = load_digits(flat=True)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, stratify=True, rng=0)
K = 10
print(f"digits: train {x_train.shape}, test {x_test.shape}, {K} classes, "
      f"test examples per class {np.bincount(y_test).min()}..{np.bincount(y_test).max()}")

# %% [markdown]
# ## Softmax: scores to probabilities
# A layer gives K scores z (logits) per example. Softmax turns them into probabilities:
#     p_k = exp(z_k) / sum_j exp(z_j)
# Every p_k > 0 and the row sums to 1. Adding a constant to every z_k changes nothing (it
# cancels between top and bottom), so we compute exp(z - max z): the largest exponent is then
# exp(0) = 1 and nothing overflows. Written naively, a logit of 1000 gives exp(1000) = inf.

# %%
model = Sequential([Dense(64, K, rng=0)])            # an untrained softmax regression
z = model.forward(x_train[:32])                     # (32, 10) logits
p = softmax(z)
print(f"softmax rows: sum - 1 at most {np.abs(p.sum(axis=1) - 1).max():.1e}, "
      f"smallest p {p.min():.2e} (> 0)")
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(z[0] + 1000) / np.exp(z[0] + 1000).sum()
print(f"logits + 1000: naive softmax gives {np.isnan(naive).sum()} NaN of {K}; "
      f"shifted softmax changes by {np.abs(softmax(z[:1] + 1000) - p[:1]).max():.1e}")

# %% [markdown]
# ## The full Jacobian of softmax
# Every output depends on every input: dp_i/dz_j = p_i (delta_ij - p_j), or as a matrix
#     J = diag(p) - p p^T          (K, K) for one example
# `scratchnet.layers.softmax_jacobian(p)` builds it. We hold it to finite differences, one
# row per output p_i. Its columns sum to 0, because the outputs always sum to 1: pushing all
# of them up by the same amount is impossible. So an upstream gradient of all ones gives
# J^T 1 = 0, and a test of softmax's backward with dy = ones would pass any bug; gradcheck uses
# a random dy.

# %%
z0 = z[0].astype(np.float64).copy()
J = softmax_jacobian(softmax(z0))
J_numeric = np.stack([gradcheck.numerical_gradient(lambda v, i=i: softmax(v)[i], z0)
                      for i in range(K)])
print(f"Jacobian vs finite differences: max difference {np.abs(J - J_numeric).max():.1e}")
print(f"Jacobian column sums: at most {np.abs(J.sum(axis=0)).max():.1e}; "
      f"J^T @ ones at most {np.abs(J.T @ np.ones(K)).max():.1e}")
report = gradcheck.check_layer(Softmax(), z[:4].astype(np.float64))
print(f"gradcheck Softmax layer (random dy): {report.status}, max error {report.max_err:.1e}")

# %% [markdown]
# ## Cross-entropy, the long way and the short way
# With one-hot targets y (N, K), the mean cross-entropy is L = -(1/N) sum_n sum_k y_nk log p_nk:
# minus the log of the probability given to the true class. Its gradient with respect to p is
#     dL/dp = -y / p / N
# and the chain rule through softmax gives, row by row, dL/dz_n = J_n^T dL/dp_n. Multiply it
# out: sum_i (-y_i / p_i / N) p_i (delta_ij - p_j) = (-y_j + p_j sum_i y_i) / N, and since a
# one-hot row sums to 1,
#     dL/dz = (p - y) / N
# Four ways to get that number, which must agree:
# 1. by hand, `(p - y) / N`;
# 2. the fused loss, `CategoricalCrossEntropy(from_logits=True)` (takes z);
# 3. the plain path: a `Softmax` layer, then `CategoricalCrossEntropy(from_logits=False)`
#    (takes p), then `Softmax.backward`, which applies J^T without building it;
# 4. the Jacobian itself, N matrices of (K, K), multiplied by dL/dp row by row.

# %%
labels = y_train[:32]
Y = one_hot(labels, K)
N = len(labels)
fused = CategoricalCrossEntropy(from_logits=True)
loss_fused = fused.forward(z, labels)
dz_fused = fused.backward()
softmax_layer, plain = Softmax(), CategoricalCrossEntropy(from_logits=False)
loss_plain = plain.forward(softmax_layer.forward(z), labels)
dp = plain.backward()                                       # -y / p / N
dz_plain = softmax_layer.backward(dp)
dz_jacobian = np.stack([softmax_jacobian(p_n).T @ dp_n for p_n, dp_n in zip(p, dp)])
dz_hand = (p - Y) / N
print(f"loss: fused {loss_fused:.6f}, plain {loss_plain:.6f}")
print(f"max |fused - by hand| {np.abs(dz_fused - dz_hand).max():.1e}, "
      f"|plain - fused| {np.abs(dz_plain - dz_fused).max():.1e}, "
      f"|Jacobian - fused| {np.abs(dz_jacobian - dz_fused).max():.1e}")
report = gradcheck.check_loss(CategoricalCrossEntropy(), z.astype(np.float64), labels)
print(f"gradcheck fused cross-entropy: {report.status}, max error {report.max_err:.1e}")

# %% [markdown]
# ## Why the loss takes logits: a saturated wrong prediction
# The plain path needs log p and 1/p. A probability can be 2e-9, or round to exactly 0, so
# the loss clips p at eps = 1e-7 before the log. Take three rows whose true class is 1:
#   row 0: z = (20, 0, 0), confidently wrong, p_1 = 2.1e-9 < eps;
#   row 1: z = (800, 0, 0), so wrong that p_1 underflows to 0;
#   row 2: z = (1, 2, 0.5), a moderate prediction.
# The true loss of row 0 is 20 and its gradient is (p - y) / N; what does each path return?

# %%
z_sat = np.array([[20.0, 0.0, 0.0], [800.0, 0.0, 0.0], [1.0, 2.0, 0.5]])
c = np.array([1, 1, 1])
p_sat = softmax(z_sat)
true_loss = -log_softmax(z_sat)[:, 1]
fused = CategoricalCrossEntropy(from_logits=True)
fused.forward(z_sat, c)
g_fused = fused.backward()
softmax_layer, plain = Softmax(), CategoricalCrossEntropy(from_logits=False, eps=EPS)
plain.forward(softmax_layer.forward(z_sat), c)
g_plain = softmax_layer.backward(plain.backward())
for n in range(3):
    row = slice(n, n + 1)                             # the loss of this row alone
    loss_row = CategoricalCrossEntropy(from_logits=False).forward(softmax(z_sat[row]), c[row])
    share = np.abs(g_plain[n]).max() / np.abs(g_fused[n]).max()
    print(f"row {n}: p_1 {p_sat[n, 1]:.1e}  loss true {true_loss[n]:6.2f} plain {loss_row:5.2f}"
          f"  max|dL/dz| fused {np.abs(g_fused[n]).max():.4f} "
          f"plain {np.abs(g_plain[n]).max():.2e}  plain/fused {share:.4f}")
report = gradcheck.check_loss(CategoricalCrossEntropy(), z_sat[:1], c[:1])
print(f"gradcheck fused cross-entropy at z = (20, 0, 0): {report.status}, "
      f"max error {report.max_err:.1e}")

# %% [markdown]
# Row 2 is the same on both paths. In row 0 the plain path keeps p_1 / eps = 2% of the true
# gradient, and in row 1 it keeps nothing: the network's worst mistakes teach it least.
# Nothing downstream can make up for the cut, because the softmax Jacobian of a saturated row
# is itself almost 0. The fused path never forms 1/p, so (softmax(z) - y) / N is right for any
# z, as the gradcheck at z = (20, 0, 0) confirms.
#
# The picture sweeps the margin m = z_0 - z_1 of the wrong class over the true one, with
# z = (m, 0, 0): the plain loss stops at -log(eps) = 16.1 and its gradient falls off a cliff
# there, while the fused gradient stays near 1 / N.

# %%
margins = np.linspace(0, 40, 201)
z_m = np.stack([margins, np.zeros_like(margins), np.zeros_like(margins)], axis=1)
ones = np.ones(len(margins), dtype=np.int64)
loss_true = -log_softmax(z_m)[:, 1]
loss_clip = np.array([CategoricalCrossEntropy(from_logits=False).forward(softmax(row[None]), [1])
                      for row in z_m])                 # the plain loss of each row alone
fused, plain, softmax_layer = CategoricalCrossEntropy(), CategoricalCrossEntropy(False), Softmax()
fused.forward(z_m, ones)
plain.forward(softmax_layer.forward(z_m), ones)
n_rows = len(margins)
grad_fused = np.abs(fused.backward()[:, 1]) * n_rows       # |dL_n/dz_1| of each row alone
grad_plain = np.abs(softmax_layer.backward(plain.backward())[:, 1]) * n_rows
cliff = margins[np.argmax(grad_plain < 0.5 * grad_fused)]
print(f"the plain gradient drops below half the fused one at margin {cliff:.1f} "
      f"(-log(eps) = {-np.log(EPS):.1f}); at margin 40 it is {grad_plain[-1] / grad_fused[-1]:.1e} "
      f"of it")

fig = Figure(figsize=(10, 3.8))
ax = fig.add_subplot(1, 2, 1)
ax.plot(margins, loss_true, label="true loss (from logits)")
ax.plot(margins, loss_clip, "--", label="plain: p clipped at eps")
ax.set_title("cross-entropy of a wrong prediction")
ax.set_xlabel("margin m of the wrong class (z = (m, 0, 0), true class 1)")
ax.set_ylabel("loss of the row (nats)")
ax.legend(loc="upper left")
ax = fig.add_subplot(1, 2, 2)
ax.semilogy(margins, grad_fused, label="fused: softmax(z) - y")
ax.semilogy(margins, np.maximum(grad_plain, 1e-300), "--", label="plain: Softmax, then 1/p")
ax.axvline(-np.log(EPS), color="gray", lw=0.8, label="p_1 = eps (m = 16.1)")
ax.set_title("|dL/dz_1|: the gradient that would fix it")
ax.set_xlabel("margin m of the wrong class")
ax.set_ylabel("|dL/dz_1| (log scale)")
ax.legend(loc="lower left")
fig.tight_layout()
lesson.save(fig, "06_saturation.png")

# %% [markdown]
# ## What it costs in training
# Start a softmax regression with its weights scaled up 20 times, so that most training
# digits begin confidently wrong, and train it twice with the same SGD steps: once with a
# `Softmax` layer and the plain loss, once from logits.

# %%
curves = {}
for from_logits in (True, False):
    dense = Dense(64, K, rng=0)
    dense.params["W"] *= 20
    start = softmax(dense.forward(x_train))[np.arange(len(y_train)), y_train]
    net = Sequential([dense] if from_logits else [dense, Softmax()])
    history = net.fit(x_train, y_train, loss=CategoricalCrossEntropy(from_logits=from_logits),
                      optimizer=SGD(0.1), epochs=20, batch_size=32, rng=0, verbose=0,
                      validation_data=(x_test, y_test))
    curves[from_logits] = history["val_accuracy"]
    end = softmax(dense.forward(x_train))[np.arange(len(y_train)), y_train]
    print(f"{'from logits' if from_logits else 'plain path'}: training digits with p_true < eps: "
          f"{np.mean(start < EPS):.0%} at the start, {np.mean(end < EPS):.0%} after 20 epochs")
for epoch in (5, 20):
    print(f"test accuracy after {epoch:2d} epochs: from logits {curves[True][epoch - 1]:.3f}, "
          f"Softmax layer + plain loss {curves[False][epoch - 1]:.3f}")

fig = Figure(figsize=(6.5, 3.8))
ax = fig.add_subplot(1, 1, 1)
epochs = np.arange(1, 21)
ax.plot(epochs, curves[True], "o-", label="from logits (fused)")
ax.plot(epochs, curves[False], "s--", label="Softmax layer + plain loss")
ax.set_title("training from a saturated start (weights x 20)")
ax.set_xlabel("epoch")
ax.set_ylabel("test accuracy")
ax.legend(loc="lower right")
fig.tight_layout()
lesson.save(fig, "06_saturated_training.png")

# %% [markdown]
# Both runs start with the same 81% of digits saturated, and for the first epochs they stay
# close. Then the run from logits pulls ahead: each confidently wrong digit keeps sending its
# full (p - y) / N, while on the plain path it sends p_true / eps of that, so the saturated
# digits are fixed more slowly: after 20 epochs 1% of them are left from logits, 30% on the
# plain path, and the run from logits is about 0.2 ahead in test accuracy.

# %% [markdown]
# ## Softmax regression and a small MLP on the digits
# Softmax regression is one Dense(64, 10) layer whose logits go straight into the fused loss.
# The MLP puts 64 ReLU units in between. Both train with Adam; `evaluate` reports the test
# accuracy.

# %%
nets = {"softmax regression": Sequential([Dense(64, K, rng=0)]),
        "MLP 64-64-10": Sequential([Dense(64, 64, rng=0), ReLU(), Dense(64, K, rng=1)])}
accuracy = {}
for name, net in nets.items():
    net.fit(x_train, y_train, loss=CategoricalCrossEntropy(), optimizer=Adam(0.01),
            epochs=EPOCHS, batch_size=64, rng=0, verbose=0)
    accuracy[name] = net.evaluate(x_test, y_test)["accuracy"]
    print(f"{name}: test accuracy {accuracy[name]:.3f} ({EPOCHS} epochs)")
print(f"the hidden layer adds {accuracy['MLP 64-64-10'] - accuracy['softmax regression']:+.3f} "
      f"test accuracy")

# %% [markdown]
# ## The confusion matrix
# C[i, j] counts the test digits of class i that the MLP called j. The diagonal holds the
# right answers, so trace(C) / N is the accuracy; a large count off the diagonal would point
# at a pair of digits the network mixes up.

# %%
predicted = nets["MLP 64-64-10"].predict(x_test).argmax(axis=1)
C = confusion_matrix(y_test, predicted, k=K)
off = C - np.diag(np.diag(C))
i, j = np.unravel_index(off.argmax(), off.shape)
print(f"confusion matrix: trace / N = {np.trace(C) / C.sum():.3f} "
      f"(evaluate said {accuracy['MLP 64-64-10']:.3f})")
print(f"mistakes: {off.sum()} of {C.sum()} test digits, in {np.count_nonzero(off)} different "
      f"(true, predicted) pairs; the largest count off the diagonal is {off[i, j]} "
      f"(true {i} predicted as {j})")

fig = Figure(figsize=(6.5, 5.5))
ax = fig.add_subplot(1, 1, 1)
plot_confusion_matrix(y_test, predicted, class_names=list(range(K)), ax=ax)
fig.colorbar(ax.images[0], ax=ax, label="test digits")
ax.set_title("MLP on the 8x8 digits: test confusion matrix")
lesson.save(fig, "06_confusion_matrix.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/layers/activations.py`: `softmax` (the max shift), `softmax_jacobian`
#   (diag(p) - p p^T) and `Softmax.backward`, which applies J^T without building J:
#   y * (dy - sum(dy * y)). Its docstring works the (20, 0, 0) example.
# - `scratchnet/losses.py`: `log_softmax` (log-sum-exp), `CategoricalCrossEntropy.forward`
#   and `.backward` (both paths, and where eps clips), and `cross_entropy_grad_unfused`, the
#   long product written as a function.
# - `scratchnet/plot.py`: `confusion_matrix` (one `np.add.at` per pair) and
#   `plot_confusion_matrix`.
# - `tests/test_losses.py`: `test_fused_cross_entropy_equals_softmax_layer_then_cross_entropy`
#   holds the plain path to the fused one on random shapes, and
#   `test_unfused_path_loses_the_gradient_of_a_saturated_wrong_prediction` checks the numbers
#   of the saturated rows above.
#
# ## Exercises
# First, write this lesson's backward yourself: fetch a skeleton with
# `python -m scratchnet.exercises get softmax_cross_entropy`, fill in its backward, and check it with
# `python -m scratchnet.exercises check softmax_cross_entropy.py` (a gradcheck, and a comparison with the
# library's own layer on the same parameters).
#
# ### Exercise 1
# Write `softmax_jvp(p, dp)`, the product J^T dp for a batch of rows, without building J
# (work out sum_i dp_i p_i (delta_ij - p_j) by hand). Gradcheck it with
# `gradcheck.check_function` on f(z) = sum(g * softmax(z)) for a random (5, 4) z and a random g.
# Check: the gradcheck passes and your result equals `Softmax().backward` to 1e-12.
#
# ### Exercise 2
# Label smoothing: replace the one-hot rows by y_s = (1 - a) y + a / K, with a = 0.1. Write the
# smoothed loss and its gradient (p - y_s) / N by hand and gradcheck them on random logits.
# Then find, by gradient descent on the gap g of z = (g, 0, ..., 0) with K = 10, the logit gap
# that minimizes the smoothed loss of one example of class 0. Check: the gradcheck passes and
# g is within 0.01 of log((1 - a + a/K) / (a/K)) = log(91) = 4.51 (without smoothing, the gap
# grows forever).
#
# ### Exercise 3
# With z = (m, 0, 0) and true class 1, find by bisection the margin m at which the plain path
# (Softmax layer, then `CategoricalCrossEntropy(from_logits=False)`) keeps only 1% of the fused
# gradient. Check: it lies within 0.01 of the m where p_1 = eps / 100, i.e.
# m = log(1e9 - 2) = 20.72.
#
# Solutions: tutorials/solutions/06_softmax_cross_entropy.py
