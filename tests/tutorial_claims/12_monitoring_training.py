"""Claims that tutorials/12_monitoring_training.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

NUM = r"([-+\d.e]+)"
TIME = r" - \d+(?:\.\d+)? (?:ms|s)$"          # the epoch time: 3 significant digits, ms or s

CLAIMS = [
    (r"^training images: 200 \((\d+) with a wrong label\), validation images: 500$",
     lambda m: 20 <= int(m[1]) <= 60),
    (r"^weights: (\d+)$", lambda m: int(m[1]) > 400 * 200),
    # the progress line ends with a readable time, not '- 0.00s'
    (r"^epoch 1/\d+ - loss: \S+ - accuracy: \S+ - val_loss: \S+ - val_accuracy: \S+" + TIME, present),
    (r"^epoch 10/\d+ - .*" + TIME, present),
    # overfitting: the validation loss turns up well before the end while the training loss falls
    (r"^validation loss is lowest at epoch (\d+) of (\d+): " + NUM + "$",
     lambda m: int(m[1]) <= int(m[2]) // 3),
    (r"^validation loss at the end: \S+, " + NUM + " times its minimum$", lambda m: float(m[1]) > 1.3),
    (r"^training loss at epoch \d+: \S+, at the end: \S+ \((\d+) times lower\)$",
     lambda m: int(m[1]) > 10),
    (r"^gap \(validation - training loss\) at epoch \d+: " + NUM + ", at the end: " + NUM + "$",
     lambda m: float(m[2]) > 2 * float(m[1])),
    (r"^validation accuracy at epoch \d+: " + NUM + ", at the end: " + NUM + "$",
     lambda m: float(m[2]) < float(m[1]) - 0.02),
    (r"^training accuracy at the end: " + NUM + "; the network gives (\\d+)% of the \\d+ wrong labels back$",
     lambda m: float(m[1]) == 1.0 and int(m[2]) >= 90),
    # the linear model cannot memorize: high training loss, validation minimum late
    (r"^linear model: training loss at the end " + NUM + r" \((\d+) times the big network's\), "
     r"validation loss lowest at epoch (\d+) of (\d+)$",
     lambda m: int(m[2]) > 10 and int(m[3]) > 0.8 * int(m[4])),
    # early stopping: stops early, finds the same minimum, restores exactly its weights
    (r"^early stopping: stopped after epoch (\d+) of (\d+), best epoch (\d+)$",
     lambda m: int(m[1]) == int(m[3]) + 11 and int(m[1]) < int(m[2])),
    (r"^early stopping: best validation loss " + NUM + "; the restored weights give " + NUM + "$",
     lambda m: m[1] == m[2]),
    (r"^validation loss is lowest at epoch (\d+) of \d+: .*\n(?:.*\n)*?"
     r"^early stopping: the full run's minimum was " + NUM + r" at epoch (\d+); it trained (\d+) "
     r"epochs instead of (\d+)$", lambda m: m[1] == m[3] and int(m[4]) < int(m[5])),
    (r"^early stopping: best validation loss " + NUM + r".*\n"
     r"^early stopping: the full run's minimum was " + NUM, lambda m: m[1] == m[2]),
    (r"^validation accuracy: early-stopped network " + NUM + ", the network trained for all "
     r"\d+ epochs " + NUM + "$", lambda m: float(m[1]) > float(m[2])),
    # the CSV log holds one row per epoch, equal to the History
    (r"^validation loss is lowest at epoch \d+ of (\d+):(?:.*\n)*?^CSV log: (\d+) rows, columns "
     r"epoch, loss, accuracy, val_loss, val_accuracy$", lambda m: m[1] == m[2]),
    (r"^  epoch 0, loss \S+, accuracy \S+, val_loss \S+, val_accuracy \S+$", present),
    (r"^CSV log vs History: largest difference " + NUM + "$", below(1e-15)),
    # smoothing shows the trend: far fewer rises from one update to the next
    (r"^batch losses: (\d+) updates; the loss rises from one update to the next in (\d+)% of them "
     r"raw, (\d+)% smoothed \(s = 0\.9\)$", lambda m: int(m[3]) < int(m[2]) - 5),
    # gradient flow: every layer's gradient norm falls by more than an order of magnitude
    (r"^gradient norm of Dense\[0\]: first epoch \S+, last epoch \S+ \((\d+) times smaller\)$",
     lambda m: int(m[1]) > 20),
    (r"^gradient norm of Dense\[2\]: first epoch \S+, last epoch \S+ \((\d+) times smaller\)$",
     lambda m: int(m[1]) > 20),
    (r"^gradient norm of Dense\[4\]: first epoch \S+, last epoch \S+ \((\d+) times smaller\)$",
     lambda m: int(m[1]) > 20),
    (r"^saved figure: (.+12_curves\.png)$", file_exists),
    (r"^saved figure: (.+12_tensorboard_style\.png)$", file_exists),
    (r"^saved figure: (.+12_gradient_flow\.png)$", file_exists),
]
