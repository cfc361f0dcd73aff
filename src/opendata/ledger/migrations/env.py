"""Alembic environment of the run ledger (no alembic.ini: ledger.repository.migrate configures it)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from opendata.ledger.models import Base

config = context.config


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":  # workers that start together migrate one after another
                connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('opendata-ledger-migration'))"))
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
