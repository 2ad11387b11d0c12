"""One e-mail to send, and the claim that makes sure only one worker sends it.

The claim is the Notification row: its unique (kind, user, day) constraint lets exactly one
insert succeed however many workers race. A failed attempt may be taken over later by a
conditional UPDATE on the row's previous attempt time (only one worker's UPDATE matches).
A row left "claimed" by a worker killed mid-send is never taken over: we cannot know
whether the message left, and a missed reminder is better than a doubled one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction

from salespulse.reports.models import Notification
from salespulse.reports.notify.schedule import retry_allowed


@dataclass
class Job:
    kind: str  # Notification.Kind
    user_id: int
    day: date  # the recipient's local day the notification belongs to
    to: str
    template: str  # emails/<template>-subject.txt, -body.txt, -body.html
    # Called in the e-mail's language, when the job is sent: builds the template context.
    context: Callable[[], dict[str, Any]]
    retry: Notification | None = None  # a failed attempt this job would take over


def existing_claims(
    kind: str, user_ids: Iterable[int], days: Iterable[date]
) -> dict[tuple[int, date], Notification]:
    """Notifications already claimed for these people and days, in one query."""
    rows = Notification.objects.filter(kind=kind, user_id__in=set(user_ids), day__in=set(days))
    return {(n.user_id, n.day): n for n in rows}


def still_to_send(existing: Notification | None, now: datetime) -> bool:
    if existing is None:
        return True
    return existing.status == Notification.Status.FAILED and retry_allowed(existing.claimed_at, now)


def claim(job: Job, now: datetime) -> Notification | None:
    """The claimed row, or None when another worker has this job."""
    if job.retry is not None:
        taken = Notification.objects.filter(
            pk=job.retry.pk,
            status=Notification.Status.FAILED,
            claimed_at=job.retry.claimed_at,
        ).update(status=Notification.Status.CLAIMED, claimed_at=now, error="")
        return job.retry if taken else None
    try:
        # Its own atomic block: on PostgreSQL a failed INSERT would otherwise break the
        # surrounding transaction (a test's, or a caller's) for every later query.
        with transaction.atomic():
            return Notification.objects.create(kind=job.kind, user_id=job.user_id, day=job.day)
    except IntegrityError:
        return None


def mark_sent(notification: Notification) -> None:
    Notification.objects.filter(pk=notification.pk).update(status=Notification.Status.SENT)


def mark_failed(notification: Notification, error: str) -> None:
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.FAILED, error=error
    )
