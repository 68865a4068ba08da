"""outbox notify trigger (PostgreSQL): wake delivery workers on new outbox rows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 13:30:00.000000

Every INSERT statement on ``outbox`` sends ``NOTIFY claimwatch_outbox`` (once per statement;
PostgreSQL folds identical notifications of one transaction into one and delivers them at
COMMIT). Workers LISTEN on it (bot/ledger/notify.py). Nothing on SQLite: one process there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION claimwatch_outbox_notify() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('claimwatch_outbox', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute(
        "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox "
        "FOR EACH STATEMENT EXECUTE FUNCTION claimwatch_outbox_notify()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP FUNCTION IF EXISTS claimwatch_outbox_notify()")
