"""Shared test settings.

Hypothesis runs a modest number of random cases by default so that CI stays fast on 2 cores;
set HYPOTHESIS_PROFILE=thorough for a long run. Plots render headless (Agg). The `torch`
fixture gives the PyTorch comparisons their torch (see it for when they skip).
"""
import os

# CUDA kernels run on numba's CPU simulator unless SCRATCHNET_REAL_CUDA=1 (a machine with a
# GPU). This must happen before anything imports numba, which reads it once at import.
if os.environ.get("SCRATCHNET_REAL_CUDA") != "1":
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile("default", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def torch():
    """PyTorch, for the optional comparisons (tests marked `torch`). Skipped when torch is not
    installed (it is never a dependency), except under SCRATCHNET_REQUIRE_TORCH=1, as in CI
    after `pip install -e ".[reference]"`, where a missing torch is an error: those tests
    must really run there, not skip."""
    if os.environ.get("SCRATCHNET_REQUIRE_TORCH") == "1":
        import torch as module
        return module
    return pytest.importorskip("torch")
