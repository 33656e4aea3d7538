"""recovery_codes: argon2id hashes, salted, and a selector naming each code's row

Revision ID: 0820
Revises: 0810
Create Date: 2026-12-05 20:45:00

A recovery code has 40 random bits, and only an unsalted SHA-256 of it was stored: whoever read the
table (a backup, a replica, a leaked dump) could try every code in seconds. Codes are now stored as
argon2id hashes (``casework.accounts.second_factor``), and a new code's first character, its selector,
names its row (the new ``selector`` column), so that a wrong code costs one argon2 check.

The codes users already hold keep working: each unused row's SHA-256 digest is replaced by argon2id of
that digest (no selector), which ``second_factor`` checks by hashing a typed code with SHA-256 first.
The digests of used codes are wiped: nothing checks them again.

Downgrade: argon2id cannot be turned back into the SHA-256 digests, so every recovery code is deleted;
users with a second factor keep their authenticator app and make new recovery codes from their account
page.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0820"
down_revision = "0810"
branch_labels = None
depends_on = None

#: As ``casework.accounts.second_factor._recovery_hasher`` at the time of writing; each hash names its
#: own parameters, so a later change there still verifies these.
TIME_COST = 2
MEMORY_COST = 19 * 1024
PARALLELISM = 1

codes = sa.table(
    "recovery_codes",
    sa.column("id", sa.Integer),
    sa.column("code_hash", sa.String),
    sa.column("used_at", sa.DateTime),
)


def upgrade():
    from argon2 import PasswordHasher

    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("selector", sa.SmallInteger(), nullable=True))
        batch_op.alter_column(
            "code_hash", existing_type=sa.String(length=64), type_=sa.String(length=255), existing_nullable=False
        )

    hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST, parallelism=PARALLELISM)
    connection = op.get_bind()
    unused = connection.execute(sa.select(codes.c.id, codes.c.code_hash).where(codes.c.used_at.is_(None))).all()
    for row_id, old_digest in unused:
        connection.execute(sa.update(codes).where(codes.c.id == row_id).values(code_hash=hasher.hash(old_digest)))
    connection.execute(sa.update(codes).where(codes.c.used_at.is_not(None)).values(code_hash=""))


def downgrade():
    op.execute(sa.delete(codes))
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.alter_column(
            "code_hash", existing_type=sa.String(length=255), type_=sa.String(length=64), existing_nullable=False
        )
        batch_op.drop_column("selector")
