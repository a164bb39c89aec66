"""scratchnet.trace: the Tracer records the right things, changes nothing, always unwraps, and
finds dead ReLUs, saturated sigmoids and vanishing gradients made on purpose."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from scratchnet.layers import Dense, ReLU, Sigmoid, Tanh
from scratchnet.losses import MSE
from scratchnet.model import Sequential
from scratchnet.optimizers import SGD
from scratchnet.trace import (VANISHING_RATIO, WEAK_RATIO, GradientNormRecorder, Tracer,
                              gradient_verdict, trace)


def mlp(sizes, act=ReLU, seed=0):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(a, b, rng=seed + i))
        if i < len(sizes) - 2:
            layers.append(act())
    return Sequential(layers)


def run(model, x, dy):
    y = model.forward(x)
    dx = model.backward(dy)
    return y, dx


@given(n=st.integers(1, 6), d=st.integers(1, 5), h=st.integers(1, 6), k=st.integers(1, 4),
       seed=st.integers(0, 1000))
def test_records_shapes_and_do_not_change_results(n, d, h, k, seed):
    rng = np.random.default_rng(seed)
    model = mlp([d, h, k], seed=seed)
    x, dy = rng.normal(size=(n, d)), rng.normal(size=(n, k))
    y_plain, dx_plain = run(model, x, dy)
    grads_plain = {key: g.copy() for key, g in model.layers[0].grads.items()}
    x_copy, dy_copy = x.copy(), dy.copy()
    with Tracer(model) as tr:
        y, dx = run(model, x, dy)
    np.testing.assert_array_equal(y, y_plain)              # same numbers, traced or not
    np.testing.assert_array_equal(dx, dx_plain)
    for key, g in grads_plain.items():
        np.testing.assert_array_equal(model.layers[0].grads[key], g)
    np.testing.assert_array_equal(x, x_copy)               # inputs untouched
    np.testing.assert_array_equal(dy, dy_copy)
    shapes = [(n, h), (n, h), (n, k)]
    inputs = [(n, d), (n, h), (n, h)]
    assert [r.output.shape for r in tr.records] == shapes
    assert [r.input_shape for r in tr.records] == inputs
    assert [r.grad_input.shape for r in tr.records] == inputs
    assert [r.grad_output.shape for r in tr.records] == shapes
    np.testing.assert_array_equal(tr.records[-1].output, y)
    np.testing.assert_array_equal(tr.records[-1].grad_output, dy)
    np.testing.assert_array_equal(tr.records[0].grad_input, dx)
    assert set(tr.records[0].param_grad_norms) == {"W", "b"}
    assert tr.records[0].param_grad_norms["W"] == pytest.approx(np.linalg.norm(grads_plain["W"]))
    assert tr.records[1].param_grad_norms == {}


def test_records_are_copies():
    model = mlp([3, 4, 2])
    x = np.random.default_rng(1).normal(size=(5, 3))
    with Tracer(model) as tr:
        y = model.forward(x)
    saved = tr.records[-1].output.copy()
    y += 100.0                                               # the caller changes its array
    np.testing.assert_array_equal(tr.records[-1].output, saved)


def test_methods_restored_after_exit_and_after_exception():
    model = mlp([3, 4, 2])
    layer = model.layers[0]
    assert "forward" not in vars(layer) and "backward" not in vars(layer)
    with Tracer(model):
        assert "forward" in vars(layer) and "backward" in vars(layer)
    assert "forward" not in vars(layer) and "backward" not in vars(layer)
    assert layer.forward.__func__ is Dense.forward
    with pytest.raises(ValueError):
        with Tracer(model):
            model.forward(np.zeros((2, 7)))                  # wrong width: Dense raises
    for lay in model.layers:
        assert "forward" not in vars(lay) and "backward" not in vars(lay)


def test_existing_instance_override_is_put_back():
    layer = ReLU()
    mine = lambda x: np.maximum(x, 0) * 2                    # a student's own patch
    layer.forward = mine
    with Tracer([layer]) as tr:
        out = layer.forward(np.array([[1.0, -1.0]]))
    assert layer.forward is mine
    np.testing.assert_array_equal(out, [[2.0, 0.0]])
    np.testing.assert_array_equal(tr.records[0].output, [[2.0, 0.0]])


def test_dead_relu_detected():
    rng = np.random.default_rng(0)
    model = mlp([4, 8, 1])
    model.layers[0].params["b"][:6] = -1e3                   # 6 of 8 units can never fire
    x = rng.normal(size=(32, 4))
    tr = trace(model, x, rng.normal(size=(32, 1)), MSE())
    relu = tr.records[1]
    assert relu.dead_fraction == pytest.approx(6 / 8)
    assert tr.dead_layers(0.5) == [relu]
    assert any("75% of units are dead" in note for note in tr.diagnose())
    healthy = trace(mlp([4, 8, 1]), x, rng.normal(size=(32, 1)), MSE())
    assert healthy.records[1].dead_fraction < 0.5 and healthy.dead_layers(0.5) == []


@pytest.mark.parametrize("act, scale, expect", [(Sigmoid, 1000.0, True), (Sigmoid, 0.01, False),
                                                 (Tanh, 1000.0, True), (Tanh, 0.01, False)])
def test_saturation_detected(act, scale, expect):
    rng = np.random.default_rng(0)
    model = mlp([3, 10, 1], act=act)
    model.layers[0].params["W"][...] *= scale                # huge weights push units to the limits
    tr = trace(model, rng.normal(size=(20, 3)), rng.normal(size=(20, 1)), MSE())
    sat = tr.records[1].saturated_fraction
    assert (sat > 0.9) if expect else (sat == 0.0)
    assert (tr.saturated_layers(0.5) == [tr.records[1]]) is expect
    assert tr.records[0].saturated_fraction is None          # not an activation with limits


def test_vanishing_gradients_in_deep_sigmoid_net():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 8)), rng.normal(size=(16, 1))
    deep = mlp([8] + [8] * 12 + [1], act=Sigmoid)
    tr = trace(deep, x, y, MSE())
    assert tr.vanishing_gradients(1e-2)
    norms = list(tr.grad_norms().values())
    assert norms[0] < 1e-3 * norms[-1]                       # shrinks towards the input
    assert any("vanishing gradients" in note for note in tr.diagnose())
    shallow = trace(mlp([8, 8, 1], act=ReLU), x, y, MSE())
    assert not shallow.vanishing_gradients(1e-2)


@pytest.mark.parametrize("ratio, verdict", [
    (0.0, "vanishing"), (0.0099, "vanishing"), (0.01, "weak"), (0.035, "weak"),
    (0.0999, "weak"), (0.1, "healthy"), (1.0, "healthy"), (10.0, "healthy"),
    (10.01, "growing"), (100.0, "growing"), (100.1, "exploding"), (float("inf"), "exploding")])
def test_gradient_verdict_is_graded(ratio, verdict):
    assert WEAK_RATIO == 0.1 and VANISHING_RATIO == 0.01
    assert gradient_verdict(ratio) == verdict


def test_gradient_verdict_thresholds_and_errors():
    assert gradient_verdict(0.035, weak=0.01, vanishing=0.001) == "healthy"
    assert gradient_verdict(0.035, weak=0.5, vanishing=0.05) == "vanishing"
    with pytest.raises(ValueError, match="gradient_verdict.*ratio >= 0"):
        gradient_verdict(float("nan"))
    with pytest.raises(ValueError, match="gradient_verdict.*ratio >= 0"):
        gradient_verdict(-1.0)
    with pytest.raises(TypeError, match="gradient_verdict.*number"):
        gradient_verdict("0.1")
    with pytest.raises(ValueError, match="0 < vanishing <= weak <= 1"):
        gradient_verdict(0.5, weak=0.01, vanishing=0.1)          # swapped
    with pytest.raises(ValueError, match="0 < vanishing <= weak <= 1"):
        gradient_verdict(0.5, weak=2.0)
    tr = trace(mlp([2, 3, 1]), np.ones((2, 2)), np.ones((2, 1)), MSE())
    with pytest.raises(ValueError, match="Tracer.diagnose"):
        tr.diagnose(vanishing=0.0)


def playground_sigmoid_net(act=Sigmoid):
    """The 2x32 net of tutorial 08 on its spirals: ratio 0.035 for sigmoid."""
    from scratchnet.datasets import spirals
    from scratchnet.losses import CategoricalCrossEntropy
    x, y = spirals(n=300, k=3, noise=0.2, rng=0)
    init = "he" if act is ReLU else "xavier"
    model = Sequential([Dense(2, 32, init=init, rng=0), act(), Dense(32, 32, init=init, rng=1),
                        act(), Dense(32, 3, init="xavier", rng=99)])
    return trace(model, x, y, CategoricalCrossEntropy())


def test_weak_gradients_of_the_playground_sigmoid_net_are_reported(capsys):
    # The summary used to say "no ... vanishing gradients found" at a ratio of 0.035, because
    # the only threshold was 1e-2, while tutorial 08 shows this net learning ~10x slower.
    tr = playground_sigmoid_net()
    ratio = tr.gradient_ratio()
    assert 0.02 < ratio < 0.05
    assert tr.gradient_verdict() == "weak"
    assert not tr.vanishing_gradients()                       # the yes/no test keeps 1e-2
    assert tr.vanishing_gradients(ratio=0.1)                  # ... and takes any level
    assert any(n.startswith("weak gradients: the first layer's gradient is 0.035")
               for n in tr.diagnose())
    assert not any("weak" in n for n in tr.diagnose(weak=0.02))
    tr.summary()
    out = capsys.readouterr().out
    assert "gradient ratio first/last layer: 0.0346: weak (below 0.1: under plain SGD the " \
           "first layer's steps are ~29x smaller than the last's)" in out
    assert "no dead units" not in out
    relu = playground_sigmoid_net(ReLU)
    assert relu.gradient_verdict() == "healthy" and relu.diagnose() == []
    relu.summary()
    out = capsys.readouterr().out
    assert "gradient ratio first/last layer: 0.265: healthy (between 0.1 and 10)" in out
    assert "note: no dead units, saturated layers, or weak or vanishing gradients found" in out


def test_growing_and_exploding_gradients_are_reported():
    # Three Dense layers, a fixed dy: scaling the last W by c scales the gradient that reaches
    # the first two layers by c and leaves the last layer's own gradient as it is, so the
    # first/last ratio becomes c times what it was.
    rng = np.random.default_rng(0)
    x, dy = rng.normal(size=(16, 4)), rng.normal(size=(16, 2))

    def ratio_with(c):
        model = Sequential([Dense(4, 6, rng=0), Dense(6, 6, rng=1), Dense(6, 2, rng=2)])
        model.layers[-1].params["W"][...] *= c
        with Tracer(model) as tr:
            model.forward(x)
            model.backward(dy)
        return tr
    base = ratio_with(1.0).gradient_ratio()
    for target, verdict in ((1.0, "healthy"), (30.0, "growing"), (1000.0, "exploding"),
                            (0.03, "weak"), (0.003, "vanishing")):
        tr = ratio_with(target / base)
        assert tr.gradient_ratio() == pytest.approx(target, rel=1e-9)
        assert tr.gradient_verdict() == verdict
        notes = [n for n in tr.diagnose() if "gradients:" in n]
        assert notes == ([] if verdict == "healthy" else
                         [f"{verdict} gradients: the first layer's gradient is {target:.2g} "
                          f"times the last layer's"])
        assert f": {verdict} (" in tr.gradient_report()


def test_verdict_and_report_without_two_parameter_layers(capsys):
    tr = trace(Sequential([Dense(2, 1, rng=0)]), np.ones((3, 2)), np.ones((3, 1)), MSE())
    assert tr.gradient_ratio() is None and tr.gradient_verdict() is None
    assert "fewer than two layers" in tr.gradient_report()
    with Tracer(mlp([2, 3, 1])) as tr:
        tr.model.forward(np.ones((2, 2)))                      # forward only
    tr.summary()
    assert "gradients were not checked" in capsys.readouterr().out


def test_summary_table_and_trace_loss(capsys):
    rng = np.random.default_rng(0)
    model = mlp([2, 3, 1], act=Sigmoid)
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    tr = trace(model, x, y, MSE())
    assert tr.loss == pytest.approx(float(np.mean((model.forward(x) - y) ** 2)))
    tr.summary()
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["layer", "output", "mean"]
    assert sum(line.startswith(("Dense", "Sigmoid")) for line in lines) == 3
    assert "(4, 3)" in out and "note:" in out
    assert str(tr) == tr.table()


def test_errors():
    with pytest.raises(TypeError, match="Tracer"):
        Tracer(42)
    with pytest.raises(ValueError, match="saturation_tol"):
        Tracer([ReLU()], saturation_tol=0.7)
    tr = Tracer(mlp([2, 2, 1]))
    with pytest.raises(RuntimeError, match="forward"):
        tr.table()
    with tr:
        with pytest.raises(RuntimeError, match="already active"):
            tr.__enter__()


def test_trace_takes_a_loss_name_like_fit():
    # trace(model, x, y, "mse") used to die inside with "'str' object has no attribute 'forward'".
    rng = np.random.default_rng(0)
    model = mlp([2, 3, 1])
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    assert trace(model, x, y, "mse").loss == pytest.approx(trace(model, x, y, MSE()).loss)
    with pytest.raises(TypeError, match="losses.get"):
        trace(model, x, y, 42)


def test_gradient_norm_recorder_in_fit():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))
    model = mlp([3, 5, 1])
    rec = GradientNormRecorder()
    model.fit(x, y, loss=MSE(), optimizer=SGD(0.01), epochs=3, batch_size=10, verbose=0,
              callbacks=[rec], rng=0)
    assert list(rec.norms) == [model.layers[0].name, model.layers[2].name]
    assert all(len(v) == 3 * 4 for v in rec.norms.values())    # one per update
    last = np.sqrt(sum(np.sum(g ** 2) for g in model.layers[2].grads.values()))
    assert rec.norms[model.layers[2].name][-1] == pytest.approx(last)
    per = GradientNormRecorder(per_param=True)
    model.fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[per])
    assert set(per.norms) == {f"{model.layers[i].name}.{k}" for i in (0, 2) for k in "Wb"}


def test_float32_model_is_traced():
    rng = np.random.default_rng(0)
    model = mlp([3, 6, 2], act=Tanh).astype(np.float32)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    tr = trace(model, x, rng.normal(size=(8, 2)).astype(np.float32), MSE())
    assert all(r.output.dtype == np.float32 for r in tr.records)
    assert all(r.grad_input.dtype == np.float32 for r in tr.records)
    assert np.isfinite(tr.gradient_ratio())


def test_tracer_and_recorder_feed_plot_gradient_flow(tmp_path):
    from scratchnet.plot import plot_gradient_flow
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    model = mlp([3, 5, 5, 1])
    tr = trace(model, x, y, MSE())
    fig = plot_gradient_flow(tr, path=tmp_path / "bars.png")
    assert len(fig.axes[0].patches) == 3                    # one bar per Dense layer
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == pytest.approx(list(tr.grad_norms().values()))
    rec = GradientNormRecorder()
    model.fit(x, y, loss=MSE(), optimizer=SGD(0.01), epochs=2, batch_size=5, verbose=0,
              callbacks=[rec])
    fig = plot_gradient_flow(rec, path=tmp_path / "lines.png")
    assert len(fig.axes[0].lines) == 3 and len(fig.axes[0].lines[0].get_ydata()) == 8
    assert (tmp_path / "bars.png").read_bytes()[:4] == b"\x89PNG"
