//! Files only their owner may read: the report directory (mode 0700) and the files in it,
//! and the signing keys (mode 0600), written so that an existing file also ends up private.
//! Shared by the report writer and `keygen`.

use std::io::Write as _;
use std::path::Path;

use super::VerifyError;

/// Creates `dir` (mode 0700) if it does not exist.
pub fn create_private_dir(dir: &Path) -> Result<(), VerifyError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| VerifyError::Io {
        path: dir.to_owned(),
        source,
    })
}

/// Writes `bytes` to `path` with mode 0600, replacing any earlier file.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), VerifyError> {
    let io = |source| VerifyError::Io {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io)?;
    // An existing file keeps its old mode through open(); force 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}
