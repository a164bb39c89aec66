"""Claims that tutorials/18_gradient_checking.py prints: (regex, check) pairs; see tests/test_tutorials.py."""


def falls(m):
    return float(m[2]) < 0.5 * float(m[1])


CLAIMS = [
    # a planted bug does not stop the loss from falling
    (r"^with the planted bug the loss still falls: (\S+) -> (\S+)$", falls),
    # one finite difference by hand agrees with backward
    (r"^dL/dW\[0, 1\] by hand: analytic \S+   numeric \S+   error (\S+)$", below(1e-8)),
    (r"^correct MyDense: passed True, max error (\S+)$", below(1e-8)),
    (r"^scratchnet Dense: passed True, max error (\S+)$", below(1e-8)),
    # every planted bug is caught, in the right tensor, with the right hint
    (r"^bug transpose: passed False, failing \['W'\] \((\d+) of 9 elements wrong\), max error (\S+), "
     r"hint: transposed\?", lambda m: int(m[1]) == 6 and float(m[2]) > 1e-2),   # all but the diagonal
    (r"^bug mean: passed False, failing \['b'\] \(3 of 3 elements wrong\), max error (\S+), "
     r"hint: analytic/numeric = 0\.25 ~ 1/N .*\| correct with a batch of 1 but wrong with N = 4",
     lambda m: float(m[1]) > 1e-2),
    (r"^bug square: passed False, failing \['dx'\] \(12 of 12 elements wrong\), max error (\S+), "
     r"hint: analytic/numeric = 0\.5: a missing/extra factor of 2", lambda m: float(m[1]) > 1e-2),
    (r"^bug sigmoid: passed False, failing \['dx'\] \(12 of 12 elements wrong\), max error (\S+), "
     r"hint: no hint$", lambda m: float(m[1]) > 1e-2),
    # the local derivative shows where the sigmoid bug is
    (r"^sigmoid slope at x = 0: numeric 0\.2500   buggy 0\.0000$", present),
    (r"^largest gap buggy vs numeric slope: (\S+)   y \* \(1 - y\) vs numeric: (\S+)$",
     lambda m: float(m[1]) > 1 and float(m[2]) < 1e-7),
    # the V: large at both ends, smallest near the default step; a bug is flat and high
    (r"^Tanh: error (\S+) at h = 1e-01, (\S+) at the default h = \S+, (\S+) at h = 1e-12$",
     lambda m: float(m[2]) < 1e-8 and float(m[1]) > 1e3 * float(m[2]) and float(m[3]) > 1e3 * float(m[2])),
    (r"^Tanh: smallest error (\S+) at h = (\S+)$",
     lambda m: float(m[1]) < 1e-8 and 1e-7 <= float(m[2]) <= 1e-4),
    (r"^MySigmoid: smallest error over all steps (\S+)$", lambda m: float(m[1]) > 0.1),
    # kinks: a naive check fails ReLU at its zeros, gradcheck counts them apart
    (r"^ReLU at (\d+) exact zeros of \d+: a naive check fails (\d+) elements \(largest error (\S+); "
     r"numeric / dy at a zero = (\S+)\)$",
     lambda m: int(m[1]) > 0 and m[1] == m[2] and float(m[3]) > 0.5 and float(m[4]) == 0.5),
    (r"^ReLU at (\d+) exact zeros(?:.|\n)*?^check_layer\(ReLU\): passed True, kinks counted (\d+)$",
     lambda m: m[1] == m[2]),
    (r"^check_layer\(ReLU with the mask inverted\): passed False, bad elements (\d+), kinks \d+$",
     lambda m: int(m[1]) > 0),
    (r"^check_layer\(ReLU\) off the kinks: passed True, kinks 0$", present),
    (r"^check_layer\(MaxPool2D\) on integer input: (\d+) of \d+ windows tie, passed True, "
     r"kinks counted (\d+)$", lambda m: int(m[1]) > 0 and int(m[2]) >= int(m[1])),
    # a check of nothing is refused
    (r"^check_layer on x of shape \(0, 3\): ValueError", present),
    (r"^sweep_eps on x of shape \(0, 3\): ValueError", present),
    (r"^saved figure: (.+18_sigmoid_bug\.png)$", file_exists),
    (r"^saved figure: (.+18_eps_sweep\.png)$", file_exists),
    (r"^saved figure: (.+18_kinks\.png)$", file_exists),
]
