#!/usr/bin/env python3
"""What gunicorn's processes hold between them, with and without ``--preload``.

    .venv/bin/python bench/worker_memory.py [--workers 3] [--seconds 4] [--database-url URL]

Casework is served as the image and the systemd unit serve it (sync workers, three by default) on the
demo data: SQLite, or the empty database given. For each way of starting, the bench signs the demo
officer in and measures every process; runs wrk on each hot page in turn and measures them again; then
walks the officer's pages (the links of each page, breadth first, from the start page: the case lists,
cases, Case Reviews, reports, settings) three times over and measures them once more. The hot pages show
a worker that serves a few pages; the walk, one that has served most of what an officer uses.

Each process is measured three ways, from ``/proc/PID/smaps_rollup``: its resident memory (RSS), what
is its alone (USS: pages no other process maps) and its share of the machine's memory (PSS: its own
pages, plus each page it shares divided by the processes sharing it). The PSS of all the processes
added up is what the service takes from the machine. Results go in docs/performance.md ("Memory").
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import sys
import tempfile
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gunicorn_workers import children  # noqa: E402
from bench.throughput import (  # noqa: E402
    LOOPBACK,
    PAGES,
    Revision,
    environment,
    load_average,
    prepare,
    sign_in,
    start,
    stop,
    wrk,
)

#: How each way of starting is named in the table, and gunicorn's options for it.
WAYS = {"without --preload": [], "with --preload": ["--preload"]}


#: Links the walk does not follow: signing out, and files rather than pages.
NOT_WALKED = re.compile(r"sign-out|/static/|/export|download|\.(csv|xlsx|pdf|ics)\b")


def get(port: int, path: str, cookie: str) -> tuple[int, str, bytes]:
    """Status, content type and body of a GET on a new connection (as a browser's requests reach the
    sync workers)."""
    connection = HTTPConnection(LOOPBACK, port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()


def walk(port: int, cookie: str, pages: int, rounds: int = 3) -> tuple[int, int]:
    """GET the first ``pages`` pages reached from ``/`` by following links (breadth first), then each
    of them again until every one was fetched ``rounds`` times; (pages, failed requests)."""
    found: list[str] = []
    queue, failed = ["/"], 0
    while queue and len(found) < pages:
        path = queue.pop(0)
        if path in found:
            continue
        found.append(path)
        status, content_type, body = get(port, path, cookie)
        failed += status >= 500
        if "html" in content_type:
            for link in re.findall(r'href="(/[^"#]*)"', body.decode(errors="replace")):
                link = link.replace("&amp;", "&")
                if not NOT_WALKED.search(link) and link not in found:
                    queue.append(link)
    for _ in range(rounds - 1):
        for path in found:
            failed += get(port, path, cookie)[0] >= 500
    return len(found), failed


def memory_mb(pid: int) -> dict[str, float]:
    """RSS, PSS and USS of a process, in MB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value)
    return {
        "RSS": fields["Rss"] / 1024,
        "PSS": fields["Pss"] / 1024,
        "USS": (fields["Private_Clean"] + fields["Private_Dirty"]) / 1024,
    }


def row(way: str, when: str, master: int, workers: list[int]) -> str:
    ours = memory_mb(master)
    theirs = [memory_mb(pid) for pid in workers]

    def median(kind: str) -> float:
        return statistics.median(worker[kind] for worker in theirs)

    total = ours["PSS"] + sum(worker["PSS"] for worker in theirs)
    return (
        f"| {way} | {when} | {ours['RSS']:.0f} / {ours['PSS']:.0f} / {ours['USS']:.0f} "
        f"| {median('RSS'):.0f} / {median('PSS'):.0f} / {median('USS'):.0f} | **{total:.0f}** |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn's workers (the image runs 3)")
    parser.add_argument("--seconds", type=float, default=4, help="wrk's run on each page")
    parser.add_argument("--pages", type=int, default=300, help="how many of the officer's pages to walk")
    parser.add_argument("--port", type=int, default=56400)
    parser.add_argument("--database-url", help="an empty database (default: a throwaway SQLite file)")
    args = parser.parse_args()

    print(f"{args.workers} sync workers, demo data, wrk for {args.seconds:.0f} s on each of {len(PAGES)} pages")
    print(f"load average before: {load_average():.1f}")
    print()
    print("| gunicorn | when | master RSS / PSS / USS | a worker RSS / PSS / USS (median) | all processes' PSS |")
    print("|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="casework-worker-memory-") as folder:
        instance = Path(folder)
        revision = Revision("this tree", ROOT, "tree")
        env = environment(
            revision, args.database_url or f"sqlite:///{instance}/casework.sqlite", instance, secrets.token_hex(32)
        )
        prepare(revision, env)
        failed = 0
        for way, options in WAYS.items():
            server = start("casework", "casework.wsgi:app", ROOT, env, args.port, args.workers, 1, instance, options)
            try:
                sign_in(server, instance)
                workers = children(server.process.pid)
                print(row(way, "signed in, idle", server.process.pid, workers), flush=True)
                for page in PAGES:
                    failed += wrk(server.port, server.paths[page], server.headers[page], args.seconds, 20).errors
                # A worker that failed would have been replaced by a fresh one: measure the ones that ran.
                assert children(server.process.pid) == workers, "a worker was replaced during wrk"
                print(row(way, "after wrk on each page", server.process.pid, workers), flush=True)
                walked, walk_failed = walk(server.port, server.headers["HTML case page"]["Cookie"], args.pages)
                failed += walk_failed
                assert children(server.process.pid) == workers, "a worker was replaced during the walk"
                print(row(way, f"after a walk of {walked} pages", server.process.pid, workers), flush=True)
            finally:
                stop(server.process)
    print()
    print(f"load average after: {load_average():.1f}; failed requests: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
