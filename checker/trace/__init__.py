"""`trace`: read recorded agent runs, check them against a workflow with the monitor, and
report the violations."""
