"""The bundle runtime: load an export bundle and run continuous recognition on frames (DESIGN §2, §8).

This module is the runtime path: it imports numpy, :mod:`acquisition`, :mod:`dsp`, :mod:`deploy.throttle`
and (when a bundle is loaded) ``ai_edge_litert``; never TensorFlow and never :mod:`models`.

**Bundle checks.** :func:`load_bundle` refuses, with a one-line :class:`BundleError`: a missing
``manifest.json``; a file whose sha256 differs from the manifest; a missing, empty or truncated model
(LiteRT cannot parse it). :func:`detect_file` refuses a recording whose sensor config differs from the
bundle's preset in a feature field, naming the fields.

**Streaming.** Per full-rate frame ``t`` the device computes the range-Doppler map (:class:`dsp.
RangeDopplerProcessor`), runs the int8 encoder once and pushes the embedding into a :class:`RingBuffer`;
the int8 head runs on the last ``T`` embeddings. Encoder outputs are requantised to the head's input
scale (both pairs read from the interpreters).

**Detection rule** (the continuous mode of ``models.evaluate``): the decision layer
:class:`dsp.DecisionPolicy` on the onset ratio, configured by the bundle manifest's ``"decision"`` (a
:class:`dsp.DecisionConfig`; an argument overrides it). At each checkpoint it asks for the head's
probabilities on the window that ends at :func:`dsp.event_window_end` of the event so far (clipped to the
frames seen so far and to ``DecisionConfig.history_s`` before them, :func:`dsp.decision_window_end`: the
ring buffer holds ``T`` + that history; a window that begins before the stream's first frame reads those
frames as the ring's fill, always-on the embedding of an all-zero map, as ``models.evaluate`` does), and
decides the event as soon as the evidence is in (a prefix gesture such as
``tap_in`` waits ``prefix_wait_s`` for the rest of a ``double_tap_in``). The C build
(``deploy/c/radargest_decision.c``) takes the same decisions at the same frames. Accepted decisions are
events ``{"start_frame", "end_frame", "t_s", "gesture", "score"}`` (``t_s`` = start frame / frame rate;
the event as known at the decision). Unlike ``evaluate``, the head runs once per checkpoint, on one
window (no test-time averaging).

**Throttled** (the default): :mod:`deploy.throttle` decides per sensed frame. On fixed-rate recordings an IDLE
frame is emulated as the device sees it: the frames the idle rate keeps, cut to their first ``idle_sweeps``
sweeps and every ``idle_point_step``-th point from ``idle_point_offset`` (the detector only ever reads those
samples of an IDLE frame).
The onset ratio comes from the throttle's single idle-rate onset stream (every frame's power on those
samples), so the decision policy
runs at the idle rate and its events are mapped back to full-rate frames (the window is placed at the full
rate). The encoder runs only when the policy says ``run_encoder`` (full-rate frames). At a wake-up
(``reset_head``) the ring buffer is cleared and its history filled with the embedding of the first frame the
device encodes after the wake: the IDLE frames have too few sweeps for a map, and that frame is the nearest in
time to what the device did not see (the last frame encoded before, at the end of the previous awake period,
may be seconds old: a stale scene that cost 10 points of accuracy on the real training days, issue 11).
``models.data.throttled_view`` trains exactly this view, background windows included
(``AugmentConfig.wake_exact``, on in the recipe's robust augmentation). With ``ThrottleConfig.idle_history``
(for a model trained with ``AugmentConfig.wake_history = "idle"``, the recipe's) every frame sensed at idle rate is
encoded from the map its IDLE sweeps and points give (:func:`dsp.idle_range_doppler`), held in the ring until
the next sensed frame, and a wake keeps that history (``models.data.idle_history_view`` trains that view; the
firmware runs the same, ``RG_IDLE_HISTORY``).
The head runs only at the decision policy's checkpoints (not on every hop: a window placed on the event is what the
model was trained on, and per-hop runs would only repeat it); a gesture decision is fed back to the throttle as
``decided``. **Always-on** runs the onset at full rate and the encoder on every frame.

Utilisation is reported against always-on as the throttle defines it (:class:`deploy.throttle.
Utilisation`: encoder on every frame, head every ``head_hop_frames``): sensor frames, MACs executed.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import dsp
from deploy.throttle import (
    OnsetBlock,
    Phase,
    ThrottleConfig,
    ThrottleObservation,
    ThrottleState,
    Utilisation,
    idle_geometry,
    idle_point_power,
    onset_due,
    step,
)
from dsp import decision_window_end, event_window_end
from dsp.decision import Decision, DecisionConfig, DecisionPolicy, history_frames, window_shift_frames

__all__ = [
    "BUNDLE_FORMAT_VERSION",
    "BUNDLE_MODELS",
    "MANIFEST",
    "Bundle",
    "BundleError",
    "DetectResult",
    "Detection",
    "Int8Model",
    "RingBuffer",
    "StreamingDetector",
    "check_frame_rate",
    "check_manifest",
    "check_recording",
    "check_sensor_fields",
    "detect_file",
    "detect_frames",
    "event_window_end",
    "events_json_lines",
    "load_bundle",
    "sensor_fields",
    "session_stream",
    "sha256_file",
]

MANIFEST = "manifest.json"
#: The two int8 flatbuffers of a bundle.
BUNDLE_MODELS = ("encoder_int8.tflite", "head_int8.tflite")


class BundleError(ValueError):
    """A bundle or an input that cannot be used; the message is one line naming the file."""


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def sensor_fields(sensor_config: Any, names: Sequence[str]) -> dict[str, Any]:
    """The named sensor-config fields as JSON values (enums by name)."""
    out: dict[str, Any] = {}
    for name in names:
        v = getattr(sensor_config, name)
        out[name] = v.name if isinstance(v, enum.Enum) else v
    return out


# -- interpreters ---------------------------------------------------------------------------------
class Int8Model:
    """An int8 flatbuffer in LiteRT (one thread), batch 1.

    Int8 I/O follows the TFLite affine scheme ``real = scale * (q - zero_point)``. Scale and zero point are
    read from the interpreter's tensor details (they come from calibration and differ per model), never
    hard-coded: inputs are quantised as ``q = clip(round(x / scale) + zero_point, -128, 127)``.

    The builtin int8 kernels run without LiteRT's default XNNPACK delegate: XNNPACK rounds int8 differently
    (up to 14 LSB on the head's softmax on real recordings), while the builtin kernels agree with TFLite
    Micro, what the device runs, within 1 LSB.
    """

    def __init__(self, flatbuffer: bytes, *, name: str = "model") -> None:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        self.name = name
        try:
            self.interpreter = Interpreter(
                model_content=flatbuffer,
                num_threads=1,
                experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
            )
            self.interpreter.allocate_tensors()
            inputs, outputs = self.interpreter.get_input_details(), self.interpreter.get_output_details()
            if len(inputs) != 1 or len(outputs) != 1:
                raise BundleError(f"{name}: expected one input and one output, got {len(inputs)} and {len(outputs)}")
            self.input, self.output = inputs[0], outputs[0]
            if np.dtype(self.input["dtype"]) != np.int8 or np.dtype(self.output["dtype"]) != np.int8:
                raise BundleError(f"{name}: expected int8 input and output")
            self.in_scale, self.in_zero = (float(v) for v in self.input["quantization"])
            self.out_scale, self.out_zero = (float(v) for v in self.output["quantization"])
            self.input_shape = tuple(int(d) for d in self.input["shape"])
            self.output_shape = tuple(int(d) for d in self.output["shape"])
            scales_ok = all(math.isfinite(v) and v > 0 for v in (self.in_scale, self.out_scale))
            if not scales_ok or not self.input_shape or not self.output_shape or min(self.input_shape) < 1:
                raise BundleError(f"{name}: bad int8 tensors ({self.input_shape} -> {self.output_shape})")
            self.invoke_int8(np.zeros(self.input_shape, dtype=np.int8))  # a damaged graph fails here, not mid-stream
        except BundleError:
            raise
        except Exception as exc:  # LiteRT raises ValueError/RuntimeError/UnicodeError on a damaged flatbuffer
            text = str(exc).strip().splitlines()
            raise BundleError(f"{name}: not a valid TFLite model ({text[0] if text else type(exc).__name__})") from None

    def quantise(self, x: npt.ArrayLike) -> npt.NDArray[np.int8]:
        """Float input → int8 with the input tensor's scale and zero point."""
        q = np.round(np.asarray(x, dtype=np.float32) / self.in_scale) + self.in_zero
        return np.clip(q, -128, 127).astype(np.int8)

    def dequantise(self, q: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Int8 output → float with the output tensor's scale and zero point."""
        return ((np.asarray(q, dtype=np.float32) - self.out_zero) * self.out_scale).astype(np.float32)

    def invoke_int8(self, q: npt.NDArray[np.int8]) -> npt.NDArray[np.int8]:
        """One invocation on an int8 input of the model's input size; the int8 output (batch axis dropped)."""
        self.interpreter.set_tensor(self.input["index"], np.asarray(q, dtype=np.int8).reshape(self.input_shape))
        self.interpreter.invoke()
        return np.array(self.interpreter.get_tensor(self.output["index"])[0])


class RingBuffer:
    """The last ``capacity`` frame embeddings (int8), indexed by full-rate frame number.

    Frames that were never pushed (the device did not encode them, or before the stream's first frame)
    read back as ``fill``.
    """

    def __init__(self, capacity: int, dim: int) -> None:
        if capacity < 1 or dim < 1:
            raise dsp.ParameterError(f"ring buffer needs capacity and dim >= 1, got {capacity}, {dim}")
        self.capacity = int(capacity)
        self.data = np.zeros((self.capacity, dim), dtype=np.int8)
        self.frame = np.full(self.capacity, -1, dtype=np.int64)
        self.fill = np.zeros(dim, dtype=np.int8)

    def reset(self, fill: npt.NDArray[np.int8] | None = None) -> None:
        """Forget every embedding; missing frames read as ``fill`` (default: unchanged)."""
        self.frame[:] = -1
        if fill is not None:
            self.fill = np.asarray(fill, dtype=np.int8).copy()

    def push(self, frame: int, embedding: npt.NDArray[np.int8]) -> None:
        """Store the embedding of full-rate frame ``frame`` (frames arrive in increasing order)."""
        slot = frame % self.capacity
        self.data[slot] = embedding
        self.frame[slot] = frame

    def window(self, end: int, length: int) -> npt.NDArray[np.int8]:
        """``(length, dim)`` embeddings of frames ``[end - length, end)``, oldest first."""
        frames = np.arange(end - length, end)
        slots = frames % self.capacity
        have = (self.frame[slots] == frames) & (frames >= 0)  # -1 marks an empty slot, never frame -1
        return np.where(have[:, None], self.data[slots], self.fill[None, :])


# -- bundle ---------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True, eq=False)
class Bundle:
    """A loaded, verified export bundle.

    Fields:
        path: the bundle folder.
        manifest: the parsed ``manifest.json``.
        encoder: per-frame int8 encoder ``(1, d, p, 1)`` → ``(1, embedding)``.
        head: int8 head ``(1, T, embedding)`` → ``(1, classes)`` probabilities.
    """

    path: Path
    manifest: dict[str, Any]
    encoder: Int8Model
    head: Int8Model

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.manifest["labels"])

    @property
    def window_frames(self) -> int:
        return int(self.manifest["model"]["window_frames"])

    @property
    def window_shifts_s(self) -> tuple[float, ...]:
        """The head's probabilities are averaged over the windows moved by these offsets [s] (``model``'s
        ``window_shifts_s``; a bundle written before it classifies the one window: ``(0.0,)``)."""
        return tuple(float(v) for v in self.manifest["model"].get("window_shifts_s", [0.0]))

    @property
    def features(self) -> dsp.RangeDopplerConfig:
        return dsp.RangeDopplerConfig(**self.manifest["features"]["range_doppler"])

    @property
    def onset(self) -> dsp.OnsetConfig:
        return dsp.OnsetConfig(**self.manifest["features"]["onset"])

    @property
    def segment(self) -> dsp.SegmentConfig:
        return dsp.SegmentConfig(**self.manifest["features"]["segment"])

    @property
    def throttle(self) -> ThrottleConfig:
        return ThrottleConfig(**self.manifest["throttle"])

    @property
    def macs(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.manifest["model"]["macs"].items()}

    @property
    def decision(self) -> DecisionConfig:
        """The manifest's decision layer (the defaults for a bundle written before it had one)."""
        section = self.manifest.get("decision")
        return DecisionConfig.from_json(section) if section else DecisionConfig()


def load_bundle(path: str | Path) -> Bundle:
    """Load and verify a bundle folder written by ``radargest export``.

    Raises:
        BundleError: no manifest, a sha256 mismatch, a missing file, or a model LiteRT cannot load.
    """
    root = Path(path)
    mpath = root / MANIFEST
    if not mpath.is_file():
        run = (root / "config.toml").is_file()
        hint = "; it is a training run: 'radargest export RUN --out BUNDLE' writes its bundle" if run else ""
        raise BundleError(f"{root}: not a bundle ({MANIFEST} not found){hint}")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        files: dict[str, str] = dict(manifest["files"])
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        text = str(exc).strip().splitlines()
        raise BundleError(f"{mpath}: unreadable manifest ({type(exc).__name__}: {text[0] if text else ''})") from None
    for name, digest in files.items():
        if Path(name).name != name or name in ("", ".", "..") or not isinstance(digest, str):
            raise BundleError(f"{mpath}: bad manifest (files entry {name!r}: {digest!r})")
    for name in BUNDLE_MODELS:
        if name not in files:
            raise BundleError(f"{mpath}: manifest lists no {name}")
    for name, digest in files.items():
        fpath = root / name
        if not fpath.is_file():
            raise BundleError(f"{fpath}: missing bundle file")
        if fpath.stat().st_size == 0:
            raise BundleError(f"{fpath}: empty file (truncated bundle)")
        actual = sha256_file(fpath)
        if actual != digest:
            raise BundleError(
                f"{fpath}: sha256 {actual[:12]}… does not match the manifest ({digest[:12]}…); "
                "the bundle was modified or truncated"
            )
    enc = Int8Model((root / BUNDLE_MODELS[0]).read_bytes(), name=str(root / BUNDLE_MODELS[0]))
    head = Int8Model((root / BUNDLE_MODELS[1]).read_bytes(), name=str(root / BUNDLE_MODELS[1]))
    bundle = Bundle(path=root, manifest=manifest, encoder=enc, head=head)
    check_manifest(bundle, mpath)
    return bundle


BUNDLE_FORMAT_VERSION = 1
"""The newest ``format_version`` of ``manifest.json`` this runtime reads."""
MAX_DURATION_S = 600.0
"""Upper bound of every ``*_s`` duration in a manifest (windows, onset, segmenter, throttle) [s]."""


def check_manifest(bundle: Bundle, mpath: Path) -> None:
    """Raise :class:`BundleError` unless every manifest field the runtime reads is there, well typed, and
    agrees with the models' own tensor shapes (so a bundle that loads also runs).

    The sha256 check cannot catch a hand-edited manifest: it holds the digests itself.
    """
    m = bundle.manifest

    def need(cond: bool, text: str) -> None:
        if not cond:
            raise ValueError(text)

    try:
        need(m.get("format") == "radargest-bundle", f"format {m.get('format')!r} is not 'radargest-bundle'")
        version: Any = m.get("format_version")
        need(type(version) is int and version >= 1, f"format_version {version!r} is not an integer >= 1")
        need(
            version <= BUNDLE_FORMAT_VERSION,
            f"format_version {version} is newer than this radargest reads ({BUNDLE_FORMAT_VERSION})",
        )
        classes = m["labels"]
        need(
            isinstance(classes, list) and len(classes) >= 2 and all(isinstance(c, str) and c for c in classes),
            "labels must be a list of at least two names",
        )
        need(len(set(classes)) == len(classes), f"labels {classes} repeat a name")
        need(classes[0] == "none", f"labels must start with 'none' (the rejection class), got {classes[0]!r}")
        enc_in, enc_out = bundle.encoder.input_shape, bundle.encoder.output_shape
        head_in, head_out = bundle.head.input_shape, bundle.head.output_shape
        need(len(classes) == head_out[-1], f"{len(classes)} labels for a head with {head_out[-1]} outputs")
        t = m["model"]["window_frames"]
        need(type(t) is int and t == head_in[1], f"model.window_frames {t!r} != the head's {head_in[1]} frames")
        shifts = m["model"].get("window_shifts_s", [0.0])
        need(
            isinstance(shifts, list)
            and len(shifts) >= 1
            and all(type(v) in (int, float) and math.isfinite(v) and -60.0 <= v <= 0.0 for v in shifts),
            f"model.window_shifts_s {shifts!r} must be one or more offsets in [-60, 0] s (a device cannot see "
            "frames not yet sensed)",
        )
        need(enc_out[-1] == head_in[-1], f"encoder gives {enc_out[-1]} values, head takes {head_in[-1]}")
        macs = bundle.macs
        for key in ("encoder_per_frame", "head_per_hop"):
            need(macs.get(key, -1) >= 0, f"model.macs.{key} must be a count >= 0")
        rd, onset, segment, throttle = bundle.features, bundle.onset, bundle.segment, bundle.throttle
        _ = (rd, onset, segment, bundle.decision)
        sensor = m["sensor"]
        need(isinstance(sensor["preset"], str), "sensor.preset must be a name")
        fields = sensor["fields"]
        need(isinstance(fields, dict), "sensor.fields must be an object")
        sweeps, points = fields.get("sweeps_per_frame"), fields.get("num_points")
        need(
            (sweeps, points) == enc_in[1:3],
            f"sensor fields give {sweeps}x{points} maps, the encoder takes {enc_in[1]}x{enc_in[2]}",
        )
        for key in ("end_pad_s", "pre_s"):
            need(key in m["window"], f"window.{key} is missing")
        sections = {
            "window": m["window"],
            "throttle": m["throttle"],
            **{f"features.{k}": v for k, v in m["features"].items()},
        }
        if isinstance(m.get("decision"), dict):
            sections["decision"] = m["decision"]
        for where, section in sections.items():
            for key, value in section.items():
                if key.endswith("_s"):  # durations size the runtime's buffers: keep them physical
                    need(
                        type(value) in (int, float) and 0 <= value <= MAX_DURATION_S,
                        f"{where}.{key} {value!r} is not a duration in [0, {MAX_DURATION_S:g}] s",
                    )
        need(
            math.isfinite(throttle.full_rate_hz) and throttle.full_rate_hz > 0,
            "throttle.full_rate_hz must be a positive rate",
        )
    except BundleError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, IndexError) as exc:
        text = str(exc).strip().splitlines()
        reason = text[0] if text and not isinstance(exc, KeyError) else f"missing field {exc}"
        raise BundleError(f"{mpath}: bad manifest ({reason})") from None


# -- detection ------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Detection:
    """One detected gesture event (DESIGN §2). ``latency_ms`` (not in the JSON contract): from the end of
    the sensed motion (``end_frame``) to the decision; the demo shows it next to the gesture."""

    start_frame: int
    end_frame: int
    t_s: float
    gesture: str
    score: float
    latency_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_frame": self.start_frame,
            "end_frame": self.end_frame,
            "t_s": self.t_s,
            "gesture": self.gesture,
            "score": self.score,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


@dataclass(frozen=True, kw_only=True, eq=False)
class DetectResult:
    """Events of a stream and the work done.

    Fields:
        events: accepted detections, in order.
        candidates: segmenter events classified (accepted or not).
        utilisation: sensor frames and network runs (:class:`deploy.throttle.Utilisation`).
        macs_executed: encoder and head MACs actually run.
        macs_always_on: encoder on every frame plus head every hop.
        always_on: the throttle was off.
        decided_at: per event, the full-rate frame at which the decision was made.
        transitions: ``(full-rate frame, new phase)`` at every throttle phase change (none always-on).
    """

    events: tuple[Detection, ...]
    candidates: int
    utilisation: Utilisation
    macs_executed: int
    macs_always_on: int
    always_on: bool
    decided_at: tuple[int, ...] = ()
    transitions: tuple[tuple[int, int], ...] = ()

    @property
    def mac_share(self) -> float:
        return self.macs_executed / self.macs_always_on if self.macs_always_on else math.nan

    def summary(self) -> str:
        u = self.utilisation
        return (
            f"{len(self.events)} event(s) from {self.candidates} candidate(s); "
            f"{'always-on' if self.always_on else 'throttled'}: MACs {self.macs_executed} of "
            f"{self.macs_always_on} always-on ({100 * self.mac_share:.1f} %), sensor frames {u.sensor_frames} "
            f"of {u.frames} ({100 * u.sensor_share:.1f} %), encoder runs {u.encoder_runs}, head runs {u.head_runs}"
        )


class StreamingDetector:
    """Frame-by-frame continuous recognition with a bundle (see the module docstring).

    Call :meth:`process` with every full-rate frame of a fixed-rate stream (the throttled detector skips
    the frames an idle-rate sensor would not deliver), then :meth:`flush`.
    """

    def __init__(
        self,
        bundle: Bundle,
        *,
        geometry: dsp.FrameGeometry,
        always_on: bool = False,
        decision: DecisionConfig | None = None,
        throttle: ThrottleConfig | None = None,
    ) -> None:
        self.bundle = bundle
        self.geometry = geometry
        self.always_on = always_on
        self.decision = decision or bundle.decision
        rate = geometry.frame_rate_hz
        base = throttle or bundle.throttle
        self.throttle = dataclasses.replace(base, full_rate_hz=rate)
        self.rd = dsp.RangeDopplerProcessor(cfg=bundle.features)
        onset_geo = geometry if always_on else idle_geometry(geometry, cfg=self.throttle)
        self.onset_cfg = bundle.onset
        self.onset = dsp.OnsetProcessor(cfg=self.onset_cfg, geometry=onset_geo)
        t = bundle.window_frames
        self.window_frames = t
        win = bundle.manifest["window"]
        self.end_pad = round(float(win["end_pad_s"]) * rate)
        self.pre = round(float(win["pre_s"]) * rate)
        self.policy = DecisionPolicy.on_onset_stream(
            cfg=self.decision,
            segment=bundle.segment,
            classes=bundle.classes,
            window_frames=t,
            full_rate_hz=rate,
            stream_rate_hz=onset_geo.frame_rate_hz,
            end_pad_s=float(win["end_pad_s"]),
            pre_s=float(win["pre_s"]),
            point_ranges_m=onset_geo.distances_m,  # the gate's range condition: the onset stream's points
            idle=not always_on,
        )
        self.segmenter = self.policy.segmenter
        # a classified window ends at most `history` frames before the current one (dsp.decision_window_end)
        self.history = history_frames(self.decision, rate)
        #: the head's windows end these many frames after the placed window's end (test-time shifts, <= 0)
        self.shift_frames = window_shift_frames(bundle.window_shifts_s, rate)
        dim = int(bundle.encoder.output_shape[-1])
        self.ring = RingBuffer(t + self.history - min(self.shift_frames), dim)
        # the head's input quantisation (read from the interpreter) and the encoder's output one
        self._requant = (bundle.encoder.out_scale, bundle.encoder.out_zero, bundle.head.in_scale, bundle.head.in_zero)
        self.ring.reset(self._encode(np.zeros(bundle.encoder.input_shape[1:3], dtype=np.float32), count=False))
        self.state = ThrottleState()
        self.block = OnsetBlock()
        self._block_points = np.zeros(onset_geo.num_points)  # the block's sum of per-point power
        self._block_frames = 0
        self.idle_sweeps = self.throttle.idle_sweeps
        self._fill_pending = False  # a wake-up: the next embedding fills the ring's history
        self.full_rate_frames = 0
        self.switches = 0
        self._last_full: bool | None = None
        #: (full-rate frame, new phase) at every phase change of the throttle (for parity checks)
        self.transitions: list[tuple[int, int]] = []
        self.decided = False
        self.t = 0
        self.onset_frames: list[int] = []  # full-rate frame of each onset sample fed to the segmenter
        self.events: list[Detection] = []
        self.decided_at: list[int] = []
        self.candidates = 0
        self.sensor_frames = 0
        self.onset_runs = 0
        self.encoder_runs = 0
        self.head_runs = 0

    # -- network ----------------------------------------------------------------------------------
    def _encode(self, rd: npt.NDArray[np.float32], *, count: bool = True) -> npt.NDArray[np.int8]:
        """Encoder on one map; the embedding requantised to the head's input scale (int8)."""
        enc = self.bundle.encoder
        q = enc.invoke_int8(enc.quantise(rd.reshape(enc.input_shape[1:])))
        if count:
            self.encoder_runs += 1
        s_out, z_out, s_in, z_in = self._requant
        # real = s_out * (q - z_out); q_head = round(real / s_in) + z_in
        real = (q.astype(np.float32) - z_out) * s_out
        return np.clip(np.round(real / s_in) + z_in, -128, 127).astype(np.int8)

    def _features(self, frame: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
        with np.errstate(invalid="ignore"):
            rd = self.rd.process(frame)
        return np.nan_to_num(rd, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)

    def _head(self, start: int, end: int, window_end: int, now: int) -> npt.NDArray[np.float32]:
        """Head probabilities for the policy's event ``[start, end)`` (policy frames) at full-rate frame
        ``now``: always-on uses the policy's window; throttled places it on the event mapped to full rate."""
        t = self.window_frames
        if self.always_on:
            w_end = window_end
        else:
            s, e = self._to_frames(start, end, now)
            w_end = decision_window_end(
                s, e, now, window_frames=t, end_pad=self.end_pad, pre=self.pre, history=self.history
            )
        head = self.bundle.head
        # the frames [w_end + shift - T, w_end + shift): all seen (w_end <= now + 1, shift <= 0); frames before
        # the stream read as the fill. The probabilities are averaged over the shifts as the evaluation does
        # (models.evaluate.stream_scores: float64 sum in the shifts' order, divided, then float32).
        acc = np.zeros(len(self.bundle.classes), dtype=np.float64)
        for shift in self.shift_frames:
            acc += head.dequantise(head.invoke_int8(self.ring.window(w_end + shift, t)))
            self.head_runs += 1
        return np.asarray(acc / len(self.shift_frames), dtype=np.float32)

    def _decided(self, d: Decision, now: int) -> None:
        self.candidates += 1
        if not d.accepted:
            return
        start, end = self._to_frames(d.start_frame, d.end_frame, now)
        self.decided = True
        self.decided_at.append(now)
        rate = self.geometry.frame_rate_hz
        self.events.append(
            Detection(
                start_frame=int(start),
                end_frame=int(end),
                t_s=round(start / rate, 3),
                gesture=self.bundle.classes[d.label],
                score=round(float(d.score), 4),
                latency_ms=round((now + 1 - end) / rate * 1000.0, 1),
            )
        )

    def _segment(self, ratio: float, now: int, point_power: npt.NDArray[np.float64] | None = None) -> None:
        self.onset_frames.append(now)
        for d in self.policy.process(ratio, lambda s, e, w: self._head(s, e, w, now), point_power):
            self._decided(d, now)

    def _to_frames(self, s: int, e: int, now: int) -> tuple[int, int]:
        idx = self.onset_frames
        start = idx[min(max(s, 0), len(idx) - 1)]
        end = idx[e] if e < len(idx) else now + 1
        return start, end

    # -- stream -----------------------------------------------------------------------------------
    def wants(self, t: int) -> bool:
        """Whether the throttled sensor delivers full-rate frame ``t`` (always True always-on)."""
        return self.always_on or t >= self.t

    def process(self, frame: npt.NDArray[Any], t: int) -> None:
        """Consume full-rate frame ``t`` (frames not :meth:`wants` are ignored, as a device never sees them)."""
        if not self.wants(t):
            return
        self._last_seen = t
        self.sensor_frames += 1
        self.decided = False
        if self.always_on:
            rd = self._features(frame)
            self.ring.push(t, self._encode(rd))
            power, frame_points = self.onset.powers(frame)
            _, _, ratio = self.onset.process_power(power)
            self.onset_runs += 1
            self._segment(ratio, t, frame_points)
            self.t = t + 1
            return
        cfg = self.throttle
        full = self.state.phase in (Phase.ONSET, Phase.ACTIVE)
        if self._last_full is not None and full != self._last_full:
            self.switches += 1
        self._last_full = full
        self.full_rate_frames += int(full)
        # an IDLE frame has only its first idle_sweeps sweeps and IDLE points; every frame's power is taken on those
        frame_points = idle_point_power(frame, cfg=cfg, onset_cfg=self.onset_cfg, geometry=self.geometry)
        power = float(frame_points.sum())  # idle_power, from the same spectrum
        self.block.add(power)
        if math.isfinite(power):  # the block's per-point power, for the gate's range condition
            self._block_points += frame_points
            self._block_frames += 1
        due = onset_due(self.state, cfg=cfg)
        ratio = math.nan
        points: npt.NDArray[np.float64] | None = None
        if due:
            _, _, ratio = self.onset.process_power(self.block.take())
            if self._block_frames:
                points = self._block_points / self._block_frames
            self._block_points = np.zeros_like(self._block_points)
            self._block_frames = 0
            self.onset_runs += 1
        prev_decided = self._pending_decided
        before = self.state.phase
        self.state, act = step(self.state, ThrottleObservation(ratio_db=ratio, decided=prev_decided), cfg=cfg)
        if self.state.phase != before:
            self.transitions.append((t, int(self.state.phase)))
        self._pending_decided = False
        rd_full = self._features(frame) if full else None  # the map exists for full frames only
        if cfg.idle_history and not full:  # the IDLE frame's own map is the history until the next sensed frame
            idle_map = dsp.idle_range_doppler(
                frame,
                cfg=self.bundle.features,
                idle_sweeps=cfg.idle_sweeps,
                point_step=cfg.idle_point_step,
                point_offset=cfg.idle_point_offset,
            )
            emb = self._encode(np.nan_to_num(idle_map, nan=0.0, posinf=0.0, neginf=0.0))
            for k in range(cfg.idle_decimation):
                self.ring.push(t + k, emb)
        if act.reset_head and not cfg.idle_history:
            self._fill_pending = True
        if act.run_encoder and rd_full is not None:
            emb = self._encode(rd_full)
            if self._fill_pending:  # the first frame encoded after the wake: the history before it
                self.ring.reset(emb)
                self._fill_pending = False
            self.ring.push(t, emb)
        if due:
            self._segment(ratio, t, points)
            self._pending_decided = self.decided
        self.t = t + (1 if act.full_rate else cfg.idle_decimation)

    _pending_decided = False
    _last_seen = 0  # the last frame sensed: an event open at the end of the stream ends after it

    def flush(self) -> None:
        """End of stream: classify the event still open."""
        now = self._last_seen
        for d in self.policy.flush(lambda s, e, w: self._head(s, e, w, now)):
            self._decided(d, now)

    def result(self, num_frames: int) -> DetectResult:
        """The events and the utilisation over a stream of ``num_frames`` full-rate frames."""
        hop = self.throttle.head_hop_frames
        util = Utilisation(
            frames=num_frames,
            sensor_frames=self.sensor_frames,
            onset_runs=self.onset_runs,
            encoder_runs=self.encoder_runs,
            head_runs=self.head_runs,
            head_hop_frames=hop,
            full_rate_frames=self.sensor_frames if self.always_on else self.full_rate_frames,
            switches=0 if self.always_on else self.switches,
        )
        macs = self.bundle.macs
        executed = self.encoder_runs * macs["encoder_per_frame"] + self.head_runs * macs["head_per_hop"]
        always = num_frames * macs["encoder_per_frame"] + (num_frames // hop) * macs["head_per_hop"]
        return DetectResult(
            events=tuple(self.events),
            candidates=self.candidates,
            utilisation=util,
            macs_executed=executed,
            macs_always_on=always,
            always_on=self.always_on,
            decided_at=tuple(self.decided_at),
            transitions=tuple(self.transitions),
        )


def detect_frames(
    frames: npt.NDArray[Any],
    bundle: Bundle,
    *,
    geometry: dsp.FrameGeometry,
    always_on: bool = False,
    decision: DecisionConfig | None = None,
    throttle: ThrottleConfig | None = None,
) -> DetectResult:
    """Run :class:`StreamingDetector` over a fixed-rate ``(frames, sweeps, points)`` stream (bad frames
    already masked as NaN); ``decision`` defaults to the bundle's."""
    det = StreamingDetector(bundle, geometry=geometry, always_on=always_on, decision=decision, throttle=throttle)
    for t in range(len(frames)):
        if det.wants(t):
            det.process(frames[t], t)
    det.flush()
    return det.result(len(frames))


def check_recording(session: Any, bundle: Bundle) -> None:
    """Raise :class:`BundleError` unless the session's sensor config matches the bundle's preset fields."""
    sensor = bundle.manifest["sensor"]
    check_sensor_fields(session, sensor["fields"], preset=sensor["preset"])


def check_sensor_fields(session: Any, want: dict[str, Any], *, preset: str, owner: str = "bundle") -> None:
    """Raise :class:`BundleError` unless the session's sensor config has the field values ``want`` (as a bundle
    manifest holds them: :func:`sensor_fields` of ``preset``'s config). ``owner`` names whose preset it is: the
    ``bundle``'s, or the ``run``'s before its bundle exists (``export --measure``)."""
    have = sensor_fields(session.sensor_config, list(want))
    diff = [f"{k}={have[k]!r}!={want[k]!r}" for k in want if have[k] != want[k]]
    if diff:
        raise BundleError(
            f"{session.path}: sensor config does not match the {owner}'s preset {preset!r} "
            f"(recording!={owner}: {', '.join(diff)})"
        )


def check_frame_rate(rate_hz: float, bundle: Bundle, *, source: str) -> None:
    """Raise :class:`BundleError` (naming ``source``) when ``rate_hz`` is more than
    :data:`dsp.FRAME_RATE_TOLERANCE` from the rate the bundle was trained at: its windows are a fixed number of
    frames. A manifest without the rate checks nothing."""
    trained = bundle.manifest["sensor"].get("frame_rate_hz")
    mismatch = dsp.frame_rate_mismatch(float(rate_hz), float(trained), expected="the bundle's") if trained else None
    if mismatch:
        raise BundleError(f"{source}: {mismatch}")


def session_stream(session: Any, bundle: Bundle) -> tuple[npt.NDArray[Any], dsp.FrameGeometry]:
    """A loaded recording as the runtime consumes it: frames with bad ones masked as NaN, and the geometry
    at its frame rate (configured, else measured).

    Raises:
        BundleError: the recording does not match the bundle's preset, has no usable frame rate, or runs
            at a frame rate more than :data:`dsp.FRAME_RATE_TOLERANCE` from the bundle's (its windows are
            a fixed number of frames).
    """
    check_recording(session, bundle)
    rate = session.stream_rate_hz
    if not rate or not np.isfinite(rate) or rate <= 0:
        raise BundleError(f"{session.path}: cannot measure the frame rate")
    check_frame_rate(float(rate), bundle, source=str(session.path))
    geometry = dsp.FrameGeometry.from_sensor_config(session.sensor_config, session.metadata, frame_rate_hz=float(rate))
    bad = dsp.bad_frames(session.frames, saturated=session.data_saturated)
    frames = dsp.mask_bad_frames(session.frames, bad) if bad.any() else session.frames
    return frames, geometry


def detect_file(
    path: str | Path,
    bundle: Bundle | str | Path,
    *,
    always_on: bool = False,
    decision: DecisionConfig | None = None,
) -> DetectResult:
    """Continuous recognition over one recording with a bundle (``decision`` defaults to the bundle's).

    Raises:
        BundleError: a bad bundle, or a recording that does not match the bundle's preset.
        acquisition.RecordingError: an unreadable recording.
    """
    from acquisition import load_session

    b = bundle if isinstance(bundle, Bundle) else load_bundle(bundle)
    frames, geometry = session_stream(load_session(Path(path)), b)
    return detect_frames(frames, b, geometry=geometry, always_on=always_on, decision=decision)


def events_json_lines(events: Iterable[Detection]) -> str:
    """One JSON object per line (the ``detect --json`` output)."""
    return "".join(e.to_json() + "\n" for e in events)
