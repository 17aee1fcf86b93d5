"""What ``Sequential.fit`` reports while it trains (chapter 8, "Training an MLP on MNIST").

``History`` collects one value per epoch for every metric, as Keras's
``History`` callback does; ``ProgressBar`` prints Keras's progress line.
``fit(callbacks=[...])`` takes :class:`Callback` objects: :class:`EarlyStopping`
ends training when a monitored quantity (``val_loss`` by default) stops improving.
"""
import sys
import time
import warnings

import numpy as np


class History:
    """What ``fit`` returns: ``history`` maps each metric name to a list, one value per epoch."""

    def __init__(self):
        self.history = {}
        self.epoch = []

    def append(self, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)


class ProgressBar:
    """Keras-style progress line: ``1875/1875 [=====] - 3s 2ms/step - loss: 0.25``.

    ``verbose=1`` redraws one line with carriage returns (at most ten times a
    second), ``verbose=2`` prints one line per epoch, ``verbose=0`` nothing.
    """

    def __init__(self, total, verbose, stream=None, width=30):
        self.total, self.verbose, self.width = total, verbose, width
        self.stream = stream or sys.stdout
        self.start = self.last = time.perf_counter()

    def update(self, step, logs, final=False):
        now = time.perf_counter()
        if self.verbose == 0 or (not final and (self.verbose == 2 or now - self.last < 0.1)):
            return
        self.last = now
        elapsed = now - self.start
        metrics = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
        if self.verbose == 1:
            done = int(self.width * step / self.total)
            bar = "=" * done + (">" if done < self.width else "") + "." * (self.width - done - 1)
            line = f"\r{step}/{self.total} [{bar[:self.width]}] - {elapsed:.0f}s - {metrics}"
        else:
            line = f"{step}/{self.total} - {elapsed:.0f}s - {1000 * elapsed / step:.0f}ms/step - {metrics}"
        self.stream.write(line + ("\n" if final else ""))
        self.stream.flush()


class Callback:
    """Base class of what ``Sequential.fit(callbacks=[...])`` calls, with Keras's hook names.

    ``fit`` first calls ``set_model(model)`` and ``on_train_begin()``, then
    ``on_epoch_end(epoch, logs)`` after every epoch (``epoch`` counted from 0,
    ``logs`` the epoch's ``loss``, ``accuracy``, ``val_loss``, ...), and
    ``on_train_end()`` at the end.  A callback stops training by setting
    ``model.stop_training = True``; ``fit`` then ends after the current epoch.
    """

    model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving, as Keras's ``EarlyStopping``.

    After every epoch the monitored value ``current`` (``logs[monitor]``) is
    compared with the best value so far.  In ``"min"`` mode it is an
    improvement when ``current + min_delta < best``, in ``"max"`` mode when
    ``current - min_delta > best``; the first monitored value always is.
    ``wait`` counts the epochs since the last improvement; training stops at
    the end of the first epoch (not the very first one) with
    ``wait >= patience``.  So with ``patience=p`` it stops after ``p``
    epochs in a row without improvement, and ``stopped_epoch`` (from 0) is
    that epoch.

    Parameters
    ----------
    monitor : str
        The key of ``logs`` to watch, ``"val_loss"`` by default.
    min_delta : float
        The smallest change that counts as an improvement (its absolute value is used).
    patience : int
        Epochs without improvement before training stops.
    verbose : int
        1 prints ``Epoch N: early stopping`` (and which weights were restored).
    mode : {"auto", "min", "max"}
        ``"auto"`` minimises losses (``loss``, ``val_loss``) and maximises
        ``accuracy`` and ``val_accuracy``.
    baseline : float, optional
        As in Keras 3: ``wait`` restarts only at improvements that also beat
        the baseline.  While the baseline is not beaten, the first epoch
        without improvement after ``patience`` epochs stops training.
    restore_best_weights : bool
        At the end of training, put back the weights of the best epoch
        (``best_epoch``), whether or not training stopped early.
    start_from_epoch : int
        The first epochs (this many) are not monitored: a warm-up.

    Attributes
    ----------
    best, best_epoch, wait, stopped_epoch
        As in Keras; ``stopped_epoch`` stays 0 when training ran to the end.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            name = monitor[4:] if monitor.startswith("val_") else monitor
            if name in ("loss",):
                mode = "min"
            elif name in ("accuracy", "acc"):
                mode = "max"
            else:
                raise ValueError(f"cannot tell whether {monitor!r} should be minimised or "
                                 "maximised; pass mode='min' or mode='max'")
        for arg, value in (("patience", patience), ("start_from_epoch", start_from_epoch)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{arg} must be a non-negative integer, got {value!r}")
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        # a callback may be reused for another fit: start afresh
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _is_improvement(self, current, reference):
        if reference is None:
            return True
        if self.mode == "min":
            return current + self.min_delta < reference
        return current - self.min_delta > reference

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}", stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
