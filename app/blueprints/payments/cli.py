"""`flask ledger verify`, `flask ledger grant-missing`, `flask billing renew`."""

from __future__ import annotations

import sys

import click
from flask import Flask

from app.services.payments import grants
from app.services.payments.ledger import read_session, verify_ledger
from app.services.payments.subscriptions import renew_due


def register(app: Flask) -> None:
    ledger = click.Group("ledger", help="The money ledger.")
    billing = click.Group("billing", help="Subscription billing (run by a scheduler).")
    app.cli.add_command(ledger)
    app.cli.add_command(billing)

    @ledger.command("verify")
    def verify() -> None:
        """Check every transaction sums to zero, cached balances equal their entries, and
        no user balance is negative. Exits 1 when anything is wrong."""
        with read_session() as session:
            problems = verify_ledger(session)
        for problem in problems:
            click.echo(f"PROBLEM: {problem}", err=True)
        if problems:
            sys.exit(1)
        click.echo("ledger ok")

    @ledger.command("grant-missing")
    def grant_missing() -> None:
        """Give the sign-up grant to every user who has not had it (idempotent)."""
        click.echo(f"granted: {grants.grant_missing()}")

    @billing.command("renew")
    def renew() -> None:
        """Charge every subscription whose period ended; grace or lapse when unpaid."""
        counts = renew_due()
        click.echo(" ".join(f"{k}: {v}" for k, v in counts.items()))
