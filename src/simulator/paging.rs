//! Ordered access to the nation's collections as sorted key spaces ([`KeySpace`], named by each
//! resource's descriptor) with `rank` (how many live keys are below a key) and `select` (the
//! k-th live key).
//! Both v2 offset paging (`page[number]`), v2 keyset paging (`filter[id][gt]` + `sort=id`), v1
//! cursor tokens and the v1 legacy page envelope are built on these two operations, so every
//! flavour of paging sees exactly the same live set.
//!
//! Keys: people by person id, taggings by `person_id * 8 + j`, dense collections (tags,
//! donations, custom fields) by id `1..=n`, ledger collections (memberships, membership types)
//! by id with deletions.

use super::data::Nation;
use super::ledger::Ledger;
use super::state::State;

/// How a collection's keys are laid out, which decides how this module ranks and walks them.
#[derive(Clone, Copy, Debug)]
pub(crate) enum KeySpace {
    /// Person ids over slots (live people, with gaps and deletions).
    People,
    /// Person `p`'s tagging `j` has key `p * 8 + j`; live with the person.
    Taggings,
    /// Ids `1..=n`, all live, `n` from the nation.
    Dense(fn(&Nation) -> u64),
    /// Ids `1..` in a [`Ledger`] (deletions and creations).
    Ledger(fn(&State) -> &Ledger),
}

/// A consistent read-only view of the nation.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    /// Generated facts.
    pub nation: &'a Nation,
    /// Churn state.
    pub state: &'a State,
}

/// Inclusive key bounds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    /// Smallest key allowed.
    pub lo: u64,
    /// Largest key allowed.
    pub hi: u64,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            lo: 0,
            hi: u64::MAX,
        }
    }
}

/// A predicate on keys for filters that need the record itself.
pub(crate) type Pred<'p> = &'p dyn Fn(u64) -> bool;

impl View<'_> {
    /// Number of live keys.
    pub(crate) fn total(&self, kind: KeySpace) -> u64 {
        match kind {
            KeySpace::People => self.state.people_count(),
            KeySpace::Taggings => self.state.tagging_total(),
            KeySpace::Dense(n) => n(self.nation),
            KeySpace::Ledger(l) => l(self.state).live_count(),
        }
    }

    /// Number of live keys strictly below `key`.
    pub(crate) fn rank(&self, kind: KeySpace, key: u64) -> u64 {
        match kind {
            KeySpace::People => self
                .state
                .live_before(self.state.slot_lower_bound(self.nation, key)),
            KeySpace::Dense(n) => key.clamp(1, n(self.nation) + 1) - 1,
            KeySpace::Ledger(l) => l(self.state).rank(key),
            KeySpace::Taggings => {
                let (p, j) = (key / 8, key % 8);
                let slot = self.state.slot_lower_bound(self.nation, p);
                let mut r = self.state.taggings_before(slot);
                if slot < self.state.slot_count()
                    && self.state.slot_id(self.nation, slot) == p
                    && self.state.is_live(slot)
                {
                    r += j.min(self.nation.tagging_count(p));
                }
                r
            }
        }
    }

    /// The `k`-th live key (0-based); the walks below do the same in bulk, this is the
    /// reference they are tested against.
    #[cfg(test)]
    pub(crate) fn select(&self, kind: KeySpace, k: u64) -> Option<u64> {
        match kind {
            KeySpace::People => self
                .state
                .live_select(k)
                .map(|s| self.state.slot_id(self.nation, s)),
            KeySpace::Dense(n) => (k < n(self.nation)).then_some(k + 1),
            KeySpace::Ledger(l) => l(self.state).select(k),
            KeySpace::Taggings => self
                .state
                .tagging_select(k)
                .map(|(s, j)| self.state.slot_id(self.nation, s) * 8 + j),
        }
    }

    fn positions(&self, kind: KeySpace, b: Bounds) -> (u64, u64) {
        let r0 = self.rank(kind, b.lo);
        let r1 = if b.hi == u64::MAX {
            self.total(kind)
        } else {
            self.rank(kind, b.hi + 1)
        };
        (r0, r1.max(r0))
    }

    /// Calls `f` with the keys at positions `r0..r1` in order (descending if `desc`) until it
    /// returns false. Walks slots directly, so a filtered scan costs O(1) per record instead of
    /// one tree search per position.
    fn walk(&self, kind: KeySpace, r0: u64, r1: u64, desc: bool, f: &mut dyn FnMut(u64) -> bool) {
        if r0 >= r1 {
            return;
        }
        let (nation, state) = (self.nation, self.state);
        match kind {
            KeySpace::Dense(_) => {
                for i in 0..(r1 - r0) {
                    let pos = if desc { r1 - 1 - i } else { r0 + i };
                    if !f(pos + 1) {
                        return;
                    }
                }
            }
            KeySpace::Ledger(l) => {
                let ledger = l(state);
                let Some(mut id) = ledger.select(if desc { r1 - 1 } else { r0 }) else {
                    return;
                };
                let mut left = r1 - r0;
                while left > 0 && id >= 1 && id <= ledger.max_id() {
                    if ledger.is_live(id) {
                        left -= 1;
                        if !f(id) {
                            return;
                        }
                    }
                    if desc {
                        id -= 1;
                    } else {
                        id += 1;
                    }
                }
            }
            KeySpace::People => {
                let Some(mut slot) = state.live_select(if desc { r1 - 1 } else { r0 }) else {
                    return;
                };
                let mut left = r1 - r0;
                while left > 0 {
                    if state.is_live(slot) {
                        left -= 1;
                        if !f(state.slot_id(nation, slot)) {
                            return;
                        }
                    }
                    if desc {
                        if slot == 0 {
                            return;
                        }
                        slot -= 1;
                    } else {
                        slot += 1;
                    }
                }
            }
            KeySpace::Taggings => {
                let Some((mut slot, mut j)) = state.tagging_select(if desc { r1 - 1 } else { r0 })
                else {
                    return;
                };
                let mut left = r1 - r0;
                let count = |slot: u64| {
                    if state.is_live(slot) {
                        nation.tagging_count(state.slot_id(nation, slot))
                    } else {
                        0
                    }
                };
                while left > 0 {
                    let id = state.slot_id(nation, slot);
                    let k = count(slot);
                    if desc {
                        loop {
                            if j < k {
                                left -= 1;
                                if !f(id * 8 + j) || left == 0 {
                                    return;
                                }
                            }
                            if j == 0 {
                                break;
                            }
                            j -= 1;
                        }
                        if slot == 0 {
                            return;
                        }
                        slot -= 1;
                        j = count(slot).saturating_sub(1);
                    } else {
                        while j < k && left > 0 {
                            left -= 1;
                            if !f(id * 8 + j) {
                                return;
                            }
                            j += 1;
                        }
                        slot += 1;
                        j = 0;
                        if slot >= state.slot_count() {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Keys within `b` matching `pred`, skipping `skip` and taking up to `take`, ascending or
    /// descending.
    pub(crate) fn collect(
        &self,
        kind: KeySpace,
        b: Bounds,
        pred: Option<Pred<'_>>,
        skip: u64,
        take: u64,
        desc: bool,
    ) -> Vec<u64> {
        let (r0, r1) = self.positions(kind, b);
        let mut out = Vec::with_capacity(take.min(1000) as usize);
        if take == 0 {
            return out;
        }
        match pred {
            None => {
                let n = (r1 - r0).saturating_sub(skip).min(take);
                let (a, z) = if desc {
                    (r1 - skip.min(r1 - r0) - n, r1 - skip.min(r1 - r0))
                } else {
                    (r0 + skip.min(r1 - r0), r0 + skip.min(r1 - r0) + n)
                };
                self.walk(kind, a, z, desc, &mut |k| {
                    out.push(k);
                    true
                });
            }
            Some(pred) => {
                let mut skipped = 0;
                self.walk(kind, r0, r1, desc, &mut |k| {
                    if pred(k) {
                        if skipped < skip {
                            skipped += 1;
                        } else {
                            out.push(k);
                        }
                    }
                    (out.len() as u64) < take
                });
            }
        }
        out
    }

    /// Number of keys within `b` matching `pred`.
    pub(crate) fn count(&self, kind: KeySpace, b: Bounds, pred: Option<Pred<'_>>) -> u64 {
        let (r0, r1) = self.positions(kind, b);
        match pred {
            None => r1 - r0,
            Some(pred) => {
                let mut n = 0;
                self.walk(kind, r0, r1, false, &mut |k| {
                    n += u64::from(pred(k));
                    true
                });
                n
            }
        }
    }
}

/// Decoded query parameters in request order.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parses a raw query string (`a=1&b%5Bc%5D=2`).
    pub(crate) fn parse(query: Option<&str>) -> Self {
        Params(
            query
                .map(|q| {
                    url::form_urlencoded::parse(q.as_bytes())
                        .into_owned()
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-encodes a query value (`+` and `:` included, spaces as `%20`).
pub(crate) fn encode(value: &str) -> String {
    let mut s = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b',') {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// Parses a filter timestamp: RFC 3339, or a bare date meaning midnight UTC.
pub(crate) fn parse_time(value: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(value.trim()) {
        return Some(t.timestamp());
    }
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_descending_and_bounds() {
        let nation = Nation::new(5, 120, "EUR");
        let state = State::new(&nation);
        let view = View {
            nation: &nation,
            state: &state,
        };
        let asc = view.collect(KeySpace::People, Bounds::default(), None, 0, 1000, false);
        let mut desc = view.collect(KeySpace::People, Bounds::default(), None, 0, 1000, true);
        desc.reverse();
        assert_eq!(asc, desc);
        let after = view.collect(
            KeySpace::People,
            Bounds {
                lo: 50,
                hi: u64::MAX,
            },
            None,
            0,
            2,
            false,
        );
        assert_eq!(after, vec![51, 52]);
        let even: Pred<'_> = &|k| k % 2 == 0;
        assert_eq!(
            view.count(
                KeySpace::Dense(|n| n.donation_count),
                Bounds::default(),
                Some(even)
            ),
            nation.donation_count / 2
        );
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(
            encode("2024-01-01T00:00:00+01:00"),
            "2024-01-01T00%3A00%3A00%2B01%3A00"
        );
        assert_eq!(encode("doctor who"), "doctor%20who");
    }
}
