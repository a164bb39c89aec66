"""Claims that tutorials/16_cifar_cnn.py prints: (regex, check) pairs; see tests/test_tutorials.py.

The tests have no CIFAR-10 files, so they check the bundled-digits path; the thresholds are
those of the 8x8 digits."""

CLAIMS = [
    # it says which data it used
    (r"^data: (CIFAR-10 \(binary files\)|the bundled 8x8 digits \(no CIFAR-10 files found\))$",
     present),
    # a 3-channel convolution is the sum of three 1-channel ones, plus the bias
    (r"^3-channel conv vs sum of 3 one-channel convs \+ b: largest difference (\S+)$", below(1e-12)),
    # shared weights: 16 * 1 * 9 + 16 = 160 against a Dense layer's 64 * 1024 + 1024
    (r"^Conv2D\(1, 16, 3, padding=1\) on 1x8x8: 160 parameters for 1024 outputs$", present),
    (r"^a Dense layer with the same inputs and outputs: 66,560 parameters \(416 times as many\)$",
     present),
    # the shapes through the CNN: same padding keeps 8x8, each pool halves it
    (r"^0\s+Conv2D\[0\]\s+\(N, 16, 8, 8\)\s+160 ", present),
    (r"^2\s+MaxPool2D\[2\]\s+\(N, 16, 4, 4\)", present),
    (r"^5\s+MaxPool2D\[5\]\s+\(N, 32, 2, 2\)", present),
    (r"^6\s+Flatten\[6\]\s+\(N, 128\)", present),
    # "with fewer parameters"
    (r"^parameters: CNN ([\d,]+), MLP ([\d,]+)$",
     lambda m: int(m[1].replace(",", "")) < int(m[2].replace(",", ""))),
    # both learn the digits, to similar accuracy
    (r"^CNN: \d+ epochs on 1077 images in \S+ s, test accuracy (\S+)\nMLP: \d+ epochs on 1077 "
     r"images in \S+ s, test accuracy (\S+)$",
     lambda m: float(m[1]) > 0.93 and float(m[2]) > 0.93 and abs(float(m[1]) - float(m[2])) < 0.05),
    # "each of its epochs costs much more time"
    (r"^time per epoch: CNN (\S+) s, MLP (\S+) s$", lambda m: float(m[1]) > 3 * float(m[2])),
    # shifted by an eighth of the width (one pixel of 8): the CNN keeps much more of its
    # accuracy, but far from all of it
    (r"^shift: 1 pixel\(s\) of 8$", present),
    (r"^CNN: test accuracy \S+; shifted right \S+, left \S+: it keeps (\d+)% of its accuracy\n"
     r"MLP: test accuracy \S+; shifted right \S+, left \S+: it keeps (\d+)% of its accuracy$",
     lambda m: int(m[1]) <= 90 and int(m[1]) >= int(m[2]) + 10),
    (r"^shifted test images: CNN (\S+), MLP (\S+) ", lambda m: float(m[1]) > float(m[2]) + 0.1),
    (r"^feature maps after conv1 \+ ReLU: \(1, 16, 8, 8\), (\d+)% of them exactly 0$",
     lambda m: 0 < int(m[1]) < 100),
    (r"^saved figure: (.*16_examples\.png)$", file_exists),
    (r"^saved figure: (.*16_learning_curves\.png)$", file_exists),
    (r"^saved figure: (.*16_shifted\.png)$", file_exists),
    (r"^saved figure: (.*16_filters\.png)$", file_exists),
    (r"^saved figure: (.*16_feature_maps\.png)$", file_exists),
]
