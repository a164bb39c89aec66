"""Claims that tutorials/10_activations_initialization.py prints: (regex, check) pairs; see
tests/test_tutorials.py."""


def factor(init, low, high):
    return (rf"^fan_in \* Var\(W\), {init}\s*: ([\d.]+)$", lambda m: low <= float(m[1]) <= high)


def dead_after(lr, check):
    return (rf"^dead ReLUs after \d+ epochs of Adam\({lr}\): mean (\d+)%, worst layer \d+%; "
            rf"training accuracy ([\d.]+)$", check)


CLAIMS = [
    # zeros passes nothing; normal and uniform shrink the variance to a few percent per layer;
    # Xavier keeps it at 1, He doubles it
    factor("zeros", 0, 0), factor("normal", 0.001, 0.01), factor("uniform", 0.01, 0.1),
    factor("xavier", 0.9, 1.1), factor("he", 1.8, 2.2),
    # the table, read row by row and column by column
    (r"^zeros: largest ratio over all activations: (\S+)$", lambda m: float(m[1]) == 0),
    (r"^sigmoid: largest ratio over all initializers: (\S+)$", below(1e-4)),   # ~4**-10
    (r"^sigmoid\s.*$", lambda m: m[0].count("vanishing") == 5),
    (r"^normal and uniform: largest ratio over all activations: (\S+)$", below(0.01)),
    (r"^xavier, every activation but sigmoid: verdicts \['healthy'\]$", present),
    (r"^he, tanh / relu / leaky relu / elu: verdicts \['healthy'\]; maxout: weak$", present),
    # maxout outputs grow layer by layer under He, stay within a factor 2 under Xavier
    (r"^maxout, he: output std of hidden layer 1: (\S+), of hidden layer 10: (\S+)$",
     lambda m: float(m[2]) > 5 * float(m[1])),
    (r"^maxout, xavier: output std of hidden layer 1: (\S+), of hidden layer 10: (\S+)$",
     lambda m: 0.5 <= float(m[2]) / float(m[1]) <= 2),
    # zeros: every unit a copy
    (r"^zeros init, sigmoid: the last hidden layer outputs one value everywhere: True "
     r"\(value 0\.50\)$", present),
    # dead ReLUs: zeros kills all; the random initializers leave a few percent, the same units
    (r"^dead ReLUs at the start, zeros\s*: mean (\d+)%, worst layer (\d+)%$",
     lambda m: m[1] == m[2] == "100"),
    (r"^spread of the dead fraction over the random initializers: (\d+)% to (\d+)%$",
     lambda m: float(m[2]) < 15 and float(m[2]) - float(m[1]) <= 2),
    (r"^the same units are dead under normal and he: True$", present),
    (r"^the same units are dead under uniform and xavier: True$", present),
    # too large steps kill most units and leave the net far behind
    dead_after("0.001", lambda m: float(m[1]) < 15 and float(m[2]) > 0.8),
    dead_after("0.05", lambda m: float(m[1]) > 50 and float(m[2]) < 0.6),
    (r"^saved figure: (.+10_gradient_flow\.png)$", file_exists),
    (r"^saved figure: (.+10_gradient_norms\.png)$", file_exists),
    (r"^saved figure: (.+10_dead_relus\.png)$", file_exists),
]
