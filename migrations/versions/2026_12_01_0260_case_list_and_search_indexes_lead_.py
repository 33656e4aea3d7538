"""case list and search indexes: lead agency and shares in list order, complaint references

The case list reads a page of the lead agency's cases and of the cases shared with it in index order
(newest first), so case_shares keeps a copy of each case's created_at. Case search finds complaints by
any part of their reference through a trigram index (PostgreSQL; SQLite gets a plain index).

Revision ID: 0260
Revises: 0220
Create Date: 2026-12-01 16:48:09.905662

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0260'
down_revision = '0220'
branch_labels = None
depends_on = None


def upgrade():
    # A copy of each shared case's created_at, filled in for the existing shares before it is required.
    with op.batch_alter_table('case_shares', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_created_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE case_shares SET case_created_at = (SELECT cases.created_at FROM cases WHERE cases.id = case_shares.case_id)"
    )
    with op.batch_alter_table('case_shares', schema=None) as batch_op:
        batch_op.alter_column('case_created_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_index(batch_op.f('ix_case_shares_agency_id'))
        batch_op.create_index('ix_case_shares_agency_created', ['agency_id', 'case_created_at', 'case_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_lead_agency_id'))
        batch_op.create_index('ix_cases_lead_agency_created', ['lead_agency_id', 'created_at', 'id'], unique=False)

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_reference_trgm', ['reference'], unique=False, postgresql_using='gin', postgresql_ops={'reference': 'gin_trgm_ops'})



def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_reference_trgm', postgresql_using='gin', postgresql_ops={'reference': 'gin_trgm_ops'})

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_lead_agency_created')
        batch_op.create_index(batch_op.f('ix_cases_lead_agency_id'), ['lead_agency_id'], unique=False)

    with op.batch_alter_table('case_shares', schema=None) as batch_op:
        batch_op.drop_index('ix_case_shares_agency_created')
        batch_op.create_index(batch_op.f('ix_case_shares_agency_id'), ['agency_id'], unique=False)
        batch_op.drop_column('case_created_at')

