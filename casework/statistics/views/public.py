"""The published figures for the public: a page with each area's table over the years, charts and
county totals, and the same figures as CSV and JSON (docs/api.md). Published versions only, no sign-in."""

from __future__ import annotations

import csv
import io
import json
from itertools import groupby
from typing import Any

from flask import Blueprint, Response, render_template

from casework.core.links import external_url
from casework.core.permissions import public_endpoint
from casework.spreadsheets.cells import escape
from casework.statistics import services
from casework.statistics.chart import bar_chart
from casework.statistics.schemas import PUBLIC_COLUMNS, public_item

bp = Blueprint("statistics", __name__)


@bp.get("/statistics")
@public_endpoint
def index():
    snapshots = services.latest_published()
    areas = []
    for _area_id, group in groupby(snapshots, key=lambda s: s.area_id):
        rows = list(group)
        area = rows[0].area
        areas.append(
            {
                "area": area,
                "rows": rows,
                "chart": bar_chart(
                    f"ASB Case Review figures for {area.name}",
                    f"Bar chart of the four published figures for {area.name} in each reporting period, "
                    "from the earliest to the latest. The table below the chart gives the same numbers.",
                    [(services.period_name(s.period_start, s.period_end), s.figures) for s in rows],
                ),
            }
        )
    totals = services.county_totals(snapshots)
    county_chart = bar_chart(
        "ASB Case Review figures for all areas added up",
        "Bar chart of the four figures added up over every area that published them, for each reporting "
        "period. The table below the chart gives the same numbers.",
        [(services.period_name(t["period_start"], t["period_end"]), t) for t in totals],
    )
    return render_template(
        "statistics/public.html",
        areas=areas,
        external_url=external_url,
        totals=totals,
        county_chart=county_chart,
        period_name=services.period_name,
    )


def _items() -> list[dict[str, Any]]:
    return [public_item(s) for s in services.latest_published()]


@bp.get("/statistics.json")
@public_endpoint
def as_json():
    # Serialised here rather than by Flask, which sorts keys: the columns keep docs/api.md's order.
    return Response(json.dumps({"items": _items()}, ensure_ascii=False), mimetype="application/json")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # An area's name or a publication's note could start with "=": escaped as every export's text is.
        return escape(value)
    return value


@bp.get("/statistics.csv")
@public_endpoint
def as_csv():
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PUBLIC_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in _items():
        writer.writerow({key: _csv_value(item[key]) for key in PUBLIC_COLUMNS})
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="statistics.csv"'},
    )


# --- one area's published figures, for other websites (issue 14 item 3) -----------------------------
# The county partnership's and the Police and Crime Commissioner's websites show an area's figures
# from stable addresses: JSON and CSV they may fetch from their own pages (CORS), and a small page
# they may put in an iframe. All show the latest published version of each period, with its date.


def _area_published(code: str) -> tuple[Any, list[Any]]:
    """The area (404 when unknown) and its latest published version of each period, oldest first."""
    from casework.accounts.services import get_area

    area = get_area(code)
    return area, services.latest_published([area.id])


def _area_items(code: str) -> tuple[Any, list[dict[str, Any]]]:
    area, snapshots = _area_published(code)
    return area, [public_item(s) for s in snapshots]


def _shared(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/statistics/<code>.json")
@public_endpoint
def area_json(code: str):
    area, items = _area_items(code)
    body = {"area_code": area.code, "area_name": area.name, "latest": items[-1] if items else None, "items": items}
    return _shared(Response(json.dumps(body, ensure_ascii=False), mimetype="application/json"))


@bp.get("/statistics/<code>.csv")
@public_endpoint
def area_csv(code: str):
    area, items = _area_items(code)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=PUBLIC_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        writer.writerow({key: _csv_value(item[key]) for key in PUBLIC_COLUMNS})
    return _shared(
        Response(
            buffer.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="statistics-{area.code}.csv"'},
        )
    )


#: Any website may frame the embeddable figures: a read-only page of published numbers with one link,
#: nothing a framing site could trick a visitor into doing.
EMBED_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors *",
    ]
)


@bp.get("/statistics/<code>/embed")
@public_endpoint
def area_embed(code: str):
    area, snapshots = _area_published(code)
    response = Response(
        render_template(
            "statistics/embed.html",
            area=area,
            latest=snapshots[-1] if snapshots else None,
            period_name=services.period_name,
            full_url=external_url("public.statistics.index") + f"#area-{area.code.lower()}",
        )
    )
    response.headers["Content-Security-Policy"] = EMBED_POLICY
    return response
