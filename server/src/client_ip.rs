//! The client address that the per-IP limits count against.
//!
//! By default it is the TCP peer, and `X-Forwarded-For` is ignored: anyone can write that
//! header, so believing it would let a client pick a fresh address for every request.
//! Behind a reverse proxy every client has the proxy's address, so the operator names the
//! proxies (`--trusted-proxies`); when the peer is one of them, the client is the right-most
//! address of `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the
//! address it saw, so entries to the left of the first untrusted one may be forged).
//!
//! IPv6 clients are counted per /64: one host usually owns a whole /64 and could otherwise
//! rotate through its addresses to dodge the limit.

use axum::http::{header::HeaderName, HeaderMap};
use ipnet::{IpNet, Ipv6Net};
use std::net::{IpAddr, SocketAddr};

static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Parses one `--trusted-proxies` entry: an address (`10.0.0.7`, `::1`) or a range
/// (`10.0.0.0/8`, `fd00::/8`).
pub fn parse_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    s.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("{s:?} is neither an IP address nor a CIDR range (like 10.0.0.0/8)"))
}

/// The client's address for a request from `peer` carrying `headers`.
pub fn client_ip(trusted: &[IpNet], peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    let peer = peer.to_canonical();
    if !is_trusted(trusted, peer) {
        return peer;
    }
    // Several X-Forwarded-For headers are one list, in order.
    let entries: Vec<&str> = headers
        .get_all(&X_FORWARDED_FOR)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("").split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        let Some(addr) = parse_entry(entry) else {
            // Garbage from here leftwards: the last address a trusted hop vouched for.
            return client;
        };
        client = addr;
        if !is_trusted(trusted, addr) {
            break;
        }
    }
    client
}

/// The key the per-IP limiters count on: the IPv4 address, or the IPv6 /64.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => Ipv6Net::new(v6, 64)
            .map(|n| IpAddr::V6(n.network()))
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn is_trusted(trusted: &[IpNet], ip: IpAddr) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// `203.0.113.7`, `2001:db8::1`, `203.0.113.7:4711` or `[2001:db8::1]:4711`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(&X_FORWARDED_FOR, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn proxies_parse_as_addresses_or_ranges() {
        assert_eq!(parse_proxy("10.1.2.3").unwrap().to_string(), "10.1.2.3/32");
        assert_eq!(
            parse_proxy(" 10.1.2.3/8 ").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(parse_proxy("::1").unwrap().to_string(), "::1/128");
        let e = parse_proxy("proxy.local").unwrap_err();
        assert!(e.contains("proxy.local"), "{e}");
        assert!(parse_proxy("10.0.0.0/33").is_err());
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_trusted() {
        let h = xff(&["198.51.100.9"]);
        assert_eq!(client_ip(&[], ip("203.0.113.1"), &h), ip("203.0.113.1"));
        let trusted = [parse_proxy("10.0.0.0/8").unwrap()];
        assert_eq!(
            client_ip(&trusted, ip("203.0.113.1"), &h),
            ip("203.0.113.1")
        );
        assert_eq!(client_ip(&trusted, ip("10.0.0.5"), &h), ip("198.51.100.9"));
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let trusted = [parse_proxy("10.0.0.0/8").unwrap()];
        // The client forged the first entry; the proxy chain appended the rest.
        let h = xff(&["1.2.3.4, 198.51.100.9", "10.0.0.2"]);
        assert_eq!(client_ip(&trusted, ip("10.0.0.1"), &h), ip("198.51.100.9"));
        // Ports, brackets and IPv4-mapped IPv6 are read.
        let h = xff(&["[2001:db8::7]:4711"]);
        assert_eq!(client_ip(&trusted, ip("10.0.0.1"), &h), ip("2001:db8::7"));
        let h = xff(&["198.51.100.9:80"]);
        assert_eq!(
            client_ip(&trusted, ip("::ffff:10.0.0.1"), &h),
            ip("198.51.100.9")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_ip(&trusted, ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        // Garbage stops the walk at the last address a trusted hop gave.
        let h = xff(&["198.51.100.9, unknown, 10.0.0.3"]);
        assert_eq!(client_ip(&trusted, ip("10.0.0.1"), &h), ip("10.0.0.3"));
        // Only trusted entries: the left-most.
        let h = xff(&["10.0.0.4, 10.0.0.3"]);
        assert_eq!(client_ip(&trusted, ip("10.0.0.1"), &h), ip("10.0.0.4"));
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            limit_key(ip("2001:db8:1:2:ffff::9")),
            limit_key(ip("2001:db8:1:2::1"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:3::1")),
            limit_key(ip("2001:db8:1:2::1"))
        );
        assert_eq!(limit_key(ip("::ffff:198.51.100.9")), ip("198.51.100.9"));
        assert_eq!(limit_key(ip("198.51.100.9")), ip("198.51.100.9"));
    }
}
