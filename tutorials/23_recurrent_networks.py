# %% [markdown]
# # 23 - Recurrent networks: reading the words in order
#
# After this lesson you can
# - show with a number why a bag of words cannot tell "stray dog bites area man" from
#   "area man bites stray dog";
# - write the step of a simple recurrent network and of an LSTM (the gates i, f, g, o, the cell
#   c_t and the state h_t) and follow the shapes through Embedding -> LSTM -> Dense;
# - train that model on headlines where word order carries the label, and compare it with the
#   bag of embeddings of tutorial 22;
# - use the padding mask so that the LSTM stops at each headline's last real word.
#
# Why: tutorial 22 averaged the word vectors of a headline. An average forgets the order, and
# in "man bites dog" the order is the news. The Curso-R deck follows its text lessons with
# recurrent networks, and the AGA 0505 deck names the LSTM among the network families: a
# network that reads one word at a time and carries a state from word to word. Our headline
# grammar (`scratchnet/datasets/headlines.py`) gets a second part for this: an animal doing
# something to a person is sincere news ("stray dog bites area man"), a person doing it to
# an animal is satire ("area man bites stray dog"). Both orders of the same words are equally
# likely, so the words alone say nothing.
#
# Run: `python tutorials/23_recurrent_networks.py` (SCRATCHNET_FAST=1 for a quick run).
# Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

from scratchnet import Sequential, lesson
from scratchnet.datasets import load_headlines
from scratchnet.datasets.headlines import ANIMALS, CIVIC, OFFICIAL, PERSON, PERSONAL, VERBS
from scratchnet.layers import LSTM, Dense, Embedding, GlobalAvgPool1D, ReLU, SimpleRNN, softmax
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam
from scratchnet.text import TextVectorizer, tokenize

EPOCHS = 6 if lesson.FAST else 15
T = 14                       # every headline becomes 14 ids (the longest has 13 words)
DIM, HIDDEN = 8, 16

# %% [markdown]
# ## A recurrent layer is one cell, applied at every step
# A simple recurrent network (SimpleRNN) keeps a state h, a vector of H numbers. At step t it
# reads the input x_t and updates the state with the same weights every time:
#
#     h_t = tanh(x_t Wx + h_{t-1} Wh + b)          h_0 = 0
#     x: (N, T, n_in)   Wx: (n_in, H)   Wh: (H, H)   b: (H,)   h_t: (N, H)
#
# Its output is the last state h_T (or every h_t with `return_sequences=True`). We run the
# loop by hand and compare it with the layer.

# %%
rng = np.random.default_rng(0)
rnn = SimpleRNN(3, 4, rng=0)
x_toy = rng.normal(size=(2, 5, 3))
h = np.zeros((2, 4))
for t in range(5):
    h = np.tanh(x_toy[:, t] @ rnn.params["Wx"] + h @ rnn.params["Wh"] + rnn.params["b"])
print(f"5 steps by hand vs SimpleRNN.forward: max difference "
      f"{np.abs(h - rnn.forward(x_toy)).max():.1e}")

# %% [markdown]
# ## The LSTM adds a memory cell and three gates
# The LSTM keeps a second vector, the cell c, and decides with gates (numbers between 0 and 1)
# what to write into it, what to keep and what to show:
#
#     [a_i, a_f, a_g, a_o] = x_t Wx + h_{t-1} Wh + b          four blocks of H columns
#     i = sigmoid(a_i)  input gate      f = sigmoid(a_f)  forget gate
#     g = tanh(a_g)     candidate       o = sigmoid(a_o)  output gate
#     c_t = f * c_{t-1} + i * g         h_t = o * tanh(c_t)
#
# So Wx is (n_in, 4H), Wh (H, 4H), b (4H,): four times a SimpleRNN's parameters. One LSTM
# step by hand, against the layer with T = 1:

# %%
lstm_toy = LSTM(3, 4, rng=0)
a = x_toy[:, 0] @ lstm_toy.params["Wx"] + lstm_toy.params["b"]      # h_0 = 0: no Wh term
sig = lambda z: 1 / (1 + np.exp(-z))                                 # noqa: E731
i, f, g, o = sig(a[:, :4]), sig(a[:, 4:8]), np.tanh(a[:, 8:12]), sig(a[:, 12:])
c = i * g                                                            # c_0 = 0
print(f"one LSTM step by hand vs LSTM.forward: max difference "
      f"{np.abs(o * np.tanh(c) - lstm_toy.forward(x_toy[:, :1])).max():.1e}")
print(f"parameters for n_in = 3, H = 4: SimpleRNN {rnn.n_params}, LSTM {lstm_toy.n_params} "
      f"(= 4 x {rnn.n_params})")

# %% [markdown]
# Backward runs the same chain from the last step to the first ("backprop through time"):
# the gradient reaching h_t is what its output sends plus what step t + 1 sends back, and the
# weight gradients are sums over the steps. `scratchnet/layers/recurrent.py` derives it in its
# docstrings; tests compare it with finite differences and with PyTorch.
#
# ## Headlines where the order matters
# Half of the corpus is tutorial 22's grammar (label = exclusive-or of the subject's and the
# act's group), half is the new "who did what to whom" grammar.

# %%
texts, y, (subject_kind, predicate_kind, is_order) = load_headlines(
    2000, word_order=0.5, return_parts=True)
n_train = 1500
vec = TextVectorizer(output_sequence_length=T).fit(texts[:n_train])
ids = vec.transform(texts)
x_train, y_train, x_test, y_test = ids[:n_train], y[:n_train], ids[n_train:], y[n_train:]
order_test = is_order[n_train:]
for k in np.flatnonzero(is_order)[:2].tolist() + np.flatnonzero(~is_order)[:2].tolist():
    print(f"  {('sincere', 'satire')[y[k]]:8} {'order' if is_order[k] else 'xor  '} {texts[k]}")
print(f"{len(texts)} headlines ({is_order.sum()} of them word-order), vocabulary of "
      f"{vec.vocabulary_size} tokens, longest {max(len(tokenize(t)) for t in texts)} words")
pair = ["stray dog bites area man", "area man bites stray dog"]
pair_ids = vec.transform(pair)
print(f"{pair[0]!r} and {pair[1]!r}: same words {sorted(pair_ids[0]) == sorted(pair_ids[1])}")

# %% [markdown]
# ## Bag of embeddings against LSTM
# The bag: tutorial 22's best model, Embedding -> average -> Dense 16 -> ReLU -> Dense 2.
# The sequence model: Embedding -> LSTM(16) -> Dense 2, where the LSTM's last state is the
# summary of the headline. Both see the same ids; `Embedding(padding_idx=0)` hands the padding
# mask to the next layer in both.

# %%
def bag_model(seed=0):
    return Sequential([Embedding(vec.vocabulary_size, DIM, padding_idx=0, rng=seed),
                       GlobalAvgPool1D(), Dense(DIM, HIDDEN, rng=seed + 1), ReLU(),
                       Dense(HIDDEN, 2, rng=seed + 2)])


def sequence_model(cell=LSTM, seed=0):
    return Sequential([Embedding(vec.vocabulary_size, DIM, padding_idx=0, rng=seed),
                       cell(DIM, HIDDEN, rng=seed + 1), Dense(HIDDEN, 2, rng=seed + 2)])


models, curves = {"bag of embeddings": bag_model(), "LSTM": sequence_model()}, {}
for name, model in models.items():
    h = model.fit(x_train, y_train, loss=CategoricalCrossEntropy(), optimizer=Adam(0.01),
                  epochs=EPOCHS, batch_size=32, validation_data=(x_test, y_test), rng=0,
                  verbose=0)
    curves[name] = h["val_accuracy"]
    right = model.predict(x_test).argmax(axis=1) == y_test
    print(f"{name:17} test accuracy {right.mean():.3f}: xor headlines "
          f"{right[~order_test].mean():.3f}, word-order headlines {right[order_test].mean():.3f}")
print(models["LSTM"].summary(input_shape=(T,)))

# %% [markdown]
# The bag solves the exclusive-or headlines (its hidden layer does, as in tutorial 22) and
# stays near chance on the word-order ones: it gives a headline and its swap the very same
# output, so on each such pair it gets one right and one wrong. The LSTM reads the words in
# turn and solves both. The models output two scores (logits); softmax turns them into
# probabilities. For the two orders of one headline:

# %%
for name, model in models.items():
    p = softmax(model.predict(pair_ids))[:, 1]
    print(f"{name:17} P(satire): {pair[0]!r} {p[0]:.3f}, {pair[1]!r} {p[1]:.3f}")

# %% [markdown]
# ## Padding: the LSTM stops at the last real word
# With a mask, a padded step leaves the state as it was, so the output is the state after each
# headline's last real word, however long the padding. The same LSTM weights without the mask
# (an Embedding without padding_idx) keep stepping through the zeros, and the padding length
# changes the answer.

# %%
lstm_model = models["LSTM"]
longer = np.pad(x_test, ((0, 0), (0, 10)))
def probs(model, ids):
    return softmax(model.predict(ids))


masked_change = np.abs(probs(lstm_model, x_test) - probs(lstm_model, longer)).max()
no_mask = Sequential([Embedding(vec.vocabulary_size, DIM, rng=0), LSTM(DIM, HIDDEN, rng=1),
                      Dense(HIDDEN, 2, rng=2)])
for mine, theirs in zip(no_mask.layers, lstm_model.layers):
    for key in mine.params:
        mine.params[key][...] = theirs.params[key]
unmasked_change = np.abs(probs(no_mask, x_test) - probs(no_mask, longer)).max()
print(f"10 more padding ids change the LSTM's probabilities by at most {masked_change:.1e} "
      f"with the mask, {unmasked_change:.2f} without it")

# %% [markdown]
# ## What the LSTM's embedding learned
# The LSTM's Embedding has DIM = 8 numbers per word. We draw them in 2-D along their two main
# directions (principal components) and colour each word by its group in the grammar. To read
# the order headlines, the network must know which words name a person and which an animal;
# we measure it as the share of those words whose nearest neighbour (in all 8 dimensions) is
# in their own group, before and after training.

# %%
groups = {"official subject": OFFICIAL, "person": PERSON, "civic act": CIVIC,
          "personal act": PERSONAL, "animal": ANIMALS, "verb": VERBS}
index = {tok: i for i, tok in enumerate(vec.vocabulary)}
word_group = {}
for g, phrases in enumerate(groups.values()):
    for w in {w for p in phrases for w in tokenize(p)}:
        if w in index:
            word_group.setdefault(w, set()).add(g)
words = sorted(w for w, gs in word_group.items() if len(gs) == 1)   # words of one group only
group_of = np.array([next(iter(word_group[w])) for w in words])


def person_animal_agreement(W):
    """Share of person and animal words whose nearest other such word is in their group."""
    keep = np.isin(group_of, [1, 4])
    P, lab = W[[index[w] for w, k in zip(words, keep) if k]], group_of[keep]
    d = np.linalg.norm(P[:, None] - P[None], axis=2) + np.diag(np.full(len(P), np.inf))
    return float(np.mean(lab[d.argmin(axis=1)] == lab))


W_start = sequence_model().layers[0].params["W"]
W = lstm_model.layers[0].params["W"]
print(f"person and animal words whose nearest neighbour is in their own group "
      f"({int(np.isin(group_of, [1, 4]).sum())} words): before training "
      f"{person_animal_agreement(W_start):.2f}, after {person_animal_agreement(W):.2f}")
P = W[[index[w] for w in words]]
P = P - P.mean(axis=0)
_, s, Vt = np.linalg.svd(P, full_matrices=False)
xy = P @ Vt[:2].T
print(f"the first two directions hold {np.sum(s[:2] ** 2) / np.sum(s ** 2):.2f} of the "
      f"embedding's variance")
fig = Figure(figsize=(8.5, 6))
ax = fig.add_subplot(1, 1, 1)
colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#7f7f7f"]
for g, label in enumerate(groups):
    sel = group_of == g
    ax.scatter(xy[sel, 0], xy[sel, 1], s=22, color=colors[g], label=label)
    for k in np.flatnonzero(sel)[:2]:
        ax.annotate(words[k], xy[k], fontsize=8, color=colors[g])
ax.set(xlabel="principal direction 1", ylabel="principal direction 2",
       title="word vectors learned by Embedding -> LSTM -> Dense")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
lesson.save(fig, "23_embedding_map.png")

fig = Figure(figsize=(7.5, 4))
ax = fig.add_subplot(1, 1, 1)
for name, acc in curves.items():
    ax.plot(np.arange(1, len(acc) + 1), acc, "o-", label=name)
ax.axhline(0.75, color="gray", ls="--", label="chance on half, right on the rest")
ax.set(xlabel="epoch", ylabel="test accuracy", ylim=(0.4, 1.02),
       title="headlines where order matters: bag of embeddings vs LSTM")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
lesson.save(fig, "23_accuracy.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/layers/recurrent.py`: the module docstring derives backprop through time.
#   `_Recurrent.forward` computes x_t Wx + b for all steps in one product, then calls the
#   cell's `_loop`; `LSTM._loop` is the six lines of the equations above, `LSTM._loop_back`
#   their backward, step by step from t = T down to 1. Look for `np.copyto(..., where=keep)`:
#   that is how a padded step keeps its state.
# - `scratchnet/layers/embedding.py`: `Embedding.compute_mask` makes the mask;
#   `scratchnet/model.py`: `Sequential.forward` hands it to layers with `supports_mask`.
# - `scratchnet/datasets/headlines.py`: `_order_headlines`, the word-order grammar.
#
# ## Exercises
# First, write this lesson's backward yourself: fetch a skeleton with
# `python -m scratchnet.exercises get rnn`, fill in its backward, and check it with
# `python -m scratchnet.exercises check rnn.py` (a gradcheck, and a comparison with the
# library's own layer on the same parameters). The same for `lstm`.
#
# ### Exercise 1
# Replace the LSTM by a `GRU` (same DIM and HIDDEN; `sequence_model(GRU)`), train it the same
# way and reach a test accuracy above 0.95 on the word-order headlines. Print the two models'
# parameter counts: the GRU has three gate blocks where the LSTM has four.
#
# ### Exercise 2
# Gradcheck the whole sequence model with the mask at work: `gradcheck.check_model` on 4 test
# headlines (their padding included) with a fresh `sequence_model()`. Check: PASS (the
# embedding table, the LSTM's Wx, Wh and b, and the Dense layer; ids have no gradient).
#
# ### Exercise 3
# The LSTM needs to know which actor came first. Read every headline backwards (reverse the
# real ids of each row, keep the padding at the end) and train a fresh LSTM on that: its
# accuracy on the word-order test headlines still passes 0.95, because "first" becomes "last".
# Solutions: tutorials/solutions/23_recurrent_networks.py.
