"""Several people at once on the embedded service (`scripts/start`), while its worker and beat run.

Each staff client signs in to a demo account of its own where it can (the Bolsover officer and
coordinator, then each other area's coordinator and manager: one account's sign-in limit would refuse
a crowd), with its own session and CSRF tokens, opens cases where it sees too few, and for a while does
what a team would: case lists and pages, searches, notes, incidents, actions, the printable case,
closing a case (only the lead agency may: a 403 page, or "already closed" when another client was first,
counts as an answer, not a failure). A manager downloads the exports and imports a small people
spreadsheet (upload, columns, the worker's check, start). Residents send Case Review applications
through the public form, each from a loopback address of its own (127.x.y.z; the form's limit is per
address). Meanwhile every beat task is sent to the worker every few seconds, as if beat ran the sweeps
(reminders, retention, imports' files, the outbox relay...) that often.

Afterwards it reports every 5xx or other unexpected answer, and every write a client was told was saved
(notes, incidents, actions, cases, closures, applications, imported people, each carrying a marker)
that no table outside the audit log holds. Exit status 1 if any request failed or any write was lost.

    PORT=5091 scripts/start                     # in one terminal
    .venv/bin/python bench/embedded_mixed_load.py --port 5091 --clients 16 --seconds 180 --sweep-every 2

Then read what the web server, the worker and beat printed (any "database is locked", traceback, failed
or retried task). It writes into the instance's database: run it on a trial, never on live records.
"""

from __future__ import annotations

import argparse
import collections
import html.parser
import io
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent


class FormParser(html.parser.HTMLParser):
    """The forms of a page: action, method and the values a browser would send as they stand."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": {}})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields[name] = a.get("value", "on")
                else:
                    fields.setdefault(name, None)
            elif kind not in ("submit", "button", "file"):
                fields[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, None)
        elif tag == "option" and self._select:
            if fields.get(self._select) is None or "selected" in a:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(page: str) -> list[dict[str, Any]]:
    parser = FormParser()
    parser.feed(page)
    return parser.forms


def page_form(page: str) -> dict[str, Any]:
    """The page's own form: the first that posts, other than the header's (sign out, keep-alive)."""
    return next(
        f for f in forms_of(page) if f["method"] == "post" and f["action"] not in ("/sign-out", "/session/keep-alive")
    )


class FromAddress(requests.adapters.HTTPAdapter):
    """Connections from a loopback address of one's own: each resident applies from their own address,
    as the public form's limit is per address."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Report:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: collections.Counter[str] = collections.Counter()
        self.failures: list[str] = []
        self.saved: list[tuple[str, str]] = []  # (what, marker) a client was told was saved

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def fail(self, text: str) -> None:
        with self.lock:
            self.failures.append(text)
        print("FAIL", text, flush=True)

    def wrote(self, what: str, marker: str) -> None:
        with self.lock:
            self.saved.append((what, marker))


class Client:
    def __init__(self, base: str, email: str, password: str, report: Report, seed: int) -> None:
        self.base = base
        self.email = email
        self.password = password
        self.report = report
        self.http = requests.Session()
        self.random = random.Random(seed)

    def request(self, method: str, path: str, expect: tuple[int, ...] = (200,), **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 120)
        kwargs.setdefault("allow_redirects", False)
        try:
            answer = self.http.request(method, self.base + path, **kwargs)
        except requests.RequestException as error:
            self.report.fail(f"{self.email} {method} {path}: {error!r}")
            raise
        self.report.count(f"{method} {answer.status_code}")
        if answer.status_code >= 500 or answer.status_code not in expect:
            self.report.fail(f"{self.email} {method} {path}: {answer.status_code} {answer.text[:300]!r}")
        return answer

    def submit(
        self, path: str, values: dict[str, Any], page_expect: tuple[int, ...] = (200,), **kwargs: Any
    ) -> requests.Response:
        """GET the page at ``path``, fill its form with ``values`` and POST it (the page's answer if it
        has no form to fill)."""
        page = self.request("GET", path, expect=page_expect)
        if page.status_code != 200:
            return page
        form = page_form(page.text)
        data = {k: v for k, v in form["fields"].items() if v is not None}
        data.update(values)
        action = form["action"] or path
        kwargs.setdefault("expect", (200, 302, 303))
        return self.request("POST", action, data=data, **kwargs)

    def sign_in(self) -> None:
        # Many people signing in to one account at once meet its sign-in limit (429): wait, as they would.
        for _ in range(10):
            answer = self.submit("/sign-in", {"email": self.email, "password": self.password}, expect=(302, 303, 429))
            if answer.status_code != 429:
                break
            time.sleep(int(answer.headers.get("Retry-After", "10")))
        if answer.status_code not in (302, 303):
            self.report.fail(f"{self.email} could not sign in: {answer.status_code}")

    def case_ids(self) -> list[int]:
        page = self.request("GET", "/cases/?per_page=50").text
        return sorted({int(n) for n in re.findall(r'href="/cases/(\d+)"', page)})


def marker(kind: str) -> str:
    return f"load-{kind}-{uuid.uuid4().hex[:12]}"


def dated(prefix: str, day: date) -> dict[str, str]:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month), f"{prefix}-year": str(day.year)}


def open_case(client: Client) -> int | None:
    """Open a case through the new case form; its id, or None if it was refused."""
    page = client.request("GET", "/cases/new").text
    agencies = re.findall(r'value="([^"]+)"', page.split('name="lead_agency_code"')[1].split("</select>")[0])
    summary = marker("case")
    for agency in [getattr(client, "agency", None), *agencies]:
        if not agency:
            continue
        values = {"summary": summary, "location": "1 Test Street", "lead_agency_code": agency}
        answer = client.submit("/cases/new", values, expect=(302, 303, 422))
        if answer.status_code in (302, 303):
            client.agency = agency  # type: ignore[attr-defined]
            client.report.wrote("case", summary)
            found = re.search(r"/cases/(\d+)", answer.headers.get("Location", ""))
            return int(found.group(1)) if found else None
    client.report.fail(f"{client.email} could not open a case")
    return None


def officer_loop(client: Client, until: float) -> None:
    client.sign_in()
    cases = client.case_ids()
    while len(cases) < 3:
        case_id = open_case(client)
        if case_id is None:
            return
        cases.append(case_id)
    while time.monotonic() < until:
        case_id = client.random.choice(cases)
        roll = client.random.random()
        if roll < 0.03:
            case_id = open_case(client)
            if case_id is not None:
                cases.append(case_id)
        elif roll < 0.25:
            client.request("GET", f"/cases/{case_id}")
        elif roll < 0.35:
            client.request("GET", "/cases/?q=" + client.random.choice(["a", "noise", "BOL", "smith", "car"]))
        elif roll < 0.50:
            text = marker("note")
            answer = client.submit(f"/cases/{case_id}/notes/new", {"text": text})
            if answer.status_code in (302, 303):
                client.report.wrote("note", text)
        elif roll < 0.65:
            text = marker("incident")
            day = date.today() - timedelta(days=client.random.randint(1, 20))
            values = {"description": text, **dated("occurred_on", day)}
            answer = client.submit(f"/cases/{case_id}/incidents/new", values)
            if answer.status_code in (302, 303):
                client.report.wrote("incident", text)
        elif roll < 0.78:
            text = marker("action")
            values = {"description": text, **dated("due_on", date.today() + timedelta(days=14))}
            answer = client.submit(f"/cases/{case_id}/actions/new", values)
            if answer.status_code in (302, 303):
                client.report.wrote("action", text)
        elif roll < 0.82:
            client.request("GET", "/")
        elif roll < 0.86:
            client.request("GET", "/actions")
        elif roll < 0.88:
            text = marker("close")
            # Two people closing one case at once: the second is told it changed (409), as it should be.
            # A case another client closed first is refused (422, "already closed").
            # Only the lead agency may close a case (403 for the others, who may still add to it).
            answer = client.submit(
                f"/cases/{case_id}/close", {"reason": text}, page_expect=(200, 403), expect=(200, 302, 303, 409, 422)
            )
            if answer.status_code == 422 and "already closed" not in answer.text:
                client.report.fail(f"{client.email} could not close case {case_id}: {answer.text[:300]!r}")
            if answer.status_code in (302, 303):
                client.report.wrote("close", text)
                cases.remove(case_id)
                if not cases:
                    return
        else:
            client.request("GET", f"/cases/{case_id}/print")


def people_file() -> tuple[bytes, list[str]]:
    """A small people spreadsheet whose references were never imported before, and those references."""
    references = [marker("person") for _ in range(5)]
    rows = ["reference,name,address,postcode"]
    rows += [f"{reference},Load Person {n},{n} Test Street,S44 6BH" for n, reference in enumerate(references)]
    return ("\n".join(rows) + "\n").encode(), references


def manager_loop(client: Client, until: float) -> None:
    client.sign_in()
    exports = sorted(set(re.findall(r'href="(/exports/[^"]+)"', client.request("GET", "/cases/").text)))
    while time.monotonic() < until:
        roll = client.random.random()
        if roll < 0.3 and exports:
            client.request("GET", client.random.choice(exports))
        elif roll < 0.45:
            page = client.request("GET", "/imports/new/people")
            data = {k: v for k, v in page_form(page.text)["fields"].items() if v is not None}
            contents, references = people_file()
            files = {"file": ("load.csv", io.BytesIO(contents), "text/csv")}
            answer = client.request("POST", "/imports/new/people", data=data, files=files, expect=(200, 302, 303))
            location = answer.headers.get("Location", "")
            found = re.search(r"/imports/(\d+)", location)
            if found:
                job = found.group(1)
                if location.endswith("/columns"):
                    answer = client.submit(location, {})
                # The worker checks the file first: the page offers to start the import once it has.
                for _ in range(30):
                    show = client.request("GET", f"/imports/{job}?refresh=off")
                    starts = [f for f in forms_of(show.text) if f["action"].endswith("/start")]
                    if starts:
                        break
                    time.sleep(1)
                client.report.count("import started" if starts else "import not checked in 30 s")
                if starts:
                    data = {k: v for k, v in starts[0]["fields"].items() if v is not None}
                    answer = client.request("POST", starts[0]["action"], data=data, expect=(302, 303))
                    if answer.status_code in (302, 303):
                        for reference in references:
                            client.report.wrote("imported person", reference)
        else:
            client.request(
                "GET",
                client.random.choice(
                    ["/", "/cases/", "/cases/caseload", "/reports/partnership/", "/actions", "/imports"]
                ),
                expect=(200, 404),
            )


def public_loop(base: str, report: Report, until: float, seed: int) -> None:
    """Case Review applications through the public form, as a resident would send them."""
    rng = random.Random(seed)
    while time.monotonic() < until:
        client = Client(base, "public", "", report, rng.randint(0, 1 << 30))
        address = ".".join(["127", *(str(rng.randint(1, 254)) for _ in range(3))])
        client.http.mount("http://", FromAddress(address))
        name = marker("applicant")
        page = client.request("GET", "/case-review/apply").text
        data = {k: v for k, v in page_form(page)["fields"].items() if v is not None}
        data.pop("website", None)
        data.update({"applicant_role": "victim", "applicant_name": name, "area": "BOL"})
        data["description"] = "Noise every night " + name
        for n in range(3):
            when = date.today() - timedelta(days=7 * (n + 1))
            data.update(dated(f"complaints-{n}-occurred_on", when))
            data.update(dated(f"complaints-{n}-reported_on", when))
            data[f"complaints-{n}-agency"] = "BDC"
        answer = client.request("POST", "/case-review/apply", data=data, expect=(200, 422, 429))
        if answer.status_code != 200:
            time.sleep(5)
            continue
        data = {k: v for k, v in page_form(answer.text)["fields"].items() if v is not None}
        data["confirm"] = "y"
        data.pop("change", None)
        data.pop("add_complaint", None)
        answer = client.request("POST", "/case-review/apply", data=data, expect=(302, 303, 429))
        if answer.status_code in (302, 303):
            report.wrote("application", name)
        time.sleep(rng.uniform(1, 4))


def sweeps(interval: float, until: float, report: Report) -> None:
    """Every beat task, sent to the worker every ``interval`` seconds, in a process of its own."""
    code = (
        "import sys, time\n"
        "from casework.tasks.worker import app, flask_app\n"
        "names = sorted(app.conf.beat_schedule)\n"
        "end = time.monotonic() + float(sys.argv[2])\n"
        "while time.monotonic() < end:\n"
        "    for name in names:\n"
        "        app.send_task(app.conf.beat_schedule[name]['task'])\n"
        "    print('sent', len(names), 'beat tasks', flush=True)\n"
        "    time.sleep(float(sys.argv[1]))\n"
    )
    seconds = until - time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code, str(interval), str(seconds)], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        report.fail(f"sending the beat tasks failed: {done.stderr[-2000:]}")


def lost_writes(database: Path, saved: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The markers a client was told were saved and that no text column of the database holds."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=60)
    # Not the audit log: an entry naming a marker is no proof that the record itself was kept.
    tables = [
        row[0]
        for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        if not row[0].startswith("audit")
    ]
    text = []
    for table in tables:
        columns = [
            row[1]
            for row in connection.execute(f'PRAGMA table_info("{table}")')
            if (row[2] or "").upper().startswith(("VARCHAR", "TEXT", "JSON", "CHAR"))
        ]
        for column in columns:
            text.extend(
                str(value)
                # Names from the database's own catalogue, not from input.
                for (value,) in connection.execute(
                    f'SELECT "{column}" FROM "{table}" WHERE "{column}" LIKE \'%load-%\''  # noqa: S608
                )
            )
    everything = "\n".join(text)
    return [(what, mark) for what, mark in saved if mark not in everything]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--clients", type=int, default=8, help="signed-in staff clients (default 8)")
    parser.add_argument("--public", type=int, default=1, help="public applicants at once (default 1)")
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--sweep-every", type=float, default=10, help="send every beat task this often (s)")
    parser.add_argument("--database", type=Path, default=ROOT / "instance" / "casework.sqlite")
    args = parser.parse_args()

    base = f"http://127.0.0.1:{args.port}"
    logins = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "casework", "demo", "logins"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    users = dict(re.findall(r"(\S+@casework\.example)\s+password:\s+(\S+)", logins))
    if not users:
        print(logins)
        return 2
    password = next(iter(users.values()))
    # Each area's own coordinator and manager (same password), so that clients are spread over accounts.
    areas = re.search(r"each other area \(([a-z, ]+)\)", logins)
    editors = ["officer@casework.example", "coordinator@casework.example"]
    for area in areas.group(1).split(", ") if areas else []:
        editors += [f"coordinator.{area}@casework.example", f"manager.{area}@casework.example"]
    report = Report()
    until = time.monotonic() + args.seconds
    threads = []
    for n in range(args.clients):
        email = editors[n % len(editors)]
        client = Client(base, email, users.get(email, password), report, n)
        threads.append(threading.Thread(target=officer_loop, args=(client, until), name=f"staff-{n}"))
    manager = next((e for e in users if e.startswith("manager")), editors[0])
    client = Client(base, manager, users[manager], report, 999)
    threads.append(threading.Thread(target=manager_loop, args=(client, until), name="manager"))
    for n in range(args.public):
        threads.append(threading.Thread(target=public_loop, args=(base, report, until, 1000 + n), name=f"public-{n}"))
    threads.append(threading.Thread(target=sweeps, args=(args.sweep_every, until, report), name="sweeps"))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    time.sleep(30)  # the last imports the worker runs
    lost = lost_writes(args.database, report.saved)
    print("\nanswers:", dict(sorted(report.counts.items())))
    print("writes confirmed:", collections.Counter(what for what, _ in report.saved))
    print("failed requests:", len(report.failures))
    for line in report.failures[:50]:
        print("  ", line)
    print("lost writes:", len(lost))
    for what, mark in lost[:50]:
        print("  ", what, mark)
    return 1 if report.failures or lost else 0


if __name__ == "__main__":
    sys.exit(main())
