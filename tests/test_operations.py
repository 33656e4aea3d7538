"""docker-compose.yml and the Dockerfile, checked without a container engine: their shape, and the very
commands and health checks they run, run here against PostgreSQL, Redis and an SMTP server."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from casework.app import PROJECT_ROOT
from tests.support.databases import scratch_database_with_roles
from tests.support.environment import environment_without_casework
from tests.support.services import free_port
from tests.support.smtp import SmtpServer

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
APP_SERVICES = ("migrate", "check-data-keys", "create-bucket", "web", "worker", "beat")
LONG_RUNNING = ("web", "worker", "beat", "postgres", "redis", "mailpit", "minio")
START_TIMEOUT = 90.0


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def substitute(value: str, env: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?message}``, as ``docker compose`` reads them."""

    def replace(match: re.Match[str]) -> str:
        name, operator, rest = match.group(1), match.group(2), match.group(3) or ""
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise AssertionError(f"{name} is required: {rest}")
        return rest if operator == ":-" else ""

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", replace, value)


# --- shape ----------------------------------------------------------------------------------------------


def test_only_the_web_port_is_published_beyond_this_machine() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for port in service.get("ports", []):
            if name == "web":
                continue
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
    assert services["web"]["ports"] == ["8000:8000"]


def test_web_worker_and_beat_wait_for_the_one_shot_migration() -> None:
    services = compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["flask", "--app", "casework", "db", "upgrade"]
    assert migrate["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}, name
        assert "db upgrade" not in " ".join(services[name]["command"]), f"{name} must not migrate by itself"


def test_web_worker_and_beat_wait_for_the_data_key_check_after_the_migration() -> None:
    """A data key that does not open the stored secrets stops the start before anything serves
    (tests/accounts/test_check_data_keys.py), as systemd's units do below."""
    services = compose()["services"]
    check = services["check-data-keys"]
    assert check["command"] == ["flask", "--app", "casework", "check-data-keys"]
    assert check["restart"] == "no"
    assert check["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert "CASEWORK_MIGRATION_DATABASE_URL" not in str(check)
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["check-data-keys"] == {"condition": "service_completed_successfully"}


def test_every_long_running_service_has_a_health_check() -> None:
    services = compose()["services"]
    for name in LONG_RUNNING:
        assert services[name].get("healthcheck", {}).get("test"), name


def test_server_versions_are_pinned() -> None:
    for name, service in compose()["services"].items():
        image = service.get("image", "")
        if name in APP_SERVICES:
            continue  # the image built from this repository
        tag = image.rpartition(":")[2]
        assert ":" in image, f"{name}: pin a version, not {image!r}"
        # A version number, or a dated release (MinIO names its releases RELEASE.2024-11-07T00-52-20Z).
        assert re.search(r"\d+\.\d+|^RELEASE\.\d{4}-\d\d-\d\dT", tag), f"{name}: pin a version, not {image!r}"
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("FROM "):
            assert re.search(r":\d+\.\d+\.\d+", line), f"pin the base image's full version: {line}"


def test_smtp_comes_from_the_environment_file() -> None:
    environment = compose()["x-casework-environment"]
    for key in ("HOST", "PORT", "USERNAME", "PASSWORD", "USE_TLS"):
        assert environment[f"CASEWORK_SMTP_{key}"].startswith(f"${{CASEWORK_SMTP_{key}"), key
    relay = {"CASEWORK_SMTP_HOST": "smtp.council.example", "CASEWORK_SMTP_PORT": "587"}
    assert substitute(environment["CASEWORK_SMTP_HOST"], relay) == "smtp.council.example"
    assert substitute(environment["CASEWORK_SMTP_HOST"], {}) == "mailpit"
    for key in ("CASEWORK_BASE_URL", "CASEWORK_TRUSTED_PROXIES"):
        assert environment[key].startswith(f"${{{key}"), key


def test_the_image_installs_what_weasyprint_needs_and_proves_it() -> None:
    text = DOCKERFILE.read_text()
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        assert package in text
    assert pdf_check_command() is not None


def pdf_check_command() -> str | None:
    match = re.search(r'^RUN python -c "(.*to_pdf.*)"$', DOCKERFILE.read_text(), flags=re.MULTILINE)
    return match.group(1) if match else None


def test_the_image_build_renders_a_pdf_here() -> None:
    """The Dockerfile's own check, run here (Pango is installed on this machine and in CI)."""
    from casework.documents.layout import pdf_available

    if not pdf_available():
        pytest.skip("WeasyPrint cannot load Pango on this machine")
    result = subprocess.run(
        [sys.executable, "-c", pdf_check_command()], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "WeasyPrint rendered a PDF" in result.stdout


# --- the services' commands, run here -------------------------------------------------------------------


class Service:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            argv, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_for(self, ready: Any) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.log()}")
            if ready():
                return
            time.sleep(0.5)
        raise AssertionError(f"{self.name} was not ready within {START_TIMEOUT:.0f}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self._log.close()


@pytest.fixture
def services_started() -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for service in reversed(started):
        service.stop()


def health(test: list[str], env: dict[str, str], replacements: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a compose health check's ``test`` here, as the container would."""

    def here(text: str) -> str:
        for old, new in replacements.items():
            text = text.replace(old, new)
        return text

    kind, *args = test
    argv = ["sh", "-c", here(args[0].replace("$$", "$"))] if kind == "CMD-SHELL" else [here(arg) for arg in args]
    return subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)


def gunicorn_args() -> str:
    match = re.search(r'GUNICORN_CMD_ARGS="([^"]+)"', DOCKERFILE.read_text())
    assert match, "the Dockerfile sets GUNICORN_CMD_ARGS"
    return match.group(1)


@pytest.mark.celery_worker
def test_the_compose_commands_and_health_checks_work_here(
    tmp_path: Path,
    postgresql_database: Any,
    redis_url: str,
    smtp_server: SmtpServer,
    services_started: list[Service],
) -> None:
    file = compose()
    services = file["services"]
    dot_env = {
        "CASEWORK_SECRET_KEY": "a-secret-key-for-this-test-that-is-long-enough",
        "CASEWORK_DATA_KEY": "CNstUaFPxlCp_TOqDQSaHfgxywyq7fpIyXcUB6__MbU=",
        "CASEWORK_DB_OWNER_PASSWORD": "owner",
        "CASEWORK_DB_SERVICE_PASSWORD": "service",
        "MINIO_ROOT_PASSWORD": "a-minio-password",
    }
    env = environment_without_casework()
    env.update({key: substitute(str(value), dot_env) for key, value in file["x-casework-environment"].items()})
    bin_dir = str(Path(sys.executable).parent)
    redis_base = redis_url.rsplit("/", 1)[0]
    # Only the one-shot migration is given the owner's URL; the others connect as the service role.
    assert "CASEWORK_MIGRATION_DATABASE_URL" in services["migrate"]["environment"]
    assert all("CASEWORK_MIGRATION_DATABASE_URL" not in str(services[name]) for name in ("web", "worker", "beat"))
    with scratch_database_with_roles(postgresql_database, "casework_compose") as database:
        # The container names (postgres, redis, mailpit) are this machine's servers here.
        env.update(
            {
                "CASEWORK_DATABASE_URL": database.service_url,
                "CASEWORK_BROKER_URL": f"{redis_base}/5",
                "CASEWORK_RATELIMIT_STORAGE_URI": f"{redis_base}/6",
                # No MinIO here: files stay in the database (the S3 store has its own tests, against
                # an S3-compatible server the suite starts: tests/core/test_storage.py).
                "CASEWORK_STORAGE_BACKEND": "database",
                "CASEWORK_SMTP_HOST": smtp_server.host,
                "CASEWORK_SMTP_PORT": str(smtp_server.port),
                "CASEWORK_INSTANCE_PATH": str(tmp_path / "instance"),
                "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
                "PYTHONPATH": str(PROJECT_ROOT),
                "HOSTNAME": socket.gethostname(),  # set by the container engine in a container
            }
        )
        try:
            # migrate: one shot, exits 0.
            migrate_env = {**env, "CASEWORK_MIGRATION_DATABASE_URL": database.owner_url}
            migrate = subprocess.run(
                services["migrate"]["command"],
                cwd=PROJECT_ROOT,
                env=migrate_env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert migrate.returncode == 0, migrate.stderr
            # check-data-keys: one shot, as the service role; nothing sealed yet, so it passes.
            check_keys = subprocess.run(
                services["check-data-keys"]["command"],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert check_keys.returncode == 0, check_keys.stderr

            # web: gunicorn with the image's arguments, on a free port here.
            port = free_port()
            web_env = {**env, "GUNICORN_CMD_ARGS": gunicorn_args().replace("0.0.0.0:8000", f"127.0.0.1:{port}")}
            web = Service("web", services["web"]["command"], web_env, tmp_path / "web.log")
            services_started.append(web)
            web.wait_for(lambda: "Booting worker" in web.log())
            deadline = time.monotonic() + START_TIMEOUT
            check = health(services["web"]["healthcheck"]["test"], env, {"8000": str(port)})
            while check.returncode != 0 and time.monotonic() < deadline:
                time.sleep(1)
                check = health(services["web"]["healthcheck"]["test"], env, {"8000": str(port)})
            assert check.returncode == 0, f"{check.stderr}\n{web.log()}"

            # worker: answers the health check's ping.
            worker = Service("worker", services["worker"]["command"], env, tmp_path / "worker.log")
            services_started.append(worker)
            worker.wait_for(lambda: " ready." in worker.log())
            check = health(services["worker"]["healthcheck"]["test"], env, {})
            assert check.returncode == 0, f"{check.stdout}\n{check.stderr}\n{worker.log()}"

            # beat: writes its schedule where the health check looks.
            schedule = tmp_path / "instance" / "celerybeat-schedule"
            argv = [
                arg.replace("/app/instance/celerybeat-schedule", str(schedule)) for arg in services["beat"]["command"]
            ]
            beat = Service("beat", argv, env, tmp_path / "beat.log")
            services_started.append(beat)
            beat.wait_for(lambda: list(schedule.parent.glob("celerybeat-schedule*")))
            check = health(services["beat"]["healthcheck"]["test"], env, {"/app/instance": str(tmp_path / "instance")})
            assert check.returncode == 0, f"{check.stderr}\n{beat.log()}"
        finally:
            for service in reversed(services_started):
                service.stop()  # before the database is dropped


def test_the_health_check_commands_fail_when_nothing_answers(tmp_path: Path) -> None:
    """A health check that always passed would prove nothing."""
    services = compose()["services"]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    closed = str(free_port())
    assert health(services["web"]["healthcheck"]["test"], env, {"8000": closed}).returncode != 0
    missing = {"/app/instance": str(tmp_path / "nothing-here")}
    assert health(services["beat"]["healthcheck"]["test"], env, missing).returncode != 0


def test_scripts_start_refuses_a_port_in_use() -> None:
    """``scripts/start`` says the port is taken instead of mistaking another server for itself."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = environment_without_casework()
        result = subprocess.run(
            ["bash", str(PROJECT_ROOT / "scripts" / "start")],
            env={**env, "PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Casework is running" not in result.stdout


# --- systemd units (docs/operations.md, "Running without Docker") ---------------------------------------

UNITS = PROJECT_ROOT / "deploy" / "systemd"


def unit(name: str) -> dict[str, dict[str, str]]:
    import configparser

    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / f"casework-{name}.service")
    return {section: dict(parser[section]) for section in parser.sections()}


#: Compose's one-shot create-bucket has no unit: without Docker, the bucket is made once by hand
#: (``flask --app casework create-storage-bucket``, docs/operations.md) or files stay in the database.
SYSTEMD_SERVICES = ("migrate", "check-data-keys", "web", "worker", "beat")


@pytest.mark.parametrize("name", SYSTEMD_SERVICES)
def test_the_systemd_units_run_what_compose_runs(name: str) -> None:
    service = unit(name)["Service"]
    assert service["User"] == "casework"
    assert service["EnvironmentFile"] == "/etc/casework/casework.env"
    # Only the migration gets the owner role's URL, from a file of its own.
    unit_text = (UNITS / f"casework-{name}.service").read_text()
    assert ("EnvironmentFile=/etc/casework/migrate.env" in unit_text) == (name == "migrate"), name
    program, *args = service["ExecStart"].split()
    assert program.startswith("/opt/casework/.venv/bin/")
    command = [Path(program).name, *args]
    composed = compose()["services"][name]["command"]
    assert command[0] == composed[0]
    # The same entry point and subcommand; flags may differ (the bind address, the schedule path).
    essentials = [arg for arg in composed if not arg.startswith("--")]
    assert [
        arg for arg in command if not arg.startswith("--") and arg not in {"127.0.0.1:8000", "3", "-"}
    ] == essentials
    if name == "check-data-keys":
        assert unit(name)["Unit"]["Requires"] == "casework-migrate.service"
        assert "casework-migrate.service" in unit(name)["Unit"]["After"].split()
    elif name != "migrate":
        # Started once the schema is migrated and the data key opens what is stored.
        required = {"casework-migrate.service", "casework-check-data-keys.service"}
        assert set(unit(name)["Unit"]["Requires"].split()) == required, name
        assert required <= set(unit(name)["Unit"]["After"].split()), name


def test_the_environment_file_example_names_the_settings_compose_sets() -> None:
    example = (UNITS / "casework.env.example").read_text()
    names = set(re.findall(r"^(CASEWORK_[A-Z0-9_]+)=", example, flags=re.MULTILINE))
    # CASEWORK_START_STEPS is read by the image's entrypoint only: systemd runs the steps as units.
    compose_names = set(compose()["x-casework-environment"]) - {
        "CASEWORK_RATELIMIT_STORAGE_URI",
        "CASEWORK_START_STEPS",
    }
    assert compose_names <= names, compose_names - names


# --- the image's entrypoint (docker/entrypoint.sh), run here --------------------------------------------

ENTRYPOINT = PROJECT_ROOT / "docker" / "entrypoint.sh"


def entrypoint(command: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run the image's entrypoint with ``command``, as ``docker run casework <command>`` would."""
    return subprocess.run(
        [str(ENTRYPOINT), *command], cwd=PROJECT_ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


def image_environment(tmp_path: Path, data_key: str) -> dict[str, str]:
    """A throwaway SQLite database and the settings a ``docker run --env-file`` would give."""
    env = environment_without_casework()
    env.update(
        {
            "CASEWORK_ENV": "production",
            "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'casework.db'}",
            "CASEWORK_SECRET_KEY": "a-secret-key-for-this-test-that-is-long-enough",
            "CASEWORK_DATA_KEY": data_key,
            "CASEWORK_BASE_URL": "https://casework.example.org",
            "CASEWORK_INSTANCE_PATH": str(tmp_path / "instance"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
    )
    return env


def test_the_image_starts_through_its_entrypoint() -> None:
    text = DOCKERFILE.read_text()
    assert "COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/casework-entrypoint" in text
    assert 'ENTRYPOINT ["casework-entrypoint"]' in text
    assert 'CMD ["gunicorn", "casework.wsgi:app"]' in text
    assert os.access(ENTRYPOINT, os.X_OK)
    assert "docker/" not in (PROJECT_ROOT / ".dockerignore").read_text()
    # Compose runs the two steps as its one-shot services (the migration as the owner role), so its
    # containers skip them.
    assert compose()["x-casework-environment"]["CASEWORK_START_STEPS"] == "skip"


def test_the_entrypoint_migrates_checks_the_data_key_and_execs_the_command(tmp_path: Path) -> None:
    import sqlite3

    from alembic.script import ScriptDirectory

    from casework.core import data_keys
    from tests.support.data_keys import NEW_KEY, OLD_KEY, SECRET

    database = tmp_path / "casework.db"
    env = image_environment(tmp_path, OLD_KEY)
    # The command is run in the entrypoint's place (exec): it has the entrypoint's process id; and it
    # finds the schema at the code's version.
    read_version = (
        "import sqlite3, sys; "
        "print(sqlite3.connect(sys.argv[1]).execute('SELECT version_num FROM alembic_version').fetchone()[0])"
    )
    started = subprocess.Popen(
        [str(ENTRYPOINT), "sh", "-c", 'echo "pid $$"; python -c "$0" "$1"', read_version, str(database)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = started.communicate(timeout=300)
    assert started.returncode == 0, err
    head = ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_current_head()
    assert out.splitlines()[-2:] == [f"pid {started.pid}", head], (out, err)
    assert "no authenticator secrets are stored yet" in out  # the data key check ran first

    # An administrator with an authenticator secret sealed with the key in use, made through the
    # entrypoint (the command is given its arguments and standard input).
    made = entrypoint(
        ["flask", "--app", "casework", "create-admin", "admin@example.org", "--password-stdin"],
        env,
        stdin="a long passphrase for the admin\n",
    )
    assert made.returncode == 0, made.stderr
    sealed = data_keys.PREFIX + data_keys._cipher([OLD_KEY]).encrypt(SECRET.encode()).decode()
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE users SET totp_secret = ?", (sealed,))
    # Started with another key, the start stops before the command, naming the setting.
    ran = tmp_path / "ran"
    refused = entrypoint(["sh", "-c", f"touch {ran}"], image_environment(tmp_path, NEW_KEY))
    assert refused.returncode != 0
    assert "CASEWORK_DATA_KEY" in refused.stderr + refused.stdout
    assert not ran.exists()
    # With the right key it starts.
    assert entrypoint(["sh", "-c", f"touch {ran}"], env).returncode == 0
    assert ran.exists()


def test_the_entrypoint_stops_when_the_migration_fails(tmp_path: Path) -> None:
    from tests.support.data_keys import OLD_KEY

    env = image_environment(tmp_path, OLD_KEY)
    env["CASEWORK_DATABASE_URL"] = f"sqlite:///{tmp_path / 'no-such-folder' / 'casework.db'}"
    ran = tmp_path / "ran"
    failed = entrypoint(["sh", "-c", f"touch {ran}"], env)
    assert failed.returncode != 0
    assert "unable to open database file" in failed.stderr
    assert not ran.exists()


def test_the_entrypoint_skips_its_steps_when_told_and_refuses_an_unknown_value(tmp_path: Path) -> None:
    env = {**image_environment(tmp_path, ""), "CASEWORK_START_STEPS": "skip"}
    skipped = entrypoint(["sh", "-c", "echo started"], env)
    assert skipped.returncode == 0, skipped.stderr
    assert skipped.stdout.strip() == "started"
    assert not (tmp_path / "casework.db").exists()  # nothing migrated
    unknown = entrypoint(["sh", "-c", "echo started"], {**env, "CASEWORK_START_STEPS": "later"})
    assert unknown.returncode == 2
    assert "CASEWORK_START_STEPS must be run (the default) or skip" in unknown.stderr
    assert "started" not in unknown.stdout
