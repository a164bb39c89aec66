"""SimpleRNN, LSTM and GRU (scratchnet/layers/recurrent.py): backprop through time against
finite differences on random shapes and settings, padding masks, PyTorch's layers with the
same weights (marked `torch`), clear errors, and the word-order headlines they are taught on."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradcheck
from scratchnet import Sequential
from scratchnet.datasets import load_headlines
from scratchnet.datasets.headlines import ANIMALS, PERSON
from scratchnet.layers import GRU, LSTM, Dense, Embedding, GlobalAvgPool1D, Layer, SimpleRNN
from scratchnet.layers import recurrent
from scratchnet.losses import CategoricalCrossEntropy

ROOT = Path(__file__).resolve().parent.parent
CELLS = [SimpleRNN, LSTM, GRU]


class Masked(Layer):
    """A recurrent layer with a fixed mask, so that check_layer (which calls forward(x))
    checks the masked forward and backward, dL/dx included."""

    def __init__(self, inner, mask):
        super().__init__()
        self.inner, self.mask = inner, mask

    def children(self):
        return [self.inner]

    def forward(self, x):
        return self.inner.forward(x, mask=self.mask)

    def backward(self, dy):
        return self.inner.backward(dy)


def end_mask(rng, N, T, allow_empty=True):
    """(N, T) bool, True then False: each row a random length from 0 (or 1) to T."""
    lengths = rng.integers(0 if allow_empty else 1, T + 1, size=N)
    return np.arange(T)[None, :] < lengths[:, None]


def randomize(layer, rng):
    """Random biases too (they start at 0), so that every path carries a signal."""
    for key, p in layer.params.items():
        if key in ("b", "bhn"):
            p[...] = rng.normal(size=p.shape)
    return layer


# ----- gradients ---------------------------------------------------------------------------------
@given(cell=st.sampled_from(CELLS), n=st.integers(1, 3), t=st.integers(1, 4),
       d=st.integers(1, 3), h=st.integers(1, 3), seq=st.booleans(), masked=st.booleans(),
       seed=st.integers(0, 10_000))
def test_backprop_through_time_matches_finite_differences(cell, n, t, d, h, seq, masked, seed):
    rng = np.random.default_rng(seed)
    layer = randomize(cell(d, h, return_sequences=seq, rng=seed), rng)
    x = rng.normal(size=(n, t, d))
    target = Masked(layer, end_mask(rng, n, t)) if masked else layer
    report = gradcheck.check_layer(target, x, seed=seed)
    assert report.passed, str(report)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("seq", [False, True])
def test_sequences_of_length_one_and_a_mask_anywhere(cell, seq):
    rng = np.random.default_rng(1)
    layer = randomize(cell(2, 3, return_sequences=seq, rng=0), rng)
    assert gradcheck.check_layer(layer, rng.normal(size=(2, 1, 2))).passed
    holes = np.array([[True, False, True, True], [False, True, False, True]])  # not at the end
    report = gradcheck.check_layer(Masked(layer, holes), rng.normal(size=(2, 4, 2)))
    assert report.passed, str(report)


def test_lstm_forget_bias_and_gru_bias_are_checked_too():
    rng = np.random.default_rng(2)
    lstm = LSTM(3, 2, return_sequences=True, forget_bias=2.5, rng=0)
    assert np.all(lstm.params["b"][2:4] == 2.5) and np.all(lstm.params["b"][:2] == 0)
    assert np.all(LSTM(3, 2, forget_bias=0, rng=0).params["b"] == 0)
    assert gradcheck.check_layer(lstm, rng.normal(size=(3, 5, 3))).passed
    gru = randomize(GRU(3, 2, rng=0), rng)
    report = gradcheck.check_layer(gru, rng.normal(size=(3, 5, 3)))
    assert report.passed and any(row.name == "bhn" for row in report.rows), str(report)


def test_a_stacked_masked_text_model_passes_check_model():
    ids = np.array([[3, 5, 2, 0, 0], [4, 4, 1, 6, 2], [2, 0, 0, 0, 0]])
    model = Sequential([Embedding(7, 3, padding_idx=0, rng=0), LSTM(3, 4, return_sequences=True, rng=1),
                        GRU(4, 3, rng=2), Dense(3, 2, rng=3)])
    report = gradcheck.check_model(model, CategoricalCrossEntropy(), ids, np.array([0, 1, 1]))
    assert report.passed, str(report)


def test_hidden_grads_are_dL_dh_t():
    rng = np.random.default_rng(3)
    layer = SimpleRNN(2, 3, rng=0)
    x, dy = rng.normal(size=(2, 5, 2)), rng.normal(size=(2, 3))
    layer.forward(x)
    dx = layer.backward(dy)
    g = layer.hidden_grads
    assert g.shape == (2, 5, 3)
    np.testing.assert_allclose(g[:, -1], dy)              # the output is h_T
    hs = layer.load_cache()["hs"].transpose(1, 0, 2)      # (N, T + 1, H), hs[:, 0] = h_0
    Wx, Wh = layer.params["Wx"], layer.params["Wh"]
    for t in range(5):                                    # dL/dx_t = (dL/dh_t (1 - h_t^2)) Wx^T
        da = g[:, t] * (1 - hs[:, t + 1] ** 2)
        np.testing.assert_allclose(dx[:, t], da @ Wx.T, atol=1e-12)
        if t:
            np.testing.assert_allclose(g[:, t - 1], da @ Wh.T, atol=1e-12)


# ----- padding -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", CELLS)
def test_padding_leaves_the_state_and_outputs_zero(cell):
    rng = np.random.default_rng(4)
    layer = randomize(cell(3, 4, rng=0), rng)
    seq = randomize(cell(3, 4, return_sequences=True, rng=0), np.random.default_rng(4))
    x = rng.normal(size=(3, 6, 3))
    mask = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]], dtype=bool)
    y = layer.forward(x, mask=mask)
    for n, length in enumerate(mask.sum(axis=1)):          # = the run on the real steps alone
        alone = layer.forward(x[n:n + 1, :max(length, 1)]) if length else np.zeros((1, 4))
        np.testing.assert_allclose(y[n], alone[0], atol=1e-12)
    ys = seq.forward(x, mask=mask)
    assert np.all(ys[~mask] == 0)
    np.testing.assert_allclose(ys[0, 2], y[0], atol=1e-12)
    longer = np.concatenate([x, rng.normal(size=(3, 4, 3))], axis=1)   # more padding, any values
    np.testing.assert_allclose(layer.forward(longer, mask=np.pad(mask, ((0, 0), (0, 4)))), y,
                               atol=1e-12)
    assert layer.compute_mask(x, mask) is None and seq.compute_mask(x, mask) is mask
    np.testing.assert_array_equal(layer.forward(x, mask=np.ones((3, 6), int)), layer.forward(x))


def test_sequential_hands_the_mask_from_the_embedding_to_the_lstm():
    model = Sequential([Embedding(8, 3, padding_idx=0, rng=0), LSTM(3, 4, rng=1), Dense(4, 2, rng=2)])
    ids = np.array([[5, 2, 7, 0], [3, 1, 0, 0]])
    padded = np.pad(ids, ((0, 0), (0, 6)))
    np.testing.assert_allclose(model.predict(ids), model.predict(padded), atol=1e-12)
    unmasked = Sequential([Embedding(8, 3, rng=0), LSTM(3, 4, rng=1), Dense(4, 2, rng=2)])
    assert not np.allclose(unmasked.predict(ids), unmasked.predict(padded))


# ----- the same numbers as PyTorch ------------------------------------------------------------------
def torch_twin(torch, cell, ours):
    """torch's layer with random weights, copied into ours (module docstring: how)."""
    kind = {SimpleRNN: torch.nn.RNN, LSTM: torch.nn.LSTM, GRU: torch.nn.GRU}[cell]
    torch.manual_seed(0)
    theirs = kind(ours.n_in, ours.n_hidden, batch_first=True).double()
    H = ours.n_hidden
    ours.params["Wx"][...] = theirs.weight_ih_l0.detach().numpy().T
    ours.params["Wh"][...] = theirs.weight_hh_l0.detach().numpy().T
    bi, bh = theirs.bias_ih_l0.detach().numpy(), theirs.bias_hh_l0.detach().numpy()
    if cell is GRU:
        ours.params["b"][...] = bi + np.concatenate([bh[:2 * H], np.zeros(H)])
        ours.params["bhn"][...] = bh[2 * H:]
    else:
        ours.params["b"][...] = bi + bh
    return theirs


@pytest.mark.torch
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("seq", [False, True])
def test_forward_and_backward_equal_torch(torch, cell, seq):
    rng = np.random.default_rng(5)
    ours = cell(4, 5, return_sequences=seq)
    theirs = torch_twin(torch, cell, ours)
    x = rng.normal(size=(3, 6, 4))
    out_shape = (3, 6, 5) if seq else (3, 5)
    dy = rng.normal(size=out_shape)
    xt = torch.tensor(x, requires_grad=True)
    out, _ = theirs(xt)
    out = out if seq else out[:, -1]
    out.backward(torch.tensor(dy))
    np.testing.assert_allclose(ours.forward(x), out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.backward(dy), xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(ours.grads["Wx"], theirs.weight_ih_l0.grad.numpy().T, atol=1e-12)
    np.testing.assert_allclose(ours.grads["Wh"], theirs.weight_hh_l0.grad.numpy().T, atol=1e-12)
    bh = theirs.bias_hh_l0.grad.numpy()
    if cell is GRU:
        np.testing.assert_allclose(ours.grads["b"], theirs.bias_ih_l0.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(ours.grads["bhn"], bh[10:], atol=1e-12)
    else:
        np.testing.assert_allclose(ours.grads["b"], bh, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize("cell", CELLS)
def test_a_masked_batch_equals_torch_on_each_row_alone(torch, cell):
    rng = np.random.default_rng(6)
    ours = cell(2, 3)
    theirs = torch_twin(torch, cell, ours)
    x = rng.normal(size=(3, 5, 2))
    lengths = [5, 2, 1]
    mask = np.arange(5)[None, :] < np.array(lengths)[:, None]
    y = ours.forward(x, mask=mask)
    for n, length in enumerate(lengths):
        out, _ = theirs(torch.tensor(x[n:n + 1, :length]))
        np.testing.assert_allclose(y[n], out[0, -1].detach().numpy(), atol=1e-12)


# ----- dtypes, speed path, errors ------------------------------------------------------------------
@pytest.mark.parametrize("cell", CELLS)
def test_float32_stays_float32_and_the_one_blas_thread_loop_changes_nothing(cell, monkeypatch):
    rng = np.random.default_rng(7)
    layer = cell(8, 16, return_sequences=True, rng=0).astype(np.float32)
    x = rng.normal(size=(4, 6, 8)).astype(np.float32)
    dy = rng.normal(size=(4, 6, 16)).astype(np.float32)
    y, dx = layer.forward(x), layer.backward(dy)
    grads = {k: g.copy() for k, g in layer.grads.items()}
    assert y.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())
    monkeypatch.setattr(recurrent, "SERIAL_STEP_MACS", -1)        # every BLAS thread
    np.testing.assert_array_equal(layer.forward(x), y)
    np.testing.assert_array_equal(layer.backward(dy), dx)
    for k, g in grads.items():
        np.testing.assert_array_equal(layer.grads[k], g)


@pytest.mark.parametrize("cell", CELLS)
def test_bad_input_is_a_clear_error_naming_the_layer(cell):
    name = cell.__name__
    layer = cell(3, 2)
    with pytest.raises(ValueError, match=rf"{name}: expected x with 3 dimensions"):
        layer.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=rf"{name}: expected x.shape\[2\] == 3"):
        layer.forward(np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match=rf"{name}: .*at least one time step"):
        layer.forward(np.zeros((2, 0, 3)))
    with pytest.raises(TypeError, match=rf"{name}: expected x with a float32 or float64"):
        layer.forward(np.zeros((2, 4, 3), dtype=np.complex128))
    with pytest.raises(ValueError, match=rf"{name}: expected a mask of shape \(2, 4\)"):
        layer.forward(np.zeros((2, 4, 3)), mask=np.ones((4, 2), bool))
    with pytest.raises(ValueError, match=rf"{name}: expected a mask of True/False"):
        layer.forward(np.zeros((2, 4, 3)), mask=np.full((2, 4), 2))
    with pytest.raises(TypeError, match=rf"{name}: expected a bool mask"):
        layer.forward(np.zeros((2, 4, 3)), mask=np.full((2, 4), "yes"))
    with pytest.raises(RuntimeError, match=rf"{name}: backward called before forward"):
        cell(3, 2).backward(np.zeros((2, 2)))
    layer.forward(np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match=rf"{name}.backward: expected dy of shape \(2, 2\)"):
        layer.backward(np.zeros((2, 4, 2)))
    with pytest.raises(ValueError, match=rf"{name}: expected n_hidden to be a positive int"):
        cell(3, 0)
    with pytest.raises(TypeError, match=rf"{name}: expected n_in to be a positive int"):
        cell(2.5, 3)
    with pytest.raises(TypeError, match=rf"{name}: expected return_sequences to be True or False"):
        cell(3, 2, return_sequences="yes")


def test_lstm_forget_bias_must_be_a_number_and_reprs_name_the_settings():
    with pytest.raises(TypeError, match="LSTM: expected forget_bias to be a finite number"):
        LSTM(2, 2, forget_bias=float("nan"))
    assert repr(LSTM(2, 3, True)) == "LSTM(2, 3, return_sequences=True, forget_bias=1)"
    assert repr(GRU(2, 3)) == "GRU(2, 3, return_sequences=False)"
    assert SimpleRNN(2, 3).n_params == 2 * 3 + 3 * 3 + 3
    assert LSTM(2, 3).n_params == 4 * (2 * 3 + 3 * 3 + 3)
    assert GRU(2, 3).n_params == 3 * (2 * 3 + 3 * 3 + 3) + 3


def test_initial_recurrent_blocks_are_orthogonal():
    Wh = LSTM(3, 5, rng=0).params["Wh"]
    for k in range(4):
        block = Wh[:, 5 * k:5 * (k + 1)]
        np.testing.assert_allclose(block.T @ block, np.eye(5), atol=1e-12)


# ----- the word-order headlines -------------------------------------------------------------------
def test_word_order_zero_is_todays_corpus_and_the_share_is_exact():
    import hashlib
    texts, y = load_headlines(2000)                      # the corpus of tutorial 22, unchanged:
    digest = hashlib.md5(("|".join(texts) + str(y.tolist())).encode()).hexdigest()
    assert digest == "f472852944a5190b9191b9cae7587efb"  # its fingerprint before word_order
    plain, same = load_headlines(300, rng=3), load_headlines(300, rng=3, word_order=0.0)
    assert plain[0] == same[0] and np.array_equal(plain[1], same[1])
    texts, y, (subject, predicate, is_order) = load_headlines(400, word_order=0.25,
                                                              return_parts=True)
    assert len(texts) == 400 and is_order.sum() == 100 and is_order.dtype == bool
    assert np.array_equal(y, subject ^ predicate) and y[is_order].mean() == 0.5
    assert np.all(predicate[is_order] == 0)
    for text, label in zip(np.array(texts)[is_order], y[is_order]):
        person_first = any(text.startswith(p + " ") for p in PERSON)
        animal_first = any(text.startswith(a + " ") for a in ANIMALS)
        assert person_first != animal_first and label == int(person_first), text
    only, y_only = load_headlines(50, word_order=1.0)
    assert all(any(t.startswith(a) for a in ANIMALS + PERSON) for t in only)
    with pytest.raises(ValueError, match="load_headlines: expected word_order"):
        load_headlines(10, word_order=1.5)


def test_a_bag_of_words_cannot_tell_who_bit_whom_but_an_lstm_can():
    from scratchnet.layers import ReLU
    from scratchnet.optimizers import Adam
    from scratchnet.text import TextVectorizer
    texts, y = load_headlines(800, word_order=1.0)
    vec = TextVectorizer(output_sequence_length=10).fit(texts[:600])
    ids = vec.transform(texts)
    accuracy = {}
    for name, middle in (("bag", [GlobalAvgPool1D(), Dense(6, 16, rng=1), ReLU(), Dense(16, 2, rng=2)]),
                         ("lstm", [LSTM(6, 12, rng=1), Dense(12, 2, rng=2)])):
        model = Sequential([Embedding(vec.vocabulary_size, 6, padding_idx=0, rng=0), *middle])
        model.fit(ids[:600], y[:600], loss=CategoricalCrossEntropy(), optimizer=Adam(0.01),
                  epochs=8, rng=0, verbose=0)
        accuracy[name] = model.evaluate(ids[600:], y[600:])["accuracy"]
    assert accuracy["bag"] < 0.65 and accuracy["lstm"] > 0.95, accuracy


def test_the_sequence_benchmark_runs_in_quick_mode():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_sequence.py"),
                           "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    for case in ("LSTM fwd+bwd", "SimpleRNN fwd+bwd", "GRU fwd+bwd", "LSTM forward",
                 "backward loop (T steps)"):
        assert re.search(rf"^{re.escape(case)}.*\d\.\d\d", done.stdout, re.MULTILINE), case
    assert "torch: not used" in done.stdout
