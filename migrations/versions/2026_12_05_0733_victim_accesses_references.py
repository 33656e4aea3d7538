"""victim_accesses: the keyed digests of the address and number, indexed, that a sign-in looks a page up by

Revision ID: 0733
Revises: 0732
Create Date: 2026-12-05 10:30:00

A sign-in task is given a keyed digest of the address (or number) asked for, never the address; it made
the digest of every live victim page's address to find the one. Each page now keeps its digests
(``email_reference``, ``mobile_reference``) and which key made them (``reference_key``), written with
every change; a sign-in looks them up through their indexes. Existing rows have none: the first sign-in
after the upgrade makes them (as after a change of the secret key), once.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0733"
down_revision = "0732"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("victim_accesses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_reference", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("mobile_reference", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reference_key", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_victim_accesses_email_reference", ["email_reference"], unique=False)
        batch_op.create_index("ix_victim_accesses_mobile_reference", ["mobile_reference"], unique=False)
        batch_op.create_index("ix_victim_accesses_reference_key", ["reference_key"], unique=False)


def downgrade():
    with op.batch_alter_table("victim_accesses", schema=None) as batch_op:
        batch_op.drop_index("ix_victim_accesses_reference_key")
        batch_op.drop_index("ix_victim_accesses_mobile_reference")
        batch_op.drop_index("ix_victim_accesses_email_reference")
        batch_op.drop_column("reference_key")
        batch_op.drop_column("mobile_reference")
        batch_op.drop_column("email_reference")
