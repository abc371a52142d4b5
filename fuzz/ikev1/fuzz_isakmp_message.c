/*
 * ISAKMP datagram and payload chain. The input is read two ways, so both real datagrams and
 * decrypted inner chains (seed files inner_*: first payload type, then the chain) exercise
 * everything:
 *  1. as a datagram: header, then the chain up to the header's Length;
 *  2. as byte 0 = first payload type, the rest = a chain.
 * Each chain is walked with and without allow_trailing; every payload found goes through its
 * body decoder (and decoded bodies are re-encoded and decoded again), and the list through
 * the rules of every message kind.
 */
#include "../wire/fuzz_util.h"
#include "wire/isakmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ivpn_isakmp_sa sa;
static uint8_t enc[65536];

static void reencode_id(const ipsecvpn_ctx *ctx, const ivpn_isakmp_id *id)
{
    ivpn_writer w;
    ivpn_isakmp_id again;
    ivpn_writer_init(&w, enc, sizeof(enc));
    ivpn_isakmp_id_encode(&w, id);
    FUZZ_CHECK(ivpn_wr_status(&w) == IPSECVPN_OK);
    FUZZ_CHECK(ivpn_isakmp_id_decode(ctx, (ivpn_span){enc, w.len}, &again) == IPSECVPN_OK);
    FUZZ_CHECK(again.type == id->type && again.protocol == id->protocol &&
               again.port == id->port && fuzz_span_eq(again.data, id->data));
}

static void reencode_notify(const ipsecvpn_ctx *ctx, const ivpn_isakmp_notify *n)
{
    ivpn_writer w;
    ivpn_isakmp_notify again;
    ivpn_writer_init(&w, enc, sizeof(enc));
    ivpn_isakmp_notify_encode(&w, n);
    FUZZ_CHECK(ivpn_wr_status(&w) == IPSECVPN_OK);
    FUZZ_CHECK(ivpn_isakmp_notify_decode(ctx, (ivpn_span){enc, w.len}, &again) == IPSECVPN_OK);
    FUZZ_CHECK(again.doi == n->doi && again.protocol == n->protocol &&
               again.spi_size == n->spi_size && again.type == n->type &&
               memcmp(again.spi, n->spi, n->spi_size) == 0 && fuzz_span_eq(again.data, n->data));
}

static void reencode_delete(const ipsecvpn_ctx *ctx, const ivpn_isakmp_delete *d)
{
    ivpn_writer w;
    ivpn_isakmp_delete again;
    ivpn_writer_init(&w, enc, sizeof(enc));
    ivpn_isakmp_delete_encode(&w, d);
    if (d->n_spis > IVPN_ISAKMP_MAX_DELETE_SPIS) {
        FUZZ_CHECK(ivpn_wr_status(&w) == IPSECVPN_ERR_INVALID_ARG);
        return;
    }
    FUZZ_CHECK(ivpn_wr_status(&w) == IPSECVPN_OK);
    FUZZ_CHECK(ivpn_isakmp_delete_decode(ctx, (ivpn_span){enc, w.len}, &again) == IPSECVPN_OK);
    FUZZ_CHECK(memcmp(&again, d, sizeof(again)) == 0);
}

static void decode_bodies(const ipsecvpn_ctx *ctx, const ivpn_isakmp_payload_list *l)
{
    for (unsigned i = 0; i < l->count; i++) {
        const ivpn_isakmp_payload_ref *p = &l->items[i];
        ivpn_isakmp_id id;
        ivpn_isakmp_notify n;
        ivpn_isakmp_delete d;
        FUZZ_CHECK(p->whole.len == p->body.len + 4 && p->whole.p + 4 == p->body.p);
        switch (p->type) {
        case IVPN_ISAKMP_PL_SA:
            (void)ivpn_isakmp_sa_decode(ctx, p->body, &sa);
            break;
        case IVPN_ISAKMP_PL_ID:
            if (ivpn_isakmp_id_decode(ctx, p->body, &id) == IPSECVPN_OK)
                reencode_id(ctx, &id);
            break;
        case IVPN_ISAKMP_PL_N:
            if (ivpn_isakmp_notify_decode(ctx, p->body, &n) == IPSECVPN_OK)
                reencode_notify(ctx, &n);
            break;
        case IVPN_ISAKMP_PL_D:
            if (ivpn_isakmp_delete_decode(ctx, p->body, &d) == IPSECVPN_OK)
                reencode_delete(ctx, &d);
            break;
        case IVPN_ISAKMP_PL_NONCE: (void)ivpn_isakmp_nonce_check(ctx, p->body); break;
        case IVPN_ISAKMP_PL_HASH: (void)ivpn_isakmp_hash_check(ctx, p->body); break;
        case IVPN_ISAKMP_PL_KE: (void)ivpn_isakmp_ke_check(ctx, p->body); break;
        default: break;
        }
    }
    for (int k = IVPN_V1_MSG_MM1; k <= IVPN_V1_MSG_INFO_PLAIN; k++)
        (void)ivpn_isakmp_rules_check(ctx, (ivpn_isakmp_msg_kind)k, l);
}

static void walk_both(const ipsecvpn_ctx *ctx, uint8_t first, const uint8_t *p, size_t len)
{
    static ivpn_isakmp_payload_list strict, loose;
    int rs = ivpn_isakmp_chain_walk(ctx, first, p, len, false, &strict);
    int rl = ivpn_isakmp_chain_walk(ctx, first, p, len, true, &loose);
    /* Whatever walks exactly also walks with trailing bytes allowed, to the same list. */
    if (rs == IPSECVPN_OK) {
        FUZZ_CHECK(rl == IPSECVPN_OK && loose.count == strict.count);
        decode_bodies(ctx, &strict);
    }
    if (rl == IPSECVPN_OK)
        decode_bodies(ctx, &loose);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ipsecvpn_ctx *ctx = fuzz_ctx();
    ivpn_isakmp_header h;

    if (ivpn_isakmp_header_decode(ctx, data, size, &h) == IPSECVPN_OK) {
        FUZZ_CHECK(h.length >= IVPN_ISAKMP_HEADER_LEN && h.length <= size);
        walk_both(ctx, h.next_payload, data + IVPN_ISAKMP_HEADER_LEN,
                  h.length - IVPN_ISAKMP_HEADER_LEN);
    }
    if (size >= 1)
        walk_both(ctx, data[0], data + 1, size - 1);
    return 0;
}
