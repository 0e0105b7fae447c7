-- 0022_mailings_automations_imports: the nation's outreach machinery and import provenance
-- (schema `core`): broadcasters, mailings, automations, automation enrollments and imports, all
-- through NationBuilder API v2 (issue 12, item 9).
-- Mailings are metadata only: the API gives no recipients, deliveries, opens or clicks.
-- Automations and their enrollments have no updated_at: re-read whole at reconciliation.
-- The spec declares no page parameters for /imports: the exporter reads it as a collection
-- whose paging is unsure. Like the other core tables: no foreign keys (a record keeps the id of
-- a person, broadcaster or automation deleted at source, as the source has it), run_id not a
-- declared foreign key (see 0007).

CREATE TABLE core.broadcasters (
    id                                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                              text        NOT NULL,
    source_id                           text        NOT NULL,
    name                                text,
    email                               text,
    person_source_id                    text,
    point_person_source_id              text,
    text_point_person_source_id         text,
    voicemail_point_person_source_id    text,
    call_type_source_id                 text,
    emailer_tags                        text,
    text_tags                           text,
    voicemail_tags                      text,
    emailers_need_followup              boolean,
    text_needs_followup                 boolean,
    voicemail_needs_followup            boolean,
    is_bcc                              boolean,
    receive_email                       boolean,
    new_email_sender_marked_as_prospect boolean,
    mailings_count_reported             integer,
    received_calls_count_reported       integer,
    text_blasts_count_reported          integer,
    created_date                        timestamptz,
    modified_date                       timestamptz,
    run_id                              bigint,
    raw_sha256                          text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at                           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT broadcasters_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.broadcasters IS
    'The nation''s broadcasters (NB v2 broadcasters; not exported through v1): the senders of email and text blasts (headquarters, press office, local sections), with the person that stands for each and the point people who follow up replies. Contacts and mailings name their broadcaster by id (broadcaster_source_id). No OSDI equivalent (OSDI messages carry a from line only). Privacy: contact (a sender address; point people are personal data by reference).';
COMMENT ON COLUMN core.broadcasters.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.broadcasters.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.broadcasters.source_id IS 'NationBuilder broadcaster id (v2) as text.';
COMMENT ON COLUMN core.broadcasters.name IS 'NB name: the sender''s name as shown (e.g. ''Party HQ''). Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.broadcasters.email IS 'NB email: the sender address. Privacy: contact (may be a person''s own address). NULL: not set.';
COMMENT ON COLUMN core.broadcasters.person_source_id IS 'NationBuilder id of the signup that belongs to the broadcaster (core.people.source_id). NB signup_id. Not a foreign key: a person deleted at source keeps the id. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.broadcasters.point_person_source_id IS 'NationBuilder id of the broadcaster''s point person (core.people.source_id), who follows up email replies. NB point_person_id. Not a foreign key. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.broadcasters.text_point_person_source_id IS 'NationBuilder id of the point person for texts (core.people.source_id). NB text_point_person_id. Not a foreign key. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.broadcasters.voicemail_point_person_source_id IS 'NationBuilder id of the point person for voicemails (core.people.source_id). NB voicemail_point_person_id. Not a foreign key. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.broadcasters.call_type_source_id IS 'NationBuilder id of the broadcaster''s call type. NB call_type_id. Call types are not exported: an id only. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.broadcasters.emailer_tags IS 'NB emailer_tags as received: comma-separated tags given to people who interact with the broadcaster by email. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.broadcasters.text_tags IS 'NB text_tags as received: comma-separated tags given to people who text the broadcaster. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.broadcasters.voicemail_tags IS 'NB voicemail_tags as received: comma-separated tags given to people who leave a voicemail. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.broadcasters.emailers_need_followup IS 'NB emailers_need_followup: email interactions with the broadcaster are marked as needing follow-up. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.broadcasters.text_needs_followup IS 'NB text_needs_followup: texts received are marked as needing follow-up. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.broadcasters.voicemail_needs_followup IS 'NB voicemail_needs_followup: voicemails received are marked as needing follow-up. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.broadcasters.is_bcc IS 'NB is_bcc: BCC is enabled for the broadcaster. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.broadcasters.receive_email IS 'NB receive_email: the broadcaster may receive emails. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.broadcasters.new_email_sender_marked_as_prospect IS 'NB new_email_sender_marked_as_prospect: people emailing the broadcaster for the first time are marked as prospects. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.broadcasters.mailings_count_reported IS 'NB mailings_count as reported at export time: email blasts created by the broadcaster (recomputed at source; compare with core.mailings). Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.broadcasters.received_calls_count_reported IS 'NB received_calls_count as reported at export time (calls are not exported). Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.broadcasters.text_blasts_count_reported IS 'NB text_blasts_count as reported at export time (text blasts are not exported). Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.broadcasters.created_date IS 'NB created_at: when the broadcaster was created. NULL: not reported.';
COMMENT ON COLUMN core.broadcasters.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.broadcasters.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.broadcasters.raw_sha256 IS 'Provenance: raw.records.sha256 of the broadcaster record this row was derived from.';
COMMENT ON COLUMN core.broadcasters.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.mailings (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                text        NOT NULL,
    source_id             text        NOT NULL,
    name                  text,
    slug                  text,
    subject               text,
    preheader             text,
    description           text,
    from_name             text,
    broadcaster_source_id text,
    list_source_id        text,
    tag_list              text,
    send_at               timestamptz,
    queued_at             timestamptz,
    published_at          timestamptz,
    canceled_at           timestamptz,
    created_date          timestamptz,
    modified_date         timestamptz,
    run_id                bigint,
    raw_sha256            text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT mailings_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX mailings_broadcaster_idx ON core.mailings (nation, broadcaster_source_id);
COMMENT ON TABLE core.mailings IS
    'The nation''s email blasts (NB v2 mailings; not exported through v1), as metadata only: name, subject, sender, audience (a list or tags) and the send, queue, publish and cancel times. NationBuilder''s API gives NO recipients, deliveries, opens, clicks or bounces: who received a mailing cannot be recovered from it. The body (body_html, an opt-in extra field) is not exported. OSDI: message (subject, from, targets). Privacy: operational (an audience can reveal how the party segments people).';
COMMENT ON COLUMN core.mailings.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.mailings.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.mailings.source_id IS 'NationBuilder mailing id (v2) as text.';
COMMENT ON COLUMN core.mailings.name IS 'NB name: the blast''s internal name. Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.mailings.slug IS 'NB slug: the blast''s unique identifier in the nation. Privacy: operational. NULL: not set.';
COMMENT ON COLUMN core.mailings.subject IS 'NB subject: the email''s subject line (OSDI subject). Privacy: operational. NULL: not set.';
COMMENT ON COLUMN core.mailings.preheader IS 'NB preheader: the preview text shown in the inbox. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.mailings.description IS 'NB description: internal description of the email. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.mailings.from_name IS 'NB from: the email''s from line (OSDI from). Privacy: operational (may be a person''s name). NULL: not set.';
COMMENT ON COLUMN core.mailings.broadcaster_source_id IS 'NationBuilder id of the broadcaster that created the mailing (core.broadcasters.source_id). NB broadcaster_id. Not a foreign key: a broadcaster deleted at source keeps the id. NULL: none.';
COMMENT ON COLUMN core.mailings.list_source_id IS 'NationBuilder id of the list used as the mailing''s audience. NB custom_list_id (core.lists.source_id). Not a foreign key: a list deleted since the mailing keeps its id here. NULL: the audience is a tag list, or none.';
COMMENT ON COLUMN core.mailings.tag_list IS 'NB tag_list as received: comma-separated tags whose people were the mailing''s audience. Privacy: operational. NULL: the audience is a list, or none.';
COMMENT ON COLUMN core.mailings.send_at IS 'NB send_at: when the mailing was scheduled to be sent (may be after the export for a draft). NULL: not scheduled.';
COMMENT ON COLUMN core.mailings.queued_at IS 'NB queued_at: when the mailing was queued to send. NULL: never queued.';
COMMENT ON COLUMN core.mailings.published_at IS 'NB published_at: when the mailing was published (sent). NULL: not sent.';
COMMENT ON COLUMN core.mailings.canceled_at IS 'NB canceled_at: when the mailing was canceled. NULL: not canceled.';
COMMENT ON COLUMN core.mailings.created_date IS 'NB created_at: when the mailing was created. NULL: not reported.';
COMMENT ON COLUMN core.mailings.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.mailings.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.mailings.raw_sha256 IS 'Provenance: raw.records.sha256 of the mailing record this row was derived from.';
COMMENT ON COLUMN core.mailings.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.automations (
    id                                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                               text        NOT NULL,
    source_id                            text        NOT NULL,
    name                                 text,
    description                          text,
    status                               text,
    paused_at                            timestamptz,
    conversions_enabled                  boolean,
    total_enrollments_count_reported     integer,
    completed_enrollments_count_reported integer,
    converted_enrollments_count_reported integer,
    removed_enrollments_count_reported   integer,
    created_date                         timestamptz,
    run_id                               bigint,
    raw_sha256                           text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at                            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT automations_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.automations IS
    'The nation''s automations (NB v2 automations; no v1 route): automated workflows such as welcome series or member onboarding, with their status. NationBuilder gives them no updated_at: the catch-up re-reads them whole. Their steps and emails are not in the API. No OSDI equivalent. Privacy: operational.';
COMMENT ON COLUMN core.automations.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.automations.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.automations.source_id IS 'NationBuilder automation id (v2) as text.';
COMMENT ON COLUMN core.automations.name IS 'NB name. Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.automations.description IS 'NB description. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.automations.status IS 'NB status as received: ''drafted'' | ''running'' | ''on_hold'' | ''archived'' | ''ended'' (not checked: the API may add values). NULL: not reported.';
COMMENT ON COLUMN core.automations.paused_at IS 'NB paused_at: when the automation was paused. NULL: not paused.';
COMMENT ON COLUMN core.automations.conversions_enabled IS 'NB conversions_enabled (extra field): the automation tracks conversions. NULL: not reported.';
COMMENT ON COLUMN core.automations.total_enrollments_count_reported IS 'NB total_enrollments_count (extra field) as reported at export time (recomputed at source; compare with core.automation_enrollments). NULL: not reported.';
COMMENT ON COLUMN core.automations.completed_enrollments_count_reported IS 'NB completed_enrollments_count (extra field) as reported at export time. NULL: not reported.';
COMMENT ON COLUMN core.automations.converted_enrollments_count_reported IS 'NB converted_enrollments_count (extra field) as reported at export time. NULL: not reported.';
COMMENT ON COLUMN core.automations.removed_enrollments_count_reported IS 'NB removed_enrollments_count (extra field) as reported at export time. NULL: not reported.';
COMMENT ON COLUMN core.automations.created_date IS 'NB created_at: when the automation was created. NULL: not reported.';
COMMENT ON COLUMN core.automations.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.automations.raw_sha256 IS 'Provenance: raw.records.sha256 of the automation record this row was derived from.';
COMMENT ON COLUMN core.automations.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.automation_enrollments (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation               text        NOT NULL,
    source_id            text        NOT NULL,
    automation_source_id text        NOT NULL,
    person_source_id     text        NOT NULL,
    step_number          integer,
    campaign_source      text,
    campaign_url         text,
    excluded_at          timestamptz,
    next_execution_at    timestamptz,
    created_date         timestamptz,
    run_id               bigint,
    raw_sha256           text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT automation_enrollments_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX automation_enrollments_person_idx ON core.automation_enrollments (nation, person_source_id);
CREATE INDEX automation_enrollments_automation_idx ON core.automation_enrollments (nation, automation_source_id);
COMMENT ON TABLE core.automation_enrollments IS
    'People enrolled in an automation (NB v2 automation_enrollments; no v1 route): the step they are at, when their next step runs, when they were excluded, and the campaign that brought them. NationBuilder gives them no updated_at (a step moves without a timestamp): the catch-up re-reads them whole. Privacy: personal (which workflows a person is in).';
COMMENT ON COLUMN core.automation_enrollments.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.automation_enrollments.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.automation_enrollments.source_id IS 'NationBuilder automation enrollment id (v2) as text.';
COMMENT ON COLUMN core.automation_enrollments.automation_source_id IS 'NationBuilder id of the automation (core.automations.source_id). NB automation_id. Not a foreign key. Privacy: operational.';
COMMENT ON COLUMN core.automation_enrollments.person_source_id IS 'NationBuilder id of the enrolled person (core.people.source_id). NB signup_id. Not a foreign key: a person deleted at source keeps the id. Privacy: personal.';
COMMENT ON COLUMN core.automation_enrollments.step_number IS 'NB automation_step_number: the step the person is at (0 before the first). Privacy: personal. NULL: not reported.';
COMMENT ON COLUMN core.automation_enrollments.campaign_source IS 'NB campaign_source: the campaign source that brought the person in. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.automation_enrollments.campaign_url IS 'NB campaign_url: the campaign URL that brought the person in. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.automation_enrollments.excluded_at IS 'NB excluded_at: when the enrollment was excluded (the person left the automation). Privacy: personal. NULL: not excluded.';
COMMENT ON COLUMN core.automation_enrollments.next_execution_at IS 'NB next_execution: when the automation next runs for this enrollment. NULL: none scheduled (finished or excluded).';
COMMENT ON COLUMN core.automation_enrollments.created_date IS 'NB created_at: when the person was enrolled. NULL: not reported.';
COMMENT ON COLUMN core.automation_enrollments.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.automation_enrollments.raw_sha256 IS 'Provenance: raw.records.sha256 of the automation enrollment record this row was derived from.';
COMMENT ON COLUMN core.automation_enrollments.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.imports (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation            text        NOT NULL,
    source_id         text        NOT NULL,
    import_type       text,
    file_name         text,
    status            text,
    lines_count       integer,
    rows_successful   integer,
    rows_unsuccessful integer,
    rows_updated      integer,
    is_overwritable   boolean,
    tag_list          text,
    content_head      text,
    error_lines       text,
    started_at        timestamptz,
    finished_at       timestamptz,
    created_date      timestamptz,
    modified_date     timestamptz,
    run_id            bigint,
    raw_sha256        text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT imports_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.imports IS
    'Provenance of bulk-loaded rows (NB v2 imports; v1 shows one import by id but lists none): one row per CSV import with its type, file name, status, row counts, the head of the file and its errors, the tags given to imported people and when it ran. Which rows an import created is not in the API (people and donations carry an import_id). The spec declares no paging for /imports: read whole if it does not page. Privacy: personal (content_head and error_lines quote lines of the imported file).';
COMMENT ON COLUMN core.imports.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.imports.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.imports.source_id IS 'NationBuilder import id (v2) as text.';
COMMENT ON COLUMN core.imports.import_type IS 'NB type as received: what was imported (e.g. ''People'', ''Donations''). Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.imports.file_name IS 'NB file_name: the imported file''s name. Privacy: operational (a name may say whose data it was). NULL: not reported.';
COMMENT ON COLUMN core.imports.status IS 'NB status as received: ''finished'' | ''unprocessable'' | ''queueing'' | ''in_progress'' (not checked). NULL: not reported.';
COMMENT ON COLUMN core.imports.lines_count IS 'NB lines_count: lines in the imported file. NULL: not reported.';
COMMENT ON COLUMN core.imports.rows_successful IS 'NB rows_successful: rows imported successfully. NULL: not reported.';
COMMENT ON COLUMN core.imports.rows_unsuccessful IS 'NB rows_unsuccessful: rows that failed. NULL: not reported.';
COMMENT ON COLUMN core.imports.rows_updated IS 'NB rows_updated: rows that updated an existing record. NULL: not reported.';
COMMENT ON COLUMN core.imports.is_overwritable IS 'NB is_overwritable: the import overwrote non-empty fields. NULL: not reported.';
COMMENT ON COLUMN core.imports.tag_list IS 'NB tag_list as received: comma-separated tags given to the imported people. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.imports.content_head IS 'NB content_head: the first lines of the imported file (its column names and, as NationBuilder gives it, the start of its data). Privacy: personal (may quote a person''s row). NULL: not reported.';
COMMENT ON COLUMN core.imports.error_lines IS 'NB error_lines: the errors of the import, quoting failed lines. Privacy: personal (may quote a person''s row). NULL: none.';
COMMENT ON COLUMN core.imports.started_at IS 'NB started_at: when the import started. NULL: not started.';
COMMENT ON COLUMN core.imports.finished_at IS 'NB finished_at: when the import finished. NULL: not finished.';
COMMENT ON COLUMN core.imports.created_date IS 'NB created_at: when the import was created. NULL: not reported.';
COMMENT ON COLUMN core.imports.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.imports.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.imports.raw_sha256 IS 'Provenance: raw.records.sha256 of the import record this row was derived from.';
COMMENT ON COLUMN core.imports.loaded_at IS 'Provenance: when this row was last written.';
