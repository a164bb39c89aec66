"""Claims that tutorials/02_linear_regression.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    # the data were made as price = 50 + 250 area + noise: the exact answer is near that line
    (r"^normal equations: w = (\S+)\s+b = (\S+)$",
     lambda m: abs(float(m[1]) - 250) < 10 and abs(float(m[2]) - 50) < 15),
    (r"^normal equations vs lstsq: (\S+)$", below(1e-8)),
    (r"^\|gradient\| at the solution: (\S+)$", below(1e-8)),
    # gradient descent by hand and through fit reach the exact answer, and agree with each other
    (r"^max difference from the normal equations: hand (\S+)\s+fit (\S+)$", below(1e-6)),
    (r"^max difference hand vs fit: (\S+)$", below(1e-9)),
    (r"^final loss: (\S+) \(normal equations: (\S+)\)$",
     lambda m: abs(float(m[1]) - float(m[2])) < 1e-3),
    (r"^price of a 120 m² house: (\S+) k€$", lambda m: 330 < float(m[1]) < 370),
    # the limit is 2 / lambda_max of H = 2/N A^T A (about 0.359, not 0.39), the bowl is thin
    (r"^Hessian eigenvalues: (\S+) (\S+)\s+condition number (\S+)\n"
     r"stability limit: lr < 2 / λ_max = (\S+)$",
     lambda m: abs(2 / float(m[2]) - float(m[4])) < 1e-3 and 0.35 < float(m[4]) < 0.37
     and float(m[3]) > 10),
    (r"^Hessian eigenvalues: (\S+) .*\n.*\nlr 0\.3: per-step factors \|1 - lr λ\| = (\S+) \(slow\)",
     lambda m: abs(1 - 0.3 * float(m[1]) - float(m[2])) < 1e-3),
    (r"^lr (\S+) \(0\.97 x limit\): distance to the minimum (\S+) -> (\S+) .*: converges$",
     lambda m: float(m[3]) < 1e-3 and 0.34 < float(m[1]) < 0.359),
    (r"^lr (\S+) \(1\.03 x limit\): distance to the minimum (\S+) -> (\S+) .*: diverges$",
     lambda m: float(m[3]) > 1e3 * float(m[2]) and abs(float(m[1]) - 0.370) < 0.001),
    # the excess loss falls by the slow factor squared per step (a straight line on a log axis)
    (r"^excess loss shrinks by (\S+) per step \(slow factor squared: (\S+)\)$",
     lambda m: abs(float(m[1]) - float(m[2])) < 0.005),
    (r"^saved figure: (.+02_fit\.png)$", file_exists),
    (r"^saved figure: (.+02_loss_surface\.png)$", file_exists),
    (r"^saved figure: (.+02_history\.png)$", file_exists),
]
