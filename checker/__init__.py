"""Analyses over the workflow IR, in two subsystems that depend on `wfcheck.spec` only:
`verify` (the z3 checker, the explicit-state reference checker, SPIN as a peer) and `trace`
(trace readers, the monitor, trace reports)."""
