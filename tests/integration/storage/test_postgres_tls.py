"""PostgreSQL on another machine: TLS required (no server needed to check the URL)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from clinic_app.domain.errors import DatabaseUnavailable
from clinic_app.storage.db import make_engine, require_tls


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://clinic@localhost/clinic",
        "postgresql+psycopg://clinic@127.0.0.1/clinic",
        "postgresql+psycopg://clinic@/clinic?host=/var/run/postgresql",
        "postgresql+psycopg://clinic@[::1]/clinic",
    ],
)
def test_a_server_on_this_machine_is_left_as_it_is(url: str) -> None:
    assert require_tls(make_url(url)).query.get("sslmode") is None


def test_a_server_elsewhere_gets_tls_required() -> None:
    url = require_tls(make_url("postgresql+psycopg://clinic:pw@server.local/clinic"))
    assert url.query["sslmode"] == "require"
    engine = make_engine("postgresql://clinic:pw@server.local/clinic")
    try:
        assert engine.url.query["sslmode"] == "require"
    finally:
        engine.dispose()


@pytest.mark.parametrize("mode", ["verify-ca", "verify-full", "require"])
def test_a_stricter_mode_is_kept(mode: str) -> None:
    url = require_tls(make_url(f"postgresql+psycopg://clinic@db.example/clinic?sslmode={mode}"))
    assert url.query["sslmode"] == mode


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
def test_a_weaker_mode_to_another_machine_is_refused_in_one_line(mode: str) -> None:
    with pytest.raises(DatabaseUnavailable, match="unencrypted") as caught:
        make_engine(f"postgresql://clinic:secret-pw@10.0.0.5/clinic?sslmode={mode}")
    assert "\n" not in str(caught.value)
    assert "secret-pw" not in str(caught.value)
