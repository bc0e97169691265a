"""Exporters of the IR to other tools' languages: the state machine as Graphviz dot, Mermaid
and JSON (`graph`), and Promela for SPIN (`promela`). The Lean 4 export is `lean_export`."""
