"""The compliance dashboard: its figures are the score export's for the same filter,
each number opens the scores behind it, the XLSX export is laid out for reporting."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from policy.models import Channel
from scoring.dashboard import DashboardFilter, compliance_dashboard
from scoring.models import Score
from scoring.services.overrides import score_override
from tests.roles import QA, role_user
from tests.scoring.uploads import upload_and_score

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev_scored(seeded, user, dev_data):
    """The dev file scored, and one NO overridden to YES by QA."""
    upload_and_score((dev_data / "dev-transcripts.csv").read_bytes(), user, name="dev-transcripts.csv")
    score = Score.objects.current().filter(result="NO").order_by("pk").first()
    score_override(score=score, result="YES", justification="The recording has the greeting.", user=user)
    return score


def export_results(client, query: str) -> Counter:
    """The ``result`` column of the score export the changelist makes of ``query``."""
    response = client.get(reverse("admin:scoring_score_export", args=["csv"]) + "?" + query)
    assert response.status_code == 200, response.content[:500]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    return Counter(row["result"] for row in rows)


def assert_tally_is_export(client, tally):
    counts = export_results(client, tally.links["total"])
    assert (tally.yes, tally.no, tally.na) == (counts["YES"], counts["NO"], counts["NA"]), tally.label
    # Each number's own link lists exactly that many.
    for key in ("yes", "no", "na"):
        assert sum(export_results(client, tally.links[key]).values()) == getattr(tally, key), (tally.label, key)


@pytest.mark.parametrize(
    "make_filter",
    [
        pytest.param(lambda: DashboardFilter(), id="everything"),
        pytest.param(
            lambda: DashboardFilter(
                start=dt.date(2023, 9, 1),
                end=dt.date(2023, 10, 31),
                channel=Channel.objects.get(code="live_chat"),
            ),
            id="period-and-channel",
        ),
        pytest.param(lambda: DashboardFilter(zone="WITA"), id="zone"),
    ],
)
def test_dashboard_numbers_equal_the_score_export_for_the_same_filter(client, dev_scored, make_filter):
    """GIVEN the dev transcripts scored and one NO overridden to YES
    WHEN the dashboard is computed for a filter
    THEN its totals, and its figures by channel, CSO, day and zone, are the counts of the
    score export (the changelist's filters) for the same filter, number by number."""
    client.force_login(role_user(QA))
    board = compliance_dashboard(make_filter())
    assert board.total.total > 0
    assert_tally_is_export(client, board.total)
    for group in (board.by_channel, board.by_zone, board.by_day):
        assert sum(t.total for t in group) == board.total.total  # every score in one group
    for group in (board.by_channel, board.by_zone, board.by_day[:6], board.by_cso[:4]):
        for tally in group:
            assert_tally_is_export(client, tally)
    for reason, count, query in board.reasons[:3]:
        assert sum(export_results(client, query).values()) == count, reason


def test_overrides_count_as_their_final_result_and_are_listed(client, dev_scored):
    """GIVEN one NO overridden to YES
    WHEN the dashboard is computed for everything
    THEN the override is counted (NO -> YES), listed, and its link lists that score."""
    client.force_login(role_user(QA))
    board = compliance_dashboard(DashboardFilter())
    assert board.override_count == 1
    assert board.override_moves == [("NO", "YES", 1)]
    assert [o.score_id for o in board.overrides] == [dev_scored.pk]
    response = client.get(reverse("admin:scoring_score_changelist") + "?" + board.overrides_query)
    assert [s.pk for s in response.context["cl"].result_list] == [dev_scored.pk]


def test_the_dashboard_page_shows_charts_and_links_as_qa_sees_it(client, dev_scored):
    """GIVEN the dev transcripts scored
    WHEN QA opens the dashboard for the live chat channel
    THEN the page has the totals, an SVG chart per grouping whose bars link to the score
    list, the reasons for NO, and an export link that keeps the filter."""
    client.force_login(role_user(QA))
    live_chat = Channel.objects.get(code="live_chat")
    response = client.get(reverse("admin:scoring_score_dashboard"), {"channel": live_chat.pk})
    assert response.status_code == 200
    page = response.content.decode()
    board = response.context["board"]
    assert {t.label for t in board.by_channel} == {"live_chat"}
    assert page.count('<svg class="chart"') == 4
    assert f"transcript__channel__id__exact={live_chat.pk}&amp;final=NO" in page
    assert 'id="dashboard-export" href="' not in page  # the attribute order is href first
    assert f"dashboard/export/?channel={live_chat.pk}" in page
    assert "Most common reasons for NO" in page


def test_a_period_ending_before_it_starts_is_refused_with_a_message(client, seeded):
    client.force_login(role_user(QA))
    response = client.get(reverse("admin:scoring_score_dashboard"), {"start": "2023-10-10", "end": "2023-10-01"})
    assert response.status_code == 200
    assert response.context["board"] is None
    assert "is before its start" in response.content.decode()


def test_the_dashboard_export_is_a_workbook_laid_out_for_reporting(client, dev_scored):
    """GIVEN the dev transcripts scored
    WHEN the dashboard is exported
    THEN each grouping is a sheet with a frozen bold header, an auto filter over its rows,
    readable widths, and rates as percentages; the figures are the page's."""
    client.force_login(role_user(QA))
    response = client.get(reverse("admin:scoring_score_dashboard_export"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "filter",
        "total",
        "by channel",
        "by CSO",
        "by day",
        "by zone",
        "reasons for NO",
        "overrides",
    ]
    board = compliance_dashboard(DashboardFilter())
    sheet = book["by channel"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:F{len(board.by_channel) + 1}"
    assert sheet["A1"].font.b
    assert sheet.column_dimensions["A"].width >= 20
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [(t.label, t.yes, t.no, t.na) for t in board.by_channel]
    assert sheet["F2"].number_format == "0.0%"
    assert isinstance(book["overrides"]["G2"].value, dt.datetime)
