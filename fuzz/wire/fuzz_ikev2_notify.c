/* Notify body codec: decode, and if it decodes, encode (must give the same bytes back),
 * decode again and compare. */
#include "fuzz_util.h"
#include "wire/ikev2_payloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t enc[65536 + 16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ipsecvpn_ctx *ctx = fuzz_ctx();
    ivpn_ikev2_notify a, b;
    ivpn_writer w;

    if (ivpn_ikev2_notify_decode(ctx, (ivpn_span){data, size}, &a) != IPSECVPN_OK)
        return 0;
    (void)ivpn_ikev2_notify_name(a.type);
    ivpn_writer_init(&w, enc, sizeof(enc));
    ivpn_ikev2_notify_encode(&w, &a);
    FUZZ_CHECK(ivpn_wr_status(&w) == IPSECVPN_OK);
    FUZZ_CHECK(w.len == size && memcmp(enc, data, size) == 0);
    FUZZ_CHECK(ivpn_ikev2_notify_decode(ctx, (ivpn_span){enc, w.len}, &b) == IPSECVPN_OK);
    FUZZ_CHECK(a.protocol == b.protocol && a.spi_size == b.spi_size && a.type == b.type);
    FUZZ_CHECK(memcmp(a.spi, b.spi, a.spi_size) == 0 && fuzz_span_eq(a.data, b.data));
    return 0;
}
