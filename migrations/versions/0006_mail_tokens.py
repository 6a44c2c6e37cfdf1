"""mail tokens: password reset links and email change verifications

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00.000000

Links sent by mail (a password reset, the verification of a new email address): only a hash
of each token is kept, in the users bind every dyno shares; each is used once, before it
expires, for its one purpose.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade(engine_name):
    globals()["upgrade_%s" % engine_name]()


def downgrade(engine_name):
    globals()["downgrade_%s" % engine_name]()


def upgrade_users():
    op.create_table('mail_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('mail_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_tokens_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_tokens_user_id'), ['user_id'], unique=False)


def downgrade_users():
    with op.batch_alter_table('mail_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_mail_tokens_expires_at'))

    op.drop_table('mail_tokens')


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
