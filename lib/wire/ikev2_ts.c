/*
 * Traffic Selector payloads TSi and TSr, RFC 7296 §3.13 (body after the generic header):
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Number of TSs |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       <Traffic Selectors>                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Traffic selector (§3.13.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Start Port*         |           End Port*           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Starting Address*                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Ending Address*                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Selector Length is 16 for TS_IPV4_ADDR_RANGE and 40 for TS_IPV6_ADDR_RANGE. Start > end
 * is legal (§3.13.1 uses it for OPAQUE ports), so ranges are not ordered-checked here.
 * Other TS types (e.g. RFC 4595 Fibre Channel) are rejected: we could not narrow them.
 */
#include <string.h>

#include "wire/ikev2_payloads.h"

#define SELECTOR_FIXED_LEN 8

#define BAD(...) do { IVPN_LOG_WARN(ctx, "IKEv2 TS: " __VA_ARGS__); return IPSECVPN_ERR_IKE_MALFORMED; } while (0)

int ivpn_ikev2_ts_decode(const ipsecvpn_ctx *ctx, ivpn_span body, ivpn_ikev2_ts *out)
{
    ivpn_reader r;
    uint8_t declared;

    memset(out, 0, sizeof(*out));
    ivpn_reader_init_span(&r, body);
    declared = ivpn_rd_u8(&r);
    ivpn_rd_skip(&r, 3);
    if (ivpn_rd_failed(&r))
        BAD("body of %zu bytes is shorter than 4", body.len);
    if (declared == 0)
        BAD("no traffic selector");
    if (declared > IVPN_IKEV2_MAX_SELECTORS)
        BAD("%u traffic selectors, at most %d supported", declared, IVPN_IKEV2_MAX_SELECTORS);
    for (unsigned i = 0; i < declared; i++) {
        ivpn_ikev2_selector *s = &out->sel[i];
        uint16_t slen;
        uint8_t alen;

        s->type = ivpn_rd_u8(&r);
        s->ip_proto = ivpn_rd_u8(&r);
        slen = ivpn_rd_u16(&r);
        if (ivpn_rd_failed(&r))
            BAD("selector %u cut short", i);
        alen = ivpn_ikev2_ts_addr_len(s->type);
        if (alen == 0)
            BAD("selector %u has unsupported type %u", i, s->type);
        if (slen != SELECTOR_FIXED_LEN + 2 * alen)
            BAD("selector %u of type %u has length %u", i, s->type, slen);
        s->start_port = ivpn_rd_u16(&r);
        s->end_port = ivpn_rd_u16(&r);
        ivpn_rd_copy(&r, s->start_addr, alen);
        ivpn_rd_copy(&r, s->end_addr, alen);
        if (ivpn_rd_failed(&r))
            BAD("selector %u passes the payload", i);
        out->count++;
    }
    if (ivpn_rd_remaining(&r) != 0)
        BAD("%zu bytes after %u selectors", ivpn_rd_remaining(&r), declared);
    return IPSECVPN_OK;
}

void ivpn_ikev2_ts_encode(ivpn_writer *w, const ivpn_ikev2_ts *ts)
{
    if (ts->count == 0 || ts->count > IVPN_IKEV2_MAX_SELECTORS) {
        ivpn_wr_fail(w, IPSECVPN_ERR_INVALID_ARG);
        return;
    }
    ivpn_wr_u8(w, ts->count);
    ivpn_wr_zeros(w, 3);
    for (unsigned i = 0; i < ts->count; i++) {
        const ivpn_ikev2_selector *s = &ts->sel[i];
        uint8_t alen = ivpn_ikev2_ts_addr_len(s->type);
        if (alen == 0) {
            ivpn_wr_fail(w, IPSECVPN_ERR_INVALID_ARG);
            return;
        }
        ivpn_wr_u8(w, s->type);
        ivpn_wr_u8(w, s->ip_proto);
        ivpn_wr_u16(w, (uint16_t)(SELECTOR_FIXED_LEN + 2 * alen));
        ivpn_wr_u16(w, s->start_port);
        ivpn_wr_u16(w, s->end_port);
        ivpn_wr_bytes(w, s->start_addr, alen);
        ivpn_wr_bytes(w, s->end_addr, alen);
    }
}
