"""Everyday non-gestures around an earcup: the registered negatives of the simulator (DESIGN §8a).

A headphone's gesture sensor sits in the outer face of an earcup and looks outwards; the hand works 5–20
cm from it. Most of the day the field is empty, and most of what does enter it is *not* a gesture: a hand
that hovers, comes and goes, passes by, rests and moves on, grabs the earcup to adjust it, or touches and
scratches the face, hair or ear next to it. Each of these is a *negative*: a name, a sampler that draws
one occurrence for a subject, and a trajectory of the hand model, registered with
:func:`register_negative` exactly like a gesture (:func:`acquisition.sim.register_gesture`). Streams of
them, with sparse gestures, are laid out by :mod:`acquisition.sim.everyday` and labelled by cause.

**Geometry.** A negative moves the whole hand in two coordinates, depth ``z`` along the sensor's
boresight and lateral offset ``x`` (the thumb-to-little-finger axis of :data:`HAND_PARTS`), so that a
hand coming in from the side is seen at an angle and through the edge of the beam. Each part's range is
``hypot(z + radial, x + lateral)``; its amplitude follows the radar equation of the scene (1/r², levelled
off in the near field) times a two-way beam pattern of half-power full width
:data:`BEAM_HALF_POWER_FULL_WIDTH_DEG` (an antenna-in-package patch is broad; the width is an assumption
of this model, not a measured figure). A hand "away" sits at :data:`AWAY_DEPTH_M` or
:data:`AWAY_LATERAL_M`, where the 0.05–0.20 m window sees nothing of it (more than 10 pulse-envelope widths
beyond the last point, or far outside the beam).

**Sources of the figures** (the kind of source, for each range chosen below):
- physiological tremor of an outstretched hand, 8–12 Hz and tenths of a millimetre, is already in the
  still-hand model (:class:`acquisition.sim.StillMotion`; clinical tremor literature, e.g. accelerometry
  of postural tremor);
- the low-frequency postural sway of an unsupported arm (0.2–1.5 Hz, a few millimetres) and the slow
  drift of a held position without visual feedback (centimetres over seconds to tens of seconds) follow
  the motor-control literature on position holding and proprioceptive drift;
- reach speeds: point-to-point arm movements follow a minimum-jerk profile (Flash & Hogan, 1985) with
  peak hand speeds of about 0.3–1.5 m/s for casual reaches;
- scratching: rhythmic strokes at about 3–6 Hz with a fingertip excursion of millimetres to 1–2 cm, the
  band and amplitude that wrist-actigraphy scratch detectors look for;
- the subject's own factors scale each draw: ``speed_factor`` (reach and scratch speed),
  ``amplitude_factor`` (scratch and adjustment excursions), ``drift_mm`` (sway), ``distance_m``
  (where this person holds a hand).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from acquisition.sim.gestures import Params, Sampler, Trajectory, TrajectoryOut, min_jerk
from acquisition.sim.hand import Hand, Subject

__all__ = [
    "AWAY_DEPTH_M",
    "AWAY_LATERAL_M",
    "BEAM_HALF_POWER_FULL_WIDTH_DEG",
    "NEGATIVES",
    "NegativeModel",
    "hand_pose",
    "register_negative",
]

#: Two-way half-power full width of the sensor's beam [deg] (assumed: a broad antenna-in-package patch).
BEAM_HALF_POWER_FULL_WIDTH_DEG = 80.0
#: Depth of a hand that has left along the boresight [m]: 0.25 m past the last point (0.20 m).
AWAY_DEPTH_M = 0.45
#: Lateral offset of a hand that has left sideways [m]: at 10 cm depth, 74° off the boresight.
AWAY_LATERAL_M = 0.35
#: Closest a part may come to the sensor plane [m] (the earcup's grille).
MIN_DEPTH_M = 0.005


@dataclass(frozen=True)
class NegativeModel:
    """An everyday non-gesture: ``sample`` draws one occurrence (setting ``duration_s``); ``trajectory``
    moves the hand. ``per_round`` is how often it occurs in each round of an everyday stream."""

    name: str
    sample: Sampler
    trajectory: Trajectory
    per_round: int = 1


NEGATIVES: dict[str, NegativeModel] = {}


def register_negative(name: str, sample: Sampler, trajectory: Trajectory, *, per_round: int = 1) -> NegativeModel:
    """Add an everyday non-gesture (a cause label, a lower-case identifier) to the simulator.

    Args:
        name: the cause written to ``/radargest/negatives``.
        sample: ``(rng, subject) -> params`` with at least ``duration_s``.
        trajectory: ``(t_rel_s (N,), params, hand) -> (displacement_m (N, scatterers), gain (N, scatterers))``;
            displacement is relative to the subject's working pose (see :func:`hand_pose`), gain 0 removes
            a scatterer.
        per_round: occurrences in each round of an everyday stream (every registered negative occurs in
            every round, so no cause is left out of a stream that is long enough).
    """
    if per_round < 1:
        raise ValueError(f"per_round must be >= 1, got {per_round}")
    model = NegativeModel(name, sample, trajectory, per_round)
    NEGATIVES[name] = model
    return model


# -- geometry ---------------------------------------------------------------------------------------
def hand_pose(
    z_m: npt.NDArray[np.float64],
    x_m: npt.NDArray[np.float64],
    hand: Hand,
    *,
    base_distance_m: float,
    part_dz_m: npt.NDArray[np.float64] | None = None,
) -> TrajectoryOut:
    """The scene's displacement and gain for a hand whose palm centre is at depth ``z_m`` and lateral
    offset ``x_m``.

    Args:
        z_m: ``(N,)`` palm depth along the boresight [m].
        x_m: ``(N,)`` palm lateral offset [m].
        hand: the subject's hand.
        base_distance_m: the subject's working distance, which the scene adds back.
        part_dz_m: ``(N, scatterers)`` extra depth motion of single parts (fingers scratching) [m].

    Returns:
        ``(N, scatterers)`` displacement from the working pose [m] and beam gain [ratio].
    """
    depth = z_m[:, None] + hand.radial_m[None, :]
    if part_dz_m is not None:
        depth = depth + part_dz_m
    depth = np.maximum(depth, MIN_DEPTH_M)
    lateral = x_m[:, None] + hand.lateral_m[None, :]
    r = np.hypot(depth, lateral)
    theta = np.arctan2(np.abs(lateral), depth)
    gain = np.exp(-2.0 * np.log(2.0) * (theta / np.deg2rad(BEAM_HALF_POWER_FULL_WIDTH_DEG)) ** 2)
    return r - (base_distance_m + hand.radial_m[None, :]), gain


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _log_u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _sines(t: npt.NDArray[np.float64], p: Mapping[str, float], key: str) -> npt.NDArray[np.float64]:
    """Sum of the sinusoids ``{key}{i}_m``, ``{key}{i}_hz``, ``{key}{i}_rad`` stored in ``p``."""
    out = np.zeros_like(t)
    i = 0
    while f"{key}{i}_m" in p:
        out += p[f"{key}{i}_m"] * np.sin(2 * np.pi * p[f"{key}{i}_hz"] * t + p[f"{key}{i}_rad"])
        i += 1
    return out


def _draw_sines(
    rng: np.random.Generator, key: str, n: int, amp_m: tuple[float, float], f_hz: tuple[float, float]
) -> Params:
    """``n`` sinusoids of amplitude in ``amp_m`` (sharing it as 1/√n) and frequency in ``f_hz``."""
    out: Params = {}
    for i in range(n):
        out[f"{key}{i}_m"] = _u(rng, *amp_m) / np.sqrt(n)
        out[f"{key}{i}_hz"] = _u(rng, *f_hz)
        out[f"{key}{i}_rad"] = _u(rng, 0.0, 2 * np.pi)
    return out


def _reach_s(distance_m: float, peak_m_s: float) -> float:
    """Duration of a minimum-jerk move of ``distance_m`` whose peak speed is ``peak_m_s`` (peak = 1.875 D/T)."""
    return float(np.clip(1.875 * distance_m / peak_m_s, 0.15, 6.0))


def _away_point(rng: np.random.Generator, z_m: float) -> tuple[float, float]:
    """Where a hand comes from or goes to: along the boresight, or sideways at about its working depth."""
    side = rng.integers(3)
    if side == 0:
        return AWAY_DEPTH_M, _u(rng, -0.05, 0.05)
    sign = -1.0 if side == 1 else 1.0
    return float(np.clip(z_m + rng.uniform(-0.05, 0.10), 0.03, 0.3)), sign * AWAY_LATERAL_M


def _speed(subject: Subject) -> float:
    """Subject speed scaling for everyday motion: reaches vary less between people than gestures do."""
    return float(np.sqrt(subject.speed_factor))


# -- visits: come in, stay (and perhaps move), go --------------------------------------------------
def _sample_visit(
    rng: np.random.Generator,
    subject: Subject,
    *,
    z_m: float,
    x_m: float,
    hold_s: float,
    peak_m_s: tuple[float, float],
    sway_m: tuple[float, float],
    drift_m: tuple[float, float],
    tilt_deg: tuple[float, float] = (0.0, 30.0),
) -> Params:
    """A hand that comes in from away to ``(z_m, x_m)``, stays ``hold_s`` swaying, and leaves."""
    fz, fx = _away_point(rng, z_m)
    tz, tx = _away_point(rng, z_m)
    speed = _speed(subject)
    in_s = _reach_s(float(np.hypot(fz - z_m, fx - x_m)), _u(rng, *peak_m_s) * speed)
    out_s = _reach_s(float(np.hypot(tz - z_m, tx - x_m)), _u(rng, *peak_m_s) * speed)
    sway_scale = subject.drift_mm / 1.25  # the subject's steadiness, 0.4–1.6
    p: Params = {
        "base_distance_m": subject.distance_m,
        "from_z_m": fz,
        "from_x_m": fx,
        "z_m": z_m,
        "x_m": x_m,
        "to_z_m": tz,
        "to_x_m": tx,
        "in_s": in_s,
        "hold_s": hold_s,
        "out_s": out_s,
        "tilt_deg": _u(rng, *tilt_deg),
        "duration_s": in_s + hold_s + out_s,
    }
    p |= _draw_sines(rng, "sway_z", 3, (sway_m[0] * sway_scale, sway_m[1] * sway_scale), (0.2, 1.5))
    p |= _draw_sines(rng, "sway_x", 3, (sway_m[0] * sway_scale, sway_m[1] * sway_scale), (0.2, 1.5))
    p |= _draw_sines(rng, "drift_z", 2, drift_m, (0.03, 0.25))
    p |= _draw_sines(rng, "drift_x", 2, drift_m, (0.03, 0.25))
    return p


def _hold_envelope(
    t: npt.NDArray[np.float64], start_s: float, hold_s: float, ramp_s: float = 0.3
) -> npt.NDArray[np.float64]:
    """1 inside the hold, easing in and out over ``ramp_s`` so sway never jumps."""
    if hold_s <= 0:
        return np.zeros_like(t)
    ramp = min(ramp_s, hold_s / 2)
    rise = min_jerk((t - start_s) / ramp)
    fall = min_jerk((start_s + hold_s - t) / ramp)
    return np.minimum(rise, fall)


def _visit_path(
    t: npt.NDArray[np.float64], p: Mapping[str, float]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Palm depth, lateral offset and hold envelope of a visit (optionally with a move to a second rest)."""
    in_s, hold_s, out_s = p["in_s"], p["hold_s"], p["out_s"]
    move_s, hold2_s = p.get("move_s", 0.0), p.get("hold2_s", 0.0)
    u_in = min_jerk(t / in_s)
    z = p["from_z_m"] + (p["z_m"] - p["from_z_m"]) * u_in
    x = p["from_x_m"] + (p["x_m"] - p["from_x_m"]) * u_in
    env = _hold_envelope(t, in_s, hold_s)
    last_z, last_x, t_out = p["z_m"], p["x_m"], in_s + hold_s
    if move_s > 0:  # repositioning: a slow move to a second resting place
        u_mv = min_jerk((t - t_out) / move_s)
        z = z + (p["z2_m"] - p["z_m"]) * u_mv
        x = x + (p["x2_m"] - p["x_m"]) * u_mv
        env = env + _hold_envelope(t, t_out + move_s, hold2_s)
        last_z, last_x, t_out = p["z2_m"], p["x2_m"], t_out + move_s + hold2_s
    u_out = min_jerk((t - t_out) / out_s)
    z = z + (p["to_z_m"] - last_z) * u_out
    x = x + (p["to_x_m"] - last_x) * u_out
    return z, x, env


def _visit_trajectory(t: npt.NDArray[np.float64], p: Mapping[str, float], hand: Hand) -> TrajectoryOut:
    z, x, env = _visit_path(t, p)
    z = z + env * (_sines(t, p, "sway_z") + _sines(t, p, "drift_z"))
    x = x + env * (_sines(t, p, "sway_x") + _sines(t, p, "drift_x"))
    part_dz = None
    if p.get("scratch_m", 0.0) > 0:  # fingertips stroke the skin; the palm follows a little
        burst = _hold_envelope(t, p["in_s"] + p["scratch_lead_s"], p["scratch_s"], ramp_s=0.15)
        stroke = p["scratch_m"] * p["scratch_radial"] * np.sin(2 * np.pi * p["scratch_hz"] * t) * burst
        part_dz = stroke[:, None] * (0.25 + 0.75 * (hand.tap_weight[None, :] >= 1.0))
    if p.get("wobble_m", 0.0) > 0:  # adjusting a held earcup: pushes and slides of the whole hand
        z = z + env * p["wobble_m"] * np.sin(2 * np.pi * p["wobble_hz"] * t + p["wobble_rad"])
        x = x + env * 0.5 * p["wobble_m"] * np.sin(2 * np.pi * 0.7 * p["wobble_hz"] * t)
    disp, gain = hand_pose(z, x, hand, base_distance_m=p["base_distance_m"], part_dz_m=part_dz)
    gain = gain * np.cos(np.deg2rad(p["tilt_deg"])) ** 2  # a tilted palm reflects specularly away
    if p.get("cover_gain", 1.0) != 1.0:  # a palm wrapped over the cup fills the aperture
        gain = gain * (1.0 + (p["cover_gain"] - 1.0) * env[:, None])
    return disp, gain


def _working_depth(rng: np.random.Generator, subject: Subject, lo: float, hi: float) -> float:
    return float(np.clip(subject.distance_m * rng.uniform(lo, hi), 0.05, 0.20))


def sample_hover(rng: np.random.Generator, subject: Subject, *, hold_s: float | None = None) -> Params:
    """**hover**: a hand held in front of the sensor without support, 4–40 s.

    The hand comes in (from the side or along the boresight, peak 0.3–0.8 m/s), stays at 0.6–1.5× the
    subject's working distance (5–20 cm) and up to ±6 cm sideways (up to about 35° off the boresight),
    palm tilted 0–30°, then leaves. An unsupported arm sways at 0.2–1.5 Hz by 1–4 mm (scaled by the
    subject's steadiness) and drifts by 0.5–2 cm per axis at 0.03–0.25 Hz: centimetres over seconds, at
    radial speeds of a few cm/s, far below the 0.25 m/s the onset metric listens to. It is the hand of a
    user about to gesture, or who lifted a hand and thought better of it; gestures in everyday streams
    are performed from a hover (``hold_s`` set by the stream).
    """
    z = _working_depth(rng, subject, 0.6, 1.5)
    hold = _log_u(rng, 4.0, 40.0) if hold_s is None else hold_s
    return _sample_visit(
        rng,
        subject,
        z_m=z,
        x_m=_u(rng, -0.06, 0.06),
        hold_s=hold,
        peak_m_s=(0.3, 0.8),
        sway_m=(0.001, 0.004),
        drift_m=(0.005, 0.02),
    )


def _sample_enter_stop_leave(rng: np.random.Generator, subject: Subject) -> Params:
    """**enter_stop_leave**: a hand comes into the field, stops 0.2–2.5 s, and leaves.

    Faster than a hover (peak 0.4–1.2 m/s: a purposeful reach), stopping at 5–20 cm and ±5 cm sideways:
    reaching for the headphone and changing one's mind, or a hand raised to the head. Its approach and
    retreat are the two Doppler signs of a ``tap_in`` stretched over 15–40 cm, the nearest non-gesture to
    a tap.
    """
    return _sample_visit(
        rng,
        subject,
        z_m=_working_depth(rng, subject, 0.5, 1.6),
        x_m=_u(rng, -0.05, 0.05),
        hold_s=_u(rng, 0.2, 2.5),
        peak_m_s=(0.4, 1.2),
        sway_m=(0.001, 0.004),
        drift_m=(0.001, 0.005),
    )


def _sample_reposition(rng: np.random.Generator, subject: Subject) -> Params:
    """**reposition**: a resting hand moves slowly from one resting place to another.

    A hand propped on the cheek, the jaw or the headband rests at 4–20 cm and up to ±8 cm sideways,
    supported (tremor and 0.5–2 mm of sway only) for 1.5–10 s, then slides 3–10 cm to a second resting
    place at a peak of 0.08–0.3 m/s (a slow, unhurried move), rests again and leaves slowly (peak
    0.2–0.5 m/s). The move is slower than any gesture and crosses range bins rather than oscillating.
    """
    z = float(np.clip(subject.distance_m * rng.uniform(0.4, 1.5), 0.04, 0.20))
    x = _u(rng, -0.08, 0.08)
    p = _sample_visit(
        rng,
        subject,
        z_m=z,
        x_m=x,
        hold_s=_log_u(rng, 1.5, 10.0),
        peak_m_s=(0.2, 0.5),
        sway_m=(0.0005, 0.002),
        drift_m=(0.0005, 0.002),
    )
    move = _u(rng, 0.03, 0.10)
    angle = _u(rng, 0, 2 * np.pi)
    z2 = float(np.clip(z + move * np.cos(angle), 0.04, 0.22))
    x2 = float(np.clip(x + move * np.sin(angle), -0.10, 0.10))
    move_s = _reach_s(float(np.hypot(z2 - z, x2 - x)), _u(rng, 0.08, 0.3) * _speed(subject))
    hold2 = _log_u(rng, 1.5, 10.0)
    p |= {"z2_m": z2, "x2_m": x2, "move_s": move_s, "hold2_s": hold2}
    p["duration_s"] += move_s + hold2
    return p


def _sample_earcup_grab(rng: np.random.Generator, subject: Subject) -> Params:
    """**earcup_grab**: grabbing the earcup to adjust the headphone.

    The hand reaches the cup fast (peak 0.5–1.3 m/s) from the side or from below, and the palm closes over
    the sensor at 0.5–2.5 cm: the strongest echo the sensor ever sees (1/r² levelled only by the near
    field), with 1.5–3× the open-hand reflection because the palm fills the aperture. It then pushes and
    slides the cup for 0.4–3 s (excursions of 3–15 mm at 0.5–3 Hz, scaled by the subject's amplitude),
    and lets go with a fast retreat.
    """
    p = _sample_visit(
        rng,
        subject,
        z_m=_u(rng, 0.005, 0.025),
        x_m=_u(rng, -0.02, 0.02),
        hold_s=_u(rng, 0.4, 3.0),
        peak_m_s=(0.5, 1.3),
        sway_m=(0.0005, 0.002),
        drift_m=(0.0005, 0.002),
        tilt_deg=(0.0, 10.0),
    )
    p |= {
        "cover_gain": _u(rng, 1.5, 3.0),
        "wobble_m": _u(rng, 0.003, 0.015) * subject.amplitude_factor,
        "wobble_hz": _u(rng, 0.5, 3.0),
        "wobble_rad": _u(rng, 0, 2 * np.pi),
    }
    return p


def _sample_touch(rng: np.random.Generator, subject: Subject) -> Params:
    """The hand at the face, hair or ear beside the cup: 3–10 cm sideways (about 30–80° off the boresight,
    towards the edge of the beam), 1.5–7 cm deep (the head surface lies about level with the cup's outer
    face, the hand's back stands off it)."""
    return _sample_visit(
        rng,
        subject,
        z_m=_u(rng, 0.015, 0.07),
        x_m=float(rng.choice([-1.0, 1.0]) * rng.uniform(0.03, 0.10)),
        hold_s=_u(rng, 0.5, 3.0),
        peak_m_s=(0.4, 1.0),
        sway_m=(0.0005, 0.002),
        drift_m=(0.0005, 0.002),
        tilt_deg=(20.0, 60.0),
    )


def _sample_touch_face(rng: np.random.Generator, subject: Subject) -> Params:
    """**touch_face**: touching the face, hair or ear next to the earcup and taking the hand away.

    The reach peaks at 0.4–1.0 m/s; the hand rests 0.5–3 s on the skin (supported, so tremor only), seen
    towards the edge of the beam and tilted 20–60° (the palm faces the head, not the sensor).
    """
    return _sample_touch(rng, subject)


def _sample_scratch(rng: np.random.Generator, subject: Subject) -> Params:
    """**scratch**: scratching the ear, cheek or scalp beside the cup.

    The hand arrives as in ``touch_face`` and scratches for 1–6 s: fingertip strokes at 3–6 Hz (×√speed)
    with an amplitude of 4–15 mm (8–30 mm peak to peak, × amplitude), of which 40–90 % is radial to the
    sensor (the skin is not perpendicular to the beam); the palm follows the fingers by a quarter. Radial
    finger speeds peak at 0.1–0.7 m/s, the Doppler band of a wiggle, seen towards the beam's edge.
    """
    p = _sample_touch(rng, subject)
    scratch_s = _u(rng, 1.0, 6.0)
    lead = _u(rng, 0.1, 0.4)
    p |= {
        "scratch_m": _u(rng, 0.004, 0.015) * subject.amplitude_factor,
        "scratch_hz": float(np.clip(_u(rng, 3.0, 6.0) * _speed(subject), 2.5, 7.0)),
        "scratch_radial": _u(rng, 0.4, 0.9),
        "scratch_lead_s": lead,
        "scratch_s": scratch_s,
    }
    extra = max(0.0, lead + scratch_s + 0.2 - p["hold_s"])
    p["hold_s"] += extra
    p["duration_s"] += extra
    return p


def _sample_pass_by(rng: np.random.Generator, subject: Subject) -> Params:
    """**pass_by**: a hand (or forearm) crossing the field without stopping.

    Reaching past the head for something, or a gesticulating hand: the palm crosses from one side to the
    other (±35 cm) at 4–22 cm depth, curving by up to ±4 cm in depth, with a minimum-jerk profile peaking
    at 0.4–1.6 m/s (× √speed). Seen at 10 cm, the radial speed sweeps from approaching to receding as
    the hand passes the boresight.
    """
    z = _u(rng, 0.04, 0.22)
    sign = float(rng.choice([-1.0, 1.0]))
    peak = _u(rng, 0.4, 1.6) * _speed(subject)
    duration = _reach_s(2 * AWAY_LATERAL_M, peak)
    return {
        "base_distance_m": subject.distance_m,
        "z_m": z,
        "curve_m": _u(rng, -0.04, 0.04),
        "from_x_m": -sign * AWAY_LATERAL_M,
        "to_x_m": sign * AWAY_LATERAL_M,
        "tilt_deg": _u(rng, 0.0, 45.0),
        "duration_s": duration,
    }


def _pass_by_trajectory(t: npt.NDArray[np.float64], p: Mapping[str, float], hand: Hand) -> TrajectoryOut:
    u = min_jerk(t / p["duration_s"])
    x = p["from_x_m"] + (p["to_x_m"] - p["from_x_m"]) * u
    z = p["z_m"] + p["curve_m"] * np.sin(np.pi * u)
    disp, gain = hand_pose(z, x, hand, base_distance_m=p["base_distance_m"])
    return disp, gain * np.cos(np.deg2rad(p["tilt_deg"])) ** 2


def sample_empty(rng: np.random.Generator, subject: Subject, *, duration_s: float | None = None) -> Params:
    """**empty**: no hand in the field, 20–90 s (everyday streams also label every gap between
    activities as ``empty``, so about half of a stream is empty field).

    What remains is the sensor itself: thermal noise, the direct leakage, and its slow thermal drift (the
    scene's :class:`acquisition.sim.scene.ThermalDrift`, 0.5–3 % and 0.01–0.08 rad over minutes). An
    earcup sensor sees this most of the day, so it must never fire on it.
    """
    del subject
    return {"duration_s": _u(rng, 20.0, 90.0) if duration_s is None else float(duration_s)}


def _empty_trajectory(t: npt.NDArray[np.float64], p: Mapping[str, float], hand: Hand) -> TrajectoryOut:
    del p
    shape = (t.size, hand.num_scatterers)
    return np.zeros(shape), np.zeros(shape)


register_negative("hover", sample_hover, _visit_trajectory, per_round=3)
register_negative("enter_stop_leave", _sample_enter_stop_leave, _visit_trajectory, per_round=2)
register_negative("pass_by", _sample_pass_by, _pass_by_trajectory, per_round=2)
register_negative("reposition", _sample_reposition, _visit_trajectory)
register_negative("earcup_grab", _sample_earcup_grab, _visit_trajectory, per_round=2)
register_negative("touch_face", _sample_touch_face, _visit_trajectory, per_round=2)
register_negative("scratch", _sample_scratch, _visit_trajectory, per_round=2)
register_negative("empty", sample_empty, _empty_trajectory)
