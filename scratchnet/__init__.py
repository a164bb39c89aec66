"""scratchnet: a from-scratch deep-learning library for learning backpropagation.

Every layer writes its own forward and backward; `gradcheck` proves each gradient.
    from scratchnet import Sequential
    from scratchnet.layers import Dense, ReLU
"""
from scratchnet._config import as_rng, get_default_dtype, set_default_dtype
from scratchnet.kernels.backend import get_backend, set_backend
from scratchnet.model import History, Sequential, TrainingDiverged

__version__ = "0.1.0"
