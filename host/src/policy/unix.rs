//! Unix-domain confinement: `--allow-unix HOST_DIR[::GUEST_DIR]`.
//!
//! What is checked is what is used. Each grant holds an `O_PATH` handle on
//! its host directory, opened when the grant is made. A guest path is
//! normalised lexically, matched against the grants' guest directories,
//! and resolved beneath the grant's handle without following any symlink
//! (`openat2(2)` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, or an
//! `O_NOFOLLOW` walk): `bind(2)` then creates the socket file in the
//! directory handle it resolved, and `connect(2)` reaches the socket inode
//! it resolved, both through `/proc/self/fd/N`, so nothing is looked up by
//! name twice and a symlink swapped in between cannot redirect either. A
//! socket inode with other hard links is refused (a link could lead to a
//! socket outside the directory).
//!
//! A socket file the guest binds is removed when that socket closes
//! ([`BoundFile`]). Messages name the guest's path only, never the host's.
//!
//! A bound socket keeps the handle on its directory for as long as it
//! lives (its name goes through that handle, and its file is removed
//! through it). The sockets bound in one directory share one handle
//! (`DirectoryHandles`); in a granted directory itself, the grant's own.
//! So the descriptors a guest makes the host hold are its sockets, one
//! per grant, and one per subdirectory it has sockets bound in (which
//! the guest cannot create: a `--dir` may not overlap a unix grant).

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, Weak};

use socket2::SockAddr;

use super::grant::GrantError;
use super::{Denied, Operation, Subject};
use crate::sys;

/// One `--allow-unix HOST_DIR[::GUEST_DIR]` grant as written (not yet
/// opened on the host; [`Policy::allow_unix`](super::Policy::allow_unix)
/// does that).
///
/// Without GUEST_DIR the guest names sockets by the host path as written
/// (a relative one from `/`, never from the working directory); with it,
/// the guest's `GUEST_DIR/x` is the host's `HOST_DIR/x`. GUEST_DIR must be
/// absolute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnixGrantSpec {
    /// The host directory.
    pub host_dir: PathBuf,
    /// The guest's name for it, if different.
    pub guest_dir: Option<PathBuf>,
}

impl FromStr for UnixGrantSpec {
    type Err = GrantError;

    fn from_str(spec: &str) -> Result<Self, GrantError> {
        let err = |message: String| GrantError::new(spec, message);
        let (host, guest) = match spec.split_once("::") {
            Some((h, g)) => (h, Some(g)),
            None => (spec, None),
        };
        if host.is_empty() {
            return Err(err(
                "missing HOST_DIR (expected HOST_DIR[::GUEST_DIR])".into()
            ));
        }
        if host.contains('\0') {
            return Err(err("HOST_DIR contains a NUL byte".into()));
        }
        let guest_dir = match guest {
            None => None,
            Some("") => return Err(err("empty GUEST_DIR after `::`".into())),
            Some(g) if !g.starts_with('/') => {
                return Err(err(format!(
                    "GUEST_DIR `{g}` must be an absolute path, like /run"
                )));
            }
            Some(g) if g.contains('\0') => return Err(err("GUEST_DIR contains a NUL byte".into())),
            Some(g) => Some(normalize_lexically(Path::new(g))),
        };
        Ok(UnixGrantSpec {
            host_dir: PathBuf::from(host),
            guest_dir,
        })
    }
}

/// An opened unix grant: a handle on the host directory, its canonical
/// host path (only to recognise native peers' names) and the guest's
/// (lexically normal, absolute) name for it.
#[derive(Clone, Debug)]
pub(crate) struct UnixGrant {
    handle: Arc<OwnedFd>,
    host_dir: PathBuf,
    guest_dir: PathBuf,
}

impl UnixGrant {
    pub(crate) fn open(spec: UnixGrantSpec) -> Result<Self, GrantError> {
        let shown = match &spec.guest_dir {
            Some(g) => format!("{}::{}", spec.host_dir.display(), g.display()),
            None => spec.host_dir.display().to_string(),
        };
        let err = |message: String| GrantError::new(&shown, message);
        let host_dir = spec
            .host_dir
            .canonicalize()
            .map_err(|e| err(format!("HOST_DIR `{}`: {e}", spec.host_dir.display())))?;
        if !host_dir.is_dir() {
            return Err(err(format!(
                "HOST_DIR `{}` is not a directory",
                spec.host_dir.display()
            )));
        }
        let handle = sys::open_directory(&host_dir)
            .map_err(|e| err(format!("HOST_DIR `{}`: {e}", spec.host_dir.display())))?;
        let guest_dir = match spec.guest_dir {
            Some(g) => g,
            None => {
                // The guest names the host directory as it was given, made
                // absolute from `/` (a relative one never shows the host's
                // working directory); symlinks in it are resolved only on
                // the host.
                normalize_lexically(&Path::new("/").join(&spec.host_dir))
            }
        };
        Ok(UnixGrant {
            handle: Arc::new(handle),
            host_dir,
            guest_dir,
        })
    }
}

/// Why a unix path cannot be used: the policy refused it, or the OS
/// answered while it was resolved (a missing directory, say).
#[derive(Debug)]
pub enum UnixRefusal {
    /// Refused by the policy: the guest sees `permission-denied`.
    Denied(Denied),
    /// The OS's answer, as a `bind(2)` or `connect(2)` to that path would
    /// have given it.
    Os(io::Error),
}

/// A guest path checked for `bind(2)`: the directory it names, opened
/// beneath the grant, and the file name to create there.
#[derive(Debug)]
pub struct UnixBindTarget {
    parent: Arc<OwnedFd>,
    name: OsString,
    guest_path: String,
}

impl UnixBindTarget {
    /// The address to hand to `bind(2)`: the checked directory through
    /// `/proc/PID/fd` (this process's id: the socket keeps this path as
    /// its name, see
    /// [`Policy::guest_unix_name`](crate::policy::Policy::guest_unix_name)),
    /// and the file name.
    pub fn os_address(&self) -> io::Result<SockAddr> {
        SockAddr::unix(sys::proc_pid_path(self.parent.as_fd()).join(&self.name))
    }

    /// The guest's name for the socket.
    pub fn guest_path(&self) -> &str {
        &self.guest_path
    }

    /// After a successful `bind(2)`: the socket file that now exists, to
    /// be removed when the socket closes.
    pub fn into_bound_file(self) -> BoundFile {
        let identity = sys::fstatat_nofollow(self.parent.as_fd(), &self.name).ok();
        BoundFile {
            parent: self.parent,
            name: self.name,
            identity,
            guest_path: self.guest_path,
        }
    }
}

/// A guest path checked for `connect(2)` or `sendto(2)`: the socket inode
/// itself, opened beneath the grant.
#[derive(Debug)]
pub struct UnixConnectTarget {
    socket: OwnedFd,
    guest_path: String,
}

impl UnixConnectTarget {
    /// The address to hand to `connect(2)` / `sendto(2)`: the checked
    /// socket inode through `/proc/self/fd`.
    pub fn os_address(&self) -> io::Result<SockAddr> {
        SockAddr::unix(sys::proc_path(self.socket.as_fd()))
    }

    /// The guest's name for the socket.
    pub fn guest_path(&self) -> &str {
        &self.guest_path
    }
}

/// A socket file a guest bound: removed when dropped (when its socket
/// closes), if the file there is still the one the bind created.
#[derive(Debug)]
pub struct BoundFile {
    parent: Arc<OwnedFd>,
    name: OsString,
    identity: Option<sys::FileStatus>,
    guest_path: String,
}

impl BoundFile {
    /// The guest's name for the socket (what `socket-name` answers).
    pub fn guest_path(&self) -> &str {
        &self.guest_path
    }
}

impl Drop for BoundFile {
    fn drop(&mut self) {
        let Some(identity) = self.identity else {
            return;
        };
        // Only the file this bind made: a file put there since under the
        // same name (by someone else) stays.
        if let Ok(now) = sys::fstatat_nofollow(self.parent.as_fd(), &self.name)
            && now.same_file(&identity)
        {
            let _ = sys::unlinkat(self.parent.as_fd(), &self.name);
        }
    }
}

/// The unix grants of one policy.
#[derive(Clone, Debug, Default)]
pub(crate) struct UnixGrants {
    grants: Vec<UnixGrant>,
    directories: DirectoryHandles,
}

/// The `O_PATH` directory handles bound sockets keep, one per directory
/// (by device and inode), shared by every socket bound in it and closed
/// with the last of them. A granted directory's is the grant's own handle.
///
/// Sharing is safe: a handle is shared only with a bind whose own
/// resolution beneath the grant (no symlink followed) reached the same
/// directory, and an open handle keeps its inode, so the number cannot
/// come to name another directory meanwhile.
#[derive(Clone, Debug, Default)]
struct DirectoryHandles(Arc<Mutex<HashMap<(u64, u64), Weak<OwnedFd>>>>);

impl DirectoryHandles {
    /// The shared handle on the directory `opened` is a handle on (which
    /// becomes the shared one if there is none yet).
    fn share(&self, opened: OwnedFd) -> io::Result<Arc<OwnedFd>> {
        let status = sys::fstat(opened.as_fd())?;
        let key = (status.device, status.inode);
        let mut handles = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(shared) = handles.get(&key).and_then(Weak::upgrade) {
            return Ok(shared);
        }
        handles.retain(|_, handle| handle.strong_count() > 0);
        let shared = Arc::new(opened);
        handles.insert(key, Arc::downgrade(&shared));
        Ok(shared)
    }

    /// Makes a grant's handle the shared one for its directory (the grant
    /// keeps it for as long as the policy lives).
    fn seed(&self, grant: &Arc<OwnedFd>) {
        if let Ok(status) = sys::fstat(grant.as_fd()) {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert((status.device, status.inode), Arc::downgrade(grant));
        }
    }
}

/// `PATH_MAX`: a guest path this long or longer is refused as the OS
/// refuses it (`ENAMETOOLONG`), before the host copies it.
const PATH_BYTES_MAX: usize = libc::PATH_MAX as usize;

/// Which system call a guest path is checked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Use {
    Bind,
    Connect,
}

impl UnixGrants {
    pub(crate) fn push(&mut self, grant: UnixGrant) {
        self.directories.seed(&grant.handle);
        self.grants.push(grant);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// Checks `guest_path` for `bind(2)`.
    pub(crate) fn bind(&self, guest_path: &str) -> Result<UnixBindTarget, UnixRefusal> {
        let (grant, relative, guest) = self.locate(Use::Bind, guest_path)?;
        let deny = |why: &str| refusal(Use::Bind, &guest, why);
        let name = relative
            .file_name()
            .map(|n| n.to_os_string())
            .ok_or_else(|| deny("names the granted directory itself, not a socket in it"))?;
        let parent_path = relative.parent().unwrap_or(Path::new(""));
        let parent = sys::open_beneath(grant.handle.as_fd(), parent_path, sys::Beneath::Directory)
            .map_err(|e| resolution_error(Use::Bind, &guest, e))?;
        let parent = self.directories.share(parent).map_err(UnixRefusal::Os)?;
        Ok(UnixBindTarget {
            parent,
            name,
            guest_path: guest,
        })
    }

    /// Checks `guest_path` for `connect(2)` / `sendto(2)`.
    pub(crate) fn connect(&self, guest_path: &str) -> Result<UnixConnectTarget, UnixRefusal> {
        let (grant, relative, guest) = self.locate(Use::Connect, guest_path)?;
        let deny = |why: &str| refusal(Use::Connect, &guest, why);
        if relative.as_os_str().is_empty() {
            return Err(deny(
                "names the granted directory itself, not a socket in it",
            ));
        }
        let socket = sys::open_beneath(grant.handle.as_fd(), &relative, sys::Beneath::File)
            .map_err(|e| resolution_error(Use::Connect, &guest, e))?;
        let status = sys::fstat(socket.as_fd()).map_err(UnixRefusal::Os)?;
        if status.is_symlink() {
            return Err(resolution_error(
                Use::Connect,
                &guest,
                io::Error::from_raw_os_error(libc::ELOOP),
            ));
        }
        if !status.is_socket() {
            // What connect(2) answers for a file that is no socket (and
            // for a symlink, which is never followed here).
            return Err(UnixRefusal::Os(io::Error::from_raw_os_error(
                libc::ECONNREFUSED,
            )));
        }
        if status.links > 1 {
            return Err(deny(
                "the socket file has other hard links, which could lead outside the directory",
            ));
        }
        Ok(UnixConnectTarget {
            socket,
            guest_path: guest,
        })
    }

    /// The grant a guest path falls under, the path relative to it, and
    /// the normalised guest path (for messages and names).
    fn locate(
        &self,
        use_: Use,
        guest_path: &str,
    ) -> Result<(&UnixGrant, PathBuf, String), UnixRefusal> {
        let deny = |why: &str| refusal(use_, guest_path, why);
        if self.grants.is_empty() {
            return Err(deny("no --allow-unix grant"));
        }
        if guest_path.is_empty() {
            return Err(deny("an empty path names no socket"));
        }
        if guest_path.contains('\0') {
            return Err(deny(
                "abstract-namespace and NUL-containing paths are outside every granted directory",
            ));
        }
        // What the OS would answer, before the path is copied (normalised,
        // joined): no longer path resolves.
        if guest_path.len() >= PATH_BYTES_MAX {
            return Err(UnixRefusal::Os(io::Error::from_raw_os_error(
                libc::ENAMETOOLONG,
            )));
        }
        let path = Path::new(guest_path);
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.grants[0].guest_dir.join(path)
        };
        let normal = normalize_lexically(&absolute);
        let (grant, relative) = self
            .grants
            .iter()
            .filter_map(|g| {
                normal
                    .strip_prefix(&g.guest_dir)
                    .ok()
                    .map(|rel| (g, rel.to_path_buf()))
            })
            .max_by_key(|(g, _)| g.guest_dir.components().count())
            .ok_or_else(|| deny("outside every --allow-unix directory"))?;
        let guest = normal.to_str().map(str::to_owned).unwrap_or_default();
        Ok((grant, relative, guest))
    }

    /// Refuses a `--dir HOST_DIR` grant that overlaps an `--allow-unix`
    /// directory (the same directory, inside one, or around one). Through
    /// such a preopen a guest could rename or link sockets from elsewhere
    /// into its unix directory and connect to them, or move the sockets it
    /// bound out over other programs' sockets: the two grants together
    /// would give more than either. Symbolic links are resolved; a bind
    /// mount of one inside the other is not seen.
    pub(crate) fn check_dir_grant(&self, host_dir: &Path) -> Result<(), GrantError> {
        let shown = host_dir.display().to_string();
        host_dir
            .canonicalize()
            .map_err(|e| GrantError::new(&shown, format!("--dir `{shown}`: {e}")))?;
        self.check_apart(
            host_dir,
            &format!("--dir `{shown}`"),
            "through it a guest could move sockets into or out of that directory",
        )
    }

    /// Refuses `path` (a place the host writes: its log, its compile
    /// cache) where it overlaps an `--allow-unix` directory, in which a
    /// guest can make files.
    pub(crate) fn check_apart(&self, path: &Path, what: &str, why: &str) -> Result<(), GrantError> {
        match self
            .grants
            .iter()
            .find(|g| paths_overlap(&g.host_dir, path))
        {
            Some(grant) => Err(GrantError::new(
                &path.display().to_string(),
                format!(
                    "{what} overlaps the --allow-unix directory `{}`: {why}; keep them apart",
                    grant.host_dir.display()
                ),
            )),
            None => Ok(()),
        }
    }

    /// The guest's name for a unix address the OS reported (a peer's or a
    /// datagram's source), or `None` when it lies outside every granted
    /// directory.
    ///
    /// A socket's name is the path its bind was given, and this host binds
    /// through `/proc/PID/fd/N/NAME`. Such a name is followed to its
    /// directory only with `from_this_process`: when the kernel has said
    /// the peer is a socket of this process (`SO_PEERCRED`), so that N is
    /// a descriptor of this process's table, and PID is this process's id.
    /// Otherwise the text proves nothing: process ids repeat across pid
    /// namespaces (two hosts in two containers are both 1), and a guest in
    /// another process could choose N to pose as a socket in a directory
    /// only this guest reaches. Those names, and every other `/proc` name,
    /// are unnamed.
    pub(crate) fn guest_name(&self, os_path: &Path, from_this_process: bool) -> Option<String> {
        let host_path = match proc_fd_path(os_path) {
            Some(ProcName::Own { fd, name }) if from_this_process => {
                std::fs::read_link(format!("/proc/self/fd/{fd}"))
                    .ok()?
                    .join(name)
            }
            Some(_) => return None,
            None => os_path.to_path_buf(),
        };
        let normal = normalize_lexically(&host_path);
        let (grant, relative) = self
            .grants
            .iter()
            .filter_map(|g| {
                normal
                    .strip_prefix(&g.host_dir)
                    .ok()
                    .map(|rel| (g, rel.to_path_buf()))
            })
            .max_by_key(|(g, _)| g.host_dir.components().count())?;
        let guest = if relative.as_os_str().is_empty() {
            grant.guest_dir.clone()
        } else {
            grant.guest_dir.join(relative)
        };
        guest.to_str().map(str::to_owned)
    }
}

/// `path` absolute, with symbolic links resolved as far as it exists (what
/// does not exist yet is joined, lexically, to its resolved parent).
pub fn resolved(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    let normal =
        normalize_lexically(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()));
    match (normal.parent(), normal.file_name()) {
        (Some(parent), Some(name)) if parent != normal => resolved(parent).join(name),
        _ => normal,
    }
}

/// Whether one of two host paths lies in the other (or they are the same),
/// symbolic links resolved: a guest granted one could reach into the other.
pub fn paths_overlap(a: &Path, b: &Path) -> bool {
    let (a, b) = (resolved(a), resolved(b));
    a.starts_with(&b) || b.starts_with(&a)
}

/// A socket name under `/proc`.
enum ProcName {
    /// `/proc/PID/fd/N/NAME` with this process's id.
    Own { fd: u32, name: PathBuf },
    /// Anything else under `/proc` (another process's id, `self`, other
    /// shapes): not to be followed.
    Foreign,
}

/// Sorts a socket name under `/proc` (`None`: not under `/proc`).
fn proc_fd_path(path: &Path) -> Option<ProcName> {
    let rest = path.strip_prefix("/proc").ok()?;
    let parts: Vec<Component<'_>> = rest.components().collect();
    let own = match parts.as_slice() {
        [
            Component::Normal(pid),
            Component::Normal(fd_dir),
            Component::Normal(fd),
            Component::Normal(name),
        ] if *fd_dir == "fd" => pid
            .to_str()
            .and_then(|pid| pid.parse::<u32>().ok())
            .filter(|&pid| pid == std::process::id())
            .and(fd.to_str().and_then(|fd| fd.parse::<u32>().ok()))
            .map(|fd| ProcName::Own {
                fd,
                name: PathBuf::from(name),
            }),
        _ => None,
    };
    Some(own.unwrap_or(ProcName::Foreign))
}

fn refusal(use_: Use, guest_path: &str, why: &str) -> UnixRefusal {
    UnixRefusal::Denied(Denied::new(
        match use_ {
            Use::Bind => Operation::Bind,
            Use::Connect => Operation::Connect,
        },
        Subject::named("unix path", guest_path),
        why,
    ))
}

/// An error while resolving beneath the grant: a symlink or a way out is
/// the policy's refusal; anything else (a missing directory) is the OS's.
fn resolution_error(use_: Use, guest_path: &str, error: io::Error) -> UnixRefusal {
    match error.raw_os_error() {
        Some(libc::ELOOP) => refusal(
            use_,
            guest_path,
            "a symlink is in the way (symlinks are not followed inside --allow-unix directories)",
        ),
        Some(libc::EXDEV) => refusal(use_, guest_path, "leads out of the --allow-unix directory"),
        _ => UnixRefusal::Os(error),
    }
}

/// Removes `.` and resolves `..` lexically (`/..` stays `/`), without
/// touching the filesystem.
pub(crate) fn normalize_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(p) => out.push(p.as_os_str()),
            Component::RootDir => out.push(Component::RootDir.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(part) => out.push(part),
        }
    }
    out
}
