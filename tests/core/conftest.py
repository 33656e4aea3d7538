"""Fixtures shared by the tests of ``casework.core``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from casework.core.db import configure_engine_events


@pytest.fixture
def engine(app) -> Iterator[sa.Engine]:
    """An engine made as the service's is, with one connection, so every checkout gets the same one."""
    engine = sa.create_engine(
        app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    )
    configure_engine_events(engine)
    yield engine
    engine.dispose()
