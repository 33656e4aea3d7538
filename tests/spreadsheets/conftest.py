"""A partnership for the import and export tests, and the page flow of an import as a helper.

``importer.upload(kind, rows)`` uploads a CSV (rows of text; the first is the header) or an XLSX through
the pages as the coordinator, matches the columns as suggested, and answers the job once its dry run
(run by the eager Celery task at the commit) has finished; ``importer.start(job)`` runs it for real.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from casework.extensions import db

TODAY = date(2026, 3, 10)


@pytest.fixture
def today():
    with time_machine.travel(TODAY.isoformat() + " 12:00 +00:00", tick=False) as traveller:
        yield traveller


@dataclass
class World:
    bol: Any
    ned: Any
    bdc: Any
    neddc: Any
    police: Any
    coordinator: Any
    manager: Any
    officer: Any
    other_coordinator: Any
    partner: Any
    chair: Any
    admin: Any


@pytest.fixture
def world(make: Any, today: Any) -> World:
    bol = make.area("BOL", "Bolsover")
    ned = make.area("NED", "North East Derbyshire")
    bdc = make.agency("BDC", areas=[bol])
    neddc = make.agency("NEDDC", areas=[ned])
    police = make.agency("DERPOL", areas=[bol, ned], kind="police")
    return World(
        bol=bol,
        ned=ned,
        bdc=bdc,
        neddc=neddc,
        police=police,
        coordinator=make.user("coordinator", agency=bdc, email="coordinator@bdc.example", name="Cora Coordinator"),
        manager=make.user("manager", agency=bdc, email="manager@bdc.example"),
        officer=make.user("officer", agency=bdc, email="officer@bdc.example", name="Olive Officer"),
        other_coordinator=make.user("coordinator", agency=neddc, email="coordinator@neddc.example"),
        partner=make.user("partner", agency=police, email="partner@police.example"),
        chair=make.user("chair", agency=neddc, email="chair@neddc.example", name="Charles Chair"),
        admin=make.user("admin", agency=bdc, email="admin@bdc.example"),
    )


def csv_bytes(rows: list[list[Any]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return text.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class Importer:
    def __init__(self, page_client: Any, user: Any) -> None:
        self.client = page_client(user)
        self.user = user

    def job(self, job_id: int) -> Any:
        from casework.spreadsheets.models import ImportJob

        db.session.expire_all()
        return db.session.get(ImportJob, job_id)

    def upload(
        self,
        kind: str,
        rows: list[list[Any]] | bytes,
        *,
        filename: str = "records.csv",
        options: dict[str, str] | None = None,
        mapping: dict[str, str] | None = None,
    ) -> Any:
        content = (
            rows if isinstance(rows, bytes) else (xlsx_bytes(rows) if filename.endswith(".xlsx") else csv_bytes(rows))
        )
        response = self.client.post(
            f"/imports/new/{kind}",
            data={"file": (io.BytesIO(content), filename), **{f"option_{k}": v for k, v in (options or {}).items()}},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        job_id = int(response.headers["Location"].rstrip("/").split("/")[-2])
        page = self.client.get(f"/imports/{job_id}/columns")
        assert page.status_code == 200
        job = self.job(job_id)
        chosen = {f"column_{key}": ("-" if index is None else str(index)) for key, index in (job.mapping or {}).items()}
        chosen.update(mapping or {})
        response = self.client.post(f"/imports/{job_id}/columns", data={**chosen, "version": job.version})
        assert response.status_code == 302, response.get_data(as_text=True)
        return self.job(job_id)

    def start(self, job: Any) -> Any:
        response = self.client.post(f"/imports/{job.id}/start", data={"version": job.version})
        assert response.status_code == 302
        return self.job(job.id)

    def run(self, kind: str, rows: Any, **kwargs: Any) -> Any:
        """Upload, check, and import (the check must find nothing)."""
        job = self.upload(kind, rows, **kwargs)
        assert job.problem_count == 0, problems_of(job)
        return self.start(job)


def problems_of(job: Any) -> list[tuple[int | None, str | None, str]]:
    from casework.spreadsheets.models import ImportProblem

    return [
        (p.row, p.column, p.message)
        for p in db.session.scalars(
            sa.select(ImportProblem).where(ImportProblem.job_id == job.id).order_by(ImportProblem.row, ImportProblem.id)
        )
    ]


@pytest.fixture
def importer(page_client: Any, world: World) -> Importer:
    return Importer(page_client, world.coordinator)


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0
