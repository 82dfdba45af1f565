"""``python -m web.hubserver --demo | --root DIR [--host H] [--port P]``: run the local hub.

Prints the bound URL on the first line of standard output (port 0 picks a free port), then
serves until interrupted.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from web.hubserver.app import create_hub_app
from web.hubserver.demo import DemoRegistry, RegistryDataError
from web.hubserver.repos import FolderRegistry, Registry
from web.hubserver.serve import start_hub_server


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the server, block until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m web.hubserver", description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--demo", action="store_true", help="serve the demo registry shipped with the project")
    source.add_argument("--root", type=Path, help="serve a folder laid out as ORG/NAME/files")
    parser.add_argument("--synthetic", type=int, default=0, help="with --demo: add N synthetic small models")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--controls", action="store_true", help="enable /_hub/ log, faults and config")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    try:
        registry: Registry = DemoRegistry(synthetic=args.synthetic) if args.demo else FolderRegistry(args.root)
    except (OSError, ValueError, RegistryDataError) as exc:
        print(f"hubserver: {exc}", file=sys.stderr)
        return 4
    app = create_hub_app(registry, page_size=args.page_size, controls=args.controls)
    url, stop = start_hub_server(app, args.host, args.port, quiet=not args.verbose)
    print(url, flush=True)
    print(f"serving {len(registry)} repos; Ctrl-C to stop", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass  # Ctrl-C is the way to stop it: no traceback
    finally:
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
