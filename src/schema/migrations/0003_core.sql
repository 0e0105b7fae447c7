-- 0003_core: the OSDI-shaped working tables (schema `core`).
-- People and their contact points, tags, taggings and donations, named after the Open Supporter
-- Data Interface (OSDI) where SQL allows (OSDI `primary` becomes `is_primary`). Every row carries
-- the nation and the NationBuilder id (`source_id`, unique per nation) plus provenance: the run
-- that wrote it and the SHA-256 of the raw record it was derived from. No foreign keys between
-- streams, so people, tags, taggings and donations can load in any order; dangling references
-- are reported by the verify step instead. Special-category (Art. 9) and inferred data is NOT
-- here: see 0004 (schemas `sensitive` and `gdpr`).

CREATE SCHEMA core;
COMMENT ON SCHEMA core IS
    'OSDI-shaped supporter data: people, email addresses, phone numbers, postal addresses, tags, '
    'taggings, donations. Personal data (GDPR Art. 6), but no Art. 9 special-category or inferred '
    'attributes (those are in schema sensitive) and no consent (schema gdpr). Note that being on a '
    'party''s supporter list can itself reveal a political opinion. Privacy classes used in column '
    'comments: operational, personal, contact, financial.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE core.people (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation             text        NOT NULL,
    source_id          text        NOT NULL,
    given_name         text,
    family_name        text,
    additional_name    text,
    honorific_prefix   text,
    honorific_suffix   text,
    gender             text,
    birthdate          date,
    employer           text,
    occupation         text,
    preferred_language text,
    locale             text,
    party_kind         text        CHECK (party_kind IN ('person', 'organization')),
    is_volunteer       boolean,
    is_deceased        boolean,
    external_ids       jsonb       DEFAULT '{}'::jsonb
                                   CHECK (jsonb_typeof(external_ids) = 'object'),
    custom_fields      jsonb       NOT NULL DEFAULT '{}'::jsonb
                                   CHECK (jsonb_typeof(custom_fields) = 'object'),
    created_date       timestamptz,
    modified_date      timestamptz,
    source_api         text        CHECK (source_api IN ('v1', 'v2')),
    run_id             bigint      REFERENCES sync.runs (id),
    raw_sha256         text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT people_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.people IS
    'OSDI person: one row per NationBuilder person (v1 people, v2 signups), including '
    'organisations (party_kind). Contact points are in the child tables, keyed by '
    'person_source_id = this source_id. Privacy: personal.';
COMMENT ON COLUMN core.people.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.people.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.people.source_id IS 'NationBuilder person id (v1 id / v2 signup id) as text. OSDI identifier nationbuilder:<source_id>.';
COMMENT ON COLUMN core.people.given_name IS 'OSDI given_name. NB first_name. Privacy: personal. NULL: empty at source.';
COMMENT ON COLUMN core.people.family_name IS 'OSDI family_name. NB last_name. Privacy: personal. NULL: empty at source.';
COMMENT ON COLUMN core.people.additional_name IS 'OSDI additional_name (middle name). NB middle_name. Privacy: personal. NULL: empty at source.';
COMMENT ON COLUMN core.people.honorific_prefix IS 'OSDI honorific_prefix. NB prefix (e.g. ''Dr''). Privacy: personal. NULL: empty at source.';
COMMENT ON COLUMN core.people.honorific_suffix IS 'OSDI honorific_suffix. NB suffix (e.g. ''Jr''). Privacy: personal. NULL: empty at source.';
COMMENT ON COLUMN core.people.gender IS 'OSDI gender. NB sex, kept as received (''M'', ''F'', ''O''); not normalised to OSDI''s Male/Female/Other. Privacy: personal. NULL: not recorded.';
COMMENT ON COLUMN core.people.birthdate IS 'OSDI birthdate (full date). NB birthdate (v1) / born_at (v2). Privacy: personal. NULL: not recorded or not a valid date (then see sync.rejects).';
COMMENT ON COLUMN core.people.employer IS 'OSDI employer. NB employer. Privacy: personal. NULL: empty at source.';
COMMENT ON COLUMN core.people.occupation IS 'Occupation (OSDI work_title is the closest). NB occupation. Privacy: personal. NULL: empty at source.';
COMMENT ON COLUMN core.people.preferred_language IS 'OSDI preferred_language. NB language, as received (usually an ISO 639-1 code). Privacy: personal. NULL: not recorded.';
COMMENT ON COLUMN core.people.locale IS 'NB locale (user-interface locale, e.g. ''en-US''); no OSDI equivalent. Privacy: personal. NULL: not recorded.';
COMMENT ON COLUMN core.people.party_kind IS '''person'' or ''organization''. NB signup_type 0 / 1. Not a political party: a legal-party kind. NULL: not reported.';
COMMENT ON COLUMN core.people.is_volunteer IS 'NB is_volunteer flag as received. Privacy: personal. NULL: not reported.';
COMMENT ON COLUMN core.people.is_deceased IS 'NB is_deceased flag as received (OSDI has no field; used to suppress contact). Privacy: personal. NULL: not reported.';
COMMENT ON COLUMN core.people.external_ids IS 'Other systems'' ids for this person as a JSON object of text values, only those set at source: civicrm_id, ngp_id, van_id, salesforce_id, rnc_id, rnc_regid, dw_id, state_file_id, county_file_id, external_id, nbec_guid, ... Privacy: personal (pseudonymous identifiers).';
COMMENT ON COLUMN core.people.custom_fields IS 'OSDI custom_fields: nation-defined person fields (NB custom fields / v2 custom_values) as a JSON object keyed by field slug. Never holds Art. 9 data (routed to sensitive.person_attributes). Privacy: personal. Empty object: none.';
COMMENT ON COLUMN core.people.created_date IS 'OSDI created_date. NB created_at (when the person was created in NationBuilder, not here).';
COMMENT ON COLUMN core.people.modified_date IS 'OSDI modified_date. NB updated_at at export time.';
COMMENT ON COLUMN core.people.source_api IS 'API generation the row was mapped from: ''v1'' or ''v2''.';
COMMENT ON COLUMN core.people.run_id IS 'Provenance: run that wrote this row (sync.runs.id).';
COMMENT ON COLUMN core.people.raw_sha256 IS 'Provenance: raw.records.sha256 of the source record this row was derived from (lower-case hex).';
COMMENT ON COLUMN core.people.loaded_at IS 'Provenance: when this row was last written.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE core.email_addresses (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation           text        NOT NULL,
    source_id        text        NOT NULL,
    person_source_id text        NOT NULL,
    address          text,
    address_raw      text,
    is_primary       boolean     NOT NULL,
    is_bad           boolean,
    source_slot      text        CHECK (source_slot IN ('email', 'email1', 'email2', 'email3', 'email4')),
    is_valid         boolean,
    run_id           bigint      REFERENCES sync.runs (id),
    raw_sha256       text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT email_addresses_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX email_addresses_person_idx ON core.email_addresses (nation, person_source_id);
CREATE INDEX email_addresses_address_idx ON core.email_addresses (nation, address);
CREATE UNIQUE INDEX email_addresses_one_primary_idx
    ON core.email_addresses (nation, person_source_id) WHERE is_primary;
COMMENT ON TABLE core.email_addresses IS
    'OSDI email_addresses: one row per non-empty NationBuilder email slot of a person (email, '
    'email1..email4). At most one primary per person (partial unique index). The same address may '
    'belong to several people; that is reported, not prevented. Privacy: contact.';
COMMENT ON COLUMN core.email_addresses.id IS 'Internal row number.';
COMMENT ON COLUMN core.email_addresses.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN core.email_addresses.source_id IS 'Derived id ''<person id>:<slot>'', e.g. ''42:email2''; NationBuilder has no id for an email.';
COMMENT ON COLUMN core.email_addresses.person_source_id IS 'NationBuilder id of the person (core.people.source_id). Not a foreign key: load order does not matter.';
COMMENT ON COLUMN core.email_addresses.address IS 'OSDI address: the email address trimmed and lower-cased, for matching. Privacy: contact. NULL: nothing left after trimming.';
COMMENT ON COLUMN core.email_addresses.address_raw IS 'The address exactly as received from NB email/emailN. Privacy: contact.';
COMMENT ON COLUMN core.email_addresses.is_primary IS 'OSDI primary. True for NB email (or the emails[] entry with is_primary / primary_email_id).';
COMMENT ON COLUMN core.email_addresses.is_bad IS 'NB emailN_is_bad (bounced or marked bad). NULL: not reported for this slot.';
COMMENT ON COLUMN core.email_addresses.source_slot IS 'NationBuilder field it came from: ''email'' (primary) or ''email1''..''email4''.';
COMMENT ON COLUMN core.email_addresses.is_valid IS 'Whether address looks syntactically like an email address (local@domain.tld), checked by nb-exodus; false rows are kept, not dropped.';
COMMENT ON COLUMN core.email_addresses.run_id IS 'Provenance: run that wrote this row (sync.runs.id).';
COMMENT ON COLUMN core.email_addresses.raw_sha256 IS 'Provenance: raw.records.sha256 of the person record this row was derived from.';
COMMENT ON COLUMN core.email_addresses.loaded_at IS 'Provenance: when this row was last written.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE core.phone_numbers (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation           text        NOT NULL,
    source_id        text        NOT NULL,
    person_source_id text        NOT NULL,
    number           text        CHECK (number ~ '^\+[1-9][0-9]{1,14}$'),
    number_raw       text,
    number_type      text        CHECK (number_type IN ('mobile', 'phone', 'work', 'fax')),
    is_primary       boolean     NOT NULL DEFAULT false,
    run_id           bigint      REFERENCES sync.runs (id),
    raw_sha256       text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT phone_numbers_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX phone_numbers_person_idx ON core.phone_numbers (nation, person_source_id);
CREATE INDEX phone_numbers_number_idx ON core.phone_numbers (nation, number);
COMMENT ON TABLE core.phone_numbers IS
    'OSDI phone_numbers: one row per non-empty NationBuilder phone field of a person (mobile, '
    'phone, work_phone_number, fax_number). Opt-in and do-not-call flags are in gdpr.consent_facts. '
    'Privacy: contact.';
COMMENT ON COLUMN core.phone_numbers.id IS 'Internal row number.';
COMMENT ON COLUMN core.phone_numbers.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN core.phone_numbers.source_id IS 'Derived id ''<person id>:<number_type>'', e.g. ''42:mobile''.';
COMMENT ON COLUMN core.phone_numbers.person_source_id IS 'NationBuilder id of the person (core.people.source_id). Not a foreign key.';
COMMENT ON COLUMN core.phone_numbers.number IS 'OSDI number in E.164 form (''+'' and up to 15 digits). Privacy: contact. NULL: number_raw could not be normalised.';
COMMENT ON COLUMN core.phone_numbers.number_raw IS 'The number exactly as received (NB mobile/mobile_number, phone/phone_number, work_phone_number, fax_number). Privacy: contact.';
COMMENT ON COLUMN core.phone_numbers.number_type IS 'OSDI number_type: ''mobile'' (NB mobile), ''phone'' (NB phone), ''work'' (NB work_phone_number), ''fax'' (NB fax_number).';
COMMENT ON COLUMN core.phone_numbers.is_primary IS 'OSDI primary: the number to use first for this person.';
COMMENT ON COLUMN core.phone_numbers.run_id IS 'Provenance: run that wrote this row (sync.runs.id).';
COMMENT ON COLUMN core.phone_numbers.raw_sha256 IS 'Provenance: raw.records.sha256 of the person record this row was derived from.';
COMMENT ON COLUMN core.phone_numbers.loaded_at IS 'Provenance: when this row was last written.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE core.postal_addresses (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation           text        NOT NULL,
    source_id        text        NOT NULL,
    person_source_id text        NOT NULL,
    address_type     text        CHECK (address_type IN ('primary', 'home', 'work', 'mailing',
                                                         'billing', 'registered', 'user_submitted')),
    is_primary       boolean     NOT NULL DEFAULT false,
    address_lines    text[],
    locality         text,
    region           text,
    postal_code      text,
    country          char(2)     CHECK (country ~ '^[A-Z]{2}$'),
    county           text,
    latitude         double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude        double precision CHECK (longitude BETWEEN -180 AND 180),
    run_id           bigint      REFERENCES sync.runs (id),
    raw_sha256       text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT postal_addresses_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX postal_addresses_person_idx ON core.postal_addresses (nation, person_source_id);
COMMENT ON TABLE core.postal_addresses IS
    'OSDI postal_addresses: one row per non-empty NationBuilder address object of a person '
    '(primary_address, home_address, work_address, mailing_address, billing_address, '
    'registered_address, user_submitted_address). Privacy: contact (coordinates locate a home).';
COMMENT ON COLUMN core.postal_addresses.id IS 'Internal row number.';
COMMENT ON COLUMN core.postal_addresses.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN core.postal_addresses.source_id IS 'Derived id ''<person id>:<address_type>_address'', e.g. ''42:home_address''.';
COMMENT ON COLUMN core.postal_addresses.person_source_id IS 'NationBuilder id of the person (core.people.source_id). Not a foreign key.';
COMMENT ON COLUMN core.postal_addresses.address_type IS 'OSDI address_type, from the NB field name: ''primary'' | ''home'' | ''work'' | ''mailing'' | ''billing'' | ''registered'' | ''user_submitted''.';
COMMENT ON COLUMN core.postal_addresses.is_primary IS 'OSDI primary: true for NB primary_address.';
COMMENT ON COLUMN core.postal_addresses.address_lines IS 'OSDI address_lines: NB address1, address2, address3 in order, empty lines omitted. Privacy: contact.';
COMMENT ON COLUMN core.postal_addresses.locality IS 'OSDI locality. NB city. Privacy: contact. NULL: empty at source.';
COMMENT ON COLUMN core.postal_addresses.region IS 'OSDI region. NB state (state/province/region code as received). NULL: empty at source.';
COMMENT ON COLUMN core.postal_addresses.postal_code IS 'OSDI postal_code. NB zip, as received. Privacy: contact. NULL: empty at source.';
COMMENT ON COLUMN core.postal_addresses.country IS 'OSDI country: ISO 3166-1 alpha-2, upper case. NB country_code. NULL: missing or not a valid code.';
COMMENT ON COLUMN core.postal_addresses.county IS 'NB county (no OSDI equivalent). NULL: empty at source.';
COMMENT ON COLUMN core.postal_addresses.latitude IS 'OSDI location.latitude in decimal degrees (WGS 84). NB lat. Privacy: contact. NULL: not geocoded.';
COMMENT ON COLUMN core.postal_addresses.longitude IS 'OSDI location.longitude in decimal degrees (WGS 84). NB lng. Privacy: contact. NULL: not geocoded.';
COMMENT ON COLUMN core.postal_addresses.run_id IS 'Provenance: run that wrote this row (sync.runs.id).';
COMMENT ON COLUMN core.postal_addresses.raw_sha256 IS 'Provenance: raw.records.sha256 of the person record this row was derived from.';
COMMENT ON COLUMN core.postal_addresses.loaded_at IS 'Provenance: when this row was last written.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE core.tags (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                  text        NOT NULL,
    source_id               text        NOT NULL,
    name                    text        NOT NULL,
    taggings_count_reported integer,
    run_id                  bigint      REFERENCES sync.runs (id),
    raw_sha256              text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tags_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX tags_name_idx ON core.tags (nation, name);
COMMENT ON TABLE core.tags IS
    'OSDI tags: the nation''s tags (v1 /tags, v2 signup_tags). Tag names can themselves reveal '
    'opinions (e.g. ''member'', ''donor-faith-group''); review before wide grants. Privacy: operational.';
COMMENT ON COLUMN core.tags.id IS 'Internal row number.';
COMMENT ON COLUMN core.tags.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN core.tags.source_id IS 'NationBuilder tag id (v2 signup_tag id); v1 tags have no id, so the tag name is used.';
COMMENT ON COLUMN core.tags.name IS 'OSDI name. NB name, as received (case and spaces preserved).';
COMMENT ON COLUMN core.tags.taggings_count_reported IS 'NB taggings_count: number of people tagged, as reported by the API (may lag); compare with core.taggings. NULL: not reported.';
COMMENT ON COLUMN core.tags.run_id IS 'Provenance: run that wrote this row (sync.runs.id).';
COMMENT ON COLUMN core.tags.raw_sha256 IS 'Provenance: raw.records.sha256 of the tag record this row was derived from.';
COMMENT ON COLUMN core.tags.loaded_at IS 'Provenance: when this row was last written.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE core.taggings (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation           text        NOT NULL,
    source_id        text        NOT NULL,
    person_source_id text        NOT NULL,
    tag_source_id    text        NOT NULL,
    tag_name         text,
    created_date     timestamptz,
    run_id           bigint      REFERENCES sync.runs (id),
    raw_sha256       text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT taggings_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX taggings_person_idx ON core.taggings (nation, person_source_id);
CREATE INDEX taggings_tag_idx ON core.taggings (nation, tag_source_id);
COMMENT ON TABLE core.taggings IS
    'OSDI taggings: which person carries which tag (v1 person tags / v2 signup_taggings). No '
    'foreign keys to people or tags so streams can load in any order; dangling references are a '
    'verify finding. Privacy: personal.';
COMMENT ON COLUMN core.taggings.id IS 'Internal row number.';
COMMENT ON COLUMN core.taggings.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN core.taggings.source_id IS 'NationBuilder tagging id (v2 signup_tagging id); for v1, which has none, ''<person id>:<tag name>''.';
COMMENT ON COLUMN core.taggings.person_source_id IS 'NationBuilder id of the tagged person (core.people.source_id). NB person_id / signup_id.';
COMMENT ON COLUMN core.taggings.tag_source_id IS 'NationBuilder id of the tag (core.tags.source_id; the tag name for v1). NB tag_id / tag.';
COMMENT ON COLUMN core.taggings.tag_name IS 'Tag name at export time, denormalised for convenience. NULL: not in the source record.';
COMMENT ON COLUMN core.taggings.created_date IS 'OSDI created_date: when the tag was applied. NB created_at (v2 only). NULL: not reported (v1).';
COMMENT ON COLUMN core.taggings.run_id IS 'Provenance: run that wrote this row (sync.runs.id).';
COMMENT ON COLUMN core.taggings.raw_sha256 IS 'Provenance: raw.records.sha256 of the record this row was derived from.';
COMMENT ON COLUMN core.taggings.loaded_at IS 'Provenance: when this row was last written.';

-- ---------------------------------------------------------------------------------------------
CREATE TABLE core.donations (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation            text        NOT NULL,
    source_id         text        NOT NULL,
    person_source_id  text,
    amount_minor      bigint      NOT NULL,
    currency          char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status            text        CHECK (status IN ('succeeded', 'failed', 'canceled', 'pending')),
    succeeded_at      timestamptz,
    failed_at         timestamptz,
    canceled_at       timestamptz,
    created_date      timestamptz,
    modified_date     timestamptz,
    payment_method    text,
    check_number      text,
    tracking_code     text,
    is_private        boolean,
    is_corporate      boolean,
    donor_given_name  text,
    donor_family_name text,
    donor_email       text,
    donor_employer    text,
    donor_occupation  text,
    note              text,
    custom_fields     jsonb       NOT NULL DEFAULT '{}'::jsonb
                                  CHECK (jsonb_typeof(custom_fields) = 'object'),
    run_id            bigint      REFERENCES sync.runs (id),
    raw_sha256        text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT donations_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX donations_person_idx ON core.donations (nation, person_source_id);
COMMENT ON TABLE core.donations IS
    'OSDI donations: one row per NationBuilder donation, whatever its status. Donor name, email, '
    'employer and occupation are the snapshot taken at donation time (campaign-finance records), '
    'not the person''s current data. Privacy: financial.';
COMMENT ON COLUMN core.donations.id IS 'Internal row number.';
COMMENT ON COLUMN core.donations.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN core.donations.source_id IS 'NationBuilder donation id as text.';
COMMENT ON COLUMN core.donations.person_source_id IS 'NationBuilder id of the donor (NB donor_id / signup_id). NULL: no donor on the donation. An id with no core.people row is kept as-is (donor deleted at source).';
COMMENT ON COLUMN core.donations.amount_minor IS 'OSDI amount, in minor units of currency (cents). NB amount_in_cents. Privacy: financial.';
COMMENT ON COLUMN core.donations.currency IS 'ISO 4217 code, upper case (e.g. ''EUR''). NB does not send it per donation: the nation''s currency, set at export.';
COMMENT ON COLUMN core.donations.status IS '''succeeded'' | ''failed'' | ''canceled'' | ''pending''. NB v2 status, or for v1 derived from succeeded_at/failed_at/canceled_at. NULL: could not be determined.';
COMMENT ON COLUMN core.donations.succeeded_at IS 'NB succeeded_at: when the payment succeeded (OSDI action_date for successful donations). NULL: did not succeed.';
COMMENT ON COLUMN core.donations.failed_at IS 'NB failed_at. NULL: did not fail.';
COMMENT ON COLUMN core.donations.canceled_at IS 'NB canceled_at. NULL: not canceled.';
COMMENT ON COLUMN core.donations.created_date IS 'OSDI created_date. NB created_at.';
COMMENT ON COLUMN core.donations.modified_date IS 'OSDI modified_date. NB updated_at at export time.';
COMMENT ON COLUMN core.donations.payment_method IS 'OSDI payment.method. NB payment_type_name as received (''Cash'', ''Check'', ''Credit Card'', ...). NULL: not reported.';
COMMENT ON COLUMN core.donations.check_number IS 'NB check_number (cheque number). Privacy: financial. NULL: not a cheque or not recorded.';
COMMENT ON COLUMN core.donations.tracking_code IS 'NB tracking_code_slug / donation_tracking_code (campaign attribution). NULL: none.';
COMMENT ON COLUMN core.donations.is_private IS 'NB is_private: donor asked not to be listed publicly. NULL: not reported.';
COMMENT ON COLUMN core.donations.is_corporate IS 'NB corporate_contribution / is_corporate_contribution. NULL: not reported.';
COMMENT ON COLUMN core.donations.donor_given_name IS 'NB first_name on the donation (donation-time snapshot). Privacy: personal.';
COMMENT ON COLUMN core.donations.donor_family_name IS 'NB last_name on the donation (donation-time snapshot). Privacy: personal.';
COMMENT ON COLUMN core.donations.donor_email IS 'NB email on the donation (donation-time snapshot, as received). Privacy: contact.';
COMMENT ON COLUMN core.donations.donor_employer IS 'NB employer on the donation (donation-time snapshot, required by some finance laws). Privacy: personal.';
COMMENT ON COLUMN core.donations.donor_occupation IS 'NB occupation on the donation (donation-time snapshot). Privacy: personal.';
COMMENT ON COLUMN core.donations.note IS 'NB note on the donation, free text as received. Privacy: personal (free text may contain anything). NULL: none.';
COMMENT ON COLUMN core.donations.custom_fields IS 'Nation-defined donation fields (NB v2 custom_values) as a JSON object. Privacy: financial. Empty object: none.';
COMMENT ON COLUMN core.donations.run_id IS 'Provenance: run that wrote this row (sync.runs.id).';
COMMENT ON COLUMN core.donations.raw_sha256 IS 'Provenance: raw.records.sha256 of the donation record this row was derived from.';
COMMENT ON COLUMN core.donations.loaded_at IS 'Provenance: when this row was last written.';
