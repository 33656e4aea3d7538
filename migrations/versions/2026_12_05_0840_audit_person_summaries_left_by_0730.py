"""Audit log: the old summaries naming someone whose name starts with "person", already gone, are erased

Revision ID: 0840
Revises: 0820
Create Date: 2026-12-05 20:50:00

Migration 0730 erased the values of the old summaries naming a person ("Added <name> to case ...",
"Second report by <name> ...") whose person was already anonymised or merged, leaving out those that
give the person's number with ``NOT LIKE 'Added person %'``. That left out a name starting with the
word: "Person Unknown" on SQLite (whose LIKE ignores case), "person unknown" on either database.
Migration 0800 mended the predicate for the people anonymised from then on (the partial indexes and
``audit_erase_old_summaries``), but an entry naming someone anonymised or merged before it is never
looked at again: it is erased here, as 0730 would have erased it, by 0800's predicates (a summary by
number told by the digit after "person ", compared exactly), and each erasure is recorded per record
as ``casework.audit.services`` records one.

Downgrade: nothing (erased values cannot be brought back).
"""

import hashlib
import json
import re
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0840"
down_revision = "0820"
branch_labels = None
depends_on = None

ERASED_SUMMARY = "Personal details erased"
BATCH = 500
_DIGITS = "('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')"


def _by_number(words):
    return f"(substr(summary, 1, {len(words)}) = '{words}' AND substr(summary, {len(words) + 1}, 1) IN {_DIGITS})"


#: (subject type, casework.audit.models.OLD_SUMMARIES_NAMING_PEOPLE's predicate as migration 0800 made
#: it, where the person's number is in the entry's changes).
FORMS = (
    (
        "cases",
        "subject_type = 'cases' AND erased_at IS NULL AND summary LIKE 'Added % to case % as %' "
        f"AND NOT {_by_number('Added person ')}",
        "party",
    ),
    (
        "case_review_explanations",
        "subject_type = 'case_review_explanations' AND erased_at IS NULL "
        "AND summary LIKE 'Second report by % on case %: explain the Case Review' "
        f"AND NOT {_by_number('Second report by person ')}",
        "person_id",
    ),
)
_NUMBER = re.compile(r"^\d+$")


def _person_of(changes, where):
    """The person's number an entry's changes give, or None (as migration 0730 read it)."""
    if isinstance(changes, str):
        try:
            changes = json.loads(changes)
        except ValueError:
            return None
    if not isinstance(changes, dict):
        return None
    value = changes.get(where)
    if where == "party":
        # {"party": [None, [person_id, role]]}
        if isinstance(value, list) and len(value) == 2 and isinstance(value[1], list) and value[1]:
            value = value[1][0]
        else:
            return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _NUMBER.match(value):
        return int(value)
    return None


def _digest(nonce, summary):
    # casework.audit.chain.values_digest, for an entry with no changes and no address.
    text = json.dumps(
        {"nonce": nonce, "summary": summary, "changes": None, "ip_address": None},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def upgrade():
    bind = op.get_bind()
    values = sa.table(
        "audit_values",
        sa.column("entry_id", sa.Integer),
        sa.column("subject_type", sa.String),
        sa.column("subject_id", sa.String),
        sa.column("summary", sa.String),
        sa.column("changes", sa.JSON),
        sa.column("ip_address", sa.String),
        sa.column("nonce", sa.String),
        sa.column("erased_at", sa.DateTime(timezone=True)),
    )
    entries = sa.table(
        "audit_entries",
        sa.column("id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("object_type", sa.String),
        sa.column("object_id", sa.String),
        sa.column("values_hash", sa.String),
    )
    people = sa.table("people", sa.column("id", sa.Integer), sa.column("anonymised_at"), sa.column("merged_into_id"))
    for subject_type, predicate, where in FORMS:
        after = -1
        while True:
            # Read through 0800's partial index (the predicate repeated as its text), a few rows at most.
            rows = bind.execute(
                sa.select(values.c.entry_id, values.c.subject_id, values.c.changes)
                .where(sa.text(predicate), values.c.entry_id > after)
                .order_by(values.c.entry_id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            after = rows[-1].entry_id
            person_of = {row.entry_id: _person_of(row.changes, where) for row in rows}
            numbers = {number for number in person_of.values() if number is not None}
            if not numbers:
                continue
            gone = set(
                bind.execute(
                    sa.select(people.c.id).where(
                        people.c.id.in_(sorted(numbers)),
                        sa.or_(people.c.anonymised_at.is_not(None), people.c.merged_into_id.is_not(None)),
                    )
                ).scalars()
            )
            erase = [row for row in rows if person_of[row.entry_id] in gone]
            if not erase:
                continue
            bind.execute(
                sa.update(values)
                .where(values.c.entry_id.in_([row.entry_id for row in erase]), values.c.erased_at.is_(None))
                .values(
                    summary=ERASED_SUMMARY,
                    changes=sa.null(),
                    ip_address=None,
                    nonce=None,
                    erased_at=sa.func.now(),
                )
            )
            counts = {}
            for row in erase:
                counts[row.subject_id] = counts.get(row.subject_id, 0) + 1
            for subject_id, erased in sorted(counts.items(), key=lambda item: str(item[0])):
                _record_erasure(bind, entries, values, subject_type, subject_id, erased)


def _record_erasure(bind, entries, values, subject_type, subject_id, erased):
    """The record of the erasure, as ``casework.audit.services`` writes it (the system, no address)."""
    summary = f"Erased the personal details of {erased} audit {'entry' if erased == 1 else 'entries'}"
    nonce = secrets.token_hex(16)
    entry_id = bind.execute(
        sa.insert(entries)
        .values(
            action="erase",
            object_type=subject_type,
            object_id=subject_id,
            values_hash=_digest(nonce, summary),
        )
        .returning(entries.c.id)
    ).scalar_one()
    bind.execute(
        sa.insert(values).values(
            entry_id=entry_id, subject_type=subject_type, subject_id=subject_id, summary=summary, nonce=nonce
        )
    )


def downgrade():
    pass
