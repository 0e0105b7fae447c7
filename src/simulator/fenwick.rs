//! A Fenwick (binary indexed) tree of `u32` counts: prefix sums, order statistics ("the
//! position of the k-th unit") and appends, each in O(log n).
//!
//! The live state of the nation keeps one per collection that can lose records — live people
//! and taggings per person slot, live ids of every ledger — so that offset paging can turn an
//! offset into a record without scanning, even for millions of people.

/// A Fenwick (binary indexed) tree of `u32` counts with prefix sums and order statistics.
#[derive(Debug, Default)]
pub(crate) struct Fenwick {
    tree: Vec<u32>,
}

impl Fenwick {
    /// Builds the tree from per-position values in O(n).
    pub(crate) fn from_values(values: impl Iterator<Item = u32>) -> Self {
        let mut tree: Vec<u32> = values.collect();
        let n = tree.len();
        for i in 0..n {
            let parent = i | (i + 1);
            if parent < n {
                tree[parent] = tree[parent].wrapping_add(tree[i]);
            }
        }
        Fenwick { tree }
    }

    /// Number of positions.
    pub(crate) fn len(&self) -> usize {
        self.tree.len()
    }

    /// Appends a position holding `v`.
    pub(crate) fn push(&mut self, v: u32) {
        let i = self.tree.len();
        // Node i covers (i & (i + 1))..=i; its value is v plus the sum of the covered range
        // before i, which is prefix(i) - prefix(i & (i + 1)).
        let lower = i & (i + 1);
        let covered = self.prefix(i) - self.prefix(lower);
        self.tree.push(v.wrapping_add(covered as u32));
    }

    /// Adds `delta` at position `i`.
    pub(crate) fn add(&mut self, mut i: usize, delta: i64) {
        while i < self.tree.len() {
            self.tree[i] = (i64::from(self.tree[i]) + delta) as u32;
            i |= i + 1;
        }
    }

    /// Sum of positions `0..i`.
    pub(crate) fn prefix(&self, i: usize) -> u64 {
        let mut sum = 0u64;
        let mut i = i.min(self.tree.len());
        while i > 0 {
            sum += u64::from(self.tree[i - 1]);
            i &= i - 1;
        }
        sum
    }

    /// Smallest position `p` with `prefix(p + 1) > k`, or `len()` if the total is ≤ k.
    pub(crate) fn find(&self, mut k: u64) -> usize {
        let n = self.tree.len();
        let mut pos = 0usize;
        let mut step = n.checked_next_power_of_two().unwrap_or(n);
        while step > 0 {
            let next = pos + step;
            if next <= n && u64::from(self.tree[next - 1]) <= k {
                k -= u64::from(self.tree[next - 1]);
                pos = next;
            }
            step >>= 1;
        }
        pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenwick_prefix_find_push() {
        let mut f = Fenwick::from_values([1u32, 0, 3, 2, 0, 1].into_iter());
        assert_eq!(f.prefix(0), 0);
        assert_eq!(f.prefix(3), 4);
        assert_eq!(f.prefix(6), 7);
        assert_eq!(f.find(0), 0);
        assert_eq!(f.find(1), 2);
        assert_eq!(f.find(3), 2);
        assert_eq!(f.find(4), 3);
        assert_eq!(f.find(6), 5);
        assert_eq!(f.find(7), 6);
        for v in [4u32, 0, 2, 5, 1, 1, 1] {
            f.push(v);
        }
        let vals = [1u64, 0, 3, 2, 0, 1, 4, 0, 2, 5, 1, 1, 1];
        for i in 0..=vals.len() {
            assert_eq!(f.prefix(i), vals[..i].iter().sum::<u64>(), "prefix {i}");
        }
        f.add(2, -3);
        assert_eq!(f.prefix(13), vals.iter().sum::<u64>() - 3);
    }
}
