"""Text to numbers: split a text into tokens, number the tokens, one-hot encode the numbers.

    vec = TextVectorizer(max_tokens=1000, output_sequence_length=12)
    vec.fit(train_texts)                  # the vocabulary: most frequent tokens first
    ids = vec.transform(texts)            # (N, 12) int64: 0 pads, 1 is an unknown token
    vec.vocabulary[:4]                    # ['', '[UNK]', 'the', 'a']

This is the course's "text vectorization" step: every word becomes an integer, which an
Embedding layer (scratchnet/layers/embedding.py) then turns into a vector.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np

PAD, OOV = "", "[UNK]"      # ids 0 and 1, always the first two entries of the vocabulary
PAD_ID, OOV_ID = 0, 1
_TOKEN = re.compile(r"\w+(?:'\w+)*")   # letters/digits of any script, with inner apostrophes


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split `text` into word tokens: runs of letters and digits (any script, so "café" and
    "naïve" stay whole), keeping inner apostrophes ("don't"); punctuation is dropped.
    tokenize("Area Man, 45, Doesn't Care!") == ["area", "man", "45", "doesn't", "care"]"""
    if not isinstance(text, str):
        raise TypeError(f"tokenize: expected a str, got {type(text).__name__}")
    return _TOKEN.findall(text.lower() if lowercase else text)


def _check_texts(who: str, texts) -> list[str]:
    if isinstance(texts, str):
        raise TypeError(f"{who}: expected a list of texts, got one str (wrap it: [text])")
    try:
        texts = list(texts)
    except TypeError:
        raise TypeError(f"{who}: expected a list of texts, got {type(texts).__name__}") from None
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise TypeError(f"{who}: expected every text to be a str, got "
                        f"{type(texts[bad]).__name__} at position {bad}")
    return texts


def _optional_positive(who: str, what: str, value, low: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{who}: expected {what} to be None or an int >= {low}, got {value!r}")
    return int(value)


class TextVectorizer:
    """Turns texts into rows of token ids, with a vocabulary learned by `fit`.

    max_tokens: the vocabulary's size, the padding and unknown entries included (so at most
                max_tokens - 2 real tokens are kept, the most frequent); None keeps every token.
    output_sequence_length: T, the length of every row: longer texts are cut (the first T
                tokens are kept), shorter ones padded with 0 at the end. None: T is the
                longest text of each transform call.
    lowercase:  lower-case before splitting (see tokenize).

    vocabulary: list of tokens, index = id. vocabulary[0] = "" (padding), vocabulary[1] =
                "[UNK]" (any token not in the vocabulary); then the tokens by falling count
                in the texts given to fit, ties broken alphabetically.
    """

    def __init__(self, max_tokens: int | None = None, output_sequence_length: int | None = None,
                 lowercase: bool = True):
        self.max_tokens = _optional_positive("TextVectorizer", "max_tokens", max_tokens, 3)
        self.output_sequence_length = _optional_positive(
            "TextVectorizer", "output_sequence_length", output_sequence_length, 1)
        self.lowercase = bool(lowercase)
        self.vocabulary: list[str] = []
        self._index: dict[str, int] = {}

    def fit(self, texts) -> "TextVectorizer":
        """Count the tokens of `texts` (a list of str) and build the vocabulary."""
        texts = _check_texts("TextVectorizer.fit", texts)
        counts = Counter(tok for text in texts for tok in tokenize(text, self.lowercase))
        ranked = sorted(counts, key=lambda tok: (-counts[tok], tok))
        if self.max_tokens is not None:
            ranked = ranked[:self.max_tokens - 2]
        self.vocabulary = [PAD, OOV, *ranked]
        self._index = {tok: i for i, tok in enumerate(self.vocabulary)}
        return self

    @property
    def vocabulary_size(self) -> int:
        """len(vocabulary): the vocab_size an Embedding after this vectorizer needs."""
        return len(self.vocabulary)

    def transform(self, texts) -> np.ndarray:
        """texts (a list of N str) -> ids (N, T) int64; 0 pads, 1 marks unknown tokens."""
        if not self.vocabulary:
            raise RuntimeError("TextVectorizer.transform: call fit(texts) first")
        texts = _check_texts("TextVectorizer.transform", texts)
        rows = [[self._index.get(tok, OOV_ID) for tok in tokenize(text, self.lowercase)]
                for text in texts]
        T = self.output_sequence_length
        if T is None:
            T = max((len(r) for r in rows), default=0)
        ids = np.zeros((len(rows), T), dtype=np.int64)
        for n, row in enumerate(rows):
            row = row[:T]
            ids[n, :len(row)] = row
        return ids

    def fit_transform(self, texts) -> np.ndarray:
        return self.fit(texts).transform(texts)

    def decode(self, ids) -> list[str]:
        """ids (N, T) -> the texts they stand for, padding left out, unknowns as [UNK]."""
        ids = np.asarray(ids)
        if ids.ndim != 2 or ids.dtype.kind not in "iu":
            raise ValueError(f"TextVectorizer.decode: expected int ids of shape (N, T), "
                             f"got {ids.dtype} of shape {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.vocabulary)):
            raise ValueError(f"TextVectorizer.decode: ids must lie in [0, "
                             f"{len(self.vocabulary)}), got {ids.min()}..{ids.max()}")
        return [" ".join(self.vocabulary[i] for i in row if i != PAD_ID) for row in ids]


def one_hot_tokens(ids, vocab_size: int) -> np.ndarray:
    """Token ids (N, T) -> one-hot rows (N, T, vocab_size) float64, as in the course's tables.

    Padding (id 0) is one-hot too (column 0); drop column 0 to leave padded positions all
    zero. Every pair of distinct words is at the same distance, sqrt(2): no notion of nearness,
    which is what an embedding adds."""
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"one_hot_tokens: expected integer ids, got dtype {ids.dtype}")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) \
            or vocab_size < 1:
        raise ValueError(f"one_hot_tokens: expected vocab_size to be a positive int, "
                         f"got {vocab_size!r}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(f"one_hot_tokens: ids must lie in [0, {vocab_size}), "
                         f"got {ids.min()}..{ids.max()}")
    return np.eye(vocab_size)[ids]
