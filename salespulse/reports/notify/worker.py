"""One pass of the worker: find what is due, claim it, send it, record how it went.

Finding is a fixed number of queries however many sellers and heads there are; each e-mail
then costs one write to claim it and one to record the outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from salespulse.reports.notify.digest import due_digests
from salespulse.reports.notify.jobs import Job, claim, mark_failed, mark_sent
from salespulse.reports.notify.mail import render
from salespulse.reports.notify.reminders import due_reminders

logger = logging.getLogger("salespulse.notify")


@dataclass
class Outcome:
    sent: list[Job] = field(default_factory=list)
    failed: list[tuple[Job, str]] = field(default_factory=list)
    skipped: int = 0  # claimed by another worker first


def collect(now: datetime) -> list[Job]:
    # Reminders first: they have a deadline, the digest has the whole morning.
    return due_reminders(now) + due_digests(now)


def deliver(
    jobs: Iterable[Job], now: datetime, should_stop: Callable[[], bool] = lambda: False
) -> Outcome:
    outcome = Outcome()
    for job in jobs:
        # Checked between sends only: a stop request lets the current send finish.
        if should_stop():
            break
        notification = claim(job, now)
        if notification is None:
            outcome.skipped += 1
            continue
        try:
            render(job.template, job.context, job.to).send()
        except Exception as e:  # SMTP, network, or a template bug: record it, go on
            error = f"{type(e).__name__}: {e}"
            logger.error("Could not send %s to %s for %s: %s", job.kind, job.to, job.day, error)
            mark_failed(notification, error)
            outcome.failed.append((job, error))
        else:
            mark_sent(notification)
            outcome.sent.append(job)
    return outcome


def run_pass(
    now: datetime | None = None, should_stop: Callable[[], bool] = lambda: False
) -> Outcome:
    now = now or timezone.now()
    return deliver(collect(now), now, should_stop)
