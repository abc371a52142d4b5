/*
 * The remaining small IKEv2 body codecs (KE, ID, AUTH, Nonce, Delete, Vendor ID, CP, SKF).
 * Input: first byte = payload type, then the body. Whatever decodes must encode to bytes that
 * decode again and re-encode identically.
 */
#include "fuzz_util.h"
#include "wire/ikev2_payloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t enc1[65536 + 16], enc2[65536 + 16];

/* Decode `in`; on success encode into w. Returns the decode result. */
static int round_trip(uint8_t type, ivpn_span in, ivpn_writer *w)
{
    const ipsecvpn_ctx *ctx = fuzz_ctx();
    int rc;
    union {
        ivpn_ikev2_ke ke;
        ivpn_ikev2_id id;
        ivpn_ikev2_auth auth;
        ivpn_ikev2_nonce nonce;
        ivpn_ikev2_delete del;
        ivpn_ikev2_vendor v;
        ivpn_ikev2_cp cp;
        ivpn_ikev2_sk sk;
    } u;
    switch (type) {
    case IVPN_IKEV2_PL_KE:
        if ((rc = ivpn_ikev2_ke_decode(ctx, in, &u.ke)) == 0) ivpn_ikev2_ke_encode(w, &u.ke);
        return rc;
    case IVPN_IKEV2_PL_IDI:
    case IVPN_IKEV2_PL_IDR:
        if ((rc = ivpn_ikev2_id_decode(ctx, in, &u.id)) == 0) ivpn_ikev2_id_encode(w, &u.id);
        return rc;
    case IVPN_IKEV2_PL_AUTH:
        if ((rc = ivpn_ikev2_auth_decode(ctx, in, &u.auth)) == 0) ivpn_ikev2_auth_encode(w, &u.auth);
        return rc;
    case IVPN_IKEV2_PL_NONCE:
        if ((rc = ivpn_ikev2_nonce_decode(ctx, in, &u.nonce)) == 0) ivpn_ikev2_nonce_encode(w, &u.nonce);
        return rc;
    case IVPN_IKEV2_PL_DELETE:
        if ((rc = ivpn_ikev2_delete_decode(ctx, in, &u.del)) == 0) {
            for (uint16_t i = 0; i < u.del.n_spis; i++)
                (void)ivpn_ikev2_delete_spi(&u.del, i);
            ivpn_ikev2_delete_encode(w, &u.del);
        }
        return rc;
    case IVPN_IKEV2_PL_VENDOR:
        if ((rc = ivpn_ikev2_vendor_decode(ctx, in, &u.v)) == 0) ivpn_ikev2_vendor_encode(w, &u.v);
        return rc;
    case IVPN_IKEV2_PL_CP:
        if ((rc = ivpn_ikev2_cp_decode(ctx, in, &u.cp)) == 0) ivpn_ikev2_cp_encode(w, &u.cp);
        return rc;
    case IVPN_IKEV2_PL_SKF:
        /* first inner type from the first encrypted byte, so both SKF rules get exercised */
        if ((rc = ivpn_ikev2_skf_decode(ctx, in, in.len > 4 ? in.p[4] : 0, &u.sk)) == 0) {
            ivpn_ikev2_skf_encode_numbers(w, &u.sk);
            ivpn_wr_bytes(w, u.sk.encrypted.p, u.sk.encrypted.len);
        }
        return rc;
    default:
        return -1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ivpn_writer w1, w2;
    if (size < 1)
        return 0;
    ivpn_writer_init(&w1, enc1, sizeof(enc1));
    if (round_trip(data[0], (ivpn_span){data + 1, size - 1}, &w1) != IPSECVPN_OK)
        return 0;
    FUZZ_CHECK(ivpn_wr_status(&w1) == IPSECVPN_OK);
    ivpn_writer_init(&w2, enc2, sizeof(enc2));
    FUZZ_CHECK(round_trip(data[0], (ivpn_span){enc1, w1.len}, &w2) == IPSECVPN_OK);
    FUZZ_CHECK(ivpn_wr_status(&w2) == IPSECVPN_OK);
    FUZZ_CHECK(w1.len == w2.len && memcmp(enc1, enc2, w1.len) == 0);
    return 0;
}
