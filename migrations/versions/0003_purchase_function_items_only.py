"""purchase function: items bind only

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 16:00:00.000000

dd_purchase_item no longer reads the social bind's blocks nor writes its notifications:
the blocked users always come in as an argument and the sale notification is written by
the caller. Its old signature (with the notification's url) goes, and the function is
made again from app/models/ledger_functions.py.
"""
from alembic import op
import sqlalchemy as sa

from app.models.ledger_functions import PURCHASE_FUNCTION


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

DROP_OLD_PURCHASE_FUNCTION = (
    "DROP FUNCTION IF EXISTS dd_purchase_item(bigint, bigint, bigint, bigint, timestamp, integer, bigint[], text)"
)


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
    op.execute(sa.DDL(DROP_OLD_PURCHASE_FUNCTION))
    op.execute(sa.DDL(PURCHASE_FUNCTION))


def downgrade_items():
    # 0002 makes the function from the same module, so at 0002 it is this one: nothing to
    # undo (the old text, which read the social bind, is not kept).
    pass


def upgrade_community():
    pass


def downgrade_community():
    pass


def upgrade_audit():
    pass


def downgrade_audit():
    pass
