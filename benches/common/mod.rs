//! What both benchmarks share: an `nb-exodus simulate` release process on a free loopback port,
//! unthrottled, stopped with SIGINT when dropped.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

pub const TOKEN: &str = "bench-token";

/// The database to benchmark against: `DATABASE_URL` when set, else a private temporary
/// cluster (kept alive by the returned handle).
#[allow(dead_code)] // each bench is its own crate: not every one needs a database
pub fn database() -> (String, Option<nb_exodus::database::cluster::PrivateCluster>) {
    match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => (url, None),
        None => {
            let c = nb_exodus::database::cluster::PrivateCluster::start_temporary()
                .expect("private cluster");
            (c.admin_url(), Some(c))
        }
    }
}

/// A simulator process and its base URL.
pub struct Sim {
    pub child: Child,
    pub base: String,
}

impl Sim {
    #[allow(dead_code)] // each bench is its own crate: not every one spawns unthrottled
    pub fn spawn(people: u64) -> Sim {
        Sim::spawn_at(people, "off")
    }

    /// A simulator enforcing `rate` (`250/10s`, or `off`).
    pub fn spawn_at(people: u64, rate: &str) -> Sim {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nb-exodus"))
            .args([
                "simulate",
                "--listen",
                "127.0.0.1:0",
                "--people",
                &people.to_string(),
                "--token",
                TOKEN,
                "--rate-limit",
                rate,
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn nb-exodus simulate");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let base = line
            .trim()
            .rsplit(' ')
            .next()
            .expect("base url")
            .to_string();
        Sim { child, base }
    }

    #[allow(dead_code)]
    pub fn status(&self, key: &str) -> String {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with(key))
            .map(|l| l[key.len()..].trim().to_string())
            .unwrap_or_else(|| "?".to_string())
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
