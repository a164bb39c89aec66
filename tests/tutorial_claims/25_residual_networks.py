"""Claims that tutorials/25_residual_networks.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    # one block by hand: y = x + f(x), dx = dy W^T + dy, and finite differences agree
    (r"^max \|y - \(x \+ x W \+ b\)\|: (\S+)$", below(1e-12)),
    (r"^max \|dx - \(dy W\^T \+ dy\)\|: (\S+)$", below(1e-12)),
    (r"^gradcheck Residual\(Dense\): PASS", present),
    # the two networks differ only by the skips
    (r"^train 1257 digits, test 540; parameters: plain ([\d,]+), residual ([\d,]+), "
     r"identical weights: True$", lambda m: m[1] == m[2]),
    # before training: the plain net's input layer gets ~nothing, the residual's about the head's
    (r"^plain: \|\|dL/dW\|\| input layer (\S+), block 1 (\S+), block 20 (\S+), head (\S+); "
     r"input layer / head (\S+)$",
     lambda m: float(m[5]) < 1e-6 and float(m[2]) < 1e-4 * float(m[3])),
    (r"^residual: \|\|dL/dW\|\| input layer (\S+), block 1 (\S+), block 20 (\S+), head (\S+); "
     r"input layer / head (\S+)$",
     lambda m: float(m[5]) > 0.05 and 0.2 < float(m[2]) / float(m[3]) < 5),
    (r"^the residual network's input layer gets (\S+) times the plain network's share",
     lambda m: float(m[1]) > 1e5),
    (r"^saved figure: (.+25_gradient_flow\.png)$", file_exists),
    # the gradient passed back shrinks per plain block (sigmoid' <= 1/4), not per residual block
    (r"^plain: \|\|dL/dx\|\| at block 20 \S+, at block 1 \S+: a factor ([\d.]+) per block$",
     lambda m: float(m[1]) < 0.5),
    (r"^residual: \|\|dL/dx\|\| at block 20 \S+, at block 1 \S+: a factor ([\d.]+) per block$",
     lambda m: 0.9 < float(m[1]) < 1.2),
    (r"^residual network: the running sum h has std ([\d.]+) after the input layer and "
     r"([\d.]+) after block 20, mean (\S+)$", lambda m: float(m[2]) > 2 * float(m[1])),
    # training: plain stays at chance near log(10), residual learns
    (r"^plain: training loss ([\d.]+) -> ([\d.]+), training accuracy ([\d.]+), test accuracy "
     r"([\d.]+) after \d+ epochs$",
     lambda m: abs(float(m[2]) - 2.3026) < 0.05 and float(m[3]) < 0.2 and float(m[4]) < 0.2),
    (r"^residual: training loss ([\d.]+) -> ([\d.]+), training accuracy ([\d.]+), test accuracy "
     r"([\d.]+) after \d+ epochs$",
     lambda m: float(m[2]) < 0.6 * float(m[1]) and float(m[3]) > 0.6 and float(m[4]) > 0.6),
    (r"^median \|\|dL/dW\|\| of the input layer over training: plain (\S+) \(at the start "
     r"(\S+)\), residual (\S+) \(at the start (\S+)\)$",
     lambda m: float(m[1]) < 1e-6 and 0.2 < float(m[3]) / float(m[4]) < 5),
    (r"^saved figure: (.+25_training\.png)$", file_exists),
]
