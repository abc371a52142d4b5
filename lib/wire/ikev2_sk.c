/*
 * Encrypted payload SK, RFC 7296 §3.14 (body after the generic header):
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |  <- generic header:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+     Next Payload = first
 * |                     Initialization Vector                     |     inner payload
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Encrypted IKE Payloads                     ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Encrypted fragment SKF, RFC 7383 §2.5: the same, with two numbers before the IV:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Fragment Number        |        Total Fragments        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Only fragment 1 names the first inner payload; the others carry 0 there.
 *
 * IV, padding and ICV sizes depend on the negotiated cipher, so splitting them is the
 * engine's job; this codec only exposes the encrypted span.
 */
#include "wire/ikev2_payloads.h"

int ivpn_ikev2_sk_decode(const ipsecvpn_ctx *ctx, ivpn_span body, uint8_t first_inner,
                         ivpn_ikev2_sk *out)
{
    out->first_inner = first_inner;
    out->frag_num = out->frag_total = 0;
    out->encrypted = body;
    if (body.len == 0) {
        IVPN_LOG_WARN(ctx, "IKEv2 SK: empty encrypted payload");
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    return IPSECVPN_OK;
}

int ivpn_ikev2_skf_decode(const ipsecvpn_ctx *ctx, ivpn_span body, uint8_t first_inner,
                          ivpn_ikev2_sk *out)
{
    ivpn_reader r;
    ivpn_reader_init_span(&r, body);
    out->first_inner = first_inner;
    out->frag_num = ivpn_rd_u16(&r);
    out->frag_total = ivpn_rd_u16(&r);
    out->encrypted = ivpn_rd_rest(&r);
    if (ivpn_rd_failed(&r) || out->encrypted.len == 0) {
        IVPN_LOG_WARN(ctx, "IKEv2 SKF: body of %zu bytes holds no encrypted data", body.len);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    /* RFC 7383 §2.6: number 1..total; only the first fragment names the inner payload. */
    if (out->frag_num == 0 || out->frag_num > out->frag_total ||
        (out->frag_num == 1) != (first_inner != IVPN_IKEV2_PL_NONE)) {
        IVPN_LOG_WARN(ctx, "IKEv2 SKF: fragment %u of %u with first payload %u", out->frag_num,
                      out->frag_total, first_inner);
        return IPSECVPN_ERR_IKE_MALFORMED;
    }
    return IPSECVPN_OK;
}

void ivpn_ikev2_skf_encode_numbers(ivpn_writer *w, const ivpn_ikev2_sk *sk)
{
    ivpn_wr_u16(w, sk->frag_num);
    ivpn_wr_u16(w, sk->frag_total);
}

void ivpn_ikev2_sk_encode(ivpn_writer *w, const ivpn_ikev2_sk *sk)
{
    if (sk->frag_num != 0)
        ivpn_ikev2_skf_encode_numbers(w, sk);
    ivpn_wr_bytes(w, sk->encrypted.p, sk->encrypted.len);
}
