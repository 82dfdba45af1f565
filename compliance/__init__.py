"""compliance: which export-control and open-release rules an AI model triggers, and why.

Layer rule: this package is pure Python. It never imports ``web``, ``flask`` or ``celery``;
heavy optional libraries (``huggingface_hub``, ``sqlmodel``, ``transformers``) are imported
inside the functions that use them, so a check of a local directory starts fast.
"""

__version__ = "0.1.0"
# Bumped whenever a change to the fact extraction or the compute estimator can change a figure.
ESTIMATOR_VERSION = "2026.11.1"

__all__ = ["ESTIMATOR_VERSION", "__version__"]
