"""Lean 4 export of workflows, properties and checker certificates."""
