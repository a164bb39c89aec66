"""Claims that tutorials/04_perceptron.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    # the course's table: 6 rows, 3 go and 3 stay
    (r"^park table: 6 rows, 3 go, 3 stay$", present),
    # the walk-through, row by row: mistakes at rows 1 and 3 only, the weights after each row
    (r"^epoch 1 row 1: x = \( 1,  0\)  y = 1  z =  0  output = 0  error = 1  ->  w = \(1, 0\)  b = 0$",
     present),
    (r"^epoch 1 row 2: .*error = 0  ->  w = \(1, 0\)  b = 0$", present),
    (r"^epoch 1 row 3: x = \( 0,  1\)  y = 1  z =  0  output = 0  error = 1  ->  w = \(1, 1\)  b = 0$",
     present),
    (r"^epoch 1 row 4: .*error = 0  ->  w = \(1, 1\)  b = 0$", present),
    (r"^epoch 1 row 5: .*error = 0  ->  w = \(1, 1\)  b = 0$", present),
    (r"^epoch 1 row 6: .*error = 0  ->  w = \(1, 1\)  b = 0$", present),
    (r"^epoch 1: 2 mistakes$", present),
    (r"^epoch 2: 0 mistakes$", present),
    (r"^learned: w1 = 1  w2 = 1  b = 0  after 2 epochs", present),
    (r"^training rows right: 6 of 6$", present),
    # the learning rate only scales the weights
    (r"^lr = 0\.1 gives w = \(0\.10, 0\.10\); ratio to lr = 1: 10, 10; same decisions on the "
     r"table: True$", present),
    # the library's Dense + Step give the same outputs; Step has no backward
    (r"^Dense \+ Step outputs: \[1, 1, 1, 0, 0, 0\] .*equal: True\)$", present),
    (r"^Step\.backward raises NotDifferentiableError: True$", present),
    # the new point sits on the line: z = 0, so the step says 0 ("stay") against y = 1
    (r"^new point \(-1, 1\): z = 0, output = 0 \(stay\), but y = 1$", present),
    (r"^table rows where weather and money point opposite ways \(x1 \* x2 < 0\): 0$", present),
    # the separating lines split about half and half at (-1, 1)
    (r"^lines on the grid that get all 6 rows right: (\d+) of 68921$",
     lambda m: int(m[1]) > 1000),
    (r"^of those, at \(-1, 1\): (\S+)% say go, (\S+)% say stay, (\S+)% pass through it$",
     lambda m: 30 < float(m[1]) < 70 and 30 < float(m[2]) < 70 and float(m[3]) < 5),
    # XOR: no line gets 4 of 4; the perceptron rule never settles; a hidden layer does it
    (r"^XOR: best line on the grid of 68921 \(w1, w2, b\) gets 3 of 4 right; lines with 4 of 4: 0$",
     present),
    (r"^the 3-of-4 line with the widest margin: .* wrong on 1 row: ", present),
    (r"^perceptron rule on XOR, 100 epochs: fewest mistakes in an epoch = (\d+), in the last "
     r"epoch = (\d+)$", lambda m: int(m[1]) >= 1 and int(m[2]) >= 1),
    (r"^2-layer net on XOR after \d+ epochs: 4 of 4 right, loss (\S+)$", below(0.05)),
    (r"^its outputs sigmoid\(logit\): \(0, 0\) -> (\S+), \(0, 1\) -> (\S+), \(1, 0\) -> (\S+), "
     r"\(1, 1\) -> (\S+)$",
     lambda m: float(m[1]) < 0.1 and float(m[2]) > 0.9 and float(m[3]) > 0.9 and float(m[4]) < 0.1),
    (r"^saved figure: (.*04_park_perceptron\.png)$", file_exists),
    (r"^saved figure: (.*04_xor\.png)$", file_exists),
]
