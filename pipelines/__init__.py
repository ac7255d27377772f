"""Records, batch ingest, the ``vnextract`` CLI, outputs and audit. The only layer doing I/O."""
