"""Per-cohort switch for trainees' estimates, exemplar audio excerpts, consent recorded for
actors without an account.

Reviewed by hand.  ``cohorts`` and ``exemplars`` only gain a column (a plain ALTER TABLE,
even on SQLite).  ``consents`` gains a foreign key, so SQLite rebuilds that table (batch
mode); nothing references consents, and env.py keeps foreign keys off meanwhile anyway.
Every existing cohort starts with estimates hidden from its trainees, as before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 04:55:35.286939

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('show_estimates_to_trainees', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_consents_recorded_by_id_users'), 'users', ['recorded_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('exemplars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audio_key', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('exemplars', schema=None) as batch_op:
        batch_op.drop_column('audio_key')

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consents_recorded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('recorded_by_id')
        batch_op.drop_column('person_name')

    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_column('show_estimates_to_trainees')
