"""Install profiles: which optional extra a command needs, and the one-line error when it is missing.

The core install (``pip install radargest``) is the dev-board runtime and carries no TensorFlow
(DESIGN §8d). Commands that train, convert or export need ``[train]``; ``search`` and ``qat`` are
reserved for the search and quantisation-aware-training work. A command checks its extra before it
imports anything heavy (:func:`require_extra`), and the CLI turns a late ``ModuleNotFoundError`` of an
extra's module into the same one line (:func:`extra_for_module`).
"""

from __future__ import annotations

import importlib.util

__all__ = ["EXTRAS", "MissingExtraError", "extra_for_module", "missing_extra_message", "require_extra"]

EXTRAS: dict[str, tuple[str, ...]] = {
    "train": ("tensorflow", "keras"),
    "search": ("optuna", "ray"),
    "qat": ("tf_keras", "tensorflow_model_optimization"),
}
"""Each extra and the top-level modules it provides (checked in this order)."""


class MissingExtraError(RuntimeError):
    """A command needs an optional extra that is not installed; the message is one line naming it."""


def missing_extra_message(extra: str, *, what: str, module: str) -> str:
    """``"radargest train needs the [train] extra (no module 'tensorflow'): pip install 'radargest[train]'"``."""
    return f"{what} needs the [{extra}] extra (no module {module!r}): pip install 'radargest[{extra}]'"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken or half-removed package counts as missing
        return False


def require_extra(extra: str, *, what: str) -> None:
    """Raise :class:`MissingExtraError` unless every module of ``extra`` can be imported.

    Args:
        extra: a key of :data:`EXTRAS`.
        what: the command asking, for the message (e.g. ``"radargest train"``).
    """
    for module in EXTRAS[extra]:
        if not _installed(module):
            raise MissingExtraError(missing_extra_message(extra, what=what, module=module))


def extra_for_module(module: str | None) -> str | None:
    """The extra that provides top-level module ``module`` (``"tensorflow.lite"`` → ``"train"``), or None."""
    if not module:
        return None
    top = module.split(".", 1)[0]
    for extra, modules in EXTRAS.items():
        if top in modules:
            return extra
    return None
