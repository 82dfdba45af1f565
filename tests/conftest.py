"""Test-wide set-up.

huggingface_hub reads its environment when it is imported, so the variables that keep it off
the network and away from a developer's token and cache are set here, before any test module
can import it.
"""

from __future__ import annotations

import os
import tempfile

_HF_HOME = tempfile.mkdtemp(prefix="compliance-test-hf-")
os.environ["HF_HOME"] = _HF_HOME
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"  # discard port: any stray request fails fast
for _name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_ENABLE_HF_TRANSFER"):
    os.environ.pop(_name, None)
for _name in [k for k in os.environ if k.startswith("COMPLIANCE_")]:
    os.environ.pop(_name, None)
# The compiled rule-set cache goes to the user cache directory: a throw-away one, never the developer's.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="compliance-test-cache-")

pytest_plugins = ["tests.hubfixtures"]


def _hypothesis_profile() -> None:
    # Under CI every property test draws the same examples each run (derandomized), so a red run
    # means a change broke something rather than that a new random draw found an old corner;
    # locally the draws stay random, to keep finding such corners.
    if os.environ.get("CI", "").lower() != "true":
        return
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, database=None)
    settings.load_profile("ci")


_hypothesis_profile()
