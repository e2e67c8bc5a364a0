"""The three people of the site in a real browser (Chromium, 1366x768, in Indonesian), each flow
ending on a screenshot of what they see: Pusat publishes a directive; QA uploads the
dev file, follows the progress bar to done and opens a NO to see the marked
difference; the auditor opens a directive's history and the compliance dashboard."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PASSWORD, login, shoot
from tests.conftest import DEV_DATA
from tests.roles import ensure_roles
from tests.workers import filesystem_transport_options, real_broker, start_worker, stop_worker

# Transactional: the live server's thread and the worker process read what the test wrote.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site():
    """The seeded SOP, a draft directive and one user per role with a known password."""
    from django.contrib.auth.models import Group

    from common.users import system_user
    from policy.models import Channel
    from policy.seed import sop_seed
    from tests.factories import DirectiveFactory, GreetingTemplateFactory, UserFactory

    ensure_roles()
    sop_seed(user=system_user())
    users = {}
    for role in ("Pusat", "QA", "Auditor"):
        user = UserFactory(username=f"browser-{role.lower()}", is_staff=True, password=PASSWORD)
        user.groups.add(Group.objects.get(name=role))
        users[role] = user
    draft = DirectiveFactory(
        reference="SOP-PLN123-BROWSER",
        title="Salam Natal 2023",
        channels=[Channel.objects.get(code="email")],
    )
    GreetingTemplateFactory(directive=draft, text="PLN 123 Selamat {waktu}, Selamat Natal, dengan {nama_cso}")
    return {"users": users, "draft": draft}


def upload_dev_file(page, live_server) -> str:
    """Upload the dev file as QA and wait on the batch page until its progress is done.
    Robust to an upload that scores at once and to one that returns first and lets a
    worker ingest and score (the page refreshes itself while the batch moves)."""
    page.goto(f"{live_server.url}/admin/scoring/uploadbatch/upload/")
    page.set_input_files("input[type=file]", str(DEV_DATA / "dev-transcripts.csv"))
    page.click("#content-main input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/scoring/uploadbatch/\d+/change/$"))
    batch_url = page.url
    page.wait_for_selector("progress")
    shot_on_its_way = False
    for _ in range(120):  # up to ~four minutes, reloading like the page itself does
        percent = int(page.locator("#batch-percent").inner_text().strip())
        if 0 < percent < 100 and not shot_on_its_way:
            shoot(page, "qa-1-batch-progress", wide=False)
            shot_on_its_way = True
        if percent == 100:
            break
        page.wait_for_timeout(1000)
        page.goto(batch_url)
    assert page.locator("#batch-percent").inner_text().strip() == "100"
    return batch_url


def test_pusat_publishes_a_directive(page, live_server, site):
    """GIVEN a draft directive WHEN Pusat logs in, opens it from the home page's task list
    and publishes it with a reason THEN it shows as published, and the timeline shows its bar."""
    login(page, live_server, "browser-pusat")
    assert page.locator(".home-tasks li.mine").count() >= 3
    shoot(page, "pusat-0-home")
    page.locator(".home-tasks").get_by_role("link", name="Direktif", exact=True).click()
    page.click("text=SOP-PLN123-BROWSER")
    page.click(".object-tools a:has-text('Terbitkan')")
    page.fill("textarea[name=reason], input[name=reason]", "Memo Natal 2023 signed by the head of Pusat")
    page.click("#publish-button")
    page.wait_for_selector(".messagelist")
    shoot(page, "pusat-1-published")
    site["draft"].refresh_from_db()
    assert site["draft"].status == "published"
    page.goto(f"{live_server.url}/admin/policy/directive/timeline/")
    assert page.locator("a.tl-bar:has-text('SOP-PLN123-BROWSER')").count() == 1
    shoot(page, "pusat-2-timeline")


@pytest.fixture
def worker(tmp_path, settings):
    """A real worker process on the embedded (filesystem) broker and the test database,
    scoring small chunks so the batch page has a progress to show on its way."""
    settings.SCORING_CHUNK_SIZE = 5
    var_dir = tmp_path / "var"
    # The worker reads the uploaded file where the site stored it: one media folder.
    settings.MEDIA_ROOT = var_dir / "media"
    options = filesystem_transport_options(var_dir)
    log = tmp_path / "worker.log"
    # The worker cuts the chunks now (it ingests the upload): small ones, from its own settings.
    process = start_worker(
        name="browser",
        broker_url="filesystem://",
        var_dir=var_dir,
        log=log,
        concurrency=1,
        extra_env={"PLN123_CHUNK_SIZE": "5"},
    )
    try:
        with real_broker("filesystem://", options):
            yield log
    finally:
        stop_worker(process)


def test_qa_uploads_follows_progress_and_sees_the_marked_difference(page, live_server, site, worker):
    """GIVEN the seeded SOP and a worker process WHEN QA uploads the dev file, follows the
    batch page's progress bar to done and opens a NO THEN the score page marks what is
    missing or wrong in the CSO's turn, with a legend."""
    login(page, live_server, "browser-qa")
    shoot(page, "qa-0-home", wide=False)
    upload_dev_file(page, live_server)
    shoot(page, "qa-2-batch-done", wide=False)
    page.goto(f"{live_server.url}/admin/scoring/score/?final=NO&q=Intan")
    shoot(page, "qa-3-score-list")
    page.locator("#result_list tbody tr td.field-transcript_link a").first.click()
    page.wait_for_selector("#evidence-table")
    marked = page.locator("#evidence-turn .ev-wrong, #evidence-turn .ev-missing, #evidence-table .ev-mark.ev-missing")
    assert marked.count() >= 1
    assert page.locator("#evidence-legend li").count() == 4
    assert "aturan S" in page.locator("#score-reason").inner_text()  # the plain words, then the rule
    shoot(page, "qa-4-score-evidence")


def test_the_auditor_opens_the_history_and_the_dashboard(page, live_server, site):
    """GIVEN scored transcripts (uploaded by QA) WHEN the auditor opens the baseline's history,
    a version as it stood, and the dashboard THEN the version is read-only and the dashboard has
    its charts, whose bars open the score list."""
    login(page, live_server, "browser-qa")
    upload_dev_file(page, live_server)
    page.context.clear_cookies()
    login(page, live_server, "browser-auditor")
    page.goto(f"{live_server.url}/admin/policy/directive/")
    page.click("text=SOP-PLN123-STD")
    page.click(".object-tools a.historylink")
    page.wait_for_selector("#change-history, table")
    shoot(page, "auditor-1-history")
    version = page.locator("a[href*='/history/']").first
    version.click()
    page.wait_for_selector("#snapshot-read-only")
    assert page.locator("fieldset.as-it-stood[disabled]").count() >= 1
    shoot(page, "auditor-2-as-it-stood", wide=False)
    page.goto(f"{live_server.url}/admin/scoring/score/dashboard/")
    assert page.locator("svg.chart").count() == 4
    assert page.locator("#dashboard-totals a.big").first.inner_text().strip() == "240"
    shoot(page, "auditor-3-dashboard")
    page.locator("#by-channel svg.chart a").first.click()
    page.wait_for_selector("#result_list")
    assert "final=" in page.url
    page.goto(f"{live_server.url}/admin/scoring/uploadbatch/upload/")
    assert page.locator("#refused-home").count() == 1
    shoot(page, "auditor-4-refused", wide=False)
