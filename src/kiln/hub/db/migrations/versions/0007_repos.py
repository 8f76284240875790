"""repos: repos of tags and requests for them

Revision ID: 0007
Revises: 0006

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("create_event", sa.Integer(), nullable=False),
        sa.Column("begin_event", sa.Integer(), nullable=True),
        sa.Column("end_event", sa.Integer(), nullable=True),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("dist", sa.Boolean(), nullable=False),
        sa.Column("opts", sa.Text(), nullable=False),
        sa.Column("custom_opts", sa.Text(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("creation_time", sa.Float(), nullable=False),
        sa.Column("state_time", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], name=op.f("fk_repo_tag_id_tag")),
        sa.ForeignKeyConstraint(["create_event"], ["events.id"], name=op.f("fk_repo_create_event_events")),
        sa.ForeignKeyConstraint(["begin_event"], ["events.id"], name=op.f("fk_repo_begin_event_events")),
        sa.ForeignKeyConstraint(["end_event"], ["events.id"], name=op.f("fk_repo_end_event_events")),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_repo_task_id_task")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repo")),
    )
    with op.batch_alter_table("repo", schema=None) as batch_op:
        batch_op.create_index("ix_repo_tag_state", ["tag_id", "state", "create_event"], unique=False)

    op.create_table(
        "repo_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("at_event", sa.Integer(), nullable=True),
        sa.Column("min_event", sa.Integer(), nullable=True),
        sa.Column("opts", sa.Text(), nullable=False),
        sa.Column("create_time", sa.Float(), nullable=False),
        sa.Column("update_time", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("repo_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["owner"], ["users.id"], name=op.f("fk_repo_queue_owner_users")),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], name=op.f("fk_repo_queue_tag_id_tag")),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_repo_queue_task_id_task")),
        sa.ForeignKeyConstraint(["repo_id"], ["repo.id"], name=op.f("fk_repo_queue_repo_id_repo")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repo_queue")),
    )
    with op.batch_alter_table("repo_queue", schema=None) as batch_op:
        batch_op.create_index("ix_repo_queue_tag_active", ["tag_id", "active"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("repo_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_repo_queue_tag_active")
    op.drop_table("repo_queue")
    with op.batch_alter_table("repo", schema=None) as batch_op:
        batch_op.drop_index("ix_repo_tag_state")
    op.drop_table("repo")
