"""Claims that tutorials/03_gradient_descent_variants.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    # the course's exercise 02: mini-batch SGD by hand is exactly fit(batch_size=16, rng=0)
    (r"^mini-batch SGD by hand: .*\((\d+) updates\)$", lambda m: int(m[1]) == 30 * 7),
    (r"^max difference hand vs fit\(batch_size=16\): (\S+)$", below(1e-9)),
    # the same epochs: SGD with batch 1 makes N = 100 times as many updates as full batch
    (r"^full batch\s+updates\s+(\d+).*\n.*\n^SGD \(batch 1\)\s+updates\s+(\d+)",
     lambda m: int(m[2]) == 100 * int(m[1])),
    # per epoch, full batch is slowest and the mini-batch run ends closest to the best line
    (r"^full batch\s+updates\s+\d+\s+final loss / best: (\S+)\n"
     r"^mini-batch 16\s+updates\s+\d+\s+final loss / best: (\S+)\n"
     r"^SGD \(batch 1\)\s+updates\s+\d+\s+final loss / best: (\S+)$",
     lambda m: float(m[2]) < float(m[3]) < float(m[1])),
    # with a constant lr, SGD's epoch loss keeps jumping more than the mini-batch run's
    (r"^mini-batch 16\s+epoch loss / best over the last 10 epochs: (\S+) \.\. (\S+)\n"
     r"^SGD \(batch 1\)\s+epoch loss / best over the last 10 epochs: (\S+) \.\. (\S+)$",
     lambda m: float(m[4]) - float(m[3]) > 2 * (float(m[2]) - float(m[1]))),
    (r"^stability limit: lr < ([\d.]+)$", lambda m: 0.35 < float(m[1]) < 0.37),
    (r"^lr 0\.001\s+\(too small\): final loss / best: ([\d.]+)$", lambda m: float(m[1]) > 2),
    (r"^lr 0\.1\s+\(good\): final loss / best: ([\d.]+)$", below(1.01)),
    # the whole message, hint included
    (r"^lr 1\.0\s+\(too large, 2\.8 x the limit\): diverged; TrainingDiverged says:\n"
     r"\s+Sequential\.fit: training diverged: the loss became inf at epoch \d+/300, batch 1/1\. "
     r"Try a smaller learning rate \(the optimizer's lr is 1\.0\), or check the scale of the "
     r"inputs\.$", present),
    # it climbs through about 300 decades before overflowing
    (r"^lr 1\.0: last finite loss / best: (\S+) after", lambda m: float(m[1]) > 1e250),
    (r"^optimizer Adam\s+final loss: \S+\s+accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.95),
    (r"^Adam vs SGD final loss ratio: ([\d.]+)$", below(1.0)),
    (r"^path SGD lr 0\.3\s+.*after \d+ steps: (\S+)$", below(1e-3)),
    # Adam's first step is lr in each parameter, whatever the gradient
    (r"^path Adam lr 30\s+first step \|dw\|\s+(\S+) \|db\|\s+(\S+)",
     lambda m: abs(float(m[1]) - 30) < 1e-6 and abs(float(m[2]) - 30) < 1e-6),
    # on this diagonal valley, SGD ends closer than RMSprop and Adam
    (r"^path SGD lr 0\.3\s+.*: (\S+)\n.*\n^path RMSprop lr 3\s+.*: (\S+)\n^path Adam lr 30\s+.*: (\S+)$",
     lambda m: float(m[1]) < min(float(m[2]), float(m[3]))),
    # every figure is on disk, not only announced
    (r"^saved figure: (.+03_batch_sizes\.png)$", file_exists),
    (r"^saved figure: (.+03_learning_rates\.png)$", file_exists),
    (r"^saved figure: (.+03_optimizers\.png)$", file_exists),
    (r"^saved figure: (.+03_optimizer_paths\.png)$", file_exists),
]
