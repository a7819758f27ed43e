"""``export --target cortex-m4f``: build the firmware of a bundle, measure it, and write the figures.

:func:`add_firmware_target` writes and builds ``<bundle>/firmware`` (:func:`deploy.firmware.write_project`),
then measures, on one recording (a validation-side recording of the run, never a held-out one):

- **bit-exactness** of the AOT models: recorded encoder inputs (the recording's maps, quantised) and head
  windows (the runtime's ring buffer) through LiteRT's builtin kernels, the host-compiled C and the ARM
  image in QEMU; the maximum difference in LSB of each;
- **events**: the firmware in QEMU against :func:`deploy.runtime.detect_frames` on the same frames,
  throttled and always-on;
- **instructions** per sensed frame, per full-rate frame, per encoder and head run (QEMU ``-icount``, see
  :mod:`deploy.firmware`);
- **size**: flash and RAM by part from the link map.

The figures go to ``manifest["report"]["firmware"]`` and to ``report.md``, where they replace the MCU
estimate.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from deploy.firmware import ICOUNT_SHIFT, ensure_firmware, firmware_size, run_frames, run_model_test

__all__ = ["add_firmware_target", "format_firmware_report", "recorded_model_inputs", "validation_recording"]


def validation_recording(bundle_dir: str | Path) -> Path:
    """The first recording of the bundle's streaming check (validation side of the run's split), found
    under the run's data folders."""
    import tomllib

    from deploy.firmware import FirmwareError

    manifest = json.loads((Path(bundle_dir) / "manifest.json").read_text(encoding="utf-8"))
    names = list(manifest["streaming"]["recordings"])
    cfg = Path(manifest["run"]) / "config.toml"
    data = tomllib.loads(cfg.read_text(encoding="utf-8")).get("data", []) if cfg.is_file() else []
    for name in names:
        for d in data:
            hits = sorted(Path(d).rglob(name)) if Path(d).is_dir() else ([Path(d)] if Path(d).name == name else [])
            if hits:
                return hits[0]
    raise FirmwareError(f"{bundle_dir}: no validation recording found for the firmware measurement; pass --measure")


def recorded_model_inputs(
    frames: npt.NDArray[Any], bundle: Any, *, max_frames: int = 400, every: int = 3
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """Encoder inputs of the first ``max_frames`` frames of a stream and the head windows the runtime's
    ring buffer holds every ``every`` frames (LiteRT encoder, requantised as the runtime does)."""
    import dsp
    from deploy.runtime import RingBuffer

    enc, head = bundle.encoder, bundle.head
    with np.errstate(invalid="ignore"):
        rd = np.nan_to_num(dsp.range_doppler(frames[:max_frames], cfg=bundle.features), nan=0.0, posinf=0.0, neginf=0.0)
    xs = np.stack([enc.quantise(r.reshape(enc.input_shape[1:])) for r in rd.astype(np.float32)])
    t = head.input_shape[1]
    ring = RingBuffer(t, head.input_shape[2])
    windows = []
    for i, x in enumerate(xs):
        real = (enc.invoke_int8(x).astype(np.float32) - enc.out_zero) * enc.out_scale
        ring.push(i, np.clip(np.round(real / head.in_scale) + head.in_zero, -128, 127).astype(np.int8))
        if i % every == every - 1:
            windows.append(ring.window(i + 1, t))
    return xs.reshape(len(xs), -1), np.stack(windows).reshape(len(windows), -1)


def _max_lsb(a: npt.ArrayLike, b: npt.ArrayLike) -> int:
    return int(np.abs(np.asarray(a, dtype=np.int32) - np.asarray(b, dtype=np.int32)).max())


def add_firmware_target(
    bundle_dir: str | Path,
    *,
    recording: str | Path,
    everyday: str | Path | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Build and measure the firmware of a bundle on ``recording`` (see the module docstring); updates the
    bundle's manifest and ``report.md`` and returns the firmware figures.

    ``recording`` is the dense stream (always-on and throttled); ``everyday`` (e.g. from ``radargest
    simulate --everyday``) adds the throttled everyday case to the energy table.

    Raises:
        acquisition.RecordingError: ``recording`` or ``everyday`` is no readable A121 record (checked first, not
            after the firmware build and run).
    """
    from acquisition import load_session
    from acquisition.recording import check_readable
    from deploy.aot import build_host_library
    from deploy.runtime import MANIFEST, detect_frames, load_bundle, session_stream, sha256_file

    say = log or (lambda _m: None)
    for path in (recording, everyday):
        if path is not None:
            check_readable(Path(path))
    root = Path(bundle_dir)
    bundle = load_bundle(root)
    frames, geometry = session_stream(load_session(Path(recording)), bundle)
    project = ensure_firmware(root, geometry)
    size = firmware_size(project)
    say(f"firmware: flash {size.flash_total} B, RAM {size.ram_total} B")

    # -- bit-exactness: LiteRT vs host C vs ARM image ------------------------------------------------
    xs, windows = recorded_model_inputs(frames, bundle)
    lite_e = np.stack([bundle.encoder.invoke_int8(x.reshape(bundle.encoder.input_shape)).ravel() for x in xs])
    lite_h = np.stack([bundle.head.invoke_int8(w.reshape(bundle.head.input_shape)).ravel() for w in windows])
    fbs = {"encoder": (root / "encoder_int8.tflite").read_bytes(), "head": (root / "head_int8.tflite").read_bytes()}
    with tempfile.TemporaryDirectory(prefix="radargest-aot-") as tmp:
        host = build_host_library(fbs, tmp)
        host_e = np.stack([host.invoke("encoder", x) for x in xs])
        host_h = np.stack([host.invoke("head", w) for w in windows])
    arm_e, arm_h, mcount, ipt = run_model_test(project, xs, windows)
    parity = {
        "recording": Path(recording).name,
        "encoder_inputs": len(xs),
        "head_inputs": len(windows),
        "host_c_vs_litert_lsb": {"encoder": _max_lsb(host_e, lite_e), "head": _max_lsb(host_h, lite_h)},
        "arm_vs_litert_lsb": {"encoder": _max_lsb(arm_e, lite_e), "head": _max_lsb(arm_h, lite_h)},
        "instructions_per_encoder_invoke": mcount["model_ticks_encoder"] * ipt / len(xs),
        "instructions_per_head_invoke": mcount["model_ticks_head"] * ipt / len(windows),
    }
    say(f"firmware: AOT models vs LiteRT, host {parity['host_c_vs_litert_lsb']}, ARM {parity['arm_vs_litert_lsb']}")

    # -- streams: events and instructions --------------------------------------------------------------
    from deploy.firmware.energy import McuPart, stream_figures

    streams: dict[str, Any] = {}
    energy: list[dict[str, Any]] = []
    for mode, always_on in (("throttled", False), ("always_on", True)):
        run = run_frames(project, frames, always_on=always_on)
        case = "always-on, sensor as recorded" if always_on else "throttled, dense"
        energy.append(stream_figures(case, run, manifest=bundle.manifest, geometry=geometry).to_dict())
        if always_on:
            low = stream_figures(
                "always-on, low-power full-rate state",
                run,
                manifest=bundle.manifest,
                geometry=geometry,
                low_power_always_on=True,
            )
            energy.append(low.to_dict())
        ref = detect_frames(frames, bundle, geometry=geometry, always_on=always_on)
        fw_events = [(s, e, lab, round(sc, 4)) for s, e, lab, sc, _f, acc in run.records if acc]
        py_events = [(d.start_frame, d.end_frame, bundle.classes.index(d.gesture), d.score) for d in ref.events]
        streams[mode] = {
            "frames": run.counters["frames"],
            "sensor_frames": run.counters["sensor_frames"],
            "encoder_runs": run.counters["encoder_runs"],
            "head_runs": run.counters["head_runs"],
            "events_firmware": len(fw_events),
            "events_detect": len(py_events),
            "events_identical": fw_events == py_events,
            "instructions": {k: (None if v != v else round(v)) for k, v in run.per_frame.items()},
            "stack_bytes": run.counters["stack_bytes"],
        }
        say(f"firmware {mode}: {len(fw_events)} events (detect {len(py_events)}), identical {fw_events == py_events}")
    if everyday is not None:
        ev_frames, ev_geo = session_stream(load_session(Path(everyday)), bundle)
        run = run_frames(ensure_firmware(root, ev_geo), ev_frames, always_on=False)
        fig = stream_figures("throttled, everyday", run, manifest=bundle.manifest, geometry=ev_geo)
        energy.append({**fig.to_dict(), "recording": Path(everyday).name})
        streams["everyday_throttled"] = {
            "frames": run.counters["frames"],
            "sensor_frames": run.counters["sensor_frames"],
            "encoder_runs": run.counters["encoder_runs"],
            "head_runs": run.counters["head_runs"],
            "instructions": {k: (None if v != v else round(v)) for k, v in run.per_frame.items()},
            "stack_bytes": run.counters["stack_bytes"],
        }
        # the everyday stream may run at another frame rate, so its image was rebuilt for it; the bundle keeps the
        # image its report sizes, built for the recording's rate
        ensure_firmware(root, geometry)
    part = McuPart()
    fw: dict[str, Any] = {
        "energy": energy,
        "mcu_part": dataclasses.asdict(part),
        "toolchain": "arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os",
        "qemu": f"qemu-system-arm -M mps2-an386 -icount shift={ICOUNT_SHIFT}",
        "frame_rate_hz": geometry.frame_rate_hz,
        "size": {
            "flash": size.flash,
            "ram": size.ram,
            "flash_total": size.flash_total,
            "ram_total": size.ram_total,
            "stack_reserved": size.stack_bytes,
        },
        "parity": parity,
        "streams": streams,
        "measured_on": Path(recording).name,
    }
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    manifest["report"]["firmware"] = fw
    from deploy.export import format_report

    (root / "report.md").write_text(format_report(manifest), encoding="utf-8")
    manifest["files"]["report.md"] = sha256_file(root / "report.md")
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1, allow_nan=False), encoding="utf-8")
    return fw


def format_firmware_report(manifest: dict[str, Any]) -> list[str]:
    """The firmware section of ``report.md`` (markdown lines)."""
    fw = manifest["report"]["firmware"]
    r = manifest["report"]
    sz = fw["size"]
    parts = ["models", "features", "throttle", "decision", "runtime", "C library", "other"]
    lines = [
        "## Firmware (Cortex-M4F, measured: ARM toolchain and QEMU mps2-an386)",
        "",
        f"Built with `{fw['toolchain']}` (int8 kernels -O2); run with `{fw['qemu']}`. "
        "Budget: 64 KiB flash, 16 KiB RAM (goal 48 / 8 KiB); the linker regions are cut to it.",
        "",
        "| part | flash [B] | RAM [B] |",
        "|---|---:|---:|",
    ]
    for p in parts:
        if sz["flash"].get(p, 0) or sz["ram"].get(p, 0):
            lines.append(f"| {p} | {sz['flash'].get(p, 0)} | {sz['ram'].get(p, 0)} |")
    lines += [
        f"| **whole image** | **{sz['flash_total']}** ({sz['flash_total'] / 1024:.1f} KiB) | "
        f"**{sz['ram_total']}** ({sz['ram_total'] / 1024:.1f} KiB) |",
        "",
        f"RAM includes {sz['stack_reserved']} B of reserved stack (high-water mark "
        f"{max(s['stack_bytes'] for s in fw['streams'].values())} B); models = AOT code, weights, kernels and "
        "the one activation arena both models share.",
        "",
        "### Instructions (QEMU -icount; SysTick ticks calibrated on a loop of known length)",
        "",
        "| stream | per sensed frame | per full-rate frame | per encoder run | per head run | features per frame "
        "| sensed frames | encoder runs | head runs |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mode, st in fw["streams"].items():
        i = st["instructions"]
        lines.append(
            f"| {mode} | {i['frame']} | {i['full_rate_frame']} | {i['encoder_run']} | {i['head_run']} | "
            f"{i['features_frame']} | {st['sensor_frames']} of {st['frames']} | {st['encoder_runs']} | "
            f"{st['head_runs']} |"
        )
    p = fw["parity"]
    lines += [
        "",
        f"Measured on `{fw['measured_on']}` (validation side). Model invocations alone (model test mode): "
        f"encoder {p['instructions_per_encoder_invoke']:.0f}, head {p['instructions_per_head_invoke']:.0f} "
        f"instructions ({r['macs']['encoder_per_frame']} and {r['macs']['head_per_hop']} MACs).",
        "",
        "### Parity",
        "",
        f"- AOT C models vs LiteRT builtin int8 kernels on {p['encoder_inputs']} recorded encoder inputs and "
        f"{p['head_inputs']} head windows: host C max {max(p['host_c_vs_litert_lsb'].values())} LSB, ARM image "
        f"max {max(p['arm_vs_litert_lsb'].values())} LSB.",
    ]
    for mode, st in fw["streams"].items():
        if "events_detect" in st:
            lines.append(
                f"- {mode}: firmware {st['events_firmware']} events, detect {st['events_detect']}; identical "
                f"(frames, class, score): {'yes' if st['events_identical'] else 'no'}."
            )
    part = fw["mcu_part"]
    lines += [
        "",
        f"### Energy and battery ({part['name']} at {part['clock_hz'] / 1e6:g} MHz, "
        f"{part['active_ua_per_mhz']:g} uA/MHz, {part['sleep_ua']:g} uA asleep between frames, "
        f"{part['cycles_per_instruction']:g} cycles per instruction; {part['battery_mah']:g} mAh cell at "
        f"{part['cell_v']:g} V)",
        "",
        "| case | instructions/s | MCU [mA] | A121 [mA] | total [mA] | power [mW] | battery [h] | A121 model |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for e in fw["energy"]:
        lines.append(
            f"| {e['case']} | {e['instructions_per_s'] / 1e6:.2f} M | {e['mcu_ma']:.3f} | {e['sensor_ma']:.3f} | "
            f"{e['total_ma']:.3f} | {e['mw']:.1f} | {e['battery_h']:.1f} | {e['sensor_model']} |"
        )
    lines += ["", "MCU: measured instructions at the stated part (deploy/firmware/energy.py)."]
    arena = r.get("arena", {})
    tflm_arena = sum(a["bytes"] for a in arena.values()) if arena else None
    lines += [
        "",
        "### TFLM path vs AOT C (same models)",
        "",
        "| | TFLM (`--backend tflm`) | AOT C (`--backend c`) |",
        "|---|---:|---:|",
        f"| model flash | {r['flash'].get('mcu_flatbuffer_bytes', r['flash']['tflite_bytes'])} B flatbuffers "
        "(MCU form, model_data.c) + the TFLM library | "
        f"{sz['flash'].get('models', 0)} B (code, weights, kernels) |",
        f"| activation memory | {tflm_arena if tflm_arena is not None else '—'} B arenas (two interpreters) | "
        f"{sz['ram'].get('models', 0)} B (one shared arena) |",
        "",
    ]
    return lines
