"""Claims that tutorials/09_universal_approximation.py prints: (regex, check) pairs; see
tests/test_tutorials.py."""


def trained(width, what):
    """The max (what=1) or RMS (what=2) error line of the trained 1xWIDTH net."""
    return (rf"^trained 1x{width}\s+tanh \(\s*\d+ parameters\): max error ([\d.]+)\s+"
            rf"RMS error ([\d.]+)$", what)


def sawtooth(depth):
    pieces, deep, units, wide = 2 ** depth, 6 * depth + 1, 2 ** depth, 3 * 2 ** depth + 1
    return (rf"^sawtooth with\s+{pieces} pieces: deep {depth}x2 ReLU net\s+{deep} parameters, "
            rf"one hidden layer of {units} units\s+{wide} parameters; largest difference (\S+)$",
            below(1e-9))


CLAIMS = [
    # the staircase: any error, given units; the error halves with every doubling
    (r"^hand-built staircase, 255 sigmoid units: max error ([\d.]+)$", below(0.05)),
    (r"^error ratio per doubling of the units: ([\d.]+) to ([\d.]+)$",
     lambda m: 1.6 < float(m[1]) <= float(m[2]) < 2.4),
    # one or two units cannot follow the curve; from 8 units on the fit follows both waves
    (trained(1, 2)[0], lambda m: float(m[2]) > 0.5),
    (trained(2, 2)[0], lambda m: float(m[2]) > 0.5),
    (trained(8, 2)[0], lambda m: float(m[2]) < 0.06),
    (r"^RMS error falls (\d+)x from width 1 to width \d+$", lambda m: float(m[1]) >= 10),
    (r"^worst RMS change per doubling of the width: x([\d.]+)$", below(1.1)),
    (r"^trained 1x32 max error [\d.]+ against the 31-unit staircase's [\d.]+: (\d+)x smaller$",
     lambda m: float(m[1]) >= 2),
    (r"^saved figure: (.+09_width\.png)$", file_exists),
    # depth buys pieces: 6L + 1 parameters for 2**L pieces, against 3 * 2**L + 1
    sawtooth(2), sawtooth(4), sawtooth(6), sawtooth(8),
    # at equal parameter counts, trained on the smooth curve: within a factor of two
    (r"^1x56 tanh: 169 parameters, RMS error ([\d.]+) ", below(0.06)),
    (r"^3x8 tanh: 169 parameters, RMS error ([\d.]+) ", below(0.06)),
    (r"^deep / wide RMS error at equal parameters: ([\d.]+)$",
     lambda m: 0.5 <= float(m[1]) <= 2.0),
    (r"^saved figure: (.+09_depth\.png)$", file_exists),
]
