"""The port through which a check consults fingerprints kept outside the shipped index.

The service keeps a structural fingerprint of every model it inspects, in its database
(:mod:`compliance.services.fingerprints`); the core cannot import the database, so a hub
inspection takes a :class:`KnownStore` and the comparison treats what it returns like the
shipped index's entries. A command-line check has none and compares with the shipped index only.
"""

from __future__ import annotations

from typing import Protocol

from compliance.provenance.known import KnownModel


class KnownStore(Protocol):
    """Fingerprints of models seen before, looked up by what a checked model shows."""

    def similar(self, *, total: int | None, layout: str | None, names: str | None, viewer: str) -> list[KnownModel]:
        """Models with exactly ``total`` parameters, the config layout digest ``layout`` or the
        tensor-names digest ``names`` (each None when unknown), that ``viewer`` (a hash of the hub
        token) may be compared with: a gated or private model's fingerprint only with its reader.
        Each model once, with the date the store first saw it as :attr:`KnownModel.seen`."""
        ...
