-- 0021_surveys_pledges_petitions: surveys (questions, choices, answers), donation tracking codes,
-- pledges, petitions and petition signatures, and the tracking code, page and pledge a donation
-- names.
-- NationBuilder v2 serves each nation-wide (`/surveys`, `/survey_questions`,
-- `/survey_question_possible_responses`, `/survey_question_responses`, `/donation_tracking_codes`,
-- `/pledges`, `/petitions`, `/petition_signatures`); v1 has surveys, petitions and signatures only
-- as site pages (not read yet) and no tracking codes or pledges. Survey answers reveal political
-- opinions and free-text answers may say anything: they are in schema `sensitive`, as are the
-- free-text comments of petition signatures. Petitions carry no timestamps at all. Like the other
-- entity tables: no foreign keys (a record whose person, survey, page or code was deleted at
-- source is kept as the source has it), run_id not a declared foreign key (see 0007).

CREATE TABLE core.surveys (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation        text        NOT NULL,
    source_id     text        NOT NULL,
    name          text,
    created_date  timestamptz,
    modified_date timestamptz,
    run_id        bigint,
    raw_sha256    text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT surveys_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.surveys IS
    'The nation''s surveys (NB v2 surveys; v1 serves them as site pages, not read yet): one row per survey, with its name. Its questions are core.survey_questions, their choices core.survey_question_choices, the answers sensitive.survey_answers. OSDI has no survey object (a Question stands alone); the rows group questions as NationBuilder does. Privacy: operational.';
COMMENT ON COLUMN core.surveys.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.surveys.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.surveys.source_id IS 'NationBuilder survey id (v2) as text.';
COMMENT ON COLUMN core.surveys.name IS 'NB name: the survey''s name as received. Privacy: operational. NULL: not given.';
COMMENT ON COLUMN core.surveys.created_date IS 'NB created_at: when the survey was created in NationBuilder. NULL: not reported.';
COMMENT ON COLUMN core.surveys.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.surveys.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.surveys.raw_sha256 IS 'Provenance: raw.records.sha256 of the record this row was derived from.';
COMMENT ON COLUMN core.surveys.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.survey_questions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation           text        NOT NULL,
    source_id        text        NOT NULL,
    survey_source_id text,
    title            text,
    description      text,
    slug             text,
    question_type    text,
    status           text,
    is_randomized    boolean,
    tag_list         text[],
    position         integer,
    published_at     timestamptz,
    created_date     timestamptz,
    modified_date    timestamptz,
    run_id           bigint,
    raw_sha256       text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT survey_questions_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.survey_questions IS
    'The questions of the nation''s surveys (NB v2 survey_questions; OSDI Question): the text asked, its format and the tags NationBuilder adds to whoever answers. Choices are in core.survey_question_choices, answers in sensitive.survey_answers. A question whose survey was deleted at source keeps its survey id. Privacy: operational (the questions themselves name no one).';
COMMENT ON COLUMN core.survey_questions.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.survey_questions.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.survey_questions.source_id IS 'NationBuilder survey question id (v2) as text.';
COMMENT ON COLUMN core.survey_questions.survey_source_id IS 'NationBuilder id of the survey (core.surveys.source_id). NB survey_id. Not a foreign key. NULL: not given.';
COMMENT ON COLUMN core.survey_questions.title IS 'NB content: the question asked (OSDI title). Privacy: operational. NULL: not given.';
COMMENT ON COLUMN core.survey_questions.description IS 'NB intro: short description shown with the question (OSDI description). NULL: none.';
COMMENT ON COLUMN core.survey_questions.slug IS 'NB slug: the question''s unique short name (at most 20 characters). NULL: none.';
COMMENT ON COLUMN core.survey_questions.question_type IS 'NB question_format as received: ''multiple_choice'' | ''yes_no'' | ''text'' (OSDI question_type names the same idea SingleChoice/Paragraph; NB''s words are kept). NULL: not given.';
COMMENT ON COLUMN core.survey_questions.status IS 'NB status as received: ''published'' | ''archived'' | ''deleted'' | ''expired'' | ''hidden'' | ''rule_violated'' | ''unlisted''. NULL: not given.';
COMMENT ON COLUMN core.survey_questions.is_randomized IS 'NB is_randomized: whether the choices are shown in random order. NULL: not given.';
COMMENT ON COLUMN core.survey_questions.tag_list IS 'NB tag_list, a comma-separated string split into its tags (trimmed, empties dropped): tags NationBuilder adds to a person who answers. NULL: none.';
COMMENT ON COLUMN core.survey_questions.position IS 'NB position (read-only): the question''s place in its survey, from 0. NULL: not given.';
COMMENT ON COLUMN core.survey_questions.published_at IS 'NB published_at (read-only): when the question was published. NULL: never, or not given.';
COMMENT ON COLUMN core.survey_questions.created_date IS 'NB created_at. NULL: not reported.';
COMMENT ON COLUMN core.survey_questions.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.survey_questions.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.survey_questions.raw_sha256 IS 'Provenance: raw.records.sha256 of the record this row was derived from.';
COMMENT ON COLUMN core.survey_questions.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.survey_question_choices (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation             text        NOT NULL,
    source_id          text        NOT NULL,
    question_source_id text,
    title              text,
    outro              text,
    position           integer,
    tag_list           text[],
    created_date       timestamptz,
    modified_date      timestamptz,
    run_id             bigint,
    raw_sha256         text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT survey_question_choices_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.survey_question_choices IS
    'The possible responses of survey questions (NB v2 survey_question_possible_responses; OSDI a Question''s enumerated responses): one row per choice of a multiple-choice or yes/no question (text questions have none). The answer that picked one is in sensitive.survey_answers (choice_source_id). Privacy: operational.';
COMMENT ON COLUMN core.survey_question_choices.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.survey_question_choices.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.survey_question_choices.source_id IS 'NationBuilder possible-response id (v2) as text.';
COMMENT ON COLUMN core.survey_question_choices.question_source_id IS 'NationBuilder id of the question (core.survey_questions.source_id). NB survey_question_id. Not a foreign key. NULL: not given.';
COMMENT ON COLUMN core.survey_question_choices.title IS 'NB name: the choice''s text (OSDI response title). NULL: not given.';
COMMENT ON COLUMN core.survey_question_choices.outro IS 'NB outro: message shown after the choice is picked. NULL: none.';
COMMENT ON COLUMN core.survey_question_choices.position IS 'NB position: the choice''s place in its question''s list, from 1. NULL: not given.';
COMMENT ON COLUMN core.survey_question_choices.tag_list IS 'NB tag_list (a comma-separated string) split into its tags: tags NationBuilder adds to a person who picks the choice. NULL: none.';
COMMENT ON COLUMN core.survey_question_choices.created_date IS 'NB created_at. NULL: not reported.';
COMMENT ON COLUMN core.survey_question_choices.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.survey_question_choices.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.survey_question_choices.raw_sha256 IS 'Provenance: raw.records.sha256 of the record this row was derived from.';
COMMENT ON COLUMN core.survey_question_choices.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE sensitive.survey_answers (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation             text        NOT NULL,
    source_id          text        NOT NULL,
    person_source_id   text,
    author_source_id   text,
    question_source_id text,
    choice_source_id   text,
    value              text,
    question_type      text,
    is_skipped         boolean,
    page_source_id     text,
    created_date       timestamptz,
    modified_date      timestamptz,
    run_id             bigint,
    raw_sha256         text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT survey_answers_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX survey_answers_person_idx ON sensitive.survey_answers (nation, person_source_id);
COMMENT ON TABLE sensitive.survey_answers IS
    'Survey answers (NB v2 survey_question_responses; OSDI Answer): one row per question a person answered, with the canvasser who took it. Canvass IDs and issue answers reveal political opinions (vote intention, support level) and free-text answers may hold any special-category data (health, religion, union membership): schema sensitive, grant narrowly. People deleted at source keep their answers (NB documents no cascade). Privacy: special category (Art. 9).';
COMMENT ON COLUMN sensitive.survey_answers.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN sensitive.survey_answers.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN sensitive.survey_answers.source_id IS 'NationBuilder survey question response id (v2) as text.';
COMMENT ON COLUMN sensitive.survey_answers.person_source_id IS 'NationBuilder id of the person who answered (core.people.source_id). NB signup_id. Not a foreign key: a person deleted at source keeps the id. Privacy: Art. 9 (links the person to the answer). NULL: not given.';
COMMENT ON COLUMN sensitive.survey_answers.author_source_id IS 'NationBuilder id of the canvasser who recorded the answer (core.people.source_id). NB author_id. NULL: answered by the person on a survey page (page_source_id) or not given.';
COMMENT ON COLUMN sensitive.survey_answers.question_source_id IS 'NationBuilder id of the question (core.survey_questions.source_id). NB survey_question_id. Not a foreign key. NULL: not given.';
COMMENT ON COLUMN sensitive.survey_answers.choice_source_id IS 'NationBuilder id of the chosen possible response (core.survey_question_choices.source_id). NB survey_question_possible_response_id. Privacy: Art. 9. NULL: a text question, a skipped question, or not given.';
COMMENT ON COLUMN sensitive.survey_answers.value IS 'NB content: the free-text answer to a text question, as received (OSDI Answer value). FLAGGED: free text, may hold any special-category data (health, religion, ethnicity, union membership, political opinion). Privacy: Art. 9. NULL: a choice question, skipped, or empty.';
COMMENT ON COLUMN sensitive.survey_answers.question_type IS 'NB question_format: the question''s format repeated on the answer (''multiple_choice'' | ''yes_no'' | ''text''). NULL: not given.';
COMMENT ON COLUMN sensitive.survey_answers.is_skipped IS 'NB is_skipped (read-only): the person was asked and skipped the question. NULL: not given.';
COMMENT ON COLUMN sensitive.survey_answers.page_source_id IS 'NationBuilder id of the survey page the answer was given on (pages; NB page_id, read-only). Not a foreign key. NULL: recorded by a canvasser, or not given.';
COMMENT ON COLUMN sensitive.survey_answers.created_date IS 'NB created_at: when the answer was recorded. Privacy: Art. 9 (with the person). NULL: not reported.';
COMMENT ON COLUMN sensitive.survey_answers.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN sensitive.survey_answers.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN sensitive.survey_answers.raw_sha256 IS 'Provenance: raw.records.sha256 of the record this row was derived from.';
COMMENT ON COLUMN sensitive.survey_answers.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.donation_tracking_codes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation        text        NOT NULL,
    source_id     text        NOT NULL,
    name          text,
    slug          text,
    created_date  timestamptz,
    modified_date timestamptz,
    run_id        bigint,
    raw_sha256    text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT donation_tracking_codes_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX donation_tracking_codes_slug_idx ON core.donation_tracking_codes (nation, slug);
COMMENT ON TABLE core.donation_tracking_codes IS
    'Campaign tracking codes (NB v2 donation_tracking_codes; not in v1): the codes donations, pledges and events are attributed to (OSDI referrer_data.source). v2 donations name a code by id (core.donations.tracking_code_source_id), v1 donations by slug (core.donations.tracking_code, to join on slug). Privacy: operational.';
COMMENT ON COLUMN core.donation_tracking_codes.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.donation_tracking_codes.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.donation_tracking_codes.source_id IS 'NationBuilder tracking code id (v2) as text.';
COMMENT ON COLUMN core.donation_tracking_codes.name IS 'NB name: the code''s display name. NULL: not given.';
COMMENT ON COLUMN core.donation_tracking_codes.slug IS 'NB slug: the code''s unique identifier as received; what a v1 donation''s tracking_code_slug names. NULL: not given.';
COMMENT ON COLUMN core.donation_tracking_codes.created_date IS 'NB created_at. NULL: not reported.';
COMMENT ON COLUMN core.donation_tracking_codes.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.donation_tracking_codes.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.donation_tracking_codes.raw_sha256 IS 'Provenance: raw.records.sha256 of the record this row was derived from.';
COMMENT ON COLUMN core.donation_tracking_codes.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.pledges (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                  text        NOT NULL,
    source_id               text        NOT NULL,
    person_source_id        text,
    author_source_id        text,
    recruiter_source_id     text,
    page_source_id          text,
    tracking_code_source_id text,
    amount_minor            bigint,
    amount_left_minor       bigint,
    currency                char(3)     NOT NULL,
    is_private              boolean,
    created_date            timestamptz,
    modified_date           timestamptz,
    run_id                  bigint,
    raw_sha256              text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at               timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pledges_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX pledges_person_idx ON core.pledges (nation, person_source_id);
COMMENT ON TABLE core.pledges IS
    'Pledges (NB v2 pledges; not in v1): a person''s promise to give, with who recorded and who recruited it, and the unpaid remainder NationBuilder computes from the donations that name the pledge (core.donations.pledge_source_id). OSDI has no pledge (an extension). Money as integer minor units plus the run''s configured currency (NB gives none). Privacy: financial.';
COMMENT ON COLUMN core.pledges.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.pledges.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.pledges.source_id IS 'NationBuilder pledge id (v2) as text.';
COMMENT ON COLUMN core.pledges.person_source_id IS 'NationBuilder id of the person who pledged (core.people.source_id). NB signup_id. Not a foreign key: a person deleted at source keeps the id. Privacy: personal. NULL: not given.';
COMMENT ON COLUMN core.pledges.author_source_id IS 'NationBuilder id of the person who recorded the pledge (core.people.source_id). NB author_id. NULL: none.';
COMMENT ON COLUMN core.pledges.recruiter_source_id IS 'NationBuilder id of the recruiter credited with the pledge (core.people.source_id; OSDI referrer_data.referrer). NB recruiter_id. NULL: none.';
COMMENT ON COLUMN core.pledges.page_source_id IS 'NationBuilder id of the page the pledge was made on (pages). NB page_id. Not a foreign key. NULL: none.';
COMMENT ON COLUMN core.pledges.tracking_code_source_id IS 'NationBuilder id of the tracking code (core.donation_tracking_codes.source_id). NB donation_tracking_code_id. NULL: none.';
COMMENT ON COLUMN core.pledges.amount_minor IS 'NB amount_in_cents: the amount pledged in minor units of currency. Privacy: financial. NULL: not given.';
COMMENT ON COLUMN core.pledges.amount_left_minor IS 'NB amount_left_in_cents (read-only, derived by NationBuilder from the donations naming the pledge): what remains unpaid, in minor units. A source-side control figure. Privacy: financial. NULL: not given.';
COMMENT ON COLUMN core.pledges.currency IS 'ISO 4217 currency of the amounts: the run''s configured currency (NB pledges carry none).';
COMMENT ON COLUMN core.pledges.is_private IS 'NB is_private: not displayed on the site. NULL: not given.';
COMMENT ON COLUMN core.pledges.created_date IS 'NB created_at: when the pledge was made. NULL: not reported.';
COMMENT ON COLUMN core.pledges.modified_date IS 'NB updated_at at export time (moves when a donation pays part of it). NULL: not reported.';
COMMENT ON COLUMN core.pledges.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.pledges.raw_sha256 IS 'Provenance: raw.records.sha256 of the record this row was derived from.';
COMMENT ON COLUMN core.pledges.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.petitions (
    id                                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                              text        NOT NULL,
    source_id                           text        NOT NULL,
    page_source_id                      text,
    summary                             text,
    description                         text,
    goal                                integer,
    additional_signatures_count         integer,
    signature_name                      text,
    is_auto_response                    boolean,
    auto_response_broadcaster_source_id text,
    auto_response_subject               text,
    auto_response_content               text,
    gather_volunteers                   boolean,
    form_address                        text,
    form_phone                          text,
    run_id                              bigint,
    raw_sha256                          text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at                           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT petitions_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.petitions IS
    'Petitions (NB v2 petitions; v1 serves them as site pages, not read yet; OSDI Petition): the petition''s texts, goal and signing form. NationBuilder gives a petition NO name, slug or timestamp: its title is its page''s (page_source_id), and changes cannot be found by time, so the collection is re-read whole at reconciliation. Privacy: operational.';
COMMENT ON COLUMN core.petitions.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.petitions.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.petitions.source_id IS 'NationBuilder petition id (v2) as text.';
COMMENT ON COLUMN core.petitions.page_source_id IS 'NationBuilder id of the petition''s page, which holds its name, slug and status (pages). NB page_id. Not a foreign key. NULL: not given.';
COMMENT ON COLUMN core.petitions.summary IS 'NB intro: rendered above the content on the petition page (OSDI summary). NULL: none.';
COMMENT ON COLUMN core.petitions.description IS 'NB content: the petition''s text as received, may hold HTML (OSDI description / petition_text). NULL: none.';
COMMENT ON COLUMN core.petitions.goal IS 'NB goal: the number of signatures wanted. NULL: not given.';
COMMENT ON COLUMN core.petitions.additional_signatures_count IS 'NB additional_signatures_count: offline signatures added by hand to the displayed total (not rows of core.petition_signatures). NULL: not given.';
COMMENT ON COLUMN core.petitions.signature_name IS 'NB signature_name: what the petition calls a signature (''signature'', ''endorsement''). NULL: not given.';
COMMENT ON COLUMN core.petitions.is_auto_response IS 'NB is_auto_response: an autoresponse e-mail is sent to signers. NULL: not given.';
COMMENT ON COLUMN core.petitions.auto_response_broadcaster_source_id IS 'NationBuilder id of the broadcaster that sends the autoresponse (broadcasters). NB auto_response_broadcaster_id. Not a foreign key. NULL: none.';
COMMENT ON COLUMN core.petitions.auto_response_subject IS 'NB auto_response_subject: subject of the autoresponse e-mail. NULL: none.';
COMMENT ON COLUMN core.petitions.auto_response_content IS 'NB auto_response_content: body of the autoresponse e-mail as received. NULL: none.';
COMMENT ON COLUMN core.petitions.gather_volunteers IS 'NB gather_volunteers: signers are asked to volunteer. NULL: not given.';
COMMENT ON COLUMN core.petitions.form_address IS 'NB petition_form_address: whether signers give their address, ''required'' | ''optional'' | ''hidden''. NULL: not set.';
COMMENT ON COLUMN core.petitions.form_phone IS 'NB petition_form_phone: whether signers give their phone number, ''required'' | ''optional'' | ''hidden''. NULL: not set.';
COMMENT ON COLUMN core.petitions.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.petitions.raw_sha256 IS 'Provenance: raw.records.sha256 of the record this row was derived from.';
COMMENT ON COLUMN core.petitions.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.petition_signatures (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation              text        NOT NULL,
    source_id           text        NOT NULL,
    petition_source_id  text,
    person_source_id    text,
    recruiter_source_id text,
    page_source_id      text,
    is_private          boolean,
    created_date        timestamptz,
    modified_date       timestamptz,
    run_id              bigint,
    raw_sha256          text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT petition_signatures_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX petition_signatures_person_idx ON core.petition_signatures (nation, person_source_id);
COMMENT ON TABLE core.petition_signatures IS
    'Petition signatures (NB v2 petition_signatures; v1 per petition page, not read yet; OSDI Signature): who signed which petition, when, on which page and recruited by whom: action history and the provenance of a sign-up (consent). The signer''s public comment is free text and is kept apart in sensitive.petition_signature_comments. People deleted at source keep their signatures (NB documents no cascade). Signing a party''s petition may itself reveal a political opinion. Privacy: personal.';
COMMENT ON COLUMN core.petition_signatures.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.petition_signatures.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.petition_signatures.source_id IS 'NationBuilder petition signature id (v2) as text.';
COMMENT ON COLUMN core.petition_signatures.petition_source_id IS 'NationBuilder id of the petition (core.petitions.source_id). NB petition_id. Not a foreign key. NULL: not given.';
COMMENT ON COLUMN core.petition_signatures.person_source_id IS 'NationBuilder id of the signer (core.people.source_id). NB signup_id. Not a foreign key: a person deleted at source keeps the id. Privacy: personal. NULL: not given.';
COMMENT ON COLUMN core.petition_signatures.recruiter_source_id IS 'NationBuilder id of the recruiter credited with the signature (core.people.source_id; OSDI referrer_data.referrer). NB recruiter_id. NULL: none.';
COMMENT ON COLUMN core.petition_signatures.page_source_id IS 'NationBuilder id of the page the signature was made on (pages; NB page_id, read-only). Not a foreign key. NULL: not given.';
COMMENT ON COLUMN core.petition_signatures.is_private IS 'NB is_private: the signature is not published on the website. NULL: not given.';
COMMENT ON COLUMN core.petition_signatures.created_date IS 'NB created_at: when the person signed (consent provenance). NULL: not reported.';
COMMENT ON COLUMN core.petition_signatures.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.petition_signatures.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.petition_signatures.raw_sha256 IS 'Provenance: raw.records.sha256 of the record this row was derived from.';
COMMENT ON COLUMN core.petition_signatures.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE sensitive.petition_signature_comments (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation              text        NOT NULL,
    source_id           text        NOT NULL,
    signature_source_id text        NOT NULL,
    comment             text,
    run_id              bigint,
    raw_sha256          text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT petition_signature_comments_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX petition_signature_comments_signature_idx ON sensitive.petition_signature_comments (nation, signature_source_id);
COMMENT ON TABLE sensitive.petition_signature_comments IS
    'The comment a signer left with a petition signature (NB petition_signatures comment), one row per signature with a non-empty comment, kept out of core.petition_signatures because it is free text. FLAGGED: may hold any special-category data (health, religion, political opinion). Privacy: special category (Art. 9) possible.';
COMMENT ON COLUMN sensitive.petition_signature_comments.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN sensitive.petition_signature_comments.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN sensitive.petition_signature_comments.source_id IS 'NationBuilder petition signature id (v2) as text, the same as core.petition_signatures.source_id.';
COMMENT ON COLUMN sensitive.petition_signature_comments.signature_source_id IS 'NationBuilder id of the signature (core.petition_signatures.source_id). Not a foreign key.';
COMMENT ON COLUMN sensitive.petition_signature_comments.comment IS 'NB comment as received: displayed with the signature on the site unless private. FLAGGED: free text, may hold special-category data. Privacy: Art. 9 possible. NULL: never (rows exist only for a comment).';
COMMENT ON COLUMN sensitive.petition_signature_comments.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN sensitive.petition_signature_comments.raw_sha256 IS 'Provenance: raw.records.sha256 of the record this row was derived from.';
COMMENT ON COLUMN sensitive.petition_signature_comments.loaded_at IS 'Provenance: when this row was last written.';

ALTER TABLE core.donations ADD COLUMN tracking_code_source_id text;
COMMENT ON COLUMN core.donations.tracking_code_source_id IS 'NationBuilder id of the tracking code (core.donation_tracking_codes.source_id). NB donation_tracking_code_id (v2 only: a v1 donation names its code by slug, tracking_code). Not a foreign key. NULL: none, or exported through v1.';
ALTER TABLE core.donations ADD COLUMN page_source_id text;
COMMENT ON COLUMN core.donations.page_source_id IS 'NationBuilder id of the page the donation was made on (pages). NB page_id (v2 only: v1 gives page_slug, kept in the raw archive). Not a foreign key. NULL: none, or exported through v1.';
ALTER TABLE core.donations ADD COLUMN pledge_source_id text;
COMMENT ON COLUMN core.donations.pledge_source_id IS 'NationBuilder id of the pledge the donation honours (core.pledges.source_id). NB pledge_id (v1 and v2). Not a foreign key. NULL: none.';
