"""A what-if over a few thousand stored transcripts runs in chunks, each one task,
with the run row showing its progress; a draft that changes nothing says so.
(The 100,000-transcript figure is measured with the benchmark, not here.)"""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import translation

from common.reasons import reason_shown
from common.users import system_user
from policy.models import Channel, Directive, GreetingTemplate
from policy.seed import HPN_CHANNELS, HPN_OPENING
from policy.services import directive_content_save
from scoring import synthetic
from scoring.models import Score, Transcript
from scoring.services import chunks, ingest
from tests.roles import PUSAT, role_user
from whatif.models import ChunkStatus, RunStatus
from whatif.selectors import whatif_report
from whatif.services import whatif_chunk_run, whatif_start

pytestmark = pytest.mark.django_db
COUNT = 2000


@pytest.fixture
def stored(seeded):
    content = synthetic.upload_bytes(synthetic.transcripts_of(synthetic.generate(COUNT, seed=7)), "jsonl")
    batch = ingest.batch_ingest(filename="generated.jsonl", content=content, user=system_user(), enqueue=False)
    batch = chunks.batch_score_inline(batch=batch)
    assert batch.scored_count == COUNT


def hpn_twin(opening: str = HPN_OPENING) -> Directive:
    """A draft that says what HPN says (``opening``, HPN's greeting unless told), where
    HPN says it, ahead of it."""
    hpn = Directive.objects.get(reference="SOP-PLN123-HPN2023")
    twin = Directive(reference="SOP-PLN123-HPN-TWIN", title="HPN again", priority=hpn.priority + 1)
    fields = {
        name: getattr(hpn, name)
        for name in ("kind", "valid_from_date", "valid_from_time", "valid_until_date", "valid_until_time")
        + ("first_contact_only", "public_owed_categories", "typo_ratio", "typo_min_length", "forms_of_address")
    }
    for name, value in fields.items():
        setattr(twin, name, value)
    return directive_content_save(
        directive=twin,
        fields={},
        channels=Channel.objects.filter(code__in=HPN_CHANNELS),
        templates=[GreetingTemplate(element="opening", text=opening)],
        user=system_user(),
        reason="what-if test",
    )


def test_whatif_over_thousands_runs_in_chunks_with_progress_and_changes_nothing(stored, client):
    """GIVEN 2,000 generated transcripts, scored
    WHEN Pusat starts a what-if of a draft identical to HPN (chunks of 100)
    THEN the run has one chunk per 100 transcripts in scope, its progress rises chunk by
    chunk as the tasks run, it ends done with every transcript compared, no verdict
    changes, nothing is written to the scores, and the publish page says it changes nothing."""
    draft = hpn_twin()
    before = list(Score.objects.order_by("pk").values_list("pk", "result", "is_current"))
    run = whatif_start(directive=draft, user=system_user(), chunk_size=100)
    in_scope = Transcript.objects.filter(channel__code__in=HPN_CHANNELS).count()
    assert 0 < run.transcript_count <= in_scope
    assert run.chunk_count == -(-run.transcript_count // 100) and run.status == RunStatus.QUEUED
    client.force_login(role_user(PUSAT))
    publish_url = reverse("admin:policy_directive_publish", args=[draft.pk])
    seen = []
    for chunk_id in run.chunks.order_by("index").values_list("pk", flat=True):
        assert whatif_chunk_run(chunk_id=chunk_id)
        assert not whatif_chunk_run(chunk_id=chunk_id)  # a second delivery does nothing
        run.refresh_from_db()
        seen.append(run.progress_percent)
        if len(seen) == 1:
            page = client.get(publish_url).content.decode()
            assert "Running in the background" in page and f"{run.done_count} of {run.transcript_count}" in page
    assert seen == sorted(seen) and seen[-1] == 100 and len(set(seen)) > 1
    assert run.status == RunStatus.DONE and run.done_count == run.transcript_count
    assert not run.chunks.exclude(status=ChunkStatus.DONE).exists()
    assert run.compared_count >= run.transcript_count - run.unscored_count
    assert run.changed_count == 0
    assert list(Score.objects.order_by("pk").values_list("pk", "result", "is_current")) == before

    page = client.get(publish_url).content.decode()
    assert "This draft changes nothing" in page


def test_the_examples_of_a_whatif_give_their_reasons_in_the_readers_language(stored, client):
    """GIVEN a draft ahead of HPN whose greeting has a mistyped number, its what-if run
    WHEN Pusat reads the publish page in Indonesian, then in English
    THEN each side-by-side example gives both reasons in that language."""
    draft = hpn_twin(HPN_OPENING.replace("PLN 123 ", "PLN 132 "))
    run = whatif_start(directive=draft, user=system_user(), chunk_size=500)
    for chunk_id in run.chunks.values_list("pk", flat=True):
        assert whatif_chunk_run(chunk_id=chunk_id)
    with translation.override("id"):
        report = whatif_report(run)
    assert report.examples, "the mistyped number flips verdicts"
    example = report.examples[0]
    assert example["reason_after"] != example["reason_parts_after"] and example["reason_after"]
    with translation.override("id"):
        indonesian = reason_shown(example["reason_parts_after"], "")
        before = reason_shown(example["reason_parts_before"], "")
    assert example["reason_after"] == indonesian and example["reason_before"] == before
    with translation.override("en"):
        english = whatif_report(run).examples[0]
    assert english["reason_after"] != indonesian and english["reason_before"] != before

    client.force_login(role_user(PUSAT))
    page = client.get(
        reverse("admin:policy_directive_publish", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="id"
    ).content.decode()
    assert html.escape(indonesian) in page and html.escape(english["reason_after"]) not in page
