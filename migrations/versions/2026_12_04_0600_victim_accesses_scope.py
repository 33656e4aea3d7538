"""victim_accesses.agency_id: a victim page covers only what the agency that switched it on sees

Revision ID: 0600
Revises: 0550
Create Date: 2026-12-04 17:45:00

A victim page showed every case on which the person is a victim or complainant, whoever switched it
on (any user who might add to one of their cases, with an address they typed). It now covers the
person's cases that the lead agency it was switched on for sees, restricted ones only where the officer
who switched it on is named (``casework.victims.services.victim_case_ids``), and only that agency's
staff switch it on.

A page already on becomes the page of the agency of the officer who switched it on, when that officer
works on their agency's own cases (officer, coordinator or manager). A page switched on by a partner
(who sees only the cases shared with their agency) has no such agency: it ends, as if switched off,
and its unused sign-in links and codes with it; the case's officer may switch it on again.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0600'
down_revision = '0550'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('victim_accesses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_victim_accesses_agency_id_agencies'), 'agencies', ['agency_id'], ['id'], ondelete='SET NULL'
        )
    op.execute(
        """
        UPDATE victim_accesses SET agency_id = (
            SELECT users.agency_id FROM users WHERE users.id = victim_accesses.switched_on_by_id
        )
        WHERE person_id IS NOT NULL AND EXISTS (
            SELECT 1 FROM user_roles
            WHERE user_roles.user_id = victim_accesses.switched_on_by_id
              AND user_roles.role IN ('officer', 'coordinator', 'manager')
        )
        """
    )
    op.execute(
        """
        UPDATE victim_sign_ins SET used_at = CURRENT_TIMESTAMP
        WHERE used_at IS NULL AND access_id IN (
            SELECT id FROM victim_accesses
            WHERE person_id IS NOT NULL AND agency_id IS NULL AND ended_at IS NULL
        )
        """
    )
    op.execute(
        """
        UPDATE victim_accesses
        SET ended_at = CURRENT_TIMESTAMP,
            ended_reason = 'Switched on by a partner: only the lead agency''s staff switch it on now'
        WHERE person_id IS NOT NULL AND agency_id IS NULL AND ended_at IS NULL
        """
    )


def downgrade():
    with op.batch_alter_table('victim_accesses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_victim_accesses_agency_id_agencies'), type_='foreignkey')
        batch_op.drop_column('agency_id')
