#!/usr/bin/env python3
"""Generate a casework dataset on PostgreSQL for the benchmarks.

    python bench/casework_dataset.py --database-url postgresql+psycopg://... --size county
    python bench/casework_dataset.py --database-url ... --size national

Sizes (cases / incidents / areas):
  county    20,000 /   200,000 /   8   (a two-tier county's districts over several years)
  national 100,000 / 1,000,000 / 300   (every English district and unitary council)

The schema is built with the migrations (``flask db upgrade``), then the rows are streamed with
PostgreSQL ``COPY`` (one pass per table), sequences are moved past the generated ids and the tables are
analysed. The data is random but shaped like the real thing: about 1.5 people per case, 10 incidents
per case on average (a long tail), 1.3 complaints per incident to one or two agencies, each under that
agency's reference (police log numbers DP-..., council references ASB-...), 15% of cases closed, 3%
restricted, 10% shared with the police, 2% with a Case Review application. A bench user
(``bench@casework.example``, officer at the first council, password ``bench-password``) and a police
partner (``police@casework.example``, same password, who sees every case shared with the police) are
created for the latency script.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {
    "county": {"areas": 8, "cases": 20_000, "incidents": 200_000},
    "national": {"areas": 300, "cases": 100_000, "incidents": 1_000_000},
}
BENCH_EMAIL = "bench@casework.example"
POLICE_EMAIL = "police@casework.example"
BENCH_PASSWORD = "bench-password"  # a throwaway benchmark database only  # noqa: S105

FIRST_NAMES = [
    "Margaret",
    "Dean",
    "Amira",
    "Graham",
    "Kelly",
    "John",
    "Susan",
    "Mohammed",
    "Olivia",
    "Harry",
    "Sophie",
    "Jack",
    "Emily",
    "Oliver",
    "Grace",
    "Thomas",
    "Chloe",
    "James",
    "Ava",
    "George",
]
SURNAMES = [
    "Holmes",
    "Carter",
    "Haddad",
    "Lowe",
    "Price",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
]
STREETS = [
    "Station Road",
    "High Street",
    "Church Lane",
    "Mill Lane",
    "Park Avenue",
    "Carr Vale",
    "Rykneld Way",
    "Chesterfield Road",
    "Market Place",
    "Queen Street",
]
BEHAVIOUR = [
    "Loud music late at night",
    "Stones thrown at windows",
    "Abuse shouted in the street",
    "Fly-tipping behind the shops",
    "Youths gathering and intimidating residents",
    "Dog fouling and a dog off the lead",
    "Graffiti on garden walls",
    "Threats made over the fence",
    "Bin set alight",
    "Drug dealing from a car park",
]


def build_schema(url: str) -> None:
    from flask_migrate import upgrade

    from casework import create_app

    os.environ.setdefault("CASEWORK_ENV", "development")
    app = create_app({"DATABASE_URL": url, "BROKER_URL": "memory://"})
    with app.app_context():
        upgrade()


def generate(url: str, size: str, seed: int = 2026) -> dict[str, int]:
    import psycopg

    from casework.accounts.passwords import hash_password

    spec = SIZES[size]
    rng = random.Random(seed)
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    counts: dict[str, int] = {}
    today = date.today()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM cases")
        if cur.fetchone()[0]:
            raise SystemExit("The database already has cases: generate into an empty database.")

        # Areas, one council per area, one police force covering them all, and an officer per agency.
        area_ids, council_ids = [], []
        for n in range(spec["areas"]):
            cur.execute("INSERT INTO areas (code, name) VALUES (%s, %s) RETURNING id", (f"A{n:03d}", f"Area {n}"))
            area_ids.append(cur.fetchone()[0])
            cur.execute(
                "INSERT INTO agencies (code, name, kind) VALUES (%s, %s, 'council') RETURNING id",
                (f"C{n:03d}", f"Council {n}"),
            )
            council_ids.append(cur.fetchone()[0])
            cur.execute(
                "INSERT INTO agency_areas (agency_id, area_id) VALUES (%s, %s)", (council_ids[-1], area_ids[-1])
            )
        cur.execute("INSERT INTO agencies (code, name, kind) VALUES ('POLICE', 'Police', 'police') RETURNING id")
        police_id = cur.fetchone()[0]
        with cur.copy("COPY agency_areas (agency_id, area_id) FROM STDIN") as copy:
            for area_id in area_ids:
                copy.write_row((police_id, area_id))
        password_hash = hash_password(BENCH_PASSWORD)
        user_ids = []
        for n, agency_id in enumerate(council_ids):
            email = BENCH_EMAIL if n == 0 else f"officer{n}@casework.example"
            cur.execute(
                "INSERT INTO users (email, name, password_hash, agency_id) VALUES (%s, %s, %s, %s) RETURNING id",
                (email, f"Officer {n}", password_hash, agency_id),
            )
            user_ids.append(cur.fetchone()[0])
            cur.execute("INSERT INTO user_roles (user_id, role) VALUES (%s, 'officer')", (user_ids[-1],))
        cur.execute(
            "INSERT INTO users (email, name, password_hash, agency_id) VALUES (%s, 'Police partner', %s, %s) "
            "RETURNING id",
            (POLICE_EMAIL, password_hash, police_id),
        )
        cur.execute("INSERT INTO user_roles (user_id, role) VALUES (%s, 'partner')", (cur.fetchone()[0],))

        # People: about 1.5 per case.
        people = int(spec["cases"] * 1.5)
        with cur.copy(
            "COPY people (id, kind, name, normalised_name, date_of_birth, address, postcode, normalised_address, "
            "agency_id) FROM STDIN"
        ) as copy:
            for pid in range(1, people + 1):
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}-{pid}"
                area_index = pid % spec["areas"]
                address = f"{rng.randint(1, 200)} {rng.choice(STREETS)}"
                postcode = f"S{rng.randint(1, 99)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}"
                dob = date(1940, 1, 1) + timedelta(days=rng.randint(0, 30_000)) if rng.random() < 0.7 else None
                copy.write_row(
                    (
                        pid,
                        "individual",
                        name,
                        name.lower(),
                        dob,
                        address,
                        postcode,
                        f"{address.lower()} {postcode.replace(' ', '').lower()}",
                        council_ids[area_index],
                    )
                )
        counts["people"] = people

        # Cases, their parties, shares and reference counters.
        sequences: dict[tuple[int, int], int] = {}
        case_rows = []
        for cid in range(1, spec["cases"] + 1):
            area_index = rng.randrange(spec["areas"])
            opened = datetime.now(UTC) - timedelta(days=rng.randint(0, 5 * 365), minutes=rng.randint(0, 1440))
            year = opened.year
            key = (area_ids[area_index], year)
            sequences[key] = sequences.get(key, 0) + 1
            closed = rng.random() < 0.15
            case_rows.append((cid, area_index, opened, year, sequences[key], closed))
        with cur.copy(
            "COPY cases (id, reference, area_id, year, sequence, category, summary, location, lead_agency_id, "
            "owner_id, status, closure_reason, closed_on, is_restricted, created_by_id, created_at) FROM STDIN"
        ) as copy:
            for cid, area_index, opened, year, sequence, closed in case_rows:
                owner = user_ids[area_index]
                closed_on = min(opened.date() + timedelta(days=rng.randint(30, 400)), today) if closed else None
                copy.write_row(
                    (
                        cid,
                        f"A{area_index:03d}-{year}-{sequence:04d}",
                        area_ids[area_index],
                        year,
                        sequence,
                        rng.choice(["personal", "nuisance", "environmental"]),
                        f"{rng.choice(BEHAVIOUR)} on {rng.choice(STREETS)}; case {cid}",
                        f"{rng.choice(STREETS)}, Area {area_index}",
                        council_ids[area_index],
                        owner,
                        "closed" if closed else "open",
                        "Resolved" if closed else None,
                        closed_on,
                        rng.random() < 0.03,
                        owner,
                        opened,
                    )
                )
        with cur.copy("COPY reference_counters (series, area_id, year, last_sequence) FROM STDIN") as copy:
            for (area_id, year), last in sequences.items():
                copy.write_row(("cases", area_id, year, last))
        victims: dict[int, int] = {}
        with cur.copy("COPY case_parties (case_id, person_id, role) FROM STDIN") as copy:
            for cid in range(1, spec["cases"] + 1):
                victim = rng.randint(1, people)
                victims[cid] = victim
                copy.write_row((cid, victim, "victim"))
                perpetrator = rng.randint(1, people)
                if perpetrator != victim and rng.random() < 0.5:
                    copy.write_row((cid, perpetrator, "perpetrator"))
        with cur.copy("COPY case_shares (case_id, agency_id, case_created_at) FROM STDIN") as copy:
            for cid, _area_index, opened, _year, _sequence, _closed in case_rows:
                if rng.random() < 0.10:
                    copy.write_row((cid, police_id, opened))
        counts["cases"] = spec["cases"]

        # Incidents (a long tail per case) and their complaints.
        tail = [rng.expovariate(1 / 10) for _ in range(spec["cases"])]
        scale = spec["incidents"] / sum(tail)
        per_case = [max(1, round(value * scale)) for value in tail]
        # Rounding leaves the total a little off: top it up (or trim it) to exactly the size asked for.
        missing = spec["incidents"] - sum(per_case)
        while missing:
            index = rng.randrange(spec["cases"])
            if missing > 0 or per_case[index] > 1:
                step = 1 if missing > 0 else -1
                per_case[index] += step
                missing -= step
        incident_id = complaint_id = 0
        opened_by_case = {row[0]: row[2] for row in case_rows}
        # Complaints wait in a file (COPY text format) until the incidents are in: one COPY at a time.
        with tempfile.TemporaryFile("w+") as complaint_rows:
            with cur.copy(
                "COPY incidents (id, case_id, occurred_on, description, causes_had, hate_motivated) FROM STDIN"
            ) as incidents_copy:
                for cid, count in enumerate(per_case, start=1):
                    opened = opened_by_case[cid].date()
                    for _ in range(count):
                        incident_id += 1
                        occurred = min(opened + timedelta(days=rng.randint(-30, 300)), today)
                        incidents_copy.write_row(
                            (incident_id, cid, occurred, rng.choice(BEHAVIOUR), rng.random() < 0.9, rng.random() < 0.03)
                        )
                        for _ in range(1 if rng.random() < 0.7 else 2):
                            complaint_id += 1
                            reported = min(occurred + timedelta(days=rng.randint(0, 5)), today)
                            # Each agency's own reference: a police log number, a council reference.
                            if rng.random() < 0.4:
                                agency, reference = police_id, f"DP-{complaint_id}"
                            else:
                                agency, reference = council_ids[(cid - 1) % spec["areas"]], f"ASB-{complaint_id}"
                            complaint_rows.write(
                                f"{complaint_id}\t{incident_id}\t{cid}\t{victims[cid]}\t{reported}\t{agency}\t{reference}\n"
                            )
            complaint_rows.seek(0)
            with cur.copy(
                "COPY complaints (id, incident_id, case_id, complainant_person_id, reported_on, agency_id, reference) "
                "FROM STDIN"
            ) as copy:
                while chunk := complaint_rows.read(1 << 20):
                    copy.write(chunk)
        counts["incidents"] = incident_id
        counts["complaints"] = complaint_id

        # Case Review applications for 2% of cases, linked to them, with the victim as applicant.
        applications = 0
        counters: dict[tuple[int, int], int] = {}
        with tempfile.TemporaryFile("w+") as links:
            with cur.copy(
                "COPY trigger_applications (id, reference, area_id, year, sequence, received_on, channel, "
                "applicant_name, applicant_role, description, status) FROM STDIN"
            ) as copy:
                for cid, area_index, opened, _year, _sequence, _closed in case_rows:
                    if rng.random() >= 0.02:
                        continue
                    applications += 1
                    received = min(opened.date() + timedelta(days=rng.randint(30, 300)), today)
                    key = (area_ids[area_index], received.year)
                    counters[key] = counters.get(key, 0) + 1
                    copy.write_row(
                        (
                            applications,
                            f"A{area_index:03d}-CT-{received.year}-{counters[key]:04d}",
                            area_ids[area_index],
                            received.year,
                            counters[key],
                            received,
                            rng.choice(["online", "phone", "email"]),
                            f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                            "victim",
                            "Repeated anti-social behaviour",
                            "received",
                        )
                    )
                    links.write(f"{applications}\t{cid}\n")
            links.seek(0)
            with cur.copy("COPY trigger_application_cases (application_id, case_id) FROM STDIN") as copy:
                copy.write(links.read())
        counts["applications"] = applications

        for table in ("people", "cases", "incidents", "complaints", "case_parties", "trigger_applications"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://user@host:port/db (empty)")
    parser.add_argument("--size", choices=sorted(SIZES), default="county")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    started = time.monotonic()
    build_schema(args.database_url)
    counts = generate(args.database_url, args.size, args.seed)
    print(f"{args.size}: {counts} in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
