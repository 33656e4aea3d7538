#!/usr/bin/env python3
"""Importing the ledger at scale: a file of incidents with their complaints into the national dataset on
PostgreSQL, through the import service (upload, dry run, real run, undo), timed, with peak memory.

    python bench/throwaway_postgres.py --minutes 120 &          # prints its URL
    python bench/casework_dataset.py --database-url URL --size national
    python bench/import_bench.py --database-url URL --sizes 25000,50000,100000 [--per-row-sample 1000]

Each size runs in a process of its own, so its peak resident memory (``ru_maxrss``) is that size's alone:
memory must stay flat as the file grows (the file is streamed, never loaded whole). The importer is a
coordinator of the dataset's police force, who sees the cases shared with it (about 10,000); each
incident goes on one of them with 1 or 2 complaints (1.3 on average), to the police and the case's lead
council. The real run is undone afterwards (also timed), so the dataset is left as it was.

Two yardsticks measured in the same run:
- the floor: reading and parsing the same CSV file with the csv module, without the service;
- the per-row path: ``cases.services.record_incident`` one incident at a time (as the API does), on a
  sample, rolled back: its time and statements per incident, to show why the import takes the bulk path
  (``cases.ledger_import.record_incidents``: COPY on PostgreSQL).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMPORTER = "bench-importer@casework.example"
HEADER = [
    "incident_reference",
    "case_reference",
    "occurred_on",
    "description",
    "causes_had",
    "hate_motivated",
    "complainant",
    "reported_on",
    "agency_code",
    "agency_reference",
]
WHAT = ["Loud music", "Shouting in the street", "Threats at the door", "Dog fouling", "Youths gathering", "Fly-tipping"]


def make_app(url: str):
    os.environ.setdefault("CASEWORK_ENV", "development")
    from casework import create_app

    return create_app({"DATABASE_URL": url, "BROKER_URL": "memory://", "SECRET_KEY": "bench-" + "x" * 40})


def importer(db):
    """A coordinator of the police force: sees every case shared with it."""
    import sqlalchemy as sa

    from casework.accounts.models import Agency, User
    from casework.accounts.passwords import hash_password

    user = db.session.scalar(sa.select(User).where(User.email == IMPORTER))
    if user is None:
        police = db.session.scalar(sa.select(Agency).where(Agency.code == "POLICE"))
        user = User(email=IMPORTER, name="Bench Importer", password_hash=hash_password("bench-password"), agency=police)
        user.roles = ["coordinator"]
        db.session.add(user)
        db.session.commit()
    return user


def write_file(db, user, size: int, run: str) -> tuple[str, int]:
    """The CSV: ``size`` incidents on cases the importer sees; returns its path and its complaint rows."""
    import sqlalchemy as sa

    from casework.accounts.models import Agency
    from casework.cases.models import Case, CaseStatus
    from casework.cases.policies import visible_cases_clause

    cases = db.session.execute(
        sa.select(Case.reference, Agency.code)
        .join(Agency, Agency.id == Case.lead_agency_id)
        .where(visible_cases_clause(user), Case.status == CaseStatus.open)
    ).all()
    rng = random.Random(size)
    today = date.today()
    handle = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="", encoding="utf-8")  # noqa: SIM115
    writer = csv.writer(handle)
    writer.writerow(HEADER)
    complaints = 0
    for n in range(size):
        reference, council = rng.choice(cases)
        occurred = today - timedelta(days=rng.randint(30, 730))
        description = rng.choice(WHAT)
        agencies = ["POLICE", council] if rng.random() < 0.3 else [rng.choice(["POLICE", council])]
        for agency in agencies:
            reported = occurred + timedelta(days=rng.randint(0, 3))
            writer.writerow(
                [
                    f"{run}-{n}",
                    reference,
                    occurred.isoformat(),
                    description,
                    "yes",
                    "no",
                    "",
                    reported.isoformat(),
                    agency,
                    f"{agency}-{run}-{n}",
                ]
            )
            complaints += 1
    handle.close()
    return handle.name, complaints


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(url: str, path: str) -> dict:
    """One size, in its own process: upload, dry run, real run, undo."""
    from casework.extensions import db
    from casework.spreadsheets import services
    from casework.spreadsheets.models import ImportJob, ImportStatus

    app = make_app(url)
    result: dict = {}
    with app.app_context():
        user = importer(db)
        result["rss_start_mb"] = peak_mb()
        started = time.monotonic()
        with open(path, "rb") as stream:
            job = services.upload(user, "incidents", stream, Path(path).name, {})
        db.session.commit()
        result["upload_s"] = time.monotonic() - started
        result["rss_after_upload_mb"] = peak_mb()
        job_id = job.id

        for phase, dry_run in (("dry_run", True), ("real_run", False)):
            job = db.session.get(ImportJob, job_id)
            job.status = ImportStatus.checking if dry_run else ImportStatus.importing
            db.session.commit()
            started = time.monotonic()
            job = services.run(job_id, dry_run)
            db.session.commit()
            result[f"{phase}_s"] = time.monotonic() - started
            result[f"rss_after_{phase}_mb"] = peak_mb()
            result[f"{phase}_summary"] = job.summary
            result[f"{phase}_problems"] = job.problem_count
        started = time.monotonic()
        job = db.session.get(ImportJob, job_id)
        result["deleted"] = services.undo(user, job)
        db.session.commit()
        result["undo_s"] = time.monotonic() - started
    return result


def minimal_endpoint_ms(runs: int = 2000) -> float:
    """The yardstick of every figure in bench/: the smallest Flask endpoint through the test client."""
    from bench.minimal_app import app as minimal

    client = minimal.test_client()
    client.get("/ping")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get("/ping")
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def floor(path: str) -> float:
    """Reading and parsing the same file without the service."""
    started = time.monotonic()
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if row[2][:1].isdigit():
                date.fromisoformat(row[2])
                date.fromisoformat(row[7])
    return time.monotonic() - started


def per_row_sample(app, db, user, path: str, sample: int) -> dict:
    """``record_incident`` one at a time, as the API records them, for ``sample`` incidents; rolled back."""
    import sqlalchemy as sa

    from casework.cases import services
    from casework.cases.models import Case

    statements = 0

    def count(*_args):
        nonlocal statements
        statements += 1

    with app.app_context():
        user = db.session.merge(user)
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))[:sample]
        cases = {
            c.reference: c
            for c in db.session.scalars(sa.select(Case).where(Case.reference.in_({r["case_reference"] for r in rows})))
        }
        sa.event.listen(db.engine, "before_cursor_execute", count)
        started = time.monotonic()
        for row in rows:
            services.record_incident(
                user,
                cases[row["case_reference"]],
                occurred_on=date.fromisoformat(row["occurred_on"]),
                description=row["description"],
                complaints=[
                    {
                        "reported_on": date.fromisoformat(row["reported_on"]),
                        "agency_code": row["agency_code"],
                        "reference": row["agency_reference"],
                    }
                ],
            )
            db.session.flush()
        elapsed = time.monotonic() - started
        sa.event.remove(db.engine, "before_cursor_execute", count)
        db.session.rollback()
    return {"incidents": len(rows), "seconds": elapsed, "statements_per_incident": statements / max(len(rows), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sizes", default="25000,50000,100000")
    parser.add_argument("--per-row-sample", type=int, default=1000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.database_url, args.child)))
        return 0

    from casework.extensions import db

    app = make_app(args.database_url)
    run = f"B{int(time.time())}"
    with app.app_context():
        user = importer(db)
        files = {size: write_file(db, user, size, f"{run}-{size}") for size in (int(s) for s in args.sizes.split(","))}
    print(f"load average before: {os.getloadavg()}")
    largest = max(files)
    sample = per_row_sample(app, db, user, files[largest][0], args.per_row_sample) if args.per_row_sample else None
    minimal_ms = minimal_endpoint_ms()
    print(f"minimal endpoint: {minimal_ms:.3f} ms (median of 2,000)", flush=True)
    results = []
    for size, (path, complaints) in files.items():
        parse = floor(path)
        load = os.getloadavg()
        out = subprocess.run(
            [sys.executable, __file__, "--database-url", args.database_url, "--child", path],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result.update(
            size=size,
            complaints=complaints,
            parse_s=parse,
            load=load,
            load_after=os.getloadavg(),
            file_mb=Path(path).stat().st_size / 2**20,
        )
        results.append(result)
        os.unlink(path)
        print(json.dumps(result), flush=True)
    print()
    print(
        "| incidents | complaints | file MB | parse only s | upload s | dry run s | real run s | undo s "
        "| peak RSS MB | load (1 min) | real run / minimal endpoint |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['size']:,} | {r['complaints']:,} | {r['file_mb']:.1f} | {r['parse_s']:.1f} | {r['upload_s']:.1f} | "
            f"{r['dry_run_s']:.1f} | {r['real_run_s']:.1f} | {r['undo_s']:.1f} | "
            f"{r['rss_after_real_run_mb']:.0f} | {r['load'][0]:.1f} to {r['load_after'][0]:.1f} | "
            f"{r['real_run_s'] * 1000 / minimal_ms:,.0f} |"
        )
    if sample:
        per = sample["seconds"] / sample["incidents"]
        print(
            f"\nPer-row path (record_incident, {sample['incidents']} incidents, rolled back): {per * 1000:.1f} ms and "
            f"{sample['statements_per_incident']:.1f} statements per incident; {largest:,} incidents would take "
            f"{per * largest / 60:.0f} minutes."
        )
    print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
