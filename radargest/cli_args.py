"""Argument checks shared by every ``radargest`` command: argparse types for numbers and gesture lists, the
checks of output paths (refuse to replace existing output without ``--overwrite``, say which file a PNG
really went to) and the refusal of options that would be ignored.

The argparse types raise :class:`argparse.ArgumentTypeError`, so a bad value is a usage error naming the
option (exit code 2); the path checks raise :class:`ValueError`, which the main CLI prints as one line.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = [
    "check_out_dir",
    "check_out_file",
    "float_above",
    "gesture_list",
    "learnable_gesture_list",
    "name_list",
    "png_path",
    "positive_float",
    "positive_int",
    "probability",
    "refuse_unused",
    "share",
    "share_below_one",
]


def name_list(what: str, *, example: str) -> Callable[[str], tuple[str, ...]]:
    """An argparse type: comma-separated names (blanks around and between the commas dropped), at least one;
    an empty list is an error naming ``what`` with the ``example``."""

    def parse(text: str) -> tuple[str, ...]:
        names = tuple(v.strip() for v in text.split(",") if v.strip())
        if not names:
            raise argparse.ArgumentTypeError(f"give at least one {what}, e.g. {example}")
        return names

    return parse


#: An argparse type: comma-separated gesture names, at least one.
gesture_list = name_list("gesture", example="tap_in,wiggle")


def learnable_gesture_list(text: str) -> tuple[str, ...]:
    """An argparse type: :func:`gesture_list`, whose names a model can learn (identifiers, no ``none``, no
    duplicate; ``models.data.check_gesture_names``): what ``train``, ``search`` and ``record`` take."""
    from models.data import DataError, check_gesture_names

    names = gesture_list(text)
    try:
        check_gesture_names(names)
    except DataError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return names


def positive_int(text: str) -> int:
    """An argparse type: an integer ``>= 1``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 1")
    return value


def float_above(minimum: float, *, inclusive: bool) -> Callable[[str], float]:
    """An argparse type: a finite number ``>= minimum`` (``inclusive``) or ``> minimum``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if not (value >= minimum if inclusive else value > minimum):
            raise argparse.ArgumentTypeError(f"{text!r} must be {'>=' if inclusive else '>'} {minimum:g}")
        return value

    return parse


#: An argparse type: a finite number ``> 0`` (durations, rates).
positive_float = float_above(0.0, inclusive=False)


def share(*, below_one: bool) -> Callable[[str], float]:
    """An argparse type: a finite number in ``[0, 1)`` (``below_one``) or ``[0, 1]``."""
    at_least_zero = float_above(0.0, inclusive=True)

    def parse(text: str) -> float:
        value = at_least_zero(text)
        if value > 1 or (below_one and value == 1):
            raise argparse.ArgumentTypeError(f"{text!r} must be {'<' if below_one else '<='} 1")
        return value

    return parse


#: An argparse type: a share in ``[0, 1)``.
share_below_one = share(below_one=True)

#: An argparse type: a probability in ``[0, 1]`` (a score threshold above 1 would reject everything).
probability = share(below_one=False)


def refuse_unused(args: argparse.Namespace, options: Sequence[str], *, applies: str) -> None:
    """Refuse options that were given but do nothing in this combination (a user who passes them expects an
    effect); ``options`` are argparse dest names, given means neither None nor False.

    Raises:
        ValueError: naming the options and when they apply.
    """
    given = [f"--{name.replace('_', '-')}" for name in options if getattr(args, name, None) not in (None, False)]
    if given:
        raise ValueError(f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} only {applies}")


def check_out_dir(path: Path, *, overwrite: bool, what: str = "output folder") -> None:
    """Refuse an output folder that is a file, or a non-empty folder unless ``overwrite`` (commands that
    add files beside existing ones and refuse each existing file themselves pass ``overwrite=True``).

    Called before any long work, so a user who forgot ``--overwrite`` loses neither data nor time.

    Raises:
        ValueError: naming the path and the option to use.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path}: is a file, not a folder ({what})")
    if not overwrite and path.is_dir() and any(path.iterdir()):
        raise ValueError(f"{path}: {what} exists and is not empty (use --overwrite)")


def check_out_file(path: Path, *, overwrite: bool, what: str = "output file") -> None:
    """Refuse an output file that is a folder, sits in a missing folder, or exists unless ``overwrite``.

    Raises:
        ValueError: naming the path and the option to use.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a folder, not a file ({what})")
    if not path.parent.is_dir():
        raise ValueError(f"{path.parent}: no such folder for the {what}")
    if path.exists() and not overwrite:
        raise ValueError(f"{path}: {what} exists (use --overwrite)")


def png_path(path: Path) -> Path:
    """The file a figure saved to ``path`` really lands in: matplotlib adds ``.png`` to a name without a
    suffix (a folder given by mistake thus becomes ``FOLDER.png`` beside it, never a write into it)."""
    path = Path(path)
    return path if path.suffix else path.with_name(path.name + ".png")
