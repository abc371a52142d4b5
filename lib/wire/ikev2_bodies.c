/* Phase 2: decode every payload body of a chain (see ikev2_bodies.h). */
#include "wire/ikev2_bodies.h"

#include <string.h>

/* Payloads with one slot: which bit marks them, so a second copy is caught. */
static uint32_t single_bit(uint8_t type)
{
    switch (type) {
    case IVPN_IKEV2_PL_SA: return IVPN_IKEV2_HAS_SA;
    case IVPN_IKEV2_PL_KE: return IVPN_IKEV2_HAS_KE;
    case IVPN_IKEV2_PL_NONCE: return IVPN_IKEV2_HAS_NONCE;
    case IVPN_IKEV2_PL_IDI: return IVPN_IKEV2_HAS_IDI;
    case IVPN_IKEV2_PL_IDR: return IVPN_IKEV2_HAS_IDR;
    case IVPN_IKEV2_PL_AUTH: return IVPN_IKEV2_HAS_AUTH;
    case IVPN_IKEV2_PL_TSI: return IVPN_IKEV2_HAS_TSI;
    case IVPN_IKEV2_PL_TSR: return IVPN_IKEV2_HAS_TSR;
    case IVPN_IKEV2_PL_CP: return IVPN_IKEV2_HAS_CP;
    case IVPN_IKEV2_PL_SK:
    case IVPN_IKEV2_PL_SKF: return IVPN_IKEV2_HAS_SK;
    default: return 0;
    }
}

static int decode_one(const ipsecvpn_ctx *ctx, const ivpn_ikev2_payload_list *list,
                      const ivpn_ikev2_payload_ref *p, bool is_response, ivpn_ikev2_bodies *out)
{
    switch (p->type) {
    case IVPN_IKEV2_PL_SA: return ivpn_ikev2_sa_decode(ctx, p->body, is_response, &out->sa);
    case IVPN_IKEV2_PL_KE: return ivpn_ikev2_ke_decode(ctx, p->body, &out->ke);
    case IVPN_IKEV2_PL_NONCE: return ivpn_ikev2_nonce_decode(ctx, p->body, &out->nonce);
    case IVPN_IKEV2_PL_IDI: return ivpn_ikev2_id_decode(ctx, p->body, &out->idi);
    case IVPN_IKEV2_PL_IDR: return ivpn_ikev2_id_decode(ctx, p->body, &out->idr);
    case IVPN_IKEV2_PL_AUTH: return ivpn_ikev2_auth_decode(ctx, p->body, &out->auth);
    case IVPN_IKEV2_PL_TSI: return ivpn_ikev2_ts_decode(ctx, p->body, &out->tsi);
    case IVPN_IKEV2_PL_TSR: return ivpn_ikev2_ts_decode(ctx, p->body, &out->tsr);
    case IVPN_IKEV2_PL_CP: return ivpn_ikev2_cp_decode(ctx, p->body, &out->cp);
    case IVPN_IKEV2_PL_SK:
        return ivpn_ikev2_sk_decode(ctx, p->body, list->sk_first_inner, &out->sk);
    case IVPN_IKEV2_PL_SKF:
        return ivpn_ikev2_skf_decode(ctx, p->body, list->sk_first_inner, &out->sk);
    /* The list holds at most IVPN_IKEV2_MAX_PAYLOADS entries, so the arrays cannot fill. */
    case IVPN_IKEV2_PL_NOTIFY:
        return ivpn_ikev2_notify_decode(ctx, p->body, &out->notify[out->n_notify++]);
    case IVPN_IKEV2_PL_DELETE:
        return ivpn_ikev2_delete_decode(ctx, p->body, &out->del[out->n_delete++]);
    case IVPN_IKEV2_PL_VENDOR:
        return ivpn_ikev2_vendor_decode(ctx, p->body, &out->vendor[out->n_vendor++]);
    default: /* CERT, CERTREQ, EAP: kept as spans in the list */
        return IPSECVPN_OK;
    }
}

int ivpn_ikev2_decode_bodies(const ipsecvpn_ctx *ctx, const ivpn_ikev2_payload_list *list,
                             bool is_response, ivpn_ikev2_bodies *out)
{
    memset(out, 0, sizeof(*out));
    if (list->count > IVPN_IKEV2_MAX_PAYLOADS)
        return IPSECVPN_ERR_INVALID_ARG;
    for (unsigned i = 0; i < list->count; i++) {
        const ivpn_ikev2_payload_ref *p = &list->items[i];
        uint32_t bit = single_bit(p->type);
        int rc;
        if (bit & out->present) {
            IVPN_LOG_WARN(ctx, "IKEv2: second %s payload", ivpn_ikev2_payload_name(p->type));
            return IPSECVPN_ERR_IKE_MALFORMED;
        }
        rc = decode_one(ctx, list, p, is_response, out);
        if (rc != IPSECVPN_OK)
            return rc;
        out->present |= bit;
    }
    return IPSECVPN_OK;
}

const ivpn_ikev2_notify *ivpn_ikev2_bodies_notify(const ivpn_ikev2_bodies *b, uint16_t type)
{
    for (unsigned i = 0; i < b->n_notify; i++)
        if (b->notify[i].type == type)
            return &b->notify[i];
    return NULL;
}
