"""Data sets for the course: toy sets made on the fly, three small real sets shipped with the
package (8x8 digits, breast cancer, penguins), a corpus of headlines made by a grammar
(sincere or satire), and loaders for MNIST, Fashion-MNIST and
CIFAR-10 files.

Everything works offline; only the loaders' download=True option uses the network.
    from scratchnet.datasets import spirals, load_digits, load_mnist
"""
from scratchnet.datasets.bundled import (BREAST_CANCER_CLASSES, BREAST_CANCER_FEATURES,
                                         PENGUINS_FEATURES, PENGUINS_TARGET, load_breast_cancer,
                                         load_digits, load_penguins)
from scratchnet.datasets.headlines import load_headlines
from scratchnet.datasets.cifar import CIFAR10_CLASSES, load_cifar10
from scratchnet.datasets.mnist import FASHION_CLASSES, MNIST_CLASSES, load_mnist, read_idx
from scratchnet.datasets.toy import (HOUSE_BASE_PRICE, HOUSE_PRICE_PER_100M2, PARK_FEATURES, blobs,
                                     circles, curve, house_prices, moons, park, spirals, xor)

__all__ = [
    "load_digits", "load_breast_cancer", "BREAST_CANCER_FEATURES", "BREAST_CANCER_CLASSES",
    "load_penguins", "PENGUINS_FEATURES", "PENGUINS_TARGET", "load_headlines",
    "load_mnist", "read_idx", "MNIST_CLASSES", "FASHION_CLASSES", "load_cifar10", "CIFAR10_CLASSES",
    "spirals", "moons", "circles", "xor", "blobs", "park", "house_prices", "curve",
    "HOUSE_BASE_PRICE", "HOUSE_PRICE_PER_100M2", "PARK_FEATURES",
]
