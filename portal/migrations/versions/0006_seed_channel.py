"""audit channel `seed`: changes made by applying a seed document (`tlsauth seed`)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CHANNELS = ('ui', 'api', 'cli', 'bulk')


def _channels(channels):
    return "channel in (" + ", ".join(f"'{c}'" for c in channels) + ")"


def upgrade():
    # A changed CHECK constraint is invisible to autogenerate; SQLite rebuilds the table.
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_channel'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_channel'), _channels((*CHANNELS, 'seed')))


def downgrade():
    # The seed's own events cannot stay under the narrower constraint: they are recorded as
    # made on the command line, which is where `tlsauth seed` runs.
    op.execute("UPDATE audit_events SET channel = 'cli' WHERE channel = 'seed'")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_channel'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_channel'), _channels(CHANNELS))
