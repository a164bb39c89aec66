"""Claims that tutorials/20_acceleration.py prints: (regex, check) pairs; see tests/test_tutorials.py."""
import re
from pathlib import Path

RESULTS = (Path(__file__).resolve().parents[2] / "benchmarks" / "RESULTS.md").read_text()
RUN13 = RESULTS[RESULTS.index("## Run 13"):RESULTS.index("## Machine and versions (runs 7-12)")]


def _quoted_from_run13(m):
    """The CPU times the tutorial quotes are the numba rows of RESULTS.md's run 13."""
    name, fwd_ms = m[1].strip(), m[2]
    row = re.search(rf"^{re.escape(name)}\s+numba\s+(\S+)\s+(\S+)", RUN13, re.MULTILINE)
    return row is not None and row[1] == fwd_ms


def _files(m):
    names = m[1].split(", ")
    return (sum(n.endswith(".nbi") for n in names) == 1
            and sum(n.endswith(".nbc") for n in names) == 1
            and all(n.startswith("conv_numba._direct_forward-") for n in names))


CLAIMS = [
    # choosing a backend: the global choice, and a layer's own backend= that overrides it
    (r"^backends: \('reference', 'numba', 'cuda'\); default: numba$", present),
    (r"^after set_backend\('reference'\): get_backend\(\) = reference$", present),
    (r"^after set_backend\('numba'\): get_backend\(\) = numba$", present),
    (r"^layer with backend='reference' vs the global numba: max \|diff\| (\S+)$", below(1e-12)),
    (r"^one layer, global reference vs global numba: max \|diff\| (\S+)$", below(1e-12)),
    # without a GPU, 'cuda' is refused at once with the way out; with one, accepted
    (r"^GPU found by numba.cuda: (\w+)\nset_backend\('cuda'\): (\w+)",
     lambda m: (m[1], m[2]) in (("False", "refused"), ("True", "accepted"))),
    # equal results on every shape, then numba faster on the mid-size shape
    (r"^numba vs reference, every shape: largest relative difference (\S+)$", below(1e-13)),
    (r"^mid: LeNet conv1, 32x1x28x28 -> 6@5x5\s+direct\s+3,763,200\s", present),
    (r"^numba speed-up on the mid-size shape \(mid: LeNet conv1.*\): ([\d.]+)x$",
     lambda m: float(m[1]) > 2),
    (r"^numba threads: (\d+), threading layer: (\w+)$",
     lambda m: int(m[1]) >= 1 and m[2] in ("tbb", "workqueue", "omp")),
    # compiling at the first call, the cache files, loading from them in a new process
    (r"^empty cache, first call: ([\d.]+) s \(compiling\); second call: ([\d.]+) ms; "
     r"signatures compiled: (\d+)$",
     lambda m: float(m[1]) > 0.3 and float(m[2]) < 50 and m[3] == "1"),
    (r"^cache files written: (.+)$", _files),
    (r"^empty cache, first call: ([\d.]+) s.*\n.*\nnew process, same cache, first call: "
     r"([\d.]+) s \(loading\)", lambda m: float(m[2]) < float(m[1]) / 3),
    (r"^first call / second call with an empty cache: ([\d,]+)x$",
     lambda m: int(m[1].replace(",", "")) > 100),
    (r"^the library's own cache, .+__pycache__: (\d+) \.nbi index files$",
     lambda m: int(m[1]) >= 3),
    (r"^benchmarks/RESULTS.md run 13, .*: (\S+) s with an empty cache, (\S+) s cached$",
     lambda m: re.search(rf"^cold \(empty cache\)\s+\S+\s+{re.escape(m[1])}\s", RUN13, re.M)
     is not None and re.search(rf"^cached \(second run\)\s+\S+\s+{re.escape(m[2])}\s", RUN13,
                               re.M) is not None),
    # the CUDA kernels on the simulator: the reference's numbers, hundreds of times slower
    (r"^simulator on: True, numba.cuda.is_available\(\) there: True$", present),
    (r"^cuda backend on the simulator vs reference, .*: max \|diff\| (\S+)$", below(1e-12)),
    (r"^forward: 150 GPU threads in blocks of 16$", present),
    (r"^simulator \d+ ms, reference [\d.]+ ms: ([\d,]+)x slower$",
     lambda m: int(m[1].replace(",", "")) > 30),
    # where a GPU pays: arithmetic of the run-13 shapes, with times quoted from RESULTS.md
    (r"^(conv 1x28x28 -> 6@5x5 pad 2)\s+7,526,400\s+301,056\s+150\s+\S+\s+\S+\s+(\S+)\s", _quoted_from_run13),
    (r"^(conv 6x14x14 -> 16@5x5)\s+15,360,000\s+102,400\s+2,400\s+\S+\s+\S+\s+(\S+)\s",
     _quoted_from_run13),
    (r"^(conv 3x32x32 -> 32@3x3 pad 1)\s+56,623,104\s+2,097,152\s+864\s+\S+\s+\S+\s+(\S+)\s",
     _quoted_from_run13),
    (r"^(conv 32x32x32 -> 64@3x3 pad 1)\s+1,207,959,552\s+4,194,304\s+18,432\s+\S+\s+\S+\s+(\S+)\s",
     _quoted_from_run13),
    (r"^conv 1x28x28 -> 6@5x5 pad 2\s+\S+\s+\S+\s+\S+\s+\S+\s+([\d.]+)\s", lambda m: 7 < float(m[1]) < 9),
    (r"^conv 32x32x32 -> 64@3x3 pad 1\s+\S+\s+\S+\s+\S+\s+\S+\s+([\d.]+)\s",
     lambda m: 65 < float(m[1]) < 75),
    (r"^CPU rate, biggest vs smallest conv: ([\d.]+) vs ([\d.]+) GMAC/s$",
     lambda m: float(m[1]) > 3 * float(m[2])),
    # RESULTS.md really has no CUDA timings: if a GPU run adds some, section 5 must use them
    (r"^CUDA timings in benchmarks/RESULTS.md: none", lambda m: "No GPU has been lent" in RESULTS),
    (r"^saved figure: (.+20_backends\.png)$", file_exists),
]
