"""What the safety limits cost: letter rendering in the limited sandbox against Jinja's plain sandbox,
and handing a task message to a broker that is down (the outbox's fail-fast publish against Kombu's
default, which retries the connection).

    .venv/bin/python bench/limits_bench.py [--renders 2000]

Needs redis-server for the second part (it is started and stopped here, on loopback). Results go in
docs/performance.md ("Limits").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics as stats
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def render_bench(renders: int) -> None:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from casework.community_triggers import letters
    from casework.community_triggers.models import LetterKind
    from casework.core.templating import format_date

    subject, body = letters.DEFAULT_TEMPLATES[LetterKind.outcome]
    context = letters.sample_context(LetterKind.outcome)
    context["recommendations"] = context["recommendations"] * 10  # a long action plan: 20 items
    plain = SandboxedEnvironment(undefined=StrictUndefined)
    plain.filters["date"] = format_date
    plain_template = plain.from_string(body)

    def time_it(fn) -> list[float]:
        samples = []
        for _ in range(renders):
            started = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - started)
        return samples

    plain_subject = plain.from_string(subject)
    baseline = time_it(lambda: (plain_subject.render(context), plain_template.render(context)))
    limited = time_it(lambda: letters.render(subject, body, context))  # compiled templates are cached
    for name, samples in (("plain sandbox", baseline), ("limited (letters.render)", limited)):
        print(f"{name:28} median {stats.median(samples) * 1e3:7.3f} ms (subject and body)")
    print(f"ratio limited / plain: {stats.median(limited) / stats.median(baseline):.2f}")


def broker_down_bench(attempts: int = 5) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        print("redis-server not installed: broker part skipped")
        return
    from celery import Celery

    port = 6390 + os.getpid() % 100
    url = f"redis://127.0.0.1:{port}/0"
    folder = tempfile.mkdtemp()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    app = Celery(broker=url)
    app.send_task("bench.warm", retry=False)  # the pool holds a live connection, as a web process would
    server.terminate()
    server.wait()

    def default() -> None:
        app.send_task("bench.x")

    def fail_fast() -> None:
        with app.pool.acquire(block=True) as connection:
            connection.ensure_connection(max_retries=0, timeout=2)
            app.send_task("bench.x", connection=connection, retry=False)

    for name, fn in (("Kombu default", default), ("outbox publish", fail_fast)):
        samples = []
        for _ in range(attempts):
            started = time.perf_counter()
            # The broker is down: every call fails; what is timed is how fast it fails.
            with contextlib.suppress(Exception):
                fn()
            samples.append(time.perf_counter() - started)
        print(f"broker down, {name:16} median {stats.median(samples):7.3f} s per message")
    shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=2000)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores; {date.today()}")
    render_bench(args.renders)
    broker_down_bench()


if __name__ == "__main__":
    main()
