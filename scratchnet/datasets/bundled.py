"""Three small real data sets that ship inside scratchnet, so they load offline in milliseconds.

Digits and breast cancer come from the UCI Machine Learning Repository and are licensed
CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). The penguins are public domain (CC0).
We store them as compressed .npz files in scratchnet/datasets/data/, without pickled objects;
tools/make_bundled_data.py records exactly how they were made (digits and breast cancer from
the CSV copies in the scikit-learn 1.9.1 wheel, the penguins from the CSV in the palmerpenguins
0.1.6 wheel; neither package is needed to use them).

Optical Recognition of Handwritten Digits (load_digits): E. Alpaydin and C. Kaynak (1998),
    UCI Machine Learning Repository, https://doi.org/10.24432/C50P49. The 1,797 images of the
    set's test part (optdigits.tes): 32x32 bitmaps of digits written by 13 people, each 4x4
    block counted, giving 8x8 images of counts 0..16.
Breast Cancer Wisconsin (Diagnostic) (load_breast_cancer): W. Wolberg, O. Mangasarian,
    N. Street and W. Street (1993), UCI Machine Learning Repository,
    https://doi.org/10.24432/C5DW2B. 569 fine-needle aspirates of breast masses, 30 features
    of the cell nuclei seen in each image, diagnosis malignant (212) or benign (357).
Palmer penguins (load_penguins), a regression set: K. B. Gorman, T. D. Williams and
    W. R. Fraser (2014), PLoS ONE 9(3): e90081, https://doi.org/10.1371/journal.pone.0090081,
    data by Palmer Station Antarctica LTER, packaged by A. Horst, A. Hill and K. Gorman
    (https://allisonhorst.github.io/palmerpenguins/). Licence: CC0 1.0, a public-domain
    dedication (https://creativecommons.org/publicdomain/zero/1.0/). File read:
    palmerpenguins/data/penguins.csv of the palmerpenguins 0.1.6 wheel, SHA-256
    f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93. The 333 of its 344 adult
    Adelie, Chinstrap and Gentoo penguins (Palmer Archipelago, Antarctica, 2007-2009) that have
    every value; the target is the body mass. It replaces the course's Boston housing set,
    which is no longer distributed because one of its features encodes a racial ratio.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

_DATA = Path(__file__).resolve().parent / "data"

# Ten properties of a cell nucleus, in the order of the data set's description.
_NUCLEUS = ("radius", "texture", "perimeter", "area", "smoothness", "compactness",
            "concavity", "concave points", "symmetry", "fractal dimension")
# Columns 0-9 are the mean over the nuclei in the image, 10-19 the standard error,
# 20-29 the "worst" (mean of the three largest values): "radius (mean)", ... .
BREAST_CANCER_FEATURES = tuple(f"{p} ({stat})" for stat in ("mean", "standard error", "worst")
                               for p in _NUCLEUS)
BREAST_CANCER_CLASSES = ("malignant", "benign")     # label 0 = malignant, 1 = benign

# The columns of load_penguins' x, in order: three measurements, sex, species, island.
PENGUINS_FEATURES = ("bill length (mm)", "bill depth (mm)", "flipper length (mm)", "male",
                     "Adelie", "Chinstrap", "Gentoo", "Biscoe", "Dream", "Torgersen")
PENGUINS_TARGET = "body mass (g)"


def _load_npz(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Arrays x and y of the bundled file data/<name>.npz (no pickled objects allowed)."""
    with np.load(_DATA / f"{name}.npz", allow_pickle=False) as f:
        return f["x"], f["y"]


def load_digits(flat: bool = False):
    """The UCI 8x8 handwritten digits: 1,797 images of the digits 0..9 (about 180 each).

    Returns (x, y):
        x: (N, 1, 8, 8) float64 in [0, 1] (the raw counts 0..16 divided by 16), N = 1797;
           with flat=True, x is (N, 64), each row an image read row by row.
        y: (N,) int64, the digit shown.
    Usage: x, y = load_digits()
    """
    counts, y = _load_npz("digits")
    x = counts.astype(np.float64) / 16.0
    return (x if flat else x.reshape(-1, 1, 8, 8)), y.astype(np.int64)


def load_breast_cancer(return_names: bool = False):
    """The Wisconsin diagnostic breast cancer set: 569 samples, 30 features, 2 classes.

    Returns (x, y), or (x, y, feature_names, class_names) with return_names=True:
        x: (569, 30) float64, raw feature values (their scales differ a lot: standardize them,
           e.g. with scratchnet.data.StandardScaler fitted on the training part);
        y: (569,) int64, 0 = malignant (212 samples), 1 = benign (357 samples);
        feature_names: 30 strings, BREAST_CANCER_FEATURES; class_names: ("malignant", "benign").
    """
    x, y = _load_npz("breast_cancer")
    x, y = x.astype(np.float64), y.astype(np.int64)
    if return_names:
        return x, y, BREAST_CANCER_FEATURES, BREAST_CANCER_CLASSES
    return x, y


def load_penguins(return_names: bool = False):
    """The Palmer penguins as a regression set: predict a penguin's body mass (333 birds).

    Returns (x, y), or (x, y, feature_names, target_name) with return_names=True:
        x: (333, 10) float64, one row per bird, the columns of PENGUINS_FEATURES:
           0 bill length (mm), 1 bill depth (mm), 2 flipper length (mm),
           3 male (1.0 male, 0.0 female; 168 male, 165 female),
           4-6 species one-hot: Adelie (146), Chinstrap (68), Gentoo (119),
           7-9 island one-hot: Biscoe, Dream, Torgersen;
           the measurements differ in scale (about 15 to 230): standardize them, e.g. with
           scratchnet.data.StandardScaler fitted on the training part;
        y: (333,) float64, the body mass in grams (2700 to 6300);
        feature_names: the 10 strings of PENGUINS_FEATURES; target_name: "body mass (g)".
    Source, licence (CC0) and the file it was made from: see this module's docstring.
    Usage: x, y = load_penguins(); x4 = x[:, :4]  (the measurements and sex only)
    """
    x, y = _load_npz("penguins")
    x, y = x.astype(np.float64), y.astype(np.float64)
    if return_names:
        return x, y, PENGUINS_FEATURES, PENGUINS_TARGET
    return x, y
