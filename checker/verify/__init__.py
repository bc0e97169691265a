"""`verify`: decide every property of a workflow, with z3 or the explicit-state reference
checker, and render the verdicts."""
