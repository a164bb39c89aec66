"""python -m gradcheck FILE.py:ClassName: a student's own layer, checked from the command line.

Exit status 0 for a correct layer, 1 for a wrong one (or one that raises), 2 with one line for
a file that cannot be imported, a missing class, a class that is not a layer, bad arguments.
"""
import subprocess
import sys
import textwrap

import pytest

LAYERS = textwrap.dedent('''
    import numpy as np
    from scratchnet.layers import Layer


    class MyDense(Layer):
        """y = x @ W + b, right unless mean_b: then db is a mean over the batch (a bug)."""
        def __init__(self, n_in, n_out, mean_b=False):
            super().__init__()
            rng = np.random.default_rng(1)
            self.add_param("W", rng.normal(size=(n_in, n_out)))
            self.add_param("b", rng.normal(size=n_out))
            self.mean_b = mean_b

        def forward(self, x):
            self.save_cache(x=x)
            return x @ self.params["W"] + self.params["b"]

        def backward(self, dy):
            x = self.load_cache()["x"]
            self.grads["W"] = x.T @ dy
            self.grads["b"] = dy.mean(axis=0) if self.mean_b else dy.sum(axis=0)
            return dy @ self.params["W"].T


    class MeanDense(MyDense):
        """MyDense with the bug, built like Dense(n_in, n_out)."""
        def __init__(self, n_in, n_out):
            super().__init__(n_in, n_out, mean_b=True)


    class Scaled(Layer):
        """y = alpha * x; backward forgets alpha when forget=True."""
        def __init__(self, alpha=2.0, forget=False):
            super().__init__()
            self.alpha, self.forget = alpha, forget

        def forward(self, x):
            return self.alpha * x

        def backward(self, dy):
            return dy if self.forget else self.alpha * dy

        def example_input(self, rng):
            return rng.normal(size=(3, 2))


    class Lookup(Layer):
        """An embedding: ids (N, T) -> W[ids] (N, T, D)."""
        input_is_index = True

        def __init__(self, vocab, dim):
            super().__init__()
            self.add_param("W", np.random.default_rng(2).normal(size=(vocab, dim)))

        def forward(self, ids):
            ids = np.asarray(ids).astype(int)
            self.save_cache(ids=ids)
            return self.params["W"][ids]

        def backward(self, dy):
            dW = np.zeros_like(self.params["W"])
            np.add.at(dW, self.load_cache()["ids"], dy)
            self.grads["W"] = dW
            return None


    class Crash(Layer):
        def forward(self, x):
            return x[100]

        def backward(self, dy):
            return dy


    def helper():
        return 1
''')


@pytest.fixture
def layers(tmp_path):
    path = tmp_path / "my_layers.py"
    path.write_text(LAYERS)
    return path


def gradcheck(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gradcheck", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_a_correct_layer_passes_with_the_same_report_as_the_builtins(layers):
    out = gradcheck(f"{layers}:MyDense", "--input-shape", "4,3", "--args", "[3, 2]")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "MyDense(3, 2)" in out.stdout and "x of shape (4, 3)" in out.stdout
    assert "structural checks: 7 of 7 hold" in out.stdout and "\nPASS: 3 tensors" in out.stdout
    for word in ("structural checks", "kinks", "upstream gradient", "seed"):
        assert word in out.stdout                            # the report explains its words


def test_a_wrong_layer_fails_with_exit_1_and_names_the_tensor(layers):
    out = gradcheck(f"{layers}:MyDense", "--input-shape", "4,3", "--args", "[3, 2]",
                    "--kwargs", '{"mean_b": true}')
    assert out.returncode == 1, out.stdout + out.stderr
    assert "b: 2 of 2 elements wrong" in out.stdout and "1/N" in out.stdout


def test_against_a_library_layer_compares_forward_and_backward(layers):
    good = gradcheck(f"{layers}:MyDense", "--input-shape", "4,3", "--args", "[3, 2]",
                     "--against", "scratchnet.layers.Dense")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "compare with scratchnet.layers.Dense(3, 2), given your parameters" in good.stdout
    assert "PASS: the same y, dx and gradients as the library's layer" in good.stdout
    bad = gradcheck(f"{layers}:MeanDense", "--input-shape", "4,3", "--args", "[3, 2]",
                    "--against", "scratchnet.layers:Dense")
    assert bad.returncode == 1
    assert "FAIL: differs from the library's layer in b" in bad.stdout
    other = gradcheck(f"{layers}:Scaled", "--against", "scratchnet.layers.ReLU")
    assert other.returncode == 1, other.stdout + other.stderr
    assert "differs from the library's layer in y" in other.stdout


def test_example_input_replaces_input_shape(layers):
    out = gradcheck(f"{layers}:Scaled", "--kwargs", '{"alpha": 0.5}')
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Scaled(alpha=0.5)" in out.stdout and "x of shape (3, 2)" in out.stdout
    wrong = gradcheck(f"{layers}:Scaled", "--kwargs", '{"alpha": 3.0, "forget": true}')
    assert wrong.returncode == 1 and "analytic/numeric" in wrong.stdout


def test_int_input_for_an_embedding(layers):
    out = gradcheck(f"{layers}:Lookup", "--args", "[6, 3]", "--int-input", "6",
                    "--input-shape", "2,5")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "backward returns None" not in out.stdout.split("structural checks")[0]
    assert "\nPASS: 1 tensor" in out.stdout


def test_a_module_path_works_too(tmp_path, layers):
    out = gradcheck("my_layers:MyDense", "--input-shape", "2,3", "--args", "[3, 4]",
                    cwd=layers.parent)
    assert out.returncode == 0, out.stdout + out.stderr
    builtin = gradcheck("scratchnet.layers.Dense", "--input-shape", "2,3", "--args", "[3, 4]")
    assert builtin.returncode == 0 and "Dense(3, 4)" in builtin.stdout


def test_a_layer_that_raises_fails_with_where(layers):
    out = gradcheck(f"{layers}:Crash", "--input-shape", "2,3")
    assert out.returncode == 1
    assert "IndexError" in out.stdout and f"{layers} line" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


@pytest.mark.parametrize("target, extra, message", [
    ("{d}/nope.py:X", [], "cannot import {d}/nope.py: no such file"),
    ("{d}/broken.py:X", [], "cannot import {d}/broken.py: SyntaxError"),
    ("{d}/raises.py:X", [], "cannot import {d}/raises.py: ZeroDivisionError"),
    ("{d}/my_layers.py:Nope", [], "has no 'Nope'; the layers there: Crash, Lookup, MeanDense, MyDense, Scaled"),
    ("{d}/my_layers.py:helper", [], "is not a layer: expected a subclass of scratchnet.layers.Layer"),
    ("{d}/my_layers.py:np", [], "is not a layer"),
    ("no_such_package.mod:X", [], "cannot import no_such_package.mod: ModuleNotFoundError"),
    ("{d}/my_layers.py:MyDense", ["--args", "[1]"], "cannot build MyDense(1): TypeError"),
    ("{d}/my_layers.py:MyDense", ["--args", "[3, 2]"], "give --input-shape"),
    ("{d}/my_layers.py:MyDense", ["--args", "[3, 2]", "--input-shape", "4,3", "--against",
                                  "scratchnet.layers.Nope"], "scratchnet.layers has no 'Nope'"),
])
def test_what_cannot_be_checked_is_one_line_and_exit_2(layers, target, extra, message):
    d = layers.parent
    (d / "broken.py").write_text("def f(:\n")
    (d / "raises.py").write_text("1 / 0\n")
    out = gradcheck(target.format(d=d), *extra)
    assert out.returncode == 2, out.stdout + out.stderr
    assert message.format(d=d) in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


@pytest.mark.parametrize("args, message", [
    (["--input-shape", "4,3"], "need a layer to check"),
    (["X.py:A", "-k", "Dense"], "take no FILE.py:ClassName"),
    (["X.py:A", "--int-input", "5"], "--int-input HIGH needs --input-shape"),
    (["X.py:A", "--input-shape", "4,x"], "argument --input-shape: expected sizes >= 1"),
    (["X.py:A", "--args", "{}"], "argument --args: expected a JSON list"),
    (["X.py:A", "--kwargs", "[1]"], "argument --kwargs: expected a JSON object"),
    (["X.py:A", "--kwargs", "{bad"], "argument --kwargs: expected JSON"),
    (["X.py:A", "--int-input", "0", "--input-shape", "2"], "argument --int-input"),
])
def test_bad_arguments_are_exit_2(args, message):
    out = gradcheck(*args)
    assert out.returncode == 2, out.stdout + out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr


def test_help_explains_the_words_of_a_report():
    out = gradcheck("--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    for phrase in ("structural checks run before any number is compared",
                   "kinks elements that sit on a corner of the function",
                   "g the upstream gradient", "L = sum(y * g)",
                   "seed --seed N (default 0) fixes the input values and g",
                   "python -m gradcheck path/to/file.py:ClassName --input-shape 4,3",
                   "--against scratchnet.layers.Dense", "--int-input HIGH", "example_input()"):
        assert phrase in text, phrase


def test_the_builtin_table_still_explains_max_err_and_kinks():
    out = gradcheck("-k", "ReLU")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "kinks: elements on a corner" in out.stdout and "--help explains" in out.stdout


def test_compare_layers_names_parameters_that_do_not_match():
    import numpy as np

    from gradcheck.cli import compare_layers
    from scratchnet.layers import Dense, Maxout, ReLU
    x = np.random.default_rng(0).normal(size=(4, 3))
    shapes = compare_layers(Dense(3, 2, rng=0), Maxout(3, 2, 2, rng=0), x)
    assert not shapes.passed
    assert "the parameter shapes differ: W: yours (3, 2), Maxout's (2, 3, 2)" in shapes.error
    keys = compare_layers(Dense(3, 2, rng=0), ReLU(), x)
    assert not keys.passed and "the parameters differ: yours are [W (3, 2), b (2,)]" in keys.error
    same = compare_layers(Dense(3, 2, rng=0), Dense(3, 2, rng=5), x)
    assert same.passed, str(same)                  # rng=5's weights are replaced by ours
