"""Who may do what: one policy for every transport.

A transport turns a request into an :class:`~myco.auth.actor.Actor` (the ``authenticate``
hook), then asks this module before it acts, as datasette's ``ensure_permission``::

    policy.ensure(actor, policy.ACT_AS, "ALICE")          # raises Forbidden

and answers :class:`Forbidden` with its own refusal (HTTP: 403 and the message). The HTTP
API, the dashboard and every future transport (MCP next) call the same rules:

``act-as`` (resource: the session)
    A credential bound to a session acts only as that session. On a strict daemon
    (``--require-session-tokens``) a tenant-wide credential acts as no session at all.
``post-verb`` (resource: :class:`VerbUse`)
    On a strict daemon only DIRECTOR posts the verbs in :data:`DIRECTOR_VERBS`.
``dispatch`` (resource: the target session)
    On a strict daemon a session credential queues prompts only for its own session,
    unless it is DIRECTOR's; the tenant-wide credential may dispatch to any session.
``read-tenant`` (resource: what is read, for the message)
    Tenant-wide reads (the dashboard) need a tenant-wide credential.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Literal

from attrs import frozen

from myco.names import DIRECTOR

if TYPE_CHECKING:
    from myco.auth.actor import Actor
    from myco.registry import VerbRegistry

Action = Literal["act-as", "post-verb", "dispatch", "read-tenant"]
ACT_AS: Final = "act-as"
POST_VERB: Final = "post-verb"
DISPATCH: Final = "dispatch"
READ_TENANT: Final = "read-tenant"

#: verbs only DIRECTOR may post on a strict daemon (``--require-session-tokens``)
DIRECTOR_VERBS: frozenset[str] = frozenset({"direct"})


@frozen
class VerbUse:
    """The resource of ``post-verb``: *session* posting a line whose verb is *verb*."""

    session: str
    verb: str


Resource = str | VerbUse | None


class Forbidden(Exception):
    """The actor may not do this; transports answer it as their refusal (HTTP 403)."""

    def __init__(self, message: str, action: Action, resource: Resource) -> None:
        super().__init__(message)
        self.message = message
        self.action = action
        self.resource = resource


def refusal(actor: Actor, action: Action, resource: Resource = None) -> str | None:
    """Why *actor* may not do *action* on *resource*, or None when it may."""
    if action == ACT_AS:
        assert isinstance(resource, str)
        if actor.session is not None and actor.session != resource:
            return f"this credential may only act as session {actor.session}"
        if actor.session is None and actor.strict:
            return (
                "this daemon requires session tokens (--require-session-tokens): the tenant "
                f"token may not act as session {resource}; use the token printed by "
                f"`myco token session <tenant-token> {resource}`"
            )
        return None
    if action == POST_VERB:
        assert isinstance(resource, VerbUse)
        if actor.strict and resource.verb in DIRECTOR_VERBS and resource.session != DIRECTOR:
            return (
                f"only {DIRECTOR} may post `{resource.verb}` on this daemon "
                f"(--require-session-tokens); {resource.session} may not"
            )
        return None
    if action == DISPATCH:
        assert isinstance(resource, str)
        bound = actor.session
        if actor.strict and bound is not None and bound not in (DIRECTOR, resource):
            return (
                f"only {DIRECTOR} or the tenant token may queue a prompt for another session "
                f"on this daemon (--require-session-tokens); {bound} may not dispatch to "
                f"{resource}"
            )
        return None
    if action == READ_TENANT:
        if actor.session is not None:
            what = resource if isinstance(resource, str) and resource else "this"
            return f"{what} needs a tenant-wide credential, not one bound to a session"
        return None
    raise ValueError(f"unknown action {action!r}")


def allowed(actor: Actor, action: Action, resource: Resource = None) -> bool:
    """Whether *actor* may do *action* on *resource*."""
    return refusal(actor, action, resource) is None


def ensure(actor: Actor, action: Action, resource: Resource = None) -> None:
    """Raise :class:`Forbidden` (with the reason) unless *actor* may do *action*."""
    reason = refusal(actor, action, resource)
    if reason is not None:
        raise Forbidden(reason, action, resource)


def ensure_lines(actor: Actor, session: str, lines: object, verbs: VerbRegistry) -> None:
    """``post-verb`` for every line *session* posts; the message names the line's index.

    Lines that are not strings or do not parse are left to the ingest validation.
    """
    from myco.protocol.grammar import line_problem, parse_line

    if not actor.strict:  # post-verb restricts strict actors only: skip the parsing
        return
    if not isinstance(lines, Sequence) or isinstance(lines, str):
        return
    for i, line in enumerate(lines):
        if not isinstance(line, str) or line_problem(line) is not None:
            continue
        parsed = parse_line(line, verbs.session_verbs, verbs.keys)
        verb = verbs.canonical.get(parsed.verb, parsed.verb) if parsed else ""
        use = VerbUse(session, verb)
        reason = refusal(actor, POST_VERB, use)
        if reason is not None:
            raise Forbidden(f"events[{i}]: {reason}", POST_VERB, use)
