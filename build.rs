//! Build script: embeds the mapping files and watches the migrations.
//!
//! `sqlx::migrate!` embeds `src/schema/migrations/` at compile time but cannot tell cargo to
//! watch the directory for new files, so it is watched here. The mapping files under
//! `mappings/<api>/*.toml` are built into the binary (so the tool works from any directory);
//! their list is generated here as `OUT_DIR/builtin_mappings.rs`, so a resource's new mapping
//! file is picked up without editing any source file.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=src/schema/migrations");
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut out = String::new();
    for api in ["v1", "v2"] {
        let dir = Path::new(&root).join("mappings").join(api);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".toml"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        let _ = writeln!(
            out,
            "/// The mapping files of API {api} built into the binary: (file name, text), in name order."
        );
        let _ = writeln!(
            out,
            "const BUILTIN_{}: &[(&str, &str)] = &[",
            api.to_uppercase()
        );
        for name in names {
            let path = dir.join(&name);
            println!("cargo:rerun-if-changed={}", path.display());
            let _ = writeln!(
                out,
                "    ({name:?}, include_str!({:?})),",
                path.display().to_string()
            );
        }
        let _ = writeln!(out, "];");
    }
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_mappings.rs");
    std::fs::write(dest, out).expect("writing builtin_mappings.rs");
}
