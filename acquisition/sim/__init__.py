"""The physics gesture simulator (DESIGN §4): scenes of seeded subjects rendered as A121 Sparse IQ."""

from acquisition.sim.client import SimClient
from acquisition.sim.gestures import GESTURES, GestureModel, register_gesture
from acquisition.sim.hand import Hand, Subject
from acquisition.sim.physics import RadarPhysics, synthesize
from acquisition.sim.scene import MotionEvent, Renderer, Scene, StillMotion, frame_period_s
from acquisition.sim.session import SessionPlan, labels_for_scene, perform, plan_session, still_scene

__all__ = [
    "GESTURES",
    "GestureModel",
    "Hand",
    "MotionEvent",
    "RadarPhysics",
    "Renderer",
    "Scene",
    "SessionPlan",
    "SimClient",
    "StillMotion",
    "Subject",
    "frame_period_s",
    "labels_for_scene",
    "perform",
    "plan_session",
    "register_gesture",
    "still_scene",
    "synthesize",
]
