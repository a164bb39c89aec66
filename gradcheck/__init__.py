"""gradcheck: prove analytic gradients right (or show where they are wrong) by finite differences.

    import numpy as np, gradcheck
    from scratchnet.layers import Dense
    report = gradcheck.check_layer(Dense(3, 4, rng=0), np.random.default_rng(0).normal(size=(5, 3)))
    print(report)                 # a table: tensor, shape, max error, worst element, kinks, PASS/FAIL
    assert report.passed, report

What is in it:
  numerical_gradient(f, x, eps=None)       central differences of a scalar f(x), in float64
  check_layer(layer, x, seed=0)            dL/dx and every dL/dparam, with L = sum(y * g), g random
  check_loss(loss, y_pred, y_true)         loss.backward() against loss.forward
  check_model(model, loss, x, y)           every layer of a model, through the loss
  check_function(f, df, x)                 a plain function and its gradient
  sweep_eps(f_or_layer, x)                 error against step size: the V of truncation and rounding
  python -m gradcheck                      every built-in layer and loss (cases in gradcheck/catalog.py)

Reading a report: one row per tensor (dx, then every parameter, "layer i (Class).key" inside a
model) with its largest error, where it is, the analytic and numeric values there, and how many
elements sat on a kink. A failing row lists its worst elements (index, analytic, numeric, ratio)
and hints: a ratio of 2 or 1/2 (a lost factor), -1 (a sign), N or 1/N (a sum or mean over the
batch), 0 (a path the gradient never takes), a single element, a transposed matrix. Structural
checks come first: shapes, x untouched by forward, inputs and params untouched by backward,
linearity in dy, and the same result from the same seed. report.passed, report.rows,
report.kinks, str(report).

Tolerances (rtol=1e-5, atol=1e-8 by default, keyword arguments of every check) and the error
metric are described in gradcheck/report.py; kinks (ReLU at 0, ties in a max) are accepted when
the analytic value lies between the one-sided differences, and counted apart from failures.
Cost: two forwards per checked number, so check small shapes (a batch of 2 to 5). An input
with no elements (x of shape (0, D)) is a ValueError, not a PASS: a check of nothing proves
nothing.
"""
from gradcheck.numeric import DEFAULT_EPS, finite_differences, has_kink, numerical_gradient
from gradcheck.report import ATOL, RTOL, Check, Report, Row, rel_error
from gradcheck.checks import check_function, check_layer, check_loss, check_model
from gradcheck.sweep import sweep_eps
