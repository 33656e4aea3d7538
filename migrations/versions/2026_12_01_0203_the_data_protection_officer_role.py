"""the data protection officer role

Revision ID: 0203
Revises: 0201
Create Date: 2026-12-01 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0203'
down_revision = '0201'
branch_labels = None
depends_on = None

BEFORE = ("officer", "coordinator", "chair", "manager", "partner", "admin")
AFTER = (*BEFORE, "dpo")


def _allow(roles):
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_roles_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_user_roles_role"), sa.column("role").in_(roles))


def upgrade():
    _allow(AFTER)


def downgrade():
    op.execute("DELETE FROM user_roles WHERE role = 'dpo'")
    _allow(BEFORE)
