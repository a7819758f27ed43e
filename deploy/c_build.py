"""Building the C99 sources of ``deploy/c`` with the system compiler: objects for code size, a shared
library for the ctypes parity tests.

Code size is read from the ELF section headers of each object (no binutils needed): flash bytes are
``.text* + .rodata* + .data*``, RAM bytes ``.data* + .bss*``. Unwind tables are left out of the build
(``-fno-asynchronous-unwind-tables``), as on an MCU. On the host the figures are for the host ISA
(x86-64 here), an upper bound for Thumb-2 code.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "C_SOURCES",
    "C_SOURCE_DIR",
    "STRICT_FLAGS",
    "CBuildError",
    "ObjectSize",
    "build_shared_library",
    "compile_objects",
    "find_compiler",
    "object_size",
    "stage_sources",
]

C_SOURCE_DIR = Path(__file__).resolve().parent / "c"
"""Folder of the C99 sources shipped in a bundle."""

C_SOURCES = ("radargest_features.c", "radargest_throttle.c", "radargest_decision.c")
C_HEADERS = ("radargest_features.h", "radargest_throttle.h", "radargest_decision.h")

STRICT_FLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic")
"""Flags every build uses: the sources must stay warning-free C99."""


class CBuildError(RuntimeError):
    """The compiler is missing or failed; the message holds its command and output."""


def find_compiler() -> str | None:
    """``$CC``, else ``cc``, ``gcc`` or ``clang`` from PATH; None if there is none."""
    env = os.environ.get("CC")
    if env and shutil.which(env):
        return env
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return path
    return None


def stage_sources(out_dir: str | Path, *, config_h: str | Path | None = None) -> Path:
    """Copy the C sources and headers into ``out_dir`` (created) next to a ``config.h``.

    ``config_h`` is copied in when given; otherwise ``out_dir/config.h`` must already exist (e.g. from
    :func:`deploy.c_config.write_config_h`). Returns ``out_dir``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in C_SOURCES + C_HEADERS:
        src = C_SOURCE_DIR / name
        dst = out / name
        if src.resolve() != dst.resolve():
            shutil.copyfile(src, dst)
    cfg = out / "config.h"
    if config_h is not None and Path(config_h).resolve() != cfg.resolve():
        shutil.copyfile(config_h, cfg)
    if not cfg.is_file():
        raise CBuildError(f"{cfg} not found: write it with deploy.c_config.write_config_h or pass config_h")
    return out


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CBuildError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


def _compiler(compiler: str | None) -> str:
    cc = compiler or find_compiler()
    if cc is None:
        raise CBuildError("no C compiler found (set $CC or install cc/gcc/clang)")
    return cc


@dataclass(frozen=True, kw_only=True)
class ObjectSize:
    """Section sizes of one object file [bytes]."""

    text: int
    rodata: int
    data: int
    bss: int

    @property
    def flash(self) -> int:
        """Bytes in flash: code, constants and initialised data."""
        return self.text + self.rodata + self.data

    @property
    def ram(self) -> int:
        """Static RAM: initialised and zeroed data (state lives in caller structs, not here)."""
        return self.data + self.bss


def object_size(path: str | Path) -> ObjectSize:
    """Section sizes of an ELF object (32/64-bit, either endianness)."""
    raw = Path(path).read_bytes()
    if raw[:4] != b"\x7fELF":
        raise CBuildError(f"{path} is not an ELF object")
    is64 = raw[4] == 2
    end = "<" if raw[5] == 1 else ">"
    if is64:
        (shoff,) = struct.unpack_from(end + "Q", raw, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", raw, 0x3A)
        fmt, name_i, type_i, off_i, size_i = end + "IIQQQQIIQQ", 0, 1, 4, 5
    else:
        (shoff,) = struct.unpack_from(end + "I", raw, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", raw, 0x2E)
        fmt, name_i, type_i, off_i, size_i = end + "IIIIIIIIII", 0, 1, 4, 5
    headers = [struct.unpack_from(fmt, raw, shoff + i * shentsize) for i in range(shnum)]
    strtab = headers[shstrndx]
    base = strtab[off_i]

    def name(h: tuple[int, ...]) -> str:
        start = base + h[name_i]
        return raw[start : raw.index(b"\0", start)].decode("ascii", "replace")

    sizes = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
    for h in headers:
        n = name(h)
        for key in sizes:
            if n == f".{key}" or n.startswith(f".{key}."):
                sizes[key] += int(h[size_i])
        if n.startswith(".sdata") or n.startswith(".sbss"):
            sizes["data" if n.startswith(".sdata") else "bss"] += int(h[size_i])
    _ = type_i
    return ObjectSize(**sizes)


def compile_objects(
    out_dir: str | Path,
    flags: tuple[str, ...] = ("-Os",),
    *,
    config_h: str | Path | None = None,
    compiler: str | None = None,
) -> dict[str, int]:
    """Compile each C source to an object in ``out_dir`` and return its flash bytes.

    Args:
        out_dir: build folder; sources are staged there (:func:`stage_sources`).
        flags: optimisation and target flags, added to :data:`STRICT_FLAGS`.
        config_h: the ``config.h`` to build with (else ``out_dir/config.h``).
        compiler: compiler command (else :func:`find_compiler`).

    Returns:
        ``{"radargest_features": bytes, "radargest_throttle": bytes}``: ``.text + .rodata + .data`` of
        each object (:meth:`ObjectSize.flash`; :func:`object_size` gives the breakdown).
    """
    cc = _compiler(compiler)
    out = stage_sources(out_dir, config_h=config_h)
    sizes: dict[str, int] = {}
    for src in C_SOURCES:
        obj = out / (Path(src).stem + ".o")
        _run([cc, *STRICT_FLAGS, "-fno-asynchronous-unwind-tables", *flags, "-c", str(out / src), "-o", str(obj)])
        sizes[Path(src).stem] = object_size(obj).flash
    return sizes


def build_shared_library(
    out_dir: str | Path,
    *,
    config_h: str | Path | None = None,
    flags: tuple[str, ...] = ("-O2",),
    compiler: str | None = None,
    name: str = "libradargest_c.so",
) -> Path:
    """Build both sources into one shared library (``-shared -fPIC``, linked with libm) for ctypes."""
    cc = _compiler(compiler)
    out = stage_sources(out_dir, config_h=config_h)
    lib = out / name
    srcs = [str(out / s) for s in C_SOURCES]
    _run([cc, *STRICT_FLAGS, *flags, "-shared", "-fPIC", *srcs, "-o", str(lib), "-lm"])
    return lib
