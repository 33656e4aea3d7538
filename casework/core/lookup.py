"""Loading a record named in a request (an id, a code or an email) through the visibility rules.

A body or form that names another record (``subject_person_id``, ``case_ids``, ``chair_email``,
``agency_code``) must not reach a record the user could not GET: otherwise guessing ids reveals
every victim and perpetrator through the answer. Each domain's ``policies.py`` declares one
``Lookup`` per kind of record it owns, built on the same WHERE clause as its own GETs and lists;
everything that takes an id from a user goes through it:

- API schemas: ``casework.core.fields.RecordId(LOOKUP)`` (a 422 on the field, before any service);
- services: ``LOOKUP.get(actor, value, field)`` (a 422 on the field), whoever called them;
- page forms: ``LOOKUP.options(user, ...)`` for a select's choices, and the service's ``get`` for the
  value posted back (a select's choices are only what the user was shown, not a permission).

An id the user may not see answers exactly like one that does not exist, so nothing is revealed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context

from casework.core.errors import InvalidInput, NotFound
from casework.core.inputs import DB_INT_MAX, has_unstorable

VisibleClause = Callable[[Any], sa.ColumnElement[bool]]


class Lookup:
    """How to load one kind of record for a user: ``model`` rows matching ``visible(user)``.

    :param noun: what the record is called in messages ("person", "case").
    :param key: the column a request names it by (the primary key unless a code or email).
    :param normalise: turns what was sent into the stored form of the key (``str.upper`` for codes).
    :param usable: a WHERE clause every record named must also match, whoever names it (the service
        itself too): a record that exists but may not be named as a new link (a person record merged
        into another, on its way out) is refused as if missing.
    """

    def __init__(
        self,
        noun: str,
        model: Any,
        visible: VisibleClause,
        *,
        key: Any = None,
        normalise: Callable[[Any], Any] | None = None,
        missing_message: str | None = None,
        public: bool = False,
        usable: sa.ColumnElement[bool] | None = None,
    ) -> None:
        self.noun = noun
        self.model = model
        self.visible = visible
        self.key = key if key is not None else model.id
        self.normalise = normalise
        self.missing_message = missing_message or f"Unknown {noun}: there is no such {noun}, or you cannot see it"
        #: Visible to everyone (organisations, not people): found without a signed-in user too.
        self.public = public
        self.usable = usable if usable is not None else sa.true()

    def __repr__(self) -> str:
        return f"Lookup({self.noun!r})"

    # --- single records --------------------------------------------------------------------------------

    def _clean(self, value: Any) -> Any:
        """The key value to search for, or None when it cannot name any row."""
        if value is None or isinstance(value, bool):
            return None
        if isinstance(self.key.type, sa.Integer):
            try:
                number = int(value)
            except (TypeError, ValueError):
                return None
            return number if 1 <= number <= DB_INT_MAX else None
        text = str(value)
        if has_unstorable(text):
            return None
        return self.normalise(text) if self.normalise else text

    def find(self, user: Any, value: Any) -> Any | None:
        """The record named ``value`` if ``user`` may see it, else None (missing and hidden alike)."""
        from casework.extensions import db

        cleaned = self._clean(value)
        # ``None`` is the service itself (a task, a lifecycle receiver, a recommendation becoming an
        # action): it is not a request, and sees every record. A request always has a user object
        # (Flask-Login's anonymous user when nobody is signed in), which sees nothing.
        system = user is None
        signed_in = system or getattr(user, "is_authenticated", False)
        if cleaned is None or not (signed_in or self.public):
            return None
        cache = self._cache(user)
        if cache is not None and cleaned in cache:
            return cache[cleaned]
        where = sa.true() if self.public or system else self.visible(user)
        found = db.session.scalar(sa.select(self.model).where(self.key == cleaned, where, self.usable))
        if cache is not None and found is not None:
            cache[cleaned] = found
        return found

    def get(self, user: Any, value: Any, field: str) -> Any:
        """The record, or ``InvalidInput`` (422) on ``field``: for ids in a body or a form."""
        found = self.find(user, value)
        if found is None:
            raise InvalidInput({field: [self.missing_message]})
        return found

    def get_many(self, user: Any, values: Iterable[Any], field: str) -> list[Any]:
        """Each record in order, or one 422 on ``field`` naming every value that is not found."""
        found, missing = [], []
        for value in values:
            record = self.find(user, value)
            if record is None:
                missing.append(str(value))
            found.append(record)
        if missing:
            raise InvalidInput({field: [f"{self.missing_message}: {', '.join(missing)}"]})
        return found

    def get_or_404(self, user: Any, value: Any) -> Any:
        """The record, or ``NotFound``: for ids in the URL."""
        found = self.find(user, value)
        if found is None:
            raise NotFound(f"{self.noun.capitalize()} not found.")
        return found

    # --- lists (a page form's choices) -----------------------------------------------------------------

    def query(self, user: Any) -> sa.Select[Any]:
        return sa.select(self.model).where(self.visible(user), self.usable)

    def all(self, user: Any, *where: Any, order_by: Any = None) -> list[Any]:
        from casework.extensions import db

        query = sa.select(self.model).where(*where, self.usable)
        if not self.public:
            query = query.where(self.visible(user))
        if order_by is not None:
            query = query.order_by(order_by)
        return list(db.session.scalars(query))

    def options(
        self,
        user: Any,
        label: Callable[[Any], str],
        *where: Any,
        order_by: Any = None,
        value: Callable[[Any], Any] | None = None,
    ) -> list[Any]:
        """WTForms choices for a select of the records ``user`` may see (and ``where`` narrows)."""
        from casework.core.forms import options

        value = value or (lambda record: getattr(record, self.key.key))
        return options((str(value(record)), label(record)) for record in self.all(user, *where, order_by=order_by))

    def _cache(self, user: Any) -> dict[Any, Any] | None:
        # Per request only: a test or a task calling services in one long context must see changes.
        if not has_request_context():
            return None
        caches = g.setdefault("casework_lookups", {})
        cache: dict[Any, Any] = caches.setdefault((self.noun, getattr(user, "id", None)), {})
        return cache
