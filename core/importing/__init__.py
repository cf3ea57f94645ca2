"""Results made elsewhere, stored as runs: the official SciGenBench code's CSVs and images
(:mod:`core.importing.official`, ``scigen import-official``)."""
