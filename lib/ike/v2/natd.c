/*
 * NAT detection (RFC 7296 §2.23): SHA-1(SPIi | SPIr | IP address | port), with the SPIs as
 * they appear in the header of the message that carries the notify.
 */
#include <string.h>

#include "crypto/crypto.h"
#include "ike/v2/v2_internal.h"

int ivpn_ikev2_natd_hash(const uint8_t spi_i[8], const uint8_t spi_r[8],
                         const ipsecvpn_endpoint *ep, uint8_t out[IVPN_NATD_LEN])
{
    uint8_t port[2] = { (uint8_t)(ep->port >> 8), (uint8_t)ep->port };
    const ivpn_buf_ref pieces[] = {
        {spi_i, 8},
        {spi_r, 8},
        {ep->addr.bytes, ep->addr.family == IPSECVPN_IPV6 ? 16 : 4},
        {port, 2},
    };
    return ivpn_hash_multi(IPSECVPN_PRF_HMAC_SHA1, pieces, 4, out);
}
