//! `resolve`: 0.1.0's checks and resolutions, the resolution awaited
//! outside the store.

use wasmtime::component::Accessor;

use super::super::resolve::{start_address_information, start_name_information};
use super::{HostResult, in_store, same_flags};
use crate::bindings::wasock::socket::resolve as v1;
use crate::bindings::wasock::socket::types;
use crate::bindings_async::wasock::socket::resolve;
use crate::ctx::{HasWasock, WasockView};

fn address_info_flags(flags: v1::AddressInfoFlags) -> resolve::AddressInfoFlags {
    same_flags!(
        flags, v1::AddressInfoFlags => resolve::AddressInfoFlags:
        NUMERICHOST, PASSIVE, CANONNAME,
    )
}

impl resolve::Host for crate::ctx::WasockCtxView<'_> {}

impl<T: WasockView + 'static> resolve::HostWithStore<T> for HasWasock {
    async fn address_information(
        store: &Accessor<T, Self>,
        node: Option<String>,
        service: Option<String>,
        hints: resolve::AddressInfoHints,
        timeout_nanos: Option<u64>,
    ) -> HostResult<Vec<resolve::AddressInfo>> {
        let hints = v1::AddressInfoHints {
            family: hints.family,
            socket_type: hints.socket_type,
            protocol: hints.protocol,
            flags: same_flags!(
                hints.flags, resolve::AddressInfoFlags => v1::AddressInfoFlags:
                NUMERICHOST, PASSIVE, CANONNAME,
            ),
        };
        let resolution = in_store(store, |view| {
            start_address_information(view, node, service, hints, timeout_nanos)
        })?;
        Ok(resolution
            .await?
            .into_iter()
            .map(|info| resolve::AddressInfo {
                family: info.family,
                socket_type: info.socket_type,
                protocol: info.protocol,
                address: info.address,
                canonical_name: info.canonical_name,
                flags: address_info_flags(info.flags),
            })
            .collect())
    }

    async fn name_information(
        store: &Accessor<T, Self>,
        address: types::SocketAddress,
        flags: resolve::NameInfoFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<resolve::NameInfo> {
        let flags = same_flags!(
            flags, resolve::NameInfoFlags => v1::NameInfoFlags:
            NUMERICHOST, NUMERICSERV, DGRAM, NAMEREQD, NOFQDN,
        );
        let resolution = in_store(store, |view| {
            start_name_information(view, address, flags, timeout_nanos)
        })?;
        let info = resolution.await?;
        Ok(resolve::NameInfo {
            node: info.node,
            service: match info.service {
                v1::ServiceName::Name(name) => resolve::ServiceName::Name(name),
                v1::ServiceName::Port(port) => resolve::ServiceName::Port(port),
            },
        })
    }
}
