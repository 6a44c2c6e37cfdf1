"""chat tickets: single-use tickets that open the chat websocket

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 17:00:00.000000

The websocket no longer takes a long-lived API token in its URL; a client asks
POST /api/chat/ticket for a ticket valid for at most a minute and connects with
`?ticket=`. Only a hash of each ticket is kept, in the users bind every dyno shares.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_users():
    op.create_table('chat_tickets',
    sa.Column('ticket_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('session_kind', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_hash')
    )
    with op.batch_alter_table('chat_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_tickets_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_tickets_user_id'), ['user_id'], unique=False)


def downgrade_users():
    with op.batch_alter_table('chat_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_tickets_user_id'))
        batch_op.drop_index(batch_op.f('ix_chat_tickets_expires_at'))

    op.drop_table('chat_tickets')


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
