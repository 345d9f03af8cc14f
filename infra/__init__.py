"""Infrastructure below the data model: nothing here imports `models` or `core`.

db (the database proxy, pools, prepared statements, the SQLite writer queue), wal (the WAL
checkpointer), timeutil (the clock, Asia/Shanghai), config (settings and their defaults),
errors (the API's error type), text (cleaning and parsing user text), jsonbody (strict JSON
bodies), codes (board and member codes), pgtools (PostgreSQL's client programs for backups).
"""
