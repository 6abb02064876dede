//! Capabilities and `PR_SET_NO_NEW_PRIVS`.

use std::io;

use super::check;

/// A Linux capability number (`CAP_*`).
pub type Capability = u32;

/// `CAP_DAC_OVERRIDE`.
pub const CAP_DAC_OVERRIDE: Capability = 1;
/// `CAP_DAC_READ_SEARCH`.
pub const CAP_DAC_READ_SEARCH: Capability = 2;
/// `CAP_FOWNER`.
pub const CAP_FOWNER: Capability = 3;
/// `CAP_NET_BIND_SERVICE`.
pub const CAP_NET_BIND_SERVICE: Capability = 10;
/// `CAP_NET_ADMIN`: never kept (named by the tests that check so).
#[cfg(test)]
pub const CAP_NET_ADMIN: Capability = 12;
/// `CAP_NET_RAW`.
pub const CAP_NET_RAW: Capability = 13;
/// `CAP_SETPCAP`: needed to drop capabilities from the bounding set.
pub const CAP_SETPCAP: Capability = 8;
/// One past the highest capability number the kernels we know define.
pub const CAP_COUNT: Capability = 64;

/// The three capability sets of the calling thread, one bit per
/// capability.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapabilitySets {
    /// Effective.
    pub effective: u64,
    /// Permitted.
    pub permitted: u64,
    /// Inheritable.
    pub inheritable: u64,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod caps {
    use super::*;

    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

    #[repr(C)]
    struct Header {
        version: u32,
        pid: libc::c_int,
    }

    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }

    fn split(bits: u64) -> (u32, u32) {
        (bits as u32, (bits >> 32) as u32)
    }

    /// `capget(2)` of the calling thread.
    pub fn get() -> io::Result<CapabilitySets> {
        let mut header = Header {
            version: LINUX_CAPABILITY_VERSION_3,
            pid: 0,
        };
        let mut data = [Data::default(); 2];
        // SAFETY: a version-3 header and two data records, as capget expects.
        let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        let join = |low: u32, high: u32| u64::from(low) | (u64::from(high) << 32);
        Ok(CapabilitySets {
            effective: join(data[0].effective, data[1].effective),
            permitted: join(data[0].permitted, data[1].permitted),
            inheritable: join(data[0].inheritable, data[1].inheritable),
        })
    }

    /// `capset(2)` of the calling thread.
    pub fn set(sets: CapabilitySets) -> io::Result<()> {
        let mut header = Header {
            version: LINUX_CAPABILITY_VERSION_3,
            pid: 0,
        };
        let (e0, e1) = split(sets.effective);
        let (p0, p1) = split(sets.permitted);
        let (i0, i1) = split(sets.inheritable);
        let data = [
            Data {
                effective: e0,
                permitted: p0,
                inheritable: i0,
            },
            Data {
                effective: e1,
                permitted: p1,
                inheritable: i1,
            },
        ];
        // SAFETY: a version-3 header and two data records, as capset expects.
        let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// `prctl(PR_CAPBSET_READ, cap)`: whether `cap` is in the bounding set
    /// (`None` when the kernel does not know the capability).
    pub fn in_bounding_set(cap: Capability) -> Option<bool> {
        // SAFETY: PR_CAPBSET_READ takes the capability number and no pointer.
        let rc = unsafe { libc::prctl(libc::PR_CAPBSET_READ, libc::c_ulong::from(cap), 0, 0, 0) };
        match rc {
            1 => Some(true),
            0 => Some(false),
            _ => None,
        }
    }

    /// `prctl(PR_CAPBSET_DROP, cap)`.
    pub fn drop_from_bounding_set(cap: Capability) -> io::Result<()> {
        // SAFETY: PR_CAPBSET_DROP takes the capability number and no pointer.
        check(unsafe { libc::prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(cap), 0, 0, 0) })
            .map(drop)
    }

    /// `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)`.
    pub fn clear_ambient() -> io::Result<()> {
        // SAFETY: no pointers.
        check(unsafe {
            libc::prctl(
                libc::PR_CAP_AMBIENT,
                libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
                0,
                0,
                0,
            )
        })
        .map(drop)
    }

    /// `prctl(PR_SET_NO_NEW_PRIVS, 1)`: no later `execve` can gain
    /// privileges (set-user-ID bits or file capabilities).
    pub fn set_no_new_privileges() -> io::Result<()> {
        // SAFETY: no pointers.
        check(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }).map(drop)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
pub use caps::{
    clear_ambient, drop_from_bounding_set, get as capabilities, in_bounding_set,
    set as set_capabilities, set_no_new_privileges,
};
