/-
WfCheck.Core: the notions every module exported by `wfcheck lean` is stated in.

A workflow becomes a transition system over a finite type of configurations `C`: an
initial configuration and a function listing the successors of a configuration. A property
is a predicate that holds in every reachable configuration (`Invariant`), and `terminates`
adds that no run from a reachable configuration avoids the final states forever
(`Terminates`). The certificates exported with a workflow are lists of configurations;
their side conditions are closed computations checked by `decide +kernel`, and the
lemmas below turn them into the statements. This file uses Lean's core library only.
-/

namespace WfCheck

/-- A type with an explicit list of all its values. The workflow's finite types (control
states, agents, enumerations, label levels, edges) are `Enumerable`, which is what `decide`
needs to range over them without `Fintype`. -/
class Enumerable (α : Type) where
  all : List α
  complete : ∀ a : α, a ∈ all

/-- `decide` proves a statement about every value of an `Enumerable` type by checking the
list of all values. -/
instance (priority := low) Enumerable.decideForall {α : Type} [Enumerable α] (P : α → Prop) [DecidablePred P] :
    Decidable (∀ a, P a) :=
  decidable_of_iff (∀ a, a ∈ (Enumerable.all : List α) → P a)
    ⟨fun h a => h a (Enumerable.complete a), fun h a _ => h a⟩

/-- `bindList xs f` concatenates `f x` over the elements `x` of `xs`. It is defined here by
structural recursion so that it reduces in the kernel in the same way in every Lean version. -/
def bindList {α β : Type} : List α → (α → List β) → List β
  | [], _ => []
  | a :: as, f => f a ++ bindList as f

/-- A transition system: the initial configuration and the successors of a configuration
(one per enabled step and choice of `any` values). -/
structure System (C : Type) where
  init : C
  step : C → List C

/-- The configurations a run from the initial configuration can reach. -/
inductive Reachable {C : Type} (S : System C) : C → Prop where
  | init : Reachable S S.init
  | step {c c' : C} : Reachable S c → c' ∈ S.step c → Reachable S c'

/-- `P` holds in every reachable configuration: what it means for a safety property to hold. -/
def Invariant {C : Type} (S : System C) (P : C → Prop) : Prop :=
  ∀ c, Reachable S c → P c

/-- An inductive invariant (it holds initially and every step preserves it) holds in every
reachable configuration. -/
theorem inv_of_reachable {C : Type} {S : System C} {Inv : C → Prop}
    (hinit : Inv S.init) (hstep : ∀ c, Inv c → ∀ c', c' ∈ S.step c → Inv c') :
    ∀ {c : C}, Reachable S c → Inv c := by
  intro c hc
  induction hc with
  | init => exact hinit
  | step _ hmem ih => exact hstep _ ih _ hmem

/-- The proof rule of every certificate: if `Inv` holds initially, is preserved by every
step and implies `P`, then `P` holds in every reachable configuration. -/
theorem invariant_of_inductive {C : Type} (S : System C) (Inv P : C → Prop)
    (hinit : Inv S.init)
    (hstep : ∀ c, Inv c → ∀ c', c' ∈ S.step c → Inv c')
    (himp : ∀ c, Inv c → P c) : Invariant S P :=
  fun c hc => himp c (inv_of_reachable (Inv := Inv) hinit hstep hc)

/-- A reachable configuration where `P` fails refutes `Invariant S P`. -/
theorem not_invariant {C : Type} {S : System C} {P : C → Prop} {c : C}
    (hr : Reachable S c) (hc : ¬ P c) : ¬ Invariant S P :=
  fun h => hc (h c hr)

/-- No infinite run from a reachable configuration stays out of the final states forever.
(Runs that stop are covered by the deadlock part of `terminates`, an `Invariant`.) -/
def Terminates {C : Type} (S : System C) (final : C → Bool) : Prop :=
  ∀ f : Nat → C, Reachable S (f 0) → (∀ n, f (n + 1) ∈ S.step (f n)) → ¬ ∀ n, final (f n) = false

/-- `rankOf table c`: the number paired with `c` in `table` (0 if there is none). -/
def rankOf {C : Type} [DecidableEq C] : List (C × Nat) → C → Nat
  | [], _ => 0
  | (d, r) :: rest, c => if c = d then r else rankOf rest c

/-- A ranking function proves `Terminates`: on reachable configurations (those satisfying an
inductive invariant), every step between two non-final configurations lowers the rank. -/
theorem terminates_of_rank {C : Type} (S : System C) (final : C → Bool) (Inv : C → Prop)
    (rank : C → Nat)
    (hinit : Inv S.init)
    (hstep : ∀ c, Inv c → ∀ c', c' ∈ S.step c → Inv c')
    (hrank : ∀ c, Inv c → final c = false → ∀ c', c' ∈ S.step c → final c' = false →
      rank c' < rank c) :
    Terminates S final := by
  intro f h0 hf hnf
  have hinv : ∀ n, Inv (f n) := by
    intro n
    induction n with
    | zero => exact inv_of_reachable (Inv := Inv) hinit hstep h0
    | succ n ih => exact hstep (f n) ih (f (n + 1)) (hf n)
  have hdec : ∀ n, rank (f n) + n ≤ rank (f 0) := by
    intro n
    induction n with
    | zero => omega
    | succ n ih =>
      have hlt := hrank (f n) (hinv n) (hnf n) (f (n + 1)) (hf n) (hnf (n + 1))
      omega
  have hlast := hdec (rank (f 0) + 1)
  omega

/-- `iterate next c n` applies `next` to `c`, `n` times. -/
def iterate {C : Type} (next : C → C) (c : C) : Nat → C
  | 0 => c
  | n + 1 => next (iterate next c n)

/-- A reachable cycle of non-final configurations refutes `Terminates`: `loop` lists the
configurations of the cycle and `next` follows it. -/
theorem not_terminates_of_cycle {C : Type} (S : System C) (final : C → Bool)
    (loop : List C) (next : C → C) (c : C)
    (hr : Reachable S c) (hc : c ∈ loop)
    (hloop : ∀ d, d ∈ loop → final d = false ∧ next d ∈ S.step d ∧ next d ∈ loop) :
    ¬ Terminates S final := by
  intro h
  have hmem : ∀ n, iterate next c n ∈ loop := by
    intro n
    induction n with
    | zero => exact hc
    | succ n ih => exact (hloop _ ih).2.2
  exact h (iterate next c) hr (fun n => (hloop _ (hmem n)).2.1) (fun n => (hloop _ (hmem n)).1)

/-- `dedup l` keeps the last occurrence of each element of `l`. -/
def dedup {C : Type} [DecidableEq C] : List C → List C
  | [] => []
  | a :: as => if a ∈ as then dedup as else a :: dedup as

/-- One entry of a recorded trace: the configurations reached from any of `cs` by any of the
edges `es` that the recorded event may be. -/
def advance {C L : Type} [DecidableEq C] (stepBy : L → C → List C) (cs : List C) (es : List L) :
    List C :=
  dedup (bindList cs (fun c => bindList es (fun e => stepBy e c)))

/-- `follow stepBy cs trace`: the configurations consistent with a recorded trace, started
from `cs`; each entry of the trace lists the edges its event may be. -/
def follow {C L : Type} [DecidableEq C] (stepBy : L → C → List C) (cs : List C) :
    List (List L) → List C
  | [] => cs
  | es :: rest => follow stepBy (advance stepBy cs es) rest

/-- The position (counting from `k`) of the first entry of a trace that `ok` rejects, given
the configurations `cs` consistent with the entries before it; `none` if `ok` accepts all. -/
def firstRejected {C L : Type} [DecidableEq C] (stepBy : L → C → List C)
    (ok : List C → List L → Bool) : Nat → List C → List (List L) → Option Nat
  | _, _, [] => none
  | k, cs, es :: rest =>
    if ok cs es then firstRejected stepBy ok (k + 1) (advance stepBy cs es) rest else some k

end WfCheck
