//! The shim under a real containerd: a containerd of the test's own
//! (temporary root, state and socket, the shim's directory on its PATH),
//! an OCI image holding a guest imported with `ctr`, and `ctr run
//! --runtime io.containerd.wasock.v1 --net-host` with the grants as
//! annotations, against a native peer on loopback.
//!
//! It needs root, cgroups and containerd (`.ci/install-containerd.sh`
//! installs it); where one is missing it says so (`SKIPPED ...`) and
//! checks nothing. `WASOCK_CONTAINERD_TESTS=0` skips it too, saying so.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};
use wasock_tests::{TempDir, guest, is_root, output_text, skip, stderr, stdout};

const SHIM: &str = env!("CARGO_BIN_EXE_containerd-shim-wasock-v1");
const RUNTIME: &str = "io.containerd.wasock.v1";
const NAMESPACE: &str = "wasock-test";
const TIMEOUT: Duration = Duration::from_secs(120);

/// Why containerd cannot run here, if it cannot.
fn cannot_run() -> Option<String> {
    if std::env::var_os("WASOCK_CONTAINERD_TESTS").is_some_and(|v| v == "0") {
        return Some("WASOCK_CONTAINERD_TESTS=0".into());
    }
    if !is_root() {
        return Some("containerd needs root".into());
    }
    for program in ["containerd", "ctr"] {
        if find_program(program).is_none() {
            return Some(format!(
                "{program} is not installed (bash .ci/install-containerd.sh installs it)"
            ));
        }
    }
    let cgroups = std::fs::read_dir("/sys/fs/cgroup").map(|dir| dir.count());
    if !matches!(cgroups, Ok(n) if n > 0) {
        return Some("no cgroup filesystem at /sys/fs/cgroup".into());
    }
    None
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// A containerd of the test's own, stopped (and its files removed) on drop.
struct Containerd {
    child: Child,
    dir: TempDir,
    address: PathBuf,
}

impl Containerd {
    fn start() -> Containerd {
        let dir = TempDir::new("containerd");
        let address = dir.join("containerd.sock");
        let config = dir.join("config.toml");
        std::fs::write(&config, config_toml(&dir, &address)).expect("containerd config");
        let shim_dir = Path::new(SHIM).parent().expect("the shim's directory");
        let path = std::env::join_paths(std::iter::once(shim_dir.to_path_buf()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .expect("PATH");
        let log = std::fs::File::create(dir.join("containerd.log")).expect("containerd log");
        let child = Command::new("containerd")
            .arg("--config")
            .arg(&config)
            .env("PATH", path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("starting containerd");
        let containerd = Containerd {
            child,
            dir,
            address,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if containerd.ctr(&["version"]).status.success() {
                return containerd;
            }
            assert!(
                Instant::now() < deadline,
                "containerd did not answer on {} within 30 s; its log:\n{}",
                containerd.address.display(),
                containerd.log()
            );
            thread::sleep(Duration::from_millis(200));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("containerd.log")).unwrap_or_default()
    }

    fn ctr_command(&self) -> Command {
        let mut command = Command::new("ctr");
        command
            .arg("--address")
            .arg(&self.address)
            .arg("--namespace")
            .arg(NAMESPACE)
            .stdin(Stdio::null());
        command
    }

    fn ctr(&self, args: &[&str]) -> Output {
        self.ctr_command().args(args).output().expect("running ctr")
    }

    /// `ctr run --rm --runtime io.containerd.wasock.v1 --net-host` with
    /// `annotations`, killed after [`TIMEOUT`]; `args` are the process's
    /// whole command line (ctr 1.6 replaces the image's entrypoint with
    /// them), the component's path first.
    fn run(&self, image: &str, id: &str, annotations: &[(&str, &str)], args: &[&str]) -> Output {
        let mut command = self.ctr_command();
        command.args(["run", "--rm", "--runtime", RUNTIME, "--net-host"]);
        for (key, value) in annotations {
            command.arg("--annotation").arg(format!("{key}={value}"));
        }
        command.arg(image).arg(id).args(args);
        let child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ctr run");
        let pid = child.id();
        let (done, waited) = mpsc::channel();
        thread::spawn(move || {
            let _ = done.send(child.wait_with_output());
        });
        match waited.recv_timeout(TIMEOUT) {
            Ok(output) => output.expect("ctr run's output"),
            Err(_) => {
                let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
                panic!(
                    "ctr run {id} did not end within {TIMEOUT:?}; containerd's log:\n{}",
                    self.log()
                )
            }
        }
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        // The containers ran with --rm; stop containerd, then let TempDir
        // remove its root and state.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test's containerd configuration: its own root, state and sockets,
/// and no CRI (nothing here is Kubernetes). `ctr run --runtime
/// io.containerd.wasock.v1` needs no registration: containerd finds
/// `containerd-shim-wasock-v1` on its PATH from the runtime name.
fn config_toml(dir: &TempDir, address: &Path) -> String {
    format!(
        r#"version = 2
root = "{root}"
state = "{state}"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{address}"

[ttrpc]
  address = "{address}.ttrpc"
"#,
        root = dir.join("root").display(),
        state = dir.join("state").display(),
        address = address.display(),
    )
}

/// The README's registration of the runtime for CRI, as written there.
const README_CRI_CONFIG: &str = r#"version = 2

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasock]
  runtime_type = "io.containerd.wasock.v1"
  pod_annotations = ["io.wasock.*"]
"#;

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// An OCI image layout tar whose one layer holds `wasm` as `/NAME`, the
/// entrypoint; for this platform (containerd 1.6 unpacks nothing else;
/// images whose layer is the bare wasm need 1.6.25 or 1.7.7).
fn image_tar(dir: &TempDir, name: &str, wasm: &Path, image: &str) -> PathBuf {
    let layer_dir = dir.join(&format!("{name}-layer"));
    std::fs::create_dir_all(&layer_dir).unwrap();
    std::fs::copy(wasm, layer_dir.join(name)).expect("copying the guest");
    let layer_tar = dir.join(&format!("{name}-layer.tar"));
    let status = Command::new("tar")
        .arg("--create")
        .arg("--file")
        .arg(&layer_tar)
        .arg("--directory")
        .arg(&layer_dir)
        .args(["--owner=0", "--group=0", "--numeric-owner", name])
        .status()
        .expect("tar");
    assert!(status.success(), "tar of the layer");
    let layer = std::fs::read(&layer_tar).unwrap();
    let layer_digest = sha256(&layer);
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let config = serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "config": { "Entrypoint": [format!("/{name}")] },
        "rootfs": { "type": "layers", "diff_ids": [format!("sha256:{layer_digest}")] },
    })
    .to_string();
    let config_digest = sha256(config.as_bytes());
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": format!("sha256:{config_digest}"),
            "size": config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": format!("sha256:{layer_digest}"),
            "size": layer.len(),
        }],
    })
    .to_string();
    let manifest_digest = sha256(manifest.as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{manifest_digest}"),
            "size": manifest.len(),
            "platform": { "architecture": arch, "os": "linux" },
            "annotations": {
                "io.containerd.image.name": image,
                "org.opencontainers.image.ref.name": "latest",
            },
        }],
    })
    .to_string();
    let layout = dir.join(&format!("{name}-image"));
    let blobs = layout.join("blobs").join("sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join(&layer_digest), &layer).unwrap();
    std::fs::write(blobs.join(&config_digest), &config).unwrap();
    std::fs::write(blobs.join(&manifest_digest), &manifest).unwrap();
    std::fs::write(layout.join("index.json"), &index).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let tar = dir.join(&format!("{name}-image.tar"));
    let status = Command::new("tar")
        .arg("--create")
        .arg("--file")
        .arg(&tar)
        .arg("--directory")
        .arg(&layout)
        .args(["oci-layout", "index.json", "blobs"])
        .status()
        .expect("tar");
    assert!(status.success(), "tar of the image");
    tar
}

/// A native echo server on loopback: each connection gets back what it
/// sent; the address, and a channel that hears of each connection.
fn echo_server() -> (SocketAddr, mpsc::Receiver<SocketAddr>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().unwrap();
    let (accepted, connections) = mpsc::channel();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = accepted.send(stream.peer_addr().unwrap());
            thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                let mut received = Vec::new();
                let _ = stream.read_to_end(&mut received);
                let _ = stream.write_all(&received);
            });
        }
    });
    (address, connections)
}

fn import(containerd: &Containerd, tar: &Path) {
    let output = containerd.ctr(&["image", "import", tar.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "ctr image import\n{}\ncontainerd's log:\n{}",
        output_text(&output),
        containerd.log()
    );
}

#[test]
fn containerd_runs_guests_under_their_annotations() {
    let test = "containerd_runs_guests_under_their_annotations";
    if let Some(reason) = cannot_run() {
        skip(test, &reason);
        return;
    }
    let containerd = Containerd::start();
    let files = TempDir::new("containerd-images");

    // The README's registration of the runtime for CRI is configuration
    // containerd reads as meant: `config dump` shows it merged.
    let readme_config = files.join("readme-config.toml");
    std::fs::write(&readme_config, README_CRI_CONFIG).unwrap();
    let dump = Command::new("containerd")
        .arg("--config")
        .arg(&readme_config)
        .args(["config", "dump"])
        .output()
        .expect("containerd config dump");
    let dumped = stdout(&dump);
    let runtime = dumped
        .split("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasock]")
        .nth(1)
        .unwrap_or_else(|| panic!("no wasock runtime in\n{}", output_text(&dump)));
    assert!(
        runtime.contains(&format!("runtime_type = \"{RUNTIME}\""))
            && runtime.contains("pod_annotations = [\"io.wasock.*\"]"),
        "{dumped}"
    );

    let client_image = "docker.io/wasock/echo-client:latest";
    import(
        &containerd,
        &image_tar(
            &files,
            "echo-client.wasm",
            Path::new(guest("echo-client")),
            client_image,
        ),
    );
    let (server, connections) = echo_server();
    let target = server.to_string();

    // WASI 0.2 (the wasock SDK's echo client): granted, it echoes.
    let granted = containerd.run(
        client_image,
        "granted-echo",
        &[
            ("io.wasock.allow-connect", &target),
            ("io.wasock.allow-dns", "true"),
        ],
        &["/echo-client.wasm", &target, "hello-from-containerd"],
    );
    assert!(
        granted.status.success() && stdout(&granted).contains("hello-from-containerd"),
        "granted echo\n{}\ncontainerd's log:\n{}",
        output_text(&granted),
        containerd.log()
    );
    connections
        .recv_timeout(Duration::from_secs(5))
        .expect("the granted guest reached the server");

    // No connect grant: refused before any packet, reported on the
    // container's stderr as `wasock run --log` writes it.
    let denied = containerd.run(
        client_image,
        "denied-echo",
        &[("io.wasock.allow-dns", "true")],
        &["/echo-client.wasm", &target, "never-sent"],
    );
    assert_eq!(denied.status.code(), Some(1), "{}", output_text(&denied));
    let expected = format!("wasock: denied connect to {target}: no --allow-connect grant matches");
    assert!(
        stderr(&denied).lines().any(|line| line.contains(&expected)),
        "no {expected:?}\n{}",
        output_text(&denied)
    );
    assert!(!stdout(&denied).contains("never-sent"));
    assert!(
        connections.try_recv().is_err(),
        "the denied guest reached the server"
    );

    // A malformed annotation: the container does not start, and the
    // message names the annotation and the bad part.
    let malformed = containerd.run(
        client_image,
        "malformed",
        &[("io.wasock.allow-connect", "127.0.0.1:99999")],
        &["/echo-client.wasm", &target, "never-sent"],
    );
    assert!(!malformed.status.success(), "{}", output_text(&malformed));
    let text = output_text(&malformed);
    assert!(
        text.contains("io.wasock.allow-connect") && text.contains("99999"),
        "{text}"
    );

    // WASI 0.3 (a `wasi:cli/run@0.3.0` guest on `wasi:sockets@0.3.0`):
    // the same grant lets it connect, its absence does not.
    let p3_image = "docker.io/wasock/p3-sandbox:latest";
    import(
        &containerd,
        &image_tar(
            &files,
            "p3_sandbox.wasm",
            Path::new(guest("p3_sandbox")),
            p3_image,
        ),
    );
    let p3_granted = containerd.run(
        p3_image,
        "p3-granted",
        &[("io.wasock.allow-connect", &target)],
        &["/p3_sandbox.wasm", "connect", &target],
    );
    assert!(
        p3_granted.status.success()
            && stdout(&p3_granted)
                .lines()
                .any(|line| line == format!("connect {target}: ok")),
        "WASI 0.3 granted connect\n{}",
        output_text(&p3_granted)
    );
    let p3_denied = containerd.run(
        p3_image,
        "p3-denied",
        &[],
        &["/p3_sandbox.wasm", "connect", &target],
    );
    assert!(
        stdout(&p3_denied)
            .lines()
            .any(|line| line == format!("connect {target}: error ErrorCode::AccessDenied")),
        "WASI 0.3 denied connect\n{}",
        output_text(&p3_denied)
    );
    assert!(
        stderr(&p3_denied).contains(&expected),
        "no {expected:?}\n{}",
        output_text(&p3_denied)
    );
}
