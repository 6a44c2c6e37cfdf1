"""refund requests: purchases remember when their paid part was opened

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 12:00:00.000000

A buyer refunds a purchase on their own only within a window and before opening or
downloading what they paid for (`purchases.opened_at`, which replaces the per-file
`content_downloads` records); after that they ask the creator (`refund_requests`, one per
purchase). The history of a wallet reads the purchase of each transaction by its ids, now
indexed.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
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
    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_purchases_transaction_id'), ['transaction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchases_refund_transaction_id'), ['refund_transaction_id'],
                              unique=False)
    # A purchase whose files were handed out before this revision counts as opened.
    op.execute("UPDATE purchases SET opened_at = d.first_at FROM (SELECT user_id, item_id, min(created_at) "
               "AS first_at FROM content_downloads GROUP BY user_id, item_id) AS d "
               "WHERE purchases.buyer_id = d.user_id AND purchases.item_id = d.item_id")
    with op.batch_alter_table('content_downloads', schema=None) as batch_op:
        batch_op.drop_index('ix_content_downloads_user_item')
    op.drop_table('content_downloads')

    op.create_table('refund_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purchase_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('creator_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answer', sa.String(length=500), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('purchase_id')
    )
    with op.batch_alter_table('refund_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_requests_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index('ix_refund_requests_creator_status', ['creator_id', 'status'], unique=False)


def downgrade_items():
    with op.batch_alter_table('refund_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_refund_requests_creator_status')
        batch_op.drop_index(batch_op.f('ix_refund_requests_buyer_id'))
    op.drop_table('refund_requests')

    op.create_table('content_downloads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('content_downloads', schema=None) as batch_op:
        batch_op.create_index('ix_content_downloads_user_item', ['user_id', 'item_id'], unique=False)
    op.execute("INSERT INTO content_downloads (user_id, item_id, created_at) "
               "SELECT buyer_id, item_id, opened_at FROM purchases WHERE opened_at IS NOT NULL")

    with op.batch_alter_table('purchases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchases_refund_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_purchases_transaction_id'))
        batch_op.drop_column('opened_at')


def upgrade_community():
    pass


def downgrade_community():
    pass


def upgrade_audit():
    pass


def downgrade_audit():
    pass
