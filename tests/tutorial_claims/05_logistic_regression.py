"""Claims that tutorials/05_logistic_regression.py prints: (regex, check) pairs; see tests/test_tutorials.py."""


def increasing(m, factor=1.0):
    """The captured numbers grow, each at least `factor` times the one before."""
    values = [float(v) for v in m[1].split(", ")]
    return len(values) >= 3 and all(b > factor * a for a, b in zip(values, values[1:]))


def decreasing(m):
    values = [float(v) for v in m[1].split(", ")]
    return len(values) >= 3 and all(b < a for a, b in zip(values, values[1:]))


def numbers_after_colons(text):
    return [float(part.split(": ")[1]) for part in text.split(", ")]


CLAIMS = [
    (r"^data: 569 tumours, 30 features, 357 benign, 212 malignant$", present),
    # all 30 features: separable, so Fisher scoring's |beta| grows without end and the
    # deviance falls towards 0; gradient descent drifts the same way
    (r"^all 30 features, Fisher scoring: \|beta\| after iterations 1, 5, 10, 15, 20 = (.+)$",
     lambda m: increasing(m, 1.5) and float(m[1].split(", ")[-1]) > 1000),
    (r"^all 30 features, Fisher scoring: deviance after iterations 1, 5, 10, 15, 20 = (.+)$",
     lambda m: decreasing(m) and float(m[1].split(", ")[-1]) < 0.1),
    (r"^all 30 features: the plane of iteration 20 gets 569 of 569 rows right$", present),
    (r"^all 30 features, gradient descent: \|beta\| after (.+) epochs$",
     lambda m: (lambda v: len(v) >= 4 and all(b > a + 0.5 for a, b in zip(v, v[1:])))(
         numbers_after_colons(m[1]))),
    (r"^all 30 features, gradient descent: loss after (.+) epochs$",
     lambda m: (lambda v: all(b < a for a, b in zip(v, v[1:])))(numbers_after_colons(m[1]))),
    # the four features: an estimate exists (Fisher scoring converges, gradient zero, not
    # every row right), and gradient descent reaches the same coefficients
    (r"^the 4 features: .*; largest \|correlation\| between two of them (\S+)$", below(0.6)),
    (r"^Fisher scoring iteration 10: deviance +(\S+) +largest change (\S+)",
     lambda m: 100 < float(m[1]) < 150 and float(m[2]) < 1e-10),
    (r"^Fisher scoring converged in (\d+) iterations; gradient there (\S+); rows right (\d+) "
     r"of 569 \((\S+)%\)$",
     lambda m: int(m[1]) <= 12 and float(m[2]) < 1e-10 and int(m[3]) < 569
     and 95 < float(m[4]) < 98),
    (r"^gradient descent: lr = \S+, (\d+) epochs; within 1e-6 of Fisher scoring after (\d+) "
     r"epochs$", lambda m: 1500 < int(m[2]) < min(3000, int(m[1]))),
    (r"^radius \(mean\) +(\S+) +(\S+)$", lambda m: float(m[1]) < 0 and float(m[2]) < 0),
    (r"^texture \(mean\) +(\S+) +(\S+)$", lambda m: float(m[1]) < 0 and float(m[2]) < 0),
    (r"^smoothness \(worst\) +(\S+) +(\S+)$", lambda m: float(m[1]) < 0 and float(m[2]) < 0),
    (r"^symmetry \(worst\) +(\S+) +(\S+)$", lambda m: float(m[1]) < 0 and float(m[2]) < 0),
    (r"^largest difference, gradient descent vs Fisher scoring: (\S+)$", below(1e-6)),
    (r"^change of the gradient-descent coefficients over the last 10% of the epochs: (\S+)$",
     below(1e-6)),
    # deviance = 2 KL = 2 N BCE
    (r"^2 \* sum of KL\(empirical \|\| fitted\) by hand = \S+   difference (\S+)$", below(1e-9)),
    (r"^2 \* N \* KLDivergence \(library\) = \S+   difference (\S+)$", below(1e-9)),
    (r"^2 \* N \* BinaryCrossEntropy = \S+   difference (\S+)$", below(1e-9)),
    # the gradient, by finite differences, and the library's Dense + BCE gradient
    (r"^gradcheck of dE/dw = -\(t - y\) x: PASS, max error (\S+)$", below(1e-7)),
    (r"^library gradient vs -X\^T \(t - y\) / N: largest difference (\S+)$", below(1e-12)),
    (r"^saved figure: (.*05_logistic_two_ways\.png)$", file_exists),
]
