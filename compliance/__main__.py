"""``python -m compliance`` runs the CLI."""

from compliance.cli import main

main()
