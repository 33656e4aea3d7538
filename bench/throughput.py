#!/usr/bin/env python3
"""Throughput of the hot pages as a share of a minimal Flask endpoint's, this code next to a baseline,
on PostgreSQL and SQLite, all in one run.

    .venv/bin/python bench/throughput.py [--baseline REF] [--duration 10] [--repeat 3]

For each backend it builds two databases with the demo data (``flask db upgrade`` then ``flask demo
load``, each revision with its own migrations): one for this working tree and one for ``--baseline``
(a git revision, by default where this branch left main), unpacked with ``git archive`` into a
temporary folder. It then starts, on 127.0.0.1, gunicorn with the same settings for each of them
(``--workers 2 --threads 4``, production configuration) and for ``bench/minimal_app.py``, signs in the
demo officer (an API token and a session cookie), and for each page runs wrk (``apt-get install wrk``)
with ``--connections`` keep-alive connections for ``--duration`` seconds: the minimal endpoint, the
baseline, this code, and the minimal endpoint again (this code first and the baseline second in every
even round: use an even ``--repeat`` when comparing, as the one measured first tends to come out
ahead). A page's share is its requests per second over the mean of the two minimal runs around it, so
a change of load during the run shows in both.

The machine's load is measured around every wrk run (load average and the share of CPU time busy),
and the worker processes' resident memory at the end. With ``--repeat N`` the whole matrix runs N
times and the table gives the median share with its range. Results go in docs/performance.md.

wrk opens its keep-alive connections all at once, and gunicorn's workers race to accept them: now and
then one worker wins every connection and the other sits idle for the whole run, so one core serves
the page and the rate halves (the "two states" of earlier runs). Midway through every run the
connections each worker holds are counted (from ``/proc``), and a run that left a worker without a
connection is run again, up to ``--tries`` times; the table says how many runs that took. A real
deployment does not see this: its proxy opens connections as requests come, and a busy worker does
not take new ones first.

``--app-cpus 0 --other-cpus 1`` pins every gunicorn (the minimal endpoint's and the pages') to the first
list of CPUs and wrk and the throwaway PostgreSQL to the second (``sched_setaffinity``), so the servers
being compared share nothing with the load generator or the database: on a two-core machine, the
database on a core of its own. Both are given or neither. Use ``--tries 1`` with them: the
gunicorn workers share the one core, so one worker holding every connection costs nothing.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gunicorn_workers import children, connections_per_worker  # noqa: E402

LOOPBACK = "127.0.0.1"
#: ``--app-cpus`` and ``--other-cpus``: the CPUs gunicorn runs on, and those wrk and PostgreSQL run on
#: (empty: unpinned).
APP_CPUS: set[int] = set()
OTHER_CPUS: set[int] = set()
OFFICER = "officer@casework.example"
#: "API signed-in floor" is ``GET /api/v1/me``: a token checked and the user loaded (then their
#: manager, a second statement, for the answer's ``manager_email``), nothing else read and nothing
#: logged. It has no aim of its own; it shows how much of the minimal endpoint's rate any signed-in
#: request can reach in this stack before it reads a record.
PAGES = ["API signed-in floor", "API case list", "API case page", "HTML case list", "HTML case page", "public form"]


# --- the machine ---------------------------------------------------------------------------------


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- revisions, databases, servers ------------------------------------------------------------------


@dataclass
class Revision:
    name: str
    root: Path
    commit: str


def unpack(ref: str, into: Path) -> Revision:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    target = into / f"baseline-{commit}"
    target.mkdir()
    archive = subprocess.Popen(["git", "archive", commit], cwd=ROOT, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(target)], stdin=archive.stdout, check=True)
    archive.wait()
    # The GOV.UK Frontend build is not in git: both revisions use this tree's.
    shutil.copytree(ROOT / "casework" / "static" / "govuk", target / "casework" / "static" / "govuk")
    return Revision("baseline", target, commit)


def environment(revision: Revision, database_url: str, instance: Path, secret: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(revision.root),
        "CASEWORK_ENV": "production",
        "CASEWORK_SECRET_KEY": secret,
        # A tree from before migration 0850 ignores it.
        "CASEWORK_DATA_KEY": base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode(),
        "CASEWORK_DATABASE_URL": database_url,
        "CASEWORK_INSTANCE_PATH": str(instance),
        "CASEWORK_BROKER_URL": "memory://",
        "CASEWORK_MAIL_DIR": str(instance / "mail"),
        # Failed sign-ins only; this tree refuses the older CASEWORK_SIGN_IN_RATE_LIMIT.
        "CASEWORK_SIGN_IN_ACCOUNT_LIMIT": "1000 per minute",
        "CASEWORK_SIGN_IN_ADDRESS_LIMIT": "1000 per minute",
    }


def prepare(revision: Revision, env: dict[str, str]) -> None:
    # --force: the production configuration refuses demo data unless told it is a throwaway copy.
    for command in (["db", "upgrade"], ["demo", "load", "--force"]):
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "casework", *command],
            cwd=revision.root,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise SystemExit(f"{revision.name}: flask {' '.join(command)} failed:\n{result.stderr[-3000:]}")
    # The revision's own code, not the installed package.
    check = subprocess.run(
        [sys.executable, "-c", "import casework; print(casework.__file__)"],
        cwd=revision.root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.stdout.startswith(str(revision.root)), check.stdout


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)


def start(
    name: str,
    app_spec: str,
    cwd: Path,
    env: dict[str, str],
    port: int,
    workers: int,
    threads: int,
    logs: Path | None = None,
    options: Sequence[str] = (),
) -> Server:
    """gunicorn serving ``app_spec``, with ``options`` besides the workers, threads and address; its output
    goes to ``<logs>/<name>.log`` (failures of the baseline are expected: that is what is being measured)."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"{LOOPBACK}:{port}",
        "--log-level",
        "warning",
        *options,
        app_spec,
    ]
    log = (Path(tempfile.gettempdir()) if logs is None else logs) / f"{name.replace(' ', '-')}.log"
    pinned = APP_CPUS.copy()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        start_new_session=True,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        # The master's CPUs are its workers' (a fork inherits them).
        preexec_fn=(lambda: os.sched_setaffinity(0, pinned)) if pinned else None,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            connection = HTTPConnection(LOOPBACK, port, timeout=5)
            connection.request("GET", "/case-review/" if name != "minimal" else "/ping")
            connection.getresponse().read()
            return Server(name, port, process)
        time.sleep(0.5)
    stop(process)
    raise SystemExit(f"{name} did not start on port {port}")


def stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def call(port: int, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None):
    connection = HTTPConnection(LOOPBACK, port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response, response.read().decode()


def sign_in(server: Server, instance: Path) -> None:
    """An API token and a session cookie for the demo officer; the paths of the pages."""
    password = (instance / "demo_password").read_text().strip()
    response, text = call(
        server.port,
        "POST",
        "/api/v1/auth/tokens",
        json.dumps({"email": OFFICER, "password": password}),
        {"Content-Type": "application/json"},
    )
    assert response.status == 201, text
    api = {"Authorization": f"Bearer {json.loads(text)['token']}"}
    response, page = call(server.port, "GET", "/sign-in")
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response, _ = call(
        server.port,
        "POST",
        "/sign-in",
        urllib.parse.urlencode({"email": OFFICER, "password": password, "csrf_token": token}),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    assert response.status == 302, response.status
    session = {"Cookie": response.getheader("Set-Cookie").split(";", 1)[0]}
    # The demo case with the most incidents: the same reference in both revisions.
    _, listing = call(server.port, "GET", "/api/v1/cases?per_page=100", headers=api)
    cases = []
    for item in json.loads(listing)["items"]:
        _, body = call(server.port, "GET", f"/api/v1/cases/{item['id']}", headers=api)
        cases.append((len(json.loads(body)["incidents"]), item["reference"], item["id"]))
    _, reference, case_id = max(cases)
    server.headers = {
        "API signed-in floor": api,
        "API case list": api,
        "API case page": api,
        "HTML case list": session,
        "HTML case page": session,
        "public form": {},
    }
    server.paths = {
        "API signed-in floor": "/api/v1/me",
        "API case list": "/api/v1/cases",
        "API case page": f"/api/v1/cases/{case_id}",
        "HTML case list": "/cases/",
        "HTML case page": f"/cases/{case_id}",
        "public form": "/case-review/apply",
    }
    print(f"  {server.name}: case {reference} (id {case_id}), {max(cases)[0]} incidents", flush=True)


# --- wrk ------------------------------------------------------------------------------------------


@dataclass
class Measure:
    rps: float
    p50_ms: float
    errors: int
    load: float
    busy: float
    #: connections each worker held midway, busiest first (empty when the workers were not given)
    split: list[int] = field(default_factory=list)
    #: how many runs it took to get one where every worker held a connection
    tries: int = 1

    @property
    def one_worker_idle(self) -> bool:
        return len(self.split) > 1 and min(self.split) == 0


def wrk(
    port: int,
    path: str,
    headers: dict[str, str],
    duration: float,
    connections: int,
    workers: list[int] | None = None,
) -> Measure:
    command = ["taskset", "--cpu-list", cpu_list(OTHER_CPUS)] if OTHER_CPUS else []
    command += ["wrk", "--threads", "2", "--connections", str(connections), "--duration", f"{duration:.0f}s"]
    command += ["--latency", "--timeout", "30s"]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    command.append(f"http://{LOOPBACK}:{port}{path}")
    load_before, (busy_before, total_before) = load_average(), cpu_times()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    split = []
    if workers:
        time.sleep(duration / 2)
        split = connections_per_worker(port, workers)
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"wrk failed: {err}")
    load_after, (busy_after, total_after) = load_average(), cpu_times()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return Measure(
        rps=rps,
        p50_ms=float(p50.group(1)) * scale,
        errors=errors,
        load=(load_before + load_after) / 2,
        busy=100 * (busy_after - busy_before) / max(total_after - total_before, 1),
        split=split,
    )


def measure(
    server: Server, path: str, headers: dict[str, str], duration: float, connections: int, tries: int
) -> Measure:
    """A wrk run in which every worker held a connection, tried up to ``tries`` times (the last is kept
    if none was)."""
    workers = children(server.process.pid)
    for attempt in range(1, tries + 1):
        result = wrk(server.port, path, headers, duration, connections, workers)
        result.tries = attempt
        if not result.one_worker_idle:
            break
    return result


def cpu_list(cpus: set[int]) -> str:
    return ",".join(str(cpu) for cpu in sorted(cpus))


def add_pinning_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--app-cpus", help="CPUs for every gunicorn, e.g. 0 (with --other-cpus)")
    parser.add_argument("--other-cpus", help="CPUs for wrk and PostgreSQL, e.g. 1 (with --app-cpus)")


def pin_from(args: argparse.Namespace) -> None:
    """Take ``--app-cpus`` and ``--other-cpus`` for every server, wrk run and PostgreSQL started after."""
    if bool(args.app_cpus) != bool(args.other_cpus):
        raise SystemExit("--app-cpus and --other-cpus go together")
    APP_CPUS.update(parse_cpus(args.app_cpus))
    OTHER_CPUS.update(parse_cpus(args.other_cpus))
    if APP_CPUS & OTHER_CPUS:
        raise SystemExit("--app-cpus and --other-cpus must not share a CPU")


def parse_cpus(text: str | None) -> set[int]:
    """``"0"`` or ``"0,2"``: a set of CPU numbers, each one this process may run on."""
    if not text:
        return set()
    cpus = {int(part) for part in text.split(",") if part.strip()}
    if not cpus <= os.sched_getaffinity(0):
        raise SystemExit(f"CPUs {cpu_list(cpus)} are not all available here ({cpu_list(os.sched_getaffinity(0))})")
    return cpus


# --- the run ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def postgresql() -> Iterator[object]:
    from tests.support.services import ThrowawayPostgres, find_postgresql_bindir

    bindir = find_postgresql_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed: use --backends sqlite")
    server = ThrowawayPostgres(bindir)
    server.start()
    if OTHER_CPUS:
        # The postmaster and the processes it has started; each connection's backend, forked later,
        # inherits the postmaster's CPUs.
        postmaster = int((server.datadir / "postmaster.pid").read_text().split()[0])
        for pid in (postmaster, *children(postmaster)):
            os.sched_setaffinity(pid, OTHER_CPUS)
    try:
        yield server
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", help="git revision to compare with (default: the merge base with main)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1, help="run the whole matrix this many times")
    parser.add_argument(
        "--tries",
        type=int,
        default=3,
        help="runs of a measurement at most while a worker holds no connection",
    )
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--port", type=int, default=18600, help="first of the ports the servers use")
    add_pinning_arguments(parser)
    args = parser.parse_args()
    pin_from(args)
    # Stopped with kill: clean up (servers, databases, the scratch folder) as on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    baseline_ref = (
        args.baseline
        or subprocess.run(
            ["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    secret = secrets.token_hex(32)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    results: dict[tuple[str, str, str], list[float]] = {}  # (backend, page, revision) -> shares
    detail: dict[tuple[str, str, str], list[Measure]] = {}
    minimal_rps: list[float] = []
    runs: list[Measure] = []
    memory: dict[str, float] = {}
    started = time.time()

    with tempfile.TemporaryDirectory(prefix="casework-throughput-") as scratch, contextlib.ExitStack() as stack:
        work = Path(scratch)
        current = Revision("this branch", ROOT, head.stdout.strip() + (" + changes" if dirty else ""))
        baseline = unpack(baseline_ref, work)
        print(f"baseline {baseline.commit}, this branch {current.commit}", flush=True)
        pg = stack.enter_context(postgresql()) if "postgresql" in backends else None
        servers: dict[tuple[str, str], Server] = {}
        port = args.port
        minimal = start(
            "minimal", "bench.minimal_app:app", ROOT, {**os.environ, "PYTHONPATH": str(ROOT)}, port, 2, 4, work
        )
        stack.callback(stop, minimal.process)
        for backend in backends:
            for revision in (baseline, current):
                port += 1
                instance = work / f"{backend}-{revision.name.replace(' ', '-')}"
                instance.mkdir()
                if backend == "sqlite":
                    url = f"sqlite:///{instance / 'casework.sqlite'}"
                else:
                    import psycopg
                    from psycopg import sql

                    dbname = f"bench_{revision.name.replace(' ', '_')}"
                    with psycopg.connect(pg.url, autocommit=True) as conn:  # type: ignore[union-attr]
                        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
                    url = pg.url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + dbname  # type: ignore[union-attr]
                env = environment(revision, url, instance, secret)
                print(f"preparing {revision.name} on {backend}", flush=True)
                prepare(revision, env)
                server = start(
                    f"{revision.name} ({backend})",
                    "casework.wsgi:app",  # the production entry point (Dockerfile, systemd unit)
                    revision.root,
                    env,
                    port,
                    args.workers,
                    args.threads,
                    work,
                )
                stack.callback(stop, server.process)
                sign_in(server, instance)
                servers[(backend, revision.name)] = server
        for server in servers.values():  # warm up: templates compiled, caches filled
            for page in PAGES:
                wrk(server.port, server.paths[page], server.headers[page], 2, args.connections)

        for round_number in range(1, args.repeat + 1):
            print(f"\nround {round_number} of {args.repeat}", flush=True)
            for backend in backends:
                for page in PAGES:
                    before = measure(minimal, "/ping", {}, args.duration, args.connections, args.tries)
                    measured = {}
                    # Which of the two goes first changes every round: the one measured straight after the
                    # minimal endpoint came out ahead in 18 of 24 pairs of an A/A run (same code twice),
                    # so over an even number of rounds each revision takes each place equally often.
                    order = (baseline, current) if round_number % 2 else (current, baseline)
                    for revision in order:
                        server = servers[(backend, revision.name)]
                        measured[revision.name] = measure(
                            server,
                            server.paths[page],
                            server.headers[page],
                            args.duration,
                            args.connections,
                            args.tries,
                        )
                    after = measure(minimal, "/ping", {}, args.duration, args.connections, args.tries)
                    runs += [before, *measured.values(), after]
                    reference = (before.rps + after.rps) / 2
                    minimal_rps += [before.rps, after.rps]
                    for name, m in measured.items():
                        results.setdefault((backend, page, name), []).append(m.rps / reference)
                        detail.setdefault((backend, page, name), []).append(m)
                    line = ", ".join(
                        f"{name} {m.rps:.0f}/s (1/{reference / m.rps:.0f}, p50 {m.p50_ms:.1f} ms, errors {m.errors}, "
                        f"connections {m.split})"
                        for name, m in measured.items()
                    )
                    print(
                        f"  {backend:10} {page:19} minimal {reference:.0f}/s; {line}; "
                        f"load {before.load:.1f}-{after.load:.1f}, CPU busy {before.busy:.0f}-{after.busy:.0f}%",
                        flush=True,
                    )
        for (backend, name), server in servers.items():
            workers = children(server.process.pid)
            memory[f"{name} ({backend})"] = max((rss_mb(pid) for pid in workers), default=0.0)
        memory["minimal"] = max((rss_mb(pid) for pid in children(minimal.process.pid)), default=0.0)

    print(f"\nbaseline {baseline.commit} against this branch {current.commit}")
    print(
        f"gunicorn --workers {args.workers} --threads {args.threads}; wrk --connections {args.connections} "
        f"--threads 2, {args.duration:.0f} s per run; {args.repeat} round(s) in {(time.time() - started) / 60:.0f} min"
    )
    if APP_CPUS:
        print(f"pinned: gunicorn on CPUs {cpu_list(APP_CPUS)}; wrk and PostgreSQL on CPUs {cpu_list(OTHER_CPUS)}")
    print(
        f"minimal endpoint: {statistics.median(minimal_rps):.0f} requests/s (median of {len(minimal_rps)} runs, "
        f"{min(minimal_rps):.0f} to {max(minimal_rps):.0f})"
    )
    loads = [m.load for ms in detail.values() for m in ms]
    busy = [m.busy for ms in detail.values() for m in ms]
    print(
        f"machine: load average {min(loads):.1f} to {max(loads):.1f} (median {statistics.median(loads):.1f}), "
        f"CPU busy {min(busy):.0f} to {max(busy):.0f}% during the runs"
    )
    again = sum(m.tries - 1 for m in runs)
    idle = sum(m.one_worker_idle for m in runs)
    print(
        f"connections: {len(runs)} measurements; {again} run(s) repeated because a worker held no connection; "
        f"{idle} measurement(s) kept with a worker idle after {args.tries} tries\n"
    )
    print("| page | backend | baseline | this branch | this branch, requests/s | errors (baseline, this branch) |")
    print("|---|---|---:|---:|---:|---:|")
    for backend in backends:
        for page in PAGES:
            cells = []
            for name in (baseline.name, current.name):
                shares = results[(backend, page, name)]
                median = statistics.median(shares)
                spread = f" ({1 / max(shares):.0f}-{1 / min(shares):.0f})" if len(shares) > 1 else ""
                cells.append(f"1/{1 / median:.0f}{spread}")
            ms = detail[(backend, page, current.name)]
            errors = ", ".join(
                str(sum(m.errors for m in detail[(backend, page, name)])) for name in (baseline.name, current.name)
            )
            rps = statistics.median(m.rps for m in ms)
            print(f"| {page} | {backend} | {cells[0]} | {cells[1]} | {rps:.0f} | {errors} |")
    print("\nresident memory of the busiest worker after the run:")
    for name, mb in memory.items():
        print(f"  {name}: {mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
