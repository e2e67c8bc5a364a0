"""The dashboard reads the channel, CSO and day each score keeps of its transcript:
every way a score is written (a worker scoring a chunk, inline scoring, a rescore, an
upload that changes the transcript) leaves it under the right day, zone, channel and CSO,
and an override moves it to its final result there; the numbers stay the export's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from policy.models import Channel
from scoring.dashboard import DashboardFilter, compliance_dashboard
from scoring.models import ReasonTally, Score, ScoreTally, ScoringChunk
from scoring.services.chunks import batch_score_inline, chunk_run
from scoring.services.ingest import batch_ingest, batch_rescore
from scoring.services.overrides import score_override
from tests.roles import QA, role_user
from tests.scoring.test_dashboard import assert_tally_is_export
from tests.scoring.uploads import jsonl, line, upload_and_score

pytestmark = pytest.mark.django_db

# 00:30 in Makassar (WITA) is 23:30 the day before in Jakarta, the site's zone: the day
# the score list's date filter gives this transcript, and so the dashboard's.
LATE = [
    {"sent_at": "2023-10-11T00:30:00", "sender": "customer", "text": "halo"},
    {"sent_at": "2023-10-11T00:31:00", "sender": "cso", "text": "PLN 123 Selamat Pagi, dengan Sari Bisa Dibantu"},
]


def by_label(tallies) -> dict:
    return {tally.label: tally for tally in tallies}


def where(board, *, day: str, zone: str, channel: str, cso: str) -> tuple:
    """The (yes, no, na) of the scores under this day, zone, channel and CSO (each group
    holding only these scores in these tests)."""
    groups = [
        by_label(board.by_day)[day],
        by_label(board.by_zone)[zone],
        by_label(board.by_channel)[channel],
        by_label(board.by_cso)[cso],
    ]
    figures = {(t.yes, t.no, t.na) for t in groups}
    assert len(figures) == 1, [(t.label, t.yes, t.no, t.na) for t in groups]
    return figures.pop()


def assert_export_agrees(client, board):
    client.force_login(role_user(QA))
    for tally in [board.total, *board.by_day, *board.by_zone, *board.by_channel, *board.by_cso]:
        assert_tally_is_export(client, tally)


def test_a_worker_scoring_a_chunk_files_the_score_under_its_day_zone_channel_and_cso(client, seeded, user):
    content = jsonl(line("LC-W", cso_name="Sari Dewi", timezone="WITA", messages=LATE))
    batch = batch_ingest(filename="w.jsonl", content=content, user=user, enqueue=False)
    for chunk in ScoringChunk.objects.filter(batch=batch):
        assert chunk_run(chunk_id=chunk.pk, worker="w1")
    score = Score.objects.current().get(transcript__external_id="LC-W")
    assert (score.channel.code, score.cso_name, score.started_on) == ("live_chat", "Sari Dewi", dt.date(2023, 10, 10))
    board = compliance_dashboard(DashboardFilter())
    assert sum(where(board, day="2023-10-10", zone="WITA", channel="live_chat", cso="Sari Dewi")) == 1
    assert_export_agrees(client, board)
    board = compliance_dashboard(DashboardFilter())
    assert sum(where(board, day="2023-10-10", zone="WITA", channel="live_chat", cso="Sari Dewi")) == 1
    assert_export_agrees(client, board)


def test_inline_scoring_an_override_and_a_rescore_keep_the_dashboard_right(client, seeded, user):
    upload_and_score(jsonl(line("LC-1", text="Halo, ada yang bisa dibantu?")), user)
    score = Score.objects.current().get(transcript__external_id="LC-1")
    assert score.result == "NO"
    board = compliance_dashboard(DashboardFilter())
    assert where(board, day="2023-10-10", zone="WIB", channel="live_chat", cso="Rina Marlina") == (0, 1, 0)

    # QA overrides it: counted as YES in every group, the automatic NO left beside it.
    score_override(score=score, result="YES", justification="Greeted on the phone first.", user=user)
    board = compliance_dashboard(DashboardFilter())
    assert where(board, day="2023-10-10", zone="WIB", channel="live_chat", cso="Rina Marlina") == (1, 0, 0)
    assert board.reasons == []
    assert_export_agrees(client, board)

    # A rescore writes a new current score with the same columns; the override in force
    # is carried over (same result on the same content), so the figures stay.
    rescore = batch_rescore(transcripts=[score.transcript], user=user, enqueue=False)
    batch_score_inline(batch=rescore)
    fresh = Score.objects.current().get(transcript__external_id="LC-1")
    assert fresh.pk != score.pk
    assert (fresh.channel_id, fresh.cso_name, fresh.started_on) == (score.channel_id, score.cso_name, score.started_on)
    board = compliance_dashboard(DashboardFilter())
    assert board.total.total == 1
    assert where(board, day="2023-10-10", zone="WIB", channel="live_chat", cso="Rina Marlina") == (1, 0, 0)
    assert_export_agrees(client, board)


def test_an_upload_that_changes_the_transcript_moves_its_score_to_the_new_day_and_cso(client, seeded, user):
    upload_and_score(jsonl(line("LC-2")), user)
    upload_and_score(jsonl(line("LC-2", cso_name="Sari Dewi", timezone="WITA", messages=LATE)), user)
    board = compliance_dashboard(DashboardFilter())
    assert board.total.total == 1
    assert set(by_label(board.by_cso)) == {"Sari Dewi"}
    assert set(by_label(board.by_day)) == {"2023-10-10"}
    assert set(by_label(board.by_zone)) == {"WITA"}
    live_chat = Channel.objects.get(code="live_chat")
    assert compliance_dashboard(DashboardFilter(channel=live_chat, start=dt.date(2023, 10, 10))).total.total == 1
    assert compliance_dashboard(DashboardFilter(start=dt.date(2023, 10, 11))).total.total == 0
    assert_export_agrees(client, board)


def test_the_migration_fills_the_columns_and_tallies_of_scores_written_before_it(client, seeded, user):
    """Scores stored before the columns existed get them from their transcript, and
    the dashboard's tallies count them."""
    upload_and_score(jsonl(line("LC-3", cso_name="Sari Dewi", timezone="WITA", messages=LATE)), user)
    Score.objects.update(channel=None, cso_name="", started_on=None)
    ScoreTally.objects.all().delete()
    ReasonTally.objects.all().delete()
    executor = MigrationExecutor(connection)
    migration = executor.loader.get_migration("scoring", "0007_score_dashboard_columns_dash")
    fill = migration.operations[-1]
    state = executor.loader.project_state(("scoring", "0007_score_dashboard_columns_dash"))
    fill.code(state.apps, connection.schema_editor())
    score = Score.objects.current().get()
    assert (score.channel.code, score.cso_name, score.started_on) == ("live_chat", "Sari Dewi", dt.date(2023, 10, 10))
    board = compliance_dashboard(DashboardFilter())
    assert sum(where(board, day="2023-10-10", zone="WITA", channel="live_chat", cso="Sari Dewi")) == 1
    assert_export_agrees(client, board)
