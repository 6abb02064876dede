//! Unix paths: beneath the granted directory, never through a link.

use super::*;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wasock-policy-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir.canonicalize().unwrap())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unix_grant(s: &str) -> UnixGrantSpec {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn unix_socket() -> socket2::Socket {
    socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap()
}

/// Binds a real socket through the policy; returns it and its bound file.
fn bind_through(p: &Policy, guest_path: &str) -> (socket2::Socket, BoundFile) {
    let target = p
        .unix_bind(guest_path)
        .unwrap_or_else(|e| panic!("{guest_path}: {e:?}"));
    let socket = unix_socket();
    socket.bind(&target.os_address().unwrap()).unwrap();
    socket.listen(4).unwrap();
    (socket, target.into_bound_file())
}

fn denied_reason<T: std::fmt::Debug>(result: Result<T, UnixRefusal>) -> String {
    match result {
        Err(UnixRefusal::Denied(d)) => d.to_string(),
        other => panic!("expected a denial, got {other:?}"),
    }
}

fn os_errno<T: std::fmt::Debug>(result: Result<T, UnixRefusal>) -> i32 {
    match result {
        Err(UnixRefusal::Os(e)) => e.raw_os_error().unwrap_or(0),
        other => panic!("expected an OS error, got {other:?}"),
    }
}

#[test]
fn unix_spec_parsing() {
    assert_eq!(
        unix_grant("/tmp/a"),
        UnixGrantSpec {
            host_dir: "/tmp/a".into(),
            guest_dir: None
        }
    );
    assert_eq!(
        unix_grant("/tmp/a::/run/./x/"),
        UnixGrantSpec {
            host_dir: "/tmp/a".into(),
            guest_dir: Some("/run/x".into())
        }
    );
    let e = |s: &str| s.parse::<UnixGrantSpec>().unwrap_err().to_string();
    assert!(e("").contains("missing HOST_DIR"));
    assert!(e("::/run").contains("missing HOST_DIR"));
    assert!(e("/tmp::").contains("empty GUEST_DIR"));
    assert!(e("/tmp::run").contains("GUEST_DIR `run` must be an absolute path"));
}

#[test]
fn unix_missing_host_dir_is_an_error() {
    let e = Policy::new()
        .allow_unix(unix_grant("/nonexistent/wasock-dir"))
        .unwrap_err();
    assert!(
        e.to_string().contains("HOST_DIR `/nonexistent/wasock-dir`"),
        "{e}"
    );
    let dir = TempDir::new("file");
    let file = dir.0.join("f");
    std::fs::write(&file, b"").unwrap();
    let e = Policy::new().allow_unix(unix_grant(s(&file))).unwrap_err();
    assert!(e.to_string().contains("is not a directory"), "{e}");
}

#[test]
fn unix_bind_and_connect_inside_and_the_file_goes_with_the_socket() {
    let dir = TempDir::new("plain");
    let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
    let guest = format!("{}/echo.sock", s(&dir.0));
    let (listener, bound) = bind_through(&p, &guest);
    assert_eq!(bound.guest_path(), guest);
    assert!(
        dir.0.join("echo.sock").exists(),
        "bind made the socket file"
    );
    // Connect through the checked inode.
    let target = p.unix_connect(&guest).unwrap();
    assert_eq!(target.guest_path(), guest);
    let client = unix_socket();
    client.connect(&target.os_address().unwrap()).unwrap();
    // The peer's name comes back as the guest's path.
    let peer = client.peer_addr().unwrap();
    // (The listener is this process's; from anywhere else, or with no
    // word from the kernel on who the peer is, the name is unnamed.)
    assert_eq!(
        p.guest_unix_name_in_process(peer.as_pathname().unwrap())
            .as_deref(),
        Some(guest.as_str())
    );
    assert_eq!(p.guest_unix_name(peer.as_pathname().unwrap()), None);
    // A subdirectory that exists is fine; `.` and `..` that stay inside too.
    std::fs::create_dir(dir.0.join("sub")).unwrap();
    let (_sub, sub_bound) = bind_through(&p, &format!("{}/sub/./x/../a.sock", s(&dir.0)));
    assert_eq!(sub_bound.guest_path(), format!("{}/sub/a.sock", s(&dir.0)));
    assert!(dir.0.join("sub/a.sock").exists());
    // Relative paths are relative to the grant's guest directory.
    assert!(p.unix_connect("echo.sock").is_ok());
    // A subdirectory that does not exist: the OS's answer.
    assert_eq!(
        os_errno(p.unix_bind(&format!("{}/nope/a.sock", s(&dir.0)))),
        libc::ENOENT
    );
    assert_eq!(
        os_errno(p.unix_connect(&format!("{}/missing.sock", s(&dir.0)))),
        libc::ENOENT
    );
    // Closing removes the file the bind made.
    drop((listener, bound, sub_bound));
    assert!(
        !dir.0.join("echo.sock").exists(),
        "the socket file went with the socket"
    );
    assert!(!dir.0.join("sub/a.sock").exists());
}

#[test]
fn unix_bound_file_leaves_a_replacement_alone() {
    let dir = TempDir::new("replace");
    let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
    let (socket, bound) = bind_through(&p, &format!("{}/r.sock", s(&dir.0)));
    std::fs::remove_file(dir.0.join("r.sock")).unwrap();
    std::fs::write(dir.0.join("r.sock"), b"someone else's").unwrap();
    drop((socket, bound));
    assert_eq!(
        std::fs::read(dir.0.join("r.sock")).unwrap(),
        b"someone else's"
    );
}

#[test]
fn unix_dotdot_and_absolute_escapes_refused() {
    let dir = TempDir::new("dotdot");
    let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
    let e = denied_reason(p.unix_bind(&format!("{}/../escape.sock", s(&dir.0))));
    assert!(e.starts_with("denied bind to unix path "), "{e}");
    assert!(e.contains("outside every --allow-unix directory"), "{e}");
    assert!(p.unix_connect("../escape.sock").is_err());
    assert!(p.unix_connect("a/../../escape.sock").is_err());
    assert!(denied_reason(p.unix_bind(s(&dir.0))).contains("directory itself"));
    assert!(p.unix_bind(".").is_err());
    for path in [
        "/etc/passwd",
        "/tmp/other.sock",
        "/",
        "/var/run/docker.sock",
    ] {
        let e = denied_reason(p.unix_connect(path));
        assert!(
            e.contains("outside every --allow-unix directory"),
            "{path}: {e}"
        );
    }
    let sibling = format!("{}-evil/x.sock", s(&dir.0));
    assert!(p.unix_connect(&sibling).is_err());
    assert!(p.unix_connect("").is_err());
    assert!(denied_reason(p.unix_connect("\0abstract")).contains("abstract"));
    assert_eq!(p.guest_unix_name(Path::new("/etc/passwd")), None);
}

#[test]
fn unix_symlinks_are_never_followed() {
    let dir = TempDir::new("symlink");
    let outside = TempDir::new("outside");
    let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
    // A symlinked directory leading out.
    std::os::unix::fs::symlink(&outside.0, dir.0.join("out")).unwrap();
    let e = denied_reason(p.unix_bind(&format!("{}/out/x.sock", s(&dir.0))));
    assert!(e.contains("symlink"), "{e}");
    // A symlinked socket leading out, to a real listening socket.
    let outside_listener = unix_socket();
    outside_listener
        .bind(&socket2::SockAddr::unix(outside.0.join("target.sock")).unwrap())
        .unwrap();
    outside_listener.listen(4).unwrap();
    std::os::unix::fs::symlink(outside.0.join("target.sock"), dir.0.join("link.sock")).unwrap();
    let link = format!("{}/link.sock", s(&dir.0));
    match p.unix_connect(&link) {
        Err(UnixRefusal::Denied(_)) => {}
        Err(UnixRefusal::Os(e)) => assert_eq!(e.raw_os_error(), Some(libc::ECONNREFUSED)),
        Ok(target) => panic!("a symlink was followed: {target:?}"),
    }
    // `out/..` is resolved lexically: it names dir/x.sock, not outside.
    let (_s, bound) = bind_through(&p, &format!("{}/out/../x.sock", s(&dir.0)));
    assert_eq!(bound.guest_path(), format!("{}/x.sock", s(&dir.0)));
    // A symlink that stays inside is refused too: nothing is followed.
    std::fs::create_dir(dir.0.join("real")).unwrap();
    std::os::unix::fs::symlink(dir.0.join("real"), dir.0.join("alias")).unwrap();
    let e = denied_reason(p.unix_bind(&format!("{}/alias/y.sock", s(&dir.0))));
    assert!(e.contains("symlink"), "{e}");
    // Messages name the guest's path only.
    assert!(!e.contains("outside"), "{e}");
}

#[test]
fn unix_hard_links_to_sockets_are_refused() {
    let dir = TempDir::new("hardlink");
    let outside = TempDir::new("hardlink-outside");
    let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
    let listener = unix_socket();
    listener
        .bind(&socket2::SockAddr::unix(outside.0.join("real.sock")).unwrap())
        .unwrap();
    listener.listen(4).unwrap();
    std::fs::hard_link(outside.0.join("real.sock"), dir.0.join("linked.sock")).unwrap();
    let e = denied_reason(p.unix_connect(&format!("{}/linked.sock", s(&dir.0))));
    assert!(e.contains("hard links"), "{e}");
    // A plain file is no socket: connect(2)'s answer.
    std::fs::write(dir.0.join("file"), b"").unwrap();
    assert_eq!(
        os_errno(p.unix_connect(&format!("{}/file", s(&dir.0)))),
        libc::ECONNREFUSED
    );
}

#[test]
fn unix_guest_dir_mapping_both_ways_and_no_host_path_in_messages() {
    let dir = TempDir::new("mapped");
    let spec = format!("{}::/run/socks", s(&dir.0));
    let p = Policy::new().allow_unix(unix_grant(&spec)).unwrap();
    let (_a, bound) = bind_through(&p, "/run/socks/a.sock");
    assert_eq!(bound.guest_path(), "/run/socks/a.sock");
    assert!(dir.0.join("a.sock").exists());
    let (_b, relative) = bind_through(&p, "b.sock");
    assert_eq!(relative.guest_path(), "/run/socks/b.sock");
    assert_eq!(
        p.guest_unix_name(&dir.0.join("a.sock")).as_deref(),
        Some("/run/socks/a.sock")
    );
    // Names made by binds through /proc/PID/fd (this process's id) are
    // followed back.
    let target = p.unix_bind("/run/socks/c.sock").unwrap();
    let os = target.os_address().unwrap();
    let proc_name = os.as_pathname().unwrap().to_path_buf();
    let own = format!("/proc/{}/fd", std::process::id());
    assert!(proc_name.starts_with(&own), "{}", proc_name.display());
    assert_eq!(
        p.guest_unix_name_in_process(&proc_name).as_deref(),
        Some("/run/socks/c.sock")
    );
    // Without the kernel's word that the peer is this process, the text
    // proves nothing: pids repeat across pid namespaces.
    assert_eq!(p.guest_unix_name(&proc_name), None);
    // The same descriptor number through `self` or another process's id is
    // another process's name (its descriptor table): never this guest's.
    let fd = proc_name
        .parent()
        .and_then(|dir| dir.file_name())
        .and_then(|fd| fd.to_str())
        .unwrap()
        .to_owned();
    for foreign in [
        format!("/proc/self/fd/{fd}/c.sock"),
        format!("/proc/{}/fd/{fd}/c.sock", std::process::id() + 1),
        format!("/proc/1/fd/{fd}/c.sock"),
        format!("/proc/{}/fd/{fd}/x/c.sock", std::process::id()),
        format!("/proc/{}/cwd/c.sock", std::process::id()),
    ] {
        assert_eq!(p.guest_unix_name(Path::new(&foreign)), None, "{foreign}");
        assert_eq!(
            p.guest_unix_name_in_process(Path::new(&foreign)),
            None,
            "{foreign}"
        );
    }
    // The host path itself is not a guest name when GUEST_DIR is given.
    let host_name = format!("{}/a.sock", s(&dir.0));
    let e = denied_reason(p.unix_bind(&host_name));
    assert!(
        e.contains(&host_name),
        "the guest's own text is quoted: {e}"
    );
    for refused in ["/run/socks/../a.sock", "/run/a.sock", "/run/socksx/a.sock"] {
        let e = denied_reason(p.unix_bind(refused));
        assert!(
            !e.contains(s(&dir.0)),
            "a message names the host directory: {e}"
        );
    }
    std::os::unix::fs::symlink("/etc", dir.0.join("l")).unwrap();
    let e = denied_reason(p.unix_connect("/run/socks/l/x"));
    assert!(!e.contains(s(&dir.0)) && !e.contains("/etc"), "{e}");
    assert_eq!(p.guest_unix_name(Path::new("/run/socks/a.sock")), None);
}

#[test]
fn unix_most_specific_grant_wins() {
    let a = TempDir::new("outer");
    let b = TempDir::new("inner");
    let p = Policy::new()
        .allow_unix(unix_grant(&format!("{}::/srv", s(&a.0))))
        .unwrap()
        .allow_unix(unix_grant(&format!("{}::/srv/inner", s(&b.0))))
        .unwrap();
    let (_x, outer) = bind_through(&p, "/srv/x.sock");
    assert!(a.0.join("x.sock").exists());
    let (_y, inner) = bind_through(&p, "/srv/inner/x.sock");
    assert!(b.0.join("x.sock").exists());
    assert_eq!(
        (outer.guest_path(), inner.guest_path()),
        ("/srv/x.sock", "/srv/inner/x.sock")
    );
    assert_eq!(
        p.guest_unix_name(&b.0.join("x.sock")).as_deref(),
        Some("/srv/inner/x.sock")
    );
}

#[test]
fn unix_grant_holds_its_directory_even_if_renamed() {
    let parent = TempDir::new("renamed");
    let dir = parent.0.join("granted");
    std::fs::create_dir(&dir).unwrap();
    let p = Policy::new()
        .allow_unix(unix_grant(&format!("{}::/g", s(&dir))))
        .unwrap();
    std::fs::rename(&dir, parent.0.join("moved")).unwrap();
    // A new directory at the old name is not the granted one.
    std::fs::create_dir(&dir).unwrap();
    let (_s, _bound) = bind_through(&p, "/g/x.sock");
    assert!(parent.0.join("moved/x.sock").exists());
    assert!(!dir.join("x.sock").exists());
}

#[test]
fn unix_directories_cannot_also_be_preopened() {
    let root = TempDir::new("overlap");
    let socks = root.0.join("socks");
    let data = root.0.join("data");
    std::fs::create_dir_all(socks.join("inner")).unwrap();
    std::fs::create_dir(&data).unwrap();
    std::os::unix::fs::symlink(&socks, root.0.join("alias")).unwrap();
    let p = Policy::new().allow_unix(unix_grant(s(&socks))).unwrap();
    // The directory itself, one around it, one inside it, and the same
    // directory by another name: a guest could move sockets in or out.
    for overlapping in [
        socks.clone(),
        root.0.clone(),
        socks.join("inner"),
        root.0.join("alias"),
    ] {
        let e = p.check_dir_grant(&overlapping).unwrap_err();
        assert!(
            e.message.contains("overlaps the --allow-unix directory"),
            "{}: {}",
            overlapping.display(),
            e.message
        );
    }
    // A directory beside it is fine, and so is any without unix grants.
    p.check_dir_grant(&data).unwrap();
    Policy::new().check_dir_grant(&socks).unwrap();
}

/// A guest path longer than any the OS resolves is refused as the OS
/// refuses it, before the host copies it; a refusal names a bounded part
/// of it.
#[test]
fn unix_paths_longer_than_path_max_are_refused_before_use() {
    let dir = TempDir::new("long");
    let p = Policy::new().allow_unix(unix_grant(s(&dir.0))).unwrap();
    let long = format!("{}/{}", s(&dir.0), "x".repeat(1 << 20));
    assert_eq!(os_errno(p.unix_connect(&long)), libc::ENAMETOOLONG);
    assert_eq!(os_errno(p.unix_bind(&long)), libc::ENAMETOOLONG);
    let outside = format!("/elsewhere/{}", "\n".repeat(1 << 20));
    let e = denied_reason(p.unix_connect(&format!("{outside}\0")));
    assert!(e.len() < 600 && e.contains("bytes, cut)"), "{e}");
}
