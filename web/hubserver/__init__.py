"""A Hugging Face Hub look-alike of the project's own, for tests, benchmarks and the offline demo.

It serves model repos from a folder (``ORG/NAME/files``) or from the demo registry shipped in
``registry/`` (facts only; weight files are generated headers followed by virtual zeros), speaks
the endpoints ``huggingface_hub`` uses, and can inject faults and record requests.

    from web.hubserver import DemoRegistry, create_hub_app, start_hub_server
    url, stop = start_hub_server(create_hub_app(DemoRegistry(), controls=True))
"""

from web.hubserver.app import create_hub_app, hub_state
from web.hubserver.controls import Fault, HubConfig, HubControls
from web.hubserver.demo import DemoRegistry, RegistryDataError
from web.hubserver.repos import FolderRegistry, Registry, Repo
from web.hubserver.serve import start_hub_server

__all__ = [
    "DemoRegistry",
    "Fault",
    "FolderRegistry",
    "HubConfig",
    "HubControls",
    "Registry",
    "RegistryDataError",
    "Repo",
    "create_hub_app",
    "hub_state",
    "start_hub_server",
]
