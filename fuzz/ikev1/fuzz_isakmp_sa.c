/*
 * ISAKMP SA payload body (DOI, situation, proposals, transforms, attributes). Whatever
 * decodes must encode, decode again to an equal struct, and encode again to the same bytes.
 */
#include "../wire/fuzz_util.h"
#include "wire/isakmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ivpn_isakmp_sa a, b;
static uint8_t enc1[65536], enc2[65536];

static void check_equal(const ivpn_isakmp_sa *x, const ivpn_isakmp_sa *y)
{
    FUZZ_CHECK(x->doi == y->doi && x->situation == y->situation);
    FUZZ_CHECK(x->n_proposals == y->n_proposals);
    for (unsigned i = 0; i < x->n_proposals; i++) {
        const ivpn_isakmp_proposal *p = &x->proposals[i], *q = &y->proposals[i];
        FUZZ_CHECK(p->num == q->num && p->protocol == q->protocol && p->spi_size == q->spi_size);
        FUZZ_CHECK(memcmp(p->spi, q->spi, p->spi_size) == 0);
        FUZZ_CHECK(p->n_transforms == q->n_transforms);
        for (unsigned k = 0; k < p->n_transforms; k++) {
            const ivpn_isakmp_transform *s = &p->transforms[k], *t = &q->transforms[k];
            FUZZ_CHECK(s->num == t->num && s->id == t->id && s->n_attrs == t->n_attrs);
            for (unsigned m = 0; m < s->n_attrs; m++) {
                FUZZ_CHECK(s->attrs[m].type == t->attrs[m].type);
                FUZZ_CHECK(s->attrs[m].basic == t->attrs[m].basic);
                FUZZ_CHECK(s->attrs[m].value == t->attrs[m].value);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ipsecvpn_ctx *ctx = fuzz_ctx();
    ivpn_writer w1, w2;

    if (ivpn_isakmp_sa_decode(ctx, (ivpn_span){data, size}, &a) != IPSECVPN_OK)
        return 0;
    ivpn_writer_init(&w1, enc1, sizeof(enc1));
    ivpn_isakmp_sa_encode(&w1, &a);
    FUZZ_CHECK(ivpn_wr_status(&w1) == IPSECVPN_OK);
    FUZZ_CHECK(ivpn_isakmp_sa_decode(ctx, (ivpn_span){enc1, w1.len}, &b) == IPSECVPN_OK);
    check_equal(&a, &b);
    ivpn_writer_init(&w2, enc2, sizeof(enc2));
    ivpn_isakmp_sa_encode(&w2, &b);
    FUZZ_CHECK(w2.len == w1.len && memcmp(enc1, enc2, w1.len) == 0);
    return 0;
}
