/*
 * Payload rules of every IKEv1 message the engine handles (RFC 2409 §5, §5.4, §5.5, §5.7,
 * RFC 3947 for NAT-D/NAT-OA), checked on the payload list before any state changes.
 * One table per message kind in the RFC's notation; the check is a loop over the table.
 *
 * General rules beside the tables:
 *  - VID and N may appear any number of times in every phase-1 message (vendor IDs, and
 *    notifies such as INITIAL-CONTACT or status notifies, ride along anywhere).
 *  - The pre-RFC NAT-T draft numbers (130, 131) count as NAT-D and NAT-OA.
 *  - Any payload type a kind does not list, or an unknown type the chain walk skipped, makes
 *    the message MALFORMED (RFC 2408 §5.1: INVALID-PAYLOAD-TYPE).
 */
#include "wire/isakmp.h"

#define MANY 255

typedef struct payload_rule {
    uint8_t type;
    uint8_t min, max;
} payload_rule;

typedef struct rule_set {
    ivpn_isakmp_msg_kind kind;
    const char *name;
    bool phase1;            /* VID and N allowed in any number */
    bool hash_first;        /* quick mode and encrypted informational (RFC 2409 §5.5, §5.7) */
    bool id_pair;           /* IDci and IDcr: both or neither (RFC 2409 §5.5) */
    bool notify_or_delete;  /* at least one N or D */
    const payload_rule *rules;
    size_t n;
} rule_set;

/* HDR, SA --> and <-- HDR, SA */
static const payload_rule mm_sa[] = {
    {IVPN_ISAKMP_PL_SA, 1, 1},
};
/* HDR, KE, Ni [, NAT-D, NAT-D] -->   <-- HDR, KE, Nr [, NAT-D, NAT-D] */
static const payload_rule mm_ke[] = {
    {IVPN_ISAKMP_PL_KE, 1, 1},
    {IVPN_ISAKMP_PL_NONCE, 1, 1},
    {IVPN_ISAKMP_PL_NATD, 0, MANY},
};
/* HDR*, IDii, HASH_I -->   <-- HDR*, IDir, HASH_R (PSK: no CERT, no SIG) */
static const payload_rule mm_id[] = {
    {IVPN_ISAKMP_PL_ID, 1, 1},
    {IVPN_ISAKMP_PL_HASH, 1, 1},
};
/* HDR, SA, KE, Ni, IDii --> */
static const payload_rule am1[] = {
    {IVPN_ISAKMP_PL_SA, 1, 1},
    {IVPN_ISAKMP_PL_KE, 1, 1},
    {IVPN_ISAKMP_PL_NONCE, 1, 1},
    {IVPN_ISAKMP_PL_ID, 1, 1},
};
/* <-- HDR, SA, KE, Nr, IDir, HASH_R [, NAT-D, NAT-D] */
static const payload_rule am2[] = {
    {IVPN_ISAKMP_PL_SA, 1, 1},
    {IVPN_ISAKMP_PL_KE, 1, 1},
    {IVPN_ISAKMP_PL_NONCE, 1, 1},
    {IVPN_ISAKMP_PL_ID, 1, 1},
    {IVPN_ISAKMP_PL_HASH, 1, 1},
    {IVPN_ISAKMP_PL_NATD, 0, MANY},
};
/* HDR, HASH_I [, NAT-D, NAT-D] --> */
static const payload_rule am3[] = {
    {IVPN_ISAKMP_PL_HASH, 1, 1},
    {IVPN_ISAKMP_PL_NATD, 0, MANY},
};
/* HDR*, HASH(1), SA, Ni [, KE ] [, IDci, IDcr ] [, NAT-OAi, NAT-OAr] -->
 * <-- HDR*, HASH(2), SA, Nr [, KE ] [, IDci, IDcr ] [, NAT-OAi, NAT-OAr]
 * plus status notifies such as RESPONDER-LIFETIME (RFC 2407 §4.6.3.1). */
static const payload_rule qm_sa[] = {
    {IVPN_ISAKMP_PL_HASH, 1, 1},
    {IVPN_ISAKMP_PL_SA, 1, 1},
    {IVPN_ISAKMP_PL_NONCE, 1, 1},
    {IVPN_ISAKMP_PL_KE, 0, 1},
    {IVPN_ISAKMP_PL_ID, 0, 2},
    {IVPN_ISAKMP_PL_NATOA, 0, 2},
    {IVPN_ISAKMP_PL_N, 0, MANY},
};
/* HDR*, HASH(3) --> */
static const payload_rule qm3[] = {
    {IVPN_ISAKMP_PL_HASH, 1, 1},
};
/* HDR*, HASH(1), N/D --> (RFC 2409 §5.7) */
static const payload_rule info[] = {
    {IVPN_ISAKMP_PL_HASH, 1, 1},
    {IVPN_ISAKMP_PL_N, 0, MANY},
    {IVPN_ISAKMP_PL_D, 0, MANY},
};
/* HDR, N [, VID] --> before an ISAKMP SA exists (e.g. NO-PROPOSAL-CHOSEN) */
static const payload_rule info_plain[] = {
    {IVPN_ISAKMP_PL_N, 1, MANY},
    {IVPN_ISAKMP_PL_VID, 0, MANY},
};

#define SET(kind, name, p1, hash, idp, nd, tbl) \
    {kind, name, p1, hash, idp, nd, tbl, sizeof(tbl) / sizeof(tbl[0])}

static const rule_set rule_sets[] = {
    SET(IVPN_V1_MSG_MM1, "main mode message 1", true, false, false, false, mm_sa),
    SET(IVPN_V1_MSG_MM2, "main mode message 2", true, false, false, false, mm_sa),
    SET(IVPN_V1_MSG_MM3, "main mode message 3", true, false, false, false, mm_ke),
    SET(IVPN_V1_MSG_MM4, "main mode message 4", true, false, false, false, mm_ke),
    SET(IVPN_V1_MSG_MM5, "main mode message 5", true, false, false, false, mm_id),
    SET(IVPN_V1_MSG_MM6, "main mode message 6", true, false, false, false, mm_id),
    SET(IVPN_V1_MSG_AM1, "aggressive mode message 1", true, false, false, false, am1),
    SET(IVPN_V1_MSG_AM2, "aggressive mode message 2", true, false, false, false, am2),
    SET(IVPN_V1_MSG_AM3, "aggressive mode message 3", true, false, false, false, am3),
    SET(IVPN_V1_MSG_QM1, "quick mode message 1", false, true, true, false, qm_sa),
    SET(IVPN_V1_MSG_QM2, "quick mode message 2", false, true, true, false, qm_sa),
    SET(IVPN_V1_MSG_QM3, "quick mode message 3", false, true, false, false, qm3),
    SET(IVPN_V1_MSG_INFO, "informational message", false, true, false, true, info),
    SET(IVPN_V1_MSG_INFO_PLAIN, "unencrypted informational message", false, false, false,
        true, info_plain),
};

#define MAX_RULES 8
#define FAIL(...) do { IVPN_LOG_WARN(ctx, "IKEv1 " __VA_ARGS__); return IPSECVPN_ERR_IKE_MALFORMED; } while (0)

static uint8_t canonical_type(uint8_t type)
{
    switch (type) {
    case IVPN_ISAKMP_PL_NATD_DRAFT: return IVPN_ISAKMP_PL_NATD;
    case IVPN_ISAKMP_PL_NATOA_DRAFT: return IVPN_ISAKMP_PL_NATOA;
    default: return type;
    }
}

static const rule_set *find_set(ivpn_isakmp_msg_kind kind)
{
    for (size_t i = 0; i < sizeof(rule_sets) / sizeof(rule_sets[0]); i++)
        if (rule_sets[i].kind == kind)
            return &rule_sets[i];
    return NULL;
}

static bool always_allowed(const rule_set *rs, uint8_t type)
{
    return rs->phase1 && (type == IVPN_ISAKMP_PL_VID || type == IVPN_ISAKMP_PL_N);
}

int ivpn_isakmp_rules_check(const ipsecvpn_ctx *ctx, ivpn_isakmp_msg_kind kind,
                            const ivpn_isakmp_payload_list *l)
{
    unsigned counts[MAX_RULES] = {0};
    unsigned id_count = 0, n_or_d = 0;
    const rule_set *rs = find_set(kind);

    if (!l)
        return IPSECVPN_ERR_INVALID_ARG;
    if (!rs)
        FAIL("no payload rules for message kind %d", (int)kind);
    if (rs->n > MAX_RULES)
        return IPSECVPN_ERR_INTERNAL;
    if (l->skipped_unknown)
        FAIL("%s: %u payload(s) of unknown type", rs->name, l->skipped_unknown);
    if (l->count > IVPN_ISAKMP_MAX_PAYLOADS)
        return IPSECVPN_ERR_INVALID_ARG;

    for (unsigned i = 0; i < l->count; i++) {
        uint8_t type = canonical_type(l->items[i].type);
        size_t k;
        for (k = 0; k < rs->n && rs->rules[k].type != type; k++)
            ;
        if (k < rs->n)
            counts[k]++;
        else if (!always_allowed(rs, type))
            FAIL("%s: %s payload not allowed", rs->name,
                 ivpn_isakmp_payload_name(l->items[i].type));
        id_count += type == IVPN_ISAKMP_PL_ID;
        n_or_d += type == IVPN_ISAKMP_PL_N || type == IVPN_ISAKMP_PL_D;
    }
    for (size_t k = 0; k < rs->n; k++) {
        const payload_rule *r = &rs->rules[k];
        if (counts[k] < r->min)
            FAIL("%s: %s payload missing", rs->name, ivpn_isakmp_payload_name(r->type));
        if (counts[k] > r->max)
            FAIL("%s: %u %s payloads, at most %u", rs->name, counts[k],
                 ivpn_isakmp_payload_name(r->type), r->max);
    }
    if (rs->hash_first && (l->count == 0 || l->items[0].type != IVPN_ISAKMP_PL_HASH))
        FAIL("%s: HASH is not the first payload", rs->name);
    if (rs->id_pair && id_count != 0 && id_count != 2)
        FAIL("%s: %u ID payloads, IDci and IDcr come as a pair", rs->name, id_count);
    if (rs->notify_or_delete && n_or_d == 0)
        FAIL("%s: neither N nor D", rs->name);
    return IPSECVPN_OK;
}
