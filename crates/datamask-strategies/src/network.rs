//! Network addresses: `ip_address` (fake IPv4/IPv6 of a chosen class), `mac_address` (fake,
//! locally administered MACs) and `truncate_ip` (zero the host bits: a generalisation).
//!
//! Outputs always parse (`std::net` and the usual MAC notations). A CIDR suffix (`/24`, as
//! PostgreSQL's `inet` prints it) is kept as it was.

use crate::gen::{text_of, Gen};
use crate::util::int_in;
use datamask_core::strategy::{
    BuildCtx, Injectivity, OptionSpec, OptionType, OptionValue, Options, Strategy, StrategyInfo,
};
use datamask_core::{ApplyCtx, Prf, Value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Splits `addr/prefix` into the address text and the suffix (with its `/`).
fn split_cidr(s: &str) -> (&str, &str) {
    match s.find('/') {
        Some(i) => s.split_at(i),
        None => (s, ""),
    }
}

/// The class of an address, for `type: auto`.
fn class_of(ip: &IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(v) if v.is_loopback() => "localhost",
        IpAddr::V4(v) if v.is_private() || v.is_link_local() => "private",
        IpAddr::V6(v) if v.is_loopback() => "localhost",
        IpAddr::V6(v) if (v.segments()[0] & 0xfe00) == 0xfc00 => "private",
        _ => "public",
    }
}

pub const IP_ADDRESS: StrategyInfo = StrategyInfo {
    name: "ip_address",
    aliases: &[],
    family: "network",
    description: "Replaces an IP address with a keyed fake one of the same version and class \
                  (public stays public, private stays private) unless `version` or `type` say \
                  otherwise. Public IPv4 addresses avoid private, reserved and multicast \
                  blocks; public IPv6 ones come from 2001:db8::/32, the documentation prefix.",
    options: &[
        OptionSpec::optional(
            "version",
            OptionType::Integer,
            None,
            "4 or 6; by default the input's version (4 for non-addresses).",
        ),
        OptionSpec::optional(
            "type",
            OptionType::String,
            Some("auto"),
            "public, private (10/8, 172.16/12, 192.168/16; fd00::/8), localhost (127/8, ::1) \
             or auto (the input's class).",
        )
        .one_of(&["auto", "public", "private", "localhost"]),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("192.168.10.24", "172.23.159.162"),
    build: build_ip,
};

struct IpFake {
    prf: Prf,
    version: Option<u8>,
    class: String,
}

fn build_ip(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    let version = match opts.get("version") {
        None => None,
        Some(OptionValue::Int(4)) => Some(4),
        Some(OptionValue::Int(6)) => Some(6),
        Some(_) => return Err("option `version` must be 4 or 6".into()),
    };
    Ok(Box::new(IpFake {
        prf: ctx.prf.clone(),
        version,
        class: opts.str_or("type", "auto").to_string(),
    }))
}

fn public_v4(g: &mut Gen) -> Ipv4Addr {
    loop {
        let ip = Ipv4Addr::from(g.below(1 << 32) as u32);
        let o = ip.octets();
        let reserved = ip.is_private()
            || ip.is_loopback()
            || ip.is_link_local()
            || ip.is_multicast()
            || ip.is_broadcast()
            || ip.is_documentation()
            || ip.is_unspecified()
            || o[0] == 0
            || o[0] >= 224
            || (o[0] == 100 && (64..128).contains(&o[1]))
            || (o[0] == 192 && o[1] == 0 && o[2] == 0)
            || (o[0] == 198 && (18..20).contains(&o[1]));
        if !reserved {
            return ip;
        }
    }
}

fn private_v4(g: &mut Gen) -> Ipv4Addr {
    let x = g.below(1 << 24) as u32;
    match g.below(3) {
        0 => Ipv4Addr::from(0x0a00_0000 | x),
        1 => Ipv4Addr::from(0xac10_0000 | (x & 0x000f_ffff)),
        _ => Ipv4Addr::from(0xc0a8_0000 | (x & 0xffff)),
    }
}

impl IpFake {
    fn make(&self, g: &mut Gen, version: u8, class: &str) -> IpAddr {
        let mut seg = |n: usize| -> Vec<u16> { (0..n).map(|_| g.below(1 << 16) as u16).collect() };
        match (version, class) {
            (4, "localhost") => {
                let s = seg(2);
                IpAddr::V4(Ipv4Addr::new(
                    127,
                    (s[0] >> 8) as u8,
                    s[0] as u8,
                    (s[1] as u8).max(1),
                ))
            }
            (4, "private") => IpAddr::V4(private_v4(g)),
            (4, _) => IpAddr::V4(public_v4(g)),
            (_, "localhost") => IpAddr::V6(Ipv6Addr::LOCALHOST),
            (_, "private") => {
                let s = seg(7);
                IpAddr::V6(Ipv6Addr::new(
                    0xfd00 | (s[0] & 0xff),
                    s[1],
                    s[2],
                    s[3],
                    s[4],
                    s[5],
                    s[6],
                    s[0] | 1,
                ))
            }
            _ => {
                let s = seg(6);
                IpAddr::V6(Ipv6Addr::new(
                    0x2001, 0x0db8, s[0], s[1], s[2], s[3], s[4], s[5],
                ))
            }
        }
    }
}

impl Strategy for IpFake {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, "ip_address")?;
        let (addr, suffix) = split_cidr(s.trim());
        let parsed: Option<IpAddr> = addr.parse().ok();
        let version = self.version.unwrap_or(match parsed {
            Some(IpAddr::V6(_)) => 6,
            _ => 4,
        });
        let class = match self.class.as_str() {
            "auto" => parsed.as_ref().map_or("public", class_of),
            other => other,
        };
        let mut g = Gen::new(&self.prf, "ip_address", value);
        let ip = self.make(&mut g, version, class);
        // A CIDR suffix is only meaningful for the same version and a parseable input.
        let keep_suffix = parsed.is_some_and(|p| p.is_ipv4() == ip.is_ipv4());
        Ok(Value::Text(
            format!("{ip}{}", if keep_suffix { suffix } else { "" }).into(),
        ))
    }
}

pub const MAC_ADDRESS: StrategyInfo = StrategyInfo {
    name: "mac_address",
    aliases: &[],
    family: "network",
    description: "Replaces a MAC address with a keyed fake one. Its first octet marks it as \
                  locally administered and unicast, so it never collides with a vendor's \
                  real hardware address.",
    options: &[
        OptionSpec::optional(
            "separator",
            OptionType::String,
            None,
            "`:`, `-`, `.` (Cisco style aaaa.bbbb.cccc) or `` (none); by default the input's.",
        )
        .one_of(&[":", "-", ".", ""]),
        OptionSpec::optional(
            "uppercase",
            OptionType::Boolean,
            None,
            "Upper-case hex digits; by default as the input.",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: true,
    format_preserving: false,
    example: ("00:1A:2B:3C:4D:5E", "26:94:D1:AC:0F:AF"),
    build: build_mac,
};

struct Mac {
    prf: Prf,
    separator: Option<String>,
    uppercase: Option<bool>,
}

fn build_mac(opts: &Options, ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(Mac {
        prf: ctx.prf.clone(),
        separator: match opts.get("separator") {
            Some(OptionValue::String(s)) => Some(s.clone()),
            _ => None,
        },
        uppercase: match opts.get("uppercase") {
            Some(OptionValue::Bool(b)) => Some(*b),
            _ => None,
        },
    }))
}

impl Strategy for Mac {
    fn max_output_chars(&self, _input_max: Option<u32>) -> Option<u32> {
        Some(17)
    }

    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, "mac_address")?;
        let mut g = Gen::new(&self.prf, "mac_address", value);
        let mut octets: Vec<u8> = (0..6).map(|_| g.below(256) as u8).collect();
        octets[0] = (octets[0] | 0x02) & 0xfe;
        let sep = self.separator.clone().unwrap_or_else(|| {
            if s.contains('.') {
                ".".into()
            } else if s.contains('-') {
                "-".into()
            } else if s.contains(':') || s.trim().is_empty() {
                ":".into()
            } else {
                String::new()
            }
        });
        let upper = self.uppercase.unwrap_or_else(|| {
            !s.chars().any(|c| c.is_ascii_lowercase()) && s.chars().any(|c| c.is_ascii_uppercase())
        });
        let hex: Vec<String> = octets.iter().map(|o| format!("{o:02x}")).collect();
        let mut out = if sep == "." {
            hex.chunks(2)
                .map(|c| c.concat())
                .collect::<Vec<_>>()
                .join(".")
        } else {
            hex.join(&sep)
        };
        if upper {
            out = out.to_uppercase();
        }
        Ok(Value::Text(out.into()))
    }
}

pub const TRUNCATE_IP: StrategyInfo = StrategyInfo {
    name: "truncate_ip",
    aliases: &[],
    family: "generalize",
    description: "Keeps the network part of an IP address and zeroes the host bits \
                  (192.168.10.24 -> 192.168.10.0), the usual way to keep coarse location in \
                  logs without identifying a device. Not keyed; text that is not an address \
                  is an error.",
    options: &[
        OptionSpec::optional(
            "v4_prefix",
            OptionType::Integer,
            Some("24"),
            "IPv4 bits kept (0 to 32).",
        ),
        OptionSpec::optional(
            "v6_prefix",
            OptionType::Integer,
            Some("48"),
            "IPv6 bits kept (0 to 128).",
        ),
    ],
    accepts: &["text"],
    injective: Injectivity::Never,
    keyed: false,
    format_preserving: false,
    example: ("192.168.10.24", "192.168.10.0"),
    build: build_truncate,
};

struct Truncate {
    v4: u32,
    v6: u32,
}

fn build_truncate(opts: &Options, _ctx: &BuildCtx<'_>) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(Truncate {
        v4: int_in(opts, "v4_prefix", 24, 0, 32)? as u32,
        v6: int_in(opts, "v6_prefix", 48, 0, 128)? as u32,
    }))
}

/// Zeroes all but the first `prefix` bits of `ip`.
pub fn truncate(ip: IpAddr, v4: u32, v6: u32) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let mask = if v4 == 0 { 0 } else { u32::MAX << (32 - v4) };
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) => {
            let mask = if v6 == 0 { 0 } else { u128::MAX << (128 - v6) };
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
        }
    }
}

impl Strategy for Truncate {
    fn apply_value(&self, value: &Value, _ctx: &ApplyCtx<'_>) -> Result<Value, String> {
        let s = text_of(value, "truncate_ip")?;
        let (addr, suffix) = split_cidr(s.trim());
        let ip: IpAddr = addr.parse().map_err(|_| "not an IP address".to_string())?;
        Ok(Value::Text(
            format!("{}{suffix}", truncate(ip, self.v4, self.v6)).into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{opts, run, Opts};

    fn text(v: Value) -> String {
        match v {
            Value::Text(s) => s.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ip_addresses_parse_and_keep_their_class() {
        type Case = (
            &'static [(&'static str, &'static str)],
            &'static str,
            u8,
            &'static str,
        );
        let cases: &[Case] = &[
            (&[], "192.168.1.", 4, "private"),
            (&[], "8.8.8.", 4, "public"),
            (&[], "127.0.0.", 4, "localhost"),
            (&[], "2001:4860::", 6, "public"),
            (&[], "fd12::", 6, "private"),
            (&[], "not an ip ", 4, "public"),
            (&[("version", "6")], "10.0.0.", 6, "private"),
            (&[("type", "public")], "10.0.0.", 4, "public"),
            (
                &[("type", "localhost"), ("version", "6")],
                "x",
                6,
                "localhost",
            ),
        ];
        for (o, input, version, class) in cases {
            for i in 1..200 {
                let out =
                    text(run("ip_address", &opts(o), &Value::text(format!("{input}{i}"))).unwrap());
                let ip: IpAddr = out.parse().unwrap_or_else(|_| panic!("{out}"));
                assert_eq!(if ip.is_ipv4() { 4 } else { 6 }, *version, "{out}");
                assert_eq!(class_of(&ip), *class, "{input}{i} -> {out}");
            }
        }
        let out = text(run("ip_address", &opts(&[]), &Value::text("10.1.2.3/8")).unwrap());
        assert!(out.ends_with("/8"), "{out}");
    }

    #[test]
    fn public_v4_avoids_reserved_blocks() {
        let prf = datamask_core::MasterKey::from_bytes([5; 32]).prf("ip");
        for i in 0..100_000i64 {
            let ip = public_v4(&mut Gen::new(&prf, "p", &Value::Int(i)));
            assert!(
                !ip.is_private() && !ip.is_documentation() && ip.octets()[0] < 224,
                "{ip}"
            );
            assert_eq!(class_of(&IpAddr::V4(ip)), "public");
        }
    }

    #[test]
    fn macs_parse_and_are_locally_administered() {
        type Case = (
            &'static [(&'static str, &'static str)],
            &'static str,
            &'static str,
            bool,
        );
        let cases: &[Case] = &[
            (&[], "00:1A:2B:3C:4D:5E", ":", true),
            (&[], "00-1a-2b-3c-4d-5e", "-", false),
            (&[], "001a.2b3c.4d5e", ".", false),
            (&[], "001a2b3c4d5e", "", false),
            (
                &[("separator", ":"), ("uppercase", "false")],
                "001A2B3C4D5E",
                ":",
                false,
            ),
            (&[("separator", "'")], "00:1a:2b:3c:4d:5e", "", false),
        ];
        for (o, input, sep, upper) in cases {
            let out = text(run("mac_address", &opts(o), &Value::text(*input)).unwrap());
            let hex: String = out.chars().filter(char::is_ascii_hexdigit).collect();
            assert_eq!(hex.len(), 12, "{out}");
            let expected_len = match *sep {
                "" => 12,
                "." => 14,
                _ => 17,
            };
            assert_eq!(out.len(), expected_len, "{out}");
            assert!(sep.is_empty() || out.contains(sep), "{out}");
            assert_eq!(out == out.to_uppercase(), *upper, "{out}");
            let first = u8::from_str_radix(&hex[..2], 16).unwrap();
            assert_eq!(first & 0x03, 0x02, "{out}");
        }
    }

    #[test]
    fn truncate_ip_table() {
        let cases: &[(Opts, &str, &str)] = &[
            (&[], "192.168.10.24", "192.168.10.0"),
            (&[("v4_prefix", "16")], "192.168.10.24", "192.168.0.0"),
            (&[("v4_prefix", "0")], "192.168.10.24", "0.0.0.0"),
            (&[("v4_prefix", "32")], "192.168.10.24", "192.168.10.24"),
            (&[], "2001:db8:abcd:12::1", "2001:db8:abcd::"),
            (
                &[("v6_prefix", "64")],
                "2001:db8:abcd:12::1",
                "2001:db8:abcd:12::",
            ),
            (&[], "10.1.2.3/8", "10.1.2.0/8"),
        ];
        for (o, input, expected) in cases {
            assert_eq!(
                text(run("truncate_ip", &opts(o), &Value::text(*input)).unwrap()),
                *expected
            );
        }
        let err = run("truncate_ip", &opts(&[]), &Value::text("secret")).unwrap_err();
        assert!(!err.contains("secret"));
    }
}
