"""Schema upgrades happen in place: a database an older version wrote keeps its data."""

from __future__ import annotations

import sqlalchemy
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from admin_web.db import MIGRATIONS, make_engine, upgrade

OLD_EVENT = (
    "INSERT INTO events (id, ts, source, user, client, url, host, platform_id, category,"
    " activity, action, outcome, justification, reason, policy_ref, received_at) VALUES"
    " (:id, :ts, 'proxy', :user, '10.1.2.3', 'https://www.tiktok.com/', 'www.tiktok.com',"
    " 'tiktok', 'social_media', 'browse', 'warn', :outcome, '', '', '', :ts)"
)


def test_an_older_database_is_upgraded_with_its_log_counted(database_url):
    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    user = '"user"' if engine.dialect.name == "postgresql" else "user"
    with engine.begin() as connection:
        for n, outcome in enumerate(("shown", "shown", "continued")):
            connection.execute(
                text(OLD_EVENT.replace(" user,", f" {user},")),
                {
                    "id": f"00000000-0000-4000-8000-00000000000{n}",
                    "ts": "2026-05-12 10:00:00",
                    "user": "coach@usd999.org",
                    "outcome": outcome,
                },
            )
    upgrade(engine)
    with engine.connect() as connection:
        hours = connection.execute(
            text("SELECT hour, platform_id, outcome, count FROM event_hours")
        )
        assert sorted(hours) == [
            ("2026-05-12 10", "tiktok", "continued", 1),
            ("2026-05-12 10", "tiktok", "shown", 2),
        ]
        users = connection.execute(text(f"SELECT day, {user}, count FROM user_days")).all()
        assert users == [("2026-05-12", "coach@usd999.org", 2)]
        assert connection.scalar(sqlalchemy.text("SELECT count(*) FROM events")) == 3
    engine.dispose()


def test_the_tables_the_models_describe_are_the_ones_the_migrations_build(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from admin_web.models import Base

    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_0003_keeps_accounts_usable_and_steps_back_down(database_url):
    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(
            text(
                "INSERT INTO users (name, password_hash, role, created_at)"
                " VALUES ('it@usd999.org', 'x', 'admin', '2026-01-01 00:00:00')"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT disabled, session_generation FROM users")).one()
        assert (bool(row[0]), row[1]) == (False, 0)
        assert connection.scalar(text("SELECT count(*) FROM proxy_status")) == 0
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT name FROM users")) == "it@usd999.org"
    engine.dispose()
