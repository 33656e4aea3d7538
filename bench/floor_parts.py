#!/usr/bin/env python3
"""What each part of a signed-in request costs, found by leaving it out: an upper bound of what cutting
it could save, measured in-process with the part left out and kept, interleaved, so that a busy machine
slows both alike.

    .venv/bin/python bench/floor_parts.py [--rounds 30] [--requests 10] [--pages "API signed-in floor,API case list"]

Builds the demo data in a throwaway SQLite file as ``bench/profile_pages.py`` does and signs in the demo
officer. Then, for each page and each part, it runs ``--rounds`` rounds of ``--requests`` requests with
the part left out and as many with it kept, alternating which goes first, and prints the CPU time a
request each way (the medians of the rounds) and the share saved. The parts:

- ``Casework's hooks``: the application's own ``before_request`` and ``after_request`` functions
  (security headers, idle timeout, query string check, relative redirects, submission keys, session
  writes), all but the API's sign-in check, the transaction mode and the view entries, which the pages
  cannot do without;
- ``security headers``, ``submission keys``: those hooks alone;
- ``Flask-Limiter``: its check before the request, its headers after it and its teardown;
- ``PRAGMA query_only read``: SQLite's read-only guard read at each BEGIN, not read at all.

Last it times the token's user alone (``user_for_token``, then the session's close) with the user's
agency and roles joined as they are, without the agency, and without both.

Leaving a part out is wrong (a header missing, a check not made): these figures are sizes, never a
configuration. Measured here, never in the test suite.
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

#: Hooks of the application's own that every page needs to answer as it does at all.
NEEDED_HOOKS = {"authenticate", "choose_transaction_mode", "record_views"}


def _name(hook: Callable) -> str:
    return getattr(hook, "__qualname__", "").rsplit(".", 1)[-1]


def _module(hook: Callable) -> str:
    return getattr(hook, "__module__", None) or getattr(getattr(hook, "func", None), "__module__", "") or ""


def hooks_left_out(app, leave_out: Callable[[Callable], bool]) -> Callable[[bool], None]:
    kept = {
        name: {blueprint: list(hooks) for blueprint, hooks in getattr(app, name).items()}
        for name in ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")
    }

    def use(out: bool) -> None:
        for name, by_blueprint in kept.items():
            for blueprint, hooks in by_blueprint.items():
                getattr(app, name)[blueprint] = [hook for hook in hooks if not (out and leave_out(hook))]

    return use


def query_only_not_read(app) -> Callable[[bool], None]:
    import casework.core.db

    kept = casework.core.db._set_query_only

    def use(out: bool) -> None:
        casework.core.db._set_query_only = (lambda _connection, _on: None) if out else kept

    return use


def parts(app) -> dict[str, Callable[[bool], None]]:
    def own(hook: Callable) -> bool:
        return _module(hook).startswith("casework") and _name(hook) not in NEEDED_HOOKS

    return {
        "Casework's hooks": hooks_left_out(app, own),
        "security headers": hooks_left_out(app, lambda hook: _name(hook) == "security_headers"),
        "submission keys": hooks_left_out(app, lambda hook: _name(hook) in ("check_submission", "remember_answer")),
        "Flask-Limiter": hooks_left_out(app, lambda hook: _module(hook).startswith("flask_limiter")),
        "PRAGMA query_only read": query_only_not_read(app),
    }


def interleaved(
    page_client, path: str, headers: dict[str, str], use, rounds: int, requests: int
) -> tuple[float, float]:
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for round_number in range(rounds):
        for out in (True, False) if round_number % 2 else (False, True):
            use(out)
            started = time.process_time()
            for _ in range(requests):
                response = page_client.get(path, headers=headers)
            cpu[out].append((time.process_time() - started) * 1000 / requests)
            assert response.status_code == 200, (path, response.status_code)
    use(False)
    return statistics.median(cpu[False]), statistics.median(cpu[True])


def user_load(app, headers: dict[str, str], rounds: int) -> None:
    import sqlalchemy as sa

    import casework.accounts.services as accounts
    from casework.accounts.models import ApiToken, User
    from casework.core.db import choose_transaction_mode
    from casework.extensions import db

    token = headers["Authorization"].split(" ", 1)[1]
    as_it_is = accounts._TOKEN
    plain = (
        sa.select(User, ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == sa.bindparam("token_hash"))
    )
    statements = {
        "agency and roles joined (as it is)": as_it_is,
        "roles joined, not the agency": plain.options(sa.orm.joinedload(User.role_rows), sa.orm.lazyload(User.agency)),
        "neither": plain.options(sa.orm.lazyload(User.agency)),
    }
    spent: dict[str, list[float]] = {name: [] for name in statements}
    with app.test_request_context("/api/v1/me", headers=headers):
        choose_transaction_mode()
        for round_number in range(rounds):
            names = list(statements) if round_number % 2 else list(reversed(statements))
            for name in names:
                accounts._TOKEN = statements[name]
                for _ in range(3):
                    accounts.user_for_token(token)
                    db.session.remove()
                started = time.thread_time()
                for _ in range(20):
                    accounts.user_for_token(token)
                    db.session.remove()
                spent[name].append((time.thread_time() - started) * 1e6 / 20)
        accounts._TOKEN = as_it_is
    print("\n| the token's user, loaded and the session closed | CPU µs (median) |\n|---|---:|")
    for name, times in spent.items():
        print(f"| {name} | {statistics.median(times):.0f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=10, help="requests a round")
    parser.add_argument("--pages", default="API signed-in floor,API case list")
    args = parser.parse_args()
    os.environ.setdefault("CASEWORK_ENV", "production")
    with tempfile.TemporaryDirectory(prefix="casework-floor-parts-") as instance:
        app = profile_pages.build_app(None, instance)
        gc.freeze()
        client, headers = profile_pages.sign_in(app)
        pages = profile_pages.pages(app, client, headers)
        print(f"load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds of {args.requests} requests each way")
        print("| page | left out | CPU ms a request, kept | left out | saved |")
        print("|---|---|---:|---:|---:|")
        for name in args.pages.split(","):
            page_client, path, page_headers = pages[name]
            for part, use in parts(app).items():
                kept, out = interleaved(page_client, path, page_headers, use, args.rounds, args.requests)
                print(f"| {name} | {part} | {kept:.2f} | {out:.2f} | {(kept - out) / kept:.1%} |", flush=True)
        user_load(app, headers, args.rounds * 2)
        print(f"\nload average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
