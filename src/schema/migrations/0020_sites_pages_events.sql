-- 0020_sites_pages_events: the nation's sites and pages, its events, their RSVPs (OSDI
-- attendances) and ticket levels (schema `core`), read through API v2 (sites, pages, events,
-- event_rsvps, event_ticket_levels).
-- NationBuilder events have no name, slug, status or timestamps of their own: those are on the
-- event's page (core.events.page_source_id -> core.pages). v2 RSVPs have no signup_id attribute:
-- the person comes from relationships.signup.data (include=signup), and an RSVP whose person is
-- not given is kept with person_source_id NULL. v2 serves no page bodies. Sites, pages, events and
-- ticket levels carry no updated_at and are re-read whole at reconciliation. Like the other core
-- tables: no foreign keys (references to records deleted at source are kept as received), run_id
-- not a declared foreign key (see 0007).

CREATE TABLE core.sites (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation     text        NOT NULL,
    source_id  text        NOT NULL,
    name       text,
    slug       text,
    domain     text,
    run_id     bigint,
    raw_sha256 text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sites_nation_source_id_key UNIQUE (nation, source_id)
);
COMMENT ON TABLE core.sites IS
    'The nation''s websites (NB v2 sites; v1 has /sites too, not read yet): one row per site, with its name, slug and custom domain. Pages (core.pages) belong to a site. NationBuilder serves no timestamps for sites and no show route: a site is re-read whole at reconciliation. No OSDI equivalent. Privacy: operational.';
COMMENT ON COLUMN core.sites.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.sites.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.sites.source_id IS 'NationBuilder site id (v2 sites) as text; pages name their site by it (core.pages.site_source_id).';
COMMENT ON COLUMN core.sites.name IS 'NB name: the site''s name as shown in the control panel. Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.sites.slug IS 'NB slug: the site''s unique identifier in NationBuilder URLs. Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.sites.domain IS 'NB domain: the custom domain the site points to (e.g. ''www.example.org''). Privacy: operational. NULL: none (the site uses its nationbuilder.com address).';
COMMENT ON COLUMN core.sites.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.sites.raw_sha256 IS 'Provenance: raw.records.sha256 of the site record this row was derived from.';
COMMENT ON COLUMN core.sites.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.pages (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                     text        NOT NULL,
    source_id                  text        NOT NULL,
    name                       text,
    slug                       text,
    headline                   text,
    title                      text,
    excerpt                    text,
    external_id                text,
    page_type_name             text,
    status                     text,
    permission_level           text,
    effective_permission_level text,
    ancestors_permission_level text,
    url_path                   text,
    parent_slug                text,
    published_date             timestamptz,
    site_source_id             text,
    parent_source_id           text,
    author_source_id           text,
    run_id                     bigint,
    raw_sha256                 text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pages_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX pages_site_idx ON core.pages (nation, site_source_id);
CREATE INDEX pages_author_idx ON core.pages (nation, author_source_id);
COMMENT ON TABLE core.pages IS
    'The nation''s web pages (NB v2 pages, every page type: basic, event, donation, signup pages…): one row per page with its name, slug, status, permission level, site, parent and author, the ids other records (events, RSVPs, donations, membership types) refer to. v2 serves no page bodies (content), and no created_at/updated_at: a page is re-read whole at reconciliation. An event''s name, slug and status are its page''s (core.events.page_source_id). OSDI has no page; the closest is an event''s or form''s browser_url. Privacy: operational (author_source_id is personal).';
COMMENT ON COLUMN core.pages.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.pages.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.pages.source_id IS 'NationBuilder page id (v2 pages) as text; events, RSVPs, membership types and donations name pages by it.';
COMMENT ON COLUMN core.pages.name IS 'NB name: the page''s name as shown in the control panel; for an event page, the event''s name. Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.pages.slug IS 'NB slug: the page''s unique identifier, the last part of its URL (www.example.org/<slug>). Privacy: operational. NULL: empty at source.';
COMMENT ON COLUMN core.pages.headline IS 'NB headline: the header rendered above the page content. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.pages.title IS 'NB title: the page title search engines show. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.pages.excerpt IS 'NB excerpt: longer description for search engines. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.pages.external_id IS 'NB external_id: reference of a page imported from another service. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.pages.page_type_name IS 'NB page_type_name as received (e.g. ''Basic'', ''Event''). Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.pages.status IS 'NB status as received: ''published'' | ''unlisted'' | ''hidden'' | ''archived'' | ''expired'' | ''deleted'' | ''rule_violated'' (not checked: the API may add values); for an event page, the event''s status. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.pages.permission_level IS 'NB permission_level: who may view the page, ''anyone'' | ''logged_in'' | ''members'' | ''control_panel_users'' | ''admins''. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.pages.effective_permission_level IS 'NB effective_permission_level (read-only): the most restrictive of the page''s and its ancestors'' levels, the one enforced. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.pages.ancestors_permission_level IS 'NB ancestors_permission_level (read-only): the most restrictive level inherited from parent pages. Privacy: operational. NULL: a top-level page.';
COMMENT ON COLUMN core.pages.url_path IS 'NB url_path (read-only): the page''s path on its site (e.g. ''/donate''). Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.pages.parent_slug IS 'NB parent_slug (read-only): the parent page''s slug. Privacy: operational. NULL: a top-level page.';
COMMENT ON COLUMN core.pages.published_date IS 'NB published_at: when the page was published. Privacy: operational. NULL: never published (a draft).';
COMMENT ON COLUMN core.pages.site_source_id IS 'NationBuilder id of the page''s site (core.sites.source_id). NB site_id. Not a foreign key. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.pages.parent_source_id IS 'NationBuilder id of the parent page (core.pages.source_id). NB parent_id. Not a foreign key. Privacy: operational. NULL: a top-level page.';
COMMENT ON COLUMN core.pages.author_source_id IS 'NationBuilder id of the page''s author (core.people.source_id). NB author_id. Not a foreign key: an author deleted at source keeps the id. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.pages.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.pages.raw_sha256 IS 'Provenance: raw.records.sha256 of the page record this row was derived from.';
COMMENT ON COLUMN core.pages.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.events (
    id                                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation                              text        NOT NULL,
    source_id                           text        NOT NULL,
    page_source_id                      text,
    start_date                          timestamptz,
    duration_seconds                    integer,
    time_zone                           text,
    location_venue                      text,
    location_address1                   text,
    location_address2                   text,
    location_locality                   text,
    location_region                     text,
    location_postal_code                text,
    location_country                    text,
    description                         text,
    capacity                            integer,
    additional_rsvps_count              integer,
    attending_count                     integer,
    accept_rsvps                        boolean,
    allow_guests                        boolean,
    show_guests                         boolean,
    gather_volunteers                   boolean,
    uses_shifts                         boolean,
    uses_tickets                        boolean,
    is_private                          boolean,
    event_form_address                  text,
    event_form_phone                    text,
    contact_name                        text,
    contact_email                       text,
    contact_phone                       text,
    contact_email_private               boolean,
    contact_phone_private               boolean,
    point_person_source_id              text,
    donation_tracking_code_source_id    text,
    auto_response_broadcaster_source_id text,
    sends_auto_response                 boolean,
    auto_response_subject               text,
    auto_response_content               text,
    user_ticket_currency                text,
    user_ticket_price_in_cents          integer,
    user_ticket_purchase_url            text,
    run_id                              bigint,
    raw_sha256                          text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at                           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX events_page_idx ON core.events (nation, page_source_id);
COMMENT ON TABLE core.events IS
    'The nation''s events (NB v2 events; OSDI event): one row per event with its start, duration, venue, capacity, contact, RSVP and ticket settings and its page. NationBuilder events have no name, slug, status or timestamps of their own: those are the event''s page''s (join core.pages on page_source_id). Without updated_at, events are re-read whole at reconciliation. The venue address is asked for with extra_fields[events]=venue_address. Privacy: operational, with the contact person''s name, e-mail and phone (contact) and the point person (personal).';
COMMENT ON COLUMN core.events.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.events.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.events.source_id IS 'NationBuilder event id (v2 events) as text; RSVPs and ticket levels name their event by it.';
COMMENT ON COLUMN core.events.page_source_id IS 'NationBuilder id of the event''s page (core.pages.source_id), which holds the event''s name (OSDI name/title), slug and status. NB page_id. Not a foreign key. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.events.start_date IS 'OSDI start_date. NB start_at: when the event starts. Privacy: operational. NULL: not set.';
COMMENT ON COLUMN core.events.duration_seconds IS 'NB duration: the event''s length in seconds (OSDI end_date = start_date + this). Privacy: operational. NULL: not set.';
COMMENT ON COLUMN core.events.time_zone IS 'NB time_zone: the Rails time-zone name the event takes place in (e.g. ''Paris''). Privacy: operational. NULL: not set.';
COMMENT ON COLUMN core.events.location_venue IS 'OSDI location.venue. NB venue_name. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.events.location_address1 IS 'OSDI location.address_lines[0]. NB venue_address.address1 (extra field). Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.events.location_address2 IS 'OSDI location.address_lines[1]. NB venue_address.address2. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.events.location_locality IS 'OSDI location.locality. NB venue_address.city. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.events.location_region IS 'OSDI location.region. NB venue_address.state. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.events.location_postal_code IS 'OSDI location.postal_code. NB venue_address.zip. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.events.location_country IS 'OSDI location.country (ISO 3166-1 alpha-2). NB venue_address.country_code. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.events.description IS 'OSDI description. NB content: the text shown on the public event page (written by the party for the public, not special-category data). Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.events.capacity IS 'OSDI capacity. NB capacity_count: RSVPs allowed, 0 meaning no limit. Privacy: operational. NULL: not set.';
COMMENT ON COLUMN core.events.additional_rsvps_count IS 'NB additional_rsvps_count: offline RSVPs added to the event''s count. Privacy: operational. NULL: not set.';
COMMENT ON COLUMN core.events.attending_count IS 'NB attending_count: the attendee count NationBuilder keeps (a derived counter, not the loaded RSVPs). Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.events.accept_rsvps IS 'NB accept_rsvps: people may RSVP on the event page. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.events.allow_guests IS 'NB allow_guests: an RSVP may bring guests. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.events.show_guests IS 'NB show_guests: RSVPs are shown on the event page. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.events.gather_volunteers IS 'NB gather_volunteers: the RSVP form asks for volunteers. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.events.uses_shifts IS 'NB uses_shifts: RSVPs sign up for shifts. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.events.uses_tickets IS 'NB uses_tickets: tickets are sold (see core.event_ticket_levels). Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.events.is_private IS 'NB private: the event is hidden on the website (OSDI visibility ''private''). Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.events.event_form_address IS 'NB event_form_address: whether the RSVP form asks for an address, ''required'' | ''optional'' | ''hidden''. Privacy: operational. NULL: not set.';
COMMENT ON COLUMN core.events.event_form_phone IS 'NB event_form_phone: whether the RSVP form asks for a phone number, ''required'' | ''optional'' | ''hidden''. Privacy: operational. NULL: not set.';
COMMENT ON COLUMN core.events.contact_name IS 'OSDI contact.name. NB contact_name: the event''s contact person. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.events.contact_email IS 'OSDI contact.email_address. NB contact_email, as received. Privacy: contact. NULL: none.';
COMMENT ON COLUMN core.events.contact_phone IS 'OSDI contact.phone_number. NB contact_phone_number, as received. Privacy: contact. NULL: none.';
COMMENT ON COLUMN core.events.contact_email_private IS 'NB contact_email_private: the e-mail is hidden on the public page. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.events.contact_phone_private IS 'NB contact_phone_private: the phone is hidden on the public page. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.events.point_person_source_id IS 'NationBuilder id of the point person assigned to RSVPs (core.people.source_id). NB point_person_id. Not a foreign key. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.events.donation_tracking_code_source_id IS 'NationBuilder id of the donation tracking code of ticket purchases. NB donation_tracking_code_id (core.donation_tracking_codes.source_id). Not a foreign key. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.events.auto_response_broadcaster_source_id IS 'NationBuilder id of the broadcaster that sends the RSVP auto-response. NB auto_response_broadcaster_id (core.broadcasters.source_id). Not a foreign key. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.events.sends_auto_response IS 'NB sends_auto_response: an e-mail is sent to each person who RSVPs. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.events.auto_response_subject IS 'NB auto_response_subject: subject of the RSVP auto-response. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.events.auto_response_content IS 'NB auto_response_content: body of the RSVP auto-response e-mail. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.events.user_ticket_currency IS 'NB user_ticket_currency: currency of tickets sold outside NationBuilder. Privacy: operational. NULL: tickets not sold elsewhere.';
COMMENT ON COLUMN core.events.user_ticket_price_in_cents IS 'NB user_ticket_price_in_cents: price of tickets sold outside NationBuilder, in cents. Privacy: operational. NULL: tickets not sold elsewhere.';
COMMENT ON COLUMN core.events.user_ticket_purchase_url IS 'NB user_ticket_purchase_url: the third-party ticket seller. Privacy: operational. NULL: tickets not sold elsewhere.';
COMMENT ON COLUMN core.events.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.events.raw_sha256 IS 'Provenance: raw.records.sha256 of the event record this row was derived from.';
COMMENT ON COLUMN core.events.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.attendances (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation           text        NOT NULL,
    source_id        text        NOT NULL,
    event_source_id  text,
    page_source_id   text,
    person_source_id text,
    given_name       text,
    family_name      text,
    email            text,
    canceled         boolean,
    attended         boolean,
    volunteer        boolean,
    is_private       boolean,
    guests_count     integer,
    tickets_count    integer,
    amount_minor     bigint,
    currency         char(3),
    prepaid          boolean,
    created_date     timestamptz,
    modified_date    timestamptz,
    run_id           bigint,
    raw_sha256       text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT attendances_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX attendances_event_idx ON core.attendances (nation, event_source_id);
CREATE INDEX attendances_person_idx ON core.attendances (nation, person_source_id);
COMMENT ON TABLE core.attendances IS
    'Who RSVPed to which event (NB v2 event_rsvps; OSDI attendance): one row per RSVP, cancelled ones included, with the attendee as entered, guests, tickets and whether they came. NationBuilder gives an RSVP no signup_id attribute: the person is read from relationships.signup.data, which the API gives only with include=signup; an RSVP whose person is not given is kept with person_source_id NULL and a non-fatal reject in sync.rejects saying so. Attending a party''s event can reveal a political opinion, like being on its supporter list. Privacy: personal.';
COMMENT ON COLUMN core.attendances.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.attendances.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.attendances.source_id IS 'NationBuilder event RSVP id (v2 event_rsvps) as text.';
COMMENT ON COLUMN core.attendances.event_source_id IS 'NationBuilder id of the event (core.events.source_id). NB event_id. Not a foreign key. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.attendances.page_source_id IS 'NationBuilder id of the event''s page (core.pages.source_id). NB page_id. Not a foreign key. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.attendances.person_source_id IS 'OSDI person. NationBuilder id of the person who RSVPed (core.people.source_id), from relationships.signup.data (include=signup): NB RSVPs have no signup_id attribute. Not a foreign key. Privacy: personal. NULL: the API did not give the person (see sync.rejects for the row).';
COMMENT ON COLUMN core.attendances.given_name IS 'NB first_name: the attendee''s first name as entered on the RSVP. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.attendances.family_name IS 'NB last_name: the attendee''s last name as entered on the RSVP. Privacy: personal. NULL: none.';
COMMENT ON COLUMN core.attendances.email IS 'NB email: the attendee''s e-mail as entered on the RSVP, as received. Privacy: contact. NULL: none.';
COMMENT ON COLUMN core.attendances.canceled IS 'NB canceled: the RSVP was cancelled (OSDI status ''declined''); churn at source cancels RSVPs rather than deleting them. Privacy: personal. NULL: not reported.';
COMMENT ON COLUMN core.attendances.attended IS 'OSDI attended. NB attendee: the person came to the event. Privacy: personal. NULL: not reported.';
COMMENT ON COLUMN core.attendances.volunteer IS 'NB volunteer: the attendee volunteers at the event. Privacy: personal. NULL: not reported.';
COMMENT ON COLUMN core.attendances.is_private IS 'NB private: the RSVP is not shown publicly. Privacy: personal. NULL: not reported.';
COMMENT ON COLUMN core.attendances.guests_count IS 'NB guests_count: guests the attendee brings. Privacy: personal. NULL: not reported.';
COMMENT ON COLUMN core.attendances.tickets_count IS 'NB tickets_count: tickets bought with this RSVP. Privacy: financial. NULL: a free event.';
COMMENT ON COLUMN core.attendances.amount_minor IS 'NB amount_in_cents: the cost of the RSVP, in minor units of currency. Privacy: financial. NULL: a free event.';
COMMENT ON COLUMN core.attendances.currency IS 'ISO 4217 code of amount_minor: the nation''s currency, set at export (NB does not send it). Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.attendances.prepaid IS 'NB prepaid: the RSVP was paid in advance. Privacy: financial. NULL: not a paid event.';
COMMENT ON COLUMN core.attendances.created_date IS 'NB created_at: when the person RSVPed. Privacy: personal. NULL: not reported.';
COMMENT ON COLUMN core.attendances.modified_date IS 'NB updated_at at export time (a cancellation moves it). Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.attendances.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.attendances.raw_sha256 IS 'Provenance: raw.records.sha256 of the RSVP record this row was derived from.';
COMMENT ON COLUMN core.attendances.loaded_at IS 'Provenance: when this row was last written.';

CREATE TABLE core.event_ticket_levels (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nation           text        NOT NULL,
    source_id        text        NOT NULL,
    event_source_id  text,
    title            text,
    description      text,
    amount_minor     bigint,
    currency         char(3),
    seats_per_ticket integer,
    ticket_limit     integer,
    tickets_sold     integer,
    run_id           bigint,
    raw_sha256       text        CHECK (raw_sha256 ~ '^[0-9a-f]{64}$'),
    loaded_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_ticket_levels_nation_source_id_key UNIQUE (nation, source_id)
);
CREATE INDEX event_ticket_levels_event_idx ON core.event_ticket_levels (nation, event_source_id);
COMMENT ON TABLE core.event_ticket_levels IS
    'The ticket levels of ticketed events (NB v2 event_ticket_levels; OSDI event ticket_levels): one row per level with its price, seats per ticket, limit and tickets sold. NationBuilder serves no timestamps for them: they are re-read whole at reconciliation. Privacy: operational.';
COMMENT ON COLUMN core.event_ticket_levels.id IS 'Internal row number; not stable across reloads, join on (nation, source_id) instead.';
COMMENT ON COLUMN core.event_ticket_levels.nation IS 'NationBuilder nation slug; NationBuilder ids are unique only within a nation.';
COMMENT ON COLUMN core.event_ticket_levels.source_id IS 'NationBuilder event ticket level id (v2 event_ticket_levels) as text.';
COMMENT ON COLUMN core.event_ticket_levels.event_source_id IS 'NationBuilder id of the event (core.events.source_id). NB event_id. Not a foreign key. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.event_ticket_levels.title IS 'OSDI ticket_levels.title. NB name: the level''s name (e.g. ''VIP''). Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.event_ticket_levels.description IS 'OSDI ticket_levels.description. NB description shown on the event page. Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.event_ticket_levels.amount_minor IS 'OSDI ticket_levels.amount (in minor units). NB amount_in_cents: the price of a ticket. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.event_ticket_levels.currency IS 'ISO 4217 code of amount_minor: the nation''s currency, set at export (NB does not send it). Privacy: operational. NULL: none.';
COMMENT ON COLUMN core.event_ticket_levels.seats_per_ticket IS 'NB number: how many places one ticket of this level buys (couple or group tickets). Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.event_ticket_levels.ticket_limit IS 'OSDI ticket_levels.limit. NB limit: tickets of this level that can be sold in all. Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.event_ticket_levels.tickets_sold IS 'NB tickets_sold: tickets of this level already sold (a counter NationBuilder keeps). Privacy: operational. NULL: not reported.';
COMMENT ON COLUMN core.event_ticket_levels.run_id IS 'Provenance: run that wrote this row (sync.runs.id; not a declared foreign key, for load speed).';
COMMENT ON COLUMN core.event_ticket_levels.raw_sha256 IS 'Provenance: raw.records.sha256 of the ticket level record this row was derived from.';
COMMENT ON COLUMN core.event_ticket_levels.loaded_at IS 'Provenance: when this row was last written.';
