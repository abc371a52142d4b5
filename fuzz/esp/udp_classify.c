/*
 * Fuzz harness for UDP encapsulation: classification of a port-4500 payload, stripping a UDP
 * header (IPv4 and IPv6 rules), and the encap -> decap round trip on the same bytes.
 * Invariant violations abort so libFuzzer reports them.
 */
#include <stdlib.h>
#include <string.h>

#include "esp/udp_encap.h"
#include "ipsecvpn/ipsecvpn.h"

static const uint8_t SRC6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t DST6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static void check_classify(const uint8_t *data, size_t size)
{
    size_t off = (size_t)-1;
    int kind = ipsecvpn_udp_classify(data, size, &off);
    switch (kind) {
    case IPSECVPN_UDP_IKE:
        if (off != 4 || size < 32 || memcmp(data, "\0\0\0\0", 4) != 0)
            abort();
        break;
    case IPSECVPN_UDP_ESP:
        if (off != 0 || size < 9 || memcmp(data, "\0\0\0\0", 4) == 0)
            abort();
        break;
    case IPSECVPN_UDP_KEEPALIVE:
        if (off != 1 || size != 1 || data[0] != 0xff)
            abort();
        break;
    case IPSECVPN_ERR_ESP_SHORT:
    case IPSECVPN_ERR_ESP_NOT_ESP:
        if (off != (size_t)-1)
            abort();
        break;
    default:
        abort();
    }
}

static void check_decap(const uint8_t *data, size_t size, size_t addr_len)
{
    size_t off = 0, len = size;
    uint16_t sp, dp;
    int rc = ipsecvpn_udp_decap(data, &off, &len, &sp, &dp, SRC6, DST6, addr_len);
    if (rc == IPSECVPN_OK) {
        if (off != 8 || off + len > size)
            abort();
    } else if (rc != IPSECVPN_ERR_ESP_SHORT && rc != IPSECVPN_ERR_ESP_MALFORMED) {
        abort();
    } else if (off != 0 || len != size) {
        abort();
    }
}

static void check_round_trip(const uint8_t *data, size_t size, size_t addr_len)
{
    static uint8_t buf[8 + 65536];
    if (size > 65535 - 8)
        return;
    memcpy(buf + 8, data, size);
    size_t off = 8, len = size;
    if (ipsecvpn_udp_encap(buf, &off, &len, 4500, 4500, SRC6, DST6, addr_len) != IPSECVPN_OK)
        abort();
    uint16_t sp = 0, dp = 0;
    if (ipsecvpn_udp_decap(buf, &off, &len, &sp, &dp, SRC6, DST6, addr_len) != IPSECVPN_OK)
        abort();
    if (off != 8 || len != size || sp != 4500 || dp != 4500 || memcmp(buf + 8, data, size) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_classify(data, size);
    check_decap(data, size, 4);
    check_decap(data, size, 16);
    check_round_trip(data, size, 4);
    check_round_trip(data, size, 16);
    return 0;
}
