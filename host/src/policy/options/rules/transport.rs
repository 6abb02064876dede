//! The allow-list at levels `IPPROTO_TCP`, `IPPROTO_UDP` and the raw sockets' own.

use super::super::*;
use super::level::*;
use super::*;
use Get as G;
use Set as S;

pub(super) const TRANSPORT: &[Rule] = &[
    // Socket options get/set using IPPROTO_TCP.
    rule(IPPROTO_TCP, 1, "TCP_NODELAY", G::Free, S::Free(BOOL)),
    rule(
        IPPROTO_TCP,
        2,
        "TCP_MAXSEG",
        G::Free,
        S::Free(int(88, 65535)),
    ),
    rule(IPPROTO_TCP, 3, "TCP_CORK", G::Free, S::Free(BOOL)),
    rule(
        IPPROTO_TCP,
        4,
        "TCP_KEEPIDLE",
        G::Free,
        S::Free(int(1, 32767)),
    ),
    rule(
        IPPROTO_TCP,
        5,
        "TCP_KEEPINTVL",
        G::Free,
        S::Free(int(1, 32767)),
    ),
    rule(IPPROTO_TCP, 6, "TCP_KEEPCNT", G::Free, S::Free(int(1, 127))),
    rule(IPPROTO_TCP, 7, "TCP_SYNCNT", G::Free, S::Free(int(1, 127))),
    rule(
        IPPROTO_TCP,
        8,
        "TCP_LINGER2",
        G::Free,
        S::Free(int(-1, 120)),
    ),
    rule(
        IPPROTO_TCP,
        9,
        "TCP_DEFER_ACCEPT",
        G::Free,
        S::Free(int(0, 3600)),
    ),
    rule(
        IPPROTO_TCP,
        10,
        "TCP_WINDOW_CLAMP",
        G::Free,
        S::Free(size(0)),
    ),
    rule(IPPROTO_TCP, 11, "TCP_INFO", G::Free, S::ReadOnly),
    rule(IPPROTO_TCP, 12, "TCP_QUICKACK", G::Free, S::Free(BOOL)),
    rule(
        IPPROTO_TCP,
        13,
        "TCP_CONGESTION",
        G::Free,
        S::Raw(Value::Bytes { max: 16 }),
    ),
    rule(
        IPPROTO_TCP,
        16,
        "TCP_THIN_LINEAR_TIMEOUTS",
        G::Free,
        S::Free(BOOL),
    ),
    rule(
        IPPROTO_TCP,
        18,
        "TCP_USER_TIMEOUT",
        G::Free,
        S::Free(NON_NEGATIVE),
    ),
    rule(
        IPPROTO_TCP,
        19,
        "TCP_REPAIR",
        G::Never(TAKES_CONNECTIONS),
        S::Never(TAKES_CONNECTIONS),
    ),
    rule(
        IPPROTO_TCP,
        20,
        "TCP_REPAIR_QUEUE",
        G::Never(TAKES_CONNECTIONS),
        S::Never(TAKES_CONNECTIONS),
    ),
    rule(
        IPPROTO_TCP,
        21,
        "TCP_QUEUE_SEQ",
        G::Never(TAKES_CONNECTIONS),
        S::Never(TAKES_CONNECTIONS),
    ),
    rule(
        IPPROTO_TCP,
        22,
        "TCP_REPAIR_OPTIONS",
        G::Never(TAKES_CONNECTIONS),
        S::Never(TAKES_CONNECTIONS),
    ),
    rule(
        IPPROTO_TCP,
        23,
        "TCP_FASTOPEN",
        G::Free,
        S::Free(int(0, 4096)),
    ),
    rule(
        IPPROTO_TCP,
        25,
        "TCP_NOTSENT_LOWAT",
        G::Free,
        S::Free(size(0)),
    ),
    rule(
        IPPROTO_TCP,
        29,
        "TCP_REPAIR_WINDOW",
        G::Never(TAKES_CONNECTIONS),
        S::Never(TAKES_CONNECTIONS),
    ),
    rule(
        IPPROTO_TCP,
        30,
        "TCP_FASTOPEN_CONNECT",
        G::Free,
        S::Free(BOOL),
    ),
    rule(
        IPPROTO_TCP,
        31,
        "TCP_ULP",
        G::Never(KERNEL_STATE),
        S::Never(KERNEL_STATE),
    ),
    rule(
        IPPROTO_TCP,
        34,
        "TCP_FASTOPEN_NO_COOKIE",
        G::Free,
        S::Free(BOOL),
    ),
    // Socket options get/set using IPPROTO_UDP.
    rule(IPPROTO_UDP, 1, "UDP_CORK", G::Free, S::Free(BOOL)),
    rule(
        IPPROTO_UDP,
        100,
        "UDP_ENCAP",
        G::Never(KERNEL_STATE),
        S::Never(KERNEL_STATE),
    ),
    rule(IPPROTO_UDP, 101, "UDP_NO_CHECK6_TX", G::Free, S::Free(BOOL)),
    rule(IPPROTO_UDP, 102, "UDP_NO_CHECK6_RX", G::Free, S::Free(BOOL)),
    rule(
        IPPROTO_UDP,
        103,
        "UDP_SEGMENT",
        G::Free,
        S::Free(int(0, 65535)),
    ),
    // Raw sockets' own levels.
    rule(
        SOL_RAW,
        1,
        "ICMP_FILTER",
        G::Raw,
        S::Raw(Value::Bytes { max: 4 }),
    ),
    rule(
        IPPROTO_ICMPV6,
        1,
        "ICMP6_FILTER",
        G::Raw,
        S::Raw(Value::Bytes { max: 32 }),
    ),
];
