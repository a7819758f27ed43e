"""Fuzzing the bundle loader (``deploy.load_bundle``) with hypothesis.

Each example damages a copy of a real exported bundle: manifest fields deleted, retyped or set to odd
values (shapes, labels, versions, configs, NaN, huge numbers), the manifest's bytes flipped or cut, or a
model's bytes flipped with the manifest's sha256 updated to match (so LiteRT itself sees the damage).
Rule: a one-line :class:`BundleError` naming a file of the bundle, or a bundle that runs: continuous
detection over a short recorded stream completes. The files are never changed by loading.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fuzz_helpers import assert_one_line, byte_mutations, mutate_bytes, sha256
from hypothesis import given
from hypothesis import strategies as st

import dsp
from acquisition import load_session
from deploy import BundleError, load_bundle
from deploy.runtime import BUNDLE_MODELS, MANIFEST, detect_frames

pytestmark = pytest.mark.fuzz

_JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**64), 2**64),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=8),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


@pytest.fixture(scope="module")
def seed(demo_bundle: Path, sim_dir: Path) -> tuple[Path, dict[str, Any], list[tuple[Any, ...]], np.ndarray, Any]:
    """The bundle, its manifest and field paths, and 150 recorded frames with their geometry."""
    manifest = json.loads((demo_bundle / MANIFEST).read_text())
    session = load_session(sorted(sim_dir.glob("*.h5"))[0])
    geometry = dsp.FrameGeometry.from_sensor_config(
        session.sensor_config, session.metadata, frame_rate_hz=session.frame_rate_hz
    )
    return demo_bundle, manifest, _paths(manifest), session.frames[:150], geometry


@st.composite
def manifest_edit(draw: st.DrawFn, paths: list[tuple[Any, ...]]) -> tuple[str, tuple[Any, ...], Any]:
    path = draw(st.sampled_from(paths))
    kind = draw(st.sampled_from(["delete", "replace", "scale", "replace"]))
    if kind == "scale":
        return kind, path, draw(st.sampled_from([-1, 0, 0.5, 2, 1e9, 1e300, math.nan, math.inf]))
    return kind, path, draw(_JSON) if kind == "replace" else None


def apply_edit(manifest: Any, edit: tuple[str, tuple[Any, ...], Any]) -> None:
    kind, path, value = edit
    node = manifest
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    try:
        old = node[last]
    except (KeyError, IndexError, TypeError):
        return
    if kind == "delete":
        del node[last]
    elif kind == "replace":
        node[last] = value
    elif isinstance(old, int | float) and not isinstance(old, bool):
        node[last] = old * value
    elif isinstance(old, list):
        node[last] = old[: max(0, len(old) - 1)] if value == 0 else [*old, *old[:1]]


def _rehash(root: Path, manifest: dict[str, Any], name: str) -> None:
    if isinstance(manifest.get("files"), dict):
        manifest["files"][name] = hashlib.sha256((root / name).read_bytes()).hexdigest()


def _tree_hash(root: Path) -> dict[str, str]:
    return {p.name: sha256(p) for p in sorted(root.iterdir())}


@given(data=st.data())
def test_bundle_loader_fuzz(
    seed: tuple[Path, dict[str, Any], list[tuple[Any, ...]], np.ndarray, Any], data: st.DataObject
) -> None:
    bundle_dir, manifest0, paths, frames, geometry = seed
    with tempfile.TemporaryDirectory(prefix="radargest-fuzz-") as tmp:
        root = Path(tmp) / "bundle"
        shutil.copytree(bundle_dir, root)
        manifest = json.loads(json.dumps(manifest0))
        kind = data.draw(st.sampled_from(["fields", "fields", "manifest_bytes", "model_bytes"]), label="kind")
        if kind == "fields":
            for edit in data.draw(st.lists(manifest_edit(paths), min_size=1, max_size=4), label="edits"):
                apply_edit(manifest, edit)
            (root / MANIFEST).write_text(json.dumps(manifest))
        elif kind == "manifest_bytes":
            raw = (root / MANIFEST).read_bytes()
            (root / MANIFEST).write_bytes(mutate_bytes(raw, data.draw(byte_mutations(len(raw), hot=len(raw)))))
        else:
            name = data.draw(st.sampled_from(BUNDLE_MODELS), label="model")
            raw = (root / name).read_bytes()
            (root / name).write_bytes(mutate_bytes(raw, data.draw(byte_mutations(len(raw), hot=1024), label="edits")))
            _rehash(root, manifest, name)
            (root / MANIFEST).write_text(json.dumps(manifest))
        before = _tree_hash(root)
        try:
            bundle = load_bundle(root)
        except BundleError as exc:
            assert_one_line(exc, root)
        else:
            result = detect_frames(frames, bundle, geometry=geometry)
            assert all(0 <= e.start_frame < e.end_frame <= len(frames) for e in result.events)
            assert all(e.gesture in bundle.classes for e in result.events)
        assert _tree_hash(root) == before
