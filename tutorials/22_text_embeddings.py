# %% [markdown]
# # 22 - Words as vectors: text vectorization, embeddings, and a satire detector
#
# After this lesson you can
# - turn texts into rows of integers with a vocabulary, padding and an unknown token;
# - say why one-hot vectors are a poor way to feed words to a network, and what an embedding
#   table does instead (a lookup that equals one-hot times a matrix);
# - build the course's model for its sarcasm exercise, Embedding -> GlobalAvgPool1D -> Dense,
#   and see when a bag of words needs a hidden layer after the average.
#
# Why: a network computes with numbers, and words are not numbers. The course (the Curso-R
# deck, examples 09-11 and exercise 10) numbers the words, then learns a vector per word,
# then averages the vectors of a headline to classify it. Our headlines come from a small
# grammar (`scratchnet/datasets/headlines.py`): a sincere headline pairs an official subject
# with a civic act, or a person with a personal one; satire swaps them ("area man announces
# flood relief plan", "the senate adopts a golden retriever"). No single word tells the two
# apart, which makes it a good test of what a bag of words can and cannot do.
#
# Run: `python tutorials/22_text_embeddings.py` (SCRATCHNET_FAST=1 for a quick run).
# Figures go to tutorials/out/ (or $SCRATCHNET_OUT).

# %%
import numpy as np
from matplotlib.figure import Figure

from scratchnet import Sequential, lesson
from scratchnet.datasets import load_headlines
from scratchnet.datasets.headlines import CIVIC, OFFICIAL, PERSON, PERSONAL
from scratchnet.layers import Dense, Embedding, GlobalAvgPool1D, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam
from scratchnet.text import TextVectorizer, one_hot_tokens, tokenize

EPOCHS = 12 if lesson.FAST else 30
T = 12                       # every headline becomes 12 ids (cut or padded)

# %% [markdown]
# ## From text to integers
# `TextVectorizer.fit` counts the tokens and numbers them, most frequent first. Id 0 is
# padding and id 1 stands for any token not in the vocabulary. `transform` gives every text
# the same length T, cutting long ones and padding short ones with 0 at the end, as the
# course's table does for "Eu gosto de gatos e cachorros".

# %%
toy = ["I like cats and dogs", "I like cats"]
toy_vec = TextVectorizer(output_sequence_length=6).fit(toy)
print(f"vocabulary: {toy_vec.vocabulary}")
toy_ids = toy_vec.transform(toy + ["I like birds"])
for text, row in zip(toy + ["I like birds"], toy_ids):
    print(f"{text!r:24} -> {row.tolist()}")
messy = "Area Man, 45, Doesn't Care!"
print(f"tokens of {messy!r}: {tokenize(messy)}")

# %% [markdown]
# ## One-hot vectors, and the embedding that replaces them
# One-hot: word id k becomes a vector of zeros with a 1 at position k. Every two different
# words are then equally far apart (sqrt 2), and with 20,000 words each vector has 20,000
# entries, nearly all 0. An embedding gives each id a short learned vector instead: row k of
# a table W (vocab_size, dim). Looking the row up is exactly one_hot(k) @ W, without the
# multiplications by 0.

# %%
oh = one_hot_tokens(toy_ids[:1], toy_vec.vocabulary_size)
distances = {round(float(np.linalg.norm(oh[0, i] - oh[0, j])), 6)
             for i in range(5) for j in range(5) if i != j}
print(f"one-hot of {toy[0]!r}: shape {oh.shape}; distances between distinct words: "
      f"{sorted(distances)}")
emb = Embedding(toy_vec.vocabulary_size, 3, padding_idx=0, rng=0)
lookup = emb.forward(toy_ids[:1])
print(f"embedding lookup equals one-hot @ W: "
      f"{np.allclose(lookup[0, :5], oh[0, :5] @ emb.params['W'])}; padding positions give "
      f"{lookup[0, 5].tolist()}")

# %% [markdown]
# ## The headlines

# %%
texts, y, (subject_kind, predicate_kind) = load_headlines(2000, return_parts=True)
n_train = 1500
vec = TextVectorizer(output_sequence_length=T).fit(texts[:n_train])
ids = vec.transform(texts)
x_train, y_train, x_test, y_test = ids[:n_train], y[:n_train], ids[n_train:], y[n_train:]
for text, label in zip(texts[:4], y[:4]):
    print(f"  {('sincere', 'satire')[label]:8} {text}")
print(f"{len(texts)} headlines, vocabulary of {vec.vocabulary_size} tokens, "
      f"satire share {y.mean():.2f}")
word_share = {}
for word in ("area", "senate", "adopts", "budget"):
    has = np.array([word in tokenize(t) for t in texts])
    word_share[word] = y[has].mean()
print("share of satire among headlines with the word: " +
      ", ".join(f"{w} {s:.2f}" for w, s in word_share.items()))

# %% [markdown]
# Every word sits in satire about half the time: a single keyword says nothing. The label is
# the exclusive-or of "is the subject a person?" and "is the act personal?".
#
# ## Embedding -> average -> Dense
# GlobalAvgPool1D averages the T vectors of a headline into one. The padding must not count:
# `Embedding(padding_idx=0)` hands Sequential a mask (True at real tokens), and Sequential
# passes it to GlobalAvgPool1D, which averages over the real tokens only. Then either a
# Dense layer straight to the two classes (a linear model of the average), or a hidden ReLU
# layer first.

# %%
def text_model(hidden, dim=8, seed=0):
    head = ([Dense(dim, 16, rng=seed + 1), ReLU(), Dense(16, 2, rng=seed + 2)] if hidden
            else [Dense(dim, 2, rng=seed + 1)])
    return Sequential([Embedding(vec.vocabulary_size, dim, padding_idx=0, rng=seed),
                       GlobalAvgPool1D(), *head])


curves, models = {}, {}
for hidden in (False, True):
    model = text_model(hidden)
    h = model.fit(x_train, y_train, loss=CategoricalCrossEntropy(), optimizer=Adam(0.01),
                  epochs=EPOCHS, batch_size=32, validation_data=(x_test, y_test), rng=0,
                  verbose=0)
    name = "hidden layer" if hidden else "linear"
    curves[name], models[name] = h["val_accuracy"], model
    print(f"{name:12} test accuracy after {EPOCHS} epochs: {h['val_accuracy'][-1]:.3f}")
print(model.summary(input_shape=(T,)))

# %% [markdown]
# The linear model stays near chance, 0.5: the average of the word vectors is a linear
# function of the word counts, and no weighting of word counts computes an exclusive-or (the
# same reason a single perceptron fails on XOR in tutorial 04). One hidden layer after the
# average solves it.
#
# ## What the embedding learned
# With dim = 2 we can draw every word's vector. The network only needs to know which of the
# four groups a word belongs to, so training pulls the words of a group together (where each
# cluster lands depends on the random start). We measure it: the share of words whose nearest
# neighbour in the plane belongs to their own group, before and after training.

# %%
groups = {"official subject": OFFICIAL, "person subject": PERSON, "civic act": CIVIC,
          "personal act": PERSONAL}
index = {tok: i for i, tok in enumerate(vec.vocabulary)}
words, group_of = [], []
for g, phrases in enumerate(groups.values()):   # words of one group only ("the", "a" are shared)
    for w in sorted({w for p in phrases for w in tokenize(p)}):
        if w in index and w not in words and not any(
                w in tokenize(p) for other in groups.values() if other is not phrases for p in other):
            words.append(w)
            group_of.append(g)
group_of = np.array(group_of)


def neighbour_agreement(W):
    """Share of words whose nearest other word (Euclidean, in W's rows) is in their group."""
    P = W[[index[w] for w in words]]
    d = np.linalg.norm(P[:, None] - P[None], axis=2) + np.diag(np.full(len(P), np.inf))
    return float(np.mean(group_of[d.argmin(axis=1)] == group_of))


small = text_model(True, dim=2, seed=5)
before = neighbour_agreement(small.layers[0].params["W"])
small.fit(x_train, y_train, loss=CategoricalCrossEntropy(), optimizer=Adam(0.02),
          epochs=EPOCHS, batch_size=32, rng=0, verbose=0)
acc_2d = small.evaluate(x_test, y_test)["accuracy"]
W = small.layers[0].params["W"]
print(f"2-D embedding with a hidden layer: test accuracy {acc_2d:.3f}")
print(f"words whose nearest neighbour is in their own group ({len(words)} words): "
      f"before training {before:.2f}, after {neighbour_agreement(W):.2f}")
fig = Figure(figsize=(7.5, 6))
ax = fig.add_subplot(1, 1, 1)
colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
for g, label in enumerate(groups):
    pts = W[[index[w] for w, k in zip(words, group_of) if k == g]]
    ax.scatter(pts[:, 0], pts[:, 1], s=18, color=colors[g], label=label)
    for w in [w for w, k in zip(words, group_of) if k == g][:2]:
        ax.annotate(w, W[index[w]], fontsize=8, color=colors[g])
ax.set(xlabel="embedding dimension 1", ylabel="embedding dimension 2",
       title=f"word vectors learned for satire detection (test accuracy {acc_2d:.2f})")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
lesson.save(fig, "22_embedding_map.png")

fig = Figure(figsize=(6, 4))
ax = fig.add_subplot(1, 1, 1)
for name, acc in curves.items():
    ax.plot(np.arange(1, len(acc) + 1), acc, "o-", label=name)
ax.axhline(0.5, color="gray", ls="--", label="chance")
ax.set(xlabel="epoch", ylabel="test accuracy", ylim=(0, 1.05),
       title="Embedding -> average -> Dense, with and without a hidden layer")
ax.legend(loc="lower right")
lesson.save(fig, "22_accuracy.png")

# %% [markdown]
# ## Read the source
# - `scratchnet/text.py`: `tokenize` (one regular expression), `TextVectorizer.fit` (count,
#   sort by count then alphabetically) and `transform` (cut or pad to T).
# - `scratchnet/layers/embedding.py`: `Embedding.forward` is one fancy-indexing line;
#   `backward` uses `np.add.at`, because a word used twice in a batch must collect two
#   gradients (`dW[ids] += dy` would keep one). It returns None: ids have no gradient.
#   `GlobalAvgPool1D` weights each position by 1/count of real tokens.
# - `scratchnet/model.py`: `Sequential.forward` passes the mask from `compute_mask` to layers
#   with `supports_mask`.
# - `scratchnet/datasets/headlines.py`: the grammar the corpus comes from.
#
# ## Exercises
# ### Exercise 1
# Show that the mask matters. Pad the test headlines to 16 and to 30 ids and compare the
# trained model's predictions: with the mask they agree (max difference below 1e-12). Build
# the same model with `GlobalAvgPool1D(mask_padding=False)`, copy the weights over, and show
# that its predictions change with the padding (max difference above 1e-3).
#
# ### Exercise 2
# A bag of words cannot see order. Shuffle the words inside every test headline and show
# that the trained model's predictions do not change (max difference below 1e-12). (Sequence
# models, RNN and LSTM, read the order; they come next in the course.)
#
# ### Exercise 3
# Gradcheck the whole text model on 6 headlines with `gradcheck.check_model` (it checks the
# embedding table and every Dense layer; ids have no gradient). Check: PASS.
# Solutions: tutorials/solutions/22_text_embeddings.py.
