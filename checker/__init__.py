"""Analyses over the workflow IR: the SMT checker, the explicit-state reference checker and
the trace monitor."""
