"""Skill development: assignments, feedback releases, session notes, exemplars, consent;
retention dates on recordings.

Reviewed by hand.  The two new recordings columns rebuild that table on SQLite (batch
mode); env.py keeps foreign keys off meanwhile, so chunks, transcripts and ratings survive.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:21:13.148482

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vignette_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=True),
    sa.Column('cohort_id', sa.Integer(), nullable=True),
    sa.Column('time_point', sa.String(length=80), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(trainee_id IS NULL) <> (cohort_id IS NULL)', name=op.f('ck_assignments_trainee_or_cohort')),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_assignments_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assignments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trainee_id'], ['users.id'], name=op.f('fk_assignments_trainee_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vignette_id'], ['vignettes.id'], name=op.f('fk_assignments_vignette_id_vignettes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_trainee_id'), ['trainee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_vignette_id'), ['vignette_id'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('person_role', sa.String(length=16), nullable=False),
    sa.Column('exemplar_use', sa.Boolean(), nullable=False),
    sa.Column('research_use', sa.Boolean(), nullable=False),
    sa.Column('classifier_training', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['users.id'], name=op.f('fk_consents_person_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_consents_recording_id_recordings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents')),
    sa.UniqueConstraint('recording_id', 'person_role', name=op.f('uq_consents_recording_id_person_role'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_recording_id'), ['recording_id'], unique=False)

    op.create_table('exemplars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('start', sa.Double(), nullable=False),
    sa.Column('end', sa.Double(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('dimension', sa.String(length=80), nullable=True),
    sa.Column('tagged_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_exemplars_recording_id_recordings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tagged_by_id'], ['users.id'], name=op.f('fk_exemplars_tagged_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exemplars'))
    )
    with op.batch_alter_table('exemplars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exemplars_recording_id'), ['recording_id'], unique=False)

    op.create_table('feedback_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_feedback_releases_recording_id_recordings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['released_by_id'], ['users.id'], name=op.f('fk_feedback_releases_released_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_releases')),
    sa.UniqueConstraint('recording_id', name=op.f('uq_feedback_releases_recording_id'))
    )
    op.create_table('session_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('is_shared', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_session_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_session_notes_recording_id_recordings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_notes')),
    sa.UniqueConstraint('recording_id', 'kind', name=op.f('uq_session_notes_recording_id_kind'))
    )
    with op.batch_alter_table('session_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_notes_recording_id'), ['recording_id'], unique=False)

    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retain_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_recordings_retain_until'), ['retain_until'], unique=False)



def downgrade():
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_retain_until'))
        batch_op.drop_column('purged_at')
        batch_op.drop_column('retain_until')

    with op.batch_alter_table('session_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_notes_recording_id'))

    op.drop_table('session_notes')
    op.drop_table('feedback_releases')
    with op.batch_alter_table('exemplars', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exemplars_recording_id'))

    op.drop_table('exemplars')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_recording_id'))

    op.drop_table('consents')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_vignette_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_assignments_cohort_id'))

    op.drop_table('assignments')
