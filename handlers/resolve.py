"""From a typed REF, or a button's stable id, to the one action it names, or a helpful refusal.

A REF resolves over every action a person could mean, open or done, so that closing an action
never makes its REF slide onto another one. The rules, in order (README, "REFs"):

1. The candidates are the actions under the REF's item whose owners include every owner typed
   (and raised at the meeting typed after ``@``, if one is).
2. The exact owners win: if some candidates have exactly the owners typed, the others drop out.
3. An ordinal (``.2``) keeps the candidates that are that place among their meeting's actions
   with the same item and owners. Places count closed actions too, so they never change.
4. A later meeting supersedes: a done action raised before the latest candidate's meeting drops
   out. An open one stays, because a person may still mean it.

One candidate left: that is the action. Several: they are listed with their states and nothing
changes. None: the nearest open actions are suggested. None of the steps depends on an action's
status except the last, and it never drops the action a command has just changed, so typing the
same command again names the same action (and finds nothing left to do).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher
from typing import TypeVar

from sqlalchemy.orm import Session, joinedload

from db import queries
from db.models import Action, ActionStatus, Board
from db.queries import ActionFacts, ListedAction
from handlers.context import Ctx
from handlers.errors import NotFound, UserError
from handlers.refs import ActionId, Ref, Target, format_ref

A = TypeVar("A", bound=ActionFacts)
NO_OWNER = ""  # the index's key for actions with no owner: a REF typed with "?" names them


class AmbiguousRef(UserError):
    """The REF names several actions: the candidates are listed and nothing changes."""

    def __init__(self, ref: Ref, candidates: Sequence[ListedAction], refs: dict[int, str]) -> None:
        count = len(candidates)
        super().__init__(f"{count} actions match {ref}. Say which one you mean:")
        self.candidates = list(candidates)
        self.refs = refs


def owner_key(action: ActionFacts) -> tuple[str, ...]:
    return tuple(action.owner_initials)


def ordinals(actions: Iterable[ActionFacts]) -> dict[int, int]:
    """Each action's place among the same meeting's actions with the same item and owners.

    It counts closed actions too, so an action's ordinal never changes as others are closed.
    """
    groups: dict[tuple[int, str, tuple[str, ...]], list[tuple[int, int]]] = defaultdict(list)
    for action in actions:
        key = (action.meeting_id, action.item, owner_key(action))
        groups[key].append((action.position, action.id))
    return {
        action_id: place
        for group in groups.values()
        for place, (_position, action_id) in enumerate(sorted(group), start=1)
    }


class RefIndex:
    """The actions a set of REFs can name, indexed for the rules above.

    ``actions`` must hold every action that could compete for those REFs: a typed REF's item,
    or a list's ``queries.rivals``.
    """

    def __init__(self, actions: Iterable[ActionFacts]) -> None:
        unique = {action.id: action for action in actions}
        self.places = ordinals(unique.values())
        self._owners = {action.id: set(owner_key(action)) for action in unique.values()}
        self._named: dict[Ref, list[ActionFacts]] = {}  # a crowded item's REFs, tried once
        self._by_owner: dict[tuple[str, str], list[ActionFacts]] = defaultdict(list)
        for action in unique.values():
            # An action with no owner (its initials matched nobody) is found as "06-?".
            for initials in owner_key(action) or (NO_OWNER,):
                self._by_owner[(action.item, initials)].append(action)

    def candidates(self, ref: Ref) -> list[ActionFacts]:
        """What ``ref`` could mean: rules 1 to 4, in minutes order."""
        typed = set(ref.owners)
        matching = [
            action
            for action in self._by_owner.get((ref.item, (ref.owners or (NO_OWNER,))[0]), [])
            if typed <= self._owners[action.id]
            and (ref.meeting is None or action.meeting_date == ref.meeting)
        ]
        exact = [action for action in matching if self._owners[action.id] == typed]
        if exact:
            matching = exact
        if ref.ordinal is not None:
            matching = [a for a in matching if self.places[a.id] == ref.ordinal]
        latest = max((action.meeting_date for action in matching), default=None)
        kept = [a for a in matching if a.status == ActionStatus.OPEN or a.meeting_date == latest]
        return sorted(kept, key=lambda a: (a.meeting_date, a.position))

    def name(self, action: ActionFacts) -> str:
        """The shortest REF that names ``action`` alone: plain, then with its place, then with
        its meeting, then both (which always does)."""
        owners = owner_key(action)
        if len(self._by_owner[(action.item, (owners or (NO_OWNER,))[0])]) == 1:
            return str(Ref(action.item, owners, None, None))  # alone there: nothing to compete
        place = self.places.get(action.id)
        forms = ((None, None), (place, None), (None, action.meeting_date))
        for ordinal, meeting in forms:
            ref = Ref(action.item, owners, ordinal, meeting)
            named = self._named.get(ref)
            if named is None:
                named = self._named[ref] = self.candidates(ref)
            if len(named) == 1 and named[0].id == action.id:
                return str(ref)
        return str(Ref(action.item, owners, place, action.meeting_date))


def unique_refs(shown: Sequence[ActionFacts], universe: Iterable[ActionFacts]) -> dict[int, str]:
    """The shortest REF for each shown action that names it alone among ``universe``."""
    index = RefIndex([*universe, *shown])
    return {action.id: index.name(action) for action in shown}


def display_refs(
    session: Session,
    board: Board,
    shown: Sequence[ActionFacts],
    every_open: Sequence[ActionFacts] | None = None,
) -> dict[int, str]:
    """REFs to show: each names its action alone, by the rules above, among all of the board's.

    Only the actions that could compete are read (``queries.rivals``), not the board's history:
    a tick's nudges would otherwise each read every action. ``every_open``: the board's open
    actions, already read by the caller (``outstanding``), so that only closed rivals are read.
    """
    if not shown:
        return {}
    items = {action.item for action in shown}
    owner_ids = {owner.id for action in shown for owner in action.owners}
    since = min(action.meeting_date for action in shown)
    if every_open is None:
        return unique_refs(shown, queries.rivals(session, board, items, owner_ids, since))
    closed = queries.rivals(session, board, items, owner_ids, since, closed_only=True)
    return unique_refs(shown, [*every_open, *closed])


# The action to change, with its owners (who may change it), in one query rather than two.
_TO_CHANGE = (joinedload(Action.owner_links),)


def resolve(ctx: Ctx, target: Target) -> Action:
    """The one action ``target`` names, whatever its status, or a refusal that changes nothing.

    A REF's item is read as plain rows; only the action named is loaded as an ORM object.
    """
    if isinstance(target, ActionId):
        return by_id(ctx, target)
    if target.board and target.board != ctx.board.short.upper():
        raise NotFound(f"{target} is not on {ctx.board.name} ({ctx.board.short}).")
    same_item = queries.listed_actions(ctx.session, ctx.board, item=target.item)
    index = RefIndex(same_item)
    candidates = index.candidates(target)
    if len(candidates) == 1:
        return ctx.session.get_one(Action, candidates[0].id, options=_TO_CHANGE)
    if candidates:
        listed = [a for a in same_item if a.id in {c.id for c in candidates}]
        raise AmbiguousRef(target, listed, {a.id: index.name(a) for a in listed})
    raise NotFound(f"No action matches {target}.", hints=tuple(suggestions(ctx, target)))


def by_id(ctx: Ctx, target: ActionId) -> Action:
    """The action a button or a form names by its id, if it is still on this board."""
    action = ctx.session.get(Action, target.id, options=_TO_CHANGE)
    if action is None or action.board_id != ctx.board.id:
        raise NotFound(f"There is no {target} on {ctx.board.name}.")
    return action


def suggestions(ctx: Ctx, ref: Ref, limit: int = 3) -> list[str]:
    """The open actions closest to what was typed, as "Did you mean" lines."""
    open_actions = queries.listed_actions(ctx.session, ctx.board, status=ActionStatus.OPEN)
    typed = str(ref)

    def closeness(action: ListedAction) -> tuple[int, float]:
        shared = (action.item == ref.item) + bool(set(ref.owners) & set(owner_key(action)))
        plain = format_ref(action.item, owner_key(action))
        return shared, SequenceMatcher(None, typed, plain).ratio()

    ranked = [a for a in sorted(open_actions, key=closeness, reverse=True)[:limit]]
    ranked = [a for a in ranked if closeness(a)[1] > 0.3]
    refs = display_refs(ctx.session, ctx.board, ranked)
    return [f"Did you mean {refs[a.id]}: {shorten(a.text)}" for a in ranked]


def shorten(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
