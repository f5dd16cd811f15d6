"""Companion (after-session) forms can be switched off per vignette version.

Reviewed by hand: one boolean column, true for every existing version.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 04:02:40.223624

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('vignette_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('companion_forms', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade():
    with op.batch_alter_table('vignette_versions', schema=None) as batch_op:
        batch_op.drop_column('companion_forms')

