//! Two wasm guests in one engine, on one thread: a guest blocked in
//! `receive` blocks only itself.
//!
//! The host is embedded the way the crate docs show: wasmtime-wasi's
//! `add_to_linker_async` plus `wasock_host::add_to_linker`. Both guests run
//! as futures on a *current-thread* tokio runtime, so if the host blocked
//! the thread in one guest's `receive`, the other could not make progress
//! and the run would never finish. The parked guest is released by its
//! peer only after the other guest completed all its round trips, so the
//! test proves the ordering without measuring time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::bindings::Command;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasock_host::policy::Policy;
use wasock_host::{WasockCtx, WasockCtxView, WasockView};

const ROUND_TRIPS: usize = 100;

struct GuestState {
    wasi: WasiCtx,
    wasock: WasockCtx,
    table: ResourceTable,
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasockView for GuestState {
    fn wasock(&mut self) -> WasockCtxView<'_> {
        WasockCtxView {
            ctx: &mut self.wasock,
            table: &mut self.table,
        }
    }
}

/// Runs one guest to completion; `Ok(())` when it exits successfully.
async fn run_guest(
    engine: &Engine,
    linker: &Linker<GuestState>,
    component: &Component,
    args: &[&str],
) -> Result<(), String> {
    let mut wasi = WasiCtx::builder();
    wasi.inherit_stderr().args(args);
    let state = GuestState {
        wasi: wasi.build(),
        wasock: WasockCtx::new(Arc::new(Policy::new().inherit_network(true))),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(engine, state);
    let command = Command::instantiate_async(&mut store, component, linker)
        .await
        .map_err(|e| format!("{e:?}"))?;
    match command.wasi_cli_run().call_run(&mut store).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(())) => Err(format!("{} exited with a failure", args[0])),
        Err(trap) => Err(format!("{} trapped: {trap:?}", args[0])),
    }
}

/// A native echo server that starts echoing only once `start` fires, and
/// reports how many messages it echoed when the client hangs up.
fn echo_server_gated(start: mpsc::Receiver<()>) -> (SocketAddr, mpsc::Receiver<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("echo listener");
    let address = listener.local_addr().expect("address");
    let (report, reported) = mpsc::channel();
    thread::spawn(move || {
        let (stream, _) = listener.accept().expect("the echo guest connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("read timeout");
        start
            .recv_timeout(Duration::from_secs(60))
            .expect("the parked guest parks");
        let mut writer = stream.try_clone().expect("clone");
        let mut lines = BufReader::new(stream);
        let mut echoed = 0;
        let mut line = String::new();
        while echoed <= ROUND_TRIPS {
            line.clear();
            match lines.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    writer.write_all(line.as_bytes()).expect("echo");
                    echoed += 1;
                }
            }
        }
        let _ = report.send(echoed);
    });
    (address, reported)
}

#[test]
fn a_guest_blocked_in_receive_blocks_only_itself() {
    let echo_guest = wasock_tests::guest("host_echo_client");
    let parked_guest = wasock_tests::guest("host_parked_receive");

    // The parked guest's peer: waits for "parked", lets the echo server
    // start, and sends "release" only after the echo guest has finished.
    let parked_listener = TcpListener::bind("127.0.0.1:0").expect("parked listener");
    let parked_address = parked_listener.local_addr().expect("address");
    let (start_echo, echo_may_start) = mpsc::channel();
    let (echo_finished, release_now) = mpsc::channel::<usize>();
    let (echo_address, echo_server) = echo_server_gated(echo_may_start);
    let parked_peer = thread::spawn(move || {
        let (mut stream, _) = parked_listener.accept().expect("the parked guest connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("read timeout");
        let mut parked = [0u8; 7];
        stream.read_exact(&mut parked).expect("parked message");
        assert_eq!(&parked, b"parked\n");
        start_echo.send(()).expect("start the echo server");
        let echoed = release_now
            .recv_timeout(Duration::from_secs(120))
            .expect("the echo guest finishes");
        stream.write_all(b"release\n").expect("release");
        echoed
    });

    // Both guests on one thread, in one engine; the watcher below gives up
    // (and fails the test) if that thread never finishes.
    let (done, finished) = mpsc::channel();
    let echo_arg = echo_address.to_string();
    let parked_arg = parked_address.to_string();
    let (echo_path, parked_path) = (echo_guest.to_string(), parked_guest.to_string());
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let result = runtime.block_on(async move {
            let mut config = Config::new();
            config.wasm_component_model(true);
            let engine = Engine::new(&config).map_err(|e| format!("{e:?}"))?;
            let mut linker = Linker::<GuestState>::new(&engine);
            wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| format!("{e:?}"))?;
            wasock_host::add_to_linker(&mut linker).map_err(|e| format!("{e:?}"))?;
            let echo = Component::from_file(&engine, &echo_path).map_err(|e| format!("{e:?}"))?;
            let parked =
                Component::from_file(&engine, &parked_path).map_err(|e| format!("{e:?}"))?;
            let rounds = ROUND_TRIPS.to_string();
            let echo_args = ["host_echo_client", echo_arg.as_str(), rounds.as_str()];
            let parked_args = ["host_parked_receive", parked_arg.as_str()];
            let echo_run = run_guest(&engine, &linker, &echo, &echo_args);
            let parked_run = run_guest(&engine, &linker, &parked, &parked_args);
            let (echo_result, parked_result) = tokio::join!(echo_run, parked_run);
            Ok::<_, String>((echo_result, parked_result))
        });
        let _ = done.send(result);
    });

    // If the parked guest's receive blocked the thread, the echo guest could
    // never run its round trips and this would time out.
    let echoed = echo_server
        .recv_timeout(Duration::from_secs(180))
        .expect("the echo guest completes its round trips while the other is parked in receive");
    assert_eq!(
        echoed, ROUND_TRIPS,
        "the echo guest completed its round trips while the other was parked"
    );
    echo_finished.send(echoed).expect("tell the parked peer");
    let result = finished
        .recv_timeout(Duration::from_secs(180))
        .expect("both guests finish: a guest blocked in receive must not block the other");
    let (echo_result, parked_result) = result.expect("engine setup");
    echo_result.expect("echo guest");
    parked_result.expect("parked guest");
    assert_eq!(parked_peer.join().expect("parked peer"), ROUND_TRIPS);
}
