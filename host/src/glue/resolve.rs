//! `resolve::Host`: `address-information` and `name-information` through
//! the policy and the host's resolver.

use super::convert::{self, GuestAddress};
use super::convert::{family_from_wit, family_to_wit, kind_from_wit, kind_to_wit};
use super::{HostResult, denied, timeout};
use crate::bindings::wasock::socket::{resolve, types};
use crate::ctx::WasockCtxView;
use crate::error::{Error, ErrorCode};
use crate::resolve as resolver;

impl resolve::Host for WasockCtxView<'_> {
    async fn address_information(
        &mut self,
        node: Option<String>,
        service: Option<String>,
        hints: resolve::AddressInfoHints,
        timeout_nanos: Option<u64>,
    ) -> HostResult<Vec<resolve::AddressInfo>> {
        start_address_information(self, node, service, hints, timeout_nanos)?.await
    }

    async fn name_information(
        &mut self,
        address: types::SocketAddress,
        flags: resolve::NameInfoFlags,
        timeout_nanos: Option<u64>,
    ) -> HostResult<resolve::NameInfo> {
        start_name_information(self, address, flags, timeout_nanos)?.await
    }
}

/// The checks of `address-information` and its resolution slot; what is
/// left, the resolution, needs nothing of the store.
pub(super) fn start_address_information(
    view: &mut WasockCtxView<'_>,
    node: Option<String>,
    service: Option<String>,
    hints: resolve::AddressInfoHints,
    timeout_nanos: Option<u64>,
) -> HostResult<impl Future<Output = HostResult<Vec<resolve::AddressInfo>>> + Send + use<>> {
    const OP: &str = "address-information";
    let numeric_host = hints.flags.contains(resolve::AddressInfoFlags::NUMERICHOST);
    // A numeric node (or none) looks nothing up: no --allow-dns needed.
    view.ctx
        .policy
        .check_address_information(node.as_deref(), numeric_host)
        .map_err(|refusal| denied(&view.ctx.reporter, OP, refusal))?;
    let flags = resolver::AddrInfoFlags {
        numerichost: numeric_host,
        passive: hints.flags.contains(resolve::AddressInfoFlags::PASSIVE),
        canonname: hints.flags.contains(resolve::AddressInfoFlags::CANONNAME),
    };
    let family = hints.family.and_then(family_from_wit);
    let request = resolver::AddrInfoHints {
        family,
        kind: hints.socket_type.map(kind_from_wit),
        protocol: hints.protocol,
        flags,
    };
    let slot = view.ctx.resolution_slot(OP)?;
    Ok(async move {
        let results = resolver::address_information_with_slot(
            node,
            service,
            request,
            timeout(timeout_nanos),
            slot,
        )
        .await?;
        Ok(results
            .into_iter()
            .map(|info| resolve::AddressInfo {
                family: family_to_wit(info.family),
                socket_type: kind_to_wit(info.kind),
                protocol: info.protocol,
                address: convert::ip_to_wit(info.address),
                canonical_name: info.canonical_name,
                flags: hints.flags,
            })
            .collect())
    })
}

/// The checks of `name-information` and its resolution slot; what is
/// left, the resolution, needs nothing of the store.
pub(super) fn start_name_information(
    view: &mut WasockCtxView<'_>,
    address: types::SocketAddress,
    flags: resolve::NameInfoFlags,
    timeout_nanos: Option<u64>,
) -> HostResult<impl Future<Output = HostResult<resolve::NameInfo>> + Send + use<>> {
    const OP: &str = "name-information";
    let ip = match convert::from_wit(address) {
        GuestAddress::Ip(ip) => ip,
        GuestAddress::Unix(_) => {
            return Err(Error::unsupported(
                OP,
                ErrorCode::AddressFamilyNotSupported,
                "unix addresses have no name information",
            )
            .into());
        }
    };
    // Only a reverse lookup of the node leaves the host.
    view.ctx
        .policy
        .check_name_information(&ip, flags.contains(resolve::NameInfoFlags::NUMERICHOST))
        .map_err(|refusal| denied(&view.ctx.reporter, OP, refusal))?;
    let request = resolver::NameInfoFlags {
        numerichost: flags.contains(resolve::NameInfoFlags::NUMERICHOST),
        numericserv: flags.contains(resolve::NameInfoFlags::NUMERICSERV),
        dgram: flags.contains(resolve::NameInfoFlags::DGRAM),
        namereqd: flags.contains(resolve::NameInfoFlags::NAMEREQD),
        nofqdn: flags.contains(resolve::NameInfoFlags::NOFQDN),
    };
    let slot = view.ctx.resolution_slot(OP)?;
    Ok(async move {
        let (node, service) =
            resolver::name_information_with_slot(ip, request, timeout(timeout_nanos), slot).await?;
        let service = match service {
            resolver::Service::Name(name) => resolve::ServiceName::Name(name),
            resolver::Service::Port(port) => resolve::ServiceName::Port(port),
        };
        Ok(resolve::NameInfo { node, service })
    })
}
