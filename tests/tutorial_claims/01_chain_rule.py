"""Claims that tutorials/01_chain_rule.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    (r"^total price: ([\d.]+)$", lambda m: abs(float(m[1]) - 715.0) < 1e-9),
    (r"^max \|analytic - numeric\| \(apples\): (\S+)$", below(1e-6)),
    (r"^max \|analytic - numeric\| \(shared x\): (\S+)$", below(1e-6)),
    (r"^gradcheck all passed: (\w+)$", lambda m: m[1] == "True"),
    (r"^saved figure: (.+\.png)$", file_exists),
]
