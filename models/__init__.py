"""radargest.models: datasets from labelled recordings, architectures, training, evaluation, quantisation.

Modules (import the one you need; none imports TensorFlow at import time):

- :mod:`models.data`: windows, splits by recording/day/subject, class balancing, augmentation.
- :mod:`models.architectures`: the builder registry (``cnn_tcn`` default, ``cnn_gru``), MAC counter.
- :mod:`models.config`: the frozen :class:`~models.config.TrainConfig`, its TOML form, run directories.
- :mod:`models.train`: training with early stopping; writes the run directory.
- :mod:`models.evaluate`: window and continuous-stream scores (``radargest evaluate --json`` keys).
- :mod:`models.quantize`: int8 TFLite candidates and the bit-width exploration.

Layering: imports :mod:`acquisition` and :mod:`dsp` only; the runtime path never imports this package.
"""

__all__ = ["architectures", "config", "data", "evaluate", "plots", "quantize", "train"]
