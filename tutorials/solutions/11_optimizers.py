"""Solutions to the exercises of tutorials/11_optimizers.py (run: python tutorials/solutions/11_optimizers.py)."""
import numpy as np

from scratchnet import lesson
from scratchnet.layers import Layer
from scratchnet.optimizers import SGD, CosineDecay, Momentum, Nesterov, RMSprop, Schedule

A_CURV, B_CURV = 100.0, 1.0
W0 = np.array([0.5, 5.0])
H_ALIGNED = np.diag([A_CURV, B_CURV])


class Quadratic(Layer):
    """f(w) = 0.5 w.T H w; w: (2,); grad() writes df/dw = H w (H symmetric)."""

    def __init__(self, w0, H):
        super().__init__("quadratic")
        self.H = H
        self._add_param("w", np.array(w0, dtype=np.float64))

    def grad(self) -> None:
        self.grads["w"][...] = self.H @ self.params["w"]


def descend(optimizer, steps, w0=W0, H=H_ALIGNED) -> np.ndarray:
    """w after `steps` steps of `optimizer` on f(w) = 0.5 w.T H w, (2,)."""
    q = Quadratic(w0, H)
    for _ in range(steps):
        q.grad()
        optimizer.step(q)
    return q.params["w"].copy()


# ----- Exercise 1: momentum and Nesterov by hand -----------------------------------------------
def by_hand(steps, lr, beta, nesterov):
    w, p = W0.copy(), np.zeros(2)
    for _ in range(steps):
        g = H_ALIGNED @ w
        p = beta * p + g
        w = w - lr * (g + beta * p if nesterov else p)
    return w


err_mom = np.abs(by_hand(50, 0.01, 0.9, False) - descend(Momentum(0.01, beta=0.9), 50)).max()
err_nest = np.abs(by_hand(50, 0.01, 0.9, True) - descend(Nesterov(0.01, beta=0.9), 50)).max()
print(f"momentum by hand vs scratchnet: {err_mom:.1e}; Nesterov: {err_nest:.1e}")
lesson.check(1, "largest |w_hand - w_scratchnet| over Momentum and Nesterov",
             float(max(err_mom, err_nest)), max(err_mom, err_nest) < 1e-12)

# ----- Exercise 2: the rotated ravine ----------------------------------------------------------
theta = np.pi / 4
R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
H_ROTATED = R @ H_ALIGNED @ R.T
W0_ROTATED = R @ W0
runs = {}
for name, H, w0 in (("aligned", H_ALIGNED, W0), ("rotated", H_ROTATED, W0_ROTATED)):
    runs[name] = {
        "SGD": np.linalg.norm(descend(SGD(0.019), 200, w0, H)),
        "RMSprop": np.linalg.norm(descend(RMSprop(CosineDecay(0.1, steps=200)), 200, w0, H)),
    }
    print(f"{name} ravine: SGD distance {runs[name]['SGD']:.6g}, "
          f"RMSprop distance {runs[name]['RMSprop']:.3g}")
sgd_same = abs(runs["rotated"]["SGD"] - runs["aligned"]["SGD"]) / runs["aligned"]["SGD"]
rms_ratio = runs["rotated"]["RMSprop"] / runs["aligned"]["RMSprop"]
print(f"SGD relative difference {sgd_same:.1e}; RMSprop rotated / aligned {rms_ratio:.3g}")
lesson.check(2, "RMSprop final distance, rotated / aligned (SGD unchanged)", float(rms_ratio),
             rms_ratio > 1000 and sgd_same < 1e-9)


# ----- Exercise 3: a schedule of your own ------------------------------------------------------
class InverseTimeDecay(Schedule):
    """lr(t) = lr / (1 + k t): fast at first, then ever slower, never reaching 0."""

    def __init__(self, lr: float, k: float):
        self.lr, self.k = lr, k

    def _value(self, t):
        return self.lr / (1 + self.k * t)


sched = InverseTimeDecay(0.1, 0.01)
formula_err = np.abs(sched.values(5) - 0.1 / (1 + 0.01 * np.arange(5))).max()
d_inverse = np.linalg.norm(descend(RMSprop(sched), 200))
d_constant = np.linalg.norm(descend(RMSprop(0.1), 200))
print(f"values(5) vs the formula: {formula_err:.1e}; RMSprop after 200 steps: "
      f"InverseTimeDecay {d_inverse:.3g}, constant {d_constant:.3g}")
lesson.check(3, "RMSprop distance with InverseTimeDecay(0.1, 0.01) (constant 0.1: "
             f"{d_constant:.3g})", float(d_inverse), d_inverse < d_constant and formula_err < 1e-15)

lesson.finish()
