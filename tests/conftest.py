"""Shared test settings.

Hypothesis runs a modest number of random cases by default so that CI stays fast on 2 cores;
set HYPOTHESIS_PROFILE=thorough for a long run. Plots render headless (Agg).
"""
import os

import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile("default", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
