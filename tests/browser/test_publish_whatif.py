"""The publish page in a browser, as Pusat sees it at 1366x768: a mistyped draft, its
failing labelled example, the what-if started with the button and its report."""

from __future__ import annotations

import datetime as dt

import pytest

from common.users import system_user
from policy.models import Channel, Directive, DirectiveExample, GreetingTemplate
from policy.seed import HPN_OPENING, sop_seed
from policy.services import directive_content_save
from scoring.services import chunks, ingest
from tests.conftest import DEV_DATA
from tests.factories import UserFactory
from tests.roles import PUSAT, ensure_roles

pytestmark = pytest.mark.django_db(transaction=True)


def test_publish_page_shows_the_whatif_report(live_server, browser_page, screenshot_dir):
    """GIVEN the SOP, scored dev transcripts and a live-chat draft that says "PLN 132"
    WHEN Pusat opens its publish page and runs the what-if
    THEN the page shows the failing example, the verdicts that flip and the
    confirmation box before the Publish button; a screenshot is saved."""
    from django.contrib.auth.models import Group

    ensure_roles()
    sop_seed(user=system_user())
    batch = ingest.batch_ingest(
        filename="dev.jsonl",
        content=(DEV_DATA / "dev-transcripts.jsonl").read_bytes(),
        user=system_user(),
        enqueue=False,
    )
    chunks.batch_score_inline(batch=batch)
    user = UserFactory(username="pusat-browser", is_staff=True)
    user.set_password("browser-pass-123")
    user.save()
    user.groups.add(Group.objects.get(name=PUSAT))
    draft = directive_content_save(
        directive=Directive(
            reference="SOP-PLN123-HPN-LIVECHAT",
            title="HPN 2023 on live chat",
            valid_from_date=dt.date(2023, 9, 4),
            valid_until_date=dt.date(2023, 9, 30),
            priority=5,
            public_owed_categories="Informasi",
        ),
        fields={},
        channels=Channel.objects.filter(code="live_chat"),
        templates=[GreetingTemplate(element="opening", text=HPN_OPENING.replace("PLN 123", "PLN 132"))],
        user=user,
        reason="browser test",
    )
    DirectiveExample.objects.create(
        directive=draft,
        channel=Channel.objects.get(code="live_chat"),
        local_date=dt.date(2023, 9, 15),
        local_time=dt.time(9, 0),
        timezone="WIB",
        cso_name="Rina",
        opening="PLN 123 selamat Pagi, Selamat Hari Pelanggan Nasional, Senyum Pelanggan PLN 2023, "
        "dengan Rina bisa dibantu",
        expected="YES",
    )

    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "pusat-browser")
    page.fill("#id_password", "browser-pass-123")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/policy/directive/{draft.pk}/publish/")
    assert page.locator("#publish-examples .example-fail").count() == 1
    page.click("#whatif-start")
    page.wait_for_selector("#whatif-summary")
    assert "akan berubah" in page.inner_text("#whatif-summary")  # the browser speaks Indonesian
    assert "YES → NO" in page.inner_text("#whatif-transitions")
    assert page.locator("#whatif-examples tbody tr").count() >= 1
    assert page.locator("input[name=confirm_changes]").is_visible()
    assert page.locator("#publish-button").is_visible()
    # The page fits the screen's width: no sideways scrolling at 1366 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=str(screenshot_dir / "publish-whatif.png"), full_page=True)
    page.screenshot(path=str(screenshot_dir / "publish-whatif-viewport.png"))
