"""Claims that tutorials/02_linear_regression.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    (r"^max difference from lstsq: hand (\S+)\s+fit (\S+)$", below(1e-6)),
    (r"^max difference hand vs fit: (\S+)$", below(1e-9)),
    (r"^saved figures: (.+) in (.+)$", files_exist),
]
