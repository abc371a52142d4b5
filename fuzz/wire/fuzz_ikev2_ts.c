/* TSi/TSr body codec: decode, and if it decodes, encode, decode again and compare. */
#include "fuzz_util.h"
#include "wire/ikev2_payloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ivpn_ikev2_ts a, b;
static uint8_t enc[4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ipsecvpn_ctx *ctx = fuzz_ctx();
    ivpn_writer w;

    if (ivpn_ikev2_ts_decode(ctx, (ivpn_span){data, size}, &a) != IPSECVPN_OK)
        return 0;
    ivpn_writer_init(&w, enc, sizeof(enc));
    ivpn_ikev2_ts_encode(&w, &a);
    FUZZ_CHECK(ivpn_wr_status(&w) == IPSECVPN_OK);
    /* the only bytes the encoder may change are the 3 reserved ones */
    FUZZ_CHECK(w.len == size && memcmp(enc + 4, data + 4, size - 4) == 0);
    FUZZ_CHECK(ivpn_ikev2_ts_decode(ctx, (ivpn_span){enc, w.len}, &b) == IPSECVPN_OK);
    FUZZ_CHECK(a.count == b.count);
    for (unsigned i = 0; i < a.count; i++) {
        const ivpn_ikev2_selector *s = &a.sel[i], *t = &b.sel[i];
        FUZZ_CHECK(s->type == t->type && s->ip_proto == t->ip_proto);
        FUZZ_CHECK(s->start_port == t->start_port && s->end_port == t->end_port);
        FUZZ_CHECK(memcmp(s->start_addr, t->start_addr, 16) == 0);
        FUZZ_CHECK(memcmp(s->end_addr, t->end_addr, 16) == 0);
    }
    return 0;
}
