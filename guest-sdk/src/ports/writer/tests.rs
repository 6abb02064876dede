//! The writer's rules: blocks and chunks as the spec says, and after any
//! failure exactly the unsent bytes kept.

use std::cell::Cell;
use std::rc::Rc;

use crate::error::{ErrorClass, ErrorCode};
use crate::parameters::PortConfig;
use crate::ports::memory::{Memory, ok, ports};

#[test]
fn spec_example_500_buffered_plus_526_sends_1024_in_one_send_all_keeps_2() {
    let memory = Rc::new(Memory::default());
    let config = PortConfig {
        send_buffer_size: Some(512),
        ..PortConfig::SPEC
    };
    let (_reader, mut writer) = ports(&memory, config);
    assert_eq!(ok(writer.write(&[1; 500])), 500);
    assert_eq!(
        memory.send_alls(),
        Vec::<usize>::new(),
        "500 < 512: nothing sent yet"
    );
    assert_eq!(ok(writer.write(&[2; 526])), 526);
    assert_eq!(
        memory.send_alls(),
        [1024],
        "two blocks in a single send-all"
    );
    assert_eq!(writer.buf.len(), 2, "the last 2 bytes are retained");
    assert_eq!(memory.sent.borrow().len(), 1024);
}

#[test]
fn unbuffered_write_is_one_send_all_at_once() {
    let memory = Rc::new(Memory::default());
    let (_reader, mut writer) = ports(&memory, PortConfig::SPEC);
    assert_eq!(ok(writer.write(b"hello")), 5);
    assert_eq!(memory.send_alls(), [5]);
    assert_eq!(ok(writer.write(b", world")), 7);
    assert_eq!(memory.send_alls(), [5, 7]);
    assert_eq!(memory.sent.borrow().as_slice(), b"hello, world");
}

#[test]
fn send_all_chunks_by_send_size_last_chunk_smaller() {
    let memory = Rc::new(Memory::default());
    let config = PortConfig {
        send_size: Some(512),
        ..PortConfig::SPEC
    };
    let (_reader, mut writer) = ports(&memory, config);
    ok(writer.write(&[0; 1300]));
    assert_eq!(memory.send_alls(), [1300]);
    assert_eq!(memory.sends(), [512, 512, 276]);
}

#[test]
fn default_send_size_is_16384() {
    let memory = Rc::new(Memory::default());
    let (_reader, mut writer) = ports(&memory, PortConfig::SPEC);
    ok(writer.write(&[0; 40000]));
    assert_eq!(memory.sends(), [16384, 16384, 7232]);
}

#[test]
fn send_size_none_offers_the_whole_rest_each_send() {
    let memory = Rc::new(Memory {
        send_limit: Some(3000),
        ..Memory::default()
    });
    let config = PortConfig {
        send_size: None,
        ..PortConfig::SPEC
    };
    let (_reader, mut writer) = ports(&memory, config);
    ok(writer.write(&[0; 7000]));
    assert_eq!(memory.send_alls(), [7000]);
    assert_eq!(memory.sends(), [3000, 3000, 1000]);
}

#[test]
fn buffered_chunks_by_send_size_like_the_datagram_example() {
    // The spec's datagram example: buffer 128, send size 512.
    let memory = Rc::new(Memory::default());
    let config = PortConfig {
        receive_buffer_size: 4096,
        send_buffer_size: Some(128),
        send_size: Some(512),
    };
    let (_reader, mut writer) = ports(&memory, config);
    ok(writer.write(&[0; 700]));
    assert_eq!(memory.send_alls(), [640]);
    assert_eq!(memory.sends(), [512, 128]);
    assert_eq!(writer.buf.len(), 60);
}

#[test]
fn flush_sends_the_remainder() {
    let memory = Rc::new(Memory::default());
    let config = PortConfig {
        send_buffer_size: Some(512),
        ..PortConfig::SPEC
    };
    let (_reader, mut writer) = ports(&memory, config);
    ok(writer.write(&[0; 100]));
    assert_eq!(memory.send_alls(), Vec::<usize>::new());
    ok(writer.flush());
    assert_eq!(memory.send_alls(), [100]);
    assert!(writer.buf.is_empty());
    ok(writer.flush());
    assert_eq!(memory.send_alls(), [100], "an empty buffer sends nothing");
}

#[test]
fn a_failed_unbuffered_write_reports_what_went_out_and_the_error_next() {
    let memory = Rc::new(Memory {
        room: Cell::new(Some(1000)),
        ..Memory::default()
    });
    let config = PortConfig {
        send_size: Some(512),
        ..PortConfig::SPEC
    };
    let data: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let (_reader, mut writer) = ports(&memory, config);
    assert_eq!(ok(writer.write(&data)), 1000, "the bytes that went out");
    assert!(writer.buf.is_empty());
    assert_eq!(
        writer.write(b"more").map_err(|e| e.class()),
        Err(ErrorClass::Timeout),
        "the next call reports the send's error"
    );
    memory.room.set(None);
    drop(writer);
    assert_eq!(
        memory.sent(),
        data[..1000],
        "nothing sent twice, nothing more"
    );
}

#[test]
fn a_failed_buffered_write_keeps_exactly_the_unsent_bytes() {
    let memory = Rc::new(Memory {
        room: Cell::new(Some(1)),
        ..Memory::default()
    });
    let config = PortConfig {
        send_buffer_size: Some(4),
        ..PortConfig::SPEC
    };
    let (_reader, mut writer) = ports(&memory, config);
    assert_eq!(ok(writer.write(b"ab")), 2);
    let e = writer.write(b"cdef").map_err(|e| e.code());
    assert_eq!(e, Err(ErrorCode::TimedOut), "none of cdef was taken");
    assert_eq!(writer.buf, b"b", "a went out; b did not");
    memory.room.set(None);
    ok(writer.flush());
    assert_eq!(ok(writer.write(b"cdef")), 4);
    assert_eq!(memory.sent(), b"abcdef");
}

#[test]
fn a_buffered_write_that_got_partly_out_takes_that_part() {
    let memory = Rc::new(Memory {
        room: Cell::new(Some(3)),
        send_limit: Some(2),
        ..Memory::default()
    });
    let config = PortConfig {
        send_buffer_size: Some(4),
        ..PortConfig::SPEC
    };
    let (_reader, mut writer) = ports(&memory, config);
    assert_eq!(ok(writer.write(b"ab")), 2);
    assert_eq!(ok(writer.write(b"cdef")), 1, "ab and c went out");
    assert!(writer.buf.is_empty(), "d, e, f were not taken");
    assert_eq!(
        writer.flush().map_err(|e| e.code()),
        Err(ErrorCode::TimedOut),
        "the error comes with the next call"
    );
    memory.room.set(None);
    assert_eq!(ok(writer.write(b"def")), 3);
    ok(writer.flush());
    assert_eq!(memory.sent(), b"abcdef");
}

#[test]
fn a_failed_flush_keeps_exactly_the_unsent_bytes() {
    let memory = Rc::new(Memory {
        room: Cell::new(Some(3)),
        ..Memory::default()
    });
    let config = PortConfig {
        send_buffer_size: Some(64),
        ..PortConfig::SPEC
    };
    let (_reader, mut writer) = ports(&memory, config);
    ok(writer.write(b"abcdefgh"));
    assert_eq!(
        writer.flush().map_err(|e| e.code()),
        Err(ErrorCode::TimedOut)
    );
    assert_eq!(writer.buf, b"defgh");
    assert_eq!(
        writer.flush().map_err(|e| e.code()),
        Err(ErrorCode::TimedOut)
    );
    assert_eq!(writer.buf, b"defgh", "a flush that sent nothing keeps all");
    memory.room.set(None);
    drop(writer);
    assert_eq!(memory.sent(), b"abcdefgh");
}

/// Every buffer size, every point where the peer stops taking bytes:
/// what went out is always a prefix of what the writes took (nothing
/// twice), and once the peer takes bytes again, closing sends exactly
/// the rest.
#[test]
fn after_any_failure_nothing_is_sent_twice_and_close_sends_exactly_the_rest() {
    for block in [None, Some(1), Some(3), Some(7), Some(16)] {
        for send_size in [Some(2), Some(5), None] {
            for room in 0..60 {
                let memory = Rc::new(Memory {
                    room: Cell::new(Some(room)),
                    ..Memory::default()
                });
                let config = PortConfig {
                    receive_buffer_size: 16,
                    send_buffer_size: block,
                    send_size,
                };
                let (reader, mut writer) = ports(&memory, config);
                let mut next = 0u8;
                let mut taken = Vec::new();
                for i in 0..12 {
                    let chunk: Vec<u8> = (0..(i * 5 % 11) + 1)
                        .map(|_| {
                            next = next.wrapping_add(1);
                            next
                        })
                        .collect();
                    if let Ok(n) = writer.write(&chunk) {
                        taken.extend_from_slice(&chunk[..n]);
                    }
                    if i % 4 == 3 {
                        let _ = writer.flush();
                    }
                    let sent = memory.sent();
                    let case = format!("block {block:?} send size {send_size:?} room {room}");
                    assert!(
                        taken.starts_with(&sent),
                        "{case}: sent {sent:?} taken {taken:?}"
                    );
                    assert_eq!(sent.len() + writer.buf.len(), taken.len(), "{case}");
                }
                memory.room.set(None);
                drop(writer);
                drop(reader);
                assert_eq!(memory.sent(), taken, "block {block:?} room {room}");
            }
        }
    }
}

#[test]
fn a_nonblocking_writer_takes_everything_and_flushes_when_there_is_room() {
    let memory = Rc::new(Memory {
        room: Cell::new(Some(5)),
        ..Memory::default()
    });
    let (_reader, mut writer) = ports(&memory, PortConfig::SPEC);
    writer.nonblocking = true;
    assert_eq!(ok(writer.write(b"hello ")), 6, "every byte is taken");
    assert_eq!(ok(writer.write(b"world")), 5);
    assert_eq!(memory.sent(), b"hello");
    assert_eq!(writer.buf, b" world");
    let flushed = writer.flush().map_err(|e| e.code());
    assert_eq!(flushed, Err(ErrorCode::WouldBlock));
    assert!(
        memory.nonblocking_sends.borrow().iter().all(|&n| n),
        "no send waited"
    );
    memory.room.set(None);
    ok(writer.flush());
    assert_eq!(memory.sent(), b"hello world");
    assert!(writer.buf.is_empty());
}

#[test]
fn a_nonblocking_buffered_writer_sends_only_whole_blocks() {
    let memory = Rc::new(Memory::default());
    let config = PortConfig {
        send_buffer_size: Some(4),
        ..PortConfig::SPEC
    };
    let (_reader, mut writer) = ports(&memory, config);
    writer.nonblocking = true;
    assert_eq!(ok(writer.write(b"abcdef")), 6);
    assert_eq!(memory.sent(), b"abcd");
    assert_eq!(writer.buf, b"ef");
    ok(writer.flush());
    assert_eq!(memory.sent(), b"abcdef");
}
