"""Indexes for a rater's paged queue and for the kept reports' rating fingerprint.

Reviewed by hand: two new indexes, no table changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 23:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_rating_tasks_queue', 'rating_tasks', ['status', 'rater_id', 'sort_key', 'id']
    )
    op.create_index('ix_ratings_status_submitted_at', 'ratings', ['status', 'submitted_at'])


def downgrade():
    op.drop_index('ix_ratings_status_submitted_at', table_name='ratings')
    op.drop_index('ix_rating_tasks_queue', table_name='rating_tasks')
