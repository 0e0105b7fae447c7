-- 0004_sensitive_gdpr: data that must be granted separately (schemas `sensitive` and `gdpr`).
-- `sensitive` holds GDPR Art. 9 special-category data (political opinions, religious beliefs,
-- ethnic origin), inferred/scored attributes and free-text notes, so a DBA can grant it to far
-- fewer roles than `core`. `gdpr` holds the consent-related flags NationBuilder had, recorded as
-- facts about the source with their provenance. They are never fresh consent: NationBuilder's
-- email_opt_in defaults to true, so these flags prove nothing on their own.
-- No roles are created here (a shared server may refuse); grant per schema, e.g.
--   GRANT USAGE ON SCHEMA sensitive TO dpo; GRANT SELECT ON ALL TABLES IN SCHEMA sensitive TO dpo;

CREATE SCHEMA sensitive;
COMMENT ON SCHEMA sensitive IS
    'GDPR Art. 9 special-category data (political opinions, party membership, religious beliefs, '
    'ethnic origin), inferred or scored attributes (Art. 22 profiling) and free-text notes about '
    'people. Grant separately and narrowly; raw.records and sync.rejects.body hold the same data '
    'verbatim and need the same restrictions.';

CREATE SCHEMA gdpr;
COMMENT ON SCHEMA gdpr IS
    'Consent and contact-preference facts as NationBuilder had them, with provenance. They are '
    'source facts, never fresh consent: re-consent or another lawful basis is needed before use. '
    'Personal data (not Art. 9); needed by whoever sends mail or calls.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE sensitive.person_attributes (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation           text        NOT NULL,
    source_id        text        NOT NULL,
    person_source_id text        NOT NULL,
    attribute        text        NOT NULL,
    category         text        NOT NULL
                                 CHECK (category IN ('political_opinion', 'religious_belief', 'ethnic_origin',
                                                     'inferred', 'free_text', 'other')),
    value            jsonb       NOT NULL,
    is_inferred      boolean     NOT NULL,
    run_id           bigint      REFERENCES sync.runs (id),
    raw_sha256       text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT person_attributes_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX person_attributes_person_idx ON sensitive.person_attributes (nation, person_source_id);
CREATE INDEX person_attributes_attribute_idx ON sensitive.person_attributes (nation, attribute);
COMMENT ON TABLE sensitive.person_attributes IS
    'One row per special-category, inferred or free-text person field that was non-empty at '
    'source (NB party, party_member, previous_party, support_level, inferred_party, '
    'inferred_support_level, religion, ethnicity, church, marital_status, priority_level, note, '
    '...). Kept out of core.people so it can be granted, encrypted or erased separately. '
    'Privacy: special category (GDPR Art. 9) or profiling.';
COMMENT ON COLUMN sensitive.person_attributes.id IS 'Internal row number.';
COMMENT ON COLUMN sensitive.person_attributes.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN sensitive.person_attributes.source_id IS 'Derived id ''<person id>:<attribute>'', e.g. ''42:religion''.';
COMMENT ON COLUMN sensitive.person_attributes.person_source_id IS 'NationBuilder id of the person (core.people.source_id). Not a foreign key.';
COMMENT ON COLUMN sensitive.person_attributes.attribute IS 'NationBuilder field name the value came from (''party'', ''support_level'', ''religion'', ''note'', ...; custom fields as their slug).';
COMMENT ON COLUMN sensitive.person_attributes.category IS 'Why the field is here: ''political_opinion'' | ''religious_belief'' | ''ethnic_origin'' (Art. 9) | ''inferred'' (scored/derived by NationBuilder or staff) | ''free_text'' (notes, may contain anything) | ''other''.';
COMMENT ON COLUMN sensitive.person_attributes.value IS 'The value exactly as received, as JSON (string, number, boolean or object; e.g. support_level 1-5 stays a number). Privacy: special category.';
COMMENT ON COLUMN sensitive.person_attributes.is_inferred IS 'True when the value was inferred or scored rather than stated by the person (NB inferred_party, inferred_support_level, priority_level, support_level set by staff).';
COMMENT ON COLUMN sensitive.person_attributes.run_id IS 'Provenance: run that wrote this row (sync.runs.id).';
COMMENT ON COLUMN sensitive.person_attributes.raw_sha256 IS 'Provenance: raw.records.sha256 of the person record this row was derived from.';
COMMENT ON COLUMN sensitive.person_attributes.loaded_at IS 'Provenance: when this row was last written.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE gdpr.consent_facts (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation               text        NOT NULL,
    source_id            text        NOT NULL,
    person_source_id     text        NOT NULL,
    flag                 text        NOT NULL
                                     CHECK (flag IN ('email_opt_in', 'mobile_opt_in', 'do_not_call',
                                                     'do_not_contact', 'federal_donotcall', 'unsubscribed_at')),
    value                jsonb,
    source_field         text,
    source_modified_date timestamptz,
    provenance           text        NOT NULL DEFAULT
        'NationBuilder flag at export; NOT evidence of consent (email_opt_in defaults to true)',
    run_id               bigint      REFERENCES sync.runs (id),
    raw_sha256           text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT consent_facts_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX consent_facts_person_idx ON gdpr.consent_facts (nation, person_source_id);
COMMENT ON TABLE gdpr.consent_facts IS
    'Consent-related flags of each person as NationBuilder held them at export: a source fact, '
    'never fresh consent. email_opt_in defaults to true in NationBuilder, so true proves nothing; '
    'use these rows to honour objections (do_not_contact, unsubscribed_at) and to plan '
    're-consent, not as a lawful basis. Privacy: personal.';
COMMENT ON COLUMN gdpr.consent_facts.id IS 'Internal row number.';
COMMENT ON COLUMN gdpr.consent_facts.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN gdpr.consent_facts.source_id IS 'Derived id ''<person id>:<flag>'', e.g. ''42:email_opt_in''.';
COMMENT ON COLUMN gdpr.consent_facts.person_source_id IS 'NationBuilder id of the person (core.people.source_id). Not a foreign key.';
COMMENT ON COLUMN gdpr.consent_facts.flag IS 'Which NationBuilder flag: ''email_opt_in'' | ''mobile_opt_in'' | ''do_not_call'' | ''do_not_contact'' | ''federal_donotcall'' (US registry) | ''unsubscribed_at''.';
COMMENT ON COLUMN gdpr.consent_facts.value IS 'The flag''s value exactly as received, as JSON (true/false, or a timestamp string for unsubscribed_at). JSON null: the source sent null. NULL: field absent from the record.';
COMMENT ON COLUMN gdpr.consent_facts.source_field IS 'Exact NationBuilder field name read (usually equal to flag; differs when v1 and v2 names differ).';
COMMENT ON COLUMN gdpr.consent_facts.source_modified_date IS 'NB updated_at of the person record carrying the flag: the latest moment the flag is known to have had this value. Not when consent was given.';
COMMENT ON COLUMN gdpr.consent_facts.provenance IS 'Where this fact comes from and what it does not prove; default: ''NationBuilder flag at export; NOT evidence of consent (email_opt_in defaults to true)''.';
COMMENT ON COLUMN gdpr.consent_facts.run_id IS 'Provenance: run that wrote this row (sync.runs.id).';
COMMENT ON COLUMN gdpr.consent_facts.raw_sha256 IS 'Provenance: raw.records.sha256 of the person record this row was derived from.';
COMMENT ON COLUMN gdpr.consent_facts.loaded_at IS 'Provenance: when this row was last written.';
