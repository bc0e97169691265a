"""The `.wf` language: grammar, AST, diagnostics, analysis and the state-machine IR."""
