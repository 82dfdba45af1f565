"""Where a model comes from beyond what it declares: its comparison with known models.

* :mod:`compliance.provenance.dims` names a config's structural hyper-parameters canonically;
* :mod:`compliance.provenance.known` reads the shipped index of known models and matches a model
  against it (copy, probable derivation, architecture family);
* :mod:`compliance.provenance.derivation` turns a match into facts, a lineage row and a warning.

Nothing here touches the network or the hub client: a local check runs it on every model.
"""
