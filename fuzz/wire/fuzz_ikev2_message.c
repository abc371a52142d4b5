/*
 * The whole IKEv2 message decoder: header, outer chain, payload rules, every body. When the
 * message carries SK, its encrypted bytes are also treated as if decryption were the
 * identity, so the inner chain walk, inner rules and inner bodies are fuzzed from the same
 * input.
 */
#include "fuzz_util.h"
#include "wire/ikev2_bodies.h"
#include "wire/ikev2_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ivpn_ikev2_bodies bodies;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ipsecvpn_ctx *ctx = fuzz_ctx();
    ivpn_ikev2_header h;
    ivpn_ikev2_payload_list outer, inner;
    bool resp;

    if (ivpn_ikev2_message_parse(ctx, data, size, &h, &outer) != IPSECVPN_OK)
        return 0;
    resp = ivpn_ikev2_is_response(&h);
    if (ivpn_ikev2_check_rules(ctx, h.exchange, resp, &outer, NULL) != IPSECVPN_OK)
        return 0;
    if (ivpn_ikev2_decode_bodies(ctx, &outer, resp, &bodies) != IPSECVPN_OK)
        return 0;
    if (!(bodies.present & IVPN_IKEV2_HAS_SK) || bodies.sk.frag_num > 1)
        return 0;
    if (ivpn_ikev2_chain_walk(ctx, bodies.sk.first_inner, bodies.sk.encrypted.p,
                              bodies.sk.encrypted.len, false, &inner) != IPSECVPN_OK)
        return 0;
    if (ivpn_ikev2_check_rules(ctx, h.exchange, resp, &outer, &inner) != IPSECVPN_OK)
        return 0;
    (void)ivpn_ikev2_decode_bodies(ctx, &inner, resp, &bodies);
    return 0;
}
