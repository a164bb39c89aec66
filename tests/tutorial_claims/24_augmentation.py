"""Claims that tutorials/24_augmentation.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    (r"^train 150 digits, validation (\d+), each \(1, 8, 8\)", lambda m: int(m[1]) > 800),
    (r"^zoom by 2, forward mapping: (\d+) of 64 output pixels get a value; inverse mapping: "
     r"every output pixel reads one source point, 64 of 64$", lambda m: int(m[1]) <= 32),
    # the warp, checked against slicing, np.rot90, a two-pixel mean, and numba against NumPy
    (r"^identity matrix: the warp returns the digit exactly: True$", present),
    (r"^shift one column right = slicing with a column of fill: max difference (\S+)$",
     lambda m: float(m[1]) == 0.0),
    (r"^rotation by 90 degrees \(nearest\) = np\.rot90: True$", present),
    (r"^half a column right \(bilinear\) = the mean of each pixel and its left neighbour: "
     r"max difference (\S+)$", below(1e-15)),
    (r"^numba warp against the NumPy reference, 64 turned digits: max difference (\S+)$",
     lambda m: float(m[1]) == 0.0),
    (r"^augmenting the \d+ validation digits: shape \(\d+, 1, 8, 8\), the input unchanged: "
     r"True; mean \|change\| per pixel ([\d.]+)$", lambda m: 0.02 < float(m[1]) < 0.3),
    (r"^saved figure: (.+24_augmentations\.png)$", file_exists),
    # a flip does not keep the class of a digit; the pipeline mostly does
    (r"^nearest class mean, share of validation digits in their own class: original ([\d.]+), "
     r"augmented ([\d.]+), flipped ([\d.]+)$",
     lambda m: float(m[1]) > 0.8 and float(m[2]) > 0.65 and float(m[3]) < 0.5
     and float(m[2]) - float(m[3]) > 0.2),
    (r"^flipped, per digit 0-9: 0:([\d.]+) 1:[\d.]+ 2:[\d.]+ 3:[\d.]+ 4:([\d.]+) 5:[\d.]+ "
     r"6:[\d.]+ 7:[\d.]+ 8:([\d.]+) 9:[\d.]+$",
     lambda m: all(float(v) > 0.6 for v in m.groups())),          # 0, 4 and 8 survive the mirror
    (r"^flipped 2, 3, 5, 6, 7 still nearest their own class: at most ([\d.]+)$", below(0.1)),
    (r"^weights in the MLP: 85,002$", present),
    # the training runs: augmentation lowers the validation loss and raises its accuracy
    (r"^lowest validation loss: plain ([\d.]+), augmented ([\d.]+)$",
     lambda m: float(m[2]) < float(m[1]) - 0.03),
    (r"^validation accuracy \(last 10 epochs\): plain ([\d.]+), augmented ([\d.]+)$",
     lambda m: 0 < float(m[2]) - float(m[1]) < 0.04),   # higher, by about 1 in 100
    (r"^final training loss: plain ([\d.]+), augmented ([\d.]+)$",
     lambda m: float(m[1]) < 0.01 and float(m[2]) > 0.05),
    (r"^gap val - train loss \(last 10 epochs\): plain ([\d.]+), augmented ([\d.]+)$",
     lambda m: float(m[2]) < 0.6 * float(m[1])),
    (r"^plain, after epoch 20: the training loss falls (\d+)x more, the validation loss at "
     r"best (\d+)% more$", lambda m: int(m[1]) > 5 and int(m[2]) < 15),
    (r"^saved figure: (.+24_validation_curves\.png)$", file_exists),
]
