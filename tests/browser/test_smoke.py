import pytest

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_smoke(live_server, phone_page, make_account, place_hold):
    account = make_account("zoe")
    place_hold(account, "suspicious_signin")
    sign_in(phone_page, live_server, "zoe", PASSWORD)
    assert phone_page.locator("[data-testid=hold-card]").count() == 1
    phone_page.screenshot(path="/tmp/smoke.png", full_page=True)
