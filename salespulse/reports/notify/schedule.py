"""When a reminder or a digest is due, in the recipient's own time zone. Plain Python.

The worker wakes up every minute or so, and may have been down at the exact minute, so each
notification is due over a window rather than at an instant:

- a reminder from N minutes before the seller's deadline until the deadline itself (after it
  the day is "missing", and a reminder would only nag);
- a digest from SALESPULSE_DIGEST_HOUR:00 local time until noon of the same local day (later,
  yesterday's news is stale and the head has already looked at the screens). When the digest
  hour is noon or later the window is that one hour.
A failed send is retried while its window is open, no sooner than RETRY_AFTER after the
previous attempt; so a notification is attempted a bounded number of times, never endlessly.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

RETRY_AFTER = timedelta(minutes=5)
DIGEST_UNTIL = time(12, 0)


def reminder_due(now: datetime, deadline: datetime, minutes: int) -> bool:
    """`deadline` is the aware moment the day's report is due; 0 minutes turns reminders off."""
    if minutes <= 0:
        return False
    return deadline - timedelta(minutes=minutes) <= now < deadline


def digest_window(day: date, hour: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The aware moments between which `day`'s digest may go out."""
    start = datetime.combine(day, time(hour, 0), tz)
    end = datetime.combine(day, DIGEST_UNTIL, tz)
    if end <= start:
        end = start + timedelta(hours=1)
    return start, end


def digest_due(now: datetime, hour: int, tz: ZoneInfo) -> bool:
    start, end = digest_window(now.astimezone(tz).date(), hour, tz)
    return start <= now < end


def retry_allowed(last_attempt: datetime, now: datetime) -> bool:
    return now - last_attempt >= RETRY_AFTER
