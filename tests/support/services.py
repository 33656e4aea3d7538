"""Real services for the test suite: PostgreSQL, Redis, an S3-compatible object store, SMTP and Chromium.

Loaded from tests/conftest.py with ``pytest_plugins = ["tests.support.services"]``. It imports nothing from
the application, so it can be tested on its own (``-p tests.support.services --noconftest``).

Each service is found in this order:

- ``CASEWORK_TEST_POSTGRESQL_URL`` / ``CASEWORK_TEST_REDIS_URL``: use that server (CI starts them). For
  PostgreSQL the URL's role is the owner (it needs CREATEDB): a uniquely named database is created with
  it and dropped at the end; ``CASEWORK_TEST_POSTGRESQL_SERVICE_URL`` names the restricted role the
  service connects as (without it the service runs as the owner, and the role tests cannot run).
- otherwise the binaries on this machine: a throwaway server is started in a temporary directory on a free
  loopback port and removed at the end; the suite creates the owner and service roles on it.
- otherwise the tests that need it are skipped, and the end of the run says so loudly. With
  ``CASEWORK_REQUIRE_SERVICES=1`` (``.ci/run`` sets it) they fail instead.

The object store is moto's S3 server (``moto[server]``, a dev dependency), started as a subprocess on a
free loopback port and spoken to over HTTP by the same boto3 client the service uses in production; or
``CASEWORK_TEST_S3_URL`` (for example a MinIO server: ``http://key:secret@127.0.0.1:9000``).

The rule for mail: no test sends mail unless it starts its own SMTP server (the ``smtp_server`` fixture).
An autouse fixture makes every other ``smtplib`` connection fail the test.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support.databases import drop_database
from tests.support.smtp import SmtpServer, is_smtp_server_port

REQUIRE_ENV = "CASEWORK_REQUIRE_SERVICES"
POSTGRESQL_URL_ENV = "CASEWORK_TEST_POSTGRESQL_URL"
POSTGRESQL_SERVICE_URL_ENV = "CASEWORK_TEST_POSTGRESQL_SERVICE_URL"
REDIS_URL_ENV = "CASEWORK_TEST_REDIS_URL"
S3_URL_ENV = "CASEWORK_TEST_S3_URL"
CHROMIUM_PATH = "/usr/bin/chromium"

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 60.0


def services_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0", "false", "no")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def hide_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


# ---------------------------------------------------------------------------------------------------------
# Bookkeeping for the summary at the end of the run
# ---------------------------------------------------------------------------------------------------------


@dataclass
class ServiceStatus:
    name: str
    used: str | None = None  # how it was provided, when a test used it
    missing: str | None = None  # the skip/fail message, when it was not available
    failed: bool = False  # True when its absence failed tests rather than skipping them
    affected: list[str] = field(default_factory=list)  # node ids skipped or failed because of it


SERVICES: dict[str, ServiceStatus] = {
    key: ServiceStatus(name)
    for key, name in (
        ("postgresql", "PostgreSQL"),
        ("redis", "Redis"),
        ("s3", "S3-compatible store"),
        ("chromium", "Chromium"),
    )
}

# What each missing service means for the rest of the suite, for the summary.
CONSEQUENCE = {
    "postgresql": "database tests ran on SQLite only",
    "redis": "Redis-backed tests (broker, rate limits) did not run",
    "s3": "files were tested in the database store only",
    "chromium": "browser and accessibility tests did not run",
}


def unavailable(key: str, reason: str) -> None:
    """Skip (or, with CASEWORK_REQUIRE_SERVICES=1, fail) the current test because a service is missing."""
    status = SERVICES[key]
    message = f"{status.name} not available: {reason}"
    status.missing = message
    if services_required():
        status.failed = True
        pytest.fail(f"{message} ({REQUIRE_ENV}=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


def _broken(key: str, reason: str) -> None:
    """A server was configured explicitly but does not work: always a failure."""
    status = SERVICES[key]
    status.missing = f"{status.name} configured but not working: {reason}"
    status.failed = True
    pytest.fail(status.missing, pytrace=False)


def _cleanup_later(fn, *args) -> None:
    """Run fn at interpreter exit too, in case pytest is killed before the fixture finalises."""
    atexit.register(_quietly, fn, *args)


def _quietly(fn, *args) -> None:
    with contextlib.suppress(Exception):
        fn(*args)


# ---------------------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------------------


def find_postgresql_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: ``pg_config --bindir``, else the newest Debian install."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in re.split(r"[./]", p)],
        reverse=True,
    )
    candidates.extend(Path(p) for p in debian)
    for on_path in (shutil.which("initdb"),):
        if on_path:
            candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def _sqlalchemy_url(conninfo_url: str, dbname: str) -> str:
    parts = urlsplit(conninfo_url)
    return urlunsplit(("postgresql+psycopg", parts.netloc, "/" + dbname, parts.query, ""))


def _libpq_url(url: str) -> str:
    """A SQLAlchemy or libpq URL as a URL that psycopg accepts."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def _with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def _create_database(psycopg, admin_url: str, dbname: str) -> None:
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(dbname)))


class ThrowawayPostgres:
    """initdb + pg_ctl in a temporary directory, run as the ``postgres`` user when we are root."""

    superuser = "postgres"

    def __init__(self, bindir: Path, port: int = 0):
        self.bindir = bindir
        #: 0: a free port, chosen when the server starts.
        self.requested_port = port
        self.port = port
        self.tmpdir: Path | None = None
        self.run_as: pwd.struct_passwd | None = None

    @property
    def datadir(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "data"

    @property
    def url(self) -> str:
        return f"postgresql://{self.superuser}@{LOOPBACK}:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = START_TIMEOUT) -> subprocess.CompletedProcess:
        kwargs: dict = {}
        if self.run_as is not None:
            kwargs = {"user": self.run_as.pw_uid, "group": self.run_as.pw_gid, "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        if self.run_as is not None:
            env["HOME"] = str(self.tmpdir)
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            cwd=self.tmpdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,
        )

    def start(self) -> None:
        if os.geteuid() == 0:
            try:
                self.run_as = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    "running as root, initdb refuses root, and there is no 'postgres' system user to run it as"
                ) from None
        self.tmpdir = Path(tempfile.mkdtemp(prefix="casework-pg-", dir=self._reachable_tmp()))
        _cleanup_later(self.stop)
        if self.run_as is not None:
            os.chown(self.tmpdir, self.run_as.pw_uid, self.run_as.pw_gid)
        result = self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            self.superuser,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stdout}{result.stderr}")
        last_error = ""
        for _attempt in range(1 if self.requested_port else 3):  # a free port may be taken before it is bound
            self.port = self.requested_port or free_port()
            options = (
                f"-p {self.port} -h {LOOPBACK} -k {self.tmpdir} -F "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            result = self._run(
                "pg_ctl",
                "start",
                "-D",
                str(self.datadir),
                "-l",
                str(self.tmpdir / "postgresql.log"),
                "-w",
                "-t",
                str(int(START_TIMEOUT)),
                "-o",
                options,
                timeout=START_TIMEOUT + 10,
            )
            if result.returncode == 0:
                return
            log = self.tmpdir / "postgresql.log"
            last_error = result.stdout + result.stderr + (log.read_text(errors="replace") if log.exists() else "")
        raise RuntimeError(f"pg_ctl start failed: {last_error[-2000:]}")

    def stop(self) -> None:
        if self.tmpdir is None:
            return
        if (self.datadir / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "immediate", "-w", timeout=30)
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.tmpdir = None

    def _reachable_tmp(self) -> str | None:
        """A parent for the temporary directory that the postgres user can traverse."""
        base = tempfile.gettempdir()
        if self.run_as is None or _traversable_by(Path(base), self.run_as):
            return base
        return "/tmp"  # noqa: S108 - world-traversable; the directory itself is created private


def _traversable_by(path: Path, user: pwd.struct_passwd) -> bool:
    for directory in [path, *path.parents]:
        st = directory.stat()
        if st.st_uid == user.pw_uid:
            ok = st.st_mode & 0o100
        elif st.st_gid == user.pw_gid:
            ok = st.st_mode & 0o010
        else:
            ok = st.st_mode & 0o001
        if not ok:
            return False
    return True


@dataclass(frozen=True)
class PostgresqlDatabase:
    """The suite's PostgreSQL database and the two roles on it, as in production (README, "Database
    roles"): ``owner_url`` owns the schema and runs the migrations (``CASEWORK_MIGRATION_DATABASE_URL``);
    ``service_url`` is the restricted role the service connects as (``CASEWORK_DATABASE_URL``). Both are
    SQLAlchemy URLs. ``service_url`` is None when only one role was given (an external server without
    ``CASEWORK_TEST_POSTGRESQL_SERVICE_URL``): the service then runs as the owner."""

    owner_url: str
    service_url: str | None

    def on(self, dbname: str) -> PostgresqlDatabase:
        """The same two roles on another database of the same server."""
        return PostgresqlDatabase(
            _with_database(self.owner_url, dbname),
            _with_database(self.service_url, dbname) if self.service_url else None,
        )


#: The roles the suite creates on its throwaway server (trust authentication: the passwords are only
#: there so the URLs look like production's).
THROWAWAY_OWNER, THROWAWAY_SERVICE = "casework_owner", "casework_service"


def _create_roles(psycopg, admin_url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f"CREATE ROLE {THROWAWAY_OWNER} LOGIN CREATEDB PASSWORD 'owner'")
        conn.execute(f"CREATE ROLE {THROWAWAY_SERVICE} LOGIN PASSWORD 'service'")


def _as_role(url: str, role: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{role}:{password}@{host}", parts.path, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[PostgresqlDatabase]:
    """A new, empty database owned by the owner role, dropped at the end, and the service role's URL."""
    status = SERVICES["postgresql"]
    try:
        import psycopg
    except ImportError:
        unavailable("postgresql", "the psycopg package is not installed (pip install -e '.[dev]')")

    dbname = f"casework_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    external = os.environ.get(POSTGRESQL_URL_ENV, "").strip()
    server: ThrowawayPostgres | None = None
    if external:
        # CI (.ci/run) gives the owner role (it may create databases) and the service role.
        owner_url = _libpq_url(external)
        service = os.environ.get(POSTGRESQL_SERVICE_URL_ENV, "").strip()
        service_url = _libpq_url(service) if service else None
        try:
            _create_database(psycopg, owner_url, dbname)
        except psycopg.Error as error:
            _broken("postgresql", f"{POSTGRESQL_URL_ENV}={hide_password(external)}: {error}")
        status.used = f"{POSTGRESQL_URL_ENV} ({hide_password(external)})"
        admin_url = owner_url
    else:
        bindir = find_postgresql_bindir()
        if bindir is None:
            unavailable("postgresql", f"PostgreSQL not installed (no initdb found) and {POSTGRESQL_URL_ENV} not set")
        server = ThrowawayPostgres(bindir)
        try:
            server.start()
            admin_url = server.url
            _create_roles(psycopg, admin_url)
            owner_url = _as_role(admin_url, THROWAWAY_OWNER, "owner")
            service_url = _as_role(admin_url, THROWAWAY_SERVICE, "service")
            _create_database(psycopg, owner_url, dbname)
        except (RuntimeError, OSError, subprocess.SubprocessError, psycopg.Error) as error:
            server.stop()
            unavailable("postgresql", f"could not start a throwaway server from {bindir}: {error}")
        status.used = f"throwaway server from {bindir} on {LOOPBACK}:{server.port}"
    try:
        yield PostgresqlDatabase(
            _sqlalchemy_url(_with_database(owner_url, dbname), dbname),
            _sqlalchemy_url(_with_database(service_url, dbname), dbname) if service_url else None,
        )
    finally:
        if server is not None:
            server.stop()  # the database goes with the server
        else:
            with contextlib.suppress(psycopg.Error):
                drop_database(admin_url, dbname)


@pytest.fixture(scope="session")
def postgresql_url(postgresql_database: PostgresqlDatabase) -> str:
    """SQLAlchemy URL of the suite's database as its owner, who may also create and drop databases on
    the server (tests that need a database of their own)."""
    return postgresql_database.owner_url


# ---------------------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------------------


def find_redis_server() -> str | None:
    return shutil.which("redis-server") or next(
        (
            p
            for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server")
            if os.access(p, os.X_OK)
        ),
        None,
    )


def _ping(redis_module, url: str) -> bool:
    client = redis_module.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        return bool(client.ping())
    except redis_module.RedisError:
        return False
    finally:
        client.close()


class _ServerProcess:
    """A server the suite runs as a child process, with its log file and a scratch directory."""

    process: subprocess.Popen | None
    tmpdir: Path | None
    _log: Any

    def _terminate(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        self._terminate()
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None


class ThrowawayRedis(_ServerProcess):
    def __init__(self, binary: str):
        self.binary = binary
        self.port = 0
        self.tmpdir: Path | None = None
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self, redis_module, port: int | None = None) -> None:
        """Start the server (on ``port``, to start it again where its clients expect it)."""
        self._redis_module = redis_module
        if self.tmpdir is None:
            self.tmpdir = Path(tempfile.mkdtemp(prefix="casework-redis-"))
            _cleanup_later(self.stop)
        log_path = self.tmpdir / "redis.log"
        for _attempt in range(1 if port else 3):
            self.port = port or free_port()
            self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    LOOPBACK,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.tmpdir),
                    "--daemonize",
                    "no",
                ],
                cwd=self.tmpdir,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.process.poll() is None:
                if _ping(redis_module, self.url):
                    return
                time.sleep(0.05)
            self._terminate()
        log = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"redis-server did not answer PING: {log}")

    def pause(self) -> None:
        """Stop the server process (a broker outage); ``resume()`` brings it back on the same port."""
        self._terminate()

    def resume(self) -> None:
        self.start(self._redis_module, port=self.port)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """``redis://`` URL of a Redis server that answers PING."""
    status = SERVICES["redis"]
    try:
        import redis
    except ImportError:
        unavailable("redis", "the redis package is not installed (pip install -e '.[dev]')")

    external = os.environ.get(REDIS_URL_ENV, "").strip()
    if external:
        if not _ping(redis, external):
            _broken("redis", f"{REDIS_URL_ENV}={hide_password(external)} does not answer PING")
        status.used = f"{REDIS_URL_ENV} ({hide_password(external)})"
        yield external
        return

    binary = find_redis_server()
    if binary is None:
        unavailable("redis", f"Redis not installed (no redis-server found) and {REDIS_URL_ENV} not set")
    server = ThrowawayRedis(binary)
    try:
        server.start(redis)
    except (RuntimeError, OSError) as error:
        server.stop()
        unavailable("redis", f"could not start a throwaway server with {binary}: {error}")
    status.used = f"throwaway server ({binary}) on {LOOPBACK}:{server.port}"
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def restartable_redis() -> Iterator[Any]:
    """A Redis server of this test's own, which the test may stop and start again on the same port
    (``server.pause()``, ``server.resume()``): a broker outage. ``server.url`` is its address."""
    try:
        import redis
    except ImportError:
        unavailable("redis", "the redis package is not installed (pip install -e '.[dev]')")
    binary = find_redis_server()
    if binary is None:
        unavailable("redis", "Redis not installed (no redis-server found): this test needs its own server")
    server = ThrowawayRedis(binary)
    try:
        server.start(redis)
    except (RuntimeError, OSError) as error:
        server.stop()
        unavailable("redis", f"could not start a throwaway server with {binary}: {error}")
    SERVICES["redis"].used = SERVICES["redis"].used or f"throwaway server ({binary})"
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------------------
# S3-compatible object store
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Endpoint:
    """Where the object store answers, and the credentials it takes."""

    url: str
    access_key_id: str
    secret_access_key: str
    region: str = "eu-west-2"


def _s3_answers(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - a loopback URL we built
            return True
    except urllib.error.HTTPError:
        return True  # it answered (403 for an anonymous listing is an answer)
    except OSError:
        return False


class ThrowawayS3(_ServerProcess):
    """moto's S3 server (``moto_server``) on a free loopback port."""

    def __init__(self) -> None:
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.tmpdir: Path | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        import sys

        self.tmpdir = Path(tempfile.mkdtemp(prefix="casework-s3-"))
        _cleanup_later(self.stop)
        log_path = self.tmpdir / "moto.log"
        for _attempt in range(3):
            self.port = free_port()
            self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(self.port)],
                cwd=self.tmpdir,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.process.poll() is None:
                if _s3_answers(self.url):
                    return
                time.sleep(0.1)
            self._terminate()
        raise RuntimeError(f"moto's S3 server did not answer: {log_path.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[S3Endpoint]:
    """An S3-compatible server that answers over HTTP: ``CASEWORK_TEST_S3_URL``, else moto's server."""
    status = SERVICES["s3"]
    external = os.environ.get(S3_URL_ENV, "").strip()
    if external:
        parts = urlsplit(external)
        endpoint = S3Endpoint(
            url=urlunsplit((parts.scheme, f"{parts.hostname}:{parts.port}", "", "", "")),
            access_key_id=parts.username or "",
            secret_access_key=parts.password or "",
        )
        if not _s3_answers(endpoint.url):
            _broken("s3", f"{S3_URL_ENV}={hide_password(external)} does not answer")
        status.used = f"{S3_URL_ENV} ({hide_password(external)})"
        yield endpoint
        return
    try:
        import moto.server  # noqa: F401
    except ImportError:
        unavailable("s3", "moto's server is not installed (pip install -e '.[dev]')")
    server = ThrowawayS3()
    try:
        server.start()
    except (RuntimeError, OSError) as error:
        server.stop()
        unavailable("s3", f"could not start moto's S3 server: {error}")
    status.used = f"moto's S3 server on {LOOPBACK}:{server.port}"
    try:
        yield S3Endpoint(url=server.url, access_key_id="casework-test", secret_access_key="casework-test-secret")
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------------------
# Chromium
# ---------------------------------------------------------------------------------------------------------


def find_chromium() -> str | None:
    if os.access(CHROMIUM_PATH, os.X_OK):
        return CHROMIUM_PATH
    return shutil.which("chromium")


@pytest.fixture
def chromium_executable() -> str:
    """Path of the Chromium binary for Playwright's ``executable_path`` (Debian's package)."""
    path = find_chromium()
    if path is None:
        unavailable("chromium", f"Chromium not installed (no {CHROMIUM_PATH}, no chromium on PATH)")
    SERVICES["chromium"].used = path
    return path


# ---------------------------------------------------------------------------------------------------------
# SMTP
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free loopback port; ``.messages`` holds what it received."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_to_smtp(app: Any, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    """Send this test's email through Flask-Mailman's SMTP backend to the test's own SMTP server."""
    state = app.extensions["mailman"]
    monkeypatch.setattr(state, "backend", "smtp")
    monkeypatch.setattr(state, "server", smtp_server.host)
    monkeypatch.setattr(state, "port", smtp_server.port)
    return smtp_server


class UnexpectedSmtpConnection(pytest.fail.Exception):
    """Raised for an SMTP connection to anything but a test's own SmtpServer.

    A subclass of pytest's failure outcome (a BaseException), so ``except Exception`` in the code under test
    cannot swallow it.
    """


@pytest.fixture(autouse=True)
def forbid_unexpected_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sends mail unless it starts its own SMTP server."""
    original_connect = smtplib.SMTP.connect

    def guarded_connect(self, host="localhost", port=0, source_address=None):
        target_host, target_port = host, port
        if not target_port and target_host.find(":") == target_host.rfind(":") and ":" in target_host:
            target_host, _, port_text = target_host.rpartition(":")
            with contextlib.suppress(ValueError):
                target_port = int(port_text)
        if not target_port:
            target_port = self.default_port
        if is_smtp_server_port(target_host, int(target_port)):
            return original_connect(self, host, port, source_address)
        raise UnexpectedSmtpConnection(
            f"Test tried to connect to SMTP at {target_host}:{target_port}. No test sends mail unless it "
            "starts its own SMTP server: use the smtp_server fixture (tests.support.smtp.SmtpServer) and "
            "point CASEWORK_SMTP_HOST/PORT at it.",
            pytrace=False,
        )

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded_connect)


# ---------------------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------------------


def _describe_source(key: str) -> str:
    if key == "postgresql":
        if os.environ.get(POSTGRESQL_URL_ENV):
            return f"{POSTGRESQL_URL_ENV} ({hide_password(os.environ[POSTGRESQL_URL_ENV])})"
        bindir = find_postgresql_bindir()
        return f"throwaway server from {bindir}" if bindir else "NOT INSTALLED (its tests will be skipped)"
    if key == "s3":
        if os.environ.get(S3_URL_ENV):
            return f"{S3_URL_ENV} ({hide_password(os.environ[S3_URL_ENV])})"
        return "moto's S3 server, started when a test needs it"
    if key == "redis":
        if os.environ.get(REDIS_URL_ENV):
            return f"{REDIS_URL_ENV} ({hide_password(os.environ[REDIS_URL_ENV])})"
        binary = find_redis_server()
        return f"throwaway server ({binary})" if binary else "NOT INSTALLED (its tests will be skipped)"
    path = find_chromium()
    return path or "NOT INSTALLED (its tests will be skipped)"


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"casework services: {SERVICES[key].name}: {_describe_source(key)}" for key in SERVICES]
    if services_required():
        lines.append(f"casework services: {REQUIRE_ENV}=1: a missing service fails the run")
    return lines


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not (report.skipped or report.failed):
        return
    text = _skip_reason(report) if report.skipped else str(report.longrepr or "")
    for status in SERVICES.values():
        if status.missing and status.missing in text and report.nodeid not in status.affected:
            status.affected.append(report.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    missing = [(key, s) for key, s in SERVICES.items() if s.missing]
    used = [s for s in SERVICES.values() if s.used]
    write = terminalreporter.write_line
    if missing:
        terminalreporter.write_sep("!", "SERVICES MISSING: PART OF THE SUITE DID NOT RUN", red=True, bold=True)
        for key, status in missing:
            count = len(status.affected)
            tests = f"{count} test{'s' if count != 1 else ''}"
            if status.failed:
                write(f"FAILED: {status.missing}: {tests} failed", red=True, bold=True)
            else:
                write(f"SKIPPED: {status.missing}: {tests} skipped; {CONSEQUENCE[key]}", red=True, bold=True)
            for nodeid in status.affected[:10]:
                write(f"    {nodeid}")
            if count > 10:
                write(f"    ... and {count - 10} more")
        if not all(status.failed for _key, status in missing):
            write(
                "Install them (apt-get install postgresql redis-server chromium) or set "
                f"{POSTGRESQL_URL_ENV} / {REDIS_URL_ENV}; CI sets {REQUIRE_ENV}=1 and fails instead.",
                yellow=True,
            )
        terminalreporter.write_sep("!", red=True, bold=True)
    if used:
        write("Services used: " + "; ".join(f"{s.name}: {s.used}" for s in used))
    elif not missing:
        write("Services used: none (no selected test needed PostgreSQL, Redis, S3 or Chromium)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole run; each test opens its own context or page and closes it.

    Playwright's sync API runs an event loop for as long as it is open, so a second
    ``sync_playwright()`` while this one lives fails: every browser test uses this fixture.
    """
    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch_chromium

    executable = find_chromium()
    if executable is None:
        unavailable("chromium", f"Chromium not installed (no {CHROMIUM_PATH}, no chromium on PATH)")
    SERVICES["chromium"].used = executable
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright, executable_path=executable)
        try:
            yield chromium
        finally:
            chromium.close()
