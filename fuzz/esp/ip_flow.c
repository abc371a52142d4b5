/*
 * Fuzz harness for ivpn_ip_flow: any bytes give a defined code, and a parsed flow stays
 * inside the packet. Invariant violations abort so libFuzzer reports them.
 */
#include <stdlib.h>

#include "esp/ip_parse.h"
#include "ipsecvpn/ipsecvpn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ivpn_flow f;
    int rc = ivpn_ip_flow(data, size, &f);
    if (rc == IPSECVPN_OK) {
        if (f.family != IVPN_FLOW_IPV4 && f.family != IVPN_FLOW_IPV6)
            abort();
        if (f.ip_len > size || f.l4_offset > f.ip_len)
            abort();
        if (f.ports_opaque && (f.sport || f.dport || !f.is_fragment))
            abort();
        if ((data[0] >> 4) != f.family)
            abort();
    } else if (rc != IPSECVPN_ERR_ESP_SHORT && rc != IPSECVPN_ERR_ESP_MALFORMED) {
        abort();
    }
    return 0;
}
