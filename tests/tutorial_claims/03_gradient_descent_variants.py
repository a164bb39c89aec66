"""Claims that tutorials/03_gradient_descent_variants.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    # the same epochs: SGD with batch 1 makes N = 100 times as many updates as full batch
    (r"^full batch\s+updates\s+(\d+).*\n.*\n^SGD \(batch 1\)\s+updates\s+(\d+)",
     lambda m: int(m[2]) == 100 * int(m[1])),
    (r"^lr 0\.1\s+\(good\): final loss / best: ([\d.]+)$", below(1.01)),
    (r"^lr 1\.0\s+\(too large\): diverged: the loss became", present),
    (r"^optimizer Adam\s+final loss: \S+\s+accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.95),
    (r"^Adam vs SGD final loss ratio: ([\d.]+)$", below(1.0)),
    (r"^path SGD lr 0\.3\s+distance to the best \(w, b\) after \d+ steps: (\S+)$", below(1e-3)),
    # every figure is on disk, not only announced
    (r"^saved figure: (.+03_batch_sizes\.png)$", file_exists),
    (r"^saved figure: (.+03_learning_rates\.png)$", file_exists),
    (r"^saved figure: (.+03_optimizers\.png)$", file_exists),
    (r"^saved figure: (.+03_optimizer_paths\.png)$", file_exists),
    (r"^lr 0\.001\s+\(too small\): final loss / best: ([\d.]+)$", lambda m: float(m[1]) > 2),
]
