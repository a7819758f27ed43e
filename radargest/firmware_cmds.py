"""``radargest firmware run | size``: the Cortex-M4F image of a bundle in QEMU, and its flash and RAM.

Thin commands over :mod:`deploy.firmware` (no TensorFlow). ``run`` builds ``<bundle>/firmware`` when it is
missing (``radargest export --target cortex-m4f`` writes it) and prints the same JSON events as ``detect``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_firmware_commands", "cmd_firmware_run", "cmd_firmware_size"]


def _project(bundle: Path) -> Path:
    from deploy.firmware import build_firmware, write_project

    project = bundle / "firmware"
    if not (project / "firmware.elf").is_file():  # said on stderr: --json keeps stdout to itself
        print(f"building the Cortex-M4F image in {project} (export --target cortex-m4f writes it)", file=sys.stderr)
    if not (project / "Makefile").is_file():
        write_project(bundle, project)
    if not (project / "firmware.elf").is_file():
        build_firmware(project)
    return project


def cmd_firmware_run(args: argparse.Namespace) -> int:
    """``radargest firmware run BUNDLE --replay FILE.h5 [--json] [--always-on]``."""
    from deploy.firmware import run_firmware
    from deploy.runtime import load_bundle

    bundle = load_bundle(args.bundle)
    events, run = run_firmware(args.replay, bundle, always_on=args.always_on)
    for ev in events:
        if args.json:
            print(ev.to_json())
        else:
            print(f"{ev.t_s:9.3f} s  frames {ev.start_frame}-{ev.end_frame}  {ev.gesture:<16} {ev.score:.2f}")
    per = {k: (None if v != v else round(v)) for k, v in run.per_frame.items()}
    summary: dict[str, Any] = {"counters": run.counters, "instructions": per}
    print(json.dumps(summary) if args.json else _summary(run.counters, per), file=sys.stderr)
    return 0


def _summary(c: dict[str, int], per: dict[str, Any]) -> str:
    """The run's one stderr line; a mean over no run (a stream with no motion never ran the encoder or the
    head, ``per`` holds None) says nothing was measured rather than printing None."""
    runs = [f"per {part} run {per[f'{part}_run']}" for part in ("encoder", "head") if per[f"{part}_run"] is not None]
    missing = [part for part in ("encoder", "head") if per[f"{part}_run"] is None]
    if missing:
        runs.append(f"no {' or '.join(missing)} run measured")
    sensed = f"per sensed frame {per['frame']}" if per["frame"] is not None else "no sensed frame measured"
    return (
        f"{c['decisions']} event(s); sensed {c['sensor_frames']} of {c['frames']} frames, encoder runs "
        f"{c['encoder_runs']}, head runs {c['head_runs']}; instructions {sensed}, per "
        f"full-rate frame {per['full_rate_frame']}, {', '.join(runs)}; stack {c['stack_bytes']} B"
    )


def cmd_firmware_size(args: argparse.Namespace) -> int:
    """``radargest firmware size BUNDLE``."""
    from deploy.firmware import firmware_size
    from deploy.runtime import load_bundle

    load_bundle(args.bundle)  # a missing or tampered bundle: one line saying so, before any build
    size = firmware_size(_project(Path(args.bundle)))
    if args.json:
        print(
            json.dumps(
                {"flash": size.flash, "ram": size.ram, "flash_total": size.flash_total, "ram_total": size.ram_total}
            )
        )
    else:
        print(size.table())
    return 0


def add_firmware_commands(subparsers: Any) -> None:
    """Register ``firmware run|size`` on the main parser's subparsers."""
    p = subparsers.add_parser(
        "firmware",
        help="the Cortex-M4F image of a bundle: run it in QEMU on a recording, or its flash and RAM",
        description="Needs the Debian packages gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm. "
        "The image (BUNDLE/firmware, written by 'radargest export --target cortex-m4f', built here if missing) "
        "holds the C features, throttle, decision layer and the int8 models compiled ahead of time to C.",
    )
    sub = p.add_subparsers(dest="firmware_command", metavar="ACTION", required=True)
    q = sub.add_parser(
        "run",
        help="run the image in QEMU (mps2-an386) on a recording; prints the same events as 'detect'",
        description="Streams FILE.h5's frames (bad ones masked as detect does) into the firmware over "
        "semihosting and prints its events (with --json one JSON object per line, as 'detect --json'). "
        "Counters and instructions per frame (QEMU -icount) go to stderr.",
    )
    q.add_argument("bundle", type=Path, metavar="BUNDLE", help="bundle folder from 'radargest export'")
    q.add_argument("--replay", type=Path, required=True, metavar="FILE.h5", help="recording to stream")
    q.add_argument("--json", action="store_true", help="one JSON object per event")
    q.add_argument("--always-on", action="store_true", help="no throttle: full rate, encoder on every frame")
    q.set_defaults(func=cmd_firmware_run)
    q = sub.add_parser(
        "size",
        help="flash and RAM of the image by part, from the ARM link map",
        description="Splits flash and RAM into models, features, throttle, decision, runtime and C library.",
    )
    q.add_argument("bundle", type=Path, metavar="BUNDLE", help="bundle folder from 'radargest export'")
    q.add_argument("--json", action="store_true", help="print JSON instead of a table")
    q.set_defaults(func=cmd_firmware_size)
