"""Claims that tutorials/14_mnist_mlp.py prints: (regex, check) pairs; see tests/test_tutorials.py.

The tests have no MNIST files, so they check the bundled-digits path; the thresholds are those of
the 8x8 digits."""

CLAIMS = [
    # it says which data it used
    (r"^data: (MNIST \(IDX files\)|the bundled 8x8 digits \(no MNIST IDX files found\))$", present),
    (r"^images: train \((\d+), 1, (\d+), (\d+)\), test \((\d+), 1, ", lambda m: m[2] == m[3]),
    # softmax: probabilities that sum to 1; -log p_c by hand equals the library's loss
    (r"^softmax: .*\(sum 1\.000000\)$", present),
    (r"^true class \d: by hand .* difference (\S+)$", below(1e-12)),
    (r"^loss with all logits equal: 2\.302585 \(log 10 = 2\.302585\)$", present),
    # "its loss is somewhat higher" than log 10
    (r"^untrained MLP's loss on the training part: (\S+)$",
     lambda m: 2.302585 < float(m[1]) < 3.5),
    (r"^softmax regression: 650 parameters, \d+ epochs, training loss \S+ -> (\S+), test accuracy "
     r"(\S+)$", lambda m: float(m[2]) > 0.9),
    (r"^MLP: 9610 parameters, \d+ epochs, training loss \S+ -> (\S+), test accuracy (\S+)$",
     lambda m: float(m[2]) > 0.96),
    # the MLP makes fewer mistakes than softmax regression
    (r"^test errors: softmax regression (\d+), MLP (\d+) of (\d+)$",
     lambda m: int(m[2]) < 0.8 * int(m[1])),
    # training loss far below the validation loss, which levels off
    (r"^MLP at the last epoch: training loss (\S+), validation loss (\S+) \(lowest (\S+)\), "
     r"validation accuracy (\S+)$",
     lambda m: float(m[1]) < 0.2 * float(m[2]) and float(m[4]) > 0.95),
    (r"^confusion matrix: (\d+) of (\d+) on the diagonal \(accuracy (\S+)\)$",
     lambda m: abs(int(m[1]) / int(m[2]) - float(m[3])) < 1e-3),
    (r"^most frequent mistake: true (\d) predicted as (\d), (\d+) times$", lambda m: m[1] != m[2]),
    (r"^wrong test images shown: (\d+)$", lambda m: int(m[1]) > 0),
    (r"^saved figure: (.*14_examples\.png)$", file_exists),
    (r"^saved figure: (.*14_learning_curves\.png)$", file_exists),
    (r"^saved figure: (.*14_confusion\.png)$", file_exists),
    (r"^saved figure: (.*14_mistakes\.png)$", file_exists),
]
