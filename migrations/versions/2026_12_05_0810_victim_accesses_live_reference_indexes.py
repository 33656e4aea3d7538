"""victim_accesses: the digests' indexes hold the live pages only, ordered by digest and then id

Revision ID: 0810
Revises: 0800
Create Date: 2026-12-05 18:00:00

Every look-up by a page's digest (a sign-in link or code asked for, a code typed) asks for live pages
(``ended_at IS NULL``) in the order of their ids. Migration 0733 indexed the digest alone, over every
page, ended ones too: PostgreSQL, its statistics showing one digest on many rows, preferred scanning
every live page through the unique index of live pages and comparing each digest. The indexes now hold
the live pages only, by digest and then id: one index answers the whole look-up.

Downgrade: 0733's indexes again.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0810"
down_revision = "0800"
branch_labels = None
depends_on = None

COLUMNS = {
    "ix_victim_accesses_email_reference": "email_reference",
    "ix_victim_accesses_mobile_reference": "mobile_reference",
}


def upgrade():
    import sqlalchemy as sa

    for name, column in COLUMNS.items():
        op.drop_index(name, table_name="victim_accesses")
        op.create_index(
            name,
            "victim_accesses",
            [column, "id"],
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )


def downgrade():
    for name, column in COLUMNS.items():
        op.drop_index(name, table_name="victim_accesses")
        op.create_index(name, "victim_accesses", [column])
