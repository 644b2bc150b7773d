"""After a release: take a bad one back, and check that git and the registries agree.

- :mod:`.rollback` — ``doit rollback``: registries (through ``Ecosystem.rollback``), tags,
  Go retractions committed as a fix
- :mod:`.doctor` — ``doit doctor``: tags, manifests and registry versions compared
"""
