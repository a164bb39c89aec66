"""Tests of scratchnet.optimizers: each update rule against steps computed by hand, in-place
updates, dtype, frozen layers, convergence on a quadratic, learning-rate schedules, and every
error path."""
import math

import numpy as np
import pytest

from scratchnet import optimizers
from scratchnet.layers import Layer
from scratchnet.optimizers import (SGD, Adam, AdamW, CosineDecay, ExponentialDecay, Momentum,
                                   Nesterov, RMSprop, Schedule, StepDecay, Warmup)


class OneParam(Layer):
    """The smallest trainable layer: one parameter w; the test writes its gradient by hand."""

    def __init__(self, w, name=None):
        super().__init__(name)
        self._add_param("w", np.array(w, dtype=float))


class Box(Layer):
    """A container: its only job is to hold children (like a Sequential or a residual block)."""

    def __init__(self, layers, name=None):
        super().__init__(name)
        self.layers = list(layers)

    def children(self):
        return self.layers


W0 = [1.0, -2.0, 0.5]
GRADS = [[0.5, -1.0, 2.0], [0.25, 3.0, -1.0], [-0.5, 0.1, 0.0]]   # one gradient per step


def run_three_steps(opt, w0=W0, grads=GRADS, dtype=np.float64):
    layer = OneParam(w0).astype(dtype)
    for g in grads:
        layer.grads["w"][...] = g
        opt.step(layer)
    return layer.params["w"]


# ----- the update rules, by hand (plain Python floats, one element at a time) ------------------
def hand_sgd(lr, wd=0.0):
    out = []
    for i, w in enumerate(W0):
        for g in (gs[i] for gs in GRADS):
            w = w - lr * (g + wd * w)
        out.append(w)
    return out


def hand_momentum(lr, beta, nesterov=False):
    out = []
    for i, w in enumerate(W0):
        p = 0.0
        for g in (gs[i] for gs in GRADS):
            p = beta * p + g
            w = w - lr * (g + beta * p if nesterov else p)
        out.append(w)
    return out


def hand_rmsprop(lr, rho, eps):
    out = []
    for i, w in enumerate(W0):
        s = 0.0
        for g in (gs[i] for gs in GRADS):
            s = rho * s + (1 - rho) * g * g
            w = w - lr * g / (math.sqrt(s) + eps)
        out.append(w)
    return out


def hand_adam(lr, b1, b2, eps, wd=0.0, decoupled=0.0):
    out = []
    for i, w in enumerate(W0):
        m = v = 0.0
        for t, g in enumerate((gs[i] for gs in GRADS), start=1):
            g = g + wd * w
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
            w = w - lr * (m_hat / (math.sqrt(v_hat) + eps) + decoupled * w)
        out.append(w)
    return out


@pytest.mark.parametrize("opt, expected", [
    (SGD(0.1), hand_sgd(0.1)),
    (SGD(0.1, weight_decay=0.5), hand_sgd(0.1, wd=0.5)),
    (Momentum(0.1, beta=0.8), hand_momentum(0.1, 0.8)),
    (Nesterov(0.1, beta=0.8), hand_momentum(0.1, 0.8, nesterov=True)),
    (RMSprop(0.01, rho=0.7, eps=1e-3), hand_rmsprop(0.01, 0.7, 1e-3)),
    (Adam(0.01, beta1=0.8, beta2=0.9, eps=1e-3), hand_adam(0.01, 0.8, 0.9, 1e-3)),
    (Adam(0.01, weight_decay=0.3), hand_adam(0.01, 0.9, 0.999, 1e-8, wd=0.3)),
    (AdamW(0.01, weight_decay=0.3), hand_adam(0.01, 0.9, 0.999, 1e-8, decoupled=0.3)),
], ids=["sgd", "sgd-wd", "momentum", "nesterov", "rmsprop", "adam", "adam-l2", "adamw"])
def test_three_steps_match_hand_computation(opt, expected):
    np.testing.assert_allclose(run_three_steps(opt), expected, rtol=1e-12, atol=1e-15)


def test_nesterov_and_momentum_differ_and_weight_decay_matters():
    """Guards against the hand-computed cases above passing by accident."""
    assert not np.allclose(run_three_steps(Momentum(0.1)), run_three_steps(Nesterov(0.1)))
    assert not np.allclose(run_three_steps(Adam(0.01, weight_decay=0.3)),
                           run_three_steps(AdamW(0.01, weight_decay=0.3)))
    assert not np.allclose(run_three_steps(SGD(0.1)), run_three_steps(SGD(0.1, weight_decay=0.5)))


def test_adam_first_step_has_size_lr():
    rng = np.random.default_rng(0)
    layer = OneParam(rng.normal(size=20))
    layer.grads["w"][...] = rng.normal(size=20) * 10.0 ** rng.integers(-3, 3, size=20)
    w0 = layer.params["w"].copy()
    Adam(lr=0.003).step(layer)
    step = w0 - layer.params["w"]
    np.testing.assert_allclose(np.abs(step), 0.003, rtol=1e-4)     # whatever the gradient's scale
    np.testing.assert_array_equal(np.sign(step), np.sign(layer.grads["w"]))


def test_momentum_velocity_approaches_g_over_one_minus_beta():
    layer, opt = OneParam([0.0]), Momentum(lr=1.0, beta=0.5)
    layer.grads["w"][...] = 1.0
    for _ in range(60):
        opt.step(layer)
    assert opt.state[layer]["w"]["p"][0] == pytest.approx(1 / (1 - 0.5))
    assert opt.state[layer]["w"]["t"] == 60 and opt.iterations == 60


# ----- in place, dtype, what is left alone ---------------------------------------------------
ALL = [lambda: SGD(0.1), lambda: Momentum(0.1), lambda: Nesterov(0.1), lambda: RMSprop(0.01),
       lambda: Adam(0.01), lambda: AdamW(0.01)]
IDS = ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"]


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_update_is_in_place_and_grads_untouched(make):
    layer = OneParam(W0)
    w = layer.params["w"]
    layer.grads["w"][...] = GRADS[0]
    opt = make()
    opt.weight_decay = 0.1                      # also the path that adds wd * w to g
    opt.step(layer)
    assert layer.params["w"] is w               # same object: references held elsewhere stay valid
    assert not np.allclose(w, W0)               # and it did move
    np.testing.assert_array_equal(layer.grads["w"], GRADS[0])


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_float32_stays_float32_and_matches_float64(make):
    w32 = run_three_steps(make(), dtype=np.float32)
    w64 = run_three_steps(make(), dtype=np.float64)
    assert w32.dtype == np.float32
    np.testing.assert_allclose(w32, w64, rtol=1e-5, atol=1e-6)


def test_state_follows_the_parameter_dtype_after_astype():
    layer, opt = OneParam(W0), Adam(0.01)
    layer.grads["w"][...] = GRADS[0]
    opt.step(layer)
    assert opt.state[layer]["w"]["m"].dtype == np.float64
    layer.astype(np.float32)
    layer.grads["w"][...] = GRADS[1]
    opt.step(layer)
    assert layer.params["w"].dtype == np.float32
    assert opt.state[layer]["w"]["m"].dtype == np.float32
    assert opt.state[layer]["w"]["t"] == 2      # the state survived the conversion


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_frozen_layers_and_their_children_are_untouched(make):
    free, frozen, inner = OneParam([1.0]), OneParam([2.0]), OneParam([3.0])
    frozen_box = Box([inner])
    frozen.trainable = False
    frozen_box.trainable = False
    model = Box([free, frozen, frozen_box])
    for layer in (free, frozen, inner):
        layer.grads["w"][...] = 1.0
    opt = make()
    opt.step(model)
    assert free.params["w"][0] != 1.0
    assert frozen.params["w"][0] == 2.0 and inner.params["w"][0] == 3.0
    assert frozen not in opt.state and inner not in opt.state


def test_step_takes_a_list_of_layers_and_updates_a_shared_layer_once():
    a, b = OneParam([1.0]), OneParam([1.0])
    a.grads["w"][...] = 1.0
    b.grads["w"][...] = 1.0
    SGD(0.5).step([a, b, a])                     # a appears twice (tied weights)
    assert a.params["w"][0] == 0.5 and b.params["w"][0] == 0.5


def test_zero_grad():
    a, b = OneParam([1.0, 2.0]), OneParam([3.0])
    a.grads["w"][...] = 5.0
    b.grads["w"][...] = 7.0
    b.trainable = False                          # zero_grad clears frozen layers too
    optimizers.zero_grad(Box([a, b]))
    assert not a.grads["w"].any() and not b.grads["w"].any()
    a.grads["w"][...] = 5.0
    SGD(0.1).zero_grad([a])
    assert not a.grads["w"].any()


def test_states_are_per_parameter():
    """Two layers with different gradients keep separate velocities."""
    a, b, opt = OneParam([0.0]), OneParam([0.0]), Momentum(1.0, beta=0.5)
    a.grads["w"][...] = 1.0
    b.grads["w"][...] = -2.0
    opt.step([a, b])
    opt.step([a, b])
    assert a.params["w"][0] == pytest.approx(-(1 + 1.5))
    assert b.params["w"][0] == pytest.approx(2 * (1 + 1.5))


# ----- convergence -----------------------------------------------------------------------------
@pytest.mark.parametrize("make, steps", [
    (lambda: SGD(0.1), 300), (lambda: Momentum(0.05), 300), (lambda: Nesterov(0.05), 300),
    (lambda: RMSprop(0.01), 1500), (lambda: Adam(0.05), 1500),
    (lambda: AdamW(0.05, weight_decay=0.0), 1500),
], ids=IDS)
def test_minimizes_a_quadratic(make, steps):
    """L(w) = 1/2 sum_i a_i (w_i - c_i)^2 has its minimum at c; dL/dw = a * (w - c)."""
    a, c = np.array([1.0, 4.0, 0.5]), np.array([3.0, -1.0, 2.0])
    layer, opt = OneParam([0.0, 0.0, 0.0]), make()
    loss0 = 0.5 * np.sum(a * c ** 2)
    for _ in range(steps):
        layer.grads["w"][...] = a * (layer.params["w"] - c)
        opt.step(layer)
    w = layer.params["w"]
    assert 0.5 * np.sum(a * (w - c) ** 2) < 1e-6 * loss0
    np.testing.assert_allclose(w, c, atol=2e-3)


def test_dense_regression_reaches_least_squares():
    """With a real layer: Dense + MSE + SGD reaches numpy.linalg.lstsq's solution."""
    from scratchnet.layers import Dense
    from scratchnet.losses import MSE

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.1 * rng.normal(size=(40, 1))
    model, loss, opt = Dense(3, 1, rng=1), MSE(), SGD(0.1)
    for _ in range(500):
        loss.forward(model.forward(x), y)
        model.backward(loss.backward())
        opt.step(model)
    coef = np.linalg.lstsq(np.hstack([x, np.ones((40, 1))]), y, rcond=None)[0]
    np.testing.assert_allclose(model.params["W"], coef[:3], atol=1e-8)
    np.testing.assert_allclose(model.params["b"], coef[3], atol=1e-8)


# ----- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("make, what", [
    (lambda: SGD(0), "lr"), (lambda: SGD(-0.1), "lr"), (lambda: SGD(float("nan")), "lr"),
    (lambda: SGD(0.1, weight_decay=-1), "weight_decay"),
    (lambda: Momentum(0.1, beta=1.0), "beta"), (lambda: Momentum(0.1, beta=-0.1), "beta"),
    (lambda: Nesterov(0.1, beta=1.5), "beta"),
    (lambda: RMSprop(rho=1.0), "rho"), (lambda: RMSprop(eps=0), "eps"),
    (lambda: Adam(beta1=1.0), "beta1"), (lambda: Adam(beta2=1.0), "beta2"),
    (lambda: Adam(eps=-1e-8), "eps"), (lambda: Adam(lr=0), "lr"),
    (lambda: AdamW(weight_decay=-0.01), "weight_decay"),
])
def test_invalid_hyperparameters_raise_value_error(make, what):
    with pytest.raises(ValueError, match=rf"expected {what} in"):
        make()


def test_non_number_hyperparameters_raise_type_error():
    for make in (lambda: SGD("0.1"), lambda: SGD(True), lambda: Adam(beta1=None)):
        with pytest.raises(TypeError, match="to be a number"):
            make()
    opt = SGD(0.1)
    with pytest.raises(ValueError, match="SGD: expected lr"):
        opt.lr = -1.0                             # a schedule setting a bad lr is caught too
    opt.lr = 0.05
    assert opt.lr == 0.05


def test_gradient_shape_mismatch_and_missing_gradient():
    layer = OneParam([1.0, 2.0], name="tiny")
    layer.grads["w"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"tiny.grads\['w'\] has shape \(3,\).*\(2,\)"):
        SGD(0.1).step(layer)
    del layer.grads["w"]
    with pytest.raises(ValueError, match="tiny has a parameter 'w' but no gradient"):
        SGD(0.1).step(layer)
    np.testing.assert_array_equal(layer.params["w"], [1.0, 2.0])


def test_parameter_shape_change_between_steps_is_an_error():
    layer, opt = OneParam([1.0, 2.0], name="tiny"), Momentum(0.1)
    opt.step(layer)
    layer._add_param("w", np.zeros(3))
    with pytest.raises(ValueError, match=r"tiny.params\['w'\] changed shape from \(2,\) to \(3,\)"):
        opt.step(layer)


def test_step_on_something_that_is_not_a_model():
    with pytest.raises(TypeError, match="Adam.step: expected a Layer"):
        Adam().step(None)
    with pytest.raises(TypeError, match="found a ndarray"):
        Adam().step([OneParam([1.0]), np.zeros(2)])


# ----- get -------------------------------------------------------------------------------------
def test_get_by_name():
    expected = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "rmsprop": RMSprop,
                "adam": Adam, "adamw": AdamW}
    for name, cls in expected.items():
        opt = optimizers.get(name)
        assert type(opt) is cls and optimizers.get(name) is not opt
    assert optimizers.get("sgd").lr == 0.01 and optimizers.get("adam").lr == 0.001
    assert optimizers.get("Adam", lr=0.1, beta1=0.5).beta1 == 0.5
    opt = SGD(0.2)
    assert optimizers.get(opt) is opt
    with pytest.raises(ValueError, match="unknown optimizer 'adagrad'"):
        optimizers.get("adagrad")
    with pytest.raises(TypeError):
        optimizers.get(opt, lr=0.1)
    with pytest.raises(TypeError):
        optimizers.get(None)


# ----- learning-rate schedules -----------------------------------------------------------------
def test_schedules_match_their_formulas():
    np.testing.assert_allclose(StepDecay(0.1, drop=0.5, every=3).values(8),
                               [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025], rtol=1e-15)
    np.testing.assert_allclose(ExponentialDecay(0.1, rate=0.5, every=10).values(21),
                               [0.1 * 0.5 ** (t / 10) for t in range(21)], rtol=1e-15)
    cos = CosineDecay(0.2, steps=4, lr_min=0.02)
    np.testing.assert_allclose(cos.values(6), [0.2, 0.02 + 0.18 * (1 + math.sqrt(0.5)) / 2, 0.11,
                                               0.02 + 0.18 * (1 - math.sqrt(0.5)) / 2, 0.02, 0.02],
                               rtol=1e-12)
    warm = Warmup(CosineDecay(0.01, steps=5), steps=4)
    np.testing.assert_allclose(warm.values(6), [0.0025, 0.005, 0.0075, 0.01, 0.01,
                                                0.01 * (1 + math.cos(math.pi / 5)) / 2], rtol=1e-12)
    np.testing.assert_allclose(Warmup(0.3, steps=3).values(5), [0.1, 0.2, 0.3, 0.3, 0.3])
    # a warmup around a plain function works too
    np.testing.assert_allclose(Warmup(lambda t: 1.0 / (1 + t), steps=2).values(4),
                               [0.5, 1.0, 1.0, 0.5])


def test_an_optimizer_evaluates_its_schedule_before_every_step():
    """SGD with a step decay, against the same steps with the rate written by hand."""
    schedule = StepDecay(0.1, drop=0.5, every=2)
    opt = SGD(schedule)
    assert opt.lr == 0.1 and opt.schedule is schedule
    layer = OneParam([1.0])
    rates, w = [], 1.0
    for t, g in enumerate([1.0, -2.0, 0.5, 3.0, 1.0]):
        layer.grads["w"][...] = g
        opt.step(layer)
        rates.append(opt.lr)
        w -= schedule(t) * g
    assert rates == [0.1, 0.1, 0.05, 0.05, 0.025]
    np.testing.assert_allclose(layer.params["w"], [w], rtol=1e-15)
    assert opt.lr == 0.025 and opt.iterations == 5      # the rate of the last step taken
    opt.lr = 0.3                                         # a number replaces the schedule
    assert opt.schedule is None and opt.lr == 0.3
    opt.step(layer)
    assert opt.lr == 0.3


@pytest.mark.parametrize("make", [lambda s: Momentum(s, beta=0.5), lambda s: Nesterov(s),
                                  lambda s: RMSprop(s), lambda s: Adam(s), lambda s: AdamW(s)])
def test_every_optimizer_takes_a_schedule_and_a_constant_schedule_changes_nothing(make):
    fixed = run_three_steps(make(0.05))
    scheduled = run_three_steps(make(lambda t: 0.05))
    np.testing.assert_array_equal(fixed, scheduled)
    decayed = run_three_steps(make(ExponentialDecay(0.05, rate=0.5)))
    assert not np.allclose(decayed, fixed)


def test_a_schedule_may_reach_zero_but_not_below():
    layer = OneParam([1.0])
    layer.grads["w"][...] = 1.0
    opt = SGD(CosineDecay(0.1, steps=1))                 # 0.1 at t = 0, then 0
    opt.step(layer)
    opt.step(layer)                                      # lr 0: nothing moves
    np.testing.assert_allclose(layer.params["w"], [0.9])
    assert opt.lr == 0.0
    bad = SGD(lambda t: 0.1 - 0.1 * t)
    bad.step(layer)
    with pytest.raises(ValueError, match=r"SGD: expected the lr of schedule .* at step 2 in \[0"):
        bad.step(layer)
        bad.step(layer)
    with pytest.raises(TypeError, match="to be a number"):
        SGD(lambda t: "fast")
    with pytest.raises(TypeError, match="SGD: the schedule .* failed at step 0"):
        SGD(lambda t, extra: 0.1)


def test_schedule_arguments_are_checked():
    for make in (lambda: StepDecay(0.0), lambda: StepDecay(0.1, drop=1.5),
                 lambda: StepDecay(0.1, every=0), lambda: ExponentialDecay(0.1, rate=0.0),
                 lambda: CosineDecay(0.1, steps=0), lambda: CosineDecay(0.1, 10, lr_min=0.2),
                 lambda: Warmup(-1.0, steps=3), lambda: Warmup(0.1, steps=0)):
        with pytest.raises(ValueError, match="StepDecay|ExponentialDecay|CosineDecay|Warmup"):
            make()
    for make in (lambda: StepDecay(0.1, every=2.5), lambda: CosineDecay(0.1, steps="10"),
                 lambda: Warmup("0.1", steps=2)):
        with pytest.raises(TypeError):
            make()
    with pytest.raises(ValueError, match="CosineDecay: expected the step t >= 0"):
        CosineDecay(0.1, 10)(-1)
    with pytest.raises(TypeError, match="StepDecay: expected the step t to be an int"):
        StepDecay(0.1)(1.5)
    with pytest.raises(NotImplementedError):
        Schedule()(0)


def test_schedule_repr_get_and_reuse():
    opt = optimizers.get("sgd", lr=CosineDecay(0.1, steps=100))
    assert repr(opt) == "SGD(lr=CosineDecay(0.1, steps=100, lr_min=0))"
    assert repr(Warmup(StepDecay(0.1), 5)) == "Warmup(StepDecay(0.1, drop=0.5, every=10), steps=5)"
    assert repr(SGD(0.1)) == "SGD(lr=0.1)"
    # the same schedule object may drive two optimizers: it holds no state of its own
    s = ExponentialDecay(0.1, 0.9)
    a, b = SGD(s), Adam(s)
    layer = OneParam([1.0])
    layer.grads["w"][...] = 1.0
    for _ in range(3):
        a.step(layer)
    assert a.lr == pytest.approx(0.1 * 0.9 ** 2) and b.lr == 0.1
