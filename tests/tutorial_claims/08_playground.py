"""Claims that tutorials/08_playground.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    (r"^spirals 2x32-relu train accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.95),
    (r"^accuracy spirals\s+2x32-relu\s+train [\d.]+\s+test ([\d.]+)$",
     lambda m: float(m[1]) > 0.9),
    # straight lines cannot separate XOR or circles; one hidden layer of ReLUs can
    (r"^best linear accuracy on xor/circles: ([\d.]+)$", below(0.7)),
    (r"^worst ReLU-net accuracy on xor/circles: ([\d.]+)$", lambda m: float(m[1]) >= 0.95),
    # at the start the sigmoid net's first layer gets a smaller share of the gradient
    (r"^gradient ratio first/last layer, fresh 2x32-relu: ([\d.]+)\n"
     r"gradient ratio first/last layer, fresh 2x32-sigmoid: ([\d.]+)$",
     lambda m: float(m[2]) < float(m[1])),
    (r"^saved figure: (.+08_playground\.png)$", file_exists),
    (r"^saved figure: (.+08_gradient_flow_sigmoid\.png)$", file_exists),
]
