"""Solutions to the exercises of tutorials/22_text_embeddings.py."""
import numpy as np

import gradcheck
from scratchnet import Sequential, lesson
from scratchnet.datasets import load_headlines
from scratchnet.layers import Dense, Embedding, GlobalAvgPool1D, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam
from scratchnet.text import TextVectorizer

texts, y = load_headlines(2000)
vec = TextVectorizer().fit(texts[:1500])          # no fixed length: we pad ourselves below


def pad(ids, T):
    out = np.zeros((len(ids), T), dtype=np.int64)
    out[:, :ids.shape[1]] = ids
    return out


ids = vec.transform(texts)                        # as long as the longest headline
x_train, y_train, x_test = pad(ids[:1500], 16), y[:1500], ids[1500:]


def build(mask_padding=True):
    return Sequential([Embedding(vec.vocabulary_size, 8, padding_idx=0, rng=0),
                       GlobalAvgPool1D(mask_padding=mask_padding),
                       Dense(8, 16, rng=1), ReLU(), Dense(16, 2, rng=2)])


model = build()
model.fit(x_train, y_train, loss=CategoricalCrossEntropy(), optimizer=Adam(0.01), epochs=8,
          rng=0, verbose=0)

# Exercise 1: with the mask, padding changes nothing; without it, it does.
masked = np.abs(model.predict(pad(x_test, 16)) - model.predict(pad(x_test, 30))).max()
plain = build(mask_padding=False)
for mine, theirs in zip(plain.layers, model.layers):
    for key in mine.params:
        mine.params[key][...] = theirs.params[key]
unmasked = np.abs(plain.predict(pad(x_test, 16)) - plain.predict(pad(x_test, 30))).max()
lesson.check(1, "masked / unmasked change with padding", f"{masked:.1e} / {unmasked:.1e}",
             masked < 1e-12 and unmasked > 1e-3)

# Exercise 2: shuffle the words of each headline; a bag of words does not notice.
rng = np.random.default_rng(0)
shuffled = pad(x_test, 16).copy()
for row in shuffled:
    n = int((row != 0).sum())
    row[:n] = row[:n][rng.permutation(n)]
change = np.abs(model.predict(pad(x_test, 16)) - model.predict(shuffled)).max()
lesson.check(2, "max change of the predictions when the words are shuffled", change,
             change < 1e-12)

# Exercise 3: gradcheck the text model (the embedding table and every Dense layer).
report = gradcheck.check_model(build(), CategoricalCrossEntropy(), x_train[:6], y_train[:6])
print(report)
lesson.check(3, "gradcheck of Embedding -> GlobalAvgPool1D -> MLP", report.status,
             report.passed)
lesson.finish()
