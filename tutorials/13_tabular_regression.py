# %% [markdown]
# # 13 - Regression on a real table: a linear model and an MLP weigh penguins, then a classifier
#
# After this lesson you can
# - load a real tabular data set, split it into training, validation and test parts, and
#   standardize the features with statistics of the training part only (and say why);
# - fit a linear model and an MLP for regression, and compare them on held-out data by RMSE
#   (in the target's own unit, grams) and R² (the fraction of the variance explained);
# - read learning curves, training and validation loss per epoch, and tell a model that still
#   learns from one that has started to memorize its training set;
# - turn the regression into a yes/no question by thresholding the target at its median, and
#   answer it with logistic regression (one Dense unit, a sigmoid and the binary cross-entropy).
#
# Why: the toy sets of the earlier lessons were made to behave. A real table is small, noisy and
# mixed (lengths in mm, a 0/1 column), and whether a neural network beats a straight line on it
# is a question to measure, not to assume. With 333 rows, one test set of 67 rows is itself a
# noisy measurement, so we also learn to repeat the comparison over several splits.
#
# This lesson is our counterpart of exercises 04 and 05 of the course deck "Introduction to deep
# learning with R" (Curso-R): an MLP for regression on a real table, then logistic regression on
# the same table with the target thresholded. The course uses the Boston housing set, which is no
# longer distributed because one of its features encodes a racial ratio; we use the Palmer
# penguins instead (K. Gorman, Palmer Station LTER; public domain, CC0), bundled with scratchnet.
#
# Run: `python tutorials/13_tabular_regression.py` (SCRATCHNET_FAST=1 for a quick run). Figures
# go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

from scratchnet import lesson
from scratchnet.data import StandardScaler, train_test_split
from scratchnet.datasets import load_penguins
from scratchnet.layers import Dense, ReLU, Tanh
from scratchnet.losses import BinaryCrossEntropy
from scratchnet.model import Sequential
from scratchnet.optimizers import SGD, Adam

SPLITS = 5 if lesson.FAST else 10     # how many random splits the comparison is repeated on
MLP_EPOCHS = 150                      # the same in both modes: these models train in seconds
BIG_EPOCHS = 300

# %% [markdown]
# ## The data: 333 penguins
#
# `load_penguins()` returns x (333, 10) and y (333,): one row per bird, y its body mass in grams.
# Columns 0-2 are bill length, bill depth and flipper length (mm), column 3 is 1 for a male and
# 0 for a female, columns 4-6 say the species and 7-9 the island (one-hot). We start with the
# four columns 0-3 only: the measurements a field biologist takes with a calliper and a ruler,
# plus the sex. The species is left out on purpose; we come back to it in exercise 1.

# %%
x_all, y_all, names, target = load_penguins(return_names=True)
COLUMNS = [0, 1, 2, 3]
x4 = x_all[:, COLUMNS]
print(f"data: {x_all.shape[0]} penguins, {x_all.shape[1]} columns; we use {len(COLUMNS)}: "
      f"{', '.join(names[c] for c in COLUMNS)}")
print(f"target: {target}, from {y_all.min():.0f} to {y_all.max():.0f}, mean {y_all.mean():.0f}, "
      f"standard deviation {y_all.std():.0f}")
for c in COLUMNS:
    print(f"  {names[c]:20s} from {x4[:, c].min():6.1f} to {x4[:, c].max():6.1f}")

# %% [markdown]
# ## Three parts: train, validation, test
#
# The test part (20%) is put aside and looked at once per model, at the end. From the rest we
# hold out another 20% as validation data: `fit` measures it after every epoch, which gives the
# learning curves, and we may use it to choose things (the number of epochs, the model size).
# Choosing by the test set would make its number an optimistic one.

# %%
def split(seed, columns=COLUMNS):
    """(x_train, x_val, x_test, y_train, y_val, y_test) for one random split, rng = seed."""
    x_rest, x_test, y_rest, y_test = train_test_split(x_all[:, columns], y_all, test_size=0.2,
                                                      rng=seed)
    x_train, x_val, y_train, y_val = train_test_split(x_rest, y_rest, test_size=0.2,
                                                      rng=seed + 100)
    return x_train, x_val, x_test, y_train, y_val, y_test


x_train, x_val, x_test, y_train, y_val, y_test = split(0)
print(f"split 0: train {len(x_train)}, validation {len(x_val)}, test {len(x_test)} penguins")

# %% [markdown]
# ## Standardize with the training part's statistics
#
# Flipper lengths are near 200, bill depths near 17 and the sex column is 0 or 1. Gradient
# descent takes one learning rate for all the weights, so features of very different scales
# make some weights crawl while others overshoot. `StandardScaler` maps each column to
# z = (x - mean) / std. It learns mean and std from the TRAINING part only and then applies the
# same map to the validation and test parts: in use, the model meets birds it never saw, and
# their statistics are not known in advance. So the training columns get mean 0 and std 1
# exactly, and the test columns only roughly.
#
# We scale the target too (grams -> standard units), so that the network's first outputs, near
# 0, are in the right range; every RMSE below is turned back into grams.

# %%
def scalers(x_train, y_train):
    """StandardScaler for the features and one for the target, fitted on the training part."""
    return StandardScaler().fit(x_train), StandardScaler().fit(y_train[:, None])


sx, sy = scalers(x_train, y_train)
z_train, z_val, z_test = sx.transform(x_train), sx.transform(x_val), sx.transform(x_test)
t_train, t_val = sy.transform(y_train[:, None]), sy.transform(y_val[:, None])
print(f"training means {np.round(sx.mean_, 1).tolist()}, stds {np.round(sx.std_, 1).tolist()}")
print(f"after scaling: training columns' largest |mean| {np.abs(z_train.mean(0)).max():.1e}, "
      f"stds {np.round(z_train.std(0), 6).tolist()}")
print(f"after scaling: test columns' largest |mean| {np.abs(z_test.mean(0)).max():.3f} "
      f"(not 0: the test birds did not set the scaler)")

# %% [markdown]
# ## How to score a regression: RMSE and R²
#
# RMSE = sqrt(mean((y_hat - y)²)) is the typical error, in grams. R² = 1 - SSE / SST compares
# the squared errors with those of the dumbest model, one that always predicts the mean:
# SST = sum((y - mean(y))²). R² = 1 is perfect, R² = 0 is no better than the mean, and it can be
# negative. The baseline first: always predict the training part's mean mass.

# %%
def rmse(pred, y):
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def r2(pred, y):
    return float(1.0 - np.sum((pred - y) ** 2) / np.sum((y - y.mean()) ** 2))


baseline = np.full(len(y_test), y_train.mean())
print(f"baseline (training mean {y_train.mean():.0f} g): test RMSE {rmse(baseline, y_test):.0f} g, "
      f"R² {r2(baseline, y_test):.3f}")

# %% [markdown]
# ## A linear model
#
# `Dense(4, 1)` computes y_hat = z @ W + b: a weighted sum of the four standardized columns. We
# train it by full-batch gradient descent on the MSE (lesson 02) and check it against the exact
# least-squares answer of `numpy.linalg.lstsq`.

# %%
def predict_grams(model, z, sy):
    """The model's outputs for z, turned back from standard units into grams: (N,)."""
    return sy.inverse_transform(model.predict(z))[:, 0]


def train_linear(z_train, t_train):
    model = Sequential([Dense(z_train.shape[1], 1, init="zeros")])
    model.fit(z_train, t_train, loss="mse", optimizer=SGD(0.1), epochs=300, batch_size=None,
              verbose=0)
    return model


linear = train_linear(z_train, t_train)
pred_linear = predict_grams(linear, z_test, sy)
A = np.hstack([z_train, np.ones((len(z_train), 1))])
coef, *_ = np.linalg.lstsq(A, y_train, rcond=None)
pred_lstsq = np.hstack([z_test, np.ones((len(z_test), 1))]) @ coef
print(f"linear model: test RMSE {rmse(pred_linear, y_test):.1f} g, R² {r2(pred_linear, y_test):.3f}")
print(f"linear model by fit vs lstsq: largest prediction difference "
      f"{np.abs(pred_linear - pred_lstsq).max():.2e} g")
W = linear.layers[0].params["W"][:, 0] * sy.std_[0]         # grams per training std of each column
print("grams per standard deviation: " + ", ".join(f"{names[c]} {w:+.0f}"
                                                   for c, w in zip(COLUMNS, W)))

# %% [markdown]
# Flipper length carries most of the weight: a bird with longer flippers is a bigger bird.
#
# ## An MLP
#
# One hidden layer of 16 tanh units: y_hat = tanh(z @ W1 + b1) @ W2 + b2. It is trained with
# Adam on mini-batches of 16 for 150 epochs, and `fit` measures the validation part after every
# epoch (`validation_data`).

# %%
def train_mlp(z_train, t_train, z_val, t_val, seed):
    model = Sequential([Dense(z_train.shape[1], 16, rng=seed), Tanh(), Dense(16, 1, rng=seed + 1)])
    history = model.fit(z_train, t_train, loss="mse", optimizer=Adam(0.003), epochs=MLP_EPOCHS,
                        batch_size=16, validation_data=(z_val, t_val), rng=seed, verbose=0)
    return model, history


mlp, mlp_history = train_mlp(z_train, t_train, z_val, t_val, seed=0)
pred_mlp = predict_grams(mlp, z_test, sy)
print(f"MLP (16 tanh units): test RMSE {rmse(pred_mlp, y_test):.1f} g, R² {r2(pred_mlp, y_test):.3f}")

fig = Figure(figsize=(10, 4.4))
for i, (title, pred) in enumerate((("linear model", pred_linear), ("MLP, 16 tanh units", pred_mlp))):
    ax = fig.add_subplot(1, 2, i + 1)
    ax.plot([2700, 6300], [2700, 6300], color="gray", lw=1, label="perfect prediction")
    ax.scatter(y_test, pred, s=14, label="test penguins")
    ax.set_title(f"{title}: RMSE {rmse(pred, y_test):.0f} g, R² {r2(pred, y_test):.2f}")
    ax.set_xlabel("true body mass (g)")
    ax.set_ylabel("predicted body mass (g)")
    ax.legend(loc="upper left")
fig.suptitle("Split 0: predicted against true mass of the 67 test penguins")
fig.tight_layout()
lesson.save(fig, "13_predictions.png")

# %% [markdown]
# On this split the two are close. But 67 test birds are few: move a handful of heavy birds
# from the test part to the training part and the RMSE moves by tens of grams. One split is one
# noisy measurement, so repeat the whole thing (split, scale, train both, test) on several
# random splits, and compare the two models split by split.

# %%
results = []                                               # (linear RMSE, MLP RMSE) per split
for seed in range(SPLITS):
    xtr, xva, xte, ytr, yva, yte = split(seed)
    sxs, sys_ = scalers(xtr, ytr)
    ztr, zva, zte = sxs.transform(xtr), sxs.transform(xva), sxs.transform(xte)
    ttr, tva = sys_.transform(ytr[:, None]), sys_.transform(yva[:, None])
    lin_rmse = rmse(predict_grams(train_linear(ztr, ttr), zte, sys_), yte)
    mlp_rmse = rmse(predict_grams(train_mlp(ztr, ttr, zva, tva, seed)[0], zte, sys_), yte)
    results.append((lin_rmse, mlp_rmse))
    print(f"split {seed}: linear {lin_rmse:.0f} g, MLP {mlp_rmse:.0f} g")
results = np.array(results)
wins = int(np.sum(results[:, 1] < results[:, 0]))
print(f"over {SPLITS} splits: mean test RMSE linear {results[:, 0].mean():.1f} g, "
      f"MLP {results[:, 1].mean():.1f} g; the MLP is better on {wins} of {SPLITS}")
print(f"spread of the linear model's test RMSE over the splits: {results[:, 0].std():.1f} g "
      f"(from {results[:, 0].min():.0f} to {results[:, 0].max():.0f})")

fig = Figure(figsize=(7.5, 3.8))
ax = fig.add_subplot(1, 1, 1)
ax.plot(range(SPLITS), results[:, 0], "o-", label="linear model")
ax.plot(range(SPLITS), results[:, 1], "s-", label="MLP, 16 tanh units")
ax.set_title("Test RMSE on each random split")
ax.set_xlabel("split (the seed of train_test_split)")
ax.set_ylabel("test RMSE (g)")
ax.set_xticks(range(SPLITS))
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
fig.tight_layout()
lesson.save(fig, "13_splits.png")

# %% [markdown]
# The MLP wins most splits. Why can it do better than a weighted sum? The three species differ
# in build: Gentoos have shallow bills and are heavy, Adelies and Chinstraps have deep bills and
# are lighter. So over all birds a deeper bill goes with a LIGHTER bird, while within each
# species a deeper bill goes with a heavier one (the correlations below). The right weight for
# bill depth depends on which kind of bird it is: an interaction, which a sum of separate terms
# cannot express and a hidden layer can. Exercise 1 asks what happens when the linear model is
# told the species outright.

# %%
depth, mass = x_all[:, 1], y_all
within = [np.corrcoef(depth[x_all[:, c] == 1], mass[x_all[:, c] == 1])[0, 1] for c in (4, 5, 6)]
print(f"correlation of bill depth and mass: all birds {np.corrcoef(depth, mass)[0, 1]:+.2f}; "
      + ", ".join(f"{names[c]} {r:+.2f}" for c, r in zip((4, 5, 6), within)))

# %% [markdown]
#
# ## Learning curves: when does a model start to memorize?
#
# `fit` returns a History with the training loss (`loss`, the mean over the epoch's batches)
# and the validation loss (`val_loss`) of every epoch, both MSE in standard units (1.0 is the
# baseline's). Next to our small MLP we train a big one, two hidden layers of 64 ReLU units
# (about 4,500 weights for 212 birds), for 300 epochs, on split 0.

# %%
big = Sequential([Dense(4, 64, rng=0), ReLU(), Dense(64, 64, rng=1), ReLU(), Dense(64, 1, rng=2)])
big_history = big.fit(z_train, t_train, loss="mse", optimizer=Adam(0.003), epochs=BIG_EPOCHS,
                      batch_size=16, validation_data=(z_val, t_val), rng=0, verbose=0)
pred_big = predict_grams(big, z_test, sy)
print(f"parameters: small MLP {mlp.n_params}, big MLP {big.n_params}")
for label, h in (("small MLP", mlp_history), ("big MLP", big_history)):
    val = np.array(h["val_loss"])
    print(f"{label}: final training loss {h['loss'][-1]:.3f}, validation loss best "
          f"{val.min():.3f} at epoch {val.argmin() + 1} of {len(val)}, final {val[-1]:.3f} "
          f"(final / best = {val[-1] / val.min():.2f})")
print(f"big MLP after {BIG_EPOCHS} epochs: test RMSE {rmse(pred_big, y_test):.1f} g "
      f"(small MLP {rmse(pred_mlp, y_test):.1f} g, linear {rmse(pred_linear, y_test):.1f} g)")

fig = Figure(figsize=(11, 4.6))
for i, (title, h) in enumerate((("small MLP (16 tanh)", mlp_history),
                                ("big MLP (64 + 64 ReLU)", big_history))):
    ax = fig.add_subplot(1, 2, i + 1)
    epochs = np.arange(1, len(h["loss"]) + 1)
    ax.plot(epochs, h["loss"], label="training")
    ax.plot(epochs, h["val_loss"], label="validation")
    best = int(np.argmin(h["val_loss"])) + 1
    ax.axvline(best, color="gray", ls=":", label=f"best validation (epoch {best})")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE (standard units, log scale)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8)
fig.suptitle("Learning curves on split 0")
fig.tight_layout()
lesson.save(fig, "13_learning_curves.png")

# %% [markdown]
# The small MLP's two curves fall together and level off: it is still learning what holds for
# every penguin. The big one drives its training loss far lower, but its validation loss reaches
# its best early and then drifts up: from then on it learns the 212 training birds one by one,
# noise included, and does worse on birds it has not seen. The gap between the two curves is the
# signature of overfitting. The remedies are to stop at the best validation epoch (exercise 2),
# to use a smaller model, or to penalize large weights.
#
# ## From regression to classification: is this a heavy penguin?
#
# The course's exercise 05 asks a yes/no question of the same table: is the target above its
# median? We take the TRAINING part's median as the threshold, so that about half of the
# training birds are "heavy" (1) and half "light" (0) (birds exactly at the median count as
# light). Logistic regression is the linear
# model with a sigmoid on top: p = sigmoid(z @ W + b) is the probability of "heavy". It is
# trained on the binary cross-entropy L = -mean(y log p + (1 - y) log(1 - p)), the negative log
# likelihood of a Bernoulli(p), instead of the MSE. `BinaryCrossEntropy(from_logits=True)` takes
# the logit z @ W + b and applies the sigmoid inside, in a form that never overflows; its
# gradient is (p - y) / N, the same shape as the MSE's (y_hat - y) but on probabilities.
# We predict "heavy" when p > 0.5, that is when the logit is > 0.

# %%
median = float(np.median(y_train))
c_train = (y_train > median).astype(np.float64)[:, None]       # (N, 1) targets 0 or 1
c_test = y_test > median
logistic = Sequential([Dense(4, 1, init="zeros")])
logistic.fit(z_train, c_train, loss=BinaryCrossEntropy(from_logits=True), optimizer=SGD(0.5),
             epochs=300, batch_size=None, verbose=0)
logits = logistic.predict(z_test)[:, 0]
p_heavy = 1.0 / (1.0 + np.exp(-logits))
acc_logistic = float(np.mean((logits > 0) == c_test))
acc_regression = float(np.mean((pred_linear > median) == c_test))
majority = float(max(c_test.mean(), 1 - c_test.mean()))
print(f"threshold: training median {median:.0f} g; heavy in the training part "
      f"{c_train.mean():.3f}, in the test part {c_test.mean():.3f}")
print(f"logistic regression: test accuracy {acc_logistic:.3f}")
print(f"linear regression, then 'predicted mass > median': test accuracy {acc_regression:.3f}")
print(f"always the larger test class: accuracy {majority:.3f}")
sure = float(np.mean((p_heavy < 0.1) | (p_heavy > 0.9)))
wrong = (logits > 0) != c_test
print(f"test penguins with p below 0.1 or above 0.9: {100 * sure:.0f}%")
print(f"distance of the mass from the median: misclassified birds "
      f"{np.abs(y_test[wrong] - median).mean():.0f} g on average, all test birds "
      f"{np.abs(y_test - median).mean():.0f} g")

fig = Figure(figsize=(7.5, 3.8))
ax = fig.add_subplot(1, 1, 1)
bins = np.linspace(0, 1, 21)
ax.hist(p_heavy[~c_test], bins=bins, alpha=0.6, label=f"light (mass <= {median:.0f} g)")
ax.hist(p_heavy[c_test], bins=bins, alpha=0.6, label=f"heavy (mass > {median:.0f} g)")
ax.axvline(0.5, color="gray", ls=":", label="threshold p = 0.5")
ax.set_title("Logistic regression on the test penguins")
ax.set_xlabel("predicted probability of 'heavy'")
ax.set_ylabel("number of test penguins")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
fig.tight_layout()
lesson.save(fig, "13_logistic.png")

# %% [markdown]
# Most test birds get a confident p, below 0.1 or above 0.9; the mistakes are birds whose
# mass lies close to the median, where a few grams decide the label. Thresholding a good
# regression gives about the same accuracy: the two models see the same straight-line evidence.
#
# ## Read the source
# - `scratchnet/datasets/bundled.py`: `load_penguins` and the module docstring: where the data
#   came from, its licence, the file and its SHA-256. `tools/make_bundled_data.py` is the
#   script that turned the CSV into the .npz (which rows were dropped and why).
# - `scratchnet/data.py`: `train_test_split` (how the test rows are drawn) and `StandardScaler`
#   (`fit` keeps `mean_` and `std_`; `transform` only applies them; a constant column gets
#   std 1 instead of a division by zero).
# - `scratchnet/losses.py`: `MSE` and `BinaryCrossEntropy`, whose docstring derives the
#   logit form softplus(z) - y z and the gradient (sigmoid(z) - y) / N.
# - `scratchnet/model.py`: `Sequential.fit` with `validation_data`: the validation part is
#   measured in eval mode at the end of every epoch and logged as `val_loss`.
# - `scratchnet/callbacks.py`: `EarlyStopping(monitor="val_loss", patience=..., restore_best=True)`
#   for exercise 2.
#
# ## Exercises
# ### Exercise 1
# Give the linear model the species: use columns 0-6 (`split(seed, columns=range(7))`) and
# repeat the comparison over the same splits as above. Check: the linear model's mean test RMSE
# with the species is at least 5% below its mean test RMSE without them (and compare it with the
# 4-column MLP). What did the MLP have to discover by itself?
#
# ### Exercise 2
# Stop the big MLP in time: train it on split 0 again with
# `callbacks=[EarlyStopping(monitor="val_loss", patience=20, restore_best=True)]`. Check: its
# test RMSE is at least 10% below that of the big MLP trained for all 300 epochs, and training
# stopped before epoch 300.
#
# ### Exercise 3
# Logistic regression by hand. With logits s = z @ W + b (z the standardized (N, 4) training
# features) and p = sigmoid(s), the gradient of the binary cross-entropy is
# dL/dW = z.T @ (p - y) / N and dL/db = sum(p - y) / N. Write the loop: start from W = 0, b = 0
# and take 300 steps W <- W - 0.5 dL/dW, b <- b - 0.5 dL/db on split 0's training part. Check:
# your W and b equal those of the tutorial's `logistic` model (trained by `fit` with SGD(0.5),
# full batch, 300 epochs) to within 1e-9, and so does its test accuracy.
# (Solutions: tutorials/solutions/13_tabular_regression.py)
