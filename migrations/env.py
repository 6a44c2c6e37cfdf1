"""Alembic for DreamDot's five binds (Flask-Migrate multi-database mode).

Each bind keeps its own version table (`alembic_version_<bind>`) and autogenerate looks
only at that bind's tables, so all five binds can share one PostgreSQL database."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
bind_names = list(current_app.config["SQLALCHEMY_BINDS"].keys())


def engine_for(bind):
    return target_db.engines[bind]


def version_table(bind: str) -> str:
    return f"alembic_version_{bind}"


def include_name_for(bind):
    tables = set(target_db.metadatas[bind].tables)

    def include_name(name, type_, parent_names):
        if type_ == "table":
            return name in tables
        return True

    return include_name


def render_item(type_, obj, autogen_context):
    """Our column types render as the plain SQL types they store."""
    from sqlalchemy.types import TypeDecorator

    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl.__class__.__name__}()"
    return False


def context_options(bind: str) -> dict:
    return {
        "target_metadata": target_db.metadatas[bind],
        "version_table": version_table(bind),
        "include_name": include_name_for(bind),
        "compare_type": True,
        "render_item": render_item,
        "upgrade_token": f"{bind}_upgrades",
        "downgrade_token": f"{bind}_downgrades",
    }


def run_migrations_offline():
    for bind in bind_names:
        logger.info("Migrating bind %s (offline)", bind)
        context.configure(
            url=engine_for(bind).url.render_as_string(hide_password=False),
            literal_binds=True,
            **context_options(bind),
        )
        with context.begin_transaction():
            context.run_migrations(engine_name=bind)


def run_migrations_online():
    def process_revision_directives(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if len(script.upgrade_ops_list) >= len(bind_names) + 1:
                empty = all(ops.is_empty() for ops in script.upgrade_ops_list)
                if empty:
                    directives[:] = []
                    logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    # Flask-Migrate asks for batch mode (tables copied to be altered); PostgreSQL alters in place.
    conf_args.pop("render_as_batch", None)

    for bind in bind_names:
        logger.info("Migrating bind %s", bind)
        with engine_for(bind).connect() as connection:
            context.configure(connection=connection, **{**conf_args, **context_options(bind)})
            with context.begin_transaction():
                context.run_migrations(engine_name=bind)
            connection.commit()


def prepare_documents():
    """The release step (`flask db upgrade`) makes the document store ready too: every
    collection and index exists before the first request (app/documents)."""
    from app.documents import prepare_collections

    prepare_collections()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
    prepare_documents()
