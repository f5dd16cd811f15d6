"""Recordings, their upload chunks, transcripts and segments.

Reviewed by hand: new tables only, no data to move.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:22:06.920759

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=False),
    sa.Column('vignette_version_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('storage_key', sa.String(length=32), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=True),
    sa.Column('original_format', sa.String(length=32), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('duration_seconds', sa.Double(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_chunk_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_recordings_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trainee_id'], ['users.id'], name=op.f('fk_recordings_trainee_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['vignette_version_id'], ['vignette_versions.id'], name=op.f('fk_recordings_vignette_version_id_vignette_versions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_recordings_storage_key'))
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recordings_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_trainee_id'), ['trainee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recordings_vignette_version_id'), ['vignette_version_id'], unique=False)

    op.create_table('recording_chunks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_recording_chunks_recording_id_recordings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recording_chunks')),
    sa.UniqueConstraint('recording_id', 'seq', name=op.f('uq_recording_chunks_recording_id_seq'))
    )
    with op.batch_alter_table('recording_chunks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recording_chunks_recording_id'), ['recording_id'], unique=False)

    op.create_table('transcripts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('model', sa.String(length=255), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_transcripts_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_transcripts_recording_id_recordings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcripts')),
    sa.UniqueConstraint('recording_id', 'version', name=op.f('uq_transcripts_recording_id_version'))
    )
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcripts_recording_id'), ['recording_id'], unique=False)

    op.create_table('transcript_segments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transcript_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('start', sa.Double(), nullable=False),
    sa.Column('end', sa.Double(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('speaker', sa.String(length=16), nullable=True),
    sa.Column('avg_logprob', sa.Double(), nullable=True),
    sa.Column('no_speech_prob', sa.Double(), nullable=True),
    sa.Column('words', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['transcript_id'], ['transcripts.id'], name=op.f('fk_transcript_segments_transcript_id_transcripts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcript_segments')),
    sa.UniqueConstraint('transcript_id', 'position', name=op.f('uq_transcript_segments_transcript_id_position'))
    )
    with op.batch_alter_table('transcript_segments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcript_segments_transcript_id'), ['transcript_id'], unique=False)



def downgrade():
    with op.batch_alter_table('transcript_segments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcript_segments_transcript_id'))

    op.drop_table('transcript_segments')
    with op.batch_alter_table('transcripts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcripts_recording_id'))

    op.drop_table('transcripts')
    with op.batch_alter_table('recording_chunks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recording_chunks_recording_id'))

    op.drop_table('recording_chunks')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_vignette_version_id'))
        batch_op.drop_index(batch_op.f('ix_recordings_trainee_id'))
        batch_op.drop_index(batch_op.f('ix_recordings_actor_id'))

    op.drop_table('recordings')
