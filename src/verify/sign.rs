//! Ed25519 signatures in minisign's file formats, so an auditor can check a report with the
//! stock `minisign -V` as well as with `nb-exodus verify --offline`.
//!
//! Formats (as minisign 0.11 writes them; every binary part is base64 on one line):
//!
//! * public key: `untrusted comment: …` then `"Ed" ‖ key_id[8] ‖ public_key[32]`;
//! * secret key: `untrusted comment: …` then `"Ed" ‖ kdf_alg[2] ‖ "B2" ‖ kdf_salt[32] ‖
//!   opslimit[8] ‖ memlimit[8] ‖ key_id[8] ‖ secret_key[64] ‖ checksum[32]`, where the secret
//!   key is libsodium's (seed ‖ public key) and the checksum is BLAKE2b-256 of
//!   `"Ed" ‖ key_id ‖ secret_key`. Only unencrypted keys (`kdf_alg` = two zero bytes, what
//!   `minisign -G -W` makes) are supported: the key file's protection is its 0600 mode;
//! * signature: `untrusted comment: …`, `"ED" ‖ key_id[8] ‖ Ed25519(BLAKE2b-512(file))`,
//!   `trusted comment: …`, and `Ed25519(signature ‖ trusted_comment)`, the *global* signature
//!   that makes the trusted comment tamper-proof. Legacy `"Ed"` signatures over the raw file
//!   are verified too.
//!
//! Ed25519 itself is `ed25519-dalek`; key ids and seeds come from the operating system's
//! random source.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use blake2::digest::consts::U32;
use blake2::{Blake2b, Blake2b512, Digest};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

/// Why a key or signature could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The text is not a key or signature in minisign's format.
    #[error("not a minisign {what}: {problem}")]
    Format {
        /// What was expected (`public key`, `secret key`, `signature`).
        what: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The secret key is password-protected, which this tool does not support.
    #[error(
        "the secret key is encrypted with a password; create an unencrypted one with \
         `nb-exodus keygen` (or `minisign -G -W`) and protect the file instead"
    )]
    Encrypted,
    /// The signature was made by another key.
    #[error("the signature was made by key {found}, not by the given public key {expected}")]
    KeyMismatch {
        /// Id of the given public key.
        expected: String,
        /// Id named in the signature.
        found: String,
    },
    /// The signature does not match the data or the trusted comment.
    #[error("the signature does not verify: the file or its trusted comment was changed, or the key is wrong")]
    Invalid,
    /// The operating system's random source failed.
    #[error("no randomness from the operating system: {0}")]
    Random(String),
}

const PK_ALG: &[u8; 2] = b"Ed";
const SIG_PREHASHED: &[u8; 2] = b"ED";
const SIG_LEGACY: &[u8; 2] = b"Ed";
const CHK_ALG: &[u8; 2] = b"B2";
const KDF_NONE: [u8; 2] = [0, 0];
const SECRET_LEN: usize = 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32;

/// A minisign public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    key_id: [u8; 8],
    key: VerifyingKey,
}

/// A minisign secret key (unencrypted).
#[derive(Clone)]
pub struct SecretKey {
    key_id: [u8; 8],
    key: SigningKey,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("key_id", &key_id_hex(&self.key_id))
            .finish_non_exhaustive()
    }
}

/// What a valid signature vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signed trusted comment.
    pub trusted_comment: String,
    /// The signer's key id.
    pub key_id: String,
}

/// minisign shows key ids as the little-endian 64-bit number, in upper-case hex.
fn key_id_hex(id: &[u8; 8]) -> String {
    format!("{:016X}", u64::from_le_bytes(*id))
}

fn random<const N: usize>() -> Result<[u8; N], SignError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| SignError::Random(e.to_string()))?;
    Ok(buf)
}

fn format_err(what: &'static str, problem: impl Into<String>) -> SignError {
    SignError::Format {
        what,
        problem: problem.into(),
    }
}

/// The base64 payload of a key file: the first line that is neither empty nor a comment.
fn payload(what: &'static str, text: &str) -> Result<Vec<u8>, SignError> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
        .ok_or_else(|| format_err(what, "no key line"))?;
    B64.decode(line)
        .map_err(|e| format_err(what, format!("bad base64: {e}")))
}

fn checksum(key_id: &[u8; 8], secret: &[u8; 64]) -> [u8; 32] {
    let mut h = Blake2b::<U32>::new();
    h.update(PK_ALG);
    h.update(key_id);
    h.update(secret);
    h.finalize().into()
}

impl SecretKey {
    /// A new random key pair.
    pub fn generate() -> Result<SecretKey, SignError> {
        Ok(SecretKey {
            key_id: random::<8>()?,
            key: SigningKey::from_bytes(&random::<32>()?),
        })
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// The key id as minisign shows it.
    pub fn key_id(&self) -> String {
        key_id_hex(&self.key_id)
    }

    /// The secret key file's text.
    pub fn to_file_text(&self) -> String {
        let mut secret = [0u8; 64];
        secret[..32].copy_from_slice(self.key.as_bytes());
        secret[32..].copy_from_slice(self.key.verifying_key().as_bytes());
        let mut bin = Vec::with_capacity(SECRET_LEN);
        bin.extend_from_slice(PK_ALG);
        bin.extend_from_slice(&KDF_NONE);
        bin.extend_from_slice(CHK_ALG);
        bin.extend_from_slice(&[0u8; 32 + 8 + 8]);
        bin.extend_from_slice(&self.key_id);
        bin.extend_from_slice(&secret);
        bin.extend_from_slice(&checksum(&self.key_id, &secret));
        format!(
            "untrusted comment: nb-exodus secret key {} (minisign format, unencrypted)\n{}\n",
            self.key_id(),
            B64.encode(bin)
        )
    }

    /// Reads a secret key file's text.
    pub fn from_file_text(text: &str) -> Result<SecretKey, SignError> {
        const WHAT: &str = "secret key";
        let bin = payload(WHAT, text)?;
        if bin.len() != SECRET_LEN {
            return Err(format_err(
                WHAT,
                format!("{} bytes instead of {SECRET_LEN}", bin.len()),
            ));
        }
        if &bin[0..2] != PK_ALG || &bin[4..6] != CHK_ALG {
            return Err(format_err(WHAT, "unknown signature or checksum algorithm"));
        }
        if bin[2..4] != KDF_NONE {
            return Err(SignError::Encrypted);
        }
        let mut key_id = [0u8; 8];
        key_id.copy_from_slice(&bin[54..62]);
        let mut secret = [0u8; 64];
        secret.copy_from_slice(&bin[62..126]);
        // minisign -W leaves the checksum of an unencrypted key zeroed.
        let stored = &bin[126..158];
        if stored != checksum(&key_id, &secret) && stored.iter().any(|&b| b != 0) {
            return Err(format_err(WHAT, "checksum mismatch (damaged file)"));
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&secret[..32]);
        let key = SigningKey::from_bytes(&seed);
        if key.verifying_key().as_bytes()[..] != secret[32..] {
            return Err(format_err(
                WHAT,
                "the public half does not match the secret half",
            ));
        }
        Ok(SecretKey { key_id, key })
    }

    /// Signs `data` (prehashed `ED` algorithm) and returns the signature file's text.
    /// `trusted_comment` is signed too and must be one line.
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> String {
        let trusted_comment = trusted_comment.replace(['\r', '\n'], " ");
        let digest = Blake2b512::digest(data);
        let signature = self.key.sign(&digest).to_bytes();
        let mut global = Vec::with_capacity(64 + trusted_comment.len());
        global.extend_from_slice(&signature);
        global.extend_from_slice(trusted_comment.as_bytes());
        let global = self.key.sign(&global).to_bytes();
        let mut line = Vec::with_capacity(74);
        line.extend_from_slice(SIG_PREHASHED);
        line.extend_from_slice(&self.key_id);
        line.extend_from_slice(&signature);
        format!(
            "untrusted comment: signature from nb-exodus secret key {}\n{}\ntrusted comment: {}\n{}\n",
            self.key_id(),
            B64.encode(line),
            trusted_comment,
            B64.encode(global)
        )
    }
}

impl PublicKey {
    /// The key id as minisign shows it.
    pub fn key_id(&self) -> String {
        key_id_hex(&self.key_id)
    }

    /// The public key file's text.
    pub fn to_file_text(&self) -> String {
        let mut bin = Vec::with_capacity(42);
        bin.extend_from_slice(PK_ALG);
        bin.extend_from_slice(&self.key_id);
        bin.extend_from_slice(self.key.as_bytes());
        format!(
            "untrusted comment: minisign public key {}\n{}\n",
            self.key_id(),
            B64.encode(bin)
        )
    }

    /// Reads a public key file's text, or the bare base64 line (`minisign -P`).
    pub fn from_file_text(text: &str) -> Result<PublicKey, SignError> {
        const WHAT: &str = "public key";
        let bin = payload(WHAT, text)?;
        if bin.len() != 42 {
            return Err(format_err(
                WHAT,
                format!("{} bytes instead of 42", bin.len()),
            ));
        }
        if &bin[0..2] != PK_ALG {
            return Err(format_err(WHAT, "unknown algorithm"));
        }
        let mut key_id = [0u8; 8];
        key_id.copy_from_slice(&bin[2..10]);
        let mut pk = [0u8; 32];
        pk.copy_from_slice(&bin[10..42]);
        let key = VerifyingKey::from_bytes(&pk)
            .map_err(|_| format_err(WHAT, "not a valid Ed25519 point"))?;
        Ok(PublicKey { key_id, key })
    }

    /// Checks a signature file's text against `data`; on success returns the trusted comment.
    pub fn verify(&self, data: &[u8], signature_text: &str) -> Result<Verified, SignError> {
        const WHAT: &str = "signature";
        let mut lines = signature_text.lines().map(|l| l.trim_end_matches('\r'));
        let untrusted = lines.next().unwrap_or_default();
        if !untrusted.starts_with("untrusted comment:") {
            return Err(format_err(
                WHAT,
                "the first line is not an untrusted comment",
            ));
        }
        let sig_line = B64
            .decode(lines.next().unwrap_or_default().trim())
            .map_err(|e| format_err(WHAT, format!("bad base64: {e}")))?;
        let trusted = lines
            .next()
            .and_then(|l| l.strip_prefix("trusted comment: "))
            .ok_or_else(|| format_err(WHAT, "the third line is not a trusted comment"))?;
        let global = B64
            .decode(lines.next().unwrap_or_default().trim())
            .map_err(|e| format_err(WHAT, format!("bad base64: {e}")))?;
        if sig_line.len() != 74 || global.len() != 64 {
            return Err(format_err(WHAT, "wrong length"));
        }
        let mut key_id = [0u8; 8];
        key_id.copy_from_slice(&sig_line[2..10]);
        if key_id != self.key_id {
            return Err(SignError::KeyMismatch {
                expected: self.key_id(),
                found: key_id_hex(&key_id),
            });
        }
        let mut sig = [0u8; 64];
        sig.copy_from_slice(&sig_line[10..74]);
        let signature = Signature::from_bytes(&sig);
        let checked = match &sig_line[0..2] {
            alg if alg == SIG_PREHASHED => {
                let digest = Blake2b512::digest(data);
                self.key.verify_strict(&digest, &signature)
            }
            alg if alg == SIG_LEGACY => self.key.verify_strict(data, &signature),
            _ => return Err(format_err(WHAT, "unknown signature algorithm")),
        };
        checked.map_err(|_| SignError::Invalid)?;
        let mut signed = Vec::with_capacity(64 + trusted.len());
        signed.extend_from_slice(&sig);
        signed.extend_from_slice(trusted.as_bytes());
        let mut g = [0u8; 64];
        g.copy_from_slice(&global);
        self.key
            .verify_strict(&signed, &Signature::from_bytes(&g))
            .map_err(|_| SignError::Invalid)?;
        Ok(Verified {
            trusted_comment: trusted.to_owned(),
            key_id: self.key_id(),
        })
    }
}

/// Writes a new key pair: the secret key to `secret` and the public key to `public`, both mode
/// 0600. Missing parent directories are created with mode 0700 (the README's
/// `~/.nb-exodus/verify.key` works on a fresh machine). An existing file is never replaced
/// unless `force`: signatures made with the old key could no longer be checked with the new
/// public key. Nothing is written when either file is refused.
pub fn write_key_pair(
    key: &SecretKey,
    secret: &std::path::Path,
    public: &std::path::Path,
    force: bool,
) -> Result<(), super::VerifyError> {
    if !force {
        if let Some(existing) = [secret, public].into_iter().find(|p| p.exists()) {
            return Err(super::VerifyError::KeyExists {
                path: existing.to_owned(),
            });
        }
    }
    for path in [secret, public] {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            super::private_files::create_private_dir(parent)?;
        }
    }
    super::private_files::write_private(secret, key.to_file_text().as_bytes())?;
    super::private_files::write_private(public, key.public().to_file_text().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_the_file_formats() {
        let sk = SecretKey::generate().unwrap();
        let text = sk.to_file_text();
        assert!(text.starts_with("untrusted comment: "));
        let back = SecretKey::from_file_text(&text).unwrap();
        assert_eq!(back.key_id(), sk.key_id());
        let pk = PublicKey::from_file_text(&sk.public().to_file_text()).unwrap();
        assert_eq!(pk, sk.public());
        assert_eq!(pk.key_id().len(), 16);

        let sig = back.sign(b"report body", "timestamp:1 file:report.json hashed");
        let lines: Vec<&str> = sig.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[2].starts_with("trusted comment: timestamp:1"));
        assert_eq!(B64.decode(lines[1]).unwrap()[..2], *b"ED");
        let ok = pk.verify(b"report body", &sig).unwrap();
        assert_eq!(ok.trusted_comment, "timestamp:1 file:report.json hashed");

        // Changed data, changed trusted comment, another key.
        assert!(matches!(
            pk.verify(b"report bodY", &sig),
            Err(SignError::Invalid)
        ));
        let forged = sig.replace("timestamp:1", "timestamp:2");
        assert!(matches!(
            pk.verify(b"report body", &forged),
            Err(SignError::Invalid)
        ));
        let other = SecretKey::generate().unwrap().public();
        assert!(matches!(
            other.verify(b"report body", &sig),
            Err(SignError::KeyMismatch { .. })
        ));
    }

    #[test]
    fn file_layout_matches_minisign() {
        let sk = SecretKey::generate().unwrap();
        let bin = payload("secret key", &sk.to_file_text()).unwrap();
        assert_eq!(bin.len(), 158);
        assert_eq!(&bin[0..6], b"Ed\0\0B2");
        let pk = payload("public key", &sk.public().to_file_text()).unwrap();
        assert_eq!(pk.len(), 42);
        assert_eq!(&pk[0..2], b"Ed");
        assert_eq!(pk[2..10], bin[54..62], "same key id in both files");
        // The key id in the comment is the little-endian number in upper-case hex.
        let id = u64::from_le_bytes(pk[2..10].try_into().unwrap());
        assert!(sk.public().to_file_text().contains(&format!("{id:016X}")));
        // Bare base64 line (minisign -P) is accepted.
        let bare = sk
            .public()
            .to_file_text()
            .lines()
            .nth(1)
            .unwrap()
            .to_owned();
        assert_eq!(PublicKey::from_file_text(&bare).unwrap(), sk.public());
    }

    #[test]
    fn verifies_a_signature_made_by_minisign() {
        // Made with minisign 0.11: `minisign -G -W -p k.pub -s k.key`,
        // `minisign -S -s k.key -m msg.txt -t "trusted text"` where msg.txt is "hello\n".
        let pk = PublicKey::from_file_text(MINISIGN_PUB).unwrap();
        let ok = pk.verify(b"hello\n", MINISIGN_SIG).unwrap();
        assert_eq!(ok.trusted_comment, "trusted text");
        assert!(pk.verify(b"hello", MINISIGN_SIG).is_err());
        let sk = SecretKey::from_file_text(MINISIGN_KEY).unwrap();
        assert_eq!(sk.public(), pk);
    }

    #[test]
    fn a_key_pair_goes_into_new_private_directories_and_is_never_replaced_silently() {
        use std::os::unix::fs::PermissionsExt as _;
        let home = tempfile::tempdir().unwrap();
        let secret = home.path().join(".nb-exodus/keys/verify.key");
        let public = home.path().join("pub/verify.pub");
        let key = SecretKey::generate().unwrap();
        write_key_pair(&key, &secret, &public, false).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&home.path().join(".nb-exodus")), 0o700);
        assert_eq!(mode(&home.path().join(".nb-exodus/keys")), 0o700);
        assert_eq!(mode(&home.path().join("pub")), 0o700);
        assert_eq!(mode(&secret), 0o600);
        let written = std::fs::read_to_string(&secret).unwrap();
        assert_eq!(
            SecretKey::from_file_text(&written).unwrap().key_id(),
            key.key_id()
        );

        // A second key is refused, and neither file changes.
        let other = SecretKey::generate().unwrap();
        let err = write_key_pair(&other, &secret, &public, false).unwrap_err();
        assert!(
            matches!(&err, super::super::VerifyError::KeyExists { path } if *path == secret),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&secret).unwrap(), written);
        // Only the public key existing is refused too.
        std::fs::remove_file(&secret).unwrap();
        assert!(write_key_pair(&other, &secret, &public, false).is_err());
        assert!(!secret.exists());
        // --force replaces both.
        write_key_pair(&other, &secret, &public, true).unwrap();
        let replaced = std::fs::read_to_string(&public).unwrap();
        assert_eq!(
            PublicKey::from_file_text(&replaced).unwrap().key_id(),
            other.key_id()
        );
    }

    #[test]
    fn rejects_broken_files_with_a_reason() {
        assert!(matches!(
            PublicKey::from_file_text("untrusted comment: x\n!!!\n"),
            Err(SignError::Format { .. })
        ));
        assert!(PublicKey::from_file_text("").is_err());
        let sk = SecretKey::generate().unwrap();
        let mut bin = payload("secret key", &sk.to_file_text()).unwrap();
        bin[100] ^= 1;
        let damaged = format!("untrusted comment: x\n{}\n", B64.encode(&bin));
        assert!(SecretKey::from_file_text(&damaged).is_err());
        bin[100] ^= 1;
        bin[2..4].copy_from_slice(b"Sc");
        let encrypted = format!("untrusted comment: x\n{}\n", B64.encode(&bin));
        assert!(matches!(
            SecretKey::from_file_text(&encrypted),
            Err(SignError::Encrypted)
        ));
    }

    const MINISIGN_PUB: &str = concat!(
        "untrusted comment: minisign public key CEA77927BEBAA307\n",
        "RWQHo7q+J3mnzjI/Xfq5nYDHUobCfWNkNClQG1eCXfje9zR2LO5MXbzY\n",
    );
    const MINISIGN_KEY: &str = concat!(
        "untrusted comment: minisign encrypted secret key\n",
        "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB6O6vid5p84/oqD3t96/c8ky8Kz7RIDbilxojHXuXY/hxNP/Jjx4ajI/Xfq5nYDHUobCfWNkNClQG1eCXfje9zR2LO5MXbzYAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    );
    const MINISIGN_SIG: &str = concat!(
        "untrusted comment: signature from minisign secret key\n",
        "RUQHo7q+J3mnzuLB2Jep7i0XK2O8IBhYpKQkRhBMfWa2JGMj4997S6/rVorRS7usrkhcVTXd/X/RfRhBgC9eIhzQVxlCZ/z/Zww=\n",
        "trusted comment: trusted text\n",
        "hYgHi64bD8W1+GeU+18bYFL7e6yJ9A/jr9KIKqRGHHz8VsdvRKuF+ADX8aSTjvHV1+hPrwtUXU4hkQxFsue/AQ==\n",
    );
}
