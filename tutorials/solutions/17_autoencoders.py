"""Solutions to the exercises of tutorials/17_autoencoders.py (run it as a script)."""
import numpy as np

from scratchnet import lesson
from scratchnet.data import train_test_split
from scratchnet.datasets import load_digits
from scratchnet.layers import Dense, Sigmoid, Tanh
from scratchnet.losses import MSE, CategoricalCrossEntropy
from scratchnet.model import Sequential
from scratchnet.optimizers import Adam

EPOCHS = 30 if lesson.FAST else 300

x, y = load_digits(flat=True)
x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.25, stratify=True, rng=0)
mean = x_tr.mean(axis=0)
c_tr = x_tr - mean


def principal_angles(A, B):
    """Principal angles in degrees between the column spaces of A (D, k) and B (D, k)."""
    Qa, _ = np.linalg.qr(A)
    Qb, _ = np.linalg.qr(B)
    return np.degrees(np.arccos(np.clip(np.linalg.svd(Qa.T @ Qb, compute_uv=False), -1, 1)))


def mse(a, b):
    return float(np.mean((a - b) ** 2))


# ----- Exercise 1: a linear autoencoder with K = 4 spans the top 4 PCA directions --------------
K = 4
_, _, Vt = np.linalg.svd(c_tr, full_matrices=False)
P = Vt[:K]
linear_ae = Sequential([Dense(64, K, init="xavier", rng=0), Dense(K, 64, init="xavier", rng=1)])
linear_ae.fit(c_tr, c_tr, loss=MSE(), optimizer=Adam(0.01), epochs=300 if lesson.FAST else 1000,
              batch_size=None, verbose=0)
angles = principal_angles(linear_ae[1].params["W"].T, P.T)
ratio = mse(linear_ae.predict(c_tr), c_tr) / mse(c_tr @ P.T @ P, c_tr)
print(f"principal angles (degrees): {angles.round(4).tolist()}; MSE / PCA-4's: {ratio:.6f}")
lesson.check(1, "largest principal angle, degrees", float(angles.max()),
             angles.max() < 1.0 and abs(ratio - 1) < 1e-3)

# ----- Exercise 2: a classifier on the shared, frozen encoder ------------------------------------
encoder = Sequential([Dense(64, 32, init="xavier", rng=0), Tanh(),
                      Dense(32, 2, init="xavier", rng=1)], name="encoder")
decoder = Sequential([Dense(2, 32, init="xavier", rng=2), Tanh(),
                      Dense(32, 64, init="xavier", rng=3), Sigmoid()], name="decoder")
autoencoder = Sequential([encoder, decoder])
autoencoder.fit(x_tr, x_tr, loss=MSE(), optimizer=Adam(0.003), epochs=EPOCHS, batch_size=32,
                verbose=0, rng=0)
before = {k: v.copy() for k, v in encoder.parameters().items()}
encoder.trainable = False                         # the optimizer skips it and all inside it
classifier = Sequential([encoder, Dense(2, 32, init="xavier", rng=4), Tanh(),
                         Dense(32, 10, init="xavier", rng=5)])
classifier.fit(x_tr, y_tr, loss=CategoricalCrossEntropy(), optimizer=Adam(0.01),
               epochs=EPOCHS, batch_size=32, verbose=0, rng=0)
acc = classifier.evaluate(x_te, y_te)["accuracy"]
moved = max(float(np.abs(v - before[k]).max()) for k, v in encoder.parameters().items())
print(f"test accuracy from 2 numbers: {acc:.3f}; largest change of an encoder weight: {moved}")
lesson.check(2, "test accuracy on the frozen 2-D codes", float(acc), acc > 0.6 and moved == 0.0)

# ----- Exercise 3: a denoising autoencoder -------------------------------------------------------
# 40 epochs in both modes: trained much longer (300 epochs), it starts to fit the noise of the
# training images and the test MSE rises again.
rng = np.random.default_rng(0)
noisy_tr = np.clip(x_tr + rng.normal(0, 0.3, x_tr.shape), 0, 1)
noisy_te = np.clip(x_te + rng.normal(0, 0.3, x_te.shape), 0, 1)
denoiser = Sequential([Dense(64, 64, init="xavier", rng=0), Tanh(), Dense(64, 16, init="xavier", rng=1),
                       Dense(16, 64, init="xavier", rng=2), Tanh(),
                       Dense(64, 64, init="xavier", rng=3), Sigmoid()])
denoiser.fit(noisy_tr, x_tr, loss=MSE(), optimizer=Adam(0.003), epochs=40, batch_size=32,
             verbose=0, rng=0)
noise_mse, out_mse = mse(noisy_te, x_te), mse(denoiser.predict(noisy_te), x_te)
print(f"test MSE to the clean images: noisy input {noise_mse:.4f}, denoised {out_mse:.4f}")
lesson.check(3, "denoised MSE / noisy MSE", out_mse / noise_mse, out_mse < 0.5 * noise_mse)

lesson.finish()
