-- 0013_analysis_views: views a party's analyst starts from (schema `analysis`), and the
-- special-category attributes as one row per person in their own view inside `sensitive`.
-- The core tables are shaped for a lossless, provable export: contact points, consent flags and
-- attributes are one row per value, every join needs two columns (nation and the NationBuilder
-- id), and flags and attributes are jsonb as received. These views give one row per person
-- with plain columns and a single-column key, `person_id` (core.people.id), so
-- "members per country" or "who has opted in to e-mail" is a GROUP BY or a WHERE, not jsonb
-- digging. They hold no data of their own: they read the tables live.
-- The views run with their owner's privileges (the role that ran `nb-exodus db migrate`), so
-- granting SELECT on a view grants what it shows, not the tables under it: the analysis views
-- show core and gdpr columns only; the per-person view of Art. 9 attributes lives in schema
-- `sensitive`, so a role without USAGE on that schema cannot read it whatever it has on
-- `analysis`. `nb-exodus db grants --print` prints roles that fit.

CREATE SCHEMA analysis;
COMMENT ON SCHEMA analysis IS
    'Views for analysts, read live from core and gdpr: people with their primary contact points '
    'and country, consent flags as columns, tags per person, donations with donor names. One row '
    'per person (or tagging, or donation), plain columns, single-column keys (person_id = '
    'core.people.id). No Art. 9 data: the per-person view of sensitive attributes is '
    'sensitive.person_attributes_by_person. Privacy: personal and contact (like core), plus the '
    'gdpr consent facts.';

-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION analysis.timestamptz_or_null(value text) RETURNS timestamptz
    LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION analysis.timestamptz_or_null(text) IS
    'The text as a timestamptz, or NULL when it is not one (a consent timestamp as received must '
    'not make a whole query fail). Used by analysis.consent.';

-- ---------------------------------------------------------------------------------------------
CREATE VIEW analysis.people AS
SELECT p.id                 AS person_id,
       p.nation,
       p.source_id,
       p.given_name,
       p.family_name,
       p.additional_name,
       p.honorific_prefix,
       p.honorific_suffix,
       p.gender,
       p.birthdate,
       p.employer,
       p.occupation,
       p.preferred_language,
       p.party_kind,
       p.is_volunteer,
       p.is_deceased,
       e.address            AS email,
       e.is_bad             AS email_is_bad,
       e.is_valid           AS email_is_valid,
       ph.number            AS phone,
       ph.number_raw        AS phone_raw,
       ph.number_type       AS phone_type,
       a.address_type,
       a.address_lines[1]   AS address_line1,
       a.address_lines[2]   AS address_line2,
       a.address_lines[3]   AS address_line3,
       a.locality,
       a.region,
       a.postal_code,
       a.country,
       p.created_date,
       p.modified_date
  FROM core.people p
  LEFT JOIN core.email_addresses e
         ON e.nation = p.nation AND e.person_source_id = p.source_id AND e.is_primary
  LEFT JOIN LATERAL (
        SELECT n.number, n.number_raw, n.number_type
          FROM core.phone_numbers n
         WHERE n.nation = p.nation AND n.person_source_id = p.source_id
           AND n.number_type IS DISTINCT FROM 'fax'
         ORDER BY n.is_primary DESC,
                  CASE n.number_type WHEN 'mobile' THEN 1 WHEN 'phone' THEN 2 ELSE 3 END,
                  n.source_id
         LIMIT 1) ph ON true
  LEFT JOIN LATERAL (
        SELECT pa.address_type, pa.address_lines, pa.locality, pa.region, pa.postal_code,
               pa.country
          FROM core.postal_addresses pa
         WHERE pa.nation = p.nation AND pa.person_source_id = p.source_id
         ORDER BY pa.is_primary DESC,
                  CASE pa.address_type
                      WHEN 'primary' THEN 1 WHEN 'home' THEN 2 WHEN 'mailing' THEN 3
                      WHEN 'registered' THEN 4 WHEN 'work' THEN 5 WHEN 'billing' THEN 6
                      ELSE 7 END,
                  pa.source_id
         LIMIT 1) a ON true;
COMMENT ON VIEW analysis.people IS
    'One row per person in core.people (people deleted at source are not there: reconciliation '
    'removed them) with the primary e-mail address, one phone number and one postal address as '
    'plain columns. Other addresses and numbers: core.email_addresses, core.phone_numbers, '
    'core.postal_addresses. Join other analysis views on person_id. Privacy: personal, contact.';
COMMENT ON COLUMN analysis.people.person_id IS 'The person''s key in this database (core.people.id); join analysis.consent, analysis.person_tags, analysis.donations.donor_person_id and sensitive.person_attributes_by_person on it. Not stable across a reload from scratch: keep source_id for anything outside the database.';
COMMENT ON COLUMN analysis.people.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN analysis.people.source_id IS 'NationBuilder person id (core.people.source_id), stable across reloads.';
COMMENT ON COLUMN analysis.people.given_name IS 'First name (core.people.given_name). NULL: empty at source.';
COMMENT ON COLUMN analysis.people.family_name IS 'Last name (core.people.family_name). NULL: empty at source.';
COMMENT ON COLUMN analysis.people.additional_name IS 'Middle name (core.people.additional_name). NULL: empty at source.';
COMMENT ON COLUMN analysis.people.honorific_prefix IS 'Prefix such as ''Dr'' (core.people.honorific_prefix). NULL: empty at source.';
COMMENT ON COLUMN analysis.people.honorific_suffix IS 'Suffix such as ''Jr'' (core.people.honorific_suffix). NULL: empty at source.';
COMMENT ON COLUMN analysis.people.gender IS 'NB sex as received (''M'', ''F'', ''O''), core.people.gender. NULL: not recorded.';
COMMENT ON COLUMN analysis.people.birthdate IS 'Date of birth (core.people.birthdate). NULL: not recorded or not a valid date.';
COMMENT ON COLUMN analysis.people.employer IS 'Employer (core.people.employer). NULL: empty at source.';
COMMENT ON COLUMN analysis.people.occupation IS 'Occupation (core.people.occupation). NULL: empty at source.';
COMMENT ON COLUMN analysis.people.preferred_language IS 'Language as received, usually ISO 639-1 (core.people.preferred_language). NULL: not recorded.';
COMMENT ON COLUMN analysis.people.party_kind IS '''person'' or ''organization'' (core.people.party_kind). NULL: not reported.';
COMMENT ON COLUMN analysis.people.is_volunteer IS 'NB is_volunteer flag (core.people.is_volunteer). NULL: not reported.';
COMMENT ON COLUMN analysis.people.is_deceased IS 'NB is_deceased flag (core.people.is_deceased); exclude these people from any contact. NULL: not reported.';
COMMENT ON COLUMN analysis.people.email IS 'Primary e-mail address, trimmed and lower-cased (core.email_addresses.address where is_primary). NULL: no primary address. Privacy: contact.';
COMMENT ON COLUMN analysis.people.email_is_bad IS 'Whether NationBuilder marked the primary address bad or bouncing (core.email_addresses.is_bad). NULL: not reported or no address.';
COMMENT ON COLUMN analysis.people.email_is_valid IS 'Whether the primary address looks like an e-mail address (core.email_addresses.is_valid). NULL: no address.';
COMMENT ON COLUMN analysis.people.phone IS 'One phone number in E.164 form: the primary one, else mobile, else landline, else work; never fax (core.phone_numbers.number). NULL: no number, or it could not be normalised (then see phone_raw). Privacy: contact.';
COMMENT ON COLUMN analysis.people.phone_raw IS 'The same number exactly as received (core.phone_numbers.number_raw). NULL: no number. Privacy: contact.';
COMMENT ON COLUMN analysis.people.phone_type IS 'Which number phone is: ''mobile'' | ''phone'' | ''work'' (core.phone_numbers.number_type). NULL: no number.';
COMMENT ON COLUMN analysis.people.address_type IS 'Which NationBuilder address the address columns come from: the primary address, else home, mailing, registered, work, billing, user-submitted, in that order (core.postal_addresses.address_type). NULL: no address.';
COMMENT ON COLUMN analysis.people.address_line1 IS 'First address line (core.postal_addresses.address_lines[1], NB address1). NULL: none. Privacy: contact.';
COMMENT ON COLUMN analysis.people.address_line2 IS 'Second address line (address_lines[2], NB address2). NULL: none. Privacy: contact.';
COMMENT ON COLUMN analysis.people.address_line3 IS 'Third address line (address_lines[3], NB address3). NULL: none. Privacy: contact.';
COMMENT ON COLUMN analysis.people.locality IS 'City (core.postal_addresses.locality). NULL: none.';
COMMENT ON COLUMN analysis.people.region IS 'State, province or region code as received (core.postal_addresses.region). NULL: none.';
COMMENT ON COLUMN analysis.people.postal_code IS 'Postal code as received (core.postal_addresses.postal_code). NULL: none. Privacy: contact.';
COMMENT ON COLUMN analysis.people.country IS 'Country of that address, ISO 3166-1 alpha-2 upper case (core.postal_addresses.country). NULL: no address or no valid country code.';
COMMENT ON COLUMN analysis.people.created_date IS 'When the person was created in NationBuilder (core.people.created_date).';
COMMENT ON COLUMN analysis.people.modified_date IS 'NB updated_at at export time (core.people.modified_date).';

-- ---------------------------------------------------------------------------------------------
CREATE VIEW analysis.consent AS
SELECT p.id AS person_id,
       p.nation,
       p.source_id,
       CASE jsonb_typeof(c.email_opt_in) WHEN 'boolean' THEN c.email_opt_in::boolean END AS email_opt_in,
       CASE jsonb_typeof(c.mobile_opt_in) WHEN 'boolean' THEN c.mobile_opt_in::boolean END AS mobile_opt_in,
       CASE jsonb_typeof(c.do_not_call) WHEN 'boolean' THEN c.do_not_call::boolean END AS do_not_call,
       CASE jsonb_typeof(c.do_not_contact) WHEN 'boolean' THEN c.do_not_contact::boolean END AS do_not_contact,
       CASE jsonb_typeof(c.federal_donotcall) WHEN 'boolean' THEN c.federal_donotcall::boolean END AS federal_donotcall,
       analysis.timestamptz_or_null(c.unsubscribed_at #>> '{}') AS unsubscribed_at,
       c.flags_as_of,
       c.provenance,
       coalesce(c.flags_recorded, 0) AS flags_recorded
  FROM core.people p
  LEFT JOIN (
        SELECT f.nation,
               f.person_source_id,
               (array_agg(f.value) FILTER (WHERE f.flag = 'email_opt_in'))[1] AS email_opt_in,
               (array_agg(f.value) FILTER (WHERE f.flag = 'mobile_opt_in'))[1] AS mobile_opt_in,
               (array_agg(f.value) FILTER (WHERE f.flag = 'do_not_call'))[1] AS do_not_call,
               (array_agg(f.value) FILTER (WHERE f.flag = 'do_not_contact'))[1] AS do_not_contact,
               (array_agg(f.value) FILTER (WHERE f.flag = 'federal_donotcall'))[1] AS federal_donotcall,
               (array_agg(f.value) FILTER (WHERE f.flag = 'unsubscribed_at'))[1] AS unsubscribed_at,
               max(f.source_modified_date)                              AS flags_as_of,
               string_agg(DISTINCT f.provenance, '; ')                  AS provenance,
               count(*)::integer                                        AS flags_recorded
          FROM gdpr.consent_facts f
         GROUP BY f.nation, f.person_source_id) c
    ON c.nation = p.nation AND c.person_source_id = p.source_id;
COMMENT ON VIEW analysis.consent IS
    'One row per person in core.people with one column per NationBuilder contact-permission flag '
    '(gdpr.consent_facts) and where the flags come from. These are source facts, NOT consent: '
    'email_opt_in defaults to true in NationBuilder, so true proves nothing; use the flags to '
    'honour objections (do_not_contact, do_not_call, unsubscribed_at) and to plan re-consent. '
    'Privacy: personal.';
COMMENT ON COLUMN analysis.consent.person_id IS 'The person''s key in this database (core.people.id, analysis.people.person_id).';
COMMENT ON COLUMN analysis.consent.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN analysis.consent.source_id IS 'NationBuilder person id (core.people.source_id).';
COMMENT ON COLUMN analysis.consent.email_opt_in IS 'NB email_opt_in as held at export (defaults to true in NationBuilder: not evidence of consent). NULL: not in the record, or not a boolean.';
COMMENT ON COLUMN analysis.consent.mobile_opt_in IS 'NB mobile_opt_in as held at export (text messages). NULL: not in the record, or not a boolean.';
COMMENT ON COLUMN analysis.consent.do_not_call IS 'NB do_not_call: the person asked not to be phoned; honour it. NULL: not in the record, or not a boolean.';
COMMENT ON COLUMN analysis.consent.do_not_contact IS 'NB do_not_contact: the person asked not to be contacted at all; honour it. NULL: not in the record, or not a boolean.';
COMMENT ON COLUMN analysis.consent.federal_donotcall IS 'NB federal_donotcall: on the US national do-not-call registry. NULL: not in the record, or not a boolean.';
COMMENT ON COLUMN analysis.consent.unsubscribed_at IS 'NB unsubscribed_at: when the person unsubscribed from e-mail. NULL: never unsubscribed, not in the record, or not a timestamp (the value as received is in gdpr.consent_facts).';
COMMENT ON COLUMN analysis.consent.flags_as_of IS 'NB updated_at of the person record the flags were read from (gdpr.consent_facts.source_modified_date): the latest moment they are known to have had these values; not when consent was given. NULL: no flag recorded.';
COMMENT ON COLUMN analysis.consent.provenance IS 'Where the flags come from and what they do not prove (gdpr.consent_facts.provenance, distinct values joined by ''; ''). NULL: no flag recorded.';
COMMENT ON COLUMN analysis.consent.flags_recorded IS 'How many of the six flags the source record carried (count of gdpr.consent_facts rows); 0: none, every flag column is NULL.';

-- ---------------------------------------------------------------------------------------------
CREATE VIEW analysis.person_tags AS
SELECT p.id                          AS person_id,
       t.id                          AS tag_id,
       coalesce(t.name, tg.tag_name) AS tag_name,
       tg.created_date               AS tagged_at,
       tg.nation,
       tg.person_source_id,
       tg.tag_source_id
  FROM core.taggings tg
  LEFT JOIN core.people p ON p.nation = tg.nation AND p.source_id = tg.person_source_id
  LEFT JOIN core.tags t ON t.nation = tg.nation AND t.source_id = tg.tag_source_id;
COMMENT ON VIEW analysis.person_tags IS
    'One row per tagging in core.taggings: which person carries which tag, by name. Tag names '
    'can themselves reveal opinions; review before wide grants. Privacy: personal.';
COMMENT ON COLUMN analysis.person_tags.person_id IS 'The tagged person''s key (core.people.id, analysis.people.person_id). NULL: the person is not in core.people (a dangling tagging, reported by verify).';
COMMENT ON COLUMN analysis.person_tags.tag_id IS 'The tag''s key in this database (core.tags.id). NULL: the tag is not in core.tags.';
COMMENT ON COLUMN analysis.person_tags.tag_name IS 'The tag''s name (core.tags.name, else the name the tagging carried).';
COMMENT ON COLUMN analysis.person_tags.tagged_at IS 'When the tag was applied (core.taggings.created_date). NULL: not reported (API v1).';
COMMENT ON COLUMN analysis.person_tags.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN analysis.person_tags.person_source_id IS 'NationBuilder person id of the tagged person (core.taggings.person_source_id).';
COMMENT ON COLUMN analysis.person_tags.tag_source_id IS 'NationBuilder tag id (core.taggings.tag_source_id; the tag name for API v1).';

-- ---------------------------------------------------------------------------------------------
CREATE VIEW analysis.donations AS
SELECT d.id                AS donation_id,
       d.nation,
       d.source_id,
       p.id                AS donor_person_id,
       coalesce(nullif(concat_ws(' ', p.given_name, p.family_name), ''),
                nullif(concat_ws(' ', d.donor_given_name, d.donor_family_name), ''))
                           AS donor_name,
       d.donor_given_name,
       d.donor_family_name,
       d.donor_email,
       d.donor_employer,
       d.donor_occupation,
       CASE
           WHEN d.currency IN ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG',
                               'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF')
               THEN d.amount_minor::numeric
           WHEN d.currency IN ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND')
               THEN round(d.amount_minor::numeric / 1000, 3)
           ELSE round(d.amount_minor::numeric / 100, 2)
       END                 AS amount,
       d.amount_minor,
       d.currency,
       d.status,
       d.succeeded_at,
       d.created_date,
       d.payment_method,
       d.tracking_code,
       d.is_private,
       d.is_corporate
  FROM core.donations d
  LEFT JOIN core.people p ON p.nation = d.nation AND p.source_id = d.person_source_id;
COMMENT ON VIEW analysis.donations IS
    'One row per donation in core.donations, whatever its status (filter status = ''succeeded'' '
    'for money received), with the donor''s name and amount in major units. Privacy: financial.';
COMMENT ON COLUMN analysis.donations.donation_id IS 'The donation''s key in this database (core.donations.id).';
COMMENT ON COLUMN analysis.donations.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN analysis.donations.source_id IS 'NationBuilder donation id (core.donations.source_id).';
COMMENT ON COLUMN analysis.donations.donor_person_id IS 'The donor''s key (core.people.id, analysis.people.person_id). NULL: no donor on the donation, or the donor is no longer in core.people (deleted at source; NationBuilder keeps the donation).';
COMMENT ON COLUMN analysis.donations.donor_name IS 'The donor''s name for display: given and family name from core.people, else the names recorded on the donation. NULL: neither has a name.';
COMMENT ON COLUMN analysis.donations.donor_given_name IS 'First name recorded on the donation at donation time (core.donations.donor_given_name); campaign-finance record, may differ from the person''s current name.';
COMMENT ON COLUMN analysis.donations.donor_family_name IS 'Last name recorded on the donation at donation time (core.donations.donor_family_name).';
COMMENT ON COLUMN analysis.donations.donor_email IS 'E-mail recorded on the donation at donation time, as received (core.donations.donor_email). Privacy: contact.';
COMMENT ON COLUMN analysis.donations.donor_employer IS 'Employer recorded on the donation (core.donations.donor_employer), required by some finance laws.';
COMMENT ON COLUMN analysis.donations.donor_occupation IS 'Occupation recorded on the donation (core.donations.donor_occupation).';
COMMENT ON COLUMN analysis.donations.amount IS 'Amount in major units of currency (euros, not cents): amount_minor divided by 10^(ISO 4217 minor-unit digits: 0 for JPY and the like, 3 for BHD and the like, else 2).';
COMMENT ON COLUMN analysis.donations.amount_minor IS 'Amount in minor units of currency, as stored (core.donations.amount_minor, NB amount_in_cents).';
COMMENT ON COLUMN analysis.donations.currency IS 'ISO 4217 currency code (core.donations.currency).';
COMMENT ON COLUMN analysis.donations.status IS '''succeeded'' | ''failed'' | ''canceled'' | ''pending'' (core.donations.status). NULL: could not be determined.';
COMMENT ON COLUMN analysis.donations.succeeded_at IS 'When the payment succeeded (core.donations.succeeded_at). NULL: did not succeed.';
COMMENT ON COLUMN analysis.donations.created_date IS 'When the donation was created in NationBuilder (core.donations.created_date).';
COMMENT ON COLUMN analysis.donations.payment_method IS 'Payment type as received, e.g. ''Cash'', ''Credit Card'' (core.donations.payment_method). NULL: not reported.';
COMMENT ON COLUMN analysis.donations.tracking_code IS 'Campaign attribution code (core.donations.tracking_code). NULL: none.';
COMMENT ON COLUMN analysis.donations.is_private IS 'The donor asked not to be listed publicly (core.donations.is_private). NULL: not reported.';
COMMENT ON COLUMN analysis.donations.is_corporate IS 'A corporate contribution (core.donations.is_corporate). NULL: not reported.';

-- ---------------------------------------------------------------------------------------------
CREATE VIEW sensitive.person_attributes_by_person AS
SELECT p.id AS person_id,
       a.nation,
       a.person_source_id AS source_id,
       a.party,
       CASE jsonb_typeof(a.party_member) WHEN 'boolean' THEN a.party_member::boolean END AS party_member,
       a.previous_party,
       CASE jsonb_typeof(a.support_level) WHEN 'number' THEN a.support_level::numeric END AS support_level,
       a.inferred_party,
       CASE jsonb_typeof(a.inferred_support_level) WHEN 'number' THEN a.inferred_support_level::numeric END AS inferred_support_level,
       CASE jsonb_typeof(a.priority_level) WHEN 'number' THEN a.priority_level::numeric END AS priority_level,
       a.religion,
       a.church,
       a.ethnicity,
       a.marital_status,
       a.note,
       a.other_attributes,
       a.attributes_recorded
  FROM (
        SELECT s.nation,
               s.person_source_id,
               (array_agg(s.value #>> '{}') FILTER (WHERE s.attribute = 'party'))[1]          AS party,
               (array_agg(s.value) FILTER (WHERE s.attribute = 'party_member'))[1]            AS party_member,
               (array_agg(s.value #>> '{}') FILTER (WHERE s.attribute = 'previous_party'))[1] AS previous_party,
               (array_agg(s.value) FILTER (WHERE s.attribute = 'support_level'))[1]           AS support_level,
               (array_agg(s.value #>> '{}') FILTER (WHERE s.attribute = 'inferred_party'))[1] AS inferred_party,
               (array_agg(s.value) FILTER (WHERE s.attribute = 'inferred_support_level'))[1]  AS inferred_support_level,
               (array_agg(s.value) FILTER (WHERE s.attribute = 'priority_level'))[1]          AS priority_level,
               (array_agg(s.value #>> '{}') FILTER (WHERE s.attribute = 'religion'))[1]       AS religion,
               (array_agg(s.value #>> '{}') FILTER (WHERE s.attribute = 'church'))[1]         AS church,
               (array_agg(s.value #>> '{}') FILTER (WHERE s.attribute = 'ethnicity'))[1]      AS ethnicity,
               (array_agg(s.value #>> '{}') FILTER (WHERE s.attribute = 'marital_status'))[1] AS marital_status,
               (array_agg(s.value #>> '{}') FILTER (WHERE s.attribute = 'note'))[1]           AS note,
               jsonb_object_agg(s.attribute, s.value) FILTER (WHERE s.attribute NOT IN (
                   'party', 'party_member', 'previous_party', 'support_level', 'inferred_party',
                   'inferred_support_level', 'priority_level', 'religion', 'church',
                   'ethnicity', 'marital_status', 'note'))                         AS other_attributes,
               count(*)::integer                                                   AS attributes_recorded
          FROM sensitive.person_attributes s
         GROUP BY s.nation, s.person_source_id) a
  LEFT JOIN core.people p ON p.nation = a.nation AND p.source_id = a.person_source_id;
COMMENT ON VIEW sensitive.person_attributes_by_person IS
    'One row per person with at least one row in sensitive.person_attributes, one column per '
    'attribute, values as plain text, numbers or booleans. In schema sensitive, not analysis, so '
    'it is guarded by the grants on this schema: political opinions, religion and ethnic origin '
    'are GDPR Art. 9 special-category data, inferred scores are profiling. Join '
    'analysis.people on person_id. Privacy: special category (Art. 9).';
COMMENT ON COLUMN sensitive.person_attributes_by_person.person_id IS 'The person''s key (core.people.id, analysis.people.person_id). NULL: the person is not in core.people.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.source_id IS 'NationBuilder person id (sensitive.person_attributes.person_source_id = core.people.source_id).';
COMMENT ON COLUMN sensitive.person_attributes_by_person.party IS 'NB party (party affiliation code as received). Political opinion, Art. 9. NULL: not recorded.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.party_member IS 'NB party_member. Political opinion, Art. 9. NULL: not recorded or not a boolean.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.previous_party IS 'NB previous_party. Political opinion, Art. 9. NULL: not recorded.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.support_level IS 'NB support_level (1 strong support .. 5 strong opposition), usually set by staff. Political opinion, Art. 9. NULL: not recorded or not a number.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.inferred_party IS 'NB inferred_party: inferred by NationBuilder, not stated by the person. Profiling of a political opinion. NULL: not recorded.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.inferred_support_level IS 'NB inferred_support_level: inferred, not stated. Profiling of a political opinion. NULL: not recorded or not a number.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.priority_level IS 'NB priority_level, a staff score. NULL: not recorded or not a number.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.religion IS 'NB religion. Religious belief, Art. 9. NULL: not recorded.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.church IS 'NB church. Religious belief, Art. 9. NULL: not recorded.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.ethnicity IS 'NB ethnicity. Ethnic origin, Art. 9. NULL: not recorded.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.marital_status IS 'NB marital_status. NULL: not recorded.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.note IS 'NB note, free text as received; may contain anything. NULL: none.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.other_attributes IS 'Any other sensitive attribute of the person (custom fields routed here, by their slug) as a JSON object of the values as received. NULL: none.';
COMMENT ON COLUMN sensitive.person_attributes_by_person.attributes_recorded IS 'How many rows of sensitive.person_attributes the person has (at least 1).';
