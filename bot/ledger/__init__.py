"""Storage: the claim ledger (SQLAlchemy Core; SQLite or PostgreSQL). The only package that
knows SQL; it raises LedgerError, never the driver's errors."""

from bot.ledger.store import Ledger

__all__ = ["Ledger"]
