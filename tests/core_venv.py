"""A virtual environment holding the core install only, built offline from the test environment.

``pyproject.toml``'s ``[project] dependencies`` (no extras) are resolved through the installed
distributions' own metadata (``Requires-Dist`` with markers, extras followed), and each distribution of
that closure is linked file-tree by file-tree into a fresh ``venv``; radargest itself comes from the
clone through a ``.pth`` (as an editable install would). Nothing is downloaded, so the check runs on a
machine without network, and what the venv holds is exactly what ``pip install .`` would resolve to from
the same versions: if a core dependency pulled in TensorFlow, it would be in the venv.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

__all__ = ["REPO", "build_core_venv", "core_distributions"]

REPO = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def core_distributions(pyproject: Path = REPO / "pyproject.toml") -> dict[str, md.Distribution]:
    """The installed distributions the core requirements resolve to, by normalised name.

    Raises:
        LookupError: a core requirement (or one of its own) is not installed here.
    """
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    todo = [Requirement(d) for d in deps]
    found: dict[str, md.Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        req = todo.pop()
        key = (_norm(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            raise LookupError(f"core requirement {req} is not installed in {sys.prefix}") from None
        found[_norm(req.name)] = dist
        for text in dist.requires or []:
            sub = Requirement(text)
            envs = [{"extra": e} for e in ("", *req.extras)]
            if sub.marker is None or any(sub.marker.evaluate(env) for env in envs):
                todo.append(sub)
    return found


def _top_level_entries(dist: md.Distribution) -> set[str]:
    """First path parts of a distribution's installed files inside site-packages (scripts left out)."""
    files = dist.files
    if files is None:
        raise LookupError(f"{dist.metadata['Name']} has no RECORD: cannot tell its files")
    return {f.parts[0] for f in files if f.parts and f.parts[0] != ".." and f.parts[0] != "__pycache__"}


def build_core_venv(dest: Path) -> Path:
    """Create ``dest`` as a venv with the core install; returns its ``python``."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(dest)], check=True, capture_output=True)
    python = dest / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    here = Path(sysconfig.get_paths()["purelib"])
    for dist in core_distributions().values():
        root = Path(str(dist.locate_file("")))
        for entry in _top_level_entries(dist):
            src = root / entry
            link = site / entry
            if src.exists() and not link.exists():
                os.symlink(src, link)
    if not any(site.iterdir()):
        raise LookupError(f"nothing linked from {here}")
    (site / "radargest_clone.pth").write_text(str(REPO) + "\n")
    return python
