"""The physics gesture simulator (DESIGN §4, §8a): scenes of seeded subjects rendered as A121 Sparse IQ,
with gestures and everyday non-gestures (negatives)."""

from acquisition.sim.client import SimClient
from acquisition.sim.everyday import EverydayPlan, negatives_for_scene, plan_everyday
from acquisition.sim.gestures import GESTURES, GestureModel, check_gestures, register_gesture
from acquisition.sim.hand import Hand, Subject
from acquisition.sim.negatives import NEGATIVES, NegativeModel, register_negative
from acquisition.sim.physics import RadarPhysics, synthesize
from acquisition.sim.scene import MotionEvent, Renderer, Scene, StillMotion, ThermalDrift, frame_period_s
from acquisition.sim.session import SessionPlan, labels_for_scene, perform, plan_session, still_scene

__all__ = [
    "GESTURES",
    "NEGATIVES",
    "EverydayPlan",
    "GestureModel",
    "Hand",
    "MotionEvent",
    "NegativeModel",
    "RadarPhysics",
    "Renderer",
    "Scene",
    "SessionPlan",
    "SimClient",
    "StillMotion",
    "Subject",
    "ThermalDrift",
    "check_gestures",
    "frame_period_s",
    "labels_for_scene",
    "negatives_for_scene",
    "perform",
    "plan_everyday",
    "plan_session",
    "register_gesture",
    "register_negative",
    "still_scene",
    "synthesize",
]
