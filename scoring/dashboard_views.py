"""The compliance dashboard page and its XLSX export, wired through ScoreAdmin.get_urls().

Whoever may see the scores (QA, Pusat, the auditors) may see the dashboard: it shows
nothing the score list does not.
"""

from __future__ import annotations

import io

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.reasons import reason_shown
from common.spreadsheet import neutralise
from common.xlsx import date_cell, report_filter, report_header
from scoring import charts
from scoring.dashboard import Dashboard, DashboardFilter, Tally, compliance_dashboard, zone_labels
from scoring.forms import DashboardForm
from scoring.models import Score
from scoring.views import CONTENT_TYPES, admin_url


def _filter_from(request) -> tuple[DashboardForm, DashboardFilter | None]:
    form = DashboardForm(request.GET or None, zones=zone_labels())
    if not request.GET:
        return form, DashboardFilter()
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, DashboardFilter(
        start=data["start"],
        end=data["end"],
        directive=data["directive"],
        channel=data["channel"],
        zone=data["zone"] or "",
    )


def dashboard_view(request, *, model_admin):
    """YES/NO/NA and the compliance rate by channel, CSO, day and zone; the reasons for NO; the overrides."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    form, flt = _filter_from(request)
    board = compliance_dashboard(flt) if flt is not None else None
    scores_url = admin_url("scoring_score_changelist")
    chart = {}
    if board is not None:
        chart = {
            "channel": charts.stacked_bars(board.by_channel, scores_url, title=_("Final results by channel")),
            "cso": charts.stacked_bars(board.by_cso, scores_url, title=_("Final results by CSO")),
            "day": charts.daily_columns(board.by_day, scores_url, title=_("Final results by day")),
            "zone": charts.stacked_bars(board.by_zone, scores_url, title=_("Final results by zone")),
        }
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "app_label": model_admin.model._meta.app_label,
        "title": _("Compliance dashboard"),
        "form": form,
        "board": board,
        "reasons": _reasons_shown(board) if board is not None else [],
        "chart": chart,
        "scores_url": scores_url,
        "export_url": admin_url("scoring_score_dashboard_export")
        + ("?" + request.GET.urlencode() if request.GET else ""),
    }
    return TemplateResponse(request, "admin/scoring/score/dashboard.html", context)


def _reasons_shown(board: Dashboard) -> list[tuple[str, int, str]]:
    """The top reasons for NO in the reader's language. They are grouped by their
    English text (``Score.reason``); one score of each gives its messages."""
    shown = []
    for reason, count, query in board.reasons:
        parts = Score.objects.filter(reason=reason).order_by().values_list("reason_parts", flat=True)[:1]
        shown.append((reason_shown(parts[0] if parts else None, reason), count, query))
    return shown


def dashboard_export(request, *, model_admin):
    """The dashboard's tables as an XLSX workbook, one sheet each."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    form, flt = _filter_from(request)
    if flt is None:
        return dashboard_view(request, model_admin=model_admin)
    content = render_dashboard_xlsx(compliance_dashboard(flt))
    response = HttpResponse(content, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="dashboard-{timezone.localtime():%Y%m%d-%H%M}.xlsx"'
    return response


TALLY_HEADER = ["group", "YES", "NO", "NA", "total", "compliance_rate"]


def _tally_row(tally: Tally) -> list:
    return [neutralise(tally.label), tally.yes, tally.no, tally.na, tally.total, tally.rate]


def _tally_sheet(workbook, title: str, first: str, tallies: list[Tally]) -> None:
    from openpyxl.cell import WriteOnlyCell

    sheet = workbook.create_sheet(title)
    header = [first, *TALLY_HEADER[1:]]
    report_header(sheet, header, {first: 28, "compliance_rate": 16})
    for tally in tallies:
        row = _tally_row(tally)
        rate = WriteOnlyCell(sheet, value=row[-1])
        rate.number_format = "0.0%"
        sheet.append([*row[:-1], rate])
    report_filter(sheet, len(header), len(tallies))


def render_dashboard_xlsx(board: Dashboard) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    flt = board.filter
    about = workbook.create_sheet("filter")
    report_header(about, ["filter", "value"], {"filter": 20, "value": 40})
    for name, value in (
        ("from", flt.start.isoformat() if flt.start else ""),
        ("until", flt.end.isoformat() if flt.end else ""),
        ("directive", flt.directive.reference if flt.directive else ""),
        ("channel", flt.channel.code if flt.channel else ""),
        ("zone", flt.zone),
    ):
        about.append([name, neutralise(value)])
    about.append(["exported_at", date_cell(about, timezone.now())])
    _tally_sheet(workbook, "total", "scores", [board.total])
    _tally_sheet(workbook, "by channel", "channel", board.by_channel)
    _tally_sheet(workbook, "by CSO", "cso_name", board.by_cso)
    _tally_sheet(workbook, "by day", "day", board.by_day)
    _tally_sheet(workbook, "by zone", "zone", board.by_zone)

    reasons = workbook.create_sheet("reasons for NO")
    report_header(reasons, ["reason", "count"], {"reason": 100})
    for reason, count, _query in board.reasons:
        reasons.append([neutralise(reason), count])
    report_filter(reasons, 2, len(board.reasons))

    overrides = workbook.create_sheet("overrides")
    header = ["transcript_id", "parameter_code", "automatic_result", "override_result", "justification", "by", "at"]
    report_header(overrides, header, {"justification": 60, "at": 20, "transcript_id": 18})
    for override in board.overrides:
        score = override.score
        overrides.append(
            [
                neutralise(score.transcript.external_id),
                score.parameter.code,
                score.result,
                override.result,
                neutralise(override.justification),
                neutralise(override.created_by.get_username()),
                date_cell(overrides, override.created_at),
            ]
        )
    report_filter(overrides, len(header), len(board.overrides))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
