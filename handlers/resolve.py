"""From a typed REF to the one action it names, or a helpful refusal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from difflib import SequenceMatcher

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from db import queries
from db.models import Action, ActionOwner, ActionStatus, Member
from db.queries import ActionFacts, ListedAction
from handlers.context import Ctx
from handlers.errors import NotFound, UserError
from handlers.refs import ActionId, Ref, format_ref


class AmbiguousRef(UserError):
    """The REF names several actions: the candidates are listed and nothing changes."""

    def __init__(self, ref: Ref, candidates: Sequence[ListedAction], refs: dict[int, str]) -> None:
        count = len(candidates)
        super().__init__(f"{count} actions match {ref}. Say which one you mean:")
        self.candidates = list(candidates)
        self.refs = refs


def owner_key(action: ActionFacts) -> tuple[str, ...]:
    return tuple(action.owner_initials)


# What an ordinal depends on: (action id, meeting id, position in the minutes, item, owners).
OrdinalKey = tuple[int, int, int, str, tuple[str, ...]]


def ordinals(actions: Sequence[ActionFacts]) -> dict[int, int]:
    """Each action's place among the same meeting's actions with the same item and owners.

    It counts closed actions too, so an action's ordinal never changes as others are closed.
    """
    return _ordinals([(a.id, a.meeting_id, a.position, a.item, owner_key(a)) for a in actions])


def _ordinals(keys: Sequence[OrdinalKey]) -> dict[int, int]:
    groups: dict[tuple[int, str, tuple[str, ...]], list[int]] = defaultdict(list)
    for action_id, meeting_id, _position, item, owners in sorted(keys, key=lambda k: k[1:3]):
        groups[(meeting_id, item, owners)].append(action_id)
    return {a: n for group in groups.values() for n, a in enumerate(group, start=1)}


def unique_refs(
    session: Session, shown: Sequence[ActionFacts], universe: Sequence[ActionFacts]
) -> dict[int, str]:
    """The shortest REF for each shown action that names it alone among ``universe``."""
    same_key: dict[tuple[str, tuple[str, ...]], list[ActionFacts]] = defaultdict(list)
    for action in {a.id: a for a in universe}.values():
        same_key[(action.item, owner_key(action))].append(action)
    refs, crowded = {}, []
    for action in shown:
        key = (action.item, owner_key(action))
        rivals = same_key.get(key, [action])
        if all(r.id == action.id for r in rivals):
            refs[action.id] = format_ref(*key)
        else:
            crowded.append((action, key, rivals))
    # Only an action with a rival from its own meeting needs an ordinal: its siblings' rows.
    numbered = {
        action.id: action
        for action, _key, rivals in crowded
        if sum(r.meeting_id == action.meeting_id for r in rivals) > 1
    }
    places = _ordinals(sibling_keys(session, list(numbered.values()))) if numbered else {}
    for action, key, rivals in crowded:
        ordinal = places[action.id] if action.id in numbered else None
        one_meeting = all(r.meeting_id == action.meeting_id for r in rivals)
        meeting = None if one_meeting else action.meeting_date
        refs[action.id] = format_ref(*key, ordinal, meeting)
    return refs


_SIBLINGS = (
    select(Action.id, Action.meeting_id, Action.position, Action.item, Member.initials)
    .outerjoin(ActionOwner, ActionOwner.action_id == Action.id)
    .outerjoin(Member, Member.id == ActionOwner.member_id)
    .where(
        # Meetings and items, not (meeting, item) pairs: the meetings let the index on
        # (meeting_id, position) narrow the search (the pairs had SQLite scan every board's
        # actions), and a few parameters are cheaper to send than two for every pair.
        Action.meeting_id.in_(bindparam("meetings", expanding=True)),
        Action.item.in_(bindparam("items", expanding=True)),
    )
    .order_by(Action.id, ActionOwner.position)
)


def sibling_keys(session: Session, actions: Sequence[ActionFacts]) -> list[OrdinalKey]:
    """The ordinal keys of every action, of any status, raised at the same meeting under the
    same item as these: plain rows in one query, since a long list may need hundreds of them."""
    pairs = {(a.meeting_id, a.item) for a in actions}
    meetings, items = sorted({m for m, _i in pairs}), sorted({i for _m, i in pairs})
    rows = queries.plain_rows(session, _SIBLINGS, {"meetings": meetings, "items": items})
    keys: dict[int, tuple[int, int, str, list[str]]] = {}
    for action_id, meeting_id, position, item, initials in rows:
        if (meeting_id, item) not in pairs:
            continue
        owners = keys.setdefault(action_id, (meeting_id, position, item, []))[3]
        if initials is not None:
            owners.append(initials)
    return [(a, m, p, i, tuple(owners)) for a, (m, p, i, owners) in keys.items()]


def _matches(action: ActionFacts, ref: Ref) -> bool:
    owners = set(owner_key(action))
    return (
        action.item == ref.item
        and (set(ref.owners) <= owners if ref.owners else not owners)
        and (ref.meeting is None or action.meeting_date == ref.meeting)
    )


def _narrow(candidates: list[ListedAction], ref: Ref, places: dict[int, int]) -> list[ListedAction]:
    exact = [a for a in candidates if set(owner_key(a)) == set(ref.owners)]
    if exact and len(candidates) > 1:
        candidates = exact
    if ref.ordinal is not None:
        candidates = [a for a in candidates if places[a.id] == ref.ordinal]
    return candidates


# The action to change, with its owners (who may change it), in one query rather than two.
_TO_CHANGE = (joinedload(Action.owner_links),)


def resolve(
    ctx: Ctx, ref: Ref | ActionId, status: ActionStatus | None = ActionStatus.OPEN
) -> Action:
    """The one action ``ref`` names among actions with ``status`` (None: any status).

    The item's actions are read as plain rows; only the one named is loaded as an ORM object.
    """
    if isinstance(ref, ActionId):
        return _by_id(ctx, ref, status)
    same_item = queries.listed_actions(ctx.session, ctx.board, item=ref.item)
    places = ordinals(same_item)
    matching = [a for a in same_item if _matches(a, ref)]
    candidates = _narrow([a for a in matching if status in (None, a.status)], ref, places)
    if len(candidates) == 1:
        return ctx.session.get_one(Action, candidates[0].id, options=_TO_CHANGE)
    if candidates:
        raise AmbiguousRef(ref, candidates, unique_refs(ctx.session, candidates, candidates))
    others = _narrow(matching, ref, places)
    if len(others) == 1 and status is not None:
        raise UserError(_wrong_status_message(others[0], ref))
    raise NotFound(
        f"No {status or ''} action matches {ref}.".replace("  ", " "),
        hints=tuple(suggestions(ctx, ref)),
    )


def _by_id(ctx: Ctx, ref: ActionId, status: ActionStatus | None) -> Action:
    """The action with this id on this board (never another board's), if its status fits."""
    listed = queries.listed_actions(ctx.session, ctx.board, ids=[ref.id])
    if not listed:
        raise NotFound(f"There is no {ref} on {ctx.board.name}.")
    if status is not None and listed[0].status != status:
        named = format_ref(listed[0].item, owner_key(listed[0]))
        raise UserError(_wrong_status_message(listed[0], named))
    return ctx.session.get_one(Action, ref.id, options=_TO_CHANGE)


def _wrong_status_message(action: ListedAction, ref: Ref | str) -> str:
    if action.status == ActionStatus.DONE:
        who = f" by {action.done_by_initials}" if action.done_by_initials else ""
        when = f" on {action.done_at:%-d %b %Y}" if action.done_at else ""
        return f"{ref} is already done{who}{when}. Nothing changed."
    return f"{ref} is still open. Nothing changed."


def suggestions(ctx: Ctx, ref: Ref, limit: int = 3) -> list[str]:
    """The open actions closest to what was typed, as "Did you mean" lines."""
    open_actions = queries.listed_actions(ctx.session, ctx.board, status=ActionStatus.OPEN)
    refs = unique_refs(ctx.session, open_actions, open_actions)
    typed = str(ref)

    def closeness(action: ListedAction) -> tuple[int, float]:
        shared = (action.item == ref.item) + bool(set(ref.owners) & set(owner_key(action)))
        return shared, SequenceMatcher(None, typed, refs[action.id]).ratio()

    ranked = sorted(open_actions, key=closeness, reverse=True)[:limit]
    return [
        f"Did you mean {refs[a.id]}: {shorten(a.text)}" for a in ranked if closeness(a)[1] > 0.3
    ]


def shorten(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
