"""The exercise skeletons: one file per exercise, copied out by `python -m scratchnet.exercises get`.

Each file is what a student starts from: the forward written, the derivation's starting point in
the module docstring, and a backward whose lines between "# ---- your code" and
"# ---- end of your code ----" are left to fill in (they ship as zeros, so the check fails).
"""
