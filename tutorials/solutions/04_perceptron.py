"""Solutions to the exercises of tutorials/04_perceptron.py."""
import numpy as np

from scratchnet import lesson
from scratchnet.datasets import park
from scratchnet.layers import Dense, Step
from scratchnet.model import Sequential

x, y = park(table="course")                   # the course's 6 rows, in its order


def perceptron_epoch(w, b, x, y, lr=1.0, learn_bias=False, at_zero=0.0, log=False):
    """One pass of the perceptron rule; the step gives `at_zero` when z == 0.
    Returns (w, b, mistakes)."""
    mistakes = 0
    for n, (xn, yn) in enumerate(zip(x, y)):
        z = float(w @ xn + b)
        out = 1.0 if z > 0 else (at_zero if z == 0 else 0.0)
        if out != yn:
            mistakes += 1
            w = w + lr * (yn - out) * xn
            if learn_bias:
                b = b + lr * (yn - out)
        if log:
            print(f"  row {n + 1}: z = {z:2.0f}  output = {out:.0f}  y = {yn:.0f}  ->  "
                  f"w = ({w[0]:.0f}, {w[1]:.0f})  b = {b:.0f}")
    return w, b, mistakes


# ----- Exercise 1: the bias learns too -------------------------------------------------------
w, b = np.zeros(2), 0.0
for epoch in range(1, 21):
    w, b, mistakes = perceptron_epoch(w, b, x, y, learn_bias=True)
    print(f"exercise 1, epoch {epoch}: {mistakes} mistakes, w = ({w[0]:.0f}, {w[1]:.0f}), b = {b:.0f}")
    if mistakes == 0:
        break
all_right = bool(np.all((x @ w + b > 0) == (y == 1)))
lesson.check(1, "epochs until an epoch without a mistake, with the bias learning", epoch,
             mistakes == 0 and all_right and np.array_equal(w, [1.0, 1.0]) and b == 0.0)

# ----- Exercise 2: the step says 1 at z = 0 ---------------------------------------------------
print("exercise 2: output 1 if z >= 0, bias held at 0")
w, b = np.zeros(2), 0.0
for epoch in range(1, 11):
    w, b, mistakes = perceptron_epoch(w, b, x, y, at_zero=1.0, log=True)
    if mistakes == 0:
        break
z_new = float(np.array([-1.0, 1.0]) @ w + b)
out_new = 1.0 if z_new >= 0 else 0.0
print(f"exercise 2: final w = ({w[0]:.0f}, {w[1]:.0f}); new point (-1, 1): z = {z_new:.0f}, "
      f"output {out_new:.0f}")
lesson.check(2, "output at the new point (-1, 1) with the z >= 0 step", int(out_new),
             np.array_equal(w, [1.0, 1.0]) and out_new == 1.0)

# ----- Exercise 3: XOR from three step units -------------------------------------------------
# hidden unit 1: OR  = step(x1 + x2 - 0.5);  hidden unit 2: AND = step(x1 + x2 - 1.5)
# output: OR and not AND = step(h1 - h2 - 0.5)
net = Sequential([Dense(2, 2, init="zeros"), Step(), Dense(2, 1, init="zeros"), Step()])
net.layers[0].params["W"][...] = [[1.0, 1.0], [1.0, 1.0]]
net.layers[0].params["b"][...] = [-0.5, -1.5]
net.layers[2].params["W"][...] = [[1.0], [-1.0]]
net.layers[2].params["b"][...] = [-0.5]
x_xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y_xor = np.array([0.0, 1.0, 1.0, 0.0])
out = net.predict(x_xor)[:, 0]
print(f"exercise 3: outputs {out.astype(int).tolist()} for XOR {y_xor.astype(int).tolist()}")
right = int(np.sum(out == y_xor))
lesson.check(3, "XOR rows right with three hand-set step units", right, right == 4)

lesson.finish()
