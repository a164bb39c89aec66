"""Checkpoints: the optimizer's memory saved and restored, so that training resumed from a
checkpoint gives exactly the parameters of uninterrupted training."""
import json

import numpy as np
import pytest

from scratchnet import Sequential
from scratchnet.layers import BatchNorm1D, Dense, ReLU
from scratchnet.optimizers import SGD, Adam, CosineDecay, Momentum, RMSprop


def net(seed=0):
    return Sequential([Dense(4, 8, rng=seed), BatchNorm1D(8), ReLU(),
                       Sequential([Dense(8, 8, rng=seed + 1), ReLU()]), Dense(8, 3, rng=seed + 2)])


DATA = np.random.default_rng(0).normal(size=(48, 4)), np.random.default_rng(1).integers(0, 3, 48)


@pytest.mark.parametrize("make", [lambda: Adam(0.01), lambda: Momentum(0.05, 0.9),
                                  lambda: RMSprop(0.01), lambda: SGD(CosineDecay(0.1, 40))])
def test_resumed_training_equals_uninterrupted_training(make, tmp_path):
    x, y = DATA
    whole, opt = net(), make()
    g = np.random.default_rng(7)                       # one stream of shuffles for all epochs
    whole.fit(x, y, loss="cce", optimizer=opt, epochs=4, batch_size=16, rng=g, verbose=0)

    first, opt1 = net(), make()
    g = np.random.default_rng(7)
    first.fit(x, y, loss="cce", optimizer=opt1, epochs=2, batch_size=16, rng=g, verbose=0)
    first.save(tmp_path / "model.npz")
    opt1.save(tmp_path / "opt.npz", first)
    shuffles = json.dumps(g.bit_generator.state)       # the data order is part of the state

    resumed, opt2 = net(5), make()                     # other weights, a fresh optimizer
    resumed.load(tmp_path / "model.npz")
    opt2.load(tmp_path / "opt.npz", resumed)
    g2 = np.random.default_rng()
    g2.bit_generator.state = json.loads(shuffles)
    resumed.fit(x, y, loss="cce", optimizer=opt2, epochs=2, batch_size=16, rng=g2, verbose=0)
    for key, value in whole._state().items():
        assert np.array_equal(resumed._state()[key], value), key
    assert opt2.iterations == opt.iterations == 12


def test_state_dict_names_and_copies():
    x, y = DATA
    model, opt = net(), Adam(0.01)
    model.fit(x, y, loss="cce", optimizer=opt, epochs=1, batch_size=16, verbose=0, rng=0)
    state = opt.state_dict(model)
    assert {"iterations", "0.W:m", "0.W:v", "0.W:t", "3.0.b:m", "1.gamma:v"} <= set(state)
    assert int(state["0.W:t"]) == 3 and int(state["iterations"]) == 3
    state["0.W:m"][...] = 99.0                       # a copy: the optimizer is not touched
    assert not np.any(opt.state_dict(model)["0.W:m"] == 99.0)
    fresh = Adam(0.01).state_dict(net())             # never stepped: zeros, t = 0
    assert int(fresh["0.W:t"]) == 0 and not fresh["0.W:m"].any()


def test_bad_states_are_refused_and_change_nothing(tmp_path):
    x, y = DATA
    model, opt = net(), Adam(0.01)
    model.fit(x, y, loss="cce", optimizer=opt, epochs=1, batch_size=16, verbose=0, rng=0)
    before = opt.state_dict(model)
    good = dict(before)
    cases = {"missing": ({k: v for k, v in good.items() if k != "0.W:v"}, r"missing \['0.W:v'\]"),
             "shape": ({**good, "0.W:m": np.zeros(3)}, r"'0.W:m' is float64 of shape \(3,\)"),
             "nan": ({**good, "0.b:v": np.full(8, np.nan)}, "not finite"),
             "count": ({**good, "0.W:t": np.array(-1)}, "negative count")}
    for name, (state, message) in cases.items():
        with pytest.raises(ValueError, match=message):
            opt.load_state_dict(model, state)
        after = opt.state_dict(model)
        assert all(np.array_equal(after[k], v) for k, v in before.items()), name
    with pytest.raises(ValueError, match="unexpected"):
        Momentum(0.1).load_state_dict(model, good)     # Adam's moments are not a momentum's


def test_optimizer_files_are_checked(tmp_path):
    x, y = DATA
    model, opt = net(), Adam(0.01)
    model.fit(x, y, loss="cce", optimizer=opt, epochs=1, batch_size=16, verbose=0, rng=0)
    path = tmp_path / "opt.npz"
    opt.save(path, model)
    with np.load(path, allow_pickle=False) as data:
        assert json.loads(str(data["__meta__"]))["class"] == "Adam"
    with pytest.raises(ValueError, match="state of a 'Adam', not of a RMSprop"):
        RMSprop(0.01).load(path, model)
    with pytest.raises(ValueError, match="does not match this model"):
        Adam(0.01).load(path, Sequential([Dense(4, 3, rng=0)]))
    (tmp_path / "junk.npz").write_bytes(b"not a zip" * 20)
    with pytest.raises(ValueError, match="not a readable"):
        Adam(0.01).load(tmp_path / "junk.npz", model)
    with pytest.raises(FileNotFoundError):
        Adam(0.01).load(tmp_path / "nope.npz", model)
    frozen = net()
    frozen.layers[0].freeze()
    assert not any(k.startswith("0.") for k in Adam(0.01).state_dict(frozen))
