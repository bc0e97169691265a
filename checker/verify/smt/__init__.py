"""The SMT checker: bounded model checking for shortest counterexamples; k-induction and
z3's CHC engine (Spacer) for proofs; one property at a time.

Verdicts claim no more than was shown:
- violated: a counterexample of the fewest steps (BMC deepens one step at a time), completed
  to full configurations shaped like the interpreter's (`Interpreter.describe`); or, when
  there is none within `bound` steps, a random run that violates the property, its loops
  cut out, marked `details["shortest"] = False`;
- proved: an inductive argument for every run length — the property is k-inductive, or
  Spacer found an inductive invariant — kept as a `Certificate` in `PropertyResult.invariant`;
- vacuous: the property holds and no step it is about can ever be enabled (itself proved);
- unknown: the depth `bound` or the time `timeout` (seconds, per property) ran out.

`terminates` also fails on a reachable cycle of non-final configurations: BMC looks for a
lasso, and a proof goes through the liveness-to-safety reduction (Biere, Artho, Schuppan
2002). The modules, in the order a property meets them: values.py and translate.py (z3
terms), encode.py (the encoding of one check), budget.py (time), bmc.py, induction.py,
horn.py and spacer.py, simulate.py, concrete.py (the check through the interpreter),
certificate.py, search.py (the schedule), decide.py (the verdict). The choices made, with
their measurements, are in docs/encoding.md.
"""
from .certificate import Certificate
from .decide import check_property, check_system, property_checker

__all__ = ["Certificate", "check_property", "check_system", "property_checker"]
