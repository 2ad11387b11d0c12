"""A CRM stage's won/lost meaning changed in the admin: the worker recounts its deals."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from salespulse.crm.files import import_file
from salespulse.crm.models import Stage
from salespulse.kpis.models import Recount
from tests.crm.exports import D, bitrix24_csv
from tests.crm.helpers import facts
from tests.factories import make_admin

pytestmark = pytest.mark.django_db


def test_a_stage_mapped_to_won_counts_its_deals_once_the_worker_ran(company, client):
    deal = D("401", "Павел Волков", "Оплачено полностью", Decimal("1000"), "03.02.2026 12:00:00")
    import_file(io.BytesIO(bitrix24_csv([deal])), file_name="deal.csv")
    volkov = company["volkov"]
    assert facts(volkov, "deals_count") == {}  # a stage never seen counts as in progress
    stage = Stage.objects.get(name="Оплачено полностью")

    client.force_login(make_admin("root"))
    response = client.post(
        reverse("admin:crm_stage_change", args=[stage.pk]),
        {"source": stage.source, "name": stage.name, "kind": "won", "confirmed": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert facts(volkov, "deals_count") == {}  # not in the request
    assert Recount.objects.get().kind == Recount.Kind.STAGES

    call_command("worker")

    assert facts(volkov, "deals_count") == {date(2026, 2, 3): 1}
    assert facts(volkov, "deals_sum") == {date(2026, 2, 3): Decimal(1000)}
    assert Recount.objects.get().finished_at is not None

    # Saving it again unchanged asks for nothing.
    client.post(
        reverse("admin:crm_stage_change", args=[stage.pk]),
        {"source": stage.source, "name": stage.name, "kind": "won", "confirmed": "on"},
    )
    assert Recount.objects.count() == 1
