"""Claims that tutorials/15_cnn_lenet.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    (r"^test accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.97),
    # the [-1, 1] filter marks the rectangle's left (+1) and right (-1) sides
    (r"^vertical edges found in columns: \[1, 4\]$", present),
    (r"^vertical-edge filter output shape: \(6, 5\)$", present),
    (r"^arithmetic table matches Conv2D: (\w+)$", lambda m: m[1] == "True"),
    # full padding p = K - 1 grows the output: 5 + 3 - 1 = 7, by formula and by Conv2D
    (r"^full padding\s+5\s+3\s+2\s+1\s+1\s+(\d+)\s+(\d+)$", lambda m: m[1] == m[2] == "7"),
    (r"^padding 1, stride 2, H=6 \(floor\)\s+6\s+3\s+1\s+2\s+1\s+(\d+)\s+(\d+)$",
     lambda m: m[1] == m[2] == "3"),
    (r"^conv1 feature maps shape: \(1, 6, 16, 16\)$", present),
    (r"^saved figures: (.+) in (.+)$", files_exist),
]
