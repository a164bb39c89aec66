"""Claims that tutorials/07_losses.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

NUM = r"([-+\d.e]+)"

CLAIMS = [
    # the push h'(r): MSE grows with r, MAE is always 1, Huber is r inside delta and delta outside
    (r"^push h'\(r\) at r =  0\.5:  MSE  1\.00  MAE  1\.00  Huber \(delta=1\)  0\.50$", present),
    (r"^push h'\(r\) at r =  3\.0:  MSE  6\.00  MAE  1\.00  Huber \(delta=1\)  1\.00$", present),
    (r"^push h'\(r\) at r = 30\.0:  MSE 60\.00  MAE  1\.00  Huber \(delta=1\)  1\.00$", present),
    (r"^gradcheck MSE: PASS", present),
    (r"^gradcheck MAE: PASS", present),
    (r"^gradcheck Huber \(delta=1\): PASS", present),
    (r"^saved figure: (.+07_losses_and_derivatives\.png)$", file_exists),
    # the outlier line
    (r"^data: 50 points, outliers at x = (.+)$",
     lambda m: all(float(v) > 6 for v in m[1].split(", ")) and len(m[1].split(", ")) == 5),
    (rf"^least squares on the 45 good points: slope error {NUM}$", below(0.1)),
    (rf"^share of the push from the 5 outliers at the true line: MSE (\d+)%$",
     lambda m: int(m[1]) > 60),
    (rf"^share of the push from the 5 outliers at the true line: MAE (\d+)%$",
     lambda m: int(m[1]) <= 10),               # 5 of 50 points, each pushing 1: exactly 10%
    (rf"^share of the push from the 5 outliers at the true line: Huber \(delta=1\) (\d+)%$",
     lambda m: int(m[1]) < 25),
    (rf"^MSE: slope {NUM}, intercept {NUM}, slope error {NUM}$", lambda m: float(m[3]) > 1.0),
    (rf"^MAE: slope {NUM}, intercept {NUM}, slope error {NUM}$", lambda m: float(m[3]) < 0.2),
    (rf"^Huber \(delta=1\): slope {NUM}, intercept {NUM}, slope error {NUM}$",
     lambda m: float(m[3]) < 0.2),
    (rf"^MSE by gradient descent vs least squares on all points: slope difference {NUM}$",
     below(1e-3)),
    (rf"^MSE's slope error is {NUM}x Huber's and {NUM}x MAE's$",
     lambda m: float(m[1]) > 5 and float(m[2]) > 5),
    (r"^saved figure: (.+07_outliers\.png)$", file_exists),
    # the push on a logit: equal up to 2 at z = 0, ~200 at z = -6, > 10,000 at z = -10
    (rf"^y = 1, z =   0\.0 .*cross-entropy 0\.5000, MSE 2\.50e-01, ratio 2$", present),
    (rf"^y = 1, z =  -6\.0 \(p = 2\.5e-03\): \|dL/dz\| cross-entropy {NUM}, MSE {NUM}, "
     rf"ratio (\d+)$", lambda m: float(m[1]) > 0.99 and float(m[2]) < 0.01
     and 150 < int(m[3]) < 250),
    (rf"^y = 1, z = -10\.0 .*cross-entropy {NUM}, MSE 9\.08e-05, ratio (\d+)$",
     lambda m: float(m[1]) > 0.999 and int(m[2]) > 10000),
    (r"^saved figure: (.+07_sigmoid_push\.png)$", file_exists),
    # training from a flipped start
    (rf"^flipped start: (\d+)% of training predictions wrong, median \|z\| {NUM}$",
     lambda m: int(m[1]) > 95 and float(m[2]) > 3),
    (r"^lr 0\.1: cross-entropy: 90% training accuracy at epoch (\d+);",
     lambda m: int(m[1]) < 100),
    (r"^lr 0\.1: MSE: 90% training accuracy never in 300 epochs;", present),
    (r"^lr 1\.0: cross-entropy: 90% training accuracy at epoch (\d+);\s.*\n"
     r"lr 1\.0: MSE: 90% training accuracy at epoch (\d+);",
     lambda m: 3 * int(m[1]) < int(m[2])),
    (r"^saved figure: (.+07_sigmoid_training\.png)$", file_exists),
]
