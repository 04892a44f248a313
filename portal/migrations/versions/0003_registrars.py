"""registrars: the ICANN-accredited registrars the RRI mock checks transactions reports against

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# A sample of accredited registrars, with the IANA ids and names of IANA's registrar id
# registry (https://www.iana.org/assignments/registrar-ids). Edit it with `tlsauth registrar`.
SAMPLE = (
    (2, "Network Solutions, LLC"),
    (69, "Tucows Domains Inc."),
    (81, "Gandi SAS"),
    (146, "GoDaddy.com, LLC"),
    (269, "Key-Systems GmbH"),
    (292, "MarkMonitor Inc."),
    (299, "CSC Corporate Domains, Inc."),
    (303, "PDR Ltd. d/b/a PublicDomainRegistry.com"),
    (433, "OVH sas"),
    (440, "Wild West Domains, LLC"),
    (447, "SafeNames Ltd."),
    (468, "Amazon Registrar, Inc."),
    (470, "Nom-iq Ltd. dba COM LAUDE"),
    (472, "Dynadot, LLC"),
    (625, "Name.com, Inc."),
    (839, "Realtime Register B.V."),
    (1068, "NameCheap, Inc."),
    (1448, "Blacknight Internet Solutions Ltd."),
    (1479, "Namesilo, LLC"),
    (1636, "Hostinger, UAB"),
    (1647, "Hosting Concepts B.V. dba Openprovider"),
    (1861, "Porkbun, LLC"),
    (1910, "CloudFlare, Inc."),
    (2288, "Metaregistrar BV"),
)


def upgrade():
    registrars = op.create_table('registrars',
    sa.Column('iana_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('iana_id', name=op.f('pk_registrars'))
    )
    op.bulk_insert(registrars, [{"iana_id": i, "name": n} for i, n in SAMPLE])


def downgrade():
    op.drop_table('registrars')
