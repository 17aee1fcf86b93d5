"""Saving a model to one ``.npz`` file and loading it back (chapter 8).

The file holds the architecture as JSON (each layer's ``get_config()``) and
the weights in Keras's order, so a saved model is rebuilt layer by layer and
then gets its weights with ``set_weights``.  Nothing is pickled.
"""
import json

import numpy as np

from dlref import layers as layers_module


def save_model(model, path):
    """Write ``model``'s architecture and weights to ``path`` (an ``.npz`` file)."""
    model.ensure_built(action="save")
    arrays = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    meta = {"config": model.get_config(), "input_shape": list(model.input_shape[1:])}
    np.savez(path, __model__=np.array(json.dumps(meta)), **arrays)


def load_model(path):
    """Rebuild a model written by :func:`save_model` (not compiled)."""
    from dlref.models import Sequential
    try:
        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["__model__"]))
            weights = [f[f"w{i}"] for i in range(len(f.files) - 1)]
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"{path} is not a model saved by dlref's Sequential.save: {exc}") from None
    model = Sequential([layers_module.from_config(l["class_name"], l["config"])
                        for l in meta["config"]["layers"]], name=meta["config"]["name"])
    model.build((None,) + tuple(meta["input_shape"]))
    model.set_weights(weights)
    return model
