//! Generation of the member register: membership types (`/api/v2/membership_types`) and
//! memberships (`/api/v2/memberships`, v1 `/people/:id/memberships`), after the reference
//! (`full-exit.md` §1.2, the v2 OpenAPI copy's `membership_*_attributes`).
//!
//! Six membership types are generated; type 4 was deleted before the export, so it is never
//! served, but about 4 % of memberships still point at it (a *dangling type*). Memberships
//! have ids `1..=M` with `M = 33 % of the people`, in the order of their owner's slot, so about
//! 29 % of people hold one, about 2 % a second one (the next id, same owner), and about 3 %
//! of memberships belong to a person deleted before the export (a gap id): NB does not
//! document a cascade, and the member register is a statutory record, so the simulator keeps
//! them. People deleted during the run keep their memberships for the same reason. Every
//! value is a pure function of `(seed, id)` from its own hash stream ([`KIND_MEMBERSHIP`]),
//! so the people, tags, taggings and donations of a seed are unchanged by this module.

use super::data::{self, base_id, Draw, Nation, Zone};
use super::ledger::{Ledger, LedgerOverride};

/// Hash stream of memberships (people use 1, donations 2, tags 3, versions 4).
const KIND_MEMBERSHIP: u64 = 5;
/// Hash stream of membership types.
const KIND_MEMBERSHIP_TYPE: u64 = 6;
const DAY: i64 = 86_400;

/// Membership statuses of the reference, in its order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Status {
    Active,
    Canceled,
    Expired,
    GracePeriod,
}

impl Status {
    /// The API spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Canceled => "canceled",
            Status::Expired => "expired",
            Status::GracePeriod => "grace period",
        }
    }
}

/// One membership type as generated (ids `1..=TYPE_COUNT`).
#[derive(Debug)]
pub(crate) struct MembershipType {
    pub name: &'static str,
    pub description: Option<&'static str>,
    pub page_id: Option<u64>,
    pub grace: Option<(i64, &'static str)>,
    pub warning: Option<(i64, &'static str)>,
    /// Term in days; `None` for types that never expire.
    pub term_days: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

/// Number of generated membership types, deleted one included.
pub(crate) const TYPE_COUNT: u64 = 6;
/// The type deleted before the export; some memberships still reference it.
pub(crate) const DELETED_TYPE: u64 = 4;

type TypeRow = (
    &'static str,
    Option<&'static str>,
    Option<u64>,
    Option<(i64, &'static str)>,
    Option<(i64, &'static str)>,
    Option<i64>,
);

const TYPES: [TypeRow; TYPE_COUNT as usize] = [
    (
        "Full member",
        Some("Voting member of the party; annual dues."),
        Some(12),
        Some((30, "days")),
        Some((14, "days")),
        Some(365),
    ),
    (
        "Reduced rate",
        Some("Students, unwaged and retired members — voting, reduced dues."),
        Some(12),
        Some((1, "months")),
        Some((2, "weeks")),
        Some(365),
    ),
    ("Supporter", Some(""), None, None, None, None),
    (
        "Founding member 2017",
        Some("Charter members of the founding congress (type retired)."),
        None,
        Some((7, "days")),
        None,
        None,
    ),
    (
        "Jeunes / Youth wing",
        Some("Members under 30 with a vote in the youth wing & the congress."),
        Some(14),
        Some((2, "weeks")),
        Some((7, "days")),
        Some(365),
    ),
    ("Life member", None, None, None, None, None),
];

impl MembershipType {
    /// Generates type `id` (`1..=TYPE_COUNT`); `None` outside that range.
    pub(crate) fn generate(nation: &Nation, id: u64) -> Option<MembershipType> {
        let (name, description, page_id, grace, warning, term_days) =
            *TYPES.get((id as usize).checked_sub(1)?)?;
        let d = Draw::new(nation.seed, KIND_MEMBERSHIP_TYPE, id);
        let created_at = nation.epoch - data::HISTORY
            + (id as i64 - 1) * 30 * DAY
            + d.below(1, DAY as u64) as i64;
        let updated_at = if d.pct(2, 50) {
            created_at
        } else {
            created_at + d.below(3, (nation.epoch - created_at).max(1) as u64) as i64
        };
        Some(MembershipType {
            name,
            description,
            page_id,
            grace,
            warning,
            term_days,
            created_at,
            updated_at,
            zone: d.zone(4, 50),
        })
    }
}

/// A fresh ledger of membership types (type [`DELETED_TYPE`] already deleted).
pub(crate) fn type_ledger() -> Ledger {
    Ledger::new(TYPE_COUNT, &[DELETED_TYPE])
}

/// Number of generated memberships: 33 % of the people.
pub(crate) fn base_count(nation: &Nation) -> u64 {
    nation.people * 33 / 100
}

/// A fresh ledger of memberships.
pub(crate) fn ledger(nation: &Nation) -> Ledger {
    Ledger::new(base_count(nation), &[])
}

/// The base slot membership `id` is laid out on.
fn slot_of(nation: &Nation, id: u64) -> u64 {
    (id - 1) * nation.people / base_count(nation).max(1)
}

/// Who holds generated membership `id`.
fn base_owner(nation: &Nation, id: u64) -> u64 {
    let d = Draw::new(nation.seed, KIND_MEMBERSHIP, id);
    let slot = slot_of(nation, id);
    match d.below(1, 100) {
        // A person deleted before the export: a gap id.
        0..=2 => (base_id(slot) / 50 + 1) * 50,
        // A second membership of the previous id's person.
        3..=9 if id > 1 => base_id(slot_of(nation, id - 1)),
        _ => base_id(slot),
    }
}

/// One membership in plain values.
#[derive(Debug)]
pub(crate) struct Membership {
    pub signup_id: u64,
    pub membership_type_id: u64,
    pub status: Status,
    pub status_reason: Option<&'static str>,
    pub started_at: i64,
    /// Unix day of expiry.
    pub expires_on: Option<i64>,
    pub grace: Option<(i64, &'static str)>,
    /// Unix day of suspension.
    pub suspended_on: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub zone: Zone,
}

const CANCEL_REASONS: &[Option<&str>] = &[
    Some("Does not want to pay anymore"),
    Some("Moved abroad"),
    Some("Joined another party"),
    Some(""),
    None,
];

fn pick_type(d: Draw, field: u64) -> u64 {
    match d.below(field, 100) {
        0..=44 => 1,
        45..=64 => 2,
        65..=79 => 3,
        80..=83 => DELETED_TYPE,
        84..=91 => 5,
        _ => 6,
    }
}

fn grace_days(g: Option<(i64, &str)>) -> i64 {
    match g {
        Some((n, "weeks")) => n * 7,
        Some((n, "months")) => n * 30,
        Some((n, "years")) => n * 365,
        Some((n, _)) => n,
        None => 0,
    }
}

impl Membership {
    /// Generates membership `id` as it stands in `ledger` (created or updated during the run).
    /// The caller checks that the id is live.
    pub(crate) fn generate(nation: &Nation, ledger: &Ledger, id: u64) -> Membership {
        let d = Draw::new(nation.seed, KIND_MEMBERSHIP, id);
        let epoch = nation.epoch;
        let mut m = match ledger.created(id) {
            Some(c) => {
                let ty = match pick_type(d, 2) {
                    DELETED_TYPE => 1,
                    t => t,
                };
                let t = MembershipType::generate(nation, ty);
                let term = t.as_ref().and_then(|t| t.term_days);
                Membership {
                    signup_id: c.owner,
                    membership_type_id: ty,
                    status: Status::Active,
                    status_reason: None,
                    started_at: c.at,
                    expires_on: term.map(|days| c.at.div_euclid(DAY) + days),
                    grace: t.and_then(|t| t.grace),
                    suspended_on: None,
                    created_at: c.at,
                    updated_at: c.at,
                    zone: d.zone(3, 50),
                }
            }
            None => Membership::generate_base(nation, id, d, epoch),
        };
        m.apply(ledger.override_of(id), d);
        m
    }

    fn generate_base(nation: &Nation, id: u64, d: Draw, epoch: i64) -> Membership {
        let ty = pick_type(d, 2);
        let t = MembershipType::generate(nation, ty);
        let term = t.as_ref().and_then(|t| t.term_days);
        let type_grace = t.as_ref().and_then(|t| t.grace);
        let mut status = match d.below(4, 100) {
            0..=54 => Status::Active,
            55..=64 => Status::GracePeriod,
            65..=84 => Status::Expired,
            _ => Status::Canceled,
        };
        if term.is_none() && matches!(status, Status::GracePeriod | Status::Expired) {
            status = Status::Active;
        }
        let joined = nation.base_created_at(slot_of(nation, id));
        let room = |from: i64| (epoch - from).max(1) as u64;
        let today = epoch.div_euclid(DAY);
        let grace = grace_days(type_grace).max(1);
        let (started_at, expires_on, suspended_on, status_reason) = match (status, term) {
            (Status::GracePeriod, Some(term)) => {
                let expires = today - 1 - d.below(5, grace as u64) as i64;
                (
                    expires * DAY - term * DAY + d.below(6, DAY as u64) as i64,
                    Some(expires),
                    None,
                    None,
                )
            }
            (Status::Expired, Some(term)) => {
                let expires = today - grace - 1 - d.below(5, 3 * 365) as i64;
                let years = 1 + d.below(7, 3) as i64;
                let reason = if d.pct(8, 50) {
                    Some("Did not renew")
                } else {
                    None
                };
                (
                    expires * DAY - years * term * DAY + d.below(6, DAY as u64) as i64,
                    Some(expires),
                    None,
                    reason,
                )
            }
            (Status::Canceled, _) => {
                let started = joined + d.below(5, room(joined)) as i64;
                let expires =
                    term.map(|term| started.div_euclid(DAY) + term * (1 + d.below(7, 3) as i64));
                let suspended = d
                    .pct(9, 50)
                    .then(|| (started + d.below(10, room(started)) as i64).div_euclid(DAY));
                let reason = CANCEL_REASONS[d.below(11, CANCEL_REASONS.len() as u64) as usize];
                (started, expires, suspended, reason)
            }
            (_, term) => {
                let started = joined + d.below(5, room(joined)) as i64;
                let expires = term.map(|_| today + 1 + d.below(7, 365) as i64);
                (started, expires, None, None)
            }
        };
        let started_at = started_at.min(epoch - 2 * DAY);
        let created_at = if d.pct(12, 60) {
            started_at
        } else {
            (started_at + d.below(13, 3 * DAY as u64) as i64).min(epoch - DAY)
        };
        let last_event = [expires_on.map(|e| e * DAY), suspended_on.map(|s| s * DAY)]
            .into_iter()
            .flatten()
            .filter(|t| *t < epoch)
            .max()
            .unwrap_or(created_at);
        let updated_at = if d.pct(14, 40) {
            created_at.max(last_event.min(epoch - 1))
        } else {
            created_at.max(created_at + d.below(15, room(created_at)) as i64)
        };
        Membership {
            signup_id: base_owner(nation, id),
            membership_type_id: ty,
            status,
            status_reason,
            started_at,
            expires_on,
            grace: if d.pct(16, 90) { type_grace } else { None },
            suspended_on,
            created_at,
            updated_at,
            zone: d.zone(3, 50),
        }
    }

    /// Applies churn updates: each one moves the status on (renewal, lapse, expiry, cancelation).
    fn apply(&mut self, ov: LedgerOverride, d: Draw) {
        let Some(at) = ov.updated_at else {
            return;
        };
        const CYCLE: [Status; 4] = [
            Status::Active,
            Status::GracePeriod,
            Status::Expired,
            Status::Canceled,
        ];
        let start = CYCLE.iter().position(|s| *s == self.status).unwrap_or(0);
        let mut status = CYCLE[(start + ov.version as usize) % 4];
        if self.expires_on.is_none() && matches!(status, Status::GracePeriod | Status::Expired) {
            status = Status::Canceled;
        }
        let day = at.div_euclid(DAY);
        match status {
            Status::Active => {
                self.expires_on = self.expires_on.map(|_| day + 365);
                self.status_reason = None;
                self.suspended_on = None;
            }
            Status::GracePeriod => {
                self.expires_on = self.expires_on.map(|_| day - 1);
                self.status_reason = None;
            }
            Status::Expired => {
                self.expires_on = self.expires_on.map(|_| day - 1 - grace_days(self.grace));
                self.status_reason = Some("Did not renew");
            }
            Status::Canceled => {
                self.suspended_on = Some(day);
                self.status_reason = CANCEL_REASONS
                    [d.below(17 + u64::from(ov.version), CANCEL_REASONS.len() as u64) as usize];
            }
        }
        self.status = status;
        self.updated_at = at.max(self.created_at);
    }

    /// Writes a unix day as `YYYY-MM-DD`.
    pub(crate) fn date(day: i64) -> String {
        let (y, m, d) = data::civil(day);
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// The live memberships of person `id` in the memberships `ledger`, ascending (generated and
/// created during the run).
pub(crate) fn of_person(nation: &Nation, ledger: &Ledger, person: u64) -> Vec<u64> {
    let mut out: Vec<u64> = generated_of_person(nation, person)
        .into_iter()
        .filter(|id| ledger.is_live(*id))
        .collect();
    out.extend(ledger.created_by(person).filter(|id| ledger.is_live(*id)));
    out
}

/// The generated memberships of person `id`, ascending, whether or not churn deleted them
/// since (a donation that paid one keeps pointing at it).
pub(crate) fn generated_of_person(nation: &Nation, person: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let m = base_count(nation);
    if m > 0 && person <= nation.max_base_id() && person > 0 {
        let slot = data::base_slot_lower_bound(person);
        // Ids laid out on this slot, plus the one after them (a second membership).
        let first = (slot * m).div_ceil(nation.people) + 1;
        let last = ((slot + 1) * m).div_ceil(nation.people) + 1;
        for id in first..=last.min(m) {
            if base_owner(nation, id) == person {
                out.push(id);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportions_and_lookup() {
        let nation = Nation::new(42, 2000, "EUR");
        let memberships = ledger(&nation);
        let m = base_count(&nation);
        let mut holders = std::collections::BTreeMap::<u64, u64>::new();
        let mut statuses = std::collections::BTreeSet::new();
        let mut dangling = 0;
        for id in 1..=m {
            let ms = Membership::generate(&nation, &memberships, id);
            *holders.entry(ms.signup_id).or_default() += 1;
            statuses.insert(ms.status.as_str());
            dangling += u64::from(ms.membership_type_id == DELETED_TYPE);
            assert!(ms.created_at <= ms.updated_at && ms.updated_at < nation.epoch);
        }
        assert_eq!(statuses.len(), 4);
        assert!(dangling > 0);
        let live_holders = holders.keys().filter(|p| *p % 50 != 0).count() as u64;
        assert!((540..660).contains(&live_holders), "{live_holders}");
        assert!(holders.values().any(|n| *n == 2));
        for slot in 0..nation.people {
            let p = base_id(slot);
            let got = of_person(&nation, &memberships, p);
            assert_eq!(
                got.len() as u64,
                holders.get(&p).copied().unwrap_or(0),
                "{p}"
            );
        }
    }
}
