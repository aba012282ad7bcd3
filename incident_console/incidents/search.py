"""Case-insensitive search that folds every alphabet, not only ASCII.

SQLite's LIKE and lower() fold ASCII letters only, so "Очередь" would not find "очередь".
Embedded mode gets Python's str.casefold as the SQL function ``casefold`` on every new
connection; PostgreSQL keeps Django's icontains, whose UPPER folds by the database's locale.
"""

from __future__ import annotations

from django.db.models import CharField, TextField
from django.db.models.lookups import IContains


def casefold(text: str | None) -> str | None:
    return None if text is None else text.casefold()


def casefold_register(sender, connection, **kwargs) -> None:
    """connection_created receiver: teach a new SQLite connection ``casefold``."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("casefold", 1, casefold, deterministic=True)


class FoldedContains(IContains):
    """``field__folded_contains=words``: icontains that folds Cyrillic on SQLite too."""

    lookup_name = "folded_contains"

    def as_sql(self, compiler, connection):
        return IContains(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # instr() takes the words as they are: no LIKE wildcards to escape.
        return f"instr(casefold({lhs}), casefold(%s)) > 0", (*lhs_params, self.rhs)


CharField.register_lookup(FoldedContains)
TextField.register_lookup(FoldedContains)
