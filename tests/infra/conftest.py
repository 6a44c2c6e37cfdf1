"""Fixtures the infrastructure tests share: PostgreSQL behind a proxy the test can cut."""

from __future__ import annotations

import pytest

from app.services.stores import bind_url
from config import TestingConfig
from tests.fakes.tcp_proxy import postgres_proxy


@pytest.fixture
def pg_proxy(app):
    proxy = postgres_proxy(bind_url(app.config, "users"))
    yield proxy
    proxy.close()


@pytest.fixture
def proxied_pg_app(make_app, pg_proxy, tmp_path):
    """An app whose five binds reach PostgreSQL through the proxy, with short timeouts."""
    config = TestingConfig(tmp_path / "proxied")
    config.SQLALCHEMY_BINDS = {bind: pg_proxy.postgres_url(url) for bind, url in config.SQLALCHEMY_BINDS.items()}
    config.DB_STATEMENT_TIMEOUT_MS = 700
    config.DB_CONNECT_TIMEOUT = 2
    config.DB_POOL_TIMEOUT = 2
    return make_app(config)
