"""Bulk loading without the ORM's per-row cost: ids handed out by us, rows streamed with COPY.

The district generator writes millions of rows (records, lessons, answers); ``bulk_create``
builds a model instance per row and an INSERT per batch, which is minutes too slow at that
size. :class:`Loader` keeps rows as plain tuples in each table's column order and writes them
with PostgreSQL's ``COPY … FROM STDIN`` (text format); on SQLite (the tests) it falls back to
``executemany``. Rows are built from the model's own fields — every column gets the field's
default unless the caller gives a value — so a field another app adds later with a default
is filled in without changes here.

Ids: the loader hands out primary keys itself (so a lesson's records can name it before it is
written), from the table's sequence on PostgreSQL (advanced past what it used at the end) or
``MAX(id) + 1`` on SQLite. It assumes nothing else inserts into those tables while it runs —
it is a generator for benchmarks, meant for a quiet database.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

from django.db import connection, models
from django.utils import timezone


def _text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time, int, float, Decimal)):
        return str(value)
    text = str(value)
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


class Table:
    """One table's columns, defaults and buffered rows."""

    def __init__(self, model):
        self.model = model
        self.name = model._meta.db_table
        self.fields = [f for f in model._meta.concrete_fields]
        self.columns = [f.column for f in self.fields]
        self.rows: list[tuple] = []
        self.next_id: int | None = None
        self.pk = model._meta.pk.column

    def defaults(self, now) -> dict:
        found = {}
        for f in self.fields:
            if f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                found[f.attname] = now
            elif f.has_default() and callable(f.default):
                found[f.attname] = f.default      # called per row (a fresh code, a time)
            elif f.has_default() or not f.null:
                found[f.attname] = f.get_default()
            else:
                found[f.attname] = None
        return found


class Loader:
    def __init__(self, batch: int = 50_000):
        self.pg = connection.vendor == "postgresql"
        self.tables: dict[type, Table] = {}
        self.batch = batch
        self.now = timezone.now()
        self._defaults: dict[type, dict] = {}
        self.written: dict[str, int] = {}

    def table(self, model) -> Table:
        found = self.tables.get(model)
        if found is None:
            found = self.tables[model] = Table(model)
        return found

    def new_id(self, model) -> int:
        table = self.table(model)
        if table.next_id is None:
            with connection.cursor() as cursor:
                if self.pg:
                    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))",
                                   [table.name, table.pk])
                else:
                    cursor.execute(f'SELECT COALESCE(MAX("{table.pk}"), 0) + 1 FROM '
                                   f'"{table.name}"')
                table.next_id = cursor.fetchone()[0]
        value = table.next_id
        table.next_id += 1
        return value

    def add(self, model, values: dict, *, with_id: bool = True) -> int | None:
        """Buffer one row; returns its id (handed out here unless ``values`` has one)."""
        table = self.table(model)
        defaults = self._defaults.get(model)
        if defaults is None:
            defaults = self._defaults[model] = table.defaults(self.now)
            table.callables = [k for k, v in defaults.items() if callable(v)]
            table.json = {f.attname for f in table.fields if isinstance(f, models.JSONField)}
            table.names = [f.attname for f in table.fields]
        row = dict(defaults)
        row.update(values)
        pk = None
        if with_id:
            pk = row.get("id") or self.new_id(model)
            row["id"] = pk
        for name in table.callables:
            if callable(row[name]):
                row[name] = row[name]()
        for name in table.json:
            if row[name] is not None:
                row[name] = json.dumps(row[name], ensure_ascii=False)
        table.rows.append(tuple(row[name] for name in table.names))
        if len(table.rows) >= self.batch:
            self.flush(model)
        return pk

    def flush(self, model=None) -> None:
        for table in ([self.table(model)] if model else list(self.tables.values())):
            if not table.rows:
                continue
            columns = ", ".join(f'"{c}"' for c in table.columns)
            with connection.cursor() as cursor:
                if self.pg:
                    buffer = io.StringIO()
                    for row in table.rows:
                        buffer.write("\t".join(_text(v) for v in row))
                        buffer.write("\n")
                    buffer.seek(0)
                    cursor.cursor.copy_expert(
                        f'COPY "{table.name}" ({columns}) FROM STDIN', buffer)
                else:
                    marks = ", ".join(["%s"] * len(table.columns))
                    cursor.executemany(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})',
                                       [tuple(self._sqlite(v) for v in row) for row in table.rows])
            self.written[table.name] = self.written.get(table.name, 0) + len(table.rows)
            table.rows = []

    @staticmethod
    def _sqlite(value):
        ops = connection.ops
        if isinstance(value, dt.datetime):
            return ops.adapt_datetimefield_value(value)
        if isinstance(value, dt.date):
            return ops.adapt_datefield_value(value)
        if isinstance(value, dt.time):
            return ops.adapt_timefield_value(value)
        if isinstance(value, Decimal):
            return str(value)
        return value

    def finish(self) -> None:
        """Write what is left; move each sequence past the ids handed out."""
        self.flush()
        if not self.pg:
            return
        with connection.cursor() as cursor:
            for table in self.tables.values():
                if table.next_id is not None:
                    cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s)",
                                   [table.name, table.pk, table.next_id - 1])


def analyze(models_) -> None:
    """Fresh planner statistics after a bulk load (autovacuum may be slow to notice)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')
