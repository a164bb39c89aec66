"""Claims that tutorials/01_chain_rule.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    (r"^total price: ([\d.]+)$", lambda m: abs(float(m[1]) - 715.0) < 1e-9),
    (r"^d total / d apple_price\s+analytic\s+([\d.]+)", lambda m: abs(float(m[1]) - 2.2) < 1e-9),
    (r"^d total / d tax\s+analytic\s+([\d.]+)", lambda m: abs(float(m[1]) - 650.0) < 1e-9),
    (r"^max \|analytic - numeric\| \(apples\): (\S+)$", below(1e-6)),
    (r"^max \|analytic - numeric\| \(shared x\): (\S+)$", below(1e-6)),
    # forgetting the second path into x gives a wrong derivative: the bug is visible
    (r"^df/dx with only the Mul path \(the bug\): \S+, error (\S+)$",
     lambda m: float(m[1]) > 0.5),
    # d is used twice: two shares along the two edges, summed, equal 2 d
    (r"^gradient along each of the two edges d -> L: (\S+); their sum dL/dd: (\S+) "
     r"\(2 d = (\S+)\)$",
     lambda m: abs(2 * float(m[1]) - float(m[2])) < 2e-4 and abs(float(m[2]) - float(m[3])) < 1e-9),
    # tanh's backward: dL/dz = dL/da * (1 - a^2)
    (r"^neuron a: value\s+(\S+)\s+dL/da\s+(\S+)\nneuron z: value\s+\S+\s+dL/dz\s+(\S+)$",
     lambda m: abs(float(m[2]) * (1 - float(m[1]) ** 2) - float(m[3])) < 1e-3),
    (r"^max \|analytic - numeric\| \(neuron\): (\S+)$", below(1e-6)),
    # the tangent's error shrinks like h^2: about 100 times for h ten times smaller
    (r"^tangent error at h = 0\.1: \S+\s+at h = 0\.01: \S+\s+ratio: ([\d.]+)$",
     lambda m: 70 < float(m[1]) < 130),
    # saturation: L flattens at (1 - 1.1)^2 = 0.01 and the gradient almost vanishes
    (r"^saturated at w = 3: L = (\S+), 1 - a² = (\S+), dL/dw = (\S+)\s+\(at w = 0\.8: (\S+)\)$",
     lambda m: 0.01 <= float(m[1]) < 0.012 and float(m[2]) < 0.01
     and abs(float(m[3])) < 0.01 * abs(float(m[4]))),
    (r"^gradcheck Tanh: (\w+)", lambda m: m[1] == "PASS"),
    (r"^gradcheck all passed: (\w+)$", lambda m: m[1] == "True"),
    (r"^saved figure: (.+01_graph\.png)$", file_exists),
    (r"^saved figure: (.+01_tangent\.png)$", file_exists),
]
