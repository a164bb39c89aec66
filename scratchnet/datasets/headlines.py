"""A small corpus of labelled news headlines, sincere (0) or satirical (1), for the course's
sarcasm exercise. Made by this project from the grammar below, so it ships with no licence
question; the same call always gives the same corpus.

The grammar. A headline is SUBJECT + PREDICATE (+ an optional tail such as "on tuesday"):

    subjects:   official  ("city council", "the senate", "scientists", ...)
                person    ("area man", "local woman", "office intern", ...)
    predicates: civic     ("approves new budget for schools", "announces flood relief plan")
                personal  ("adopts a golden retriever", "finishes a jigsaw puzzle")

    sincere  (0): official + civic        "city council approves new budget for schools"
                  person + personal       "local woman adopts a golden retriever"
    satire   (1): person + civic          "area man announces flood relief plan"
                  official + personal     "the senate finishes a jigsaw puzzle"

Every subject and every predicate appears as often in satire as in sincere headlines, so no
single word gives the label away: the label is the exclusive-or of two groups of words. A
linear model on word counts cannot get it (it stays near chance); one hidden layer can. Word
order does not matter here; a later part of the course adds headlines where it does.
"""
from __future__ import annotations

import numpy as np

from scratchnet._config import as_rng

OFFICIAL = ("city council", "the senate", "scientists", "the health ministry", "rescue team",
            "the central bank", "university researchers", "fire department", "school board",
            "weather service", "supreme court", "the mayor's office")
PERSON = ("area man", "local woman", "local dad", "office intern", "teenager", "retired teacher",
          "man in line at bank", "grandmother", "commuter", "college student", "neighbor",
          "woman at airport")
CIVIC = ("approves new budget for schools", "announces flood relief plan",
         "releases report on air quality", "delays vote on bridge repairs",
         "reviews tax reform proposal", "publishes vaccine trial results",
         "opens inquiry into rail delays", "warns of heavy storms",
         "raises interest rates", "signs trade agreement", "updates hurricane forecast",
         "launches national literacy program")
PERSONAL = ("adopts a golden retriever", "finishes a jigsaw puzzle", "bakes sourdough bread",
            "runs first marathon", "plants tomatoes in the garden", "learns to play guitar",
            "finds lost car keys", "cleans out the garage", "tries a new pasta recipe",
            "takes a long nap", "buys new running shoes", "repaints the kitchen")
TAILS = ("", "", "", " on tuesday", " after long debate", " this week", " again", " today")
LABEL_NAMES = ("sincere", "satire")


def load_headlines(n: int = 2000, rng=0, return_parts: bool = False):
    """n headlines from the grammar in the module docstring, a balanced mix of the four kinds.

    Returns (texts, y): texts a list of n str, y (n,) int64 with 0 = sincere, 1 = satire.
    With return_parts=True also (subject_kind, predicate_kind): two (n,) int64 arrays,
    0 = official / civic and 1 = person / personal, so that y = subject_kind XOR predicate_kind.
    rng: the seed (default 0: the same corpus every time) or a numpy Generator.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"load_headlines: expected n to be a positive int, got {n!r}")
    rng = as_rng(rng)
    subject_kind = np.arange(n) % 2                       # balanced: each kind of subject ...
    predicate_kind = (np.arange(n) // 2) % 2              # ... with each kind of predicate
    order = rng.permutation(n)
    subject_kind, predicate_kind = subject_kind[order], predicate_kind[order]
    texts = []
    for s, p in zip(subject_kind, predicate_kind):
        subjects, predicates = (OFFICIAL, PERSON)[s], (CIVIC, PERSONAL)[p]
        subject = subjects[rng.integers(len(subjects))]
        predicate = predicates[rng.integers(len(predicates))]
        texts.append(subject + " " + predicate + TAILS[rng.integers(len(TAILS))])
    y = (subject_kind ^ predicate_kind).astype(np.int64)
    if return_parts:
        return texts, y, (subject_kind.astype(np.int64), predicate_kind.astype(np.int64))
    return texts, y
