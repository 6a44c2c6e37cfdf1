"""Command-line tasks: `flask seed`, `flask admin create`, upkeep of analytics and items."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.blueprints.payments.cli import register as register_payments
from app.extensions import db
from app.services.accounts.admins import make_admin
from app.services.analytics.views import prune_view_days
from app.services.errors import ServiceError
from app.services.items.catalog import fill_card_previews
from app.services.seed import seed_demo, stored_data


def register(app: Flask) -> None:
    register_payments(app)

    @app.cli.command("seed")
    @click.option("--users", default=20, show_default=True, help="How many demo users.")
    @click.option("--password", default="dreamdot-demo-pass", show_default=True,
                  help="The password every demo user gets.")
    @click.option("--posts", default=200, show_default=True, help="Total demo posts wanted (e.g. 200000).")
    @click.option("--follows-per-user", default=10, show_default=True, help="How many users each follows.")
    @click.option("--likes", default=500, show_default=True, help="Total likes wanted.")
    @click.option("--comments", default=200, show_default=True, help="Total comments wanted.")
    @click.option("--communities", default=5, show_default=True, help="How many demo communities.")
    @click.option("--threads", default=5, show_default=True, help="Threads per demo community.")
    @click.option("--replies", default=3, show_default=True, help="At most this many replies per thread.")
    @click.option("--creators", default=4, show_default=True, help="How many demo users get items.")
    @click.option("--items", "items_per_creator", default=6, show_default=True,
                  help="Items per creator (every kind and pricing in turn).")
    @click.option("--views", default=2000, show_default=True, help="Page views over the last 30 days.")
    @click.option("--purchases", default=20, show_default=True, help="Demo purchases between demo users.")
    def seed(users: int, password: str, purchases: int, **sizes: int) -> None:
        """Fill empty databases with demo data; refuse when they hold any."""
        held = stored_data()
        if held:
            raise click.ClickException(
                f"The databases already hold data ({held}): `flask seed` fills empty databases only. "
                "`make reset` forgets the local data of `make run`.")
        report = seed_demo(users=users, password=password, purchases=purchases, **sizes)
        for name, count in report.items():
            click.echo(f"{name}: {count}")

    admin = click.Group("admin", help="Operator accounts.")
    app.cli.add_command(admin)

    @admin.command("create")
    @click.argument("username")
    @click.option("--email", help="Email, when the user does not exist yet.")
    @click.option("--password", help="Password, when the user does not exist yet (else prompted).")
    def create_admin(username: str, email: str | None, password: str | None) -> None:
        """Make USERNAME an admin, creating the account when it does not exist."""
        try:
            user, created = make_admin(username, email=email, password=password,
                                       ask_password=lambda: click.prompt(
                                           "Password", hide_input=True, confirmation_prompt=True))
        except ServiceError as exc:
            db.session.rollback()
            fields = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
            raise click.ClickException(f"{exc.message} {fields}".strip()) from None
        db.session.commit()
        click.echo(f"{'Created' if created else 'Promoted'} admin @{user.username}")

    analytics = AppGroup("analytics", help="Creator analytics upkeep.")
    app.cli.add_command(analytics)

    @analytics.command("prune-views")
    def prune_views() -> None:
        """Delete the once-a-day view markers of past days (the daily counts stay). Run daily."""
        removed = prune_view_days()
        db.session.commit()
        click.echo(f"Pruned {removed} view markers")

    items = AppGroup("items", help="Marketplace upkeep.")
    app.cli.add_command(items)

    @items.command("card-previews")
    def card_previews() -> None:
        """Give art items saved before cards showed previews their card picture. Run once."""
        filled = fill_card_previews()
        db.session.commit()
        click.echo(f"Art items given their card preview: {filled}")
