"""Argument checks shared by every ``radargest`` command: argparse types for numbers (each refusing what the
library's config refuses, NaN and infinities included) and gesture lists, the checks of output paths (refuse
to replace existing output without ``--overwrite``, say which file a PNG really went to) and the refusal of
options that would be ignored.

The argparse types raise :class:`argparse.ArgumentTypeError`, so a bad value is a usage error naming the
option (exit code 2); the path checks raise :class:`ValueError`, which the main CLI prints as one line.
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

__all__ = [
    "Parser",
    "check_out_dir",
    "check_out_file",
    "finite_float",
    "float_above",
    "gesture_list",
    "given_values",
    "int_at_least",
    "learnable_gesture_list",
    "make_out_dir",
    "name_list",
    "non_negative_float",
    "non_negative_int",
    "number_list",
    "parse_command_line",
    "png_path",
    "positive_float",
    "positive_int",
    "probability",
    "progress_bar",
    "refuse_unused",
    "share",
    "share_below_one",
    "training_seed",
]

_N = TypeVar("_N", int, float)


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` that reads every argument starting with a minus and a digit as a negative number
    (an option's value), exponents included: Python 3.11's argparse reads ``-5`` and ``-0.5`` so but ``-1e9`` as an
    unknown option, so ``--prefix-hold-db -1e9`` failed with "expected one argument". No radargest option looks
    like a number. The subparsers of its ``add_subparsers`` are of the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d")


def name_list(what: str, *, example: str) -> Callable[[str], tuple[str, ...]]:
    """An argparse type: comma-separated names (blanks around and between the commas dropped), at least one;
    an empty list is an error naming ``what`` with the ``example``."""

    def parse(text: str) -> tuple[str, ...]:
        names = tuple(v.strip() for v in text.split(",") if v.strip())
        if not names:
            raise argparse.ArgumentTypeError(f"give at least one {what}, e.g. {example}")
        return names

    return parse


def number_list(item: Callable[[str], _N], *, example: str) -> Callable[[str], tuple[_N, ...]]:
    """An argparse type: comma-separated numbers split as :func:`name_list`, each parsed (and range-checked) by
    the argparse type ``item``, at least one."""
    names = name_list("number", example=example)

    def parse(text: str) -> tuple[_N, ...]:
        return tuple(item(v) for v in names(text))

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


def int_at_least(minimum: int, *, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer ``>= minimum`` (and ``<= maximum`` when given)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum or (maximum is not None and value > maximum):
            allowed = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
            raise argparse.ArgumentTypeError(f"{text!r} must be {allowed}")
        return value

    return parse


#: An argparse type: an integer ``>= 1`` (counts that must not be empty: epochs, trials, repetitions).
positive_int = int_at_least(1)

#: An argparse type: an integer ``>= 0`` (counts where 0 means none or off, seeds of ``numpy.random.default_rng``).
non_negative_int = int_at_least(0)

#: An argparse type: a training seed, an integer in ``[0, 2**32 - 1]``: ``keras.utils.set_random_seed`` seeds
#: ``numpy.random.seed``, which refuses anything else (after the data has loaded).
training_seed = int_at_least(0, maximum=2**32 - 1)


def float_above(minimum: float, *, inclusive: bool, maximum: float | None = None) -> Callable[[str], float]:
    """An argparse type: a finite number ``>= minimum`` (``inclusive``) or ``> minimum``, and ``<= maximum`` when
    given."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        if maximum is not None and not (value >= minimum and value <= maximum):
            raise argparse.ArgumentTypeError(f"{text!r} must be in [{minimum:g}, {maximum:g}]")
        if not (value >= minimum if inclusive else value > minimum):
            raise argparse.ArgumentTypeError(f"{text!r} must be {'>=' if inclusive else '>'} {minimum:g}")
        return value

    return parse


#: An argparse type: a finite number ``> 0`` (durations, rates).
positive_float = float_above(0.0, inclusive=False)

#: An argparse type: a finite number ``>= 0`` (a false-activation budget, a wait, a range where 0 means off).
non_negative_float = float_above(0.0, inclusive=True)

#: An argparse type: any finite number (a level in dB).
finite_float = float_above(-math.inf, inclusive=False)


def share(*, below_one: bool, above_zero: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in ``[0, 1)`` (``below_one``) or ``[0, 1]``; ``above_zero`` leaves out 0."""
    interval = f"{'(' if above_zero else '['}0, 1{')' if below_one else ']'}"

    def parse(text: str) -> float:
        value = finite_float(text)
        if not ((value > 0 if above_zero else value >= 0) and (value < 1 if below_one else value <= 1)):
            raise argparse.ArgumentTypeError(f"{text!r} must be in {interval}")
        return value

    return parse


#: An argparse type: a share in ``[0, 1)``.
share_below_one = share(below_one=True)

#: An argparse type: a share in ``(0, 1]``.
share_above_zero = share(below_one=False, above_zero=True)

#: An argparse type: a probability in ``[0, 1]`` (a score threshold above 1 would reject everything).
probability = share(below_one=False)


def given_values(args: argparse.Namespace, *dests: str, rename: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The options ``dests`` (argparse dest names, default None) that were given, as keyword arguments of a config
    or job (``rename``: dest → field name where they differ); an option left unset keeps the config's default."""
    names = rename or {}
    return {names.get(d, d): getattr(args, d) for d in dests if getattr(args, d) is not None}


def refuse_unused(args: argparse.Namespace, options: Sequence[str], *, applies: str) -> None:
    """Refuse options that were given but do nothing in this combination (a user who passes them expects an
    effect); ``options`` are argparse dest names, given means neither None nor False.

    Raises:
        ValueError: naming the options and when they apply.
    """
    # by identity: a numeric option given as 0 equals False, and is given all the same
    values = {name: getattr(args, name, None) for name in options}
    given = [f"--{name.replace('_', '-')}" for name, v in values.items() if v is not None and v is not False]
    if given:
        raise ValueError(f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} only {applies}")


def given_options(args: argparse.Namespace, *dests: str) -> dict[str, Any]:
    """The options ``dests`` given (not None) as config fields, for ``Config(**given_options(...))``: an unset or
    absent one keeps the config's own default (the parser's default is None so that :func:`refuse_unused` can tell)."""
    return {d: getattr(args, d) for d in dests if getattr(args, d, None) is not None}


def parse_command_line(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv`` like ``parser.parse_args``, but refuse unknown arguments in the chosen (sub)command's
    own words: its usage line, its name, and the nearest option it does have (argparse alone prints the top
    level's usage, which lists no command's options).

    Exits with status 2 on a usage error, as argparse does.
    """
    given = list(sys.argv[1:] if argv is None else argv)
    # the top level's options take no value, so what precedes the command is all its own: refuse an unknown one
    # first, before the command's missing required options hide it (`radargest --bogus train`)
    top = {s for action in parser._actions for s in action.option_strings}
    ahead = [a for a in itertools.takewhile(lambda a: a.startswith("-"), given) if a.split("=", 1)[0] not in top]
    if ahead:
        _refuse(parser, ahead)
    args, unknown = parser.parse_known_args(given)
    if not unknown:
        return args
    _refuse(_chosen_subparser(parser, args), unknown)


def _refuse(command: argparse.ArgumentParser, unknown: Sequence[str]) -> NoReturn:
    """``command``'s usage error for ``unknown`` arguments, each with its nearest option if one is close."""
    options = [s for action in command._actions for s in action.option_strings if s.startswith("--")]
    words = []
    for arg in unknown:
        option = arg.split("=", 1)[0]
        near = difflib.get_close_matches(option, options, n=1, cutoff=0.7) if option.startswith("--") else []
        words.append(f"{arg} (did you mean {near[0]}?)" if near else arg)
    command.error(f"unrecognized arguments: {' '.join(words)}")


def _chosen_subparser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost subparser that ``args`` chose (``parser`` itself without subcommands)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            name = getattr(args, action.dest, None)
            if name in action.choices:
                return _chosen_subparser(action.choices[name], args)
    return parser


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


def make_out_dir(path: Path, *, what: str = "--out folder") -> None:
    """Create the output folder ``path`` (and its parents) if missing; a folder that cannot be created (a
    read-only or virtual file system, a parent that is a file) is a one-line error naming it, not a bare
    ``[Errno ...]`` without the option.

    Raises:
        ValueError: naming the path, ``what`` it is and the system's reason.
    """
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{path}: cannot create the {what} ({exc.strerror or exc})") from None


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
    suffix.

    Raises:
        ValueError: ``path`` is a folder (matplotlib would write ``FOLDER.png`` beside it) or sits in a missing one
            (:func:`check_out_file`).
    """
    path = Path(path)
    check_out_file(path, overwrite=True, what="PNG")
    return path if path.suffix else path.with_name(path.name + ".png")


def progress_bar(desc: str, unit: str, *, hidden: bool) -> Callable[[Iterable[Any]], Iterable[Any]]:
    """The ``progress=`` callback of the library's long loops: a tqdm bar on stderr named ``desc``, counting
    ``unit``, over the items it wraps (none when ``hidden``: ``--quiet``, or stdout carrying JSON)."""
    from tqdm import tqdm  # here, so that ``--help`` does not import it

    def bar(items: Iterable[Any]) -> Iterable[Any]:
        return tqdm(list(items), desc=desc, unit=unit, disable=hidden, file=sys.stderr)

    return bar
