"""The ``hdnd`` command line (the ``hdnd`` script is :data:`app`): one module per sub-app,
the root app with ``run`` and ``serve`` in :mod:`deploy.cli.main`."""

from deploy.cli.main import app

__all__ = ["app"]
