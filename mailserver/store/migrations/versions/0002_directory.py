"""directory: practitioners, activities and mailboxes, with their full-text index

Revision ID: 0002
Revises: 0001

SQLite: an FTS5 external-content table over dir_entry.search_text, kept in step by triggers.
PostgreSQL: a GIN index on to_tsvector('simple', search_text); prefix ranges on the
normalised columns use the "C" collation so a b-tree index serves them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# frozen copies of directory.schema's DDL (a migration must not change when the code does)
_SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS dir_entry_fts USING fts5("
    "search_text, content='dir_entry', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER IF NOT EXISTS dir_entry_fts_ai AFTER INSERT ON dir_entry BEGIN "
    "INSERT INTO dir_entry_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS dir_entry_fts_ad AFTER DELETE ON dir_entry BEGIN "
    "INSERT INTO dir_entry_fts(dir_entry_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS dir_entry_fts_au AFTER UPDATE OF search_text ON dir_entry "
    "BEGIN INSERT INTO dir_entry_fts(dir_entry_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO dir_entry_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
)
_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS dir_entry_fts_au",
    "DROP TRIGGER IF EXISTS dir_entry_fts_ad",
    "DROP TRIGGER IF EXISTS dir_entry_fts_ai",
    "DROP TABLE IF EXISTS dir_entry_fts",
)
_POSTGRES_DDL = (
    "CREATE INDEX IF NOT EXISTS ix_dir_entry_fts ON dir_entry "
    "USING gin (to_tsvector('simple'::regconfig, search_text))",
)
_POSTGRES_DROP = ("DROP INDEX IF EXISTS ix_dir_entry_fts",)


def _install_search_index() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_DDL if sqlite else _POSTGRES_DDL:
        op.execute(statement)


def _drop_search_index() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_DROP if sqlite else _POSTGRES_DROP:
        op.execute(statement)


def upgrade() -> None:
    op.create_table('dir_entry',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('entry_key', sa.String(length=340), nullable=False),
    sa.Column('entry_type', sa.String(length=1), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('row_hash', sa.String(length=32), nullable=False),
    sa.Column('national_id', sa.String(length=20), nullable=False),
    sa.Column('id_type', sa.String(length=2), nullable=False),
    sa.Column('pp_id', sa.String(length=20), nullable=False),
    sa.Column('civility', sa.String(length=60), nullable=False),
    sa.Column('family', sa.String(length=200), nullable=False),
    sa.Column('given', sa.String(length=200), nullable=False),
    sa.Column('display_name', sa.String(length=300), nullable=False),
    sa.Column('profession_code', sa.String(length=10), nullable=False),
    sa.Column('profession_label', sa.String(length=120), nullable=False),
    sa.Column('category_code', sa.String(length=10), nullable=False),
    sa.Column('category_label', sa.String(length=120), nullable=False),
    sa.Column('specialty_type', sa.String(length=10), nullable=False),
    sa.Column('specialty_code', sa.String(length=20), nullable=False),
    sa.Column('specialty_label', sa.String(length=200), nullable=False),
    sa.Column('practice_mode_code', sa.String(length=10), nullable=False),
    sa.Column('practice_mode', sa.String(length=60), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=False),
    sa.Column('finess', sa.String(length=20), nullable=False),
    sa.Column('finess_ej', sa.String(length=20), nullable=False),
    sa.Column('siret', sa.String(length=20), nullable=False),
    sa.Column('siren', sa.String(length=20), nullable=False),
    sa.Column('org_name', sa.String(length=300), nullable=False),
    sa.Column('trade_name', sa.String(length=300), nullable=False),
    sa.Column('sector_code', sa.String(length=10), nullable=False),
    sa.Column('sector_label', sa.String(length=200), nullable=False),
    sa.Column('address_line', sa.String(length=400), nullable=False),
    sa.Column('postcode', sa.String(length=10), nullable=False),
    sa.Column('city_code', sa.String(length=10), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('department', sa.String(length=3), nullable=False),
    sa.Column('country', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('mailbox_kind', sa.String(length=3), nullable=False),
    sa.Column('service', sa.String(length=300), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('dematerialisation', sa.Boolean(), nullable=True),
    sa.Column('liste_rouge', sa.Boolean(), nullable=False),
    sa.Column('family_norm', sa.String(length=200).with_variant(sa.String(length=200, collation='C'), 'postgresql'), nullable=False),
    sa.Column('given_norm', sa.String(length=200).with_variant(sa.String(length=200, collation='C'), 'postgresql'), nullable=False),
    sa.Column('org_norm', sa.String(length=300).with_variant(sa.String(length=300, collation='C'), 'postgresql'), nullable=False),
    sa.Column('sort_key', sa.String(length=500).with_variant(sa.String(length=500, collation='C'), 'postgresql'), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entry_key')
    )
    with op.batch_alter_table('dir_entry', schema=None) as batch_op:
        batch_op.create_index('ix_dir_entry_dept', ['department', 'sort_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_entry_family_norm'), ['family_norm'], unique=False)
        batch_op.create_index('ix_dir_entry_kind', ['mailbox_kind', 'sort_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_entry_national_id'), ['national_id'], unique=False)
        batch_op.create_index('ix_dir_entry_org', ['org_id'], unique=False)
        batch_op.create_index('ix_dir_entry_postcode', ['postcode', 'sort_key'], unique=False)
        batch_op.create_index('ix_dir_entry_prof_dept', ['profession_code', 'department', 'sort_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_dir_entry_sort_key'), ['sort_key'], unique=False)
        batch_op.create_index('ix_dir_entry_spec_dept', ['specialty_code', 'department', 'sort_key'], unique=False)

    op.create_table('dir_practitioner',
    sa.Column('national_id', sa.String(length=20), nullable=False),
    sa.Column('id_type', sa.String(length=2), nullable=False),
    sa.Column('pp_id', sa.String(length=20), nullable=False),
    sa.Column('civility_code', sa.String(length=10), nullable=False),
    sa.Column('civility', sa.String(length=60), nullable=False),
    sa.Column('practice_civility_code', sa.String(length=10), nullable=False),
    sa.Column('practice_civility', sa.String(length=60), nullable=False),
    sa.Column('family', sa.String(length=200), nullable=False),
    sa.Column('given', sa.String(length=200), nullable=False),
    sa.Column('row_hash', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('national_id')
    )
    _install_search_index()


def downgrade() -> None:
    _drop_search_index()
    op.drop_table('dir_practitioner')
    with op.batch_alter_table('dir_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_dir_entry_spec_dept')
        batch_op.drop_index(batch_op.f('ix_dir_entry_sort_key'))
        batch_op.drop_index('ix_dir_entry_prof_dept')
        batch_op.drop_index('ix_dir_entry_postcode')
        batch_op.drop_index('ix_dir_entry_org')
        batch_op.drop_index(batch_op.f('ix_dir_entry_national_id'))
        batch_op.drop_index('ix_dir_entry_kind')
        batch_op.drop_index(batch_op.f('ix_dir_entry_family_norm'))
        batch_op.drop_index('ix_dir_entry_dept')

    op.drop_table('dir_entry')
