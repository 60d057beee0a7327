"""Import each generated models.py given as DIALECT=PATH, the way an app
does, and print what SQLAlchemy makes of it: each mapped class with its
table and primary key, and each column as CREATE TABLE would make it on the
models' own database (compiled, not run); then create the tables in an
in-memory SQLite database, as an app's tests would."""
import importlib.util
import sys

from flask import Flask
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import CreateTable

DIALECTS = {"sqlite": sqlite.dialect(), "postgres": postgresql.dialect(), "mysql": mysql.dialect()}

for arg in sys.argv[1:]:
    name, path = arg.split("=", 1)
    spec = importlib.util.spec_from_file_location("models_" + name, path)
    models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(models)
    app = Flask(name)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    models.db.init_app(app)
    with app.app_context():
        models.db.create_all()
        for mapper in sorted(models.db.Model.registry.mappers, key=lambda m: m.class_.__name__):
            table = mapper.local_table
            pk = ", ".join(c.name for c in table.primary_key.columns)
            print(f"{name}: {mapper.class_.__name__} {table.name} ({pk})")
            ddl = CreateTable(table).compile(dialect=DIALECTS[name])
            for col in table.columns:
                null = "" if col.nullable else " NOT NULL"
                print(f"{name}:   {col.name} {col.type.compile(dialect=DIALECTS[name])}{null}")
            assert str(ddl).startswith("\nCREATE TABLE")
        print(f"{name}: sqlite tables {', '.join(sorted(sa.inspect(models.db.engine).get_table_names()))}")
