//! The system resolver: `getaddrinfo(3)`, `getnameinfo(3)`.

/// glibc's `EAI_ADDRFAMILY` (not in every libc's bindings): the node has
/// no address of the family asked for.
pub const EAI_ADDRFAMILY: libc::c_int = -9;

/// One result of [`getaddrinfo`].
#[derive(Clone, Debug)]
pub struct AddrInfoEntry {
    /// `ai_socktype`.
    pub socket_type: libc::c_int,
    /// `ai_protocol`.
    pub protocol: libc::c_int,
    /// `ai_addr`.
    pub address: socket2::SockAddr,
    /// `ai_canonname`, where the resolver gave one.
    pub canonical_name: Option<String>,
}

/// `getaddrinfo(3)` with hints of (family, type, protocol, flags); the
/// `EAI_*` code on failure.
pub fn getaddrinfo(
    node: Option<&std::ffi::CStr>,
    service: Option<&std::ffi::CStr>,
    hints: (libc::c_int, libc::c_int, libc::c_int, libc::c_int),
) -> Result<Vec<AddrInfoEntry>, libc::c_int> {
    // SAFETY: an all-zero addrinfo is a valid "no hints" value.
    let mut c_hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    (
        c_hints.ai_family,
        c_hints.ai_socktype,
        c_hints.ai_protocol,
        c_hints.ai_flags,
    ) = hints;
    let mut list: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid C strings or null, valid hints, and an out-pointer.
    let rc = unsafe {
        libc::getaddrinfo(
            node.map_or(std::ptr::null(), std::ffi::CStr::as_ptr),
            service.map_or(std::ptr::null(), std::ffi::CStr::as_ptr),
            &c_hints,
            &mut list,
        )
    };
    if rc != 0 {
        return Err(rc);
    }
    let mut results = Vec::new();
    let mut entry = list;
    while !entry.is_null() {
        // SAFETY: `entry` is a node of the list getaddrinfo returned, not
        // yet freed.
        let info = unsafe { &*entry };
        entry = info.ai_next;
        let Some(address) = sockaddr_of(info) else {
            continue;
        };
        let canonical_name = (!info.ai_canonname.is_null()).then(|| {
            // SAFETY: a NUL-terminated string owned by the list.
            unsafe { std::ffi::CStr::from_ptr(info.ai_canonname) }
                .to_string_lossy()
                .into_owned()
        });
        results.push(AddrInfoEntry {
            socket_type: info.ai_socktype,
            protocol: info.ai_protocol,
            address,
            canonical_name,
        });
    }
    // SAFETY: the list came from getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(list) };
    Ok(results)
}

/// The `ai_addr` of one result as an owned address.
fn sockaddr_of(info: &libc::addrinfo) -> Option<socket2::SockAddr> {
    if info.ai_addr.is_null() {
        return None;
    }
    let length = usize::try_from(info.ai_addrlen).ok()?;
    if length > std::mem::size_of::<libc::sockaddr_storage>() {
        return None;
    }
    // SAFETY: `ai_addr` points at `ai_addrlen` bytes of a socket address,
    // which fit the zeroed storage we copy them into.
    let (_, address) = unsafe {
        socket2::SockAddr::try_init(|storage, len| {
            std::ptr::copy_nonoverlapping(info.ai_addr.cast::<u8>(), storage.cast::<u8>(), length);
            *len = info.ai_addrlen;
            Ok(())
        })
    }
    .ok()?;
    Some(address)
}

/// `getnameinfo(3)`: (node, service); the `EAI_*` code on failure.
pub fn getnameinfo(
    address: &socket2::SockAddr,
    flags: libc::c_int,
) -> Result<(String, String), libc::c_int> {
    let mut host = [0 as libc::c_char; libc::NI_MAXHOST as usize];
    let mut service = [0 as libc::c_char; 64];
    // SAFETY: a valid socket address and two buffers of the lengths given.
    let rc = unsafe {
        libc::getnameinfo(
            address.as_ptr().cast(),
            address.len(),
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            service.as_mut_ptr(),
            service.len() as libc::socklen_t,
            flags,
        )
    };
    if rc != 0 {
        return Err(rc);
    }
    // SAFETY: getnameinfo NUL-terminates both buffers on success.
    let host = unsafe { std::ffi::CStr::from_ptr(host.as_ptr()) };
    // SAFETY: as above.
    let service = unsafe { std::ffi::CStr::from_ptr(service.as_ptr()) };
    Ok((
        host.to_string_lossy().into_owned(),
        service.to_string_lossy().into_owned(),
    ))
}

/// `gai_strerror(3)`.
pub fn gai_strerror(rc: libc::c_int) -> String {
    // SAFETY: gai_strerror returns a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(libc::gai_strerror(rc)) }
        .to_string_lossy()
        .into_owned()
}
