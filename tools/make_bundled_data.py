"""Build the small data sets that ship inside scratchnet (scratchnet/datasets/data/*.npz).

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

Palmer penguins (penguins.npz), a real regression set with a public-domain licence:
    Source: K. B. Gorman, T. D. Williams and W. R. Fraser (2014), "Ecological sexual dimorphism
    and environmental variability within a community of Antarctic penguins (genus Pygoscelis)",
    PLoS ONE 9(3): e90081, https://doi.org/10.1371/journal.pone.0090081; data collected by
    Palmer Station Antarctica LTER; packaged by A. Horst, A. Hill and K. Gorman (R package
    palmerpenguins, https://allisonhorst.github.io/palmerpenguins/).
    Licence: CC0 1.0 (public-domain dedication). The wheel's METADATA says: "Data are available
    by CC-0 license in accordance with the Palmer Station LTER Data Policy and the LTER Data
    Access Policy for Type I data." (The Python package's code is MIT; we take no code from it,
    only its CSV file, and palmerpenguins is not a dependency of scratchnet.)
    File read: palmerpenguins/data/penguins.csv from palmerpenguins 0.1.6 (py3-none-any wheel):

        pip download palmerpenguins==0.1.6 --no-deps -d /tmp/pp
        python tools/make_bundled_data.py /tmp/pp/palmerpenguins-0.1.6-py3-none-any.whl

    SHA-256 of that CSV (checked, not only printed):
        penguins.csv         f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93
    The CSV has 344 rows: species, island, bill_length_mm, bill_depth_mm, flipper_length_mm,
    body_mass_g, sex, year, with "NA" where a value is missing. We keep the 333 rows that have
    no NA (2 birds were not measured at all, 9 more have no recorded sex) and drop the column
    year (the season of the study, not a property of the bird). Output:
    penguins.npz  x: (333, 10) float64: bill length (mm), bill depth (mm), flipper length (mm),
                     male (1) or female (0), species one-hot (Adelie, Chinstrap, Gentoo),
                     island one-hot (Biscoe, Dream, Torgersen);
                  y: (333,) float64, body mass in grams (the regression target).
    Rows keep the CSV's order. np.savez_compressed stamps the time into the zip, so a rebuild
    matches the committed file value for value, not byte for byte.

Usage: python tools/make_bundled_data.py WHEEL [WHEEL ...]; a scikit-learn wheel rebuilds
digits.npz and breast_cancer.npz, a palmerpenguins wheel rebuilds penguins.npz.
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
PENGUINS_CSV = "palmerpenguins/data/penguins.csv"
PENGUINS_SHA256 = "f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93"
PENGUINS_HEADER = ["species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm",
                   "body_mass_g", "sex", "year"]
SPECIES = ("Adelie", "Chinstrap", "Gentoo")
ISLANDS = ("Biscoe", "Dream", "Torgersen")


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


def penguin_arrays(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """penguins.csv (bytes) -> x (M, 10) float64 and y (M,) float64 body mass in grams, for
    the M rows without "NA" (see the module docstring for the columns)."""
    header, *rows = read_rows(raw.decode("ascii"))
    if header != PENGUINS_HEADER:
        raise ValueError(f"penguins.csv: expected the header {PENGUINS_HEADER}, got {header}")
    x, y = [], []
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"penguins.csv: expected {len(header)} fields, got {row}")
        if "NA" in row:
            continue
        species, island, bill_len, bill_depth, flipper, mass, sex, _year = row
        if species not in SPECIES or island not in ISLANDS or sex not in ("male", "female"):
            raise ValueError(f"penguins.csv: unexpected species, island or sex in {row}")
        x.append([float(bill_len), float(bill_depth), float(flipper), float(sex == "male")]
                 + [float(species == s) for s in SPECIES] + [float(island == i) for i in ISLANDS])
        y.append(float(mass))
    return np.array(x, dtype=np.float64).reshape(-1, 10), np.array(y, dtype=np.float64)


def make_penguins(raw: bytes) -> None:
    """penguins.csv: 344 rows, 333 of them complete -> penguins.npz."""
    digest = hashlib.sha256(raw).hexdigest()
    if digest != PENGUINS_SHA256:
        raise ValueError(f"{PENGUINS_CSV}: sha256 {digest}, expected {PENGUINS_SHA256} "
                         f"(palmerpenguins 0.1.6); another version may hold other rows")
    x, y = penguin_arrays(raw)
    assert x.shape == (333, 10) and y.shape == (333,), (x.shape, y.shape)
    assert x[:, 4:7].sum(axis=0).tolist() == [146, 68, 119]     # Adelie, Chinstrap, Gentoo
    assert int(x[:, 3].sum()) == 168                             # 168 male, 165 female
    np.savez_compressed(OUT / "penguins.npz", x=x, y=y)


def main(wheels: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as whl:
            names = set(whl.namelist())
            if PENGUINS_CSV in names:
                penguins = whl.read(PENGUINS_CSV)
                print(f"{PENGUINS_CSV}: sha256 {hashlib.sha256(penguins).hexdigest()}")
                make_penguins(penguins)
                print(f"wrote {OUT / 'penguins.npz'}")
                continue
            if DIGITS_CSV not in names:
                raise SystemExit(f"{wheel}: holds neither {DIGITS_CSV} nor {PENGUINS_CSV}")
            digits, cancer = whl.read(DIGITS_CSV), whl.read(CANCER_CSV)
        for name, blob in ((DIGITS_CSV, digits), (CANCER_CSV, cancer)):
            print(f"{name}: sha256 {hashlib.sha256(blob).hexdigest()}")
        make_digits(digits)
        make_breast_cancer(cancer)
        print(f"wrote {OUT / 'digits.npz'} and {OUT / 'breast_cancer.npz'}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python tools/make_bundled_data.py WHEEL [WHEEL ...]  (a scikit_learn-*.whl "
                 "and/or a palmerpenguins-*.whl)")
    main(sys.argv[1:])
