"""Checking corpora of traces on a Dask cluster (`wfcheck trace --cluster`): files and byte
ranges of large JSON Lines files as partitions, merged into the report `--jobs 1` gives."""
