"""The floor the HTTP benchmark measures the project against: a bare Flask app under the same
gunicorn settings.

- `GET /` — hello world: what Flask and gunicorn cost with no work at all.
- `POST /insert` — one INSERT of the request's JSON into the same database the project uses
  (its own table), committed, one connection per worker thread: the least a report can cost.

`gunicorn "bench.baseline_app:create_app()"` with `BENCH_DATABASE_URL` set.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading

import psycopg2
from flask import Flask, request

TABLE = "bench_baseline_insert"


def _connect(url: str):
    if url.startswith("sqlite:"):
        conn = sqlite3.connect(url.split("sqlite:///", 1)[1], timeout=10, isolation_level=None)
        conn.execute("PRAGMA journal_mode=wal")
        conn.execute("PRAGMA synchronous=normal")
        return conn, "?"
    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn, "%s"


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ.get("BENCH_DATABASE_URL", "")
    local = threading.local()

    def connection():
        if getattr(local, "conn", None) is None:
            local.conn, local.param = _connect(url)
        return local.conn, local.param

    @app.get("/")
    def hello():
        return "Hello, World!"

    @app.post("/insert")
    def insert():
        body = request.get_json()
        conn, p = connection()
        cur = conn.cursor()
        cur.execute(f"INSERT INTO {TABLE} (body) VALUES ({p})", (json.dumps(body),))
        return {"ok": True}, 201

    return app


def create_table(url: str) -> None:
    conn, _ = _connect(url)
    serial = "INTEGER PRIMARY KEY" if url.startswith("sqlite:") else "SERIAL PRIMARY KEY"
    conn.cursor().execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id {serial}, body TEXT)")
    conn.close()


def drop_table(url: str) -> None:
    conn, _ = _connect(url)
    conn.cursor().execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.close()
