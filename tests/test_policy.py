"""One policy for every transport (:mod:`myco.policy`): the rules, without HTTP.

The HTTP routes and the dashboard call these functions (tests/test_session_tokens.py and
tests/test_dashboard_api.py check the answers over HTTP); a new transport gets the same
decisions by calling them too.
"""

from __future__ import annotations

import pytest

from myco import policy
from myco.auth.actor import Actor
from myco.plugins import Hooks, make_plugin_manager
from myco.policy import ACT_AS, DISPATCH, POST_VERB, READ_TENANT, Forbidden, VerbUse

T = "t" * 64
TENANT = Actor(T)
ALICE = Actor(T, "ALICE")
STRICT_TENANT = Actor(T, strict=True)
STRICT_ALICE = Actor(T, "ALICE", strict=True)
STRICT_DIRECTOR = Actor(T, "DIRECTOR", strict=True)


@pytest.mark.parametrize(
    ("actor", "action", "resource", "allowed"),
    [
        # acting as a session
        (TENANT, ACT_AS, "BOB", True),
        (ALICE, ACT_AS, "ALICE", True),
        (ALICE, ACT_AS, "BOB", False),
        (STRICT_ALICE, ACT_AS, "ALICE", True),
        (STRICT_TENANT, ACT_AS, "ALICE", False),
        # DIRECTOR-only verbs
        (STRICT_ALICE, POST_VERB, VerbUse("ALICE", "direct"), False),
        (STRICT_ALICE, POST_VERB, VerbUse("ALICE", "start"), True),
        (STRICT_DIRECTOR, POST_VERB, VerbUse("DIRECTOR", "direct"), True),
        (ALICE, POST_VERB, VerbUse("ALICE", "direct"), True),  # not strict: anyone directs
        # dispatch (issue 11 defect 7)
        (STRICT_ALICE, DISPATCH, "BOB", False),
        (STRICT_ALICE, DISPATCH, "ALICE", True),
        (STRICT_DIRECTOR, DISPATCH, "BOB", True),
        (STRICT_TENANT, DISPATCH, "BOB", True),
        (ALICE, DISPATCH, "BOB", True),
        # tenant-wide reads (the dashboard)
        (TENANT, READ_TENANT, "the dashboard", True),
        (STRICT_TENANT, READ_TENANT, "the dashboard", True),
        (ALICE, READ_TENANT, "the dashboard", False),
    ],
)
def test_rules(
    actor: Actor, action: policy.Action, resource: policy.Resource, allowed: bool
) -> None:
    assert policy.allowed(actor, action, resource) is allowed
    if allowed:
        policy.ensure(actor, action, resource)
        return
    with pytest.raises(Forbidden) as info:
        policy.ensure(actor, action, resource)
    assert info.value.action == action and info.value.resource == resource
    assert info.value.message == policy.refusal(actor, action, resource)


def test_refusals_explain_themselves() -> None:
    assert policy.refusal(ALICE, ACT_AS, "BOB") == "this credential may only act as session ALICE"
    assert policy.refusal(ALICE, READ_TENANT, "the dashboard") == (
        "the dashboard needs a tenant-wide credential, not one bound to a session"
    )
    assert "myco token session <tenant-token> BOB" in str(
        policy.refusal(STRICT_TENANT, ACT_AS, "BOB")
    )


def test_lines_are_checked_by_their_canonical_verb() -> None:
    verbs = Hooks(make_plugin_manager(load_entrypoints=False)).register_verbs()
    lines = ["start x", "  Direct BOB ship it", 3, "bad\x00line"]
    with pytest.raises(Forbidden) as info:
        policy.ensure_lines(STRICT_ALICE, "ALICE", lines, verbs)
    assert info.value.message.startswith("events[1]: only DIRECTOR may post `direct`")
    assert info.value.resource == VerbUse("ALICE", "direct")
    policy.ensure_lines(STRICT_DIRECTOR, "DIRECTOR", lines, verbs)
    policy.ensure_lines(ALICE, "ALICE", lines, verbs)  # not strict
    policy.ensure_lines(STRICT_ALICE, "ALICE", "direct BOB x", verbs)  # not a list: ingest's 400


def test_an_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown action 'fly'"):
        policy.refusal(ALICE, "fly", None)  # type: ignore[arg-type]
