"""items.preview_key: an art item's first preview, the picture of its card without a cover

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 14:00:00.000000

The preview lives in the item's MongoDB content; the card reads only the SQL row, so the
items services keep its key there too. Art items made before this revision get theirs when
their images change next, or from `flask items card-previews`.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
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
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preview_key', sa.String(length=255), nullable=True))


def downgrade_items():
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('preview_key')


def upgrade_community():
    pass


def downgrade_community():
    pass


def upgrade_audit():
    pass


def downgrade_audit():
    pass
