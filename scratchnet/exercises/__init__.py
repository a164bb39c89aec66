"""Exercises: layers whose backward you write yourself, checked tensor by tensor.

    python -m scratchnet.exercises list                  one line per exercise: name, what it teaches
    python -m scratchnet.exercises get dense [DIR]       copy the skeleton to DIR/dense.py
    python -m scratchnet.exercises check dense.py        gradcheck it, compare it with the library

Each skeleton (scratchnet/exercises/skeletons/NAME.py) has its forward written, the start of
the derivation in its docstring, and a backward to fill in. The check runs gradcheck's finite
differences AND compares your y, dx and gradients with the library's own layer on the same
parameters; it names each wrong tensor with a hint, and exits 0 when all is right, 1 otherwise.

In Python: check_file(path) returns a CheckResult (passed, text, wrong); get_skeleton(name,
folder) copies a skeleton; EXERCISES maps each name to its Exercise.
"""
from scratchnet.exercises.registry import EXERCISES, Exercise, Mistake, get_exercise
from scratchnet.exercises.checker import CheckResult, check_file
from scratchnet.exercises.cli import get_skeleton, main

__all__ = ["EXERCISES", "Exercise", "Mistake", "get_exercise", "CheckResult", "check_file",
           "get_skeleton", "main"]
