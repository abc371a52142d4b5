/*
 * libFuzzer harness for the address parsers of lib/config/addr.c. The first byte picks the
 * parser (IP, CIDR, identity), the rest is the text. Whatever parses must format to text that
 * parses again to the same value and formats to the same text (canonical form is a fixpoint).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/addr.h"

static void check_ip(const char *s)
{
    ivpn_ip a, b;
    char t1[IVPN_IP_TEXT_MAX], t2[IVPN_IP_TEXT_MAX];
    if (ivpn_ip_parse(s, &a) != IPSECVPN_OK)
        return;
    if (ivpn_ip_format(&a, t1, sizeof(t1)) >= sizeof(t1))
        __builtin_trap();
    if (ivpn_ip_parse(t1, &b) != IPSECVPN_OK || !ivpn_ip_equal(&a, &b))
        __builtin_trap();
    ivpn_ip_format(&b, t2, sizeof(t2));
    if (strcmp(t1, t2) != 0)
        __builtin_trap();
}

static void check_cidr(const char *s)
{
    ivpn_cidr a, b;
    char t1[IVPN_CIDR_TEXT_MAX], t2[IVPN_CIDR_TEXT_MAX];
    if (ivpn_cidr_parse(s, &a) != IPSECVPN_OK)
        return;
    if (ivpn_cidr_format(&a, t1, sizeof(t1)) >= sizeof(t1))
        __builtin_trap();
    if (ivpn_cidr_parse(t1, &b) != IPSECVPN_OK || a.prefix != b.prefix ||
        !ivpn_ip_equal(&a.ip, &b.ip) || !ivpn_cidr_contains(&a, &b.ip))
        __builtin_trap();
    ivpn_cidr_format(&b, t2, sizeof(t2));
    if (strcmp(t1, t2) != 0)
        __builtin_trap();
    ivpn_ip first, last;
    ivpn_cidr_first(&a, &first);
    ivpn_cidr_last(&a, &last);
    if (!ivpn_ip_equal(&first, &a.ip) || !ivpn_cidr_contains(&a, &last))
        __builtin_trap();
}

static void check_identity(const char *s)
{
    ivpn_identity a, b;
    if (ivpn_identity_parse(s, &a) != IPSECVPN_OK)
        return;
    if (ivpn_identity_parse(a.text, &b) != IPSECVPN_OK || a.type != b.type ||
        strcmp(a.text, b.text) != 0)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1024)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    switch (data[0] % 3) {
    case 0:
        check_ip(s);
        break;
    case 1:
        check_cidr(s);
        break;
    default:
        check_identity(s);
        break;
    }
    free(s);
    return 0;
}
