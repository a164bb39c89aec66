"""Threads: numba's threading layer in a fresh process, and layers used from several Python
threads at once. No thread may ever get another thread's numbers, and no process may die.

The hammering runs in a child process for each threading layer (numba picks its layer once per
process), on tbb where the wheel is installed and on workqueue (forced by
NUMBA_THREADING_LAYER), which aborts the whole process if two threads launch parallel work
together unless scratchnet keeps them apart.
"""
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

from scratchnet import Sequential
from scratchnet.kernels import threads
from scratchnet.layers import Dense, Layer, ReLU, Tanh


def run_child(code: str, layer: str | None = None, timeout: int = 240):
    """Run `code` in a fresh interpreter with numba's threading settings as a user has them
    (none), or with NUMBA_THREADING_LAYER=layer. Returns the CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_THREADING_LAYER")}
    env["NUMBA_ENABLE_CUDASIM"] = "1"
    if layer is not None:
        env["NUMBA_THREADING_LAYER"] = layer
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.skipif(threads.tbb_library_path() is None, reason="the tbb wheel is not installed")
def test_a_fresh_process_runs_numba_on_tbb():
    """The tbb wheel's library is not on the loader's path; scratchnet loads it, so numba's
    tbb layer starts (before the fix numba fell back to workqueue)."""
    done = run_child("""
        import numpy as np
        from scratchnet.layers import MaxPool2D
        from scratchnet.kernels import threads
        MaxPool2D(2).forward(np.zeros((2, 3, 8, 8)))
        print("layer", threads.threading_layer())
    """)
    assert done.returncode == 0, done.stderr
    assert "layer tbb" in done.stdout


def test_numba_started_on_omp_before_scratchnet_gets_a_warning():
    """Parallel numba code run before `import scratchnet` fixes numba's layer before scratchnet
    can choose it; on omp (numba's own first choice here) the import says so, once."""
    done = run_child("""
        import warnings
        import numba
        numba.set_parallel_chunksize(0)          # starts numba's threads, on numba's default
        print("layer", numba.threading_layer())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import scratchnet
        print("warnings", [str(w.message) for w in caught if w.category is RuntimeWarning])
    """)
    assert done.returncode == 0, done.stderr
    if "layer omp" not in done.stdout:
        pytest.skip("numba did not start on omp here (no OpenMP library): nothing to warn of")
    assert "threads were started before scratchnet was imported" in done.stdout
    assert "NUMBA_THREADING_LAYER=tbb" in done.stdout
    quiet = run_child("""
        import warnings
        warnings.simplefilter("error", RuntimeWarning)
        import scratchnet
        print("imported")
    """)
    assert quiet.returncode == 0 and "imported" in quiet.stdout, quiet.stderr


HAMMER = """
import threading
import numpy as np
from scratchnet.layers import AvgPool2D, Conv2D, MaxPool2D
from scratchnet.kernels import threads

rng = np.random.default_rng(0)
# one layer per conv path (direct: 1*5*5 <= 32; wide: 6*5*5; im2col: stride 2) and the pools
shared = {
    "direct": (Conv2D(1, 6, 5, padding=2, rng=1), (8, 1, 16, 16)),
    "wide": (Conv2D(6, 16, 5, rng=2), (8, 6, 14, 14)),
    "im2col": (Conv2D(3, 8, 3, stride=2, padding=1, rng=3), (8, 3, 15, 15)),
    "maxpool": (MaxPool2D(2), (8, 6, 14, 14)),
    "avgpool": (AvgPool2D(2), (8, 6, 14, 14)),
}
inputs = {k: [rng.standard_normal(shape) for _ in range(4)] for k, (_, shape) in shared.items()}
expected = {k: [layer.forward(x) for x in inputs[k]] for k, (layer, _) in shared.items()}

def own_step(layer, x, dy):
    y = layer.forward(x)
    dx = layer.backward(dy)
    return y, dx, {k: g.copy() for k, g in layer.grads.items()}

# forward and backward on a separate copy of each layer, one per thread
own_dy = {k: rng.standard_normal(e[0].shape) for k, e in expected.items()}
own_expected = {k: own_step(layer, inputs[k][0], own_dy[k]) for k, (layer, _) in shared.items()}

wrong, errors = [], []

def hammer(t):
    import copy
    mine = {k: copy.deepcopy(layer) for k, (layer, _) in shared.items()}
    try:
        for r in range(25):
            for k, (layer, _) in shared.items():
                i = (t + r) % 4
                if not np.array_equal(layer.forward(inputs[k][i]), expected[k][i]):
                    wrong.append(("shared", k))
                y, dx, grads = own_step(mine[k], inputs[k][0], own_dy[k])
                y0, dx0, grads0 = own_expected[k]
                if not (np.array_equal(y, y0) and np.array_equal(dx, dx0)
                        and all(np.array_equal(grads[g], grads0[g]) for g in grads0)):
                    wrong.append(("own", k))
    except Exception as exc:
        errors.append(repr(exc))

workers = [threading.Thread(target=hammer, args=(t,)) for t in range(4)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print("layer", threads.threading_layer())
print("wrong", len(wrong), sorted(set(wrong)))
print("errors", errors)
"""


@pytest.mark.parametrize("layer", ["workqueue", "tbb"])
def test_threads_hammering_layers_get_only_right_answers(layer):
    """Four threads: each calls forward of the SAME conv (every path) and pooling layers, and
    forward + backward of its OWN copies. Every output and gradient must equal the one computed
    alone, and the process must live (workqueue aborted it; shared work buffers gave wrong
    outputs in most calls)."""
    if layer == "tbb" and threads.tbb_library_path() is None:
        pytest.skip("the tbb wheel is not installed")
    done = run_child(HAMMER, layer)
    assert done.returncode == 0, f"the process died: {done.returncode}\n{done.stderr[-2000:]}"
    assert f"layer {layer}" in done.stdout
    assert "wrong 0 " in done.stdout and "errors []" in done.stdout, done.stdout


class Slow(Layer):
    """y = x, after a pause: makes two threads overlap inside one call. Records the mode."""

    def __init__(self):
        super().__init__()
        self.modes = []

    def forward(self, x):
        x = self._check_input(x)
        self.modes.append(self.training)
        threading.Event().wait(0.05)
        self._save(shape=x.shape)
        return x

    def backward(self, dy):
        return self._check_grad(dy, self._load()["shape"])


def test_two_threads_predicting_on_one_model_leave_its_modes_as_they_were():
    """predict switches the model to eval mode and back; two overlapping predicts must not
    leave it in eval mode (the second one would save the first one's eval mode as 'before')."""
    slow = Slow()
    model = Sequential([slow, Dense(2, 2, rng=0)])
    x = np.ones((3, 2))
    want = model.predict(x)
    results = []
    workers = [threading.Thread(target=lambda: results.append(model.predict(x)))
               for _ in range(2)]
    for w in workers:
        w.start()
        threading.Event().wait(0.01)
    for w in workers:
        w.join()
    assert all(layer.training for layer in model.layers)
    assert slow.modes == [False, False, False]
    for got in results:
        np.testing.assert_array_equal(got, want)


def test_backward_refuses_the_cache_of_another_threads_forward():
    """Thread A's forward, then thread B's forward on the same layer, then A's backward: the
    cache is B's, so A's backward must refuse rather than compute B's gradient."""
    layer = Dense(3, 2, rng=0)
    layer.forward(np.ones((2, 3)))                     # this thread's forward ...
    other = threading.Thread(target=layer.forward, args=(np.zeros((2, 3)),))
    other.start()
    other.join()                                       # ... replaced by another thread's
    with pytest.raises(RuntimeError, match="another thread.*copy.deepcopy"):
        layer.backward(np.ones((2, 2)))
    layer.forward(np.ones((2, 3)))                     # its own forward again: fine
    assert layer.backward(np.ones((2, 2))).shape == (2, 3)


def test_a_layer_shared_by_two_models_gets_each_models_own_cache():
    """Weight sharing between two models: forward A, forward B, backward A, backward B must
    give the gradients of A's and B's own forwards (B's forward used to replace the cache
    that A's backward read, giving B's numbers to A)."""
    rng = np.random.default_rng(0)
    shared = Dense(3, 4, rng=1)
    model_a = Sequential([shared, Tanh(), Dense(4, 2, rng=2)])
    model_b = Sequential([shared, ReLU(), Dense(4, 1, rng=3)])
    xa, xb = rng.standard_normal((5, 3)), rng.standard_normal((6, 3))
    dya, dyb = rng.standard_normal((5, 2)), rng.standard_normal((6, 1))

    def alone(model, x, dy):
        model.forward(x)
        dx = model.backward(dy)
        return dx, {k: g.copy() for k, g in shared.grads.items()}

    want_a, want_b = alone(model_a, xa, dya), alone(model_b, xb, dyb)
    model_a.forward(xa)
    model_b.forward(xb)
    got_a = (model_a.backward(dya), {k: g.copy() for k, g in shared.grads.items()})
    got_b = (model_b.backward(dyb), {k: g.copy() for k, g in shared.grads.items()})
    for got, want in ((got_a, want_a), (got_b, want_b)):
        np.testing.assert_array_equal(got[0], want[0])
        for key in want[1]:
            np.testing.assert_array_equal(got[1][key], want[1][key], err_msg=key)


def test_a_loss_refuses_the_backward_of_another_threads_forward():
    import threading
    from scratchnet.losses import MSE
    loss = MSE()
    loss.forward(np.zeros((2, 3)), np.ones((2, 3)))
    errors = []

    def other():
        try:
            loss.backward()
        except RuntimeError as exc:
            errors.append(str(exc))

    worker = threading.Thread(target=other)
    worker.start()
    worker.join()
    assert errors and "another" in errors[0] and "MSE" in errors[0]
    assert loss.backward().shape == (2, 3)            # the thread that ran forward may
