/*
 * Addresses, prefixes and IKE identities as configuration text. The parsers are strict so a
 * value means one thing only (what they accept is documented per function); the formatters
 * write the canonical text that the parsers read back to the same value.
 */
#ifndef IVPN_CONFIG_ADDR_H
#define IVPN_CONFIG_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "config/model.h"

#define IVPN_IP_TEXT_MAX 46    /* longest formatted address incl. NUL (IPv6 with IPv4 tail) */
#define IVPN_CIDR_TEXT_MAX 50  /* address, '/', up to 3 digits, NUL */

/*
 * Parse an IPv4 or IPv6 address.
 * IPv4: exactly four dot-separated decimal parts 0..255 of 1..3 digits; a leading zero is
 *   refused ("010" could mean octal 8 to inet_aton), so is every short form ("10.1").
 * IPv6: RFC 4291 text: eight groups of 1..4 hex digits (either case), one "::" for a run of
 *   zero groups, optionally ending in a dotted IPv4 address as above. No zone ("%eth0"), no
 *   brackets, no prefix.
 * No surrounding white space. Returns IPSECVPN_OK or IPSECVPN_ERR_CONFIG_SYNTAX (out untouched).
 */
int ivpn_ip_parse(const char *text, ivpn_ip *out);

/*
 * Write the canonical text: dotted decimal for IPv4; RFC 5952 for IPv6 (lower case, no
 * leading zeros, the longest run of two or more zero groups as "::", the first on a tie,
 * ::ffff:a.b.c.d for IPv4-mapped addresses). An unset address (family 0) writes "".
 * Returns the length written without the NUL, or the length needed if len is too small
 * (then buf holds "" when len > 0). IVPN_IP_TEXT_MAX bytes are always enough.
 */
size_t ivpn_ip_format(const ivpn_ip *ip, char *buf, size_t len);

/* Equal family and address bytes. */
bool ivpn_ip_equal(const ivpn_ip *a, const ivpn_ip *b);

/*
 * Parse "address/prefix" (the prefix is required: 0..32 or 0..128 in decimal, no leading
 * zeros). Returns IPSECVPN_OK; IPSECVPN_ERR_CONFIG_SYNTAX if it does not parse;
 * IPSECVPN_ERR_CONFIG_RANGE if host bits are set ("10.0.0.1/8": strict, never silently
 * masked). out is untouched on error.
 */
int ivpn_cidr_parse(const char *text, ivpn_cidr *out);

/* "address/prefix", the address canonical as ivpn_ip_format(). Same return convention. */
size_t ivpn_cidr_format(const ivpn_cidr *cidr, char *buf, size_t len);

/* Whether ip lies inside net (same family, first prefix bits equal). */
bool ivpn_cidr_contains(const ivpn_cidr *net, const ivpn_ip *ip);

/* The lowest (network) and highest (broadcast for IPv4) address of net. */
void ivpn_cidr_first(const ivpn_cidr *net, ivpn_ip *out);
void ivpn_cidr_last(const ivpn_cidr *net, ivpn_ip *out);

/*
 * Parse an IKE identity (LocalId / RemoteId). Accepted, tried in this order:
 *   ""                 IVPN_ID_NONE: use the gateway's address
 *   IPv4 / IPv6        IVPN_ID_IPV4 / IVPN_ID_IPV6 as ivpn_ip_parse(); text made canonical
 *   "@#" + hex         IVPN_ID_KEY_ID (strongSwan's spelling): an even number of hex digits
 *                      (2..252), text kept with lower-case hex
 *   "@" + FQDN         IVPN_ID_FQDN (strongSwan's way to force FQDN); text is the FQDN alone
 *   local@FQDN         IVPN_ID_RFC822: local part 1..64 printable ASCII characters without
 *                      space, '@', '"', '\\' or ',' ; then an FQDN
 *   FQDN               IVPN_ID_FQDN: dot-separated labels of 1..63 letters, digits and '-'
 *                      not starting or ending with '-', 1..253 characters, no trailing dot,
 *                      the last label not all digits (so "1.2.3" is not a name)
 * Case is kept for names. Internationalised names must be given in their ASCII (punycode)
 * form; other non-ASCII text is refused. At most IVPN_ID_MAX characters. Returns IPSECVPN_OK,
 * IPSECVPN_ERR_CONFIG_LENGTH (too long) or IPSECVPN_ERR_CONFIG_SYNTAX; out untouched on error.
 */
int ivpn_identity_parse(const char *text, ivpn_identity *out);

/* Whether text is an FQDN as accepted above (length given, not NUL-terminated). */
bool ivpn_fqdn_valid(const char *text, size_t len);

#endif
