"""Claims that tutorials/00_tour.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

TOUR_PARAMS = (2 * 64 + 64) + (64 * 64 + 64) + (64 * 3 + 3)   # Dense(2,64), Dense(64,64), Dense(64,3)

CLAIMS = [
    (r"^test accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.95),
    (r"^train accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.95),
    (r"^gradcheck: (\w+)$", lambda m: m[1] == "PASS"),
    (r"^PASS: \d+ tensors, max error", present),
    (r"^total params: ([\d,]+)$", lambda m: int(m[1].replace(",", "")) == TOUR_PARAMS),
    (r"^reloaded model predicts the same: (\w+)$", lambda m: m[1] == "True"),
    (r"^saved figure: (.+\.png)$", file_exists),
]
