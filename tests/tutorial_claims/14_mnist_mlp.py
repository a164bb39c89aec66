"""Claims that tutorials/14_mnist_mlp.py prints: (regex, check) pairs; see tests/test_tutorials.py.

The tests have no MNIST files, so they check the bundled-digits path. The arithmetic (parameter
counts) is checked for either data; the measured claims of the prose are the digits', so with
MNIST's files (not available where this was written) they are looser or only their lines are
required."""

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
    # parameter counts D*10 + 10 and D*128 + 128 + 128*10 + 10; accuracy thresholds for the
    # digits (the tests) and for MNIST (a machine with its files; not measured here)
    (r"^data: (.*)$(?:.|\n)*?^flattened: x_train \(\d+, (\d+)\)(?:.|\n)*?"
     r"^softmax regression: (\d+) parameters, \d+ epochs, training loss \S+ -> \S+, test "
     r"accuracy (\S+)\nMLP: (\d+) parameters, \d+ epochs, training loss \S+ -> \S+, test "
     r"accuracy (\S+)$",
     lambda m: int(m[3]) == int(m[2]) * 10 + 10 and int(m[5]) == int(m[2]) * 128 + 128 + 1290
     and float(m[4]) > (0.85 if m[1].startswith("MNIST") else 0.9)
     and float(m[6]) > (0.9 if m[1].startswith("MNIST") else 0.96)),
    # the MLP makes fewer mistakes than softmax regression
    # (digits; with MNIST files only the line is required)
    (r"^data: (.*)$(?:.|\n)*?^test errors: softmax regression (\d+), MLP (\d+) of (\d+)$",
     lambda m: m[1].startswith("MNIST") or int(m[3]) < 0.8 * int(m[2])),
    # training loss far below the validation loss, which levels off
    # (the prose's numbers are the digits'; with MNIST files only the line is required)
    (r"^data: (.*)$(?:.|\n)*?^MLP at the last epoch: training loss (\S+), validation loss (\S+) "
     r"\(lowest (\S+)\), validation accuracy (\S+)$",
     lambda m: m[1].startswith("MNIST") or (float(m[2]) < 0.2 * float(m[3]) and float(m[5]) > 0.95)),
    (r"^confusion matrix: (\d+) of (\d+) on the diagonal \(accuracy (\S+)\)$",
     lambda m: abs(int(m[1]) / int(m[2]) - float(m[3])) < 1e-3),
    (r"^most frequent mistake: true (\d) predicted as (\d), (\d+) times$", lambda m: m[1] != m[2]),
    (r"^wrong test images shown: (\d+)$", lambda m: int(m[1]) > 0),
    (r"^saved figure: (.*14_examples\.png)$", file_exists),
    (r"^saved figure: (.*14_learning_curves\.png)$", file_exists),
    (r"^saved figure: (.*14_confusion\.png)$", file_exists),
    (r"^saved figure: (.*14_mistakes\.png)$", file_exists),
]
