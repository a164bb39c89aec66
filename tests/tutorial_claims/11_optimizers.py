"""Claims that tutorials/11_optimizers.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

NUM = r"([-+\d.e]+)"

CLAIMS = [
    # 1. the steepest direction caps gradient descent's learning rate at 2 / a
    (r"^stability limit of gradient descent: lr < 2 / a = 0\.02$", present),
    (r"^SGD lr 0\.0190 \(0\.95 x the limit\): distance after 100 steps " + NUM + r" \(converging\)$",
     lambda m: float(m[1]) < 5.0),
    (r"^SGD lr 0\.0210 \(1\.05 x the limit\): distance after 100 steps " + NUM + r" \(diverged\)$",
     lambda m: float(m[1]) > 100 * 5.0),
    # the factors per step, and the prediction (1 - lr a)^T, (1 - lr b)^T matches the run
    (r"^SGD lr 0\.0190: factor per step across 0\.900, along 0\.9810$", present),
    (r"^SGD distance after 100 steps: predicted " + NUM + ", measured " + NUM +
     ", relative difference " + NUM + "$", lambda m: float(m[3]) < 1e-12 and float(m[2]) > 0.5),
    # 2. momentum and Nesterov end far closer than SGD in the same 100 steps
    (r"^Momentum ends (\d+) times closer than SGD$", lambda m: int(m[1]) > 10),
    (r"^Nesterov ends (\d+) times closer than SGD$", lambda m: int(m[1]) > 10),
    (r"^RMSprop lr 0\.1\s+distance to the minimum after 100 steps: " + NUM + "$", below(0.2)),
    (r"^Adam lr 0\.1\s+distance to the minimum after 100 steps: " + NUM + "$", below(0.2)),
    # 3. rates per step: measured against theory; momentum's is far smaller
    (r"^gradient descent, lr 0\.0198: rate per step measured " + NUM + ", theory " + NUM + "$",
     lambda m: abs(float(m[1]) - float(m[2])) < 1e-3),
    (r"^momentum, lr 0\.0331, beta 0\.669: rate per step measured " + NUM + ", theory " + NUM + "$",
     lambda m: abs(float(m[1]) - float(m[2])) < 0.03 and float(m[1]) < 0.85),
    (r"^momentum, lr 0\.0331, beta 0\.669: rate per step measured " + NUM + r".*\n"
     r"^theory with the factor t of a repeated root: " + NUM + "$",
     lambda m: abs(float(m[1]) - float(m[2])) < 2e-3),
    (r"^steps to shrink the error 1000 times: gradient descent (\d+), momentum (\d+)$",
     lambda m: int(m[1]) > 5 * int(m[2])),
    # 4. the schedules' values as the text gives them
    (r"^schedule StepDecay\(0\.1, drop=0\.5, every=50\)\s+lr at t = 0, 100, 199: 0\.1, 0\.025, 0\.0125$",
     present),
    (r"^schedule CosineDecay\(0\.1, steps=200\)\s+lr at t = 0, 100, 199: 0\.1, 0\.05, " + NUM + "$",
     below(1e-4)),
    (r"^schedule ExponentialDecay\(0\.1, rate=0\.01, every=200\)\s+lr at t = 0, 100, 199: 0\.1, 0\.01, "
     r"0\.00102\d*$", present),
    (r"^schedule Warmup\(CosineDecay\(0\.1, 180\), steps=20\)\s+lr at t = 0, 100, 199: 0\.005, ", present),
    # constant-rate RMSprop stalls a few hundredths away; the cosines land; the step decay
    # ends ~10x closer than constant; the exponential stops short (its sum of lr is < 5)
    (r"^RMSprop with constant 0\.1\s+distance after 200 steps " + NUM +
     ", closest in the last 20 steps " + NUM, lambda m: 0.01 < float(m[2]) < 0.1),
    (r"^RMSprop with CosineDecay\(0\.1, steps=200\)\s+distance after 200 steps " + NUM, below(1e-10)),
    (r"^RMSprop with Warmup\(CosineDecay\(0\.1, 180\), steps=20\)\s+distance after 200 steps " + NUM,
     below(1e-10)),
    (r"^RMSprop with constant 0\.1\s+distance after 200 steps " + NUM + r".*\n"
     r"^RMSprop with StepDecay\S+ drop=0\.5, every=50\)\s+distance after 200 steps " + NUM,
     lambda m: float(m[2]) < float(m[1]) / 5),
    (r"^RMSprop with constant 0\.1\s+distance after 200 steps " + NUM + r".*\n.*\n"
     r"^RMSprop with ExponentialDecay\S+ rate=0\.01, every=200\)\s+distance after 200 steps " + NUM +
     ", closest in the last 20 steps " + NUM + ", sum of lr " + NUM + "$",
     lambda m: float(m[2]) > float(m[1]) and float(m[4]) < 5),
    # 5. digits: momentum lr 0.01, beta 0.9 is SGD lr 0.1 in disguise; lr 0.05 is far better
    (r"^digits: 1437 to train on, 360 to validate, 64 pixels each$", present),
    (r"^Momentum\(lr 0\.01, beta 0\.9\) / SGD\(lr 0\.1\), final training loss: " + NUM + "$",
     lambda m: abs(float(m[1]) - 1) < 0.1),
    (r"^SGD\(lr 0\.1\) / Momentum\(lr 0\.05, beta 0\.9\), final training loss: " + NUM + "$",
     lambda m: float(m[1]) > 2),
    # every optimizer does well on the validation set, and none is far better
    (r"^validation accuracy: lowest " + NUM + ", highest " + NUM + ", spread " + NUM + "$",
     lambda m: float(m[1]) > 0.9 and float(m[3]) < 0.05),
    (r"^saved figure: (.+11_ravine_paths\.png)$", file_exists),
    (r"^saved figure: (.+11_schedules\.png)$", file_exists),
    (r"^saved figure: (.+11_digits_optimizers\.png)$", file_exists),
]
