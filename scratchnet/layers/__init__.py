"""Layers: each does its own forward and backward by hand. See base.py for the contract."""
from scratchnet.layers.base import Layer, check_array, iter_layers
