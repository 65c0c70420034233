"""The ``excore`` command line (``excore.cli.main:main``)."""
