"""CRM connectors, one module per Source.Kind (see `sources.execute.connector`)."""

from __future__ import annotations


def employees_as_people() -> list:
    """Every employee as a CRM's users are matched to them (`lib.crm.people`)."""
    from salespulse.lib.crm.people import Person
    from salespulse.org.models import Employee

    rows = Employee.objects.values_list(
        "user__username", "user__first_name", "user__last_name", "user__email", "crm_id"
    )
    return [
        Person(login, f"{first} {last}".strip(), email or "", crm or "")
        for login, first, last, email, crm in rows
    ]
