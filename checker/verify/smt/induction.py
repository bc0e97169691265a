"""k-induction: the cheap proofs, whose certificate is the property itself."""
from __future__ import annotations

import z3

from .budget import Budget, solve
from .encode import Encoding


class Induction:
    """k-induction: after k steps through good configurations, is the next one good too?"""

    def __init__(self, enc: Encoding) -> None:
        self.enc = enc
        self.solver = z3.Solver()
        self.trans = enc.index_transition()
        self.bad = z3.Or(enc.state_bad, enc.any_step_bad)
        self.frames = [self._frame(0)]
        self.solver.add(enc.at(enc.domain, self.frames[0]))

    def _frame(self, k: int) -> dict:
        frame = self.enc.frame(f"i{k}")
        frame["choice"] = z3.Int(f"choice@i{k}")
        return frame

    def _at(self, term, frame, after=None):
        return z3.substitute(self.enc.at(term, frame, after), (self.enc.choice, frame["choice"]))

    def step(self, k: int, budget: Budget) -> bool | None:
        """True: k-inductive; False: not; None: out of time."""
        enc = self.enc
        while len(self.frames) <= k:
            last, new = self.frames[-1], self._frame(len(self.frames))
            self.solver.add(z3.Not(self._at(self.bad, last)), self._at(self.trans, last, new),
                            enc.at(enc.domain, new))
            for old in self.frames:  # distinct configurations: complete for finite systems
                self.solver.add(z3.Not(enc.same(old, new)))
            self.frames.append(new)
        self.solver.push()
        self.solver.add(self._at(self.bad, self.frames[k]))
        result = solve(self.solver, budget)
        self.solver.pop()
        return True if result == z3.unsat else (False if result == z3.sat else None)
