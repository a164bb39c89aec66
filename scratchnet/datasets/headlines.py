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
order does not matter here.

Word order (load_headlines(word_order=share), for the recurrent networks of tutorial 23). A
share of the headlines then comes from a second grammar, ACTOR + VERB + ACTOR, where one actor
is a person and the other an animal:

    sincere  (0): animal bites person      "stray dog bites area man"
    satire   (1): person bites animal      "area man bites stray dog"  (man bites dog)

Each such headline is as likely with its two actors swapped, which gives the same words in
the other class: a bag of words (any function of the word counts) cannot do better than
chance on them; only the order says who did what to whom.
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
ANIMALS = ("stray dog", "angry goose", "raccoon", "seagull", "squirrel", "house cat",
           "pet parrot", "city pigeon", "fox", "llama", "swan", "badger")
VERBS = ("bites", "chases", "growls at", "steals lunch from", "pecks", "hisses at", "barks at",
         "sniffs")
LABEL_NAMES = ("sincere", "satire")


def load_headlines(n: int = 2000, rng=0, return_parts: bool = False, word_order: float = 0.0):
    """n headlines from the grammar in the module docstring, a balanced mix of the four kinds.

    Returns (texts, y): texts a list of n str, y (n,) int64 with 0 = sincere, 1 = satire.
    With return_parts=True also (subject_kind, predicate_kind): two (n,) int64 arrays,
    0 = official / civic and 1 = person / personal, so that y = subject_kind XOR predicate_kind.
    rng: the seed (default 0: the same corpus every time) or a numpy Generator.
    word_order: the share (0 to 1) of headlines from the word-order grammar ("stray dog bites
        area man" / "area man bites stray dog", balanced, in random places among the others).
        0 (the default) gives exactly the corpus above. With a share > 0, return_parts gives
        three arrays, (subject_kind, predicate_kind, is_order): is_order (n,) bool marks the
        word-order headlines, whose subject_kind is 1 for a person subject (0: an animal) and
        whose predicate_kind is 0, so that y = subject_kind XOR predicate_kind still holds.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"load_headlines: expected n to be a positive int, got {n!r}")
    if isinstance(word_order, bool) or not isinstance(word_order, (int, float, np.integer,
                                                                   np.floating)) \
            or not 0 <= word_order <= 1:
        raise ValueError(f"load_headlines: expected word_order to be a share from 0 to 1, "
                         f"got {word_order!r}")
    rng = as_rng(rng)
    n_order = int(round(n * float(word_order)))
    texts, subject_kind, predicate_kind = _xor_headlines(n - n_order, rng)
    if n_order:
        more, subject_more = _order_headlines(n_order, rng)
        order = rng.permutation(n)
        texts = [(texts + more)[i] for i in order]
        subject_kind = np.concatenate([subject_kind, subject_more])[order]
        predicate_kind = np.concatenate([predicate_kind, np.zeros(n_order, np.int64)])[order]
        is_order = (np.arange(n) >= n - n_order)[order]
    y = (subject_kind ^ predicate_kind).astype(np.int64)
    if return_parts:
        parts = (subject_kind.astype(np.int64), predicate_kind.astype(np.int64))
        return texts, y, (parts + (is_order,) if n_order else parts)
    return texts, y


def _xor_headlines(n: int, rng):
    """n headlines of the first grammar: (texts, subject_kind, predicate_kind)."""
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
    return texts, subject_kind, predicate_kind


def _order_headlines(n: int, rng):
    """n headlines ACTOR VERB ACTOR, half with a person subject (satire), half with an animal
    one: (texts, person_first)."""
    person_first = rng.permutation(np.arange(n) % 2)
    texts = []
    for first in person_first:
        person = PERSON[rng.integers(len(PERSON))]
        animal = ANIMALS[rng.integers(len(ANIMALS))]
        verb = VERBS[rng.integers(len(VERBS))]
        a, b = (person, animal) if first else (animal, person)
        texts.append(f"{a} {verb} {b}{TAILS[rng.integers(len(TAILS))]}")
    return texts, person_first.astype(np.int64)
