//! A private PostgreSQL cluster started from the installed server binaries, for tests and demos
//! on machines where no database has been configured.
//!
//! [`PrivateCluster::start_temporary`] runs `initdb` into a fresh temporary directory and starts
//! `postgres` on a free port of 127.0.0.1 with trust authentication; [`PrivateCluster::stop`] (or
//! dropping the value) shuts it down and deletes the directory.
//! [`PrivateCluster::start_persistent`] does the same on a directory the caller keeps (used by
//! `demo`): it runs `initdb` only when the directory is new or empty and reuses it otherwise.
//! [`PrivateCluster::start_temporary_with`] adds server settings (TLS, more listen addresses, an
//! `hba_file`), which the TLS tests use to serve a non-loopback address.
//!
//! **Binaries.** `initdb` is looked up on `PATH` first (symlinks are followed, so the other
//! programs are taken from the same installation), then under `/usr/lib/postgresql/<version>/bin`,
//! newest version first. `postgres`, `pg_ctl` and `createdb` must sit next to it.
//!
//! **Root.** PostgreSQL refuses to run as root, so when the process is root every server program
//! runs as the `postgres` user (or `nobody` when there is none), and the directories are handed
//! to that user.
//!
//! **No orphans.** A test process often exits without running destructors (statics are never
//! dropped, a test binary can be killed), yet its cluster must not outlive it. So the server is
//! not daemonised through `pg_ctl start`: `postgres` is spawned directly, as the child of a
//! dedicated *keeper* thread, with `prctl(PR_SET_PDEATHSIG, SIGINT)` set between fork and exec.
//! The kernel sends that signal when the thread that forked the child ends, which for the
//! keeper (it only ends once the server has exited) means when the whole process ends, for
//! whatever reason, SIGKILL included. SIGINT is PostgreSQL's "fast shutdown": it disconnects the
//! clients, writes a checkpoint and removes its shared memory and lock file, so a persistent
//! data directory stays consistent. What a dead process cannot do is delete its temporary
//! directory; the next [`PrivateCluster::start_temporary`] therefore removes stale
//! `nbx-pg-*` directories whose owning process and server are both gone.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{Error, Result};

/// How long the server may take to accept connections after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a fast shutdown may take before the server is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the keeper thread checks on the server, and start-up polls for readiness.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// How many free ports are tried when another process grabs the chosen one first.
const PORT_ATTEMPTS: usize = 5;
/// Prefix of temporary cluster directories; also how stale ones are recognised.
const TEMP_PREFIX: &str = "nbx-pg-";
/// File in a temporary cluster's directory holding the pid of the process that owns it.
const OWNER_FILE: &str = "owner.pid";
/// The database created in every private cluster for nb-exodus's data.
pub const DATABASE: &str = "nb_exodus";
/// The superuser of every private cluster (trust authentication, no password).
pub const SUPERUSER: &str = "postgres";
/// Longest Unix-socket path the kernel accepts is 107 bytes; beyond this the socket is omitted.
const MAX_SOCKET_DIR_LEN: usize = 90;

/// A running private PostgreSQL cluster. Stops when dropped.
#[derive(Debug)]
pub struct PrivateCluster {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    log_path: PathBuf,
    port: u16,
    database: String,
    run_as: Option<RunAs>,
    /// Extra `name=value` server settings, passed as `-c` after the built-in ones.
    settings: Vec<String>,
    keeper: Option<Keeper>,
    /// The temporary directory holding data and log; `None` for a persistent cluster.
    temp_dir: Option<tempfile::TempDir>,
}

/// The unprivileged user the server programs run as when this process is root.
#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

/// The thread that spawned `postgres` and watches it until it exits.
#[derive(Debug)]
struct Keeper {
    pid: u32,
    commands: mpsc::Sender<KeeperCommand>,
    exit: Arc<Mutex<Option<ExitStatus>>>,
    thread: Option<JoinHandle<()>>,
}

/// What the owner can ask the keeper thread to do.
#[derive(Debug)]
enum KeeperCommand {
    /// Kill the server at once (SIGKILL); used when a fast shutdown did not work.
    Kill,
}

/// How the server is configured for one kind of cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// Data is thrown away afterwards: skip fsync and friends for speed.
    Throwaway,
    /// Data is kept: keep PostgreSQL's crash safety.
    Durable,
}

impl PrivateCluster {
    /// Initialises and starts a cluster in a new temporary directory, which is deleted when the
    /// cluster stops. The server listens on a free port of 127.0.0.1 only, with trust
    /// authentication for [`SUPERUSER`], and runs without fsync.
    pub fn start_temporary() -> Result<PrivateCluster> {
        PrivateCluster::start_temporary_with(&[])
    }

    /// Like [`Self::start_temporary`], with extra server settings passed as `-c name=value`
    /// after the built-in ones (so they win): e.g. `ssl=on` with `ssl_cert_file` and
    /// `ssl_key_file`, an `hba_file`, or `listen_addresses` to listen on more than 127.0.0.1
    /// (keep 127.0.0.1 in the list: start-up checks and `createdb` use it). Files the server
    /// reads must be readable by the user it runs as (see the module documentation).
    pub fn start_temporary_with(settings: &[(&str, &str)]) -> Result<PrivateCluster> {
        let bin_dir = find_bin_dir()?;
        let run_as = run_as()?;
        remove_stale_temp_dirs();

        let temp_dir = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempdir()
            .map_err(|source| Error::Net {
                context: "creating a temporary directory for the private PostgreSQL cluster"
                    .to_owned(),
                source,
            })?;
        let base = temp_dir.path().to_path_buf();
        write_file(&base.join(OWNER_FILE), &std::process::id().to_string())?;
        hand_over(&base, run_as.as_ref())?;

        let data_dir = base.join("data");
        initdb(&bin_dir, &data_dir, run_as.as_ref())?;
        let log_path = base.join("server.log");
        let mut cluster = PrivateCluster {
            bin_dir,
            data_dir,
            log_path,
            port: 0,
            database: DATABASE.to_owned(),
            run_as,
            settings: settings
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect(),
            keeper: None,
            temp_dir: Some(temp_dir),
        };
        cluster.start_server(Durability::Throwaway)?;
        Ok(cluster)
    }

    /// Starts a cluster whose data lives in `data_dir`, running `initdb` first only when the
    /// directory does not exist or is empty. A directory with other content that is not a
    /// PostgreSQL data directory is refused. The directory is kept when the cluster stops.
    pub fn start_persistent(data_dir: &Path) -> Result<PrivateCluster> {
        let bin_dir = find_bin_dir()?;
        let run_as = run_as()?;
        let data_dir = std::path::absolute(data_dir).map_err(|source| Error::Io {
            path: data_dir.to_path_buf(),
            source,
        })?;

        match data_dir_state(&data_dir)? {
            DataDirState::Cluster => {
                tracing::debug!(data_dir = %data_dir.display(), "reusing the PostgreSQL data directory");
            }
            DataDirState::Empty => {
                fs::create_dir_all(&data_dir).map_err(|source| Error::Io {
                    path: data_dir.clone(),
                    source,
                })?;
                hand_over(&data_dir, run_as.as_ref())?;
                initdb(&bin_dir, &data_dir, run_as.as_ref())?;
            }
            DataDirState::Other => {
                return Err(Error::Cluster(format!(
                    "{} is neither empty nor a PostgreSQL data directory; choose a new or empty directory",
                    data_dir.display()
                )))
            }
        }

        let log_path = data_dir.join("nb-exodus-server.log");
        let mut cluster = PrivateCluster {
            bin_dir,
            data_dir,
            log_path,
            port: 0,
            database: DATABASE.to_owned(),
            run_as,
            settings: Vec::new(),
            keeper: None,
            temp_dir: None,
        };
        cluster.start_server(Durability::Durable)?;
        Ok(cluster)
    }

    /// URL of the cluster's [`DATABASE`] database, for nb-exodus's data. Has no password.
    pub fn url(&self) -> String {
        format!(
            "postgres://{SUPERUSER}@127.0.0.1:{}/{}",
            self.port, self.database
        )
    }

    /// URL of the cluster's `postgres` maintenance database, for creating and dropping
    /// databases. Has no password.
    pub fn admin_url(&self) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/postgres", self.port)
    }

    /// The TCP port the server listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The file the server writes its log to.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Whether the data directory is deleted when the cluster stops.
    pub fn is_temporary(&self) -> bool {
        self.temp_dir.is_some()
    }

    /// Shuts the server down (fast shutdown: clients are disconnected, nothing is lost) and,
    /// for a temporary cluster, deletes its directory. Dropping the value does the same but
    /// cannot report errors.
    pub fn stop(mut self) -> Result<()> {
        self.shut_down()
    }

    /// Stops the server the way `mode` says — a fast shutdown (clients disconnected,
    /// checkpoint written: `pg_ctl restart -m fast`) or an immediate one (no checkpoint: crash
    /// recovery on the next start, as after a power cut) — and starts it again on the same
    /// port and data. For tests that prove a run rides through a database restart.
    pub fn restart(&mut self, mode: ShutdownMode) -> Result<()> {
        let Some(keeper) = self.keeper.take() else {
            return Err(Error::Cluster(
                "the private cluster is not running".to_owned(),
            ));
        };
        let output = self
            .command("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(&self.data_dir)
            .args([
                "-m",
                mode.as_str(),
                "-w",
                "-t",
                &STOP_TIMEOUT.as_secs().to_string(),
            ])
            .stdin(Stdio::null())
            .output()
            .map_err(|source| Error::Io {
                path: self.bin_dir.join("pg_ctl"),
                source,
            })?;
        if !output.status.success() || !keeper.wait_for_exit(STOP_TIMEOUT) {
            keeper.kill_and_join();
            return Err(Error::Cluster(format!(
                "pg_ctl stop -m {} failed: {}",
                mode.as_str(),
                last_lines(&String::from_utf8_lossy(&output.stderr))
            )));
        }
        keeper.kill_and_join();
        let durability = if self.temp_dir.is_some() {
            Durability::Throwaway
        } else {
            Durability::Durable
        };
        match self.spawn_and_wait(self.port, durability) {
            Ok(()) => Ok(()),
            Err(StartError::PortTaken(err) | StartError::Failed(err)) => Err(err),
        }
    }

    /// Starts `postgres` on a free port and waits until it accepts connections, then makes sure
    /// the [`DATABASE`] database exists. Tries a few ports in case another process takes the
    /// chosen one between our check and the server's bind.
    fn start_server(&mut self, durability: Durability) -> Result<()> {
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            match self.spawn_and_wait(port, durability) {
                Ok(()) => {
                    self.port = port;
                    self.create_database()?;
                    return Ok(());
                }
                Err(StartError::PortTaken(err)) => {
                    tracing::debug!(
                        port,
                        "port taken before the server could bind it; trying another"
                    );
                    last_error = Some(err);
                }
                Err(StartError::Failed(err)) => return Err(err),
            }
        }
        Err(last_error.unwrap_or_else(|| Error::Cluster("no free port found".to_owned())))
    }

    /// One start attempt on `port`.
    fn spawn_and_wait(&mut self, port: u16, durability: Durability) -> Result<(), StartError> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .map_err(|source| {
                StartError::Failed(Error::Io {
                    path: self.log_path.clone(),
                    source,
                })
            })?;
        let log_start = log.metadata().map(|meta| meta.len()).unwrap_or(0);
        let log_err = log.try_clone().map_err(|source| {
            StartError::Failed(Error::Io {
                path: self.log_path.clone(),
                source,
            })
        })?;

        let mut command = self.command("postgres");
        command
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .arg("-k")
            .arg(socket_dir(&self.data_dir))
            .args(["-c", "max_connections=200", "-c", "shared_buffers=32MB"])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        if durability == Durability::Throwaway {
            command.args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]);
        }
        for setting in &self.settings {
            command.arg("-c").arg(setting);
        }
        die_with_parent(&mut command);

        let keeper = Keeper::spawn(command, port).map_err(StartError::Failed)?;
        let started = Instant::now();
        self.keeper = Some(keeper);
        loop {
            let exited = self.keeper.as_ref().and_then(Keeper::exit_status);
            if let Some(status) = exited {
                self.keeper = None;
                let tail = log_tail(&self.log_path, log_start);
                let message = format!(
                    "postgres exited during start-up ({status}); server log {}: {tail}",
                    self.log_path.display()
                );
                return Err(
                    if tail.contains("could not bind") || tail.contains("already in use") {
                        StartError::PortTaken(Error::Cluster(message))
                    } else {
                        StartError::Failed(Error::Cluster(message))
                    },
                );
            }
            if server_is_ready(&self.data_dir, port) {
                tracing::debug!(
                    port,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "private cluster ready"
                );
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                if let Some(keeper) = self.keeper.take() {
                    keeper.kill_and_join();
                }
                return Err(StartError::Failed(Error::Cluster(format!(
                    "postgres did not accept connections within {} s; server log {}: {}",
                    START_TIMEOUT.as_secs(),
                    self.log_path.display(),
                    log_tail(&self.log_path, log_start)
                ))));
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Creates the [`DATABASE`] database unless it already exists (persistent clusters).
    fn create_database(&self) -> Result<()> {
        let output = self
            .command("createdb")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                SUPERUSER,
                "-w",
            ])
            .arg(&self.database)
            .env("PGCONNECT_TIMEOUT", "5")
            .output()
            .map_err(|source| Error::Io {
                path: self.bin_dir.join("createdb"),
                source,
            })?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() || stderr.contains("already exists") {
            Ok(())
        } else {
            Err(Error::Cluster(format!(
                "createdb {} failed ({}): {}",
                self.database,
                output.status,
                last_lines(&stderr)
            )))
        }
    }

    /// Stops the server if it runs and deletes a temporary directory. Idempotent.
    fn shut_down(&mut self) -> Result<()> {
        let mut result = Ok(());
        if let Some(keeper) = self.keeper.take() {
            let output = self
                .command("pg_ctl")
                .arg("stop")
                .arg("-D")
                .arg(&self.data_dir)
                .args([
                    "-m",
                    "fast",
                    "-w",
                    "-t",
                    &STOP_TIMEOUT.as_secs().to_string(),
                ])
                .stdin(Stdio::null())
                .output();
            let stopped_cleanly = match &output {
                Ok(output) if output.status.success() => {
                    keeper.wait_for_exit(Duration::from_secs(5))
                }
                _ => false,
            };
            if !stopped_cleanly {
                let detail = match output {
                    Ok(output) => last_lines(&String::from_utf8_lossy(&output.stderr)),
                    Err(err) => err.to_string(),
                };
                tracing::warn!(port = self.port, %detail, "fast shutdown failed; killing the server");
                result = Err(Error::Cluster(format!(
                    "pg_ctl stop failed for {} (the server was killed instead): {detail}",
                    self.data_dir.display()
                )));
            }
            keeper.kill_and_join();
        }
        if let Some(temp_dir) = self.temp_dir.take() {
            let path = temp_dir.path().to_path_buf();
            if let Err(source) = temp_dir.close() {
                result = result.and(Err(Error::Io { path, source }));
            }
        }
        result
    }

    /// A command for one of the PostgreSQL programs, running as the unprivileged user when this
    /// process is root, from a directory every user can enter.
    fn command(&self, program: &str) -> Command {
        server_command(&self.bin_dir, program, self.run_as.as_ref())
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if let Err(err) = self.shut_down() {
            tracing::warn!(error = %err, "stopping the private PostgreSQL cluster");
        }
    }
}

/// How [`PrivateCluster::restart`] stops the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownMode {
    /// `-m fast`: clients disconnected, a checkpoint written.
    Fast,
    /// `-m immediate`: processes quit at once; the next start runs crash recovery.
    Immediate,
}

impl ShutdownMode {
    fn as_str(self) -> &'static str {
        match self {
            ShutdownMode::Fast => "fast",
            ShutdownMode::Immediate => "immediate",
        }
    }
}

/// Why one start attempt failed.
enum StartError {
    /// Another process bound the port first; worth another try on a new port.
    PortTaken(Error),
    /// Anything else; retrying would not help.
    Failed(Error),
}

impl Keeper {
    /// Spawns `command` from a new keeper thread and returns once it runs.
    fn spawn(mut command: Command, port: u16) -> Result<Keeper> {
        let (commands, command_rx) = mpsc::channel::<KeeperCommand>();
        let (spawned_tx, spawned_rx) = mpsc::sync_channel::<io::Result<u32>>(1);
        let exit = Arc::new(Mutex::new(None));
        let exit_in_thread = Arc::clone(&exit);
        let thread = std::thread::Builder::new()
            .name(format!("nbx-pg-{port}"))
            .spawn(move || {
                // The child must be forked by this thread: PR_SET_PDEATHSIG fires when the
                // forking thread ends, and this one lives exactly as long as the child.
                match command.spawn() {
                    Ok(child) => {
                        let _ = spawned_tx.send(Ok(child.id()));
                        keep(child, &command_rx, &exit_in_thread);
                    }
                    Err(err) => {
                        let _ = spawned_tx.send(Err(err));
                    }
                }
            })
            .map_err(|source| Error::Net {
                context: "starting the thread that keeps the private PostgreSQL server".to_owned(),
                source,
            })?;
        let pid = match spawned_rx.recv() {
            Ok(Ok(pid)) => pid,
            Ok(Err(source)) => {
                let _ = thread.join();
                return Err(Error::Net {
                    context: "starting postgres".to_owned(),
                    source,
                });
            }
            Err(_) => {
                let _ = thread.join();
                return Err(Error::Cluster(
                    "the keeper thread ended before starting postgres".to_owned(),
                ));
            }
        };
        tracing::debug!(pid, port, "postgres started");
        Ok(Keeper {
            pid,
            commands,
            exit,
            thread: Some(thread),
        })
    }

    /// The server's exit status once it has exited.
    fn exit_status(&self) -> Option<ExitStatus> {
        *self
            .exit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits up to `timeout` for the server to exit; returns whether it did.
    fn wait_for_exit(&self, timeout: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if self.exit_status().is_some() {
                return true;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
        false
    }

    /// Kills the server if it still runs and waits for the keeper thread to end.
    fn kill_and_join(mut self) {
        if self.exit_status().is_none() {
            tracing::debug!(pid = self.pid, "killing postgres");
            let _ = self.commands.send(KeeperCommand::Kill);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The keeper thread's loop: watch `child` until it exits, killing it on request or when the
/// owner is gone without asking.
fn keep(
    mut child: Child,
    commands: &mpsc::Receiver<KeeperCommand>,
    exit: &Mutex<Option<ExitStatus>>,
) {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                *exit.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(status);
                return;
            }
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(error = %err, "cannot check on postgres; killing it");
                let _ = child.kill();
            }
        }
        match commands.recv_timeout(POLL_INTERVAL) {
            Ok(KeeperCommand::Kill) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = child.kill();
                let status = child.wait().ok();
                *exit.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = status;
                return;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
}

/// Makes the kernel send SIGINT (PostgreSQL's fast shutdown) to the spawned program when the
/// thread that spawned it ends; see the module documentation.
#[allow(unsafe_code)]
fn die_with_parent(command: &mut Command) {
    let parent = std::process::id();
    // SAFETY: the closure runs in the child between fork and exec, where only async-signal-safe
    // operations are allowed. It calls prctl(2) and getppid(2) (both async-signal-safe), builds
    // io::Error values from raw OS error codes (no allocation) and touches no locks or shared
    // state. The pid it compares against was captured before the fork.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGINT as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl; then no signal will ever come.
            if std::os::unix::process::parent_id() != parent {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// The effective user id of this process.
#[allow(unsafe_code)]
fn effective_uid() -> u32 {
    // SAFETY: geteuid(2) has no preconditions, cannot fail and touches no memory of ours.
    unsafe { libc::geteuid() }
}

/// The user the server programs run as: `None` (this process's user) unless we are root, then
/// `postgres`, or `nobody` when there is no `postgres` user.
fn run_as() -> Result<Option<RunAs>> {
    if effective_uid() != 0 {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").map_err(|source| Error::Io {
        path: PathBuf::from("/etc/passwd"),
        source,
    })?;
    ["postgres", "nobody"]
        .iter()
        .find_map(|name| lookup_user(&passwd, name))
        .map(Some)
        .ok_or_else(|| {
            Error::Cluster(
                "running as root, but there is neither a postgres nor a nobody user to run the server as \
                 (PostgreSQL refuses to run as root)"
                    .to_owned(),
            )
        })
}

/// Finds `name` in the text of `/etc/passwd`.
fn lookup_user(passwd: &str, name: &str) -> Option<RunAs> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        let _password = fields.next()?;
        let uid = fields.next()?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some(RunAs {
            name: name.to_owned(),
            uid,
            gid,
        })
    })
}

/// Gives `path` to the user the server runs as.
fn hand_over(path: &Path, run_as: Option<&RunAs>) -> Result<()> {
    let Some(user) = run_as else { return Ok(()) };
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A command for `program` from `bin_dir`, as `run_as`, from `/`, with a clean PostgreSQL
/// environment (a `PGDATA` or `PGPORT` of the caller must not redirect our programs).
fn server_command(bin_dir: &Path, program: &str, run_as: Option<&RunAs>) -> Command {
    let mut command = Command::new(bin_dir.join(program));
    command.current_dir("/");
    for var in [
        "PGDATA",
        "PGPORT",
        "PGHOST",
        "PGHOSTADDR",
        "PGUSER",
        "PGDATABASE",
        "PGOPTIONS",
        "PGSERVICE",
    ] {
        command.env_remove(var);
    }
    if let Some(user) = run_as {
        command
            .uid(user.uid)
            .gid(user.gid)
            .env("USER", &user.name)
            .env("LOGNAME", &user.name);
    }
    command
}

/// Runs `initdb` into `data_dir`.
fn initdb(bin_dir: &Path, data_dir: &Path, run_as: Option<&RunAs>) -> Result<()> {
    tracing::debug!(data_dir = %data_dir.display(), "initdb");
    let output = server_command(bin_dir, "initdb", run_as)
        .arg("-D")
        .arg(data_dir)
        .args([
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|source| Error::Io {
            path: bin_dir.join("initdb"),
            source,
        })?;
    if output.status.success() {
        return Ok(());
    }
    let user_hint = match run_as {
        Some(user) => format!(
            " (it runs as user {}, which must be able to reach the directory)",
            user.name
        ),
        None => String::new(),
    };
    Err(Error::Cluster(format!(
        "initdb {} failed ({}){user_hint}: {}",
        data_dir.display(),
        output.status,
        last_lines(&String::from_utf8_lossy(&output.stderr))
    )))
}

/// What a directory offered as a persistent data directory contains.
#[derive(Debug, PartialEq, Eq)]
enum DataDirState {
    /// Missing or empty: initialise it.
    Empty,
    /// A PostgreSQL data directory: reuse it.
    Cluster,
    /// Something else: refuse to touch it.
    Other,
}

fn data_dir_state(data_dir: &Path) -> Result<DataDirState> {
    if data_dir.join("PG_VERSION").is_file() {
        return Ok(DataDirState::Cluster);
    }
    match fs::read_dir(data_dir) {
        Ok(mut entries) => Ok(if entries.next().is_none() {
            DataDirState::Empty
        } else {
            DataDirState::Other
        }),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(DataDirState::Empty),
        Err(source) => Err(Error::Io {
            path: data_dir.to_path_buf(),
            source,
        }),
    }
}

/// Finds the directory holding `initdb`, `postgres` and `pg_ctl`.
fn find_bin_dir() -> Result<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let from_path = on_path.iter().filter_map(|dir| {
        let initdb = fs::canonicalize(dir.join("initdb")).ok()?;
        Some(initdb.parent()?.to_path_buf())
    });

    let mut versioned: Vec<(Vec<u32>, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|entry| {
                    let entry = entry.ok()?;
                    let version = parse_version(&entry.file_name().to_string_lossy())?;
                    Some((version, entry.path().join("bin")))
                })
                .collect()
        })
        .unwrap_or_default();
    versioned.sort_by(|a, b| b.0.cmp(&a.0));

    from_path
        .chain(versioned.into_iter().map(|(_, dir)| dir))
        .find(|dir| ["initdb", "postgres", "pg_ctl"].iter().all(|program| dir.join(program).is_file()))
        .ok_or_else(|| {
            Error::Cluster(
                "no PostgreSQL server binaries found (initdb, postgres and pg_ctl on PATH or under \
                 /usr/lib/postgresql/*/bin): install the PostgreSQL server package, or set DATABASE_URL \
                 to use an existing server"
                    .to_owned(),
            )
        })
}

/// Parses a directory name like `15` or `9.6` into comparable numbers.
fn parse_version(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

/// A TCP port on 127.0.0.1 that nobody listens on right now.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|source| Error::Net {
        context: "looking for a free TCP port on 127.0.0.1".to_owned(),
        source,
    })?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|source| Error::Net {
            context: "looking for a free TCP port on 127.0.0.1".to_owned(),
            source,
        })
}

/// Where the server puts its Unix socket: inside the data directory, or nowhere (TCP only)
/// when that path would be too long for a socket.
fn socket_dir(data_dir: &Path) -> PathBuf {
    if data_dir.as_os_str().len() <= MAX_SOCKET_DIR_LEN {
        data_dir.to_path_buf()
    } else {
        PathBuf::new()
    }
}

/// Whether the server says it is ready (the status line of `postmaster.pid`, as `pg_ctl -w`
/// checks) and its TCP port accepts connections.
fn server_is_ready(data_dir: &Path, port: u16) -> bool {
    let Ok(pid_file) = fs::read_to_string(data_dir.join("postmaster.pid")) else {
        return false;
    };
    pid_file_says_ready(&pid_file)
        && TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_secs(1))
            .is_ok()
}

/// Whether the contents of `postmaster.pid` report the server as ready to accept connections
/// (line 8, the status line, reads `ready`).
fn pid_file_says_ready(pid_file: &str) -> bool {
    pid_file.lines().nth(7).map(str::trim) == Some("ready")
}

/// The last lines of the server log written since `from`, on one line.
fn log_tail(path: &Path, from: u64) -> String {
    let mut text = String::new();
    let read = fs::File::open(path).and_then(|mut file| {
        file.seek(SeekFrom::Start(from))?;
        file.read_to_string(&mut text)
    });
    match read {
        Ok(_) if text.trim().is_empty() => "(empty)".to_owned(),
        Ok(_) => last_lines(&text),
        Err(err) => format!("(unreadable: {err})"),
    }
}

/// The last few non-empty lines of `text`, joined with " | " so they fit an error line.
fn last_lines(text: &str) -> String {
    const LINES: usize = 6;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    lines[lines.len().saturating_sub(LINES)..].join(" | ")
}

/// Writes `contents` to `path`.
fn write_file(path: &Path, contents: &str) -> Result<()> {
    fs::write(path, contents).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Deletes temporary cluster directories left behind by processes that died without cleaning
/// up: only `nbx-pg-*` directories whose owner process is gone and whose server no longer runs.
/// Best-effort; errors are ignored.
fn remove_stale_temp_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_ours = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX);
        if !is_ours || !path.is_dir() {
            continue;
        }
        // Without an owner file the directory may be being set up right now: leave it.
        let Some(owner) = read_pid(&path.join(OWNER_FILE)) else {
            continue;
        };
        let server = read_pid(&path.join("data").join("postmaster.pid"));
        if process_alive(owner) || server.is_some_and(process_alive) {
            continue;
        }
        tracing::debug!(dir = %path.display(), "removing a stale private cluster directory");
        let _ = fs::remove_dir_all(&path);
    }
}

/// The pid on the first line of `path`.
fn read_pid(path: &Path) -> Option<u32> {
    fs::read_to_string(path)
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Whether a process with this pid exists (Linux: it has a `/proc` entry).
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically() {
        let mut versions: Vec<Vec<u32>> = ["9.6", "15", "10", "16"]
            .iter()
            .filter_map(|v| parse_version(v))
            .collect();
        versions.sort_by(|a, b| b.cmp(a));
        assert_eq!(versions, vec![vec![16], vec![15], vec![10], vec![9, 6]]);
        assert_eq!(parse_version("main"), None);
    }

    #[test]
    fn pid_file_status_line_is_read() {
        let ready = "123\n/tmp/x/data\n1700000000\n5433\n/tmp/x/data\n127.0.0.1\n  5433001   32768\nready   \n";
        let starting = ready.replace("ready   ", "starting");
        assert!(pid_file_says_ready(ready));
        assert!(!pid_file_says_ready(&starting));
        assert!(!pid_file_says_ready("123\n"));
    }

    #[test]
    fn passwd_lookup_finds_uid_and_gid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\npostgres:x:101:104:PostgreSQL:/var/lib/postgresql:/bin/bash\n";
        let user = lookup_user(passwd, "postgres").expect("postgres is listed");
        assert_eq!((user.uid, user.gid), (101, 104));
        assert!(lookup_user(passwd, "nobody").is_none());
    }

    #[test]
    fn last_lines_keeps_the_tail_on_one_line() {
        let text = (1..=10).map(|n| format!("line {n}\n")).collect::<String>();
        assert_eq!(
            last_lines(&text),
            "line 5 | line 6 | line 7 | line 8 | line 9 | line 10"
        );
    }

    #[test]
    fn data_dir_state_tells_new_empty_cluster_and_other_apart() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            data_dir_state(&dir.path().join("missing")).expect("state"),
            DataDirState::Empty
        );
        assert_eq!(
            data_dir_state(dir.path()).expect("state"),
            DataDirState::Empty
        );
        fs::write(dir.path().join("notes.txt"), "x").expect("write");
        assert_eq!(
            data_dir_state(dir.path()).expect("state"),
            DataDirState::Other
        );
        fs::write(dir.path().join("PG_VERSION"), "15").expect("write");
        assert_eq!(
            data_dir_state(dir.path()).expect("state"),
            DataDirState::Cluster
        );
    }
}
