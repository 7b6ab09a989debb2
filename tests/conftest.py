"""Shared fixtures: headless Qt, test databases (SQLite and PostgreSQL), services and accounts."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import pg_cluster
import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from clinic_app.app import form_catalog
from clinic_app.domain.account import Principal, Role
from clinic_app.services import accounts as accounts_service
from clinic_app.services.container import Services
from clinic_app.services.ports import Clock
from clinic_app.storage.bootstrap import open_database
from clinic_app.storage.db import sqlite_url

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PG_URL_ENV = "CLINIC_TEST_PG_URL"
PASSWORD = "correct-horse-battery"
# The clock starts on a moment with microseconds, so a round trip that drops them shows.
START = datetime(2025, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a QApplication as `gui`, so `-m "not gui"` runs headless."""
    for item in items:
        if {"qtbot", "qapp"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gui)


class FakeClock:
    """A clock that stands still until a test moves it (timezone-aware UTC)."""

    def __init__(self, start: datetime = START) -> None:
        self.moment = start

    def now(self) -> datetime:
        """The current fake moment."""
        return self.moment

    def today(self) -> date:
        """The date of the current fake moment."""
        return self.moment.date()

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward (keyword arguments as for timedelta)."""
        self.moment += timedelta(**delta)
        return self.moment


@pytest.fixture
def clock() -> FakeClock:
    """A fresh fake clock per test."""
    return FakeClock()


# --------------------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL server for the session: $CLINIC_TEST_PG_URL or a throw-away local cluster."""
    external = os.environ.get(PG_URL_ENV)
    if external:
        try:
            url = pg_cluster.normalise_url(external)
            pg_cluster.check_server(url)
        except pg_cluster.ClusterError as exc:
            pytest.fail(f"{PG_URL_ENV} is set but unusable: {exc}", pytrace=False)
        yield url
        return
    bindir = pg_cluster.find_bindir()
    if bindir is None:
        message = (
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install the "
            f"postgresql package or set {PG_URL_ENV}"
        )
        if os.environ.get("CI"):
            pytest.fail(
                f"{message}. Skipping the PostgreSQL tests silently is not allowed in CI.",
                pytrace=False,
            )
        pytest.skip(message)
    try:
        cluster = pg_cluster.TempCluster(bindir)
    except pg_cluster.ClusterError as exc:
        pytest.fail(f"cannot set up a PostgreSQL cluster: {exc}", pytrace=False)
    try:
        cluster.start()
        url = pg_cluster.create_database(cluster.url())
        yield url
    except pg_cluster.ClusterError as exc:
        pytest.fail(f"cannot start a PostgreSQL cluster: {exc}", pytrace=False)
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_databases(pg_url: str) -> Iterator[pg_cluster.DatabaseSupply]:
    """Fresh PostgreSQL databases on the session's server, made one test ahead."""
    supply = pg_cluster.DatabaseSupply(pg_url)
    try:
        yield supply
    finally:
        supply.close()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database per test, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "clinic.sqlite3")
        return
    supply: pg_cluster.DatabaseSupply = request.getfixturevalue("pg_databases")
    url = supply.take()
    try:
        yield url
    finally:
        try:
            pg_cluster.drop_database(supply.server_url, url)
        except psycopg.Error as exc:
            # Left behind on a shared server ($CLINIC_TEST_PG_URL), it would pile up unnoticed.
            pytest.fail(f"could not drop the test database: {exc}", pytrace=False)


# --------------------------------------------------------------------------- services


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2 parameters: the production cost (about 0.1 s a hash) adds up over a suite."""
    monkeypatch.setattr(
        accounts_service,
        "PasswordHasher",
        partial(PasswordHasher, time_cost=1, memory_cost=1024, parallelism=1),
    )


class Workstations:
    """Opens Services over one database the way app.py does; each call is its own engine.

    Two instances stand for two workstations sharing a database; closing one and opening
    another stands for a restart.
    """

    def __init__(self, url: str, clock: Clock) -> None:
        self.url = url
        self.clock = clock
        self._engines: dict[int, Engine] = {}

    def open(self, clock: Clock | None = None) -> Services:
        """Connect (migrating if needed) and wire the services, like the app at start-up."""
        engine, uow_factory = open_database(self.url)
        services = Services.build(uow_factory, clock or self.clock, form_catalog())
        self._engines[id(services)] = engine
        return services

    def close(self, services: Services) -> None:
        """Release that workstation's connections, as the app does on exit."""
        self._engines.pop(id(services)).dispose()

    def close_all(self) -> None:
        """Release every engine still open."""
        while self._engines:
            self._engines.popitem()[1].dispose()


@pytest.fixture
def workstations(
    db_url: str, clock: FakeClock, fast_password_hashing: None
) -> Iterator[Workstations]:
    """A factory of Services over the test database; every engine is disposed afterwards."""
    opened = Workstations(db_url, clock)
    try:
        yield opened
    finally:
        opened.close_all()


@pytest.fixture
def services(workstations: Workstations) -> Services:
    """The services over a fresh, migrated database."""
    return workstations.open()


# --------------------------------------------------------------------------- people


@pytest.fixture
def admin(services: Services) -> Principal:
    """The first account: a practice admin without the clinician role."""
    services.accounts.create_first_admin(
        {"username": "admin", "display_name": "Alex Admin", "password": PASSWORD}
    )
    return services.accounts.login("admin", PASSWORD)


@pytest.fixture
def make_user(services: Services, admin: Principal) -> Callable[..., Principal]:
    """Create an account with the given roles (by the admin) and log it in."""

    def _make(username: str, roles: set[Role], display_name: str | None = None) -> Principal:
        services.accounts.create_account(
            admin,
            {
                "username": username,
                "display_name": display_name or username.title(),
                "password": PASSWORD,
                "roles": frozenset(roles),
            },
        )
        return services.accounts.login(username, PASSWORD)

    return _make


@pytest.fixture
def clinician(make_user: Callable[..., Principal]) -> Principal:
    """A clinician (charts, signs, adds addenda)."""
    return make_user("cruz", {Role.CLINICIAN}, "Dr. Carmen Cruz")


@pytest.fixture
def front_desk(make_user: Callable[..., Principal]) -> Principal:
    """A front-desk account (registers patients, never sees clinical content)."""
    return make_user("frank", {Role.FRONT_DESK}, "Frank Front")
