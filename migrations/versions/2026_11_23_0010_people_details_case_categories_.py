"""people details, case categories, references, links, notes, events, second-report task

Revision ID: 0010
Revises: 0002
Create Date: 2026-11-23 11:33:21.925297

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # Trigram indexes serve case search (ILIKE '%...%'); pg_trgm is a trusted extension (PG 13+),
        # so the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('case_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_case_categories_area_id_areas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_case_categories_code'))
    )
    with op.batch_alter_table('case_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_categories_area_id'), ['area_id'], unique=False)
    categories = sa.table(
        'case_categories', sa.column('code', sa.String), sa.column('name', sa.String), sa.column('is_active', sa.Boolean)
    )
    # The three categories of the Home Office ASB guidance; areas add local ones through the admin pages.
    op.bulk_insert(categories, [
        {'code': 'personal', 'name': 'Personal', 'is_active': True},
        {'code': 'nuisance', 'name': 'Nuisance', 'is_active': True},
        {'code': 'environmental', 'name': 'Environmental', 'is_active': True},
    ])

    op.create_table('case_reference_counters',
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_sequence', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_case_reference_counters_area_id_areas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('area_id', 'year', name=op.f('pk_case_reference_counters'))
    )
    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('opened', 'closed', 'reopened', 'shared', 'unshared', 'owner_changed', 'linked', 'access_granted', 'restricted', 'unrestricted', name='caseeventkind', native_enum=False, create_constraint=True, length=22), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index('ix_case_events_case_created', ['case_id', 'created_at'], unique=False)

    op.create_table('case_links',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('linked_case_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_links_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_case_links_linked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['linked_case_id'], ['cases.id'], name=op.f('fk_case_links_linked_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'linked_case_id', name=op.f('pk_case_links'))
    )
    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_links_linked_case_id'), ['linked_case_id'], unique=False)

    op.create_table('case_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_notes_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_case_notes_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index('ix_case_notes_case_created', ['case_id', 'created_at'], unique=False)

    op.create_table('case_review_explanations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('first_report_on', sa.Date(), nullable=False),
    sa.Column('second_report_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('explained_on', sa.Date(), nullable=True),
    sa.Column('explained_by_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.Enum('in_person', 'phone', 'letter', 'email', 'other', name='explanationmethod', native_enum=False, create_constraint=True, length=17), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_review_explanations_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['explained_by_id'], ['users.id'], name=op.f('fk_case_review_explanations_explained_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_case_review_explanations_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_review_explanations')),
    sa.UniqueConstraint('case_id', 'person_id', 'first_report_on', name=op.f('uq_case_review_explanations_case_id_person_id_first_report_on'))
    )
    with op.batch_alter_table('case_review_explanations', schema=None) as batch_op:
        batch_op.create_index('ix_case_review_explanations_person', ['person_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_cases_location_trgm', ['location'], unique=False, postgresql_using='gin', postgresql_ops={'location': 'gin_trgm_ops'})
        batch_op.create_index('ix_cases_reference_trgm', ['reference'], unique=False, postgresql_using='gin', postgresql_ops={'reference': 'gin_trgm_ops'})
        batch_op.create_index('ix_cases_status_closed_on', ['status', 'closed_on'], unique=False)
        batch_op.create_index('ix_cases_summary_trgm', ['summary'], unique=False, postgresql_using='gin', postgresql_ops={'summary': 'gin_trgm_ops'})

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_complainant_person_id'))
        batch_op.create_index('ix_complaints_complainant_reported', ['complainant_person_id', 'reported_on'], unique=False)

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('normalised_address', sa.String(length=520), nullable=True))
        batch_op.add_column(sa.Column('is_personally_vulnerable', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('personal_vulnerability_notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('is_situationally_vulnerable', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('situational_vulnerability_notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('is_incidentally_vulnerable', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('incidental_vulnerability_notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('consent_given', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('consent_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('consent_scope', sa.String(length=500), nullable=True))
        batch_op.create_index('ix_people_date_of_birth', ['date_of_birth'], unique=False)
        batch_op.create_index('ix_people_normalised_address', ['normalised_address'], unique=False)
        batch_op.create_index('ix_people_normalised_name_pattern', ['normalised_name'], unique=False, postgresql_ops={'normalised_name': 'varchar_pattern_ops'})
        batch_op.create_index('ix_people_normalised_name_trgm', ['normalised_name'], unique=False, postgresql_using='gin', postgresql_ops={'normalised_name': 'gin_trgm_ops'})

    # ### end Alembic commands ###


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_normalised_name_trgm')
        batch_op.drop_index('ix_people_normalised_name_pattern')
        batch_op.drop_index('ix_people_normalised_address')
        batch_op.drop_index('ix_people_date_of_birth')
        batch_op.drop_column('consent_scope')
        batch_op.drop_column('consent_on')
        batch_op.drop_column('consent_given')
        batch_op.drop_column('incidental_vulnerability_notes')
        batch_op.drop_column('is_incidentally_vulnerable')
        batch_op.drop_column('situational_vulnerability_notes')
        batch_op.drop_column('is_situationally_vulnerable')
        batch_op.drop_column('personal_vulnerability_notes')
        batch_op.drop_column('is_personally_vulnerable')
        batch_op.drop_column('normalised_address')

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_complainant_reported')
        batch_op.create_index(batch_op.f('ix_complaints_complainant_person_id'), ['complainant_person_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_summary_trgm', postgresql_using='gin', postgresql_ops={'summary': 'gin_trgm_ops'})
        batch_op.drop_index('ix_cases_status_closed_on')
        batch_op.drop_index('ix_cases_reference_trgm', postgresql_using='gin', postgresql_ops={'reference': 'gin_trgm_ops'})
        batch_op.drop_index('ix_cases_location_trgm', postgresql_using='gin', postgresql_ops={'location': 'gin_trgm_ops'})
        batch_op.drop_column('anonymised_at')

    with op.batch_alter_table('case_review_explanations', schema=None) as batch_op:
        batch_op.drop_index('ix_case_review_explanations_person')

    op.drop_table('case_review_explanations')
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_case_notes_case_created')

    op.drop_table('case_notes')
    with op.batch_alter_table('case_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_links_linked_case_id'))

    op.drop_table('case_links')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_case_events_case_created')

    op.drop_table('case_events')
    op.drop_table('case_reference_counters')
    with op.batch_alter_table('case_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_categories_area_id'))

    op.drop_table('case_categories')
    # ### end Alembic commands ###
