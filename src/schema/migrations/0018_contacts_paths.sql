-- 0018_contacts_paths: the canvass/call/meeting log (core.contacts, with its free-text notes in
-- sensitive.contact_notes) and the volunteer and member pipelines (core.paths, core.path_steps,
-- core.path_journeys, core.path_histories, core.path_journey_status_changes).
-- NationBuilder v2 serves each nation-wide (`/contacts`, `/paths`, `/path_steps`,
-- `/path_journeys`, `/path_histories`, `/path_journey_status_changes`); v1 has contacts only per
-- person and paths with their steps embedded, and no journeys. A contact has `created_at` but no
-- `updated_at`: it is re-read whole at reconciliation, and an edit of its note cannot be found
-- incrementally. A contact's note is free text that may reveal health, religion or political
-- opinion (GDPR Art. 9): it is kept apart in schema `sensitive`, one row per contact that has a
-- note. Like the other core tables: no foreign keys (a record of a person, path or step deleted
-- at source is kept as the source has it; references are checked by `verify`), run_id not a
-- declared foreign key (see 0007).

CREATE TABLE core.contacts (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                text        NOT NULL,
    source_id             text        NOT NULL,
    person_source_id      text,
    canvasser_source_id   text,
    broadcaster_source_id text,
    contact_type          text,
    status_code           text,
    path_source_id        text,
    path_step_source_id   text,
    political_capital_cents integer,
    created_date          timestamptz,
    run_id                bigint,
    raw_sha256            text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT contacts_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX contacts_person_idx ON core.contacts (nation, person_source_id);
COMMENT ON TABLE core.contacts IS
    'The canvass, call and meeting log: one row per NationBuilder contact (v2 contacts; v1 '
    '/people/:id/contacts), who was contacted, by whom, how and with what outcome. OSDI canvass '
    '(target, canvasser, contact_type, status_code). The free-text note is in '
    'sensitive.contact_notes. NationBuilder gives contacts no updated_at (reconciliation re-reads '
    'them all) and v2 no contact type (v1 type_id). Privacy: personal (who was canvassed, and how, '
    'can reveal a political opinion).';
COMMENT ON COLUMN core.contacts.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.contacts.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.contacts.source_id IS 'NationBuilder contact id (v2) as text.';
COMMENT ON COLUMN core.contacts.person_source_id IS 'NationBuilder id of the person contacted (core.people.source_id; OSDI target). NB signup_id. Not a foreign key: a person deleted at source keeps the id. Privacy: personal. NULL: not given.';
COMMENT ON COLUMN core.contacts.canvasser_source_id IS 'NationBuilder id of the person who made the contact (core.people.source_id; OSDI canvasser). NB author_id. Privacy: personal. NULL: not recorded (imported or automatic contacts).';
COMMENT ON COLUMN core.contacts.broadcaster_source_id IS 'NationBuilder id of the broadcaster (sender identity) of a blast contact. NB broadcaster_id (core.broadcasters.source_id). Not a foreign key: a broadcaster deleted at source keeps its id here. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.contacts.contact_type IS 'NB contact_method as received (door_knock | phone_call | email | email_blast | face_to_face | meeting | text | text_blast | … ; OSDI contact_type). Privacy: personal. NULL: not given.';
COMMENT ON COLUMN core.contacts.status_code IS 'NB contact_status, the outcome, as received (answered | no_answer | left_message | meaningful_interaction | not_interested | refused | bad_info | inaccessible | send_information | other; OSDI status_code). Privacy: personal. NULL: not given.';
COMMENT ON COLUMN core.contacts.path_source_id IS 'NationBuilder id of the path the contact belongs to (core.paths.source_id). NB path_id. Not a foreign key: a deleted path keeps its id. NULL: none.';
COMMENT ON COLUMN core.contacts.path_step_source_id IS 'NationBuilder id of the path step the contact belongs to (core.path_steps.source_id). NB path_step_id. NULL: none.';
COMMENT ON COLUMN core.contacts.political_capital_cents IS 'NB pc_in_cents: political capital awarded for the contact, in hundredths of a point (NationBuilder''s engagement score, not money). Privacy: operational. NULL: not given.';
COMMENT ON COLUMN core.contacts.created_date IS 'NB created_at: when the contact was logged (OSDI action_date). NationBuilder keeps no updated_at for contacts. NULL: not reported.';
COMMENT ON COLUMN core.contacts.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.contacts.raw_sha256 IS 'Provenance: raw.records.sha256 of the contact record this row was derived from.';
COMMENT ON COLUMN core.contacts.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE sensitive.contact_notes (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation            text        NOT NULL,
    source_id         text        NOT NULL,
    contact_source_id text        NOT NULL,
    person_source_id  text,
    content           text        NOT NULL,
    created_date      timestamptz,
    run_id            bigint,
    raw_sha256        text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT contact_notes_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX contact_notes_contact_idx ON sensitive.contact_notes (nation, contact_source_id);
CREATE INDEX contact_notes_person_idx ON sensitive.contact_notes (nation, person_source_id);
COMMENT ON TABLE sensitive.contact_notes IS
    'The free-text note of a contact (NB contacts.content), one row per contact that has one: '
    'what a canvasser wrote after a door knock or a call, which may say anything about the person '
    '(health, religion, political opinion, family). Flagged special category and kept out of '
    'core.contacts so it can be granted, encrypted or erased separately. An edit of a note at '
    'source is only seen by re-reading every contact. Privacy: special category (GDPR Art. 9, '
    'free text).';
COMMENT ON COLUMN sensitive.contact_notes.id IS 'Internal row number.';
COMMENT ON COLUMN sensitive.contact_notes.nation IS 'NationBuilder nation slug.';
COMMENT ON COLUMN sensitive.contact_notes.source_id IS 'Derived id ''<contact id>:content'', e.g. ''42:content''.';
COMMENT ON COLUMN sensitive.contact_notes.contact_source_id IS 'NationBuilder id of the contact (core.contacts.source_id). Not a foreign key.';
COMMENT ON COLUMN sensitive.contact_notes.person_source_id IS 'NationBuilder id of the person the note is about (the contact''s signup_id; core.people.source_id), so the note can be found and erased per person. NULL: the contact names no person.';
COMMENT ON COLUMN sensitive.contact_notes.content IS 'NB content: the note exactly as received (not trimmed). Free text that may contain special-category data about the person contacted. Privacy: special category (Art. 9).';
COMMENT ON COLUMN sensitive.contact_notes.created_date IS 'NB created_at of the contact. NULL: not reported.';
COMMENT ON COLUMN sensitive.contact_notes.run_id IS 'Provenance: run that wrote this row (sync.runs.id).';
COMMENT ON COLUMN sensitive.contact_notes.raw_sha256 IS 'Provenance: raw.records.sha256 of the contact record this row was derived from.';
COMMENT ON COLUMN sensitive.contact_notes.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.paths (
    id                             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                         text        NOT NULL,
    source_id                      text        NOT NULL,
    name                           text,
    default_point_person_source_id text,
    due_date_is_enabled            boolean,
    default_due_date_interval      text,
    value_amount_is_enabled        boolean,
    default_value_amount           text,
    created_date                   timestamptz,
    modified_date                  timestamptz,
    run_id                         bigint,
    raw_sha256                     text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at                      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT paths_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.paths IS
    'The nation''s paths (NB v2 paths; v1 /paths): volunteer and member pipelines such as '
    'onboarding or candidate vetting, with their default point person and due-date and value '
    'settings. Their steps are core.path_steps, the people on them core.path_journeys. No OSDI '
    'equivalent (extension table). Privacy: operational.';
COMMENT ON COLUMN core.paths.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.paths.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.paths.source_id IS 'NationBuilder path id (v2) as text.';
COMMENT ON COLUMN core.paths.name IS 'NB name of the path (e.g. ''New member onboarding''), as received. Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.paths.default_point_person_source_id IS 'NationBuilder id of the path''s default point person (core.people.source_id). NB default_point_person_id. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.paths.due_date_is_enabled IS 'NB due_date_is_enabled: whether journeys on the path have due dates. NULL: not reported.';
COMMENT ON COLUMN core.paths.default_due_date_interval IS 'NB default_due_date_interval as received (none | same_day | one_day | … | one_week | thirty_day | one_year): when a journey is due after it starts. NULL: not set.';
COMMENT ON COLUMN core.paths.value_amount_is_enabled IS 'NB value_amount_is_enabled: whether journeys on the path carry a value amount. NULL: not reported.';
COMMENT ON COLUMN core.paths.default_value_amount IS 'NB default_value_amount: the default value of a journey, a decimal kept as the text received (e.g. ''3.50''; no currency given). NULL: not set.';
COMMENT ON COLUMN core.paths.created_date IS 'NB created_at: when the path was created. NULL: not reported.';
COMMENT ON COLUMN core.paths.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.paths.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.paths.raw_sha256 IS 'Provenance: raw.records.sha256 of the path record this row was derived from.';
COMMENT ON COLUMN core.paths.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.path_steps (
    id                             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                         text        NOT NULL,
    source_id                      text        NOT NULL,
    path_source_id                 text,
    name                           text,
    position                       integer,
    default_point_person_source_id text,
    default_due_date_interval      text,
    created_date                   timestamptz,
    modified_date                  timestamptz,
    run_id                         bigint,
    raw_sha256                     text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at                      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT path_steps_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX path_steps_path_idx ON core.path_steps (nation, path_source_id);
COMMENT ON TABLE core.path_steps IS
    'The steps of each path (NB v2 path_steps; v1 embeds them without ids in /paths), in '
    'position order, with their default point person and due interval. Extension table (no '
    'OSDI equivalent). Privacy: operational.';
COMMENT ON COLUMN core.path_steps.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.path_steps.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.path_steps.source_id IS 'NationBuilder path step id (v2) as text.';
COMMENT ON COLUMN core.path_steps.path_source_id IS 'NationBuilder id of the step''s path (core.paths.source_id). NB path_id. Not a foreign key. NULL: not given.';
COMMENT ON COLUMN core.path_steps.name IS 'NB name of the step (e.g. ''Welcome call''), as received. Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.path_steps.position IS 'NB position: the step''s place in its path (1 = first). NULL: not given.';
COMMENT ON COLUMN core.path_steps.default_point_person_source_id IS 'NationBuilder id of the step''s default point person (core.people.source_id). NB default_point_person_id. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.path_steps.default_due_date_interval IS 'NB default_due_date_interval as received (none | same_day | … | one_year): when the step is due after it starts. NULL: not set.';
COMMENT ON COLUMN core.path_steps.created_date IS 'NB created_at: when the step was created. NULL: not reported.';
COMMENT ON COLUMN core.path_steps.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.path_steps.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.path_steps.raw_sha256 IS 'Provenance: raw.records.sha256 of the path step record this row was derived from.';
COMMENT ON COLUMN core.path_steps.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.path_journeys (
    id                                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                              text        NOT NULL,
    source_id                           text        NOT NULL,
    person_source_id                    text,
    path_source_id                      text,
    current_step_source_id              text,
    point_person_source_id              text,
    current_step_point_person_source_id text,
    description                         text,
    due_date                            timestamptz,
    current_step_due_date               timestamptz,
    value_amount                        text,
    journey_status                      text,
    ended_at                            timestamptz,
    last_moved_at                       timestamptz,
    status_change_source_id             text,
    created_date                        timestamptz,
    modified_date                       timestamptz,
    run_id                              bigint,
    raw_sha256                          text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at                           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT path_journeys_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX path_journeys_person_idx ON core.path_journeys (nation, person_source_id);
COMMENT ON TABLE core.path_journeys IS
    'One person''s journey along a path (NB v2 path_journeys; not in v1): current step, point '
    'people, due dates, value and status. Its past steps are core.path_histories. Extension table '
    '(no OSDI equivalent). Privacy: personal (a candidate-vetting path, for instance, says a lot '
    'about a person).';
COMMENT ON COLUMN core.path_journeys.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.path_journeys.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.path_journeys.source_id IS 'NationBuilder path journey id (v2) as text.';
COMMENT ON COLUMN core.path_journeys.person_source_id IS 'NationBuilder id of the person on the path (core.people.source_id). NB signup_id. Not a foreign key. Privacy: personal. NULL: not given.';
COMMENT ON COLUMN core.path_journeys.path_source_id IS 'NationBuilder id of the path (core.paths.source_id). NB path_id. NULL: not given.';
COMMENT ON COLUMN core.path_journeys.current_step_source_id IS 'NationBuilder id of the step the person is on now (core.path_steps.source_id). NB current_step_id. NULL: none (e.g. a finished journey, depending on the nation).';
COMMENT ON COLUMN core.path_journeys.point_person_source_id IS 'NationBuilder id of the journey''s point person (core.people.source_id). NB point_person_id. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.path_journeys.current_step_point_person_source_id IS 'NationBuilder id of the point person of the current step (core.people.source_id). NB current_step_point_person_id. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.path_journeys.description IS 'NB description: free text on the person''s journey (e.g. ''Added by API''), as received. Privacy: personal (free text). NULL: none.';
COMMENT ON COLUMN core.path_journeys.due_date IS 'NB due_date: when the whole path is due to be completed. NULL: no due date.';
COMMENT ON COLUMN core.path_journeys.current_step_due_date IS 'NB current_step_due_date: when the current step is due. NULL: no due date.';
COMMENT ON COLUMN core.path_journeys.value_amount IS 'NB value_amount: the journey''s value, a decimal kept as the text received (e.g. ''5.00''; no currency given). NULL: values not enabled on the path.';
COMMENT ON COLUMN core.path_journeys.journey_status IS 'NB journey_status as received: active | completed | abandoned | deleted (read-only at source). The current status only; its changes are in core.path_histories. NULL: not reported.';
COMMENT ON COLUMN core.path_journeys.ended_at IS 'NB ended_at: when the journey was completed or abandoned. NULL: still going.';
COMMENT ON COLUMN core.path_journeys.last_moved_at IS 'NB last_moved_at: the last time the person moved along the path. NULL: never moved.';
COMMENT ON COLUMN core.path_journeys.status_change_source_id IS 'NationBuilder id of the status change that ended the journey (core.path_journey_status_changes.source_id). NB path_journey_status_change_id. NULL: not ended, or ended without one.';
COMMENT ON COLUMN core.path_journeys.created_date IS 'NB created_at: when the person was put on the path. NULL: not reported.';
COMMENT ON COLUMN core.path_journeys.modified_date IS 'NB updated_at at export time (a step change touches it). NULL: not reported.';
COMMENT ON COLUMN core.path_journeys.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.path_journeys.raw_sha256 IS 'Provenance: raw.records.sha256 of the path journey record this row was derived from.';
COMMENT ON COLUMN core.path_journeys.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.path_histories (
    id                                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                              text        NOT NULL,
    source_id                           text        NOT NULL,
    path_journey_source_id              text,
    path_step_source_id                 text,
    category                            text,
    point_person_source_id              text,
    current_step_point_person_source_id text,
    recruiter_source_id                 text,
    status_change_source_id             text,
    created_date                        timestamptz,
    modified_date                       timestamptz,
    run_id                              bigint,
    raw_sha256                          text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at                           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT path_histories_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX path_histories_journey_idx ON core.path_histories (nation, path_journey_source_id);
COMMENT ON TABLE core.path_histories IS
    'The log of path journeys (NB v2 path_histories; not in v1): one row per step change, '
    'completion, abandonment, new point person, voiding or reactivation, with the step and the '
    'people involved at that moment. Read-only at source; rows are added, not edited. Extension '
    'table (no OSDI equivalent). Privacy: personal.';
COMMENT ON COLUMN core.path_histories.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.path_histories.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.path_histories.source_id IS 'NationBuilder path history id (v2) as text.';
COMMENT ON COLUMN core.path_histories.path_journey_source_id IS 'NationBuilder id of the journey (core.path_journeys.source_id). NB path_journey_id. Not a foreign key. NULL: not given.';
COMMENT ON COLUMN core.path_histories.path_step_source_id IS 'NationBuilder id of the step concerned (core.path_steps.source_id). NB path_step_id. NULL: not given.';
COMMENT ON COLUMN core.path_histories.category IS 'NB category as received: step_change | completion | abandonment | new_point_person | new_current_step_point_person | voiding | reactivation. NULL: not given.';
COMMENT ON COLUMN core.path_histories.point_person_source_id IS 'NationBuilder id of the journey''s point person at that moment (core.people.source_id). NB point_person_id. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.path_histories.current_step_point_person_source_id IS 'NationBuilder id of the current step''s point person at that moment (core.people.source_id). NB current_step_point_person_id. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.path_histories.recruiter_source_id IS 'NationBuilder id of the recruiter credited (core.people.source_id). NB recruiter_id. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.path_histories.status_change_source_id IS 'NationBuilder id of the status change of a completion or abandonment (core.path_journey_status_changes.source_id). NB path_journey_status_change_id. NULL: not a status change, or none given.';
COMMENT ON COLUMN core.path_histories.created_date IS 'NB created_at: when it happened. NULL: not reported.';
COMMENT ON COLUMN core.path_histories.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.path_histories.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.path_histories.raw_sha256 IS 'Provenance: raw.records.sha256 of the path history record this row was derived from.';
COMMENT ON COLUMN core.path_histories.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.path_journey_status_changes (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation         text        NOT NULL,
    source_id      text        NOT NULL,
    path_source_id text,
    name           text,
    target_status  text,
    created_date   timestamptz,
    modified_date  timestamptz,
    run_id         bigint,
    raw_sha256     text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT path_journey_status_changes_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.path_journey_status_changes IS
    'The named ways a path''s journeys end (NB v2 path_journey_status_changes; not in v1): a '
    'name such as ''Decided to quit'' and the status it leads to. Journeys and history rows refer '
    'to them. Extension table (no OSDI equivalent). Privacy: operational.';
COMMENT ON COLUMN core.path_journey_status_changes.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.path_journey_status_changes.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.path_journey_status_changes.source_id IS 'NationBuilder path journey status change id (v2) as text.';
COMMENT ON COLUMN core.path_journey_status_changes.path_source_id IS 'NationBuilder id of the path it belongs to (core.paths.source_id). NB path_id. Not a foreign key. NULL: not given.';
COMMENT ON COLUMN core.path_journey_status_changes.name IS 'NB name: short description of the change (e.g. ''Decided to quit''), as received. Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.path_journey_status_changes.target_status IS 'NB target_status as received: completed | abandoned. NULL: not given.';
COMMENT ON COLUMN core.path_journey_status_changes.created_date IS 'NB created_at: when it was defined. NULL: not reported.';
COMMENT ON COLUMN core.path_journey_status_changes.modified_date IS 'NB updated_at at export time. NULL: not reported.';
COMMENT ON COLUMN core.path_journey_status_changes.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.path_journey_status_changes.raw_sha256 IS 'Provenance: raw.records.sha256 of the status change record this row was derived from.';
COMMENT ON COLUMN core.path_journey_status_changes.loaded_at IS 'Provenance: when this row was last written.';
