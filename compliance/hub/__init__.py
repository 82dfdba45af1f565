"""Models on a hub: inspect ``ORG/NAME[@REVISION]`` through ``huggingface_hub``.

* :mod:`compliance.hub.client` is the network boundary: the one place that prepares the
  client's environment, sends requests (only to the configured endpoint, and file reads it
  redirects to one of its storage hosts), retries within a time budget and keeps the on-disk
  cache used offline.
* :mod:`compliance.hub.storage` decides which storage hosts a file read may be redirected to
  (``COMPLIANCE_HUB_STORAGE_HOSTS``) and keeps the token from them.
* :mod:`compliance.hub.errors` translates every hub failure into the project's errors.
* :mod:`compliance.hub.access` records which tokens the hub accepted for gated and private
  repositories, so that the cache serves their content to those tokens only.
* :mod:`compliance.hub.info` is the slice of ``model_info`` the inspection uses.
* :mod:`compliance.hub.gather` decides which files a model needs and reads them.
* :mod:`compliance.hub.fingerprint` compares architectures (pure functions).
* :mod:`compliance.hub.lineage` follows declared base models and looks for undeclared ones.
* :mod:`compliance.hub.inspect` ties them together: :func:`~compliance.hub.inspect.inspect_hub`.

Nothing here imports ``huggingface_hub`` at module level: a local check never loads it.
"""
