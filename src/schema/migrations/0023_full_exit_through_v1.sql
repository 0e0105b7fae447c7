-- The full exit through API v1 (issue 12): sites, precincts, paths and their steps, lists and
-- their members, contacts, events and RSVPs, petitions and signatures, surveys with their
-- questions and choices, and survey answers are now read through v1 too, into the same tables.
-- No table or column changes: the comments that said "v1 … not read yet" now say what a v1
-- export puts in the keys that differ from v2's.

COMMENT ON TABLE core.sites IS
    'The nation''s websites (NB sites, v2 /sites or v1 /sites): one row per site, with its name, slug and custom domain. Pages (core.pages) belong to a site. NationBuilder serves no timestamps for sites and no show route: a site is re-read whole at reconciliation. No OSDI equivalent. Privacy: operational.';

COMMENT ON TABLE core.lists IS
    'The party''s saved lists of people (OSDI list): call lists, canvass turfs, committees, one row per NationBuilder list (v2 /lists or v1 /lists). Who is on a list is core.list_items. source_total_items is NationBuilder''s own count of the list''s people (v2 signups_count, v1 count), checked against the items loaded. Privacy: operational (a list''s name can say what the party thinks of the people on it).';
COMMENT ON COLUMN core.lists.source_id IS 'NationBuilder list id as text (the same through v1 and v2).';

COMMENT ON TABLE core.precincts IS
    'The party''s precincts: local branches or polling districts, one row per NationBuilder precinct (v2 /precincts or v1 /precincts), with a point person. People name theirs in core.people.precinct_source_id. NationBuilder gives precincts no timestamps (no created or modified date exists). No OSDI equivalent. Privacy: operational.';
COMMENT ON COLUMN core.precincts.source_id IS 'NationBuilder precinct id as text (the same through v1 and v2).';

COMMENT ON COLUMN core.contacts.source_id IS 'NationBuilder contact id (v2) as text; through v1, which gives contacts no id, "<person id>:<created_at>", with "#2", "#3"… for further contacts of that person in the same second, in the order v1 lists them.';
COMMENT ON COLUMN sensitive.contact_notes.contact_source_id IS 'The contact (core.contacts.source_id, v2 id or v1 key). Not a foreign key.';

COMMENT ON COLUMN core.events.source_id IS 'NationBuilder event id (v2 events) as text; RSVPs and ticket levels name their event by it. Through v1 an event is its page: the page id (also in page_source_id).';
COMMENT ON COLUMN core.attendances.source_id IS 'NationBuilder event RSVP id (v2 event_rsvps) as text; through v1, which gives RSVPs no id, "<event page id>:<person id>" ("#2" for a repeat).';
COMMENT ON COLUMN core.attendances.event_source_id IS 'NationBuilder id of the event (core.events.source_id: the v2 event id, or through v1 the event''s page id). NB event_id. Not a foreign key. Privacy: operational. NULL: not reported.';

COMMENT ON TABLE core.surveys IS
    'The nation''s surveys (NB v2 /surveys, or v1 site pages /sites/:slug/pages/surveys with their questions and choices embedded): one row per survey, with its name. Its questions are core.survey_questions, their choices core.survey_question_choices, the answers sensitive.survey_answers. OSDI has no survey object (a Question stands alone); the rows group questions as NationBuilder does. Privacy: operational.';
COMMENT ON COLUMN core.surveys.source_id IS 'NationBuilder survey id (v2) as text; through v1 the survey page''s id.';

COMMENT ON TABLE core.petitions IS
    'Petitions (NB v2 /petitions, or v1 site pages /sites/:slug/pages/petitions; OSDI Petition): the petition''s texts, goal and signing form. NationBuilder gives a v2 petition NO name, slug or timestamp: its title is its page''s (page_source_id), and changes cannot be found by time, so the collection is re-read whole at reconciliation. Privacy: operational.';
COMMENT ON COLUMN core.petitions.source_id IS 'NationBuilder petition id (v2) as text; through v1 the petition page''s id (also in page_source_id).';

COMMENT ON TABLE core.petition_signatures IS
    'Petition signatures (NB v2 /petition_signatures, or v1 per petition page; OSDI Signature): who signed which petition, when, on which page and recruited by whom: action history and the provenance of a sign-up (consent). The signer''s public comment is free text and is kept apart in sensitive.petition_signature_comments. People deleted at source keep their signatures (NB documents no cascade). Signing a party''s petition may itself reveal a political opinion. Privacy: personal.';
COMMENT ON COLUMN core.petition_signatures.petition_source_id IS 'NationBuilder id of the petition (core.petitions.source_id: the v2 petition id, or through v1 the petition''s page id). NB petition_id. Not a foreign key. NULL: not given.';

COMMENT ON COLUMN sensitive.survey_answers.source_id IS 'NationBuilder survey question response id (v2) as text; through v1 "<survey response id>:<question response id>".';
