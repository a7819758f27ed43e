"""Sensors and sessions: sources, the simulator, the recorder, labels and importers (DESIGN §1–§4).

The lowest layer of radargest: it imports nothing from ``dsp``, ``models``, ``deploy`` or ``radargest``.
"""

from acquisition._files import atomic_update
from acquisition.errors import AcquisitionError, PresetError, RecordingError, SourceError
from acquisition.labels import Label, read_labels_csv, write_labels_csv
from acquisition.negatives import NegativeLabel
from acquisition.presets import PRESETS, Preset, config_mismatch, get_preset, preset_for_config
from acquisition.recorder import RecordOutcome, record_session
from acquisition.recording import Session, SessionMeta, load_session, save_labels, save_negatives
from acquisition.simulate import simulate_everyday, simulate_session
from acquisition.sources import (
    ReplayClient,
    add_source_arguments,
    open_client,
    parse_source,
    sensor_config_from_args,
)

__all__ = [
    "PRESETS",
    "AcquisitionError",
    "Label",
    "NegativeLabel",
    "Preset",
    "PresetError",
    "RecordOutcome",
    "RecordingError",
    "ReplayClient",
    "Session",
    "SessionMeta",
    "SourceError",
    "add_source_arguments",
    "atomic_update",
    "config_mismatch",
    "get_preset",
    "load_session",
    "open_client",
    "parse_source",
    "preset_for_config",
    "read_labels_csv",
    "record_session",
    "save_labels",
    "save_negatives",
    "sensor_config_from_args",
    "simulate_everyday",
    "simulate_session",
    "write_labels_csv",
]
