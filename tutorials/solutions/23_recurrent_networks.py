"""Solutions to the exercises of tutorials/23_recurrent_networks.py."""
import numpy as np

import gradcheck
from scratchnet import Sequential, lesson
from scratchnet.datasets import load_headlines
from scratchnet.layers import GRU, LSTM, Dense, Embedding
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam
from scratchnet.text import TextVectorizer

EPOCHS = 6 if lesson.FAST else 15
T, DIM, HIDDEN = 14, 8, 16
texts, y, (_, _, is_order) = load_headlines(2000, word_order=0.5, return_parts=True)
n_train = 1500
vec = TextVectorizer(output_sequence_length=T).fit(texts[:n_train])
ids = vec.transform(texts)
x_train, y_train, x_test, y_test = ids[:n_train], y[:n_train], ids[n_train:], y[n_train:]
order_test = is_order[n_train:]


def sequence_model(cell=LSTM, seed=0):
    return Sequential([Embedding(vec.vocabulary_size, DIM, padding_idx=0, rng=seed),
                       cell(DIM, HIDDEN, rng=seed + 1), Dense(HIDDEN, 2, rng=seed + 2)])


def order_accuracy(model, x_tr, x_te):
    model.fit(x_tr, y_train, loss=CategoricalCrossEntropy(), optimizer=Adam(0.01),
              epochs=EPOCHS, batch_size=32, rng=0, verbose=0)
    right = model.predict(x_te).argmax(axis=1) == y_test
    return float(right[order_test].mean())


# Exercise 1: a GRU in place of the LSTM.
gru = sequence_model(GRU)
acc = order_accuracy(gru, x_train, x_test)
print(f"parameters of the recurrent layer: LSTM {sequence_model().layers[1].n_params}, "
      f"GRU {gru.layers[1].n_params}")
lesson.check(1, "GRU accuracy on the word-order test headlines", acc, acc > 0.95)

# Exercise 2: gradcheck the whole masked sequence model on 4 padded test headlines.
report = gradcheck.check_model(sequence_model(), CategoricalCrossEntropy(), x_test[:4],
                               y_test[:4])
print(report)
lesson.check(2, "gradcheck of Embedding -> LSTM -> Dense with padding", report.status,
             report.passed)


# Exercise 3: read every headline backwards (the padding stays at the end).
def backwards(rows):
    out = rows.copy()
    for row in out:
        n = int((row != 0).sum())
        row[:n] = row[:n][::-1]
    return out


acc = order_accuracy(sequence_model(), backwards(x_train), backwards(x_test))
lesson.check(3, "LSTM accuracy on the word-order headlines read backwards", acc, acc > 0.95)
lesson.finish()
