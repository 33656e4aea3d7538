"""Security headers and the idle timeout, applied to every response and request."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

F = TypeVar("F", bound=Callable[..., Any])
_KEEPS_IDLE_TIME = "_casework_keeps_idle_time"

#: Staff are warned this long before the idle timeout signs them out (GOV.UK timeout warning pattern),
#: or after half the idle time when that is shorter.
WARNING_SECONDS = 120


def idle_seconds() -> int:
    return int(current_app.config["CASEWORK"]["SESSION_IDLE_MINUTES"]) * 60


def lifetime_seconds() -> int:
    """How long a page session lasts after signing in, however busy (``CASEWORK_SESSION_MAX_HOURS``)."""
    return int(current_app.config["CASEWORK"]["SESSION_MAX_HOURS"]) * 3600


def warning_seconds() -> int:
    """How long before the idle timeout the page warns (templates/layouts/_timeout_warning.html)."""
    return min(WARNING_SECONDS, idle_seconds() // 2)


def remaining_idle_seconds() -> int:
    """Seconds left before this session is signed out for inactivity (0 when it is over)."""
    last_seen = int(session.get("last_seen", time.time()))
    return max(0, idle_seconds() - (int(time.time()) - last_seen))


def keeps_idle_time(view: F) -> F:
    """A request to this view is not activity: it leaves the idle clock running (the timeout
    warning asks how long is left without extending it)."""
    setattr(view, _KEEPS_IDLE_TIME, True)
    return view


def content_security_policy() -> str:
    """No inline script or style: the layouts load everything from /static and /assets. The one
    exception is the fixed inline script of the GOV.UK page template, allowed by its hash."""
    from casework.core.templating import govuk_template_script_hashes

    return "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src 'self'", *govuk_template_script_hashes()]),
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def init_security(app: Flask) -> None:
    policy = content_security_policy()
    # Every response's headers, each added unless the view set its own (worked out once, not per
    # response: a lookup of a missing header raises and catches an exception inside werkzeug).
    always = [
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if app.config["CASEWORK"]["ENV"] == "production":
        always.append(("Strict-Transport-Security", "max-age=63072000; includeSubDomains"))

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        present = {key.lower(): value for key, value in reversed(list(headers.items()))}
        own_policy = present.get("content-security-policy")
        if own_policy is None:
            headers.add("Content-Security-Policy", policy)
        elif "frame-ancestors" not in own_policy:
            # A view's own policy that says nothing about framing (an uploaded file's sandbox) is not
            # framed either: only a policy that names who may frame it opens it to framing.
            headers["Content-Security-Policy"] = f"{own_policy}; frame-ancestors 'none'"
            own_policy = headers["Content-Security-Policy"]
        if "x-content-type-options" not in present:
            headers.add("X-Content-Type-Options", "nosniff")
        # The old header for the browsers that ignore frame-ancestors, unless the view's own policy
        # lets other sites frame it (the embeddable published figures).
        if "x-frame-options" not in present and "frame-ancestors 'none'" in (own_policy or policy):
            headers.add("X-Frame-Options", "DENY")
        for name, value in always:
            if name.lower() not in present:
                headers.add(name, value)
        endpoint = request.endpoint or ""
        static_file = (endpoint.endswith("static") or "govuk_assets" in endpoint) and response.status_code < 400
        if not static_file and "no-store" not in present.get("cache-control", "").lower():
            # Pages and files carry personal data: never keep them in shared or browser caches. Error
            # pages too, those of a URL that matched no endpoint (404, 405) included: they show the
            # signed-in user's name and menu, and a browser's back button must not bring them back. A header
            # the view left without "no-store" is replaced, not kept: Flask's send_file writes
            # "no-cache" (stored, only checked again before reuse) on every download (an export of the
            # case list, a report, a letter), so only a view's own "no-store" (with "private") stays.
            headers["Cache-Control"] = "no-store"
        return response

    @app.before_request
    def idle_timeout():  # type: ignore[no-untyped-def]
        if request.blueprint and request.blueprint.startswith("api"):
            return None  # the API uses expiring bearer tokens, not sessions
        if not current_user.is_authenticated:
            return None
        limit = idle_seconds()
        now = int(time.time())
        last_seen = session.get("last_seen", now)
        # A session kept busy still ends: a shared computer left signed in all day is not left open for
        # ever (a session from before this rule starts counting now).
        signed_in_at = session.setdefault("signed_in_at", now)
        if now - last_seen > limit or now - signed_in_at > lifetime_seconds():
            from casework.accounts import sessions
            from casework.core.db import commit

            inactive = now - last_seen > limit
            sessions.end_current()  # on the server too: the cookie opens nothing from now on
            # Signed out before the commit: a form this request carried saved nothing, and its submission
            # key (casework.core.submissions) is no longer the sender's, so the commit does not record it.
            logout_user()
            commit()
            session.clear()
            hours = lifetime_seconds() // 3600
            flash(
                "You were signed out because you were inactive. Sign in again to continue."
                if inactive
                else f"You were signed out because you signed in more than {hours} hour{'s' if hours != 1 else ''} "
                "ago. Sign in again to continue.",
                "important",
            )
            return redirect(url_for("staff.accounts.sign_in", next=request.full_path.rstrip("?")))
        if getattr(current_app.view_functions.get(request.endpoint or ""), _KEEPS_IDLE_TIME, False):
            return None
        session["last_seen"] = now
        return None
