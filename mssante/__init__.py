"""The composition root: the `mssante` command line and `mssante serve`."""
