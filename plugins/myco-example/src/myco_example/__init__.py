"""myco-example: the ``review`` verb, a complete third-party myco plugin.

An agent writes, in a ``<myco>`` block::

    review <SESSION> <object> [detail]

to ask SESSION to review ``<object>``, an artifact SESSION published with
``done <object>``. The request behaves like an ``ask``:

* it is listed under PENDING QUESTIONS of both sessions as
  ``- [ts] A → B: review <object> [detail]``, and the author's status becomes
  ``review B``;
* it closes when SESSION posts ``done … re:<object>`` (the reviewed version is out) or
  answers with ``reply A … re:<object>`` (any ``reply A`` closes it too, as for an ask);
* the author is warned when SESSION has not published ``<object>`` (a typo, usually);
  the request is recorded anyway.

Everything goes through one hook, ``register_verbs``: the verb itself (a
:class:`~myco.registry.VerbSpec`) and an observer that sees every applied event. This
module is the model to copy; ``docs/plugins/writing.md`` walks through it.
"""

from __future__ import annotations

from myco import VerbSpec, hookimpl
from myco.protocol.events import Event
from myco.protocol.grammar import first_word
from myco.protocol.state import Question, SwarmState
from myco.registry import VerbRegistry

#: the ``Question.kind`` of a review request; views print it before the detail
KIND = "review"
USAGE = "`review <SESSION> <object> [detail]`"


def review(state: SwarmState, event: Event) -> None:
    """Apply ``review B obj …`` by A: open a question of kind ``review`` from A to B.

    ``event.obj`` is the target session (upper-cased and validated by myco because the
    verb is declared with ``target=True``); the reviewed object is the first word of the
    free text. A line without an object, or addressed to its author, is kept in the log
    but changes nothing (the lint told the author why).
    """
    target, subject = event.obj, first_word(event.text)
    if not target or not subject or target == event.session:
        return
    author = state.session(event.session)
    author.activate()
    author.action = f"review {target}"
    state.add_question(
        Question(
            event.seq,
            event.ts_ms,
            event.session,
            target,
            event.detail,
            event.text,
            spec="",
            channels=event.channels,
            kind=KIND,
            subject=subject,
        )
    )


def close_reviews(state: SwarmState, event: Event) -> None:
    """Observer: close the reviews *event* answers.

    Called after every applied event, whatever its verb. A review of ``obj`` asked of B
    closes on B's ``done … re:obj`` or on B's ``reply <asker> … re:obj``.
    """
    ref = event.kvs.get("re", "")
    if event.verb not in ("done", "reply") or not ref:
        return
    for q in list(state.questions.values()):  # resolving mutates the dict
        if q.kind != KIND or q.target != event.session or q.subject != ref:
            continue
        if event.verb == "done" or q.asker == event.obj:
            state.resolve_question(q, event.session)


def lint_review(state: SwarmState, event: Event, now_ms: int) -> list[str]:
    """Warnings for the author, computed before the event is applied."""
    target, subject = event.obj, first_word(event.text)
    if not target or not subject:
        return [f"review needs a session and an object: {USAGE}."]
    if target == event.session:
        return [
            f"review {target}: you cannot ask yourself for a review; "
            "the line was recorded but asks nothing."
        ]
    if (target, subject) in state.artifacts:
        return []
    published = [obj for (session, obj) in state.artifacts if session == target]
    shown = ", ".join(published[-5:]) or "none"
    return [
        f"review {target} {subject}: {target} has not published `{subject}` (no "
        f"`done {subject}` from {target}; its artifacts: {shown}). The review request is "
        "open anyway: check the object name, or ask for the review once it is published."
    ]


@hookimpl
def register_verbs(verbs: VerbRegistry) -> None:
    """Add the ``review`` verb and the observer that closes review requests."""
    verbs.add(
        VerbSpec(
            "review",
            review,
            "ask <SESSION> to review <object> it published (closed by its done re:<object>)",
            target=True,
            lint=lint_review,
        )
    )
    verbs.observe(close_reviews)


# The plugin's `myco serve --review-dispatch` option and what it does (myco_example.dispatch):
# pluggy finds hook implementations among the module's attributes, so importing them here
# registers them with the rest of the plugin.
from myco_example.dispatch import events_ingested, register_serve_options  # noqa: E402, F401
