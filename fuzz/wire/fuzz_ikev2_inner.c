/*
 * A decrypted inner payload chain with its context. Input: exchange type, is_response,
 * first inner payload type, then the chain (the format of fuzz/corpus/ikev2_inner/, whose
 * seeds are real strongSwan inner chains). Walk, rules against an outer list of one SK,
 * bodies.
 */
#include "fuzz_util.h"
#include "wire/ikev2_bodies.h"
#include "wire/ikev2_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ivpn_ikev2_bodies bodies;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ipsecvpn_ctx *ctx = fuzz_ctx();
    ivpn_ikev2_payload_list outer, inner;
    bool resp;

    if (size < 3)
        return 0;
    resp = data[1] & 1;
    memset(&outer, 0, sizeof(outer));
    outer.count = 1;
    outer.items[0].type = IVPN_IKEV2_PL_SK;
    if (ivpn_ikev2_chain_walk(ctx, data[2], data + 3, size - 3, false, &inner) != IPSECVPN_OK)
        return 0;
    if (ivpn_ikev2_check_rules(ctx, data[0], resp, &outer, &inner) != IPSECVPN_OK)
        return 0;
    (void)ivpn_ikev2_decode_bodies(ctx, &inner, resp, &bodies);
    return 0;
}
