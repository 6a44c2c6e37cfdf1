"""purchase function: dd_purchase_item

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 12:00:00.000000

A purchase in one round trip. The function's text is app/models/ledger_functions.py's, the
one db.create_all() runs (the migration test checks that they agree).
"""
from alembic import op
import sqlalchemy as sa

from app.models.ledger_functions import DROP_PURCHASE_FUNCTION, PURCHASE_FUNCTION


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_users():
    pass


def downgrade_users():
    pass


def upgrade_social():
    pass


def downgrade_social():
    pass


def upgrade_items():
    op.execute(sa.DDL(PURCHASE_FUNCTION))


def downgrade_items():
    op.execute(sa.DDL(DROP_PURCHASE_FUNCTION))


def upgrade_community():
    pass


def downgrade_community():
    pass


def upgrade_audit():
    pass


def downgrade_audit():
    pass
