/*
 * SA payload body codec. Input: first byte's low bit = is_response, then the body.
 * Whatever decodes must encode, decode again to the same proposals and transforms, and
 * encode again to the same bytes. (Unknown attributes are not re-encoded, so only that flag
 * may differ.)
 */
#include "fuzz_util.h"
#include "wire/ikev2_payloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ivpn_ikev2_sa a, b;
static uint8_t enc1[65536], enc2[65536];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ipsecvpn_ctx *ctx = fuzz_ctx();
    ivpn_writer w1, w2;
    bool resp;

    if (size < 1)
        return 0;
    resp = data[0] & 1;
    if (ivpn_ikev2_sa_decode(ctx, (ivpn_span){data + 1, size - 1}, resp, &a) != IPSECVPN_OK)
        return 0;
    ivpn_writer_init(&w1, enc1, sizeof(enc1));
    ivpn_ikev2_sa_encode(&w1, &a);
    FUZZ_CHECK(ivpn_wr_status(&w1) == IPSECVPN_OK);
    FUZZ_CHECK(ivpn_ikev2_sa_decode(ctx, (ivpn_span){enc1, w1.len}, resp, &b) == IPSECVPN_OK);
    FUZZ_CHECK(a.n_proposals == b.n_proposals && a.n_transforms == b.n_transforms);
    for (unsigned i = 0; i < a.n_proposals; i++) {
        const ivpn_ikev2_proposal *p = &a.proposals[i], *q = &b.proposals[i];
        FUZZ_CHECK(p->num == q->num && p->protocol == q->protocol && p->spi_size == q->spi_size);
        FUZZ_CHECK(memcmp(p->spi, q->spi, p->spi_size) == 0);
        FUZZ_CHECK(p->first == q->first && p->count == q->count);
    }
    for (unsigned i = 0; i < a.n_transforms; i++) {
        const ivpn_ikev2_transform *s = &a.transforms[i], *t = &b.transforms[i];
        FUZZ_CHECK(s->type == t->type && s->id == t->id && s->has_key_len == t->has_key_len);
        FUZZ_CHECK(!s->has_key_len || s->key_len == t->key_len);
        FUZZ_CHECK(!t->unknown_attr);
    }
    ivpn_writer_init(&w2, enc2, sizeof(enc2));
    ivpn_ikev2_sa_encode(&w2, &b);
    FUZZ_CHECK(w2.len == w1.len && memcmp(enc1, enc2, w1.len) == 0);
    return 0;
}
