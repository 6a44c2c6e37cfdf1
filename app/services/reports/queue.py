"""Filing reports and working the operators' queue."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.social import Report
from app.services import NO_ORIGIN, Origin
from app.services.accounts.suspension import clean_reason, suspend_user
from app.services.audit import record_event
from app.services.errors import Conflict, Invalid, NotAllowed, NotFound
from app.services.ids import MAX_ID
from app.services.notifications import notify
from app.services.reports.targets import load_target, parse_target, remove_target

STATUSES = ("open", "dismissed", "removed", "suspended")
OUTCOMES = {
    "dismissed": "We looked at your report of {label} and found no breach of the rules.",
    "removed": "Thanks for your report of {label}: we removed it.",
    "suspended": "Thanks for your report of {label}: we suspended the account responsible.",
}


def create_report(reporter: User, target_type, target_id, reason: str | None) -> Report:
    """File a report; the same reporter reporting the same thing while it is open gets
    their open report back (Conflict would only make them retry)."""
    target_type, target_id = parse_target(target_type, target_id)
    reason = " ".join((reason or "").split()) if isinstance(reason, str) else ""
    if not 3 <= len(reason) <= 1000:
        raise Invalid("Say what is wrong (3 to 1,000 characters).", code="validation_failed",
                      fields={"reason": "3 to 1,000 characters."})
    target = load_target(target_type, target_id)
    if target.owner_id == reporter.id:
        raise Invalid("You cannot report your own content.", code="own_content")
    existing = db.session.scalar(sa.select(Report).where(
        Report.reporter_id == reporter.id, Report.target_type == target_type,
        Report.target_id == target_id, Report.status == "open"))
    if existing is not None:
        return existing
    report = Report(reporter_id=reporter.id, target_type=target_type, target_id=target_id,
                    target_owner_id=target.owner_id, reason=reason, status="open")
    db.session.add(report)
    db.session.flush()
    return report


def serialize_report(report: Report) -> dict:
    return {"id": report.id, "status": report.status, "target_type": report.target_type,
            "target_id": report.target_id, "created_at": report.created_at.isoformat()}


def list_reports(*, status: str = "open", before_id: int | None = None, limit: int = 50) -> list[Report]:
    stmt = sa.select(Report).order_by(Report.id.desc()).limit(limit)
    if status in STATUSES:
        stmt = stmt.where(Report.status == status)
    if before_id:
        stmt = stmt.where(Report.id < before_id)
    return list(db.session.scalars(stmt))


def count_reports(status: str = "open") -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Report).where(Report.status == status))


def get_report(report_id: int) -> Report:
    report = db.session.get(Report, report_id) if 0 < report_id <= MAX_ID else None
    if report is None:
        raise NotFound("No such report.")
    return report


def describe(report: Report) -> dict:
    """The report with what it points at (or None when that is gone) and the people."""
    try:
        target = load_target(report.target_type, report.target_id)
    except NotFound:
        target = None
    ids = {i for i in (report.reporter_id, report.target_owner_id) if i}
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    return {"report": report, "target": target, "reporter": people.get(report.reporter_id),
            "owner": people.get(report.target_owner_id)}


def _open(report_id: int, admin: User) -> Report:
    if not admin.is_admin:
        raise NotAllowed("Only operators resolve reports.")
    report = get_report(report_id)
    if report.status != "open":
        raise Conflict("That report is already resolved.", code="already_resolved")
    return report


def _close(report: Report, admin: User, status: str, note: str, origin: Origin, label: str) -> Report:
    report.status, report.resolution_note = status, note[:500] or None
    report.resolved_by, report.resolved_at = admin.id, utcnow()
    db.session.flush()
    record_event(f"report_{status}", user_id=admin.id, origin=origin, target_type="report", target_id=report.id,
                 reported_type=report.target_type, reported_id=report.target_id, note=note[:500])
    notify(report.reporter_id, "report_resolved", target_type="report", target_id=report.id,
           text=OUTCOMES[status].format(label=label))
    return report


def _label(report: Report) -> str:
    names = {"post": "a post", "comment": "a comment", "item": "an item", "community_post": "a community thread",
             "user": "an account"}
    return names[report.target_type]


def dismiss_report(admin: User, report_id: int, note: str | None = None, *, origin: Origin = NO_ORIGIN) -> Report:
    report = _open(report_id, admin)
    return _close(report, admin, "dismissed", " ".join((note or "").split()), origin, _label(report))


def remove_reported_content(admin: User, report_id: int, note: str | None = None, *,
                            origin: Origin = NO_ORIGIN) -> Report:
    """Take the reported content down; every open report of it is resolved the same way."""
    report = _open(report_id, admin)
    note = " ".join((note or "").split()) or "Removed after a report."
    try:
        target = load_target(report.target_type, report.target_id)
    except NotFound:
        target = None  # already gone: the reporters still hear the outcome
    if target is not None:
        remove_target(target, admin, note)
        record_event("content_removed", user_id=admin.id, origin=origin, target_type=report.target_type,
                     target_id=report.target_id, owner_id=report.target_owner_id, report_id=report.id)
    for other in _open_reports_of(report):
        _close(other, admin, "removed", note, origin, _label(other))
    return report


def suspend_reported_author(admin: User, report_id: int, reason: str | None, *,
                            origin: Origin = NO_ORIGIN) -> Report:
    """Suspend the owner of the reported content (or the reported account)."""
    report = _open(report_id, admin)
    reason = clean_reason(reason)
    owner = db.session.get(User, report.target_owner_id) if report.target_owner_id else None
    if owner is None:
        raise NotFound("The author of that content no longer exists.")
    if not owner.is_suspended:
        suspend_user(admin, owner, reason, origin=origin)
    for other in _open_reports_of(report):
        _close(other, admin, "suspended", reason, origin, _label(other))
    return report


def _open_reports_of(report: Report) -> list[Report]:
    return list(db.session.scalars(sa.select(Report).where(
        Report.target_type == report.target_type, Report.target_id == report.target_id,
        Report.status == "open").order_by(Report.id)))
