"""Claims that tutorials/19_autodiff.py prints: (regex, check) pairs; see tests/test_tutorials.py."""


def same_digits(m):
    return abs(float(m[1]) - float(m[2])) < 1e-9


def torch_agrees_or_absent(m):
    return m[1] is None or float(m[1]) < 1e-12


CLAIMS = [
    # the engine on one neuron: autodiff equals the hand derivative
    (r"^dy/dw1: autodiff (\S+)   by hand \(1 - y\*\*2\) \* x1 = (\S+)$", same_digits),
    (r"^neuron: y = \S+, graph of 10 values$", present),
    # the 2-layer net: same loss, same gradients as scratchnet's hand-written layers
    (r"^loss: scratchnet (\S+)   autodiff (\S+)$", lambda m: abs(float(m[1]) - float(m[2])) < 1e-12),
    (r"^  dx \(4, 3\)   max \|hand - autodiff\| = (\S+)$", below(1e-12)),
    (r"^  W1 \(3, 5\)   max \|hand - autodiff\| = (\S+)$", below(1e-12)),
    (r"^  b2 \(2,\)     max \|hand - autodiff\| = (\S+)$", below(1e-12)),
    (r"^largest difference over all gradients: (\S+)$", below(1e-12)),
    # the graph grows with the batch: about twice the nodes for twice the examples
    (r"^graph for N = 4: (\d+) values(?:.|\n)*?^graph for N = 8: (\d+) values$",
     lambda m: 1.6 < int(m[2]) / int(m[1]) < 2.0),
    # scalar autodiff is slower, the more so for a bigger batch
    (r"^forward \+ backward, N =  4: .*\((\d+) times slower\)\n"
     r"forward \+ backward, N = 64: .*\((\d+) times slower\)$",
     lambda m: int(m[2]) > 20 and int(m[2]) > 2 * int(m[1])),
    # PyTorch's autograd, where it is installed, agrees too
    (r"^torch autograd: (?:max \|hand - torch\| = (\S+)|not installed, skipped)$",
     torch_agrees_or_absent),
    (r"^saved figure: (.+19_graph\.png)$", file_exists),
]
