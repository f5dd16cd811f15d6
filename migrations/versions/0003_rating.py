"""Blind rating: instrument versions, tasks, ratings, scores, evidence, final scores,
gold standards, companion forms; recordings get their opaque public code.

Reviewed by hand.  Adding recordings.public_code rebuilds the recordings table on SQLite
(batch mode); env.py keeps foreign keys off meanwhile, so chunks and transcripts survive.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:30:27.958521

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('instrument_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sa.String(length=80), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument_versions')),
    sa.UniqueConstraint('slug', 'version', name=op.f('uq_instrument_versions_slug_version'))
    )
    with op.batch_alter_table('instrument_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instrument_versions_slug'), ['slug'], unique=False)

    op.create_table('companion_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_companion_responses_recording_id_recordings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['respondent_id'], ['users.id'], name=op.f('fk_companion_responses_respondent_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_companion_responses')),
    sa.UniqueConstraint('recording_id', 'respondent_id', 'kind', name=op.f('uq_companion_responses_recording_id_respondent_id_kind'))
    )
    with op.batch_alter_table('companion_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_companion_responses_recording_id'), ['recording_id'], unique=False)

    op.create_table('final_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('instrument_version_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=80), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_final_scores_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['instrument_version_id'], ['instrument_versions.id'], name=op.f('fk_final_scores_instrument_version_id_instrument_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_final_scores_recording_id_recordings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_final_scores')),
    sa.UniqueConstraint('recording_id', 'instrument_version_id', 'dimension', name=op.f('uq_final_scores_recording_id_instrument_version_id_dimension'))
    )
    with op.batch_alter_table('final_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_final_scores_recording_id'), ['recording_id'], unique=False)

    op.create_table('gold_standards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('instrument_version_id', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('in_live_queue', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instrument_version_id'], ['instrument_versions.id'], name=op.f('fk_gold_standards_instrument_version_id_instrument_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_gold_standards_recording_id_recordings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_gold_standards_set_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gold_standards')),
    sa.UniqueConstraint('recording_id', 'instrument_version_id', name=op.f('uq_gold_standards_recording_id_instrument_version_id'))
    )
    with op.batch_alter_table('gold_standards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gold_standards_recording_id'), ['recording_id'], unique=False)

    op.create_table('rating_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('instrument_version_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sort_key', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recusal_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['instrument_version_id'], ['instrument_versions.id'], name=op.f('fk_rating_tasks_instrument_version_id_instrument_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['rater_id'], ['users.id'], name=op.f('fk_rating_tasks_rater_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_rating_tasks_recording_id_recordings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_tasks')),
    sa.UniqueConstraint('recording_id', 'rater_id', 'role', name=op.f('uq_rating_tasks_recording_id_rater_id_role'))
    )
    with op.batch_alter_table('rating_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_tasks_rater_id'), ['rater_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_tasks_recording_id'), ['recording_id'], unique=False)

    op.create_table('ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=True),
    sa.Column('change_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['rating_tasks.id'], name=op.f('fk_ratings_task_id_rating_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ratings')),
    sa.UniqueConstraint('task_id', 'version', name=op.f('uq_ratings_task_id_version'))
    )
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ratings_task_id'), ['task_id'], unique=False)

    op.create_table('evidence_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=80), nullable=False),
    sa.Column('transcript_version', sa.Integer(), nullable=False),
    sa.Column('segment_position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rating_id'], ['ratings.id'], name=op.f('fk_evidence_marks_rating_id_ratings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_marks')),
    sa.UniqueConstraint('rating_id', 'dimension', 'segment_position', name=op.f('uq_evidence_marks_rating_id_dimension_segment_position'))
    )
    with op.batch_alter_table('evidence_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_marks_rating_id'), ['rating_id'], unique=False)

    op.create_table('rating_scores',
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=80), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['rating_id'], ['ratings.id'], name=op.f('fk_rating_scores_rating_id_ratings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rating_id', 'dimension', name=op.f('pk_rating_scores'))
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_code', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_recordings_public_code'), ['public_code'])



def downgrade():
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_recordings_public_code'), type_='unique')
        batch_op.drop_column('public_code')

    op.drop_table('rating_scores')
    with op.batch_alter_table('evidence_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_marks_rating_id'))

    op.drop_table('evidence_marks')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ratings_task_id'))

    op.drop_table('ratings')
    with op.batch_alter_table('rating_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_tasks_recording_id'))
        batch_op.drop_index(batch_op.f('ix_rating_tasks_rater_id'))

    op.drop_table('rating_tasks')
    with op.batch_alter_table('gold_standards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gold_standards_recording_id'))

    op.drop_table('gold_standards')
    with op.batch_alter_table('final_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_final_scores_recording_id'))

    op.drop_table('final_scores')
    with op.batch_alter_table('companion_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_companion_responses_recording_id'))

    op.drop_table('companion_responses')
    with op.batch_alter_table('instrument_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instrument_versions_slug'))

    op.drop_table('instrument_versions')
