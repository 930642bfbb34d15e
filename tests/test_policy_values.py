"""Policy values the user types: rule ids, ``--accept`` values, block-mode text.

An unknown ``--ignore`` id is an error (with the closest rule id), an
``--accept`` value is a rule id or a package of the transaction (a bare name
that is neither is a mistyped rule id: an error listing the rule ids), and
the warn-mode report in block mode does not tell the user to set block mode
(issue 10.7).
"""

from __future__ import annotations

import pytest

from conda_guard.cli import main
from conda_guard.constants import GuardMode, SeverityName
from conda_guard.exceptions import UsageError
from conda_guard.policy import (
    check_accepted_packages,
    check_rule_ids,
    split_accept,
    unknown_rule,
)
from conda_guard.rules import RULE_IDS


def test_unknown_rule_names_the_closest_id_and_all_ids():
    text = unknown_rule("numpy_abi")
    assert "did you mean numpy-abi?" in text
    assert all(rule in text for rule in RULE_IDS)
    assert "did you mean" not in unknown_rule("zzzzzz")


def test_check_rule_ids():
    check_rule_ids(["numpy-abi", "drift"])
    with pytest.raises(UsageError, match="--ignore 'numpy_abi': no rule has this id"):
        check_rule_ids(["numpy-abi", "numpy_abi"])


def test_split_accept_rules_and_packages():
    rules, packages = split_accept(["gpu-to-cpu", "pytorch", "openssl >=3"])
    assert rules == ("gpu-to-cpu",)
    assert packages == ("pytorch", "openssl >=3")
    with pytest.raises(UsageError, match="--accept '!!!': not a rule id"):
        split_accept(["!!!"])


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("pytorch", True),  # a package of the transaction
        ("PyTorch", True),  # names are case-insensitive
        ("openssl >=3", True),  # a spec with a constraint: a package spec
        ("conda-forge::numpy", True),
        ("numpy_abi", False),  # neither a package nor a rule
        ("gpu_to_cpu", False),
        ("scipy", False),  # a bare name of no package here
    ],
)
def test_accepted_packages_must_be_in_the_transaction(value, ok):
    names = ["pytorch", "cudatoolkit", "python"]
    if ok:
        check_accepted_packages([value], names)
        return
    with pytest.raises(UsageError) as err:
        check_accepted_packages([value], names)
    assert "no package of this transaction has this name" in str(err.value)
    assert "rule ids: " in str(err.value) and "\n" not in str(err.value)


def test_cli_unknown_ignore_is_exit_2(capsys):
    from .test_cli import ENV

    assert main(["diff", f"{ENV}@1", ENV, "--ignore", "numpy_abi"]) == 2
    err = capsys.readouterr().err
    assert "--ignore 'numpy_abi'" in err and "did you mean numpy-abi?" in err
    assert len(err.strip().splitlines()) == 1


def _outcome():
    from conda_guard.adapters.conda_report import Outcome
    from conda_guard.analysis import Analysis
    from conda_guard.models import Finding, Severity, State

    state = State(records={}, source="x", kind="prefix")
    finding = Finding(
        rule="downgrade", severity=Severity.LOW, message="numpy 2.0 -> 1.26"
    )
    return Outcome(
        analysis=Analysis(state, state, (), (finding,)),
        prefix="/envs/x",
        details="conda guard diff -p /envs/x --install numpy=1.26",
    )


def test_block_mode_warning_does_not_ask_for_block_mode():
    from conda_guard.adapters.conda_report import warning_text
    from conda_guard.settings import GuardSettings

    block = GuardSettings(mode=GuardMode.BLOCK, fail_on=SeverityName.HIGH)
    text = warning_text(_outcome(), block)
    assert "guard_mode block" not in text
    assert "Not refused: below 'high' (plugins.guard_fail_on)." in text
    warn = warning_text(_outcome(), GuardSettings())
    assert "To refuse such changes: conda config --set plugins.guard_mode block" in warn
