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

The reviewer also sees its open requests in a ``## REVIEWS`` section of its view, and
every agent's guide (``myco guide``, the file ``myco run`` writes) lists the verb and a
short paragraph on reviews.

Three hooks: ``register_verbs`` (the verb, a :class:`~myco.registry.VerbSpec`, and an
observer that sees every applied event), ``register_view_sections`` (the REVIEWS
section, a :class:`~myco.registry.ViewSection`) and ``register_guide`` (the paragraph, a
:class:`~myco.registry.GuideEntry`). This module is the model to copy;
``docs/plugins/writing.md`` walks through it.
"""

from __future__ import annotations

from myco import GuideEntry, VerbSpec, ViewSection, hookimpl
from myco.clock import iso_s
from myco.protocol.events import Event
from myco.protocol.grammar import first_word
from myco.protocol.state import QUESTION_TTL_MS, Question, SwarmState
from myco.registry import GuideRegistry, VerbRegistry, ViewSectionRegistry

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


def reviews_for_me(state: SwarmState, me: str, now_ms: int, limit: int) -> list[str]:
    """The ``## REVIEWS`` section: open review requests addressed to *me*, oldest first.

    No line when there is none: the section then stays out of the view. myco neutralises
    the text (a requester could write markup) and keeps the view within its budget.
    """
    mine = [
        q
        for q in state.live_questions(now_ms, QUESTION_TTL_MS)
        if q.kind == KIND and q.target == me
    ]
    lines = []
    for q in mine[:limit]:
        words = q.text.split(None, 1)
        detail = f" {words[1]}" if len(words) > 1 else ""
        lines.append(
            f"- [{iso_s(q.ts_ms)}] {q.asker} asks you to review `{q.subject}`{detail} "
            f"(close: `done {q.subject} re:{q.subject}` or `reply {q.asker} … re:{q.subject}`)"
        )
    if len(mine) > limit:
        lines.append(f"_… {len(mine) - limit} more review request(s)._")
    return lines


GUIDE = """\
Ask a peer to review something it published with `review <SESSION> <object> [detail]`.
Requests addressed to you are listed under REVIEWS (and PENDING QUESTIONS). Close one by
publishing the reviewed version with `done <object> re:<object>`, or by answering with
`reply <SESSION> <verdict> re:<object>`.
"""


@hookimpl
def register_verbs(verbs: VerbRegistry) -> None:
    """Add the ``review`` verb and the observer that closes review requests."""
    verbs.add(
        VerbSpec(
            "review",
            review,
            "ask a session to review an artifact it published (closed by its `done … re:`)",
            target=True,
            lint=lint_review,
            example="review BACK auth-api check the error paths",
        )
    )
    verbs.observe(close_reviews)


@hookimpl
def register_view_sections(sections: ViewSectionRegistry) -> None:
    """Add ``## REVIEWS`` to every session's view, just before PENDING QUESTIONS."""
    sections.add(
        ViewSection(
            "REVIEWS",
            reviews_for_me,
            order=850,
            limit=20,
            steps=(5,),
            label="review request(s)",
            addressed=True,
        )
    )


@hookimpl
def register_guide(guide: GuideRegistry) -> None:
    """Teach agents the verb: a paragraph in the guide (the verbs table lists it already)."""
    guide.add(GuideEntry("Reviews", GUIDE))


# The plugin's `myco serve --review-dispatch` option and what it does (myco_example.dispatch):
# pluggy finds hook implementations among the module's attributes, so importing them here
# registers them with the rest of the plugin.
from myco_example.dispatch import events_ingested, register_serve_options  # noqa: E402, F401
