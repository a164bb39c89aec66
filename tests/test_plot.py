"""scratchnet.plot: every function renders a real PNG headless; confusion_matrix counts right;
bad input gets a clear error."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from scratchnet import plot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    data = path.read_bytes()
    assert len(data) > 1000, f"{path} is too small to hold a picture"
    assert data[:8] == PNG_SIGNATURE


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ----- every function saves a PNG ------------------------------------------------------------
def test_plot_history_png(tmp_path):
    logs = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.8, 0.9]}
    fig = plot.plot_history(logs, path=tmp_path / "h.png")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2                               # loss and accuracy panels
    assert len(fig.axes[0].lines) == 2                      # train and validation
    assert_png(tmp_path / "h.png")


def test_plot_history_accepts_object_with_history_attribute(tmp_path):
    class H:
        history = {"loss": [3.0, 2.0]}
    fig = plot.plot_history(H(), metrics=["loss"], path=tmp_path / "sub" / "h.png")
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), [3.0, 2.0])
    assert_png(tmp_path / "sub" / "h.png")


@pytest.mark.parametrize("kind", ["multiclass", "probability", "logit", "callable_model"])
def test_plot_decision_boundary_png(tmp_path, rng, kind):
    x = rng.normal(size=(40, 2))
    y = (x[:, 0] > 0).astype(int)
    if kind == "multiclass":
        fn = lambda g: np.column_stack([-g[:, 0], g[:, 0], g[:, 1]])
    elif kind == "probability":
        fn = lambda g: 1 / (1 + np.exp(-g[:, :1]))
    elif kind == "logit":
        fn = lambda g: g[:, 0] * 5
    else:
        class M:
            def predict(self, g):
                return np.column_stack([-g[:, 0], g[:, 0]])
        fn = M()
    fig = plot.plot_decision_boundary(fn, x, y, resolution=30, path=tmp_path / "db.png")
    assert isinstance(fig, Figure)
    assert_png(tmp_path / "db.png")


def test_decision_boundary_threshold_follows_the_fitted_loss(rng):
    # Logits that all happen to lie in [0, 1] were thresholded at 0.5 as if they were
    # probabilities: a boundary line was drawn where the model has none (all logits > 0).
    from scratchnet import Sequential
    from scratchnet.layers import Dense
    from scratchnet.losses import BinaryCrossEntropy
    x, y = rng.uniform(-1, 1, size=(20, 2)), np.arange(20) % 2
    model = Sequential([Dense(2, 1, rng=0)])
    model.fit(x, y, loss=BinaryCrossEntropy(from_logits=True), optimizer="sgd", epochs=1,
              verbose=0)
    model[0].params["W"][...] = [[0.1], [0.0]]
    model[0].params["b"][...] = 0.5                       # logits in (0.38, 0.62): all class 1
    fig = plot.plot_decision_boundary(model, x, y, resolution=20)
    assert len(fig.axes[0].collections) == 2              # shading and points, no boundary line
    fig = plot.plot_decision_boundary(model, x, y, resolution=20, threshold=0.5)
    assert len(fig.axes[0].collections) == 3              # an explicit threshold still rules


def test_plot_decision_boundary_into_given_axes(rng):
    fig = Figure()
    axes = fig.subplots(1, 2)
    out = plot.plot_decision_boundary(lambda g: g[:, :1], rng.normal(size=(10, 2)),
                                      np.arange(10) % 2, resolution=10, ax=axes[1])
    assert out is fig
    assert len(axes[1].collections) > 0 and len(axes[0].collections) == 0


@pytest.mark.parametrize("shape", [(8, 8), (5, 8, 8), (5, 1, 8, 8), (4, 3, 5, 5), (4, 2, 3, 3)])
def test_plot_image_grid_png(tmp_path, rng, shape):
    labels = None if len(shape) == 2 else [str(i) for i in range(shape[0])]
    plot.plot_image_grid(rng.normal(size=shape), labels=labels, path=tmp_path / "g.png")
    assert_png(tmp_path / "g.png")


def test_plot_filters_and_feature_maps_png(tmp_path, rng):
    fig = plot.plot_filters(rng.normal(size=(6, 1, 3, 3)), path=tmp_path / "f.png")
    assert len(fig.axes) == 6
    assert_png(tmp_path / "f.png")
    fig = plot.plot_feature_maps(rng.normal(size=(2, 4, 6, 6)), index=1, path=tmp_path / "m.png")
    assert len(fig.axes) == 4
    assert_png(tmp_path / "m.png")


def test_plot_confusion_matrix_png(tmp_path):
    fig = plot.plot_confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1], class_names=["a", "b", "c"],
                                     normalize=True, path=tmp_path / "c.png")
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    # rows: true 0 -> [1, 0, 0], true 1 -> [0, 0, 1], true 2 -> [0, .5, .5] after normalizing
    assert texts.count("0.50") == 2 and texts.count("1.00") == 2 and len(texts) == 9
    assert_png(tmp_path / "c.png")


def test_plot_histograms_png(tmp_path, rng):
    fig = plot.plot_histograms({"W": rng.normal(size=(4, 5)), "b": np.zeros(3)},
                               path=tmp_path / "hist.png")
    assert len(fig.axes) == 2
    assert_png(tmp_path / "hist.png")


def test_plot_gradient_flow_lines_and_bars(tmp_path):
    fig = plot.plot_gradient_flow({"0 Dense": [1.0, 0.5, 0.0], "2 Dense": [2.0, 1.0, 0.5]},
                                  path=tmp_path / "lines.png")
    assert len(fig.axes[0].lines) == 2
    assert_png(tmp_path / "lines.png")
    fig = plot.plot_gradient_flow({"0 Dense": 1e-6, "2 Dense": 1.0}, path=tmp_path / "bars.png")
    assert len(fig.axes[0].patches) == 2
    assert_png(tmp_path / "bars.png")


def test_plot_loss_surface_png(tmp_path):
    calls = []

    def loss(w, b):
        calls.append((w, b))
        return (w - 1) ** 2 + 2 * (b + 1) ** 2
    path = np.array([[-2.0, 2.0], [0.0, 0.0], [1.0, -1.0]])
    fig = plot.plot_loss_surface(loss, (-3, 3), (-3, 3), trajectory=path, resolution=12,
                                 path=tmp_path / "s.png")
    assert len(calls) == 12 * 12
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_xdata(), path[:, 0])
    assert_png(tmp_path / "s.png")


# ----- confusion_matrix by hand --------------------------------------------------------------
def test_confusion_matrix_hand_example():
    y_true = [0, 0, 1, 1, 1, 2]
    y_pred = [0, 1, 1, 1, 2, 0]
    # true 0: predicted 0 once, 1 once; true 1: 1 twice, 2 once; true 2: 0 once
    expected = np.array([[1, 1, 0],
                         [0, 2, 1],
                         [1, 0, 0]])
    C = plot.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(C, expected)
    assert C.dtype.kind == "i"
    assert C.sum() == 6 and np.trace(C) == 3


def test_confusion_matrix_one_hot_and_k():
    y_true = np.eye(4)[[0, 3, 3]]                            # one-hot rows
    scores = np.array([[0.9, 0.1, 0, 0], [0, 0, 0.2, 0.8], [0.6, 0.4, 0, 0]])
    C = plot.confusion_matrix(y_true, scores, k=5)
    assert C.shape == (5, 5)
    assert C[0, 0] == 1 and C[3, 3] == 1 and C[3, 0] == 1 and C.sum() == 3


def test_confusion_matrix_label_columns():
    # A (N, 1) column used to go through argmax over its single column: every label became 0,
    # a silently wrong matrix for label columns and for one-output (sigmoid) predictions.
    y_true = np.array([[0], [1], [1]])
    C = plot.confusion_matrix(y_true, np.array([0, 1, 0]))
    np.testing.assert_array_equal(C, [[1, 0], [1, 1]])
    with pytest.raises(ValueError, match=r"y_pred.*fractions.*threshold"):
        plot.confusion_matrix(y_true, np.array([[0.9], [0.2], [0.6]]))


# ----- input validation ----------------------------------------------------------------------
def test_decision_boundary_rejects_non_2d_points(rng):
    with pytest.raises(ValueError, match=r"plot_decision_boundary.*\(N, 2\).*\(10, 3\)"):
        plot.plot_decision_boundary(lambda g: g, rng.normal(size=(10, 3)), np.zeros(10))


def test_decision_boundary_rejects_wrong_label_count_and_output(rng):
    x = rng.normal(size=(10, 2))
    with pytest.raises(ValueError, match="10 labels"):
        plot.plot_decision_boundary(lambda g: g, x, np.zeros(7))
    with pytest.raises(ValueError, match="expected the model"):
        plot.plot_decision_boundary(lambda g: g[:5], x, np.zeros(10), resolution=5)
    with pytest.raises(TypeError, match="predict"):
        plot.plot_decision_boundary(42, x, np.zeros(10))
    with pytest.raises(ValueError, match="labels >= 0"):
        plot.plot_decision_boundary(lambda g: g, x, -np.ones(10), resolution=5)
    with pytest.raises(ValueError, match="nan or inf"):
        plot.plot_decision_boundary(lambda g: np.full_like(g, np.nan), x, np.zeros(10),
                                    resolution=5)


@pytest.mark.parametrize("args, match", [
    (([0, 1], [0, 1, 1]), "same length"),
    (([0, 3], [0, 1]), "k=2"),
    (([0, -1], [0, 1]), ">= 0"),
    (([0.5, 1], [0, 1]), "integer"),
])
def test_confusion_matrix_errors(args, match):
    k = 2 if match == "k=2" else None
    with pytest.raises(ValueError, match=match):
        plot.confusion_matrix(*args, k=k)


def test_other_validation_errors(rng):
    with pytest.raises(ValueError, match="plot_history.*not in the history"):
        plot.plot_history({"loss": [1.0]}, metrics=["accuracy"])
    with pytest.raises(ValueError, match="plot_image_grid.*\\(N, C, H, W\\)"):
        plot.plot_image_grid(np.zeros((1, 2, 3, 4, 5)))
    with pytest.raises(ValueError, match="plot_filters.*\\(C_out, C_in, KH, KW\\)"):
        plot.plot_filters(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="plot_histograms"):
        plot.plot_histograms({})
    with pytest.raises(ValueError, match="w_range"):
        plot.plot_loss_surface(lambda w, b: 0.0, (1, 0), (0, 1))
    with pytest.raises(ValueError, match=r"trajectory.*\(T, 2\)"):
        plot.plot_loss_surface(lambda w, b: w * w, (0, 1), (0, 1), trajectory=np.zeros(5),
                               resolution=3)
    with pytest.raises(ValueError, match="plot_gradient_flow"):
        plot.plot_gradient_flow([])


def test_saving_replaces_the_file_in_one_step(tmp_path, monkeypatch):
    # savefig used to write straight into the target: a failure left half a picture there.
    import os
    path = tmp_path / "h.png"
    plot.plot_history({"loss": [3.0, 2.0]}, path=path)
    before = path.read_bytes()
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        plot.plot_history({"loss": [1.0, 5.0, 2.0]}, path=path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["h.png"]
    plot.plot_history({"loss": [1.0, 5.0, 2.0]}, path=tmp_path / "h.svg")   # format by extension
    assert (tmp_path / "h.svg").read_text().lstrip().startswith("<?xml")


def test_plot_history_logy_puts_a_falling_loss_on_a_log_axis():
    logs = {"loss": list(np.geomspace(10, 1e-3, 20)), "accuracy": list(np.linspace(0.1, 1, 20))}
    auto = plot.plot_history(logs)
    assert [ax.get_yscale() for ax in auto.axes] == ["log", "linear"]
    assert [ax.get_ylabel() for ax in auto.axes] == ["loss", "accuracy"]
    assert [ax.get_yscale() for ax in plot.plot_history(logs, logy=False).axes] == ["linear"] * 2
    assert [ax.get_yscale() for ax in plot.plot_history(logs, logy=True).axes] == ["log"] * 2
    only = plot.plot_history(logs, logy=["accuracy"])
    assert [ax.get_yscale() for ax in only.axes] == ["linear", "log"]
    flat = plot.plot_history({"loss": [2.0, 1.5, 1.2]})                 # under two decades
    assert flat.axes[0].get_yscale() == "linear"


def test_figure_problems_name_what_is_missing():
    from matplotlib.figure import Figure
    fig = Figure()
    ax = fig.add_subplot(1, 2, 1)
    ax.plot(np.geomspace(1, 1e6, 5), label="a")
    ax.plot([1.0, 2.0], label="b")
    image = fig.add_subplot(1, 2, 2).imshow(np.ones((4, 4)))
    fig.colorbar(image, ax=fig.axes[1])
    problems = plot.figure_problems(fig)
    for words in ("no title", "no x-axis label", "no y-axis label", "no legend", "decades"):
        assert any(words in p for p in problems), (words, problems)
    ax.set(title="t", xlabel="x", ylabel="y", yscale="log")
    ax.legend()
    fig.axes[1].set_title("image")
    assert plot.figure_problems(fig) == []
    assert any("px wide" in p for p in plot.figure_problems(fig, min_image_px=10_000))
    parabola = Figure()
    ax = parabola.add_subplot(1, 1, 1)
    w = np.linspace(-1, 1, 101)
    ax.plot(w, w ** 2)                        # touches 0: many decades, but nothing squashed
    ax.set(title="t", xlabel="w", ylabel="L")
    assert plot.figure_problems(parabola) == []


def test_save_figure_writes_an_audit_record_only_when_asked(tmp_path, monkeypatch):
    import json
    fig = plot.plot_history({"loss": [3.0, 2.0]})
    monkeypatch.delenv(plot.AUDIT_ENV, raising=False)
    plot.save_figure(fig, tmp_path / "a.png")
    assert not (tmp_path / "a.png.audit.json").exists()
    monkeypatch.setenv(plot.AUDIT_ENV, "1")
    plot.save_figure(fig, tmp_path / "b.png")
    record = json.loads((tmp_path / "b.png.audit.json").read_text())
    assert record["problems"] == [] and record["path"].endswith("b.png")


# ----- images drawn big enough, with a shared colour scale on request --------------------------
def _image_width_px(fig, ax, dpi=100):
    fig.draw_without_rendering()                     # constrained layout places the panels
    return ax.get_position().width * fig.get_figwidth() * dpi


def test_a_single_image_is_drawn_big_by_default(rng):
    # an 8x8 digit used to come out 120 x 137 pixels in all
    fig = plot.plot_image_grid(rng.random((1, 1, 8, 8)), labels=["a digit"], title="t")
    assert _image_width_px(fig, fig.axes[0]) >= 250
    assert plot.figure_problems(fig) == []
    fig = plot.plot_image_grid(rng.random((100, 8, 8)))              # 10 columns: 1.3 in each
    assert fig.get_figwidth() == pytest.approx(13.0)
    small = plot.plot_image_grid(rng.random((4, 8, 8)), panel_size=1.0)
    assert small.get_figwidth() == pytest.approx(2.0)                # 2 x 2 grid of 1 inch


def test_colorbar_shares_one_scale_over_every_panel(rng, tmp_path):
    maps = rng.normal(size=(2, 4, 6, 6))
    fig = plot.plot_feature_maps(maps, index=1, colorbar=True, path=tmp_path / "m.png")
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 4 and len(fig.axes) == 5                   # 4 maps + the colour bar
    clims = {im.get_clim() for im in images}
    assert clims == {(maps[1].min(), maps[1].max())}
    assert any(ax.get_ylabel() == "activation" for ax in fig.axes)
    assert_png(tmp_path / "m.png")
    own = plot.plot_feature_maps(maps, index=1)                      # the old call: own scales
    assert len(own.axes) == 4
    assert [ax.images[0].get_clim() for ax in own.axes] == \
        [(m.min(), m.max()) for m in maps[1]]


def test_filters_are_symmetric_around_zero(rng):
    W = rng.normal(size=(6, 1, 3, 3))
    W[0] += 5.0                                           # one filter all positive
    shared = plot.plot_filters(W, colorbar=True)
    m = np.abs(W[:, 0]).max()
    assert {ax.images[0].get_clim() for ax in shared.axes if ax.images} == {(-m, m)}
    per_panel = plot.plot_filters(W)
    assert [ax.images[0].get_clim() for ax in per_panel.axes] == \
        [(-np.abs(w).max(), np.abs(w).max()) for w in W[:, 0]]
    plain = plot.plot_filters(W, symmetric=False)
    assert plain.axes[0].images[0].get_clim() == (W[0, 0].min(), W[0, 0].max())


def test_vmin_vmax_fix_the_scale(rng):
    fig = plot.plot_image_grid(rng.random((3, 5, 5)), colorbar=True, vmin=0, vmax=2)
    assert {ax.images[0].get_clim() for ax in fig.axes if ax.images} == {(0.0, 2.0)}
    fig = plot.plot_image_grid(rng.random((3, 5, 5)), vmin=-1)        # per panel, low end fixed
    assert all(ax.images[0].get_clim()[0] == -1.0 for ax in fig.axes)


@pytest.mark.parametrize("call, error, match", [
    (lambda: plot.plot_image_grid(np.zeros((2, 3, 4, 4)), colorbar=True), ValueError,
     "plot_image_grid: colorbar.*one-channel"),
    (lambda: plot.plot_image_grid(np.zeros((2, 4, 4)), colorbar=1), TypeError,
     "plot_image_grid: expected colorbar to be True or False"),
    (lambda: plot.plot_image_grid(np.zeros((2, 4, 4)), panel_size=0), ValueError,
     "plot_image_grid: expected panel_size"),
    (lambda: plot.plot_image_grid(np.zeros((2, 4, 4)), vmin=2, vmax=1), ValueError,
     "vmin <= vmax"),
    (lambda: plot.plot_image_grid(np.zeros((2, 4, 4)), symmetric=True, vmax=1), ValueError,
     "symmetric=True or vmin/vmax"),
    (lambda: plot.plot_image_grid(np.zeros((2, 4, 4)), max_images=0), ValueError,
     "max_images"),
    (lambda: plot.plot_filters(np.zeros((2, 1, 3, 3)), panel_size=-1), ValueError,
     "plot_filters: expected panel_size"),
    (lambda: plot.plot_feature_maps(np.zeros((2, 3, 4, 4)), index=2), ValueError,
     "plot_feature_maps: index 2 out of range"),
    (lambda: plot.plot_feature_maps(np.zeros((3, 4)), colorbar=True), ValueError,
     "plot_feature_maps: expected maps"),
])
def test_image_grid_errors_name_the_function(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_rgb_filters_still_draw(rng, tmp_path):
    fig = plot.plot_filters(rng.normal(size=(4, 3, 3, 3)), path=tmp_path / "rgb.png")
    assert len(fig.axes) == 4
    assert_png(tmp_path / "rgb.png")
