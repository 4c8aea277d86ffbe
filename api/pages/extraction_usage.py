"""The extraction usage page: what the paid extraction calls cost per provider and model in a period,
per day and per month, each engine's time per step (p50, p95), and the share of each field people
corrected after an engine read it (services.extraction_usage). Clerks and admins alike."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import ServicesDep
from api.pages.web import PageUserDep, render
from services.extraction_usage import PERIODS, Period, UsageReport, usage_report

router = APIRouter(prefix="/extraction-usage")


def _calls_chart(report: UsageReport) -> dict[str, Any]:
    return {
        "type": "bar",
        "stacked": True,
        "labels": [day.start.date().isoformat() for day in report.days],
        "datasets": [
            {"label": "ok", "colour": "#1b7f3b", "data": [day.ok_calls for day in report.days]},
            {"label": "failed", "colour": "#b42318", "data": [day.failed_calls for day in report.days]},
        ],
    }


@router.get("", response_class=HTMLResponse)
def extraction_usage_page(
    request: Request, user: PageUserDep, services: ServicesDep, period: Period = "this_month"
) -> HTMLResponse:
    report = usage_report(services.store, period, services.clock())
    context = {"report": report, "periods": PERIODS, "calls_chart": _calls_chart(report)}
    return render(request, "extraction_usage.html", user, context)
