"""decision_log: the role an endpoint needs, the deciding reason, each entry's verdict

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('decision_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required_role', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('deciding_reason', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('checks', sa.JSON(), nullable=True))
        batch_op.create_index('ix_decision_log_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('decision_log', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_log_created_at')
        batch_op.drop_column('checks')
        batch_op.drop_column('deciding_reason')
        batch_op.drop_column('required_role')
