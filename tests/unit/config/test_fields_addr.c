/* Addresses, CIDRs and identities (lib/config/addr.c): strict parsing, canonical text. */
#include <criterion/criterion.h>
#include <string.h>

#include "config/addr.h"

static void ip_roundtrip(const char *in, const char *canonical)
{
    ivpn_ip ip;
    char buf[IVPN_IP_TEXT_MAX];
    cr_assert_eq(ivpn_ip_parse(in, &ip), IPSECVPN_OK, "%s should parse", in);
    size_t n = ivpn_ip_format(&ip, buf, sizeof(buf));
    cr_assert_str_eq(buf, canonical, "%s formats as %s, not %s", in, canonical, buf);
    cr_assert_eq(n, strlen(canonical));
    ivpn_ip again;
    cr_assert_eq(ivpn_ip_parse(buf, &again), IPSECVPN_OK);
    cr_assert(ivpn_ip_equal(&ip, &again));
}

Test(fields_addr, ipv4_accepts_dotted_quads)
{
    ip_roundtrip("0.0.0.0", "0.0.0.0");
    ip_roundtrip("255.255.255.255", "255.255.255.255");
    ip_roundtrip("47.100.1.2", "47.100.1.2");
    ivpn_ip ip;
    ivpn_ip_parse("1.2.3.4", &ip);
    cr_assert_eq(ip.family, 4);
    cr_assert_eq(ip.addr[0], 1);
    cr_assert_eq(ip.addr[3], 4);
}

Test(fields_addr, ipv4_refuses_ambiguous_forms)
{
    const char *bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04",
                         "1.2.3.4 ", " 1.2.3.4", "1..3.4", "1.2.3.", "a.b.c.d", "1.2.3.4/32",
                         "0x1.2.3.4", "1.2.3.1000", "-1.2.3.4"};
    ivpn_ip ip = {.family = 9};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(ivpn_ip_parse(bad[i], &ip), IPSECVPN_ERR_CONFIG_SYNTAX, "'%s'", bad[i]);
        cr_assert_eq(ip.family, 9, "output untouched on error");
    }
}

Test(fields_addr, ipv6_parses_and_formats_rfc5952)
{
    ip_roundtrip("::", "::");
    ip_roundtrip("::1", "::1");
    ip_roundtrip("2001:DB8::1", "2001:db8::1");
    ip_roundtrip("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    ip_roundtrip("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");    /* first of two runs */
    ip_roundtrip("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"); /* one zero: not :: */
    ip_roundtrip("fe80::", "fe80::");
    ip_roundtrip("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0");
    ip_roundtrip("::ffff:192.0.2.1", "::ffff:192.0.2.1");
    ip_roundtrip("64:ff9b::192.0.2.33", "64:ff9b::c000:221");
    ip_roundtrip("1:0:0:2:0:0:0:3", "1:0:0:2::3"); /* longest run wins */
}

Test(fields_addr, ipv6_refuses_malformed)
{
    const char *bad[] = {":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
                         "12345::", "g::1", "1:", ":1", "::1%eth0", "[::1]", "1:2:3:4:5:6:7:8::",
                         "::1.2.3", "::1.2.3.4.5", "1:2:3:4:5:6:7:1.2.3.4", "::01.2.3.4"};
    ivpn_ip ip;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(ivpn_ip_parse(bad[i], &ip), IPSECVPN_ERR_CONFIG_SYNTAX, "'%s'", bad[i]);
}

Test(fields_addr, cidr_is_strict)
{
    ivpn_cidr c;
    char buf[IVPN_CIDR_TEXT_MAX];
    cr_assert_eq(ivpn_cidr_parse("192.168.0.0/16", &c), IPSECVPN_OK);
    cr_assert_eq(c.prefix, 16);
    ivpn_cidr_format(&c, buf, sizeof(buf));
    cr_assert_str_eq(buf, "192.168.0.0/16");
    cr_assert_eq(ivpn_cidr_parse("0.0.0.0/0", &c), IPSECVPN_OK);
    cr_assert_eq(ivpn_cidr_parse("10.0.0.1/32", &c), IPSECVPN_OK);
    cr_assert_eq(ivpn_cidr_parse("2001:DB8::/32", &c), IPSECVPN_OK);
    ivpn_cidr_format(&c, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2001:db8::/32");
    cr_assert_eq(ivpn_cidr_parse("::/128", &c), IPSECVPN_OK);
    /* host bits set: refused, not masked */
    cr_assert_eq(ivpn_cidr_parse("10.0.0.1/8", &c), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(ivpn_cidr_parse("169.254.0.1/30", &c), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(ivpn_cidr_parse("2001:db8::1/64", &c), IPSECVPN_ERR_CONFIG_RANGE);
    const char *bad[] = {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/08", "::/129",
                         "10.0.0.0/-1", "10.0.0.0/1a", "/8", "10.0.0.0/8/8", "10.0.0.0 /8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(ivpn_cidr_parse(bad[i], &c), IPSECVPN_ERR_CONFIG_SYNTAX, "'%s'", bad[i]);
}

Test(fields_addr, cidr_contains_and_edges)
{
    ivpn_cidr net;
    ivpn_ip ip, first, last;
    char buf[IVPN_IP_TEXT_MAX];
    cr_assert_eq(ivpn_cidr_parse("169.254.10.4/30", &net), IPSECVPN_OK);
    ivpn_cidr_first(&net, &first);
    ivpn_cidr_last(&net, &last);
    ivpn_ip_format(&first, buf, sizeof(buf));
    cr_assert_str_eq(buf, "169.254.10.4");
    ivpn_ip_format(&last, buf, sizeof(buf));
    cr_assert_str_eq(buf, "169.254.10.7");
    ivpn_ip_parse("169.254.10.5", &ip);
    cr_assert(ivpn_cidr_contains(&net, &ip));
    ivpn_ip_parse("169.254.10.8", &ip);
    cr_assert_not(ivpn_cidr_contains(&net, &ip));
    ivpn_ip_parse("::1", &ip);
    cr_assert_not(ivpn_cidr_contains(&net, &ip));
    cr_assert_eq(ivpn_cidr_parse("2001:db8::/33", &net), IPSECVPN_OK);
    ivpn_ip_parse("2001:db8:7fff::1", &ip);
    cr_assert(ivpn_cidr_contains(&net, &ip));
    ivpn_ip_parse("2001:db8:8000::1", &ip);
    cr_assert_not(ivpn_cidr_contains(&net, &ip));
}

Test(fields_addr, format_reports_needed_length)
{
    ivpn_ip ip;
    char small[4];
    ivpn_ip_parse("10.20.30.40", &ip);
    cr_assert_eq(ivpn_ip_format(&ip, small, sizeof(small)), 11);
    cr_assert_str_eq(small, "");
}

static void id_ok(const char *in, ivpn_id_type type, const char *text)
{
    ivpn_identity id;
    cr_assert_eq(ivpn_identity_parse(in, &id), IPSECVPN_OK, "'%s' should parse", in);
    cr_assert_eq(id.type, type, "'%s' type %d", in, id.type);
    cr_assert_str_eq(id.text, text);
    ivpn_identity again;
    cr_assert_eq(ivpn_identity_parse(id.text, &again), IPSECVPN_OK);
    cr_assert_eq(again.type, type);
    cr_assert_str_eq(again.text, text);
}

Test(fields_addr, identities)
{
    id_ok("", IVPN_ID_NONE, "");
    id_ok("1.2.3.4", IVPN_ID_IPV4, "1.2.3.4");
    id_ok("2001:DB8::1", IVPN_ID_IPV6, "2001:db8::1");
    id_ok("vpn.example.com", IVPN_ID_FQDN, "vpn.example.com");
    id_ok("VPN-1.Example.com", IVPN_ID_FQDN, "VPN-1.Example.com");
    id_ok("gateway", IVPN_ID_FQDN, "gateway");
    id_ok("@vpn.example.com", IVPN_ID_FQDN, "vpn.example.com");
    id_ok("admin@example.com", IVPN_ID_RFC822, "admin@example.com");
    id_ok("first.last+tag@vpn.example.jp", IVPN_ID_RFC822, "first.last+tag@vpn.example.jp");
    id_ok("@#0A1b", IVPN_ID_KEY_ID, "@#0a1b");
}

Test(fields_addr, identities_refused)
{
    const char *bad[] = {"1.2.3", "-vpn.example.com", "vpn-.example.com", "vpn..example.com",
                         "vpn.example.com.", "vpn example.com", "@#", "@#abc", "@#zz", "@",
                         "@1.2.3.4", "a@", "@@example.com", "a b@example.com", "a@b@example.com",
                         "vpn_1.example.com", "例え.jp", "01.2.3.4"};
    ivpn_identity id;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(ivpn_identity_parse(bad[i], &id), IPSECVPN_ERR_CONFIG_SYNTAX, "'%s'",
                     bad[i]);
    char label63[80], label64[80];
    memset(label63, 'a', 63);
    strcpy(label63 + 63, ".com");
    memset(label64, 'a', 64);
    strcpy(label64 + 64, ".com");
    cr_assert_eq(ivpn_identity_parse(label63, &id), IPSECVPN_OK);
    cr_assert_eq(ivpn_identity_parse(label64, &id), IPSECVPN_ERR_CONFIG_SYNTAX);
    char big[300];
    memset(big, 'a', 256);
    big[256] = '\0';
    cr_assert_eq(ivpn_identity_parse(big, &id), IPSECVPN_ERR_CONFIG_LENGTH);
}
