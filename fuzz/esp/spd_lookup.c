/*
 * Fuzz harness for the SPD: the input first describes up to 8 policies (raw policy bytes, so
 * validation sees garbage too), then one packet that is looked up outbound, inbound and
 * checked against a reqid. Every call must return a defined code; nothing may leak.
 *
 * Layout: [n & 7] n × [sizeof(ipsecvpn_spd_policy) bytes] [reqid byte] [packet...]
 */
#include <stdlib.h>
#include <string.h>

#include "ipsecvpn/ipsecvpn.h"

static int is_action(int rc)
{
    return rc == IPSECVPN_SPD_PROTECT || rc == IPSECVPN_SPD_BYPASS ||
           rc == IPSECVPN_SPD_DISCARD;
}

static int is_packet_error(int rc)
{
    return rc == IPSECVPN_ERR_ESP_SHORT || rc == IPSECVPN_ERR_ESP_MALFORMED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ipsecvpn_spd *spd = NULL;
    if (ipsecvpn_spd_new(NULL, &spd) != IPSECVPN_OK)
        return 0;
    size_t pos = 0;
    size_t n = size ? (data[pos++] & 7) : 0;
    size_t added = 0;
    for (size_t i = 0; i < n && size - pos >= sizeof(ipsecvpn_spd_policy); i++) {
        ipsecvpn_spd_policy p;
        memcpy(&p, data + pos, sizeof(p));
        pos += sizeof(p);
        if (p.version & 0x80000000u) /* let half of them through the version check */
            p.version = IPSECVPN_SPD_POLICY_VERSION;
        uint32_t id = 0;
        int rc = ipsecvpn_spd_add(spd, &p, &id);
        if (rc == IPSECVPN_OK) {
            added++;
            ipsecvpn_spd_policy back;
            if (id == 0 || ipsecvpn_spd_get(spd, id, &back) != IPSECVPN_OK)
                abort();
        } else if (rc >= 0) {
            abort();
        }
    }
    if (ipsecvpn_spd_count(spd) != added)
        abort();
    uint32_t reqid = pos < size ? (uint32_t)(data[pos++] % 4) + 1 : 1;
    const uint8_t *pkt = data + pos;
    size_t len = size - pos;

    uint32_t got_reqid, got_id;
    int rc = ipsecvpn_spd_lookup_out(spd, pkt, len, &got_reqid, &got_id);
    if (!is_action(rc) && !is_packet_error(rc) && rc != IPSECVPN_ERR_ESP_NO_POLICY)
        abort();
    rc = ipsecvpn_spd_lookup_in(spd, pkt, len, &got_reqid, &got_id);
    if (!is_action(rc) && !is_packet_error(rc) && rc != IPSECVPN_ERR_ESP_NO_POLICY)
        abort();
    rc = ipsecvpn_spd_check_in(spd, reqid, pkt, len);
    if (rc != IPSECVPN_OK && !is_packet_error(rc) && rc != IPSECVPN_ERR_ESP_SELECTOR &&
        rc != IPSECVPN_ERR_ESP_DISCARD)
        abort();
    size_t removed = 0;
    if (ipsecvpn_spd_remove_reqid(spd, reqid, &removed) != IPSECVPN_OK)
        abort();
    if (ipsecvpn_spd_count(spd) != added - removed)
        abort();
    ipsecvpn_spd_free(spd);
    return 0;
}
