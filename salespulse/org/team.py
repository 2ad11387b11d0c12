"""A department's team: adding a seller in one step and marking one as left.

Used by the head's team page and by `salespulse seller add`, so both check the same things.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from salespulse.kpis import recount
from salespulse.kpis.models import Recount, Role
from salespulse.org.models import Department, Employee


@dataclass
class NewSeller:
    login: str
    name: str
    role: Role | None
    department: Department
    extension: str = ""  # an extension number, or a SIP peer / agent name on call records
    email: str = ""
    timezone: str = "Europe/Moscow"
    hired_on: date | None = None


# The order a single message is picked in (the command line reports one problem at a time).
FIELDS = ("login", "name", "role", "timezone", "extension", "email")


def check(new: NewSeller) -> dict[str, str]:
    """Field -> why it is refused; empty when the seller can be added."""
    User = get_user_model()
    errors: dict[str, str] = {}
    try:
        User.username_validator(new.login)
    except ValidationError as e:
        errors["login"] = _("Bad login '%(login)s': %(why)s") % {
            "login": new.login,
            "why": " ".join(e.messages),
        }
    if not new.login:
        errors["login"] = _("Enter a login.")
    elif "login" in errors:
        pass
    elif User.objects.filter(username__iexact=new.login).exists():
        errors["login"] = _("Login already taken: %(login)s") % {"login": new.login}
    if not " ".join(new.name.split()):
        errors["name"] = _("Enter the seller's name.")
    if new.role is None:
        errors["role"] = _("Choose a sales role.")
    if new.timezone not in zoneinfo.available_timezones():
        errors["timezone"] = _("Unknown time zone: %(tz)s") % {"tz": new.timezone}
    if new.email:
        try:
            validate_email(new.email)
        except ValidationError:
            errors["email"] = _("Bad e-mail address: %(email)s") % {"email": new.email}
    if new.extension:
        holder = taken_by(new.extension)
        if holder is not None:
            errors["extension"] = _("Extension %(key)s already belongs to %(who)s") % {
                "key": new.extension,
                "who": holder.user.username,
            }
    return errors


def taken_by(key: str) -> Employee | None:
    from salespulse.telephony.models import AgentAlias

    holder = Employee.objects.filter(extension=key).select_related("user").first()
    if holder is None:
        alias = AgentAlias.objects.filter(key=key).select_related("employee__user").first()
        holder = alias.employee if alias else None
    return holder


@transaction.atomic
def add_seller(new: NewSeller, password: str | None = None) -> Employee:
    """Create the user (no usable password unless given) and the seller; ValidationError with
    the fields' reasons when something is wrong, and then nothing is created."""
    from salespulse.telephony.models import AgentAlias

    errors = check(new)
    if errors:
        raise ValidationError(errors)
    name = " ".join(new.name.split())
    first_name, _sep, last_name = name.partition(" ")
    User = get_user_model()
    user = User(username=new.login, first_name=first_name, last_name=last_name, email=new.email)
    if password is not None:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    extension = new.extension if new.extension.isdigit() else ""
    employee = Employee.objects.create(
        user=user,
        position=Employee.Position.SELLER,
        department=new.department,
        sales_role=new.role,
        timezone=new.timezone,
        extension=extension,
        hired_on=new.hired_on,
    )
    if new.extension and not extension:
        # A SIP peer or an agent name: matched on call records through a mapping.
        AgentAlias.objects.create(source=None, key=new.extension, employee=employee)
    if new.extension:
        # Calls stored before, on a key nobody had: the worker moves them.
        recount.request(
            Recount.Kind.AGENTS, {"sources": None}, [new.department.pk], "new extension"
        )
    return employee


def set_password_path(user) -> str:
    """The address where the seller sets their own password (valid for a few days)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("set-password", args=[uid, default_token_generator.make_token(user)])


def mark_left(employee: Employee, day: date) -> None:
    """The seller's last working day: history stays; from the next day they are out of plans,
    reminders, rankings and the board's expectations (all read left_on)."""
    if employee.hired_on and day < employee.hired_on:
        raise ValidationError(_("Leaving date is before the hiring date."))
    employee.left_on = day
    employee.save(update_fields=["left_on"])
    close_leavers_logins()


def close_leavers_logins(now: datetime | None = None) -> list[str]:
    """Turn off the login of everyone whose last working day is behind them (in their own
    time zone): their history stays, their open sessions end (Django checks is_active on
    each request). Called when a head marks a seller as left and on every worker pass, for
    a leaving date set ahead. Returns the logins turned off."""
    now = now or timezone.now()
    # Nobody's local date is more than a day behind UTC's: a cheap first cut.
    candidates = Employee.objects.filter(
        left_on__lt=now.date() + timedelta(days=1), user__is_active=True
    ).select_related("user")
    closed = []
    for employee in candidates:
        if employee.left_on < now.astimezone(zoneinfo.ZoneInfo(employee.timezone)).date():
            get_user_model().objects.filter(pk=employee.user_id).update(is_active=False)
            closed.append(employee.user.username)
    return closed
