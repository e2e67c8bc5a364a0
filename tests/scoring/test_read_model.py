"""The read model of scores (ScoreQuerySet): current scores, the latest override and
the result in force, each defined once."""

import datetime as dt

import pytest
from django.utils import timezone

from scoring.models import Score, ScoreOverride
from scoring.services.chunks import batch_score_inline
from scoring.services.ingest import batch_rescore
from scoring.services.overrides import score_override
from tests.scoring.uploads import jsonl, line, upload_and_score


@pytest.fixture
def scored(seeded, user):
    """One transcript scored YES, then rescored: an old score and a current one."""
    first = upload_and_score(jsonl(line("A")), user)
    batch_score_inline(batch=batch_rescore(source=first, user=user, enqueue=False))
    return Score.objects.get(is_current=False), Score.objects.get(is_current=True)


def test_current_keeps_only_the_scores_in_force(scored):
    old, new = scored
    assert list(Score.objects.current()) == [new]
    assert set(Score.objects.all()) == {old, new}


def test_without_an_override_the_final_result_is_the_automatic_one(scored):
    _, new = scored
    annotated = Score.objects.with_final_result().get(pk=new.pk)
    assert annotated.final == annotated.result == "YES"
    prefetched = Score.objects.with_latest_override().get(pk=new.pk)
    assert prefetched.current_override is None and prefetched.final_result == "YES"


def test_the_newest_of_two_overrides_is_in_force(scored, user, django_assert_num_queries):
    _, new = scored
    score_override(score=new, result="NO", justification="first thought", user=user)
    latest = score_override(score=new, result="NA", justification="second thought", user=user)
    assert Score.objects.with_final_result().get(pk=new.pk).final == "NA"
    assert list(Score.objects.current().with_final_result().filter(final="NA")) == [new]
    assert not Score.objects.with_final_result().filter(final="NO").exists()
    score = Score.objects.with_latest_override().get(pk=new.pk)
    with django_assert_num_queries(0):
        assert score.current_override == latest
        assert score.final_result == "NA"
        assert [o.justification for o in score.overrides.all()] == ["second thought", "first thought"]
    assert Score.objects.get(pk=new.pk).final_result == "NA"  # without the prefetch: one query


def test_of_two_overrides_made_in_the_same_instant_the_later_stored_wins(scored, user):
    _, new = scored
    first = score_override(score=new, result="NO", justification="one", user=user)
    second = score_override(score=new, result="NA", justification="two", user=user)
    same = timezone.now() - dt.timedelta(minutes=1)
    ScoreOverride.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=same)
    assert Score.objects.with_final_result().get(pk=new.pk).final == "NA"
    assert Score.objects.with_latest_override().get(pk=new.pk).current_override == second
    assert Score.objects.get(pk=new.pk).current_override == second


def test_an_override_of_an_old_score_is_not_the_current_scores(scored, user):
    old, new = scored
    score_override(score=old, result="NO", justification="old one", user=user)
    finals = dict(Score.objects.with_final_result().values_list("pk", "final"))
    assert finals == {old.pk: "NO", new.pk: "YES"}
    assert [s.final for s in Score.objects.current().with_final_result()] == ["YES"]
