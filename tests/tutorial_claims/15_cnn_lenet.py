"""Claims that tutorials/15_cnn_lenet.py prints: (regex, check) pairs; see tests/test_tutorials.py."""


def _rows(block):
    return [line.split() for line in block.strip("\n").split("\n")]


def _spike_dx(m):
    """dout = 1 at output (2, 1) of the [-1, 1] filter sends -1, +1 to pixels (2, 1), (2, 2)."""
    rows = _rows(m[1])
    expected = [["0"] * 6 for _ in range(6)]
    expected[2][1], expected[2][2] = "-1", "+1"
    return rows == expected


def _pool_dx(m):
    """Each dout lands on its window's winner (4, 5, 6, 7 in x), every other cell is 0."""
    rows = _rows(m[1])
    expected = [["0"] * 4 for _ in range(4)]
    expected[1][0], expected[1][3], expected[3][0], expected[2][2] = "+10", "+20", "+30", "+40"
    return rows == expected


CLAIMS = [
    # the [-1, 1] filter marks the rectangle's left (+1) and right (-1) sides
    (r"^vertical edges found in columns: \[1, 4\]$", present),
    (r"^horizontal edges found in rows: \[0, 4\]$", present),
    (r"^vertical-edge filter output shape: \(6, 5\)$", present),
    (r"^arithmetic table matches Conv2D: (\w+)$", lambda m: m[1] == "True"),
    # full padding p = K - 1 grows the output: 5 + 3 - 1 = 7, by formula and by Conv2D
    (r"^full padding\s+5\s+3\s+2\s+1\s+1\s+(\d+)\s+(\d+)$", lambda m: m[1] == m[2] == "7"),
    (r"^padding 1, stride 2, H=6 \(floor\)\s+6\s+3\s+1\s+2\s+1\s+(\d+)\s+(\d+)$",
     lambda m: m[1] == m[2] == "3"),
    # the backward of a convolution, by NumPy, against the kernel and finite differences
    (r"^edge filter W: \[\[-1\.0, 1\.0\]\], flipped: \[\[1\.0, -1\.0\]\]$", present),
    (r"^dL/dx for dout = 1 at output \(2, 1\) only \(6, 6\):\n((?:.*\n){6})", _spike_dx),
    # dx has x's shape and dW has W's, with or without padding
    (r"^padding 0: out \(2, 4, 4, 6\); dx \(2, 3, 6, 7\), dW \(4, 3, 3, 2\)$", present),
    (r"^padding 1: out \(2, 4, 6, 8\); dx \(2, 3, 6, 7\), dW \(4, 3, 3, 2\)$", present),
    (r"^padding 0: dL/dx by full convolution vs conv_reference.backward: max \|diff\| (\S+)$",
     below(1e-12)),
    (r"^padding 1: dL/dx by full convolution vs conv_reference.backward: max \|diff\| (\S+)$",
     below(1e-12)),
    (r"^padding 0: dL/dW by correlation vs conv_reference.backward: max \|diff\| (\S+)$",
     below(1e-12)),
    (r"^padding 1: dL/dW by correlation vs conv_reference.backward: max \|diff\| (\S+)$",
     below(1e-12)),
    (r"^padding 0: dL/db = sum of dout vs conv_reference.backward: max \|diff\| (\S+)$",
     below(1e-12)),
    (r"^padding 1: dL/db = sum of dout vs conv_reference.backward: max \|diff\| (\S+)$",
     below(1e-12)),
    (r"^gradcheck our dL/dx, padding 0: (\w+), max error (\S+)$",
     lambda m: m[1] == "PASS" and float(m[2]) < 1e-6),
    (r"^gradcheck our dL/dW, padding 0: (\w+), max error (\S+)$",
     lambda m: m[1] == "PASS" and float(m[2]) < 1e-6),
    (r"^gradcheck our dL/dx, padding 1: (\w+), max error (\S+)$",
     lambda m: m[1] == "PASS" and float(m[2]) < 1e-6),
    (r"^gradcheck our dL/dW, padding 1: (\w+), max error (\S+)$",
     lambda m: m[1] == "PASS" and float(m[2]) < 1e-6),
    (r"^gradcheck Conv2D on conv_reference: (\w+)$", lambda m: m[1] == "PASS"),
    # max pooling sends each window's gradient to its winner only
    (r"^out = max of each 2x2 window \(2, 2\):\n\s+\+4 \+5\n\s+\+6 \+7$", present),
    (r"^dL/dx for dout = \[\[10, 20\], \[30, 40\]\] \(4, 4\):\n((?:.*\n){4})", _pool_dx),
    (r"^max-pool dx by hand equals maxpool_reference.backward: (\w+)$", lambda m: m[1] == "True"),
    (r"^max-pool dx: (\d+) of (\d+) entries nonzero; sum of dx (\S+) = sum of dout (\S+)$",
     lambda m: (m[1], m[2]) == ("4", "16") and float(m[3]) == float(m[4]) == 100),
    (r"^overlapping windows, dout = 1 each: the shared winner gets (\S+), the other cells (\S+)$",
     lambda m: float(m[1]) == 4 and float(m[2]) == 0),
    (r"^gradcheck MaxPool2D on maxpool_reference: (\w+), (\d+) kinks$",
     lambda m: m[1] == "PASS" and m[2] == "0"),
    # LeNet-5 learns the digits
    (r"^digits: x \(1797, 1, 8, 8\) upsampled to \(1797, 1, 16, 16\); train 1347, test 450$",
     present),
    (r"^total params: 21,386$", present),
    (r"^train accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.97),
    (r"^test accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.95),
    # the ReLU cuts the maps at 0
    (r"^conv1 feature maps shape: \(1, 6, 16, 16\), values (\S+)\.\.(\S+)$",
     lambda m: float(m[1]) == 0 and float(m[2]) > 0),
    # the digit is drawn big enough to see (it was 120 x 137 px)
    (r"^digit figure: (\d+) x (\d+) px$", lambda m: int(m[1]) >= 250 and int(m[2]) >= 250),
    (r"^saved figures: (.+) in (.+)$", files_exist),
]
