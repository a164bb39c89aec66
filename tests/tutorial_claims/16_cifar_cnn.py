"""Claims that tutorials/16_cifar_cnn.py prints: (regex, check) pairs; see tests/test_tutorials.py.

The tests have no CIFAR-10 files, so they check the bundled-digits path. The arithmetic (parameter
counts, shapes) is checked for either data; the measured claims of the prose are the digits', so
with CIFAR-10 files (not available where this was written) only their lines are required."""

DATA = r"^data: (.*)$(?:.|\n)*?"          # prefix: capture the data source as group 1


def digits(m) -> bool:
    return not m[1].startswith("CIFAR")


CLAIMS = [
    # it says which data it used
    (r"^data: (CIFAR-10 \(binary files\)|the bundled 8x8 digits \(no CIFAR-10 files found\))$",
     present),
    # a 3-channel convolution is the sum of three 1-channel ones, plus the bias
    (r"^3-channel conv vs sum of 3 one-channel convs \+ b: largest difference (\S+)$", below(1e-12)),
    # shared weights: 16 * C * 9 + 16 parameters against a Dense layer's C*H*W * 16*H*W + 16*H*W
    # (digits: 160 against 66,560, 416 times as many)
    (r"^Conv2D\((\d+), 16, 3, padding=1\) on (\d+)x(\d+)x(\d+): (\d+) parameters for (\d+) "
     r"outputs\na Dense layer with the same inputs and outputs: ([\d,]+) parameters \((\d+) times",
     lambda m: m[1] == m[2] and int(m[5]) == 16 * int(m[1]) * 9 + 16
     and int(m[6]) == 16 * int(m[3]) * int(m[4])
     and int(m[7].replace(",", "")) == int(m[2]) * int(m[3]) * int(m[4]) * int(m[6]) + int(m[6])
     and int(m[8]) == round(int(m[7].replace(",", "")) / int(m[5]))),
    # the shapes through the CNN: "same" padding keeps H x W, each pool halves it
    (r"^images: train \(\d+, \d+, (\d+), (\d+)\)(?:.|\n)*?^0\s+Conv2D\[0\]\s+\(N, 16, (\d+), (\d+)\)"
     r"(?:.|\n)*?^2\s+MaxPool2D\[2\]\s+\(N, 16, (\d+), (\d+)\)(?:.|\n)*?"
     r"^5\s+MaxPool2D\[5\]\s+\(N, 32, (\d+), (\d+)\)[^\n]*\n6\s+Flatten\[6\]\s+\(N, (\d+)\)",
     lambda m: m[1] == m[3] and m[2] == m[4] and int(m[5]) == int(m[3]) // 2
     and int(m[7]) == int(m[5]) // 2 and int(m[9]) == 32 * int(m[7]) * int(m[8])),
    # "with fewer parameters"
    (r"^parameters: CNN ([\d,]+), MLP ([\d,]+)$",
     lambda m: int(m[1].replace(",", "")) < int(m[2].replace(",", ""))),
    # digits: both learn them, to similar accuracy
    (DATA + r"^CNN: \d+ epochs on \d+ images in \S+ s, test accuracy (\S+)\nMLP: \d+ epochs on "
     r"\d+ images in \S+ s, test accuracy (\S+)$",
     lambda m: not digits(m) or (float(m[2]) > 0.93 and float(m[3]) > 0.93
                                 and abs(float(m[2]) - float(m[3])) < 0.05)),
    # "each of its epochs costs much more time"
    (DATA + r"^time per epoch: CNN (\S+) s, MLP (\S+) s$",
     lambda m: not digits(m) or float(m[2]) > 3 * float(m[3])),
    # the shift is an eighth of the width: one pixel of the digits' 8
    (r"^shift: (\d+) pixel\(s\) of (\d+)$", lambda m: int(m[1]) == int(m[2]) // 8 >= 1),
    # digits: the CNN keeps much more of its accuracy than the MLP, but far from all of it
    (DATA + r"^CNN: test accuracy \S+; shifted right \S+, left \S+: it keeps (\d+)% of its "
     r"accuracy\nMLP: test accuracy \S+; shifted right \S+, left \S+: it keeps (\d+)% of its "
     r"accuracy$",
     lambda m: not digits(m) or (int(m[2]) <= 90 and int(m[2]) >= int(m[3]) + 10)),
    (DATA + r"^shifted test images: CNN (\S+), MLP (\S+) ",
     lambda m: not digits(m) or float(m[2]) > float(m[3]) + 0.1),
    (r"^images: train \(\d+, \d+, (\d+), (\d+)\)(?:.|\n)*?^feature maps after conv1 \+ ReLU: "
     r"\(1, 16, (\d+), (\d+)\), (\d+)% of them exactly 0$",
     lambda m: m[1] == m[3] and m[2] == m[4] and 0 < int(m[5]) < 100),
    (r"^saved figure: (.*16_examples\.png)$", file_exists),
    (r"^saved figure: (.*16_learning_curves\.png)$", file_exists),
    (r"^saved figure: (.*16_shifted\.png)$", file_exists),
    (r"^saved figure: (.*16_filters\.png)$", file_exists),
    (r"^saved figure: (.*16_feature_maps\.png)$", file_exists),
]
