# %% [markdown]
# # 17 - Autoencoders: PCA learned by gradient descent, then a nonlinear one on digits
#
# After this lesson you can
# - train an autoencoder (a network whose target is its own input) with scratchnet, and read
#   its bottleneck as a compressed code of the data;
# - show, with principal angles, that a LINEAR autoencoder learns the same subspace as PCA,
#   and say which part of it (the decoder's span) is pinned down and which is not;
# - train a nonlinear autoencoder on the 8x8 digits, compare its reconstructions with PCA's
#   and draw its 2-D latent map;
# - share one encoder object between the autoencoder and another model.
#
# Why: an autoencoder is trained with input = output, so it needs no labels. Squeezing 64
# pixels through 2 numbers forces the network to keep what matters most. The course's
# astronomy deck (AGA 0505, lecture 11) says it in one line: "if the activations are linear,
# the latent space is equivalent to PCA". Here we check that line with numbers, then see what
# a nonlinearity adds.
#
# Run: `python tutorials/17_autoencoders.py` (SCRATCHNET_FAST=1 for a quick run). Figures go
# to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

from scratchnet import lesson
from scratchnet.data import train_test_split
from scratchnet.datasets import load_digits
from scratchnet.layers import Dense, Sigmoid, Tanh
from scratchnet.losses import MSE
from scratchnet.model import Sequential
from scratchnet.optimizers import Adam

LINEAR_STEPS = 300 if lesson.FAST else 1000   # full-batch Adam steps for the linear autoencoder
EPOCHS = 30 if lesson.FAST else 300           # epochs for the nonlinear one (batches of 32)
K = 2                                         # size of the code (the bottleneck)

# %% [markdown]
# ## The data
# 1,797 digits of 8x8 pixels in [0, 1], flattened to 64 numbers per image. We keep a quarter
# apart to test on. PCA works on centered data, so the linear part subtracts the training
# mean from both parts (the nonlinear part works on the raw pixels).

# %%
x, y = load_digits(flat=True)                              # x: (1797, 64), y: (1797,)
x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, stratify=True, rng=0)
mean = x_tr.mean(axis=0)                                   # (64,)
c_tr, c_te = x_tr - mean, x_te - mean                      # centered
print(f"data: {len(x_tr)} training and {len(x_te)} test images of {x.shape[1]} pixels")

# %% [markdown]
# ## PCA, the reference
# The singular value decomposition c_tr = U S Vt gives the principal directions as the rows
# of Vt, in order of the variance they carry. Keeping the top K and projecting,
#     x_hat = c @ P.T @ P,   P = Vt[:K]   (K, 64),
# is the best rank-K reconstruction in squared error (the Eckart-Young theorem): no linear
# map through K numbers can do better.

# %%
_, S, Vt = np.linalg.svd(c_tr, full_matrices=False)
P = Vt[:K]                                                 # (K, 64), orthonormal rows
share = S[:K] ** 2 / np.sum(S ** 2)
print(f"variance kept by the top {K} directions: {np.sum(share):.3f} ({share.round(3).tolist()})")


def mse(a, b):
    return float(np.mean((a - b) ** 2))


pca_tr, pca_te = mse(c_tr @ P.T @ P, c_tr), mse(c_te @ P.T @ P, c_te)
print(f"PCA-{K} reconstruction MSE: train {pca_tr:.5f}   test {pca_te:.5f}")

# %% [markdown]
# ## A linear autoencoder
# Encoder z = c @ W_enc + b_enc (64 -> K), decoder c_hat = z @ W_dec + b_dec (K -> 64), no
# activation, trained to make c_hat equal c under the mean squared error. Full-batch Adam.

# %%
linear_ae = Sequential([Dense(64, K, init="xavier", rng=0), Dense(K, 64, init="xavier", rng=1)])
W_enc0 = linear_ae[0].params["W"].copy()                   # the encoder before training
history = linear_ae.fit(c_tr, c_tr, loss=MSE(), optimizer=Adam(0.01), epochs=LINEAR_STEPS,
                        batch_size=None, verbose=0)
lin_tr, lin_te = mse(linear_ae.predict(c_tr), c_tr), mse(linear_ae.predict(c_te), c_te)
print(f"linear autoencoder MSE: train {lin_tr:.5f}   test {lin_te:.5f}   "
      f"({LINEAR_STEPS} steps)")
print(f"linear autoencoder / PCA train MSE: {lin_tr / pca_tr:.6f}")

# %% [markdown]
# ### Principal angles: do two subspaces coincide?
# Every output c_hat = z @ W_dec + b_dec lies in b_dec + the span of W_dec's K rows (the
# decoder's column space, if you write the map as W_dec.T @ z). To compare two K-dimensional
# subspaces of R^64, take an orthonormal basis of each (QR), Qa and Qb (64, K); the singular
# values of Qa.T @ Qb are the cosines of the principal angles. All angles 0: the same
# subspace; an angle of 90 degrees: a direction of one that is orthogonal to the other.

# %%
def principal_angles(A, B):
    """Principal angles in degrees between the column spaces of A (D, k) and B (D, k)."""
    Qa, _ = np.linalg.qr(A)
    Qb, _ = np.linalg.qr(B)
    cosines = np.linalg.svd(Qa.T @ Qb, compute_uv=False)
    return np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))


W_dec = linear_ae[1].params["W"]                           # (K, 64)
dec_angles = principal_angles(W_dec.T, P.T)
print(f"principal angles decoder vs PCA (degrees): {np.array2string(dec_angles, precision=4)}")
print(f"largest decoder angle: {dec_angles.max():.2e} degrees")
rand_angles = principal_angles(np.random.default_rng(0).normal(size=(64, K)), P.T)
print(f"largest angle of a random {K}-D subspace vs PCA: {rand_angles.max():.1f} degrees")

# %% [markdown]
# The subspace is PCA's, but the decoder's rows need not be the principal directions
# themselves: for any invertible K x K matrix A, the encoder W_enc @ A with the decoder
# inv(A) @ W_dec computes exactly the same outputs. The loss cannot tell them apart, so
# gradient descent lands on some basis of the subspace, not on PCA's own.

# %%
A = np.array([[2.0, 1.0], [-0.5, 3.0]]) if K == 2 else np.eye(K) + 0.3
z = c_te @ linear_ae[0].params["W"] + linear_ae[0].params["b"]
out = linear_ae.predict(c_te)
mixed = (z @ A) @ (np.linalg.inv(A) @ W_dec) + linear_ae[1].params["b"]
print(f"outputs with encoder @ A and inv(A) @ decoder: max difference {np.abs(mixed - out).max():.1e}")

# %% [markdown]
# ### And the encoder?
# The encoder's column space is NOT pinned down the same way. The gradient of the loss with
# respect to W_enc is c_tr.T @ (something), so a pixel that is 0 in every training image
# (the corners of the digits) never moves its row of W_enc: it keeps its random start, and
# the loss does not care, since it multiplies zeros. Directions in which the data vary little
# are learned slowly for the same reason: written in PCA coordinates, the encoder has already
# dropped its weight along the high-variance directions 3 to 12, but not along the
# low-variance ones at the end.

# %%
dead = np.flatnonzero(x_tr.std(axis=0) == 0)
change = np.abs(linear_ae[0].params["W"] - W_enc0)
print(f"pixels that are constant in every training image: {len(dead)}")
print(f"largest change of the encoder weights on those pixels: {change[dead].max():.1e} "
      f"(elsewhere: {np.delete(change, dead, axis=0).max():.3f})")
enc_angles = principal_angles(linear_ae[0].params["W"], P.T)
print(f"principal angles encoder vs PCA (degrees): {np.array2string(enc_angles, precision=2)}")
along = np.abs(Vt @ linear_ae[0].params["W"])              # (64, K): W_enc in PCA coordinates
print(f"largest encoder weight along PCA directions {K + 1}-{K + 10}: {along[K:K + 10].max():.1e}"
      f"   along the last 32: {along[32:].max():.3f}")

# %% [markdown]
# ## A nonlinear autoencoder on the digits
# Encoder 64 -> 32 (tanh) -> 2, decoder 2 -> 32 (tanh) -> 64 (sigmoid: pixels lie in [0, 1]).
# The encoder is a model of its own, and the autoencoder holds that very object: one layer
# (here a Sequential) may sit in several models (see "Sharing a layer" in scratchnet/model.py).
# Training the autoencoder trains the encoder, and `encoder.predict` then gives the codes.

# %%
encoder = Sequential([Dense(64, 32, init="xavier", rng=0), Tanh(),
                      Dense(32, K, init="xavier", rng=1)], name="encoder")
decoder = Sequential([Dense(K, 32, init="xavier", rng=2), Tanh(),
                      Dense(32, 64, init="xavier", rng=3), Sigmoid()], name="decoder")
autoencoder = Sequential([encoder, decoder], name="autoencoder")
ae_history = autoencoder.fit(x_tr, x_tr, loss=MSE(), optimizer=Adam(0.003), epochs=EPOCHS,
                             batch_size=32, verbose=0, rng=0)
ae_te = mse(autoencoder.predict(x_te), x_te)
print(f"nonlinear autoencoder test MSE: {ae_te:.5f}   ({EPOCHS} epochs)")
print(f"test MSE with {K} numbers per image: PCA {pca_te:.5f}   linear AE {lin_te:.5f}   "
      f"nonlinear AE {ae_te:.5f}")
print(f"nonlinear AE / PCA test MSE: {ae_te / pca_te:.3f}")
codes_te = encoder.predict(x_te)                           # (N_test, 2), the same encoder
same = np.abs(autoencoder.predict(x_te) - decoder.predict(codes_te)).max()
print(f"decoder(encoder(x)) vs autoencoder(x): max difference {same:.1e}")

# %% [markdown]
# ### Reconstructions
# One test image of each digit (top row), what the nonlinear autoencoder makes of its two
# numbers (middle) and what PCA makes of its two (bottom). Both blur; the autoencoder keeps
# more of each digit's shape, as its lower MSE says.

# %%
picks = [int(np.flatnonzero(y_te == d)[0]) for d in range(10)]
rows = {"original": x_te[picks],
        "nonlinear AE": autoencoder.predict(x_te[picks]),
        f"PCA-{K}": np.clip(c_te[picks] @ P.T @ P + mean, 0, 1)}
fig = Figure(figsize=(14, 5.2))
axes = fig.subplots(len(rows), 10)
for r, (name, images) in enumerate(rows.items()):
    for c in range(10):
        ax = axes[r, c]
        ax.imshow(images[c].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if r == 0:
            ax.set_title(f"digit {y_te[picks[c]]}")
        if c == 0:
            ax.set_ylabel(name)
fig.suptitle(f"Test digits and their reconstructions from {K} numbers "
             f"(test MSE: AE {ae_te:.4f}, PCA {pca_te:.4f})")
lesson.save(fig, "17_reconstructions.png")

# %% [markdown]
# ### The latent map
# Each test image is a point (z1, z2), coloured by the digit it shows (the labels were never
# used in training). Beside it, the same images at their first two PCA coordinates. To put a
# number on "the digits are better separated", we classify each test point by its nearest
# training point in the same 2-D map (1-nearest neighbour).

# %%
codes_tr = encoder.predict(x_tr)
pca_codes_tr, pca_codes_te = c_tr @ P.T, c_te @ P.T


def nearest_neighbour_accuracy(z_train, z_test):
    d2 = ((z_test[:, None, :] - z_train[None, :, :]) ** 2).sum(axis=-1)   # (N_test, N_train)
    return float(np.mean(y_tr[d2.argmin(axis=1)] == y_te))


acc_ae = nearest_neighbour_accuracy(codes_tr, codes_te)
acc_pca = nearest_neighbour_accuracy(pca_codes_tr, pca_codes_te)
print(f"1-nearest-neighbour accuracy in the 2-D map: autoencoder {acc_ae:.3f}   PCA {acc_pca:.3f}")

fig = Figure(figsize=(12, 5))
axes = fig.subplots(1, 2)
colors = [f"C{d}" for d in range(10)]
for ax, codes, title, labels in ((axes[0], pca_codes_te, f"PCA (1-NN accuracy {acc_pca:.2f})",
                                  ("PC 1", "PC 2")),
                                 (axes[1], codes_te, f"nonlinear autoencoder (1-NN accuracy "
                                                     f"{acc_ae:.2f})", ("z1", "z2"))):
    for d in range(10):
        pts = codes[y_te == d]
        ax.scatter(pts[:, 0], pts[:, 1], s=12, color=colors[d], label=str(d), alpha=0.8)
    ax.set_title(title)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
handles, names = axes[1].get_legend_handles_labels()            # one legend for both panels
fig.legend(handles, names, title="digit", loc="center left", bbox_to_anchor=(0.91, 0.5),
           markerscale=2)
fig.suptitle(f"2-D codes of the {len(x_te)} test digits, coloured by the digit shown")
lesson.save(fig, "17_latent_map.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/model.py`: the module docstring's "Sharing a layer" paragraph, and
#   `Sequential.backward`, which hands each layer back the cache of THIS model's forward
#   (why `encoder` can sit in `autoencoder` and still run alone).
# - `scratchnet/layers/dense.py`: `dense_backward`: dL/dW = x.T @ dy. That product is why an
#   input pixel that is always 0 never moves its row of W (the dead pixels above).
# - `scratchnet/losses.py`: `MSE`, the reconstruction loss: dL/dy_pred = 2 e / M.
# - `scratchnet/layers/base.py`: the `trainable` attribute, used in Exercise 2 to freeze the
#   shared encoder.
#
# ## Exercises
# ### Exercise 1
# Train a linear autoencoder with a code of K = 4 on the centered training digits and compute
# the principal angles between its decoder's span and the top 4 PCA directions. Check: the
# largest angle is below 1 degree, and its training MSE is within 0.1 % of PCA-4's.
#
# ### Exercise 2
# Use the trained `encoder` of this lesson inside a classifier,
# `Sequential([encoder, Dense(2, 32), Tanh(), Dense(32, 10)])`, with `encoder.trainable =
# False`, and train it on the labels with CategoricalCrossEntropy. Check: the test accuracy is
# above 0.6 from two numbers per image, and no encoder weight changed (max change 0).
#
# ### Exercise 3
# A denoising autoencoder: 64 -> 64 (tanh) -> 16 -> 64 (tanh) -> 64 (sigmoid), trained for 40
# epochs on noisy inputs (x + Gaussian noise of std 0.3, clipped to [0, 1]) with the CLEAN
# images as targets. Check: on test images, the MSE between its output and the clean image is
# below half the MSE between the noisy and the clean image. (Train it for 300 epochs and
# watch the test MSE rise: it starts to learn the training noise.)
# (solutions: tutorials/solutions/17_autoencoders.py)
