"""`wfcheck repair`: every offered repair is re-checked here on its own (the property
proved, no held property lost, layout kept), the empty answer is plain, and the CLI applies one."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from wfcheck.checker.repair.search import repair_text
from wfcheck.checker.verify.run import verify_model
from wfcheck.cli import main
from wfcheck.spec.frontend import check_text

ROOT = Path(__file__).resolve().parent.parent
EMAIL = ROOT / "examples" / "email_assistant.wf"


def _copy(tmp_path) -> Path:
    path = tmp_path / "email.wf"
    path.write_text(EMAIL.read_text().replace('import "catalog/', f'import "{ROOT / "examples" / "catalog"}/'))
    return path


def test_every_repair_is_verified_by_the_smt_checker_too(tmp_path):
    path = _copy(tmp_path)
    source = path.read_text()
    before = {r.name: r.status for r in verify_model(check_text(source, str(path)).model, "smt").results}
    found = repair_text(source, str(path))
    assert {pr.property for pr in found} == {n for n, s in before.items() if s == "violated"}
    repaired = [pr for pr in found if pr.repairs]
    assert {pr.property for pr in repaired} >= {"invites_not_injected", "create_event.needs"}
    for pr in repaired:
        for repair in pr.repairs:
            after = {r.name: r.status for r in verify_model(check_text(repair.text, str(path)).model, "smt").results}
            assert after[pr.property] == "proved", (pr.property, repair.what)
            assert all(after[n] in ("proved", "vacuous") for n, s in before.items() if s in ("proved", "vacuous"))
            # only the edited transition changes (a split adds one line): comments and layout are kept
            body = repair.diff.splitlines()[2:]
            assert repair.diff.startswith(f"--- {path}")
            assert sum(line[:1] == "-" for line in body) <= 1 and sum(line[:1] == "+" for line in body) <= 2


def test_no_repair_is_said_plainly(tmp_path):
    path = _copy(tmp_path)
    (pr,) = repair_text(path.read_text(), str(path), ["invites_confirmed"])
    # every guard from its counterexample leaves `create_event` never taken (vacuous) or loses a state
    assert pr.repairs == () and pr.exhausted and pr.tried > 0
    out = CliRunner().invoke(main, ["repair", str(path), "--property", "invites_confirmed"])
    assert out.exit_code == 1 and "no repair found" in out.output


def test_cli_applies_a_repair(tmp_path):
    path = _copy(tmp_path)
    runner = CliRunner()
    shown = runner.invoke(main, ["repair", str(path), "--property", "invites_not_injected"])
    assert shown.exit_code == 0 and "repair 1:" in shown.output
    applied = runner.invoke(main, ["repair", str(path), "--property", "invites_not_injected", "--apply", "1"])
    assert applied.exit_code == 0, applied.output
    verified = runner.invoke(main, ["verify", str(path), "--property", "invites_not_injected"])
    assert verified.exit_code == 0, verified.output
    assert runner.invoke(main, ["repair", str(path), "--property", "nope"]).exit_code == 2
    assert runner.invoke(main, ["repair", str(path), "--apply", "99"]).exit_code == 2
