"""Claims that tutorials/06_softmax_cross_entropy.py prints: (regex, check) pairs; see
tests/test_tutorials.py."""

NUM = r"([-+\d.e]+)"

CLAIMS = [
    (r"^digits: train \(1437, 64\), test \(360, 64\), 10 classes", present),
    # softmax rows are distributions; the max shift keeps a logit of 1000 finite
    (rf"^softmax rows: sum - 1 at most {NUM}, smallest p {NUM} \(> 0\)$",
     lambda m: float(m[1]) < 1e-12 and float(m[2]) > 0),
    (rf"^logits \+ 1000: naive softmax gives (\d+) NaN of 10; shifted softmax changes by {NUM}$",
     lambda m: int(m[1]) > 0 and float(m[2]) < 1e-12),
    # the Jacobian: right, columns summing to 0, so dy = ones proves nothing
    (rf"^Jacobian vs finite differences: max difference {NUM}$", below(1e-8)),
    (rf"^Jacobian column sums: at most {NUM}; J\^T @ ones at most {NUM}$", below(1e-14)),
    (r"^gradcheck Softmax layer \(random dy\): PASS, max error", present),
    # four ways to dL/dz agree
    (rf"^loss: fused {NUM}, plain {NUM}$", lambda m: abs(float(m[1]) - float(m[2])) < 1e-9),
    (rf"^max \|fused - by hand\| {NUM}, \|plain - fused\| {NUM}, \|Jacobian - fused\| {NUM}$",
     below(1e-12)),
    (r"^gradcheck fused cross-entropy: PASS", present),
    # the saturated rows: 2% of the gradient at (20, 0, 0), nothing at (800, 0, 0), all at
    # the moderate row; the loss capped at -log(eps) = 16.12 where the truth is 20 and 800
    (rf"^row 0: p_1 2\.1e-09  loss true  20\.00 plain 16\.12 .* fused 0\.3333 .*"
     rf"plain/fused {NUM}$", lambda m: 0.015 < float(m[1]) < 0.025),
    (rf"^row 1: p_1 0\.0e\+00  loss true 800\.00 plain 16\.12 .* plain 0\.00e\+00 "
     rf" plain/fused {NUM}$", lambda m: float(m[1]) == 0),
    (rf"^row 2: .*loss true   0\.46 plain  0\.46 .*plain/fused {NUM}$",
     lambda m: abs(float(m[1]) - 1) < 1e-9),
    (r"^gradcheck fused cross-entropy at z = \(20, 0, 0\): PASS", present),
    (rf"^the plain gradient drops below half the fused one at margin {NUM} "
     rf"\(-log\(eps\) = 16\.1\); at margin 40 it is {NUM} of it$",
     lambda m: 16 < float(m[1]) < 18 and float(m[2]) < 1e-9),
    (r"^saved figure: (.+06_saturation\.png)$", file_exists),
    # training from a saturated start: same start, the fused run fixes more and ends ahead
    (r"^from logits: training digits with p_true < eps: (\d+)% at the start, (\d+)% after",
     lambda m: int(m[1]) > 70 and int(m[2]) < 5),
    (r"^plain path: training digits with p_true < eps: (\d+)% at the start, (\d+)% after",
     lambda m: int(m[1]) > 70 and int(m[2]) > 15),
    (rf"^test accuracy after  5 epochs: from logits {NUM}, Softmax layer \+ plain loss {NUM}$",
     lambda m: abs(float(m[1]) - float(m[2])) < 0.1),
    (rf"^test accuracy after 20 epochs: from logits {NUM}, Softmax layer \+ plain loss {NUM}$",
     lambda m: float(m[1]) - float(m[2]) > 0.12),
    (r"^saved figure: (.+06_saturated_training\.png)$", file_exists),
    # the digit classifiers
    (rf"^softmax regression: test accuracy {NUM}", lambda m: float(m[1]) > 0.92),
    (rf"^MLP 64-64-10: test accuracy {NUM}", lambda m: float(m[1]) > 0.95),
    (rf"^the hidden layer adds {NUM} test accuracy$", lambda m: float(m[1]) > 0),
    (rf"^confusion matrix: trace / N = {NUM} \(evaluate said {NUM}\)$",
     lambda m: m[1] == m[2]),
    (r"^mistakes: (\d+) of 360 test digits, in (\d+) different .* diagonal is (\d+) ",
     lambda m: 0 < int(m[1]) < 20 and int(m[3]) <= int(m[1])),
    (r"^saved figure: (.+06_confusion_matrix\.png)$", file_exists),
]
