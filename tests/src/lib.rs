//! wasock end-to-end test support
