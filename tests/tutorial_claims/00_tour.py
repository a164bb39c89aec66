"""Claims that tutorials/00_tour.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

# Conv2D(1, 8, 3x3), Conv2D(8, 16, 3x3), Dense(64, 10): weights + biases
TOUR_PARAMS = (8 * 1 * 9 + 8) + (16 * 8 * 9 + 16) + (64 * 10 + 10)
UPDATES_PER_EPOCH = 43            # 1,347 training images in batches of 32: 42 full + 1 of 3

CLAIMS = [
    (r"^data: x \(1797, 1, 8, 8\), y \(1797,\), digits per class \[([\d, ]+)\]$",
     lambda m: sum(int(v) for v in m[1].split(", ")) == 1797 and len(m[1].split(", ")) == 10),
    (r"^train 1347 images, test 450 images$", present),
    (r"^6\s+Flatten\[6\]\s+\(N, 64\)", present),
    (r"^total params: ([\d,]+)$", lambda m: int(m[1].replace(",", "")) == TOUR_PARAMS),
    (r"^PASS: 7 tensors, max error (\S+), (\d+) kinks$",
     lambda m: float(m[1]) < 1e-6 and m[2] == "0"),     # the noise keeps ReLU off its kink
    (r"^gradcheck: (\w+)$", lambda m: m[1] == "PASS"),
    (r"^updates: (\d+) \((\d+) epochs\)$", lambda m: int(m[1]) == UPDATES_PER_EPOCH * int(m[2])),
    (r"^train accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.97),
    (r"^test accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.95),
    (r"^test accuracy: ([\d.]+)\ntest digits wrong: (\d+) of 450$",
     lambda m: abs(float(m[1]) - (1 - int(m[2]) / 450)) < 1e-3),
    (r"^reloaded model predicts the same: (\w+)$", lambda m: m[1] == "True"),
    (r"^test digits wrong: (\d+) of 450\n(?:.*\n)*?confusion matrix: (\d+) on the diagonal, "
     r"(\d+) off it; most common mistakes \((\d+) times each\): (.+)$",
     lambda m: int(m[1]) == int(m[3]) and int(m[2]) + int(m[3]) == 450
     and 1 <= int(m[4]) * len(m[5].split(", ")) <= int(m[3])
     and all(a != b for a, _, _, b in (pair.split() for pair in m[5].split(", ")))),
    (r"^saved figure: (.+00_tour\.png)$", file_exists),
    (r"^saved figure: (.+00_mistakes\.png)$", file_exists),
]
