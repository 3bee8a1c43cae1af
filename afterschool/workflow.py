"""One shape for every state machine: a table of moves, and one way to authorise and make one.

Like django-oscar's ``Order.set_status`` with its ``pipeline`` and ``OrderStatusChange``. An
app declares each machine once:

- a ``Status(TextChoices)`` on its model;
- a table ``{(from_status, to_status): Move}``: which moves exist and which roles make them
  (:data:`SYSTEM` for a move no person makes: a task, a signal, another app's service);
- a history model with ``from_status``, ``to_status``, ``actor``, ``actor_role``, ``at`` and
  ``comment`` — codes, never labels, so renaming a label does not rewrite the past.

:class:`StateMachine` ties them together. It looks moves up, decides in which role someone makes
one (:meth:`~StateMachine.authorise`) and performs one on a row the caller has locked
(:meth:`~StateMachine.apply`, or :meth:`~StateMachine.transition` for both): the status and the
other columns the move sets are saved with ``update_fields`` and one history row is written.
Side effects are the app's, queued with ``transaction.on_commit``. What a move is called and how
its button looks belong to the app's display code, which hands the labels in for messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db.models import Model, TextChoices
from django.utils import timezone

from .exceptions import DomainError

# The actor role of a move no person makes.
SYSTEM = "system"
SYSTEM_LABEL = "系统"

NOT_ALLOWED = "{noun}当前状态为“{current}”，不能改为“{target}”。"
ROLE_NOT_ALLOWED = "您没有权限执行“{label}”。"
OUT_OF_SCOPE = "这不是您负责的{noun}，不能执行“{label}”。"
COMMENT_REQUIRED = "请填写“{label}”的原因。"


class InvalidTransition(DomainError):
    """A move the table does not have, not for this person, or without its comment."""

    message = "不能执行此操作。"


@dataclass(frozen=True)
class Move:
    """One allowed move: its code (display code labels it) and who may make it."""

    name: str
    roles: tuple[str, ...]
    needs_comment: bool = False
    # Whether the app tells the people concerned (a move between staff may not concern them).
    notify: bool = True


def clean(obj: Model) -> None:
    """``full_clean`` that lets a nullable relation stay empty: no person behind a system move."""
    empty = [f.name for f in obj._meta.concrete_fields
             if f.null and getattr(obj, f.attname) is None]
    obj.full_clean(exclude=empty or None)


class StateMachine:
    """The moves of one status field, and the history model that records them."""

    def __init__(self, *, status: type[TextChoices], moves: Mapping[tuple[str, str], Move],
                 history: type[Model], subject: str, noun: str, labels: Mapping[str, str],
                 error: type[InvalidTransition] = InvalidTransition, field: str = "status",
                 history_values: Mapping | None = None, not_allowed: str = NOT_ALLOWED,
                 role_not_allowed: str = ROLE_NOT_ALLOWED, out_of_scope: str = OUT_OF_SCOPE,
                 comment_required: str = COMMENT_REQUIRED):
        self.status = status
        self.moves = dict(moves)
        self.history = history
        self.subject = subject              # the history model's foreign key to the row
        self.noun = noun                    # what the messages call the row: 意向书, 统筹安排
        self.labels = labels                # Move.name → label, from the app's display code
        self.error = error
        self.field = field
        self.history_values = dict(history_values or {})   # e.g. a log's ``kind``
        self.not_allowed = not_allowed
        self.role_not_allowed = role_not_allowed
        self.out_of_scope = out_of_scope
        self.comment_required = comment_required

    # ---------------------------------------------------------------- the table

    def move(self, from_status: str, to_status: str) -> Move | None:
        return self.moves.get((from_status, to_status))

    def moves_from(self, status: str) -> list[tuple[str, Move]]:
        return [(to, move) for (frm, to), move in self.moves.items() if frm == status]

    def label(self, move: Move) -> str:
        return self.labels.get(move.name, move.name)

    def status_label(self, status: str) -> str:
        return self.status(status).label

    # ---------------------------------------------------------------- checks

    def check(self, from_status: str, to_status: str) -> Move:
        """The move from one status to another, or the error saying it does not exist."""
        move = self.move(from_status, to_status)
        if move is None:
            raise self.error(self.not_allowed.format(
                noun=self.noun, current=self.status_label(from_status),
                target=self.status_label(to_status)))
        return move

    def authorise(self, move: Move, actor, *,
                  in_scope: Callable[[str], bool] | None = None) -> str:
        """The role in which ``actor`` makes ``move``: the first of the move's roles they hold
        and may use here (``in_scope(role)``, e.g. "their homeroom"). ``actor=None`` is the
        system, allowed only where the table says :data:`SYSTEM`."""
        label = self.label(move)
        if actor is None:
            if SYSTEM in move.roles:
                return SYSTEM
            raise self.error(self.role_not_allowed.format(noun=self.noun, label=label))
        held = False
        for role in move.roles:
            if role == SYSTEM or not actor.has(role):
                continue
            held = True
            if in_scope is None or in_scope(role):
                return role
        template = self.out_of_scope if held else self.role_not_allowed
        raise self.error(template.format(noun=self.noun, label=label))

    def require_comment(self, move: Move, comment: str) -> None:
        if move.needs_comment and not comment:
            raise self.error(self.comment_required.format(noun=self.noun, label=self.label(move)))

    # ---------------------------------------------------------------- making a move

    def history_row(self, obj: Model, *, from_status: str, to_status: str, actor, role: str,
                    comment: str = "", at: dt.datetime | None = None) -> Model:
        """The (unsaved) history row of one move: codes, who, in which role, when, why."""
        return self.history(**{self.subject: obj}, **self.history_values,
                            from_status=from_status, to_status=to_status,
                            actor=actor.user if actor is not None else None, actor_role=role,
                            at=at or timezone.now(), comment=comment)

    def apply(self, obj: Model, to_status: str, *, actor, role: str, comment: str = "",
              values: Mapping | None = None, at: dt.datetime | None = None) -> Model:
        """Make a checked move on a locked row: set the status and ``values``, save them with
        ``update_fields``, write the history row; return it."""
        at = at or timezone.now()
        from_status = getattr(obj, self.field)
        values = {self.field: to_status, **(values or {})}
        for name, value in values.items():
            setattr(obj, name, value)
        clean(obj)
        obj.save(update_fields=list(values))
        row = self.history_row(obj, from_status=from_status, to_status=to_status, actor=actor,
                               role=role, comment=comment, at=at)
        clean(row)
        row.save()
        return row

    def transition(self, obj: Model, to_status: str, *, actor, comment: str = "",
                   in_scope: Callable[[str], bool] | None = None, values: Mapping | None = None,
                   at: dt.datetime | None = None) -> Model:
        """Check, authorise and make one move on a locked row; return the history row."""
        move = self.check(getattr(obj, self.field), to_status)
        role = self.authorise(move, actor, in_scope=in_scope)
        comment = (comment or "").strip()
        self.require_comment(move, comment)
        return self.apply(obj, to_status, actor=actor, role=role, comment=comment,
                          values=values, at=at)
