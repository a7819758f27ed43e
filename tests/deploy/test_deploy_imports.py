"""The runtime path stays free of TensorFlow and of the models package."""

from __future__ import annotations

import subprocess
import sys


def test_deploy_throttle_does_not_import_tensorflow() -> None:
    code = (
        "import sys, deploy.throttle, deploy.c_config, deploy.c_build, deploy.c_binding, deploy; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'models', 'radargest')); "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
