"""dlref: the NumPy reference implementation of the course.

Every chapter imports it and every exercise is graded against it.  Names
follow Keras, so that each dlref name maps one to one onto the framework
chapters: ``dlref.layers.Dense`` is ``keras.layers.Dense``,
``dlref.optimizers.Adam`` is ``keras.optimizers.Adam`` and so on.

The course's plot helpers live in ``dlref.plot`` (``from dlref import plot``).
It is not imported here, so that ``import dlref`` does not load matplotlib.
"""
from dlref import (activations, attention, conv, data, functional, gradcheck, graph,
                   initializers, layers, losses, models, neuron, optimizers, recurrent,
                   robustness)
from dlref.random import set_random_seed

__all__ = ["activations", "attention", "conv", "data", "functional", "gradcheck", "graph",
           "initializers", "layers", "losses", "models", "neuron",
           "optimizers", "recurrent", "robustness", "set_random_seed"]
__version__ = "0.1.0"
