"""Uploading call records in the browser: a big file keeps the page busy for a while."""

import pytest
from playwright.sync_api import expect

from salespulse.telephony.models import CallImport
from tests.browser.test_login import assert_fits_the_phone, log_in
from tests.factories import PASSWORD, make_admin, make_department, make_seller
from tests.telephony.conftest import master_csv

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_upload_says_it_is_importing_and_cannot_be_sent_twice(phone, tmp_path, shots):
    department = make_department("cold", "Холодные звонки")
    make_seller("ann", department, "cold_caller", extension="101")
    make_admin("it")
    path = tmp_path / "Master.csv"
    path.write_text(master_csv(21))
    log_in(phone, "it", PASSWORD)
    phone.goto("/telephony/import/")
    phone.fill("input[name=name]", "Офисная АТС")
    phone.set_input_files("input[type=file]", str(path))
    # The page shows what it shows while the server works on a big file; a listener
    # after ours keeps the form from leaving meanwhile (Playwright would wait for it).
    phone.evaluate("window.addEventListener('submit', (event) => event.preventDefault())")
    note, button = phone.locator(".busy-note"), phone.locator("form[data-busy] button")
    expect(note).to_be_hidden()
    button.click()
    expect(note).to_be_visible()
    expect(note).to_contain_text("Идёт импорт")
    expect(button).to_be_disabled()
    assert_fits_the_phone(phone)
    phone.screenshot(path=str(shots / "call-import-busy-375.png"), full_page=True)
    assert CallImport.objects.count() == 0
    phone.evaluate("document.querySelector('form[data-busy]').submit()")
    phone.wait_for_url("**/telephony/import/*/")
    assert CallImport.objects.get().result["imported"] > 0
    expect(phone.locator("main")).to_contain_text("Офисная АТС")
