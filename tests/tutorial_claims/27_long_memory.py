"""Claims that tutorials/27_long_memory.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    # the LSTM (forget bias 3) solves the matching task at every length; the RNN not at L = 20
    (r"^L =  5: test accuracy SimpleRNN [\d.]+, LSTM ([\d.]+)$", lambda m: float(m[1]) > 0.95),
    (r"^L = 10: test accuracy SimpleRNN [\d.]+, LSTM ([\d.]+)$", lambda m: float(m[1]) > 0.95),
    (r"^L = 20: test accuracy SimpleRNN ([\d.]+), LSTM ([\d.]+)$",
     lambda m: float(m[1]) < 0.65 and float(m[2]) > 0.95),
    # the RNN's gradient through 60 steps is set by the size of Wh: vanishes or explodes
    (r"^SimpleRNN, Wh scaled by 0\.5: \|\|dL/dh_1\|\| / \|\|dL/dh_T\|\| = (\S+)$", below(1e-10)),
    (r"^SimpleRNN, Wh scaled by 0\.9: \|\|dL/dh_1\|\| / \|\|dL/dh_T\|\| = (\S+)$", below(1e-2)),
    (r"^SimpleRNN, Wh scaled by 1\.0: \|\|dL/dh_1\|\| / \|\|dL/dh_T\|\| = (\S+)$",
     lambda m: float(m[1]) > 0.05),
    (r"^SimpleRNN, Wh scaled by 1\.2: \|\|dL/dh_1\|\| / \|\|dL/dh_T\|\| = (\S+)$",
     lambda m: float(m[1]) > 1),
    # the LSTM cell's, by the forget gate, whatever Wh
    (r"^LSTM, forget bias 0\.0: \|\|dL/dc_1\|\| / \|\|dL/dc_T\|\| = (\S+)$", below(1e-5)),
    (r"^LSTM, forget bias 3\.0: \|\|dL/dc_1\|\| / \|\|dL/dc_T\|\| = (\S+)$",
     lambda m: float(m[1]) > 1),
    (r"^LSTM, forget bias 3\.0 with Wh scaled by 0\.5: \|\|dL/dc_1\|\| / \|\|dL/dc_T\|\| = (\S+)$",
     lambda m: float(m[1]) > 1),
    (r"^SimpleRNN at L = 20: global gradient norm at the last step [\d.]+ \(clipnorm 1:", present),
    (r"^saved figure: (.+27_gradient_through_time\.png)$", file_exists),
]
