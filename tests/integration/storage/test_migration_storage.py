"""Alembic migrations on both databases: they reach head and match the row classes exactly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from clinic_app.domain.audit import GENESIS_HASH
from clinic_app.domain.errors import DatabaseUnavailable
from clinic_app.storage.bootstrap import open_database
from clinic_app.storage.db import (
    SCHEMA_HEAD,
    alembic_config,
    head_revision,
    make_engine,
    schema_revision,
    upgrade_schema,
)
from clinic_app.storage.rows import AuditHeadRow, Base

TABLES = {"accounts", "patients", "encounters", "addenda", "audit_log", "audit_head"}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the empty test database; nothing migrated yet."""
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def schema_differences(engine: Engine) -> list[object]:
    """What autogenerate would write into a new migration (empty when models and DB agree)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_of_an_empty_database_reaches_head(engine):
    assert schema_revision(engine) is None

    upgrade_schema(engine)

    assert schema_revision(engine) == head_revision(engine) == SCHEMA_HEAD
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as conn:
        head = conn.execute(select(AuditHeadRow.seq, AuditHeadRow.entry_hash)).one()
    assert tuple(head) == (0, GENESIS_HASH)


def test_migrated_schema_matches_the_row_classes(engine):
    """Guards against changing rows.py without writing a migration (and the reverse)."""
    upgrade_schema(engine)

    assert schema_differences(engine) == []


def test_downgrade_to_nothing_and_up_again(engine):
    upgrade_schema(engine)
    cfg = alembic_config(engine)

    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert not TABLES & set(inspect(engine).get_table_names())

    upgrade_schema(engine)
    assert schema_revision(engine) == SCHEMA_HEAD
    assert schema_differences(engine) == []


def test_opening_twice_keeps_the_data(workstations, services, admin, patient):
    workstations.close(services)

    again = workstations.open()

    assert again.patients.get(admin, patient.id) == patient


def test_database_from_a_newer_app_is_refused(db_url, engine):
    upgrade_schema(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")

    with pytest.raises(DatabaseUnavailable, match="newer clinic_app") as err:
        open_database(db_url)

    assert "9999" in str(err.value)
    assert err.value.__cause__ is None
    # Nothing was changed on the way out.
    assert schema_revision(engine) == "9999"


def test_unreachable_server_is_reported_plainly():
    # Port 1 on the loopback interface: refused at once, no server needed.
    with pytest.raises(DatabaseUnavailable, match="cannot be reached") as err:
        open_database("postgresql+psycopg://nobody@127.0.0.1:1/clinic")

    assert err.value.__suppress_context__


@pytest.mark.parametrize("url", ["not a url", "mysql://u@localhost/db"])
def test_unsupported_urls_are_refused(url):
    with pytest.raises(DatabaseUnavailable):
        open_database(url)
