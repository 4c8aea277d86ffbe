"""The overview, the landing page: the period's KPIs (services.kpis), each number a link to the
work queue filtered to exactly its entries, and charts of verdicts per day and the review backlog.
htmx refreshes it by itself."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ServicesDep
from api.pages.web import PersonPageDep, is_htmx, queue_link, render
from domain import EntryStatus
from services.kpis import Kpis

router = APIRouter()

Period = Literal["today", "7d", "30d", "custom"]
PERIODS: dict[str, str] = {"today": "Today", "7d": "7 days", "30d": "30 days"}
VERDICTS = (EntryStatus.READY_TO_PROCESS, EntryStatus.MANUAL_REVIEW, EntryStatus.BAD_INVOICE)
VERDICT_COLOURS = {
    EntryStatus.READY_TO_PROCESS: "#1b7f3b",
    EntryStatus.MANUAL_REVIEW: "#c98a00",
    EntryStatus.BAD_INVOICE: "#b42318",
}


def _bounds(period: Period, first_day: date | None, last_day: date | None, now: datetime) -> tuple[datetime, datetime]:
    if period == "custom" and first_day is not None:
        # Days as people pick them: both included, in UTC.
        end_day = (last_day or now.date()) + timedelta(days=1)
        return datetime.combine(first_day, time(), UTC), min(datetime.combine(end_day, time(), UTC), now)
    if period == "today":
        return datetime.combine(now.date(), time(), UTC), now
    return now - timedelta(days=30 if period == "30d" else 7), now


def _charts(figures: Kpis) -> dict[str, dict[str, Any]]:
    days = [str(day.day) for day in figures.verdicts_by_day]
    verdicts = {
        "type": "bar",
        "stacked": True,
        "labels": days,
        "datasets": [
            {
                "label": verdict.value,
                "colour": VERDICT_COLOURS[verdict],
                "data": [day.verdicts[verdict].count for day in figures.verdicts_by_day],
                "links": [queue_link(day.verdicts[verdict]) for day in figures.verdicts_by_day],
            }
            for verdict in VERDICTS
        ],
    }
    backlog = {
        "type": "line",
        "labels": [str(day.day) for day in figures.review_backlog_by_day],
        "datasets": [
            {
                "label": "in manual_review at the end of the day",
                "colour": "#c98a00",
                "data": [day.backlog for day in figures.review_backlog_by_day],
            }
        ],
    }
    return {"verdicts-chart": verdicts, "backlog-chart": backlog}


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    user: PersonPageDep,
    services: ServicesDep,
    period: Period = "7d",
    first_day: Annotated[date | None, Query(alias="from")] = None,
    last_day: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    if user.is_vendor:  # the landing page after signing in: a vendor's is their own
        return RedirectResponse("/vendor", status_code=303)
    now = services.clock()
    start, end = _bounds(period, first_day, last_day, now)
    problem = None
    if end <= start:
        problem = "The period must end after it starts; showing the last 7 days."
        period, (start, end) = "7d", _bounds("7d", None, None, now)
    figures = services.kpis.overview(
        (period, first_day, last_day), lambda moment: _bounds(period, first_day, last_day, moment)
    )
    context = {
        "kpis": figures,
        "charts": _charts(figures),
        "period": period,
        "periods": PERIODS,
        "first_day": first_day,
        "last_day": last_day,
        "problem": problem,
        "verdicts": VERDICTS,
        "live_url": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    template = "overview_live.html" if is_htmx(request) else "overview.html"
    return render(request, template, user, context, status_code=422 if problem else 200)
