#!/usr/bin/env python3
"""What one of the service's speed-ups saves, measured with it on and off in the same process, the two
interleaved, so that a busy machine slows both alike.

    .venv/bin/python bench/interleaved.py [--rounds 30] [--requests 10] [--pages "API case page,HTML case page"]

Builds the demo data in a throwaway SQLite file as ``bench/profile_pages.py`` does, signs in the demo
officer, then for each page and each speed-up runs ``--rounds`` rounds of ``--requests`` requests with
it on and as many with it off, alternating which goes first, and prints the CPU time a request (the
10th percentile and the median of the rounds) each way and their ratio. The speed-ups:

- ``prebuilt``: statements built once run under a cache key of their own (``casework.core.db.prebuilt``);
  off, they run as the statements themselves, under the key SQLAlchemy works out from them.
- ``orjson``: JSON answers written by orjson (``casework.core.json_provider``); off, by Flask's own
  provider (the standard library).

A toggle changes nothing but the speed-up: the answers are compared each way before timing. Measured
here, never in the test suite.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import profile_pages  # noqa: E402


def prebuilt_toggle(app) -> Callable[[bool], None]:
    import casework.accounts.services
    import casework.accounts.sessions
    import casework.cases.queries
    import casework.cases.saved_views
    import casework.cases.sections
    import casework.cases.services.reading
    from casework.core.db import prebuilt

    users = [
        casework.accounts.services,
        casework.accounts.sessions,
        casework.cases.queries,
        casework.cases.saved_views,
        casework.cases.sections,
        casework.cases.services.reading,
    ]

    def use(on: bool) -> None:
        for module in users:
            module.prebuilt = prebuilt if on else (lambda statement: statement)

    return use


def orjson_toggle(app) -> Callable[[bool], None]:
    from flask.json.provider import DefaultJSONProvider

    from casework.core.json_provider import OrjsonProvider

    providers = {True: OrjsonProvider(app), False: DefaultJSONProvider(app)}

    def use(on: bool) -> None:
        app.json = providers[on]

    return use


TOGGLES = {"prebuilt": prebuilt_toggle, "orjson": orjson_toggle}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=10, help="requests a round")
    parser.add_argument("--pages", default="API case list,API case page,HTML case list,HTML case page")
    parser.add_argument("--toggles", default=",".join(TOGGLES))
    args = parser.parse_args()
    os.environ.setdefault("CASEWORK_ENV", "production")
    with tempfile.TemporaryDirectory(prefix="casework-interleaved-") as instance:
        app = profile_pages.build_app(None, instance)
        gc.freeze()
        client, headers = profile_pages.sign_in(app)
        pages = profile_pages.pages(app, client, headers)
        print(f"load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds of {args.requests} requests each way")
        print("| page | speed-up | CPU ms a request, off (p10, median) | on (p10, median) | on / off (medians) |")
        print("|---|---|---:|---:|---:|")
        for toggle_name in args.toggles.split(","):
            use = TOGGLES[toggle_name](app)
            for name in args.pages.split(","):
                if toggle_name == "orjson" and not name.startswith("API"):
                    continue  # the pages answer HTML
                page_client, path, page_headers = pages[name]
                answers = {}
                for on in (True, False):
                    use(on)
                    for _ in range(5):
                        response = page_client.get(path, headers=page_headers)
                    assert response.status_code == 200, (name, response.status_code)
                    answers[on] = response.get_json() if response.is_json else len(response.get_data())
                assert answers[True] == answers[False], f"{toggle_name} changes what {name} answers"
                cpu: dict[bool, list[float]] = {True: [], False: []}
                for round_number in range(args.rounds):
                    for on in (True, False) if round_number % 2 else (False, True):
                        use(on)
                        started = time.process_time()
                        for _ in range(args.requests):
                            page_client.get(path, headers=page_headers)
                        cpu[on].append((time.process_time() - started) * 1000 / args.requests)
                use(True)
                off, on_ = sorted(cpu[False]), sorted(cpu[True])
                tenth = max(len(off) // 10, 0)
                print(
                    f"| {name} | {toggle_name} | {off[tenth]:.2f}, {statistics.median(off):.2f} | "
                    f"{on_[tenth]:.2f}, {statistics.median(on_):.2f} | "
                    f"{statistics.median(on_) / statistics.median(off):.2f} |",
                    flush=True,
                )
        print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
