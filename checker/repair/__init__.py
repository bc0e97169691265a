"""`wfcheck repair`: verified edits of a `.wf` source that make a violated property hold
while keeping every property that held (docs/repair.md)."""
