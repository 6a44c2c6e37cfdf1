"""signin_throttles: failed sign-ins per account

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 17:10:00.000000

The users bind counts each account's failed sign-ins, so a delay that grows holds across
workers and dynos (the per-address rate limit alone lets a second address keep guessing).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_users():
    op.create_table('signin_throttles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade_users():
    op.drop_table('signin_throttles')


def upgrade_social():
    pass


def downgrade_social():
    pass


def upgrade_items():
    pass


def downgrade_items():
    pass


def upgrade_community():
    pass


def downgrade_community():
    pass


def upgrade_audit():
    pass


def downgrade_audit():
    pass
