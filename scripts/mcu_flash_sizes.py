"""Converter form → MCU form (models.quantize.compact_for_micro) of int8 models, in bytes, per model and in total.

    python scripts/mcu_flash_sizes.py BUNDLE_DIR... [--search-dir SEARCH_DIR...] [--tflm-inputs N]

A bundle folder gives its ``encoder_int8.tflite`` and ``head_int8.tflite``. A search folder gives its chosen
trial's architecture (``chosen.json``), converted as the search's budget check converts it (random weights,
:func:`models.quantize.int8_footprint`; a trained model converts to the same converter size to the byte, and to
within a few bytes in the MCU form, whose shared arrays depend on the values), and the
converter size the search recorded, as a cross-check. ``--tflm-inputs N`` also runs N random int8 inputs
through TFLite Micro on both forms of every model and says whether the outputs are identical to the bit.
Nothing is trained and no held-out data is read.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path


def _bundle_models(bundle: Path) -> dict[str, bytes]:
    return {name: (bundle / f"{name}_int8.tflite").read_bytes() for name in ("encoder", "head")}


def _search_models(search_dir: Path) -> tuple[dict[str, bytes], int]:
    from models.architectures import ArchitectureConfig, build
    from models.quantize import int8_footprint
    from models.search import _randomise

    trial = json.loads((search_dir / "chosen.json").read_text()).get("trial") or {}
    if "architecture" not in trial or "flash_bytes" not in trial:
        raise ValueError(f"{search_dir / 'chosen.json'}: no chosen trial with its architecture (an older search)")
    fields = {f.name for f in dataclasses.fields(ArchitectureConfig)}
    arch = ArchitectureConfig(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in trial["architecture"].items() if k in fields}
    )
    model = build(arch)
    _randomise(model, 0)
    fp = int8_footprint(model, flatbuffers=True)
    return {name: fp[f"{name}_flatbuffer"] for name in ("encoder", "head")}, int(trial["flash_bytes"])


def _report(label: str, models: dict[str, bytes], tflm_inputs: int, note: str = "") -> str:
    """One line: converter → MCU sizes, and the TFLM bit-identity check when asked."""
    from models.quantize import compact_for_micro

    mcu = {name: compact_for_micro(fb) for name, fb in models.items()}
    sizes = {name: (len(fb), len(mcu[name])) for name, fb in models.items()}
    if tflm_inputs:
        import numpy as np

        from deploy.runtime import Int8Model
        from deploy.tflm import tflm_invoke

        rng = np.random.default_rng(0)
        same = []
        for name, fb in models.items():
            shape = Int8Model(fb, name=name).input_shape[1:]
            x = rng.integers(-128, 128, size=(tflm_inputs, *shape)).astype(np.int8)
            same.append(bool(np.array_equal(tflm_invoke(fb, x), tflm_invoke(mcu[name], x))))
        note += f"; TFLM outputs on {tflm_inputs} random inputs per model: " + (
            "identical" if all(same) else "DIFFERENT"
        )
    return _line(label, sizes, note)


def _line(label: str, sizes: dict[str, tuple[int, int]], note: str = "") -> str:
    conv = sum(c for c, _ in sizes.values())
    mcu = sum(m for _, m in sizes.values())
    parts = ", ".join(f"{n} {c} → {m}" for n, (c, m) in sizes.items())
    return f"{label}: {conv} → {mcu} B (−{conv - mcu} B, {100 * (conv - mcu) / conv:.1f} %; {parts}){note}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bundles", nargs="*", type=Path, help="bundle folders (encoder_int8.tflite, head_int8.tflite)")
    p.add_argument("--search-dir", action="append", type=Path, default=[], help="a search folder (chosen.json)")
    p.add_argument("--tflm-inputs", type=int, default=0, help="random int8 inputs for the TFLM check (default 0)")
    args = p.parse_args(argv)
    if not args.bundles and not args.search_dir:
        p.error("give at least one bundle folder or --search-dir")
    try:
        for bundle in args.bundles:
            print(_report(str(bundle), _bundle_models(bundle), args.tflm_inputs))
        for sd in args.search_dir:
            models, recorded = _search_models(sd)
            conv = sum(len(fb) for fb in models.values())
            check = "equal" if conv == recorded else f"DIFFERENT: {recorded} B"
            note = f"; the search recorded {recorded} B: {check}"
            print(_report(f"{sd} (chosen trial, random weights)", models, args.tflm_inputs, note))
    except (OSError, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
