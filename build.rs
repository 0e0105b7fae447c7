//! Rebuild when a migration file is added: `sqlx::migrate!` embeds the files at compile time but
//! cannot tell cargo to watch the directory for new ones.

fn main() {
    println!("cargo:rerun-if-changed=src/schema/migrations");
}
