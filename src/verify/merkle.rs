//! The manifest's Merkle tree, as in RFC 6962 §2.1 (Certificate Transparency): a leaf hash is
//! `SHA-256(0x00 ‖ data)`, an interior node `SHA-256(0x01 ‖ left ‖ right)`, and a list of `n`
//! leaves splits at the largest power of two below `n`. The domain separation stops a leaf from
//! being passed off as an interior node; the fixed split makes the root a pure function of the
//! ordered leaves, so anyone holding the same records and salt recomputes the same root.
//!
//! The leaves of the export manifest are *salted commitments* to records
//! ([`record_leaf_data`]): a root alone does not let anyone test whether a guessed record (and
//! so a guessed person) is in the party's database, because the salt never leaves the database.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The Merkle tree hash of no leaves: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// `SHA-256(0x00 ‖ data)`: the hash of one leaf.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The data of one manifest leaf:
/// `salt ‖ u32be(len(source_id)) ‖ source_id ‖ record_sha256 ‖ state`, where `record_sha256` is
/// the SHA-256 of the record's canonical JSON (RFC 8785) and `state` is 0 for a record present
/// at source and 1 for one marked deleted at source by the export's reconciliation. The length
/// prefix keeps ids unambiguous; the record hash binds the whole record; the state byte stops a
/// record from being hidden by marking it deleted.
pub fn record_leaf_data(
    salt: &[u8; 32],
    source_id: &str,
    record_sha256: &Hash,
    deleted_at_source: bool,
) -> Vec<u8> {
    let mut data = Vec::with_capacity(32 + 4 + source_id.len() + 32 + 1);
    data.extend_from_slice(salt);
    data.extend_from_slice(&(source_id.len() as u32).to_be_bytes());
    data.extend_from_slice(source_id.as_bytes());
    data.extend_from_slice(record_sha256);
    data.push(u8::from(deleted_at_source));
    data
}

/// The leaf hash of one record: [`leaf_hash`] of [`record_leaf_data`].
pub fn record_leaf(
    salt: &[u8; 32],
    source_id: &str,
    record_sha256: &Hash,
    deleted_at_source: bool,
) -> Hash {
    leaf_hash(&record_leaf_data(
        salt,
        source_id,
        record_sha256,
        deleted_at_source,
    ))
}

/// The largest power of two strictly below `n` (`n` ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The RFC 6962 Merkle tree hash over already-hashed leaves, in order.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path (RFC 6962 §2.1.1) proving that leaf `index` is in the tree of `leaves`,
/// from the leaf's sibling up to the root's children. `None` when `index` is out of range.
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut path = Vec::new();
    prove(leaves, index, &mut path);
    Some(path)
}

fn prove(leaves: &[Hash], index: usize, path: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if index < k {
        prove(&leaves[..k], index, path);
        path.push(root(&leaves[k..]));
    } else {
        prove(&leaves[k..], index - k, path);
        path.push(root(&leaves[..k]));
    }
}

/// Checks an audit path from [`inclusion_proof`] (RFC 9162 §2.1.3.2): whether `leaf` sits at
/// `index` in a tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: usize,
    size: usize,
    path: &[Hash],
    root: &Hash,
) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The leaf inputs of the Certificate Transparency reference tests.
    fn ct_leaves() -> Vec<Hash> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|h| leaf_hash(&hex::decode(h).expect("hex")))
        .collect()
    }

    #[test]
    fn roots_match_the_certificate_transparency_vectors() {
        let want = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = ct_leaves();
        for (n, want) in want.iter().enumerate() {
            assert_eq!(hex::encode(root(&leaves[..=n])), *want, "{} leaves", n + 1);
        }
        assert_eq!(
            hex::encode(root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn inclusion_proofs_verify_and_detect_tampering() {
        let leaves = ct_leaves();
        for size in 1..=leaves.len() {
            let r = root(&leaves[..size]);
            for i in 0..size {
                let path = inclusion_proof(&leaves[..size], i).expect("in range");
                assert!(
                    verify_inclusion(&leaves[i], i, size, &path, &r),
                    "{i}/{size}"
                );
                let other = leaf_hash(b"not in the tree");
                assert!(!verify_inclusion(&other, i, size, &path, &r));
            }
        }
        assert!(inclusion_proof(&leaves, 8).is_none());
    }

    #[test]
    fn salted_leaves_depend_on_salt_id_and_record() {
        let rec = [7u8; 32];
        let a = record_leaf(&[1; 32], "42", &rec, false);
        assert_ne!(a, record_leaf(&[2; 32], "42", &rec, false));
        assert_ne!(a, record_leaf(&[1; 32], "43", &rec, false));
        assert_ne!(a, record_leaf(&[1; 32], "42", &[8; 32], false));
        assert_ne!(a, record_leaf(&[1; 32], "42", &rec, true));
        assert_eq!(
            record_leaf_data(&[1; 32], "42", &rec, false).len(),
            32 + 4 + 2 + 32 + 1
        );
    }
}
