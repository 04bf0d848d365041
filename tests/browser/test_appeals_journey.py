"""A user appeals with a photo, staff asks for more in admin, the user answers, staff accepts.

Two browser contexts against the live server: the user on a phone, the
appeals officer on a desktop using the real admin pages.
"""

import io
import re

import pytest
from PIL import Image

from appeals.models import Appeal
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD


def photo() -> dict:
    image = Image.new("RGB", (320, 240), (30, 120, 200))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return {"name": "screenshot.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def staff_sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def staff_act(page, live_server, appeal: Appeal, action: str, body: str) -> None:
    page.goto(f"{live_server.url}/admin/appeals/appeal/{appeal.pk}/change/")
    page.fill("#id_reply_body", body)
    page.click(f"[data-testid={action}]")
    page.wait_for_selector(".messagelist .success")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_appeal_journey(live_server, phone_page, desktop_page, make_account, place_hold, officer,
                        screenshot_dir):
    user = make_account("uma")
    place_hold(user, "content_violation")
    user_page, staff_page = phone_page, desktop_page

    # The user files an appeal from the hold's card, with a photo as evidence.
    sign_in(user_page, live_server, "uma", PASSWORD)
    user_page.locator("[data-testid=hold-card] [data-testid=remedy]").first.click()
    user_page.wait_for_selector("[data-testid=appeal-form]")
    user_page.select_option("select[name=category]", "wrong_decision")
    user_page.fill("textarea[name=statement]", "The video was my own work, not a copy.")
    user_page.set_input_files("input[name=evidence]", photo())
    user_page.screenshot(path=str(screenshot_dir / "appeal-1-form.png"), full_page=True)
    user_page.click("[data-testid=appeal-form] button[type=submit]")
    user_page.wait_for_url(re.compile(r"/appeals/\d+/$"))
    appeal = Appeal.objects.get(account=user)
    assert user_page.locator("[data-testid=attachment]").count() == 1

    # Staff finds it in the queue and asks for more in admin.
    staff_sign_in(staff_page, live_server, "officer")
    staff_page.goto(f"{live_server.url}/admin/appeals/appeal/")  # opens on the open cases
    assert staff_page.locator("[data-testid=queue-dashboard-link]").is_visible()
    staff_page.click(f"#result_list a[href*='/appeal/{appeal.pk}/change/']")
    staff_page.wait_for_selector("[data-testid=staff-thread]")
    staff_page.screenshot(path=str(screenshot_dir / "appeal-2-queue.png"), full_page=True)
    staff_act(staff_page, live_server, appeal, "ask", "Please send the original project file.")
    staff_page.screenshot(path=str(screenshot_dir / "appeal-2-case.png"), full_page=True)

    # The user sees the bell count, reads the question and answers.
    user_page.goto(f"{live_server.url}/")
    bell = user_page.locator("[data-testid=bell-count]")
    assert int(bell.inner_text()) >= 2  # received + question
    user_page.goto(f"{live_server.url}/appeals/{appeal.pk}/")
    assert user_page.locator("[data-testid=awaiting-user]").is_visible()
    assert "original project file" in user_page.locator("[data-testid=thread]").inner_text()
    user_page.fill("textarea[name=body]", "Here is the project file.")
    user_page.set_input_files("input[name=evidence]", photo())
    user_page.click("[data-testid=reply-form] button[type=submit]")
    user_page.wait_for_selector("[data-testid=thread] >> text=Here is the project file.")
    user_page.screenshot(path=str(screenshot_dir / "appeal-3-thread.png"), full_page=True)
    appeal.refresh_from_db()
    assert appeal.state == "in_review"

    # Staff accepts; the user's status page no longer shows the hold.
    staff_act(staff_page, live_server, appeal, "accept", "Thank you, the limit is lifted.")
    user_page.goto(f"{live_server.url}/")
    user_page.wait_for_selector("[data-testid=all-clear]")
    assert user_page.locator("[data-testid=hold-card]").count() == 0
    user_page.goto(f"{live_server.url}/appeals/{appeal.pk}/")
    assert user_page.locator("[data-testid=decision]").is_visible()
    user_page.screenshot(path=str(screenshot_dir / "appeal-4-decided.png"), full_page=True)
