"""Build the two small data sets that ship inside scratchnet (scratchnet/datasets/data/*.npz).

Why a script: the .npz files are binary, so this file is the record of exactly how they were
made. Both data sets come from the UCI Machine Learning Repository (licence CC BY 4.0); we take
the copies that the scikit-learn wheel carries as plain CSV text. scikit-learn is NOT imported
and NOT a dependency of scratchnet: we only read two CSV files out of its wheel (a zip file).

How the committed files were produced (scikit-learn 1.9.1, cp311 manylinux wheel):

    pip download scikit-learn==1.9.1 --no-deps -d /tmp/skl
    python tools/make_bundled_data.py /tmp/skl/scikit_learn-1.9.1-*.whl

SHA-256 of the CSV files read from that wheel (the script prints them again):
    digits.csv.gz        09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22
    breast_cancer.csv    fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed

Output (np.savez_compressed, no pickled objects, so np.load(..., allow_pickle=False) reads them):
    digits.npz         x: (1797, 64) uint8 pixel counts 0..16, y: (1797,) int64 digit 0..9
    breast_cancer.npz  x: (569, 30) float64,                    y: (569,) int64, 0 malignant, 1 benign
The CSV files hold one sample a row; the last column is the label. The first line of
breast_cancer.csv is a header "569,30,malignant,benign" that names label 0 and label 1.
"""
import csv
import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "scratchnet" / "datasets" / "data"
DIGITS_CSV = "sklearn/datasets/data/digits.csv.gz"
CANCER_CSV = "sklearn/datasets/data/breast_cancer.csv"


def read_rows(text: str) -> list[list[str]]:
    """Non-empty CSV rows of `text`."""
    return [row for row in csv.reader(io.StringIO(text)) if row]


def make_digits(raw_gz: bytes) -> None:
    """digits.csv.gz: 1797 rows of 64 pixel counts (0..16) and the digit."""
    rows = np.array(read_rows(gzip.decompress(raw_gz).decode("ascii")), dtype=np.float64)
    assert rows.shape == (1797, 65), rows.shape
    x, y = rows[:, :64], rows[:, 64]
    assert x.min() == 0 and x.max() == 16 and np.all(x == np.round(x))
    assert sorted(set(y.tolist())) == list(range(10))
    np.savez_compressed(OUT / "digits.npz", x=x.astype(np.uint8), y=y.astype(np.int64))


def make_breast_cancer(raw: bytes) -> None:
    """breast_cancer.csv: a header line, then 569 rows of 30 features and the label."""
    header, *rows = read_rows(raw.decode("ascii"))
    assert header == ["569", "30", "malignant", "benign"], header
    data = np.array(rows, dtype=np.float64)
    assert data.shape == (569, 31), data.shape
    x, y = data[:, :30], data[:, 30].astype(np.int64)
    assert np.bincount(y).tolist() == [212, 357]      # 212 malignant (0), 357 benign (1)
    np.savez_compressed(OUT / "breast_cancer.npz", x=x, y=y)


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as whl:
        digits, cancer = whl.read(DIGITS_CSV), whl.read(CANCER_CSV)
    for name, blob in ((DIGITS_CSV, digits), (CANCER_CSV, cancer)):
        print(f"{name}: sha256 {hashlib.sha256(blob).hexdigest()}")
    OUT.mkdir(parents=True, exist_ok=True)
    make_digits(digits)
    make_breast_cancer(cancer)
    print(f"wrote {OUT / 'digits.npz'} and {OUT / 'breast_cancer.npz'}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/make_bundled_data.py path/to/scikit_learn-*.whl")
    main(sys.argv[1])
