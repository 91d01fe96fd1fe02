"""Storage: the SQL models, engine and sessions, Alembic migrations, set-based bulk writes, SQL
helpers that work on SQLite and PostgreSQL alike, and the storage status counts.

May import: `connector.config` (settings) and `connector.errors`. Every other room builds on it;
it imports none of them.
"""
