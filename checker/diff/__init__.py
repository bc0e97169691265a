"""`wfcheck diff`: what a new version of a workflow allows that the old one forbade (and
the reverse), which labels and sinks moved, and which properties of the old version no
longer hold (docs/diff.md)."""
