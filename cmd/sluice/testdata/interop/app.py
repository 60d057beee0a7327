"""A small Flask-SQLAlchemy app over the tables sluice imported, as the
sock market's app uses them. It imports the models.py `sluice models`
printed (from the folder on PYTHONPATH) and reads DATABASE_URL, in
SQLAlchemy's form. It prints one JSON object of what it found, which the
Go test (interop_test.go) compares exactly:

- knee_high: the seed's query, Sock.query.filter_by(style="knee-high")
  .order_by(Sock.name), each row's values as [Python type, text];
- stock_level: StockLevel by its composite key (AMS, SK-00010);
- or, with --every (importer/appmodels/testdata's jobs: every type, names
  Python would not take): every_types: EveryType's rows by key, and
  names: the one row of Class;
- reflected: db.reflect() of a second app with no models: each table and
  its primary key columns; automap: the classes SQLAlchemy's automap maps
  from that (a table without a primary key gets none), and how many rows
  each class of a job's table has through them;
- alembic: what autogenerate's comparison (compare_metadata, types
  compared) proposes for the models with their include_object hook, and
  alembic_without_hook: without it.
"""
import datetime
import json
import os
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
import sqlalchemy as sa
from sqlalchemy.ext.automap import automap_base

import models


def typed(v):
    """A value as [type name, text]; dates and times in ISO 8601, a zoned
    datetime in UTC (PostgreSQL gives it in the session's zone)."""
    if isinstance(v, datetime.datetime) and v.tzinfo is not None:
        v = v.astimezone(datetime.timezone.utc)
    text = v.isoformat() if hasattr(v, "isoformat") else str(v)
    return [type(v).__name__, text]


def row(obj):
    """An ORM object's column values in the model's column order."""
    return [typed(getattr(obj, a.key)) for a in sa.inspect(type(obj)).column_attrs]


def describe(diff):
    """One line for one of compare_metadata's proposed changes."""
    if isinstance(diff, list):  # the modify_* ops of one column
        return "; ".join(f"{d[0]} {d[2]}.{d[3]}: {d[-2]!r} -> {d[-1]!r}" for d in diff)
    op, obj = diff[0], diff[-1]
    return f"{op} {getattr(obj, 'name', obj)}"


def proposals(db, **opts):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, **opts})
        return sorted(describe(d) for d in compare_metadata(ctx, db.metadata))


url = os.environ["DATABASE_URL"]
report = {}

app = Flask("sockmarket")
app.config["SQLALCHEMY_DATABASE_URI"] = url
models.db.init_app(app)
with app.app_context():
    if sys.argv[1:] == ["--every"]:
        EveryType = models.EveryType
        report["every_types"] = [row(r) for r in EveryType.query.order_by(EveryType.code, EveryType.n)]
        report["names"] = row(models.Class.query.one())
    else:
        Sock, StockLevel = models.Sock, models.StockLevel
        report["knee_high"] = [row(s) for s in Sock.query.filter_by(style="knee-high").order_by(Sock.name)]
        report["stock_level"] = row(models.db.session.get(StockLevel, ("AMS", "SK-00010")))
    report["alembic"] = proposals(models.db, include_object=models.include_object)
    report["alembic_without_hook"] = proposals(models.db)

# A second app that declares nothing and reflects what is there.
plain = Flask("reflecting")
plain.config["SQLALCHEMY_DATABASE_URI"] = url
db = SQLAlchemy(plain)
with plain.app_context():
    db.reflect()
    report["reflected"] = {
        name: [c.name for c in t.primary_key.columns] for name, t in sorted(db.metadata.tables.items())
    }
    Base = automap_base(metadata=db.metadata)
    Base.prepare()
    report["automap"] = sorted(Base.classes.keys())
    report["automap_rows"] = {
        name: db.session.query(cls).count()
        for name, cls in Base.classes.items()
        if not name.startswith("sluice_")
    }

print(json.dumps(report, indent=1, sort_keys=True))
