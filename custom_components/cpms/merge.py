"""How reports about a session fold together: later states win, energy never drops."""

from __future__ import annotations

from dataclasses import replace

from .api import Session, SessionRef, SessionStatus

# Later states win; a late or replayed webhook can never move a session back.
RANK = {
    SessionStatus.REQUESTED: 0,
    SessionStatus.CREATED: 1,
    SessionStatus.STARTED: 2,
    SessionStatus.STOPPING: 3,
    SessionStatus.STOP_FAILED: 3,
    SessionStatus.ENDED: 4,
    SessionStatus.CANCELLED: 4,
    SessionStatus.START_FAILED: 4,
}


def same_session(current: Session, incoming: Session) -> bool:
    """Whether a report is about the connector's current session.

    A connector holds one transaction at a time, so two active reports whose ids cannot be
    compared (a start not yet confirmed, Thor's running list without id tags) are the same.
    """
    if current.ref.matches(incoming.ref) or (current.id and current.id == incoming.id):
        return True
    mine, theirs = current.ref, incoming.ref
    comparable = (
        (mine.edrv_session_id and theirs.edrv_session_id)
        or (mine.thor_transaction and theirs.thor_transaction)
        or (mine.thor_id_tag and theirs.thor_id_tag)
    )
    return not comparable and current.status.is_active and incoming.status.is_active


def combine(current: Session, incoming: Session) -> Session:
    """Newer facts win, reported fields overwrite, energy never goes down."""
    status = current.status
    if RANK[incoming.status] >= RANK[status] and status.is_active:
        status = incoming.status
    energy = current.energy_wh
    if incoming.energy_wh is not None:
        energy = incoming.energy_wh if energy is None else max(energy, incoming.energy_wh)
    return replace(
        current,
        id=current.id or incoming.id,
        status=status,
        ref=SessionRef(
            edrv_session_id=current.ref.edrv_session_id or incoming.ref.edrv_session_id,
            thor_id_tag=current.ref.thor_id_tag or incoming.ref.thor_id_tag,
            thor_transaction=current.ref.thor_transaction or incoming.ref.thor_transaction,
        ),
        energy_wh=energy,
        power_w=_pick(incoming.power_w, current.power_w),
        current_a=_pick(incoming.current_a, current.current_a),
        soc=_pick(incoming.soc, current.soc),
        cost=_pick(incoming.cost, current.cost),
        started_at=current.started_at or incoming.started_at,
        meter_start_wh=_pick(current.meter_start_wh, incoming.meter_start_wh),
        ended_at=incoming.ended_at or current.ended_at,
    )


def _pick[T](new: T | None, old: T | None) -> T | None:
    return old if new is None else new


def session_keys(session: Session) -> list[str]:
    """Ids that name this session and no other on the account.

    A Thor id tag is not one: an RFID card uses the same tag for every charge.
    """
    keys = []
    if session.ref.edrv_session_id:
        keys.append(f"edrv:{session.ref.edrv_session_id}")
    if session.ref.thor_transaction:
        keys.append(f"thor:{session.ref.thor_transaction}")
    return keys


def started_before(incoming: Session, current: Session) -> bool:
    """Whether a report is about a session that started before the current one did."""
    return (
        incoming.started_at is not None
        and current.started_at is not None
        and incoming.started_at < current.started_at
    )


def charged(incoming: Session, merged: Session) -> bool:
    """Whether the reports so far show that the session started charging."""
    return (
        incoming.status in (SessionStatus.STARTED, SessionStatus.ENDED)
        or merged.status is SessionStatus.STARTED
    )
