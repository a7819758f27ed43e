"""Generator of ``config.h``: every size, constant and table the C99 feature, throttle and decision
code needs.

The C sources in ``deploy/c/`` hold no sensor constants: sweeps, points, the Hann window, the DFT
twiddles, the motion-bin mask, the onset window lengths (at full and at idle rate) and the throttle's
frame counts all come from here, computed in float64 by the same :mod:`dsp` / :mod:`deploy.throttle`
code the Python pipeline runs, and written as float32 literals (``repr`` of the float32 value, so the C
compiler reads back the identical bits).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from deploy.throttle import ThrottleConfig, idle_geometry, idle_window
from dsp import FrameGeometry, OnsetConfig, ParameterError, RangeDopplerConfig, hann_window
from dsp.decision import DecisionPolicy

__all__ = ["config_h_text", "decision_config_values", "write_config_h"]

_COMPRESSION = {"none": 0, "log1p": 1, "db": 2}
_NORMALISATION = {"none": 0, "fixed": 1, "frame_max": 2}
_CLOSE_LOOK = 2  # RG_DECISION_CLOSE_LOOK (radargest_decision.h): the early mode of DecisionConfig.close_look


def _f(x: float) -> str:
    """A C float literal holding exactly ``float32(x)``."""
    v = float(np.float32(x))
    if not math.isfinite(v):
        raise ParameterError(f"config value {x!r} is not finite in float32")
    text = repr(v)
    if "e" not in text and "." not in text:
        text += ".0"
    return text + "f"


def _table(values: np.ndarray, fmt: str = "f") -> str:
    items = [_f(v) for v in values] if fmt == "f" else [str(int(v)) for v in values]
    lines = []
    for i in range(0, len(items), 6):
        lines.append("    " + ", ".join(items[i : i + 6]))
    return "{ \\\n" + ", \\\n".join(lines) + " \\\n}"


def decision_config_values(policy: DecisionPolicy) -> list[tuple[str, float | int]]:
    """The fields of ``rg_decision_config`` (radargest_decision.h) in order, as the policy counts them:
    frames of the policy's stream, float32 thresholds, the prefix flags last. ``early`` carries
    ``close_look`` as its mode ``RG_DECISION_CLOSE_LOOK`` (2), so a default config's initialiser is unchanged;
    without ``early`` the look has nothing to act on (every event is classified at its close), as in Python."""
    seg = policy.segmenter.cfg
    rate = policy.frame_rate_hz
    gap, min_len, pre, post = seg.frames(rate)
    return [
        ("on_db", seg.on_db),
        ("off_db", seg.off_db),
        ("min_area_db_frames", float(seg.min_area_db_frames(rate))),
        ("merge_gap_frames", gap),
        ("min_duration_frames", min_len),
        ("pre_roll_frames", pre),
        ("post_roll_frames", post),
        ("settle_frames", policy.settle),
        ("prefix_wait_frames", policy.wait),
        ("early", (_CLOSE_LOOK if policy.cfg.close_look else 1) if policy.cfg.early else 0),
        ("min_score", policy.cfg.min_score),
        ("sure_score", policy.cfg.sure_score),
        ("unsure_wait_frames", policy.unsure_wait),
        ("sure_max_runs", policy.cfg.sure_max_runs),
        ("prefix_hold_db", float(policy.cfg.prefix_hold_db)),
        ("min_peak_db", float(policy.cfg.min_peak_db)),
        ("gate_max_point", policy.gate_max_point),
        ("num_points", policy.num_points),
        ("window_frames", policy.window_frames),
        ("end_pad_frames", policy.end_pad),
        ("window_pre_frames", policy.pre),
        ("history_frames", policy.history),
        ("num_classes", len(policy.classes)),
        ("fallback_superseded", int(policy.cfg.fallback_superseded)),
        ("weak_on_db", float(policy.cfg.weak_on_db) if policy.weak is not None else 0.0),  # a level >= on_db: off
        ("refractory_frames", policy.refractory),
        ("weak_min_area_db_frames", float((policy.weak or policy).segmenter.cfg.min_area_db_frames(rate))),
        ("refractory_window", int(policy.cfg.refractory_window)),
    ]


def _decision_lines(policy: DecisionPolicy) -> list[str]:
    values = decision_config_values(policy)
    items = [_f(v) if isinstance(v, float) else str(v) for _, v in values]
    flags = ", ".join(str(int(v)) for v in policy.is_prefix)
    longer = ", ".join(str(int(v)) for v in policy.is_longer)
    prefix_names = ", ".join(c for c, v in zip(policy.classes, policy.is_prefix, strict=True) if v) or "none"
    return [
        "",
        f"/* decision layer (dsp.decision) at the onset rate {policy.frame_rate_hz:.4f} Hz: classes "
        f"{', '.join(policy.classes)}; prefixes: {prefix_names} */",
        f"#define RG_DECISION_NUM_CLASSES {len(policy.classes)}",
        "/* rg_decision_config initialiser: " + ", ".join(name for name, _ in values) + ", is_prefix, is_longer */",
        "#define RG_DECISION_CONFIG_DEFAULT { \\",
        "    " + ", ".join(items) + ", \\",
        "    { " + flags + " }, \\",
        "    { " + longer + " } \\",
        "}",
    ]


def config_h_text(
    *,
    geometry: FrameGeometry,
    rd_cfg: RangeDopplerConfig,
    onset_cfg: OnsetConfig,
    throttle_cfg: ThrottleConfig,
    decision: DecisionPolicy | None = None,
) -> str:
    """The text of ``config.h`` (see :func:`write_config_h`)."""
    if rd_cfg.clutter is not None:
        raise ParameterError("the C feature code has no clutter filter; use a RangeDopplerConfig with clutter=None")
    if abs(throttle_cfg.full_rate_hz - geometry.frame_rate_hz) > 0.05 * geometry.frame_rate_hz:
        raise ParameterError(
            f"throttle_cfg.full_rate_hz={throttle_cfg.full_rate_hz} does not match the geometry's frame rate "
            f"{geometry.frame_rate_hz:.3f} Hz"
        )
    s = geometry.sweeps_per_frame
    p = geometry.num_points
    rate = geometry.frame_rate_hz
    idle = idle_geometry(geometry, cfg=throttle_cfg)
    window = hann_window(s)
    angles = 2.0 * np.pi * np.arange(s) / s
    # fftshift: output bin k holds FFT bin (k - s//2) mod s
    src_bin = (np.arange(s) - s // 2) % s
    mask = onset_cfg.bin_mask(geometry).astype(np.int64)
    si = idle.sweeps_per_frame
    idle_angles = 2.0 * np.pi * np.arange(si) / si
    idle_src_bin = (np.arange(si) - si // 2) % si
    idle_mask = onset_cfg.bin_mask(idle).astype(np.int64)
    t = throttle_cfg
    defines = [
        ("RG_SWEEPS", str(s), "sweeps per frame [count]"),
        ("RG_POINTS", str(p), "distance points per sweep [count]"),
        ("RG_DOPPLER_BINS", str(s), "Doppler bins of a map (= RG_SWEEPS)"),
        ("RG_IDLE_SWEEPS", str(si), "sweeps per IDLE frame, the first sweeps of a full frame [count]"),
        ("RG_IDLE_POINT_STEP", str(throttle_cfg.idle_point_step), "IDLE points: every this-th full point [count]"),
        ("RG_IDLE_POINT_FIRST", str(throttle_cfg.idle_point_offset), "the full point the IDLE points start at [count]"),
        ("RG_IDLE_POINTS", str(idle.num_points), "distance points per IDLE sweep [count]"),
        ("RG_FRAME_RATE_HZ", _f(rate), "full frame rate the onset and throttle counts assume [Hz]"),
        ("RG_COMPRESSION", str(_COMPRESSION[rd_cfg.compression]), f"0 none, 1 log1p, 2 dB ({rd_cfg.compression})"),
        (
            "RG_NORMALISATION",
            str(_NORMALISATION[rd_cfg.normalisation]),
            f"0 none, 1 fixed, 2 frame_max ({rd_cfg.normalisation})",
        ),
        ("RG_INV_REFERENCE_AMPLITUDE", _f(1.0 / rd_cfg.reference_amplitude), "1 / reference_amplitude [1/counts]"),
        ("RG_DB_FLOOR", _f(rd_cfg.db_floor), "floor inside the dB log [relative]"),
        ("RG_INV_OUTPUT_SCALE", _f(1.0 / rd_cfg.output_scale), "1 / output_scale"),
        ("RG_ONSET_SMOOTH_FRAMES_FULL", str(onset_cfg.smoothing_frames(rate)), "onset moving mean at full rate"),
        ("RG_ONSET_FLOOR_FRAMES_FULL", str(onset_cfg.floor_frames(rate)), "onset floor window at full rate"),
        (
            "RG_ONSET_SMOOTH_FRAMES_IDLE",
            str(onset_cfg.smoothing_frames(idle.frame_rate_hz)),
            "onset moving mean at idle rate (the throttle's onset stream)",
        ),
        (
            "RG_ONSET_FLOOR_FRAMES_IDLE",
            str(onset_cfg.floor_frames(idle.frame_rate_hz)),
            "onset floor window at idle rate",
        ),
        ("RG_ONSET_QUANTILE", _f(onset_cfg.floor_percentile / 100.0), "floor percentile / 100"),
        ("RG_ONSET_METRIC_EPS", _f(onset_cfg.metric_eps), "added before the log [counts^2]"),
        ("RG_THROTTLE_IDLE_DECIMATION", str(t.idle_decimation), "full-rate periods per idle frame"),
        ("RG_THROTTLE_ONSET_DB", _f(t.onset_db), "idle onset ratio that wakes the throttle [dB]"),
        ("RG_THROTTLE_RELEASE_DB", _f(t.release_db), "ratio counted as ongoing motion [dB]"),
        ("RG_THROTTLE_WARMUP_FRAMES", str(t.warmup_frames), "full-rate frames before the head runs"),
        ("RG_THROTTLE_HOLD_FRAMES", str(t.hold_frames), "no motion for this long -> idle"),
        ("RG_THROTTLE_MAX_ACTIVE_FRAMES", str(t.max_active_frames), "awake this long -> cooldown"),
        ("RG_THROTTLE_COOLDOWN_FRAMES", str(t.cooldown_frames), "cooldown length [full-rate periods]"),
        ("RG_THROTTLE_HEAD_HOP_FRAMES", str(t.head_hop_frames), "frames between head runs"),
        ("RG_THROTTLE_BACKOFF_FRAMES", str(t.backoff_frames), "wake at the back-off level this long [periods]"),
        ("RG_THROTTLE_BACKOFF_ONSET_DB", _f(t.backoff_onset_db), "wake level during the back-off [dB]"),
        (
            "RG_IDLE_HISTORY",
            str(int(t.idle_history)),
            "1: encode every idle-rate frame's IDLE map into the ring, a wake keeps it (ThrottleConfig.idle_history)",
        ),
    ]
    width = max(len(name) for name, _, _ in defines) + 1
    out = [
        "/* config.h: generated by deploy.c_config.write_config_h; do not edit. */",
        "#ifndef RADARGEST_CONFIG_H",
        "#define RADARGEST_CONFIG_H",
        "",
        f"/* geometry: {s} sweeps at {geometry.sweep_rate_hz:g} Hz, {p} points from {geometry.start_point}"
        f" step {geometry.step_length}, frame rate {rate:.4f} Hz, idle rate {idle.frame_rate_hz:.4f} Hz */",
        "",
    ]
    for name, value, doc in defines:
        out.append(f"#define {name.ljust(width)}{value} /* {doc} */")
    out += [
        "",
        "/* Hann window over sweeps normalised to sum 1 (dsp.hann_window) */",
        f"#define RG_HANN_TABLE {_table(window)}",
        "",
        "/* cos and sin of 2*pi*m/RG_SWEEPS, m = 0..RG_SWEEPS-1 (DFT twiddles) */",
        f"#define RG_COS_TABLE {_table(np.cos(angles))}",
        f"#define RG_SIN_TABLE {_table(np.sin(angles))}",
        "",
        "/* FFT bin held by each fftshifted output bin */",
        f"#define RG_SHIFT_TABLE {_table(src_bin, 'd')}",
        "",
        f"/* 1 for the Doppler bins counted as motion (|v| >= {onset_cfg.min_speed_m_s} m/s), after fftshift */",
        f"#define RG_MOTION_BIN_TABLE {_table(mask, 'd')}",
        *(_decision_lines(decision) if decision is not None else []),
        "",
        f"/* the same tables for the onset power of an IDLE frame (RG_IDLE_SWEEPS sweeps, {t.idle_window} window) */",
        f"#define RG_IDLE_WINDOW_TABLE {_table(idle_window(t))}",
        f"#define RG_IDLE_COS_TABLE {_table(np.cos(idle_angles))}",
        f"#define RG_IDLE_SIN_TABLE {_table(np.sin(idle_angles))}",
        f"#define RG_IDLE_SHIFT_TABLE {_table(idle_src_bin, 'd')}",
        f"#define RG_IDLE_MOTION_BIN_TABLE {_table(idle_mask, 'd')}",
        "",
        "#endif /* RADARGEST_CONFIG_H */",
        "",
    ]
    return "\n".join(out)


def write_config_h(
    path: str | Path,
    *,
    geometry: FrameGeometry,
    rd_cfg: RangeDopplerConfig,
    onset_cfg: OnsetConfig,
    throttle_cfg: ThrottleConfig,
    decision: DecisionPolicy | None = None,
) -> Path:
    """Write ``config.h`` for ``deploy/c`` (parent folders created) and return its path.

    Args:
        path: output file.
        geometry: the frame geometry (sizes, Doppler axis, full frame rate).
        rd_cfg: range-Doppler feature config; ``clutter`` must be None.
        onset_cfg: onset metric config (window lengths emitted at full and at idle rate).
        throttle_cfg: throttle policy (frame counts from its ``full_rate_hz``).
        decision: the decision policy as the device runs it (on the onset stream: the idle rate of a
            throttled device); adds ``RG_DECISION_CONFIG_DEFAULT``.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        config_h_text(
            geometry=geometry, rd_cfg=rd_cfg, onset_cfg=onset_cfg, throttle_cfg=throttle_cfg, decision=decision
        ),
        encoding="utf-8",
    )
    return out
