"""Layers: each does its own forward and backward by hand. See base.py for the contract."""
from scratchnet.layers.base import Layer, check_array, iter_layers
from scratchnet.layers.dense import Dense, dense_backward, dense_forward
from scratchnet.layers.activations import (ELU, Identity, LeakyReLU, Maxout, NotDifferentiableError,
                                           ReLU, Sigmoid, Softmax, Step, Tanh, sigmoid, softmax,
                                           softmax_jacobian)
from scratchnet.layers.reshape import Flatten
from scratchnet.layers.conv import Conv2D
from scratchnet.layers.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from scratchnet.layers.dropout import Dropout
from scratchnet.layers.normalization import BatchNorm1D, BatchNorm2D, LayerNorm
from scratchnet.layers.residual import Residual
from scratchnet.layers.embedding import Embedding, GlobalAvgPool1D
from scratchnet.layers.attention import (FixedMask, MultiHeadSelfAttention, PositionalEncoding,
                                        TimeDistributed, TransformerEncoderBlock,
                                        sinusoidal_encoding)
from scratchnet.layers.recurrent import GRU, LSTM, SimpleRNN
