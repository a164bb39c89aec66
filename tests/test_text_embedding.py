"""Text vectorization, the Embedding and GlobalAvgPool1D layers, the padding mask that
Sequential carries between them, and the bundled headline corpus."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradcheck
from scratchnet import Sequential
from scratchnet.datasets import load_headlines
from scratchnet.layers import Dense, Embedding, GlobalAvgPool1D, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.text import OOV, PAD, TextVectorizer, one_hot_tokens, tokenize


# ----- tokens and vocabulary -------------------------------------------------------------------
def test_tokenize_drops_punctuation_keeps_apostrophes_and_unicode():
    assert tokenize("Area Man, 45, Doesn't Care!") == ["area", "man", "45", "doesn't", "care"]
    assert tokenize("Café naïve Ünïcode — über") == ["café", "naïve", "ünïcode", "über"]
    assert tokenize("") == [] and tokenize("!!! ...") == []
    assert tokenize("Keep Case", lowercase=False) == ["Keep", "Case"]
    with pytest.raises(TypeError, match="tokenize: expected a str"):
        tokenize(3)


def test_vocabulary_is_ordered_by_count_then_alphabetically():
    vec = TextVectorizer().fit(["b a c", "a b", "a d", "c"])
    # counts: a 3, b 2, c 2, d 1 -> ties b/c alphabetical
    assert vec.vocabulary == [PAD, OOV, "a", "b", "c", "d"]
    assert vec.vocabulary_size == 6
    small = TextVectorizer(max_tokens=4).fit(["b a c", "a b", "a d", "c"])
    assert small.vocabulary == [PAD, OOV, "a", "b"]                     # max_tokens counts both


def test_transform_pads_truncates_and_marks_unknown_tokens():
    vec = TextVectorizer(output_sequence_length=4).fit(["the cat sat", "the dog"])
    ids = vec.transform(["the cat", "a bird sat on the mat", "", "THE DOG!"])
    index = {t: i for i, t in enumerate(vec.vocabulary)}
    assert ids.dtype == np.int64 and ids.shape == (4, 4)
    assert ids[0].tolist() == [index["the"], index["cat"], 0, 0]        # padded with 0
    assert ids[1].tolist() == [1, 1, index["sat"], 1]                   # unknowns are 1, cut at 4
    assert ids[2].tolist() == [0, 0, 0, 0]                              # empty text
    assert ids[3].tolist() == [index["the"], index["dog"], 0, 0]        # lowercased, no "!"
    assert vec.decode(ids[:1]) == ["the cat"]
    free = TextVectorizer().fit(["a b c"])
    assert free.transform(["a", "a b c b"]).shape == (2, 4)             # the longest text
    assert free.transform([]).shape == (0, 0)


def test_vectorizer_errors_are_clear():
    with pytest.raises(RuntimeError, match="call fit"):
        TextVectorizer().transform(["x"])
    with pytest.raises(TypeError, match="got one str"):
        TextVectorizer().fit("one text")
    with pytest.raises(TypeError, match="at position 1"):
        TextVectorizer().fit(["ok", 3])
    with pytest.raises(ValueError, match="max_tokens"):
        TextVectorizer(max_tokens=2)
    with pytest.raises(ValueError, match="output_sequence_length"):
        TextVectorizer(output_sequence_length=0)


def test_one_hot_tokens_is_the_courses_table():
    oh = one_hot_tokens(np.array([[1, 2, 0]]), 4)
    assert oh.shape == (1, 3, 4)
    assert oh[0].tolist() == [[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]]
    with pytest.raises(ValueError, match=r"in \[0, 4\)"):
        one_hot_tokens(np.array([[4]]), 4)
    with pytest.raises(TypeError, match="integer ids"):
        one_hot_tokens(np.array([[0.5]]), 4)


# ----- Embedding -----------------------------------------------------------------------------
def test_embedding_is_a_lookup_equal_to_one_hot_times_W():
    layer = Embedding(5, 3, rng=0)
    ids = np.array([[1, 4, 4], [0, 2, 1]])
    y = layer.forward(ids)
    assert y.shape == (2, 3, 3)
    np.testing.assert_array_equal(y, one_hot_tokens(ids, 5) @ layer.params["W"])


@given(n=st.integers(1, 4), t=st.integers(1, 6), vocab=st.integers(2, 7), dim=st.integers(1, 4),
       pad=st.booleans(), seed=st.integers(0, 2**16))
def test_embedding_gradients_add_up_over_repeated_ids(n, t, vocab, dim, pad, seed):
    rng = np.random.default_rng(seed)
    layer = Embedding(vocab, dim, padding_idx=0 if pad else None, rng=seed)
    layer.params["W"][...] = rng.normal(size=(vocab, dim))           # padding row too
    ids = rng.integers(0, vocab, size=(n, t))
    report = gradcheck.check_layer(layer, ids, seed=seed)
    assert report.passed, str(report)
    dy = rng.normal(size=(n, t, dim))
    layer.forward(ids)
    assert layer.backward(dy) is None                                 # no gradient for ids
    expected = np.zeros((vocab, dim))
    for (i, j), v in np.ndenumerate(ids):
        expected[v] += dy[i, j]
    if pad:
        expected[0] = 0
    np.testing.assert_allclose(layer.grads["W"], expected)


def test_embedding_padding_positions_are_zero_and_get_no_gradient():
    layer = Embedding(4, 2, padding_idx=0, rng=0)
    assert np.all(layer.params["W"][0] == 0)
    layer.params["W"][0] = 5.0                     # even if the padding row is changed
    y = layer.forward(np.array([[0, 3, 0]]))
    assert np.all(y[0, [0, 2]] == 0)
    layer.backward(np.ones((1, 3, 2)))
    assert np.all(layer.grads["W"][0] == 0)


def test_embedding_rejects_bad_ids_and_settings():
    layer = Embedding(5, 2)
    with pytest.raises(ValueError, match=r"Embedding: token ids must lie in \[0, 5\).*5"):
        layer.forward(np.array([[1, 5]]))
    with pytest.raises(ValueError, match="from -1"):
        layer.forward(np.array([[-1, 2]]))
    with pytest.raises(TypeError, match="not whole numbers"):
        layer.forward(np.array([[0.5, 1.0]]))
    with pytest.raises(TypeError, match="integer token ids"):
        layer.forward(np.array([["a"]]))
    with pytest.raises(ValueError, match=r"shape \(N, T\)"):
        layer.forward(np.array([1, 2]))
    layer.forward(np.array([[1.0, 2.0]]))          # whole floats, as Sequential passes them
    with pytest.raises(ValueError, match="padding_idx"):
        Embedding(5, 2, padding_idx=5)
    with pytest.raises(ValueError, match="vocab_size"):
        Embedding(0, 2)


# ----- GlobalAvgPool1D and the mask ------------------------------------------------------------
@given(n=st.integers(1, 4), t=st.integers(1, 5), d=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_global_avg_pool_1d_gradients(n, t, d, seed):
    rng = np.random.default_rng(seed)
    report = gradcheck.check_layer(GlobalAvgPool1D(), rng.normal(size=(n, t, d)), seed=seed)
    assert report.passed, str(report)


def test_masked_average_leaves_padding_out():
    x = np.arange(12, dtype=float).reshape(2, 3, 2)
    mask = np.array([[True, True, False], [False, False, False]])
    pool = GlobalAvgPool1D()
    y = pool.forward(x, mask=mask)
    np.testing.assert_allclose(y[0], x[0, :2].mean(axis=0))
    np.testing.assert_array_equal(y[1], [0, 0])                     # nothing real: 0
    dx = pool.backward(np.ones((2, 2)))
    np.testing.assert_allclose(dx[0, :, 0], [0.5, 0.5, 0])
    np.testing.assert_allclose(GlobalAvgPool1D(mask_padding=False).forward(x, mask=mask),
                               x.mean(axis=1))
    with pytest.raises(ValueError, match=r"GlobalAvgPool1D: expected mask of shape \(2, 3\)"):
        pool.forward(x, mask=np.ones((2, 2), bool))


def test_sequential_carries_the_mask_from_embedding_to_pooling():
    model = Sequential([Embedding(6, 3, padding_idx=0, rng=0), GlobalAvgPool1D(), Dense(3, 2, rng=1)])
    ids = np.array([[3, 4, 0, 0], [5, 0, 0, 0]])
    padded_more = np.array([[3, 4, 0, 0, 0, 0], [5, 0, 0, 0, 0, 0]])
    # the padding left out: more padding gives the same output
    np.testing.assert_allclose(model.predict(ids), model.predict(padded_more))
    report = gradcheck.check_model(model, CategoricalCrossEntropy(), ids, np.array([0, 1]))
    assert report.passed, str(report)
    unmasked = Sequential([Embedding(6, 3, rng=0), GlobalAvgPool1D(), Dense(3, 2, rng=1)])
    assert not np.allclose(unmasked.predict(ids), unmasked.predict(padded_more))


def test_a_bag_of_words_model_ignores_word_order():
    model = Sequential([Embedding(6, 3, padding_idx=0, rng=0), GlobalAvgPool1D(), Dense(3, 2, rng=1)])
    np.testing.assert_allclose(model.predict(np.array([[1, 2, 3]])),
                               model.predict(np.array([[3, 1, 2]])))


# ----- the headline corpus ---------------------------------------------------------------------
def test_headlines_are_balanced_repeatable_and_an_exclusive_or():
    texts, y, (subject, predicate) = load_headlines(400, return_parts=True)
    again, y2 = load_headlines(400)
    assert texts == again and np.array_equal(y, y2) and len(texts) == 400
    assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    assert np.array_equal(y, subject ^ predicate)
    for s in (0, 1):                                   # each kind of subject is in both classes
        assert np.mean(y[subject == s]) == 0.5
    assert load_headlines(50, rng=1)[0] != load_headlines(50, rng=2)[0]
    with pytest.raises(ValueError, match="load_headlines"):
        load_headlines(0)


def test_no_single_word_gives_the_label_but_a_hidden_layer_learns_it():
    from scratchnet.optimizers import Adam
    texts, y = load_headlines(1200)
    vec = TextVectorizer(output_sequence_length=12).fit(texts[:800])
    ids = vec.transform(texts)
    accuracy = {}
    for name, head in (("linear", [Dense(8, 2, rng=1)]),
                       ("hidden", [Dense(8, 16, rng=1), ReLU(), Dense(16, 2, rng=2)])):
        model = Sequential([Embedding(vec.vocabulary_size, 8, padding_idx=0, rng=0),
                            GlobalAvgPool1D(), *head])
        model.fit(ids[:800], y[:800], loss=CategoricalCrossEntropy(), optimizer=Adam(0.01),
                  epochs=15, rng=0, verbose=0)
        accuracy[name] = model.evaluate(ids[800:], y[800:])["accuracy"]
    assert accuracy["linear"] < 0.65 and accuracy["hidden"] > 0.95, accuracy


def test_the_mask_goes_through_residual_and_nested_sequential():
    from scratchnet.layers import MultiHeadSelfAttention, Residual
    ids = np.array([[3, 4, 0, 0], [5, 2, 1, 0]])
    more = np.concatenate([ids, np.zeros((2, 3), dtype=ids.dtype)], axis=1)
    nested = Sequential([Embedding(6, 4, padding_idx=0, rng=0),
                         Sequential([Residual(MultiHeadSelfAttention(4, 2, rng=1)),
                                     GlobalAvgPool1D()]),
                         Dense(4, 2, rng=2)])
    # padded keys get no attention and padded positions no share of the mean, however many
    np.testing.assert_allclose(nested.predict(ids), nested.predict(more), atol=1e-12)
    nested.forward(ids)
    assert nested.layers[1].compute_mask(None, ids != 0) is None   # pooled: no time axis left
    report = gradcheck.check_model(nested, CategoricalCrossEntropy(), ids, np.array([0, 1]))
    assert report.passed, str(report)
