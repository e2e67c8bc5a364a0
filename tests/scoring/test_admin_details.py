"""Details of the QA pages: local times, scores of content since replaced."""

import json

from django.contrib.auth import get_user_model
from django.urls import reverse

from scoring.models import Score, Transcript
from scoring.services import chunks, ingest


def upload(text, user, name="t.jsonl"):
    record = {
        "id": "LC-1",
        "channel": "live_chat",
        "timezone": "WITA",
        "cso_name": "Rina Marlina",
        "messages": [
            {"sent_at": "2023-10-10T02:41:00Z", "sender": "customer", "text": "halo"},
            {"sent_at": "2023-10-10T02:42:57Z", "sender": "cso", "text": text},
        ],
    }
    batch = ingest.batch_ingest(filename=name, content=(json.dumps(record) + "\n").encode(), user=user, enqueue=False)
    return chunks.batch_score_inline(batch=batch)


def test_transcript_page_shows_times_in_the_transcripts_zone(seeded, admin_client):
    upload("PLN 123 Selamat Pagi, dengan Rina Bisa Dibantu", get_user_model().objects.get(username="admin"))
    page = admin_client.get(reverse("admin:scoring_transcript_change", args=[Transcript.objects.get().pk]))
    assert "2023-10-10 10:42:57" in page.content.decode()  # 02:42:57Z is 10:42:57 in Makassar


def test_a_score_of_replaced_content_says_so_instead_of_marking_new_text(seeded, admin_client):
    admin = get_user_model().objects.get(username="admin")
    upload("PLN 123 Selamat Pagi, dengan Rina Bisa Dibantu", admin)
    old = Score.objects.get()
    upload("Halo, ada yang bisa dibantu?", admin, name="again.jsonl")
    page = admin_client.get(reverse("admin:scoring_score_change", args=[old.pk])).content.decode()
    assert "uploaded again with other content" in page
    assert "PLN 123 Selamat Pagi, dengan Rina Bisa Dibantu" in page  # the stored matched passage
    assert "<mark>" not in page
