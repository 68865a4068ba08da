"""item signatures and LSH bands (syndicated copies), index on items.cluster_id

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 12:49:37.692496
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index("ix_items_cluster_id", ["cluster_id"], unique=False)

    op.create_table(
        "item_bands",
        sa.Column("band_hash", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_bands_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("band_hash", "item_id", name=op.f("pk_item_bands")),
    )
    with op.batch_alter_table("item_bands", schema=None) as batch_op:
        batch_op.create_index("ix_item_bands_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_item_bands_item_id", ["item_id"], unique=False)

    op.create_table(
        "item_signatures",
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("minhash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_item_signatures_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_signatures")),
    )
    with op.batch_alter_table("item_signatures", schema=None) as batch_op:
        batch_op.create_index("ix_item_signatures_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_item_signatures_created_at")

    op.drop_table("item_signatures")
    with op.batch_alter_table("item_bands", schema=None) as batch_op:
        batch_op.drop_index("ix_item_bands_item_id")
        batch_op.drop_index("ix_item_bands_created_at")

    op.drop_table("item_bands")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_cluster_id")
