"""What ``Sequential.fit`` reports while it trains (chapter 8, "Training an MLP on MNIST").

``History`` collects one value per epoch for every metric, as Keras's
``History`` callback does; ``ProgressBar`` prints Keras's progress line.
"""
import sys
import time


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
