"""radargest.deploy: the embedded side (DESIGN §8).

So far: the adaptive throttle policy and its fixed-rate emulation (:mod:`deploy.throttle`), the
generator of the C build's ``config.h`` (:mod:`deploy.c_config`) and the build helpers for the C99
feature and throttle sources in ``deploy/c`` (:mod:`deploy.c_build`). Nothing here imports TensorFlow
or :mod:`models`.

The bundle runtime (:mod:`deploy.runtime`: load and verify a bundle, streaming detection) is exported
here; the exporter (:mod:`deploy.export`) imports TensorFlow and is imported only by name.
"""

from deploy.c_build import (
    C_SOURCE_DIR,
    CBuildError,
    ObjectSize,
    build_shared_library,
    compile_objects,
    find_compiler,
    object_size,
    stage_sources,
)
from deploy.c_config import config_h_text, write_config_h
from deploy.runtime import (
    Bundle,
    BundleError,
    Detection,
    DetectResult,
    StreamingDetector,
    detect_file,
    load_bundle,
)
from deploy.throttle import (
    EventCoverage,
    Phase,
    SweepPoint,
    ThrottleActions,
    ThrottleConfig,
    ThrottleObservation,
    ThrottleState,
    ThrottleStream,
    ThrottleTrace,
    Utilisation,
    emulate_throttle,
    event_coverage,
    idle_geometry,
    onset_due,
    oracle_decisions,
    step,
    sweep_throttle,
)

__all__ = [
    "C_SOURCE_DIR",
    "Bundle",
    "BundleError",
    "CBuildError",
    "DetectResult",
    "Detection",
    "EventCoverage",
    "ObjectSize",
    "Phase",
    "StreamingDetector",
    "SweepPoint",
    "ThrottleActions",
    "ThrottleConfig",
    "ThrottleObservation",
    "ThrottleState",
    "ThrottleStream",
    "ThrottleTrace",
    "Utilisation",
    "build_shared_library",
    "compile_objects",
    "config_h_text",
    "detect_file",
    "emulate_throttle",
    "event_coverage",
    "find_compiler",
    "idle_geometry",
    "load_bundle",
    "object_size",
    "onset_due",
    "oracle_decisions",
    "stage_sources",
    "step",
    "sweep_throttle",
    "write_config_h",
]
