"""Claims that tutorials/21_dropout_batchnorm.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    # inverted dropout: about p dropped, kept units scaled by 1/(1-p), the mean preserved
    (r"^dropout p=0\.3: fraction dropped ([\d.]+), kept units become ([\d.]+) = 1/\(1-p\), "
     r"mean output ([\d.]+)",
     lambda m: abs(float(m[1]) - 0.3) < 0.01 and abs(float(m[2]) - 1 / 0.7) < 1e-3
     and abs(float(m[3]) - 1) < 0.01),
    (r"^eval mode is the identity: True$", present),
    (r"^weights in the MLP: 85,002$", present),
    # without dropout the training loss goes to ~0 while validation stops improving early
    (r"^dropout 0\.0: final train loss ([\d.]+), val loss ([\d.]+), lowest val loss ([\d.]+) "
     r"at epoch (\d+)",
     lambda m: float(m[1]) < 0.01 and float(m[2]) > float(m[3]) and int(m[4]) < 60),
    (r"^batch norm: final train loss ([\d.]+), lowest val loss ([\d.]+) at epoch \d+, "
     r"val accuracy [\d.]+$\n(?:.*\n)*?^lowest validation loss: without dropout ([\d.]+),",
     lambda m: float(m[1]) < 0.01 and float(m[2]) < float(m[3])),
    (r"^lowest validation loss: without dropout ([\d.]+), with dropout ([\d.]+)$",
     lambda m: float(m[2]) < float(m[1])),
    (r"^final gap val - train loss: without dropout ([\d.]+), with dropout ([\d.]+)$",
     lambda m: float(m[2]) < float(m[1])),
    # early stopping: a fraction of the epochs, ending at the run's lowest validation loss
    (r"^early stopping: stopped after (\d+) of (\d+) epochs, best epoch \d+, restored val loss "
     r"([\d.]+) \(the run without dropout: lowest ([\d.]+)\)$",
     lambda m: int(m[1]) < int(m[2]) / 2 and abs(float(m[3]) - float(m[4])) < 1e-3),
    (r"^max \|compact - step by step\| over dx, dgamma, dbeta: (\S+)$", below(1e-12)),
    (r"^sum of dx per feature \(the mean is removed, so it is 0\): (\S+)$", below(1e-12)),
    (r"^gradcheck BatchNorm1D \(train mode\): PASS", present),
    (r"^gradcheck BatchNorm1D \(eval mode\): PASS", present),
    # the deep sigmoid net stays at chance without batch norm and learns with it
    (r"^without batch norm: first/last layer gradient ratio at the start (\S+), validation "
     r"accuracy after \d+ epochs ([\d.]+)$", lambda m: float(m[1]) < 1e-3 and float(m[2]) < 0.2),
    (r"^with batch norm: first/last layer gradient ratio at the start (\S+), validation "
     r"accuracy after \d+ epochs ([\d.]+)$", lambda m: float(m[1]) > 0.05 and float(m[2]) > 0.85),
    (r"^saved figure: (.+21_dropout_curves\.png)$", file_exists),
    (r"^saved figure: (.+21_batchnorm\.png)$", file_exists),
]
