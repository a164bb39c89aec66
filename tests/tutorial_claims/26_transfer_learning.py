"""Claims that tutorials/26_transfer_learning.py prints: (regex, check) pairs; see tests/test_tutorials.py."""

CLAIMS = [
    (r"^source task: 901 images of 0-4; target task: 896 images of 5-9$", present),
    (r"^pretrained on 0-4: training accuracy ([\d.]+)$", lambda m: float(m[1]) > 0.98),
    (r"^reloaded network predicts the same: True$", present),
    (r"^2 labels per class, \d+ seeds: test accuracy mean \+- std$", present),
    # the early, general layer carries over better than all the features (both label counts)
    (r"^2 per class: first conv only minus all features frozen: ([+-][\d.]+); "
     r"fine-tuning minus frozen: ([+-][\d.]+)$",
     lambda m: float(m[1]) > 0.01 and float(m[2]) > 0),
    (r"^10 per class: first conv only minus all features frozen: ([+-][\d.]+); "
     r"fine-tuning minus frozen: ([+-][\d.]+)$",
     lambda m: float(m[1]) > 0.005 and float(m[2]) > 0),
    # on these easy digits, scratch beats the frozen features of the 0-4 network
    (r"^10 per class: scratch minus frozen features: ([+-][\d.]+)$", lambda m: float(m[1]) > 0.01),
    (r"^saved figure: (.+26_transfer\.png)$", file_exists),
]
