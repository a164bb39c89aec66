"""Claims that tutorials/13_tabular_regression.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    (r"^data: 333 penguins, 10 columns; we use 4: bill length \(mm\), bill depth \(mm\), "
     r"flipper length \(mm\), male$", present),
    (r"^split 0: train 212, validation 54, test 67 penguins$", present),
    # the scaler's own statistics give the training columns mean 0, std 1; the test's are off
    (r"^after scaling: training columns' largest \|mean\| (\S+), stds \[1\.0, 1\.0, 1\.0, 1\.0\]$",
     below(1e-12)),
    (r"^after scaling: test columns' largest \|mean\| (\S+) ", lambda m: float(m[1]) > 0.05),
    # the mean predictor has R² near 0 (it can be negative)
    (r"^baseline .*: test RMSE (\d+) g, R² (\S+)$",
     lambda m: float(m[1]) > 600 and abs(float(m[2])) < 0.2),
    (r"^linear model: test RMSE (\S+) g, R² (\S+)$",
     lambda m: float(m[1]) < 450 and float(m[2]) > 0.7),
    (r"^linear model by fit vs lstsq: largest prediction difference (\S+) g$", below(0.1)),
    # "flipper length carries most of the weight"
    (r"^grams per standard deviation: bill length \(mm\) (\S+), bill depth \(mm\) (\S+), "
     r"flipper length \(mm\) (\S+), male (\S+)$",
     lambda m: abs(float(m[3])) > max(abs(float(m[i])) for i in (1, 2, 4))),
    # "on this split the two are close"
    (r"^linear model: test RMSE (\S+) g(?:.|\n)*?^MLP \(16 tanh units\): test RMSE (\S+) g",
     lambda m: abs(float(m[1]) - float(m[2])) / float(m[1]) < 0.06),
    # "the MLP wins most splits", and is better on average
    (r"^over (\d+) splits: mean test RMSE linear (\S+) g, MLP (\S+) g; the MLP is better on "
     r"(\d+) of (\d+)$",
     lambda m: int(m[4]) > int(m[1]) / 2 and float(m[3]) < 0.97 * float(m[2])),
    # "one split is one noisy measurement": the RMSE moves by tens of grams
    (r"^spread of the linear model's test RMSE over the splits: (\S+) g", lambda m: float(m[1]) > 10),
    # over all birds a deeper bill means a lighter bird; within each species, a heavier one
    (r"^correlation of bill depth and mass: all birds (\S+); Adelie (\S+), Chinstrap (\S+), "
     r"Gentoo (\S+)$",
     lambda m: float(m[1]) < -0.2 and min(float(m[i]) for i in (2, 3, 4)) > 0.3),
    (r"^parameters: small MLP 97, big MLP 4545$", present),
    # the small MLP levels off; the big one's validation loss turns up early
    (r"^small MLP: final training loss (\S+), .*\(final / best = (\S+)\)$",
     lambda m: float(m[2]) < 1.15),
    (r"^big MLP: final training loss (\S+), validation loss best \S+ at epoch (\d+) of 300, "
     r"final \S+ \(final / best = (\S+)\)$",
     lambda m: int(m[2]) < 150 and float(m[3]) > 1.2),
    (r"^small MLP: final training loss (\S+),(?:.|\n)*^big MLP: final training loss (\S+),",
     lambda m: float(m[2]) < 0.7 * float(m[1])),
    (r"^big MLP after 300 epochs: test RMSE (\S+) g \(small MLP (\S+) g",
     lambda m: float(m[1]) > float(m[2])),
    # classification: far above the majority class; thresholded regression about the same
    (r"^threshold: training median \d+ g; heavy in the training part (\S+),",
     lambda m: 0.4 < float(m[1]) <= 0.5),
    (r"^logistic regression: test accuracy (\S+)\n.*test accuracy (\S+)\nalways the larger test "
     r"class: accuracy (\S+)$",
     lambda m: float(m[1]) > 0.85 and abs(float(m[1]) - float(m[2])) <= 0.05
     and float(m[1]) > float(m[3]) + 0.2),
    (r"^test penguins with p below 0\.1 or above 0\.9: (\d+)%$", lambda m: int(m[1]) > 50),
    (r"^distance of the mass from the median: misclassified birds (\d+) g on average, all test "
     r"birds (\d+) g$", lambda m: float(m[1]) < 0.5 * float(m[2])),
    (r"^saved figure: (.*13_predictions\.png)$", file_exists),
    (r"^saved figure: (.*13_splits\.png)$", file_exists),
    (r"^saved figure: (.*13_learning_curves\.png)$", file_exists),
    (r"^saved figure: (.*13_logistic\.png)$", file_exists),
]
