/*
 * The payload rule tables (see ikev2_rules.h). One table per exchange and direction, in the
 * RFC's own notation above each; checking is a loop over the table, not code per exchange.
 */
#include "wire/ikev2_rules.h"

#include "wire/ikev2_payloads.h"

#define MANY 255

enum where { OUTER, INNER };

typedef struct payload_rule {
    uint8_t type;
    uint8_t min, max;
    uint8_t where;
    uint8_t group; /* non-zero: payloads of one group are all present or all absent */
} payload_rule;

typedef struct rule_set {
    uint8_t exchange;
    uint8_t variant;
    bool response;
    bool encrypted; /* everything but SK/SKF inside SK */
    const char *name;
    const payload_rule *rules;
    size_t n;
} rule_set;

/* HDR, SAi1, KEi, Ni, [N+], [V+] --> */
static const payload_rule init_req[] = {
    {IVPN_IKEV2_PL_SA, 1, 1, OUTER, 0},
    {IVPN_IKEV2_PL_KE, 1, 1, OUTER, 0},
    {IVPN_IKEV2_PL_NONCE, 1, 1, OUTER, 0},
    {IVPN_IKEV2_PL_NOTIFY, 0, MANY, OUTER, 0},
    {IVPN_IKEV2_PL_VENDOR, 0, MANY, OUTER, 0},
};
/* <-- HDR, SAr1, KEr, Nr, [CERTREQ], [N+], [V+] */
static const payload_rule init_resp[] = {
    {IVPN_IKEV2_PL_SA, 1, 1, OUTER, 0},
    {IVPN_IKEV2_PL_KE, 1, 1, OUTER, 0},
    {IVPN_IKEV2_PL_NONCE, 1, 1, OUTER, 0},
    {IVPN_IKEV2_PL_CERTREQ, 0, MANY, OUTER, 0},
    {IVPN_IKEV2_PL_NOTIFY, 0, MANY, OUTER, 0},
    {IVPN_IKEV2_PL_VENDOR, 0, MANY, OUTER, 0},
};
/* HDR, SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, [CP,] SAi2, TSi, TSr, [N+], [V+]} -->
 * SA, TSi and TSr travel together: without them the IKE SA comes up childless (RFC 6023).
 * AUTH is required: this library authenticates with PSK only (EAP would make it 0..1). */
static const payload_rule auth_req[] = {
    {IVPN_IKEV2_PL_SK, 0, 1, OUTER, 0},
    {IVPN_IKEV2_PL_SKF, 0, 1, OUTER, 0},
    {IVPN_IKEV2_PL_IDI, 1, 1, INNER, 0},
    {IVPN_IKEV2_PL_CERT, 0, 4, INNER, 0},
    {IVPN_IKEV2_PL_CERTREQ, 0, MANY, INNER, 0},
    {IVPN_IKEV2_PL_IDR, 0, 1, INNER, 0},
    {IVPN_IKEV2_PL_AUTH, 1, 1, INNER, 0},
    {IVPN_IKEV2_PL_CP, 0, 1, INNER, 0},
    {IVPN_IKEV2_PL_SA, 0, 1, INNER, 1},
    {IVPN_IKEV2_PL_TSI, 0, 1, INNER, 1},
    {IVPN_IKEV2_PL_TSR, 0, 1, INNER, 1},
    {IVPN_IKEV2_PL_NOTIFY, 0, MANY, INNER, 0},
    {IVPN_IKEV2_PL_VENDOR, 0, MANY, INNER, 0},
};
/* <-- HDR, SK {IDr, [CERT+,] AUTH, [CP,] SAr2, TSi, TSr, [N+], [V+]}
 * Without SA/TSi/TSr when the IKE SA is up but its first Child SA failed (§1.2: then with
 * an error notify such as TS_UNACCEPTABLE). */
static const payload_rule auth_resp[] = {
    {IVPN_IKEV2_PL_SK, 0, 1, OUTER, 0},
    {IVPN_IKEV2_PL_SKF, 0, 1, OUTER, 0},
    {IVPN_IKEV2_PL_IDR, 1, 1, INNER, 0},
    {IVPN_IKEV2_PL_CERT, 0, 4, INNER, 0},
    {IVPN_IKEV2_PL_AUTH, 1, 1, INNER, 0},
    {IVPN_IKEV2_PL_CP, 0, 1, INNER, 0},
    {IVPN_IKEV2_PL_SA, 0, 1, INNER, 1},
    {IVPN_IKEV2_PL_TSI, 0, 1, INNER, 1},
    {IVPN_IKEV2_PL_TSR, 0, 1, INNER, 1},
    {IVPN_IKEV2_PL_NOTIFY, 0, MANY, INNER, 0},
    {IVPN_IKEV2_PL_VENDOR, 0, MANY, INNER, 0},
};
/* New child:   HDR, SK {SA, Ni, [KEi], TSi, TSr, [N+]} -->
 * Rekey child: HDR, SK {N(REKEY_SA), SA, Ni, [KEi], TSi, TSr} -->
 * and both responses <-- HDR, SK {SA, Nr, [KEr], TSi, TSr, [N+]} */
static const payload_rule child_msg[] = {
    {IVPN_IKEV2_PL_SK, 0, 1, OUTER, 0},
    {IVPN_IKEV2_PL_SKF, 0, 1, OUTER, 0},
    {IVPN_IKEV2_PL_SA, 1, 1, INNER, 0},
    {IVPN_IKEV2_PL_NONCE, 1, 1, INNER, 0},
    {IVPN_IKEV2_PL_KE, 0, 1, INNER, 0},
    {IVPN_IKEV2_PL_TSI, 1, 1, INNER, 0},
    {IVPN_IKEV2_PL_TSR, 1, 1, INNER, 0},
    {IVPN_IKEV2_PL_NOTIFY, 0, MANY, INNER, 0},
    {IVPN_IKEV2_PL_VENDOR, 0, MANY, INNER, 0},
};
/* Rekey IKE:   HDR, SK {SA, Ni, KEi} -->   <-- HDR, SK {SA, Nr, KEr} */
static const payload_rule rekey_ike_msg[] = {
    {IVPN_IKEV2_PL_SK, 0, 1, OUTER, 0},
    {IVPN_IKEV2_PL_SKF, 0, 1, OUTER, 0},
    {IVPN_IKEV2_PL_SA, 1, 1, INNER, 0},
    {IVPN_IKEV2_PL_NONCE, 1, 1, INNER, 0},
    {IVPN_IKEV2_PL_KE, 1, 1, INNER, 0},
    {IVPN_IKEV2_PL_NOTIFY, 0, MANY, INNER, 0},
    {IVPN_IKEV2_PL_VENDOR, 0, MANY, INNER, 0},
};
/* HDR, SK {[N,] [D,] [CP,] ...} -->   <-- HDR, SK {[N,] [D,] [CP], ...}
 * Empty in both directions is a liveness check (§1.4). */
static const payload_rule info_msg[] = {
    {IVPN_IKEV2_PL_SK, 0, 1, OUTER, 0},
    {IVPN_IKEV2_PL_SKF, 0, 1, OUTER, 0},
    {IVPN_IKEV2_PL_NOTIFY, 0, MANY, INNER, 0},
    {IVPN_IKEV2_PL_DELETE, 0, MANY, INNER, 0},
    {IVPN_IKEV2_PL_CP, 0, 1, INNER, 0},
    {IVPN_IKEV2_PL_VENDOR, 0, MANY, INNER, 0},
};

#define SET(ex, var, resp, enc, name, tbl) \
    {ex, var, resp, enc, name, tbl, sizeof(tbl) / sizeof(tbl[0])}

static const rule_set rule_sets[] = {
    SET(IVPN_IKEV2_EXCH_IKE_SA_INIT, IVPN_IKEV2_VARIANT_DEFAULT, false, false,
        "IKE_SA_INIT request", init_req),
    SET(IVPN_IKEV2_EXCH_IKE_SA_INIT, IVPN_IKEV2_VARIANT_DEFAULT, true, false,
        "IKE_SA_INIT response", init_resp),
    SET(IVPN_IKEV2_EXCH_IKE_AUTH, IVPN_IKEV2_VARIANT_DEFAULT, false, true,
        "IKE_AUTH request", auth_req),
    SET(IVPN_IKEV2_EXCH_IKE_AUTH, IVPN_IKEV2_VARIANT_DEFAULT, true, true,
        "IKE_AUTH response", auth_resp),
    SET(IVPN_IKEV2_EXCH_CREATE_CHILD_SA, IVPN_IKEV2_VARIANT_NEW_CHILD, false, true,
        "CREATE_CHILD_SA (new child) request", child_msg),
    SET(IVPN_IKEV2_EXCH_CREATE_CHILD_SA, IVPN_IKEV2_VARIANT_NEW_CHILD, true, true,
        "CREATE_CHILD_SA (new child) response", child_msg),
    SET(IVPN_IKEV2_EXCH_CREATE_CHILD_SA, IVPN_IKEV2_VARIANT_REKEY_CHILD, false, true,
        "CREATE_CHILD_SA (rekey child) request", child_msg),
    SET(IVPN_IKEV2_EXCH_CREATE_CHILD_SA, IVPN_IKEV2_VARIANT_REKEY_CHILD, true, true,
        "CREATE_CHILD_SA (rekey child) response", child_msg),
    SET(IVPN_IKEV2_EXCH_CREATE_CHILD_SA, IVPN_IKEV2_VARIANT_REKEY_IKE, false, true,
        "CREATE_CHILD_SA (rekey IKE) request", rekey_ike_msg),
    SET(IVPN_IKEV2_EXCH_CREATE_CHILD_SA, IVPN_IKEV2_VARIANT_REKEY_IKE, true, true,
        "CREATE_CHILD_SA (rekey IKE) response", rekey_ike_msg),
    SET(IVPN_IKEV2_EXCH_INFORMATIONAL, IVPN_IKEV2_VARIANT_DEFAULT, false, true,
        "INFORMATIONAL request", info_msg),
    SET(IVPN_IKEV2_EXCH_INFORMATIONAL, IVPN_IKEV2_VARIANT_DEFAULT, true, true,
        "INFORMATIONAL response", info_msg),
};

#define FAIL(...) do { IVPN_LOG_WARN(ctx, "IKEv2 " __VA_ARGS__); return IPSECVPN_ERR_IKE_MALFORMED; } while (0)

/* Notify Message Type without decoding the body; 0 if the body is too short (phase 2 then
 * rejects it anyway). */
static uint16_t peek_notify_type(const ivpn_ikev2_payload_ref *p)
{
    ivpn_reader r;
    uint16_t type;
    ivpn_reader_init_span(&r, p->body);
    ivpn_rd_skip(&r, 2);
    type = ivpn_rd_u16(&r);
    return ivpn_rd_failed(&r) ? 0 : type;
}

static bool has_notify(const ivpn_ikev2_payload_list *l, uint16_t type)
{
    for (unsigned i = 0; l && i < l->count; i++)
        if (l->items[i].type == IVPN_IKEV2_PL_NOTIFY && peek_notify_type(&l->items[i]) == type)
            return true;
    return false;
}

ivpn_ikev2_variant ivpn_ikev2_infer_variant(const ivpn_ikev2_payload_list *inner)
{
    if (!inner || (!ivpn_ikev2_list_find(inner, IVPN_IKEV2_PL_TSI) &&
                   !ivpn_ikev2_list_find(inner, IVPN_IKEV2_PL_TSR)))
        return IVPN_IKEV2_VARIANT_REKEY_IKE;
    return has_notify(inner, IVPN_IKEV2_N_REKEY_SA) ? IVPN_IKEV2_VARIANT_REKEY_CHILD
                                                    : IVPN_IKEV2_VARIANT_NEW_CHILD;
}

/* A response that only reports failure: notifies alone, one an error (§2.21), or the
 * IKE_SA_INIT cookie demand (§2.6). */
static bool is_error_response(uint8_t exchange, const ivpn_ikev2_payload_list *l)
{
    bool error = false;
    if (!l || l->count == 0)
        return false;
    for (unsigned i = 0; i < l->count; i++) {
        uint16_t t;
        if (l->items[i].type != IVPN_IKEV2_PL_NOTIFY)
            return false;
        t = peek_notify_type(&l->items[i]);
        error |= ivpn_ikev2_notify_is_error(t) ||
                 (exchange == IVPN_IKEV2_EXCH_IKE_SA_INIT && t == IVPN_IKEV2_N_COOKIE);
    }
    return error;
}

static const rule_set *find_set(uint8_t exchange, ivpn_ikev2_variant variant, bool response)
{
    for (size_t i = 0; i < sizeof(rule_sets) / sizeof(rule_sets[0]); i++)
        if (rule_sets[i].exchange == exchange && rule_sets[i].variant == variant &&
            rule_sets[i].response == response)
            return &rule_sets[i];
    return NULL;
}

/* Count one list's payloads into counts[] (indexed like the table), checking placement. */
static int tally(const ipsecvpn_ctx *ctx, const rule_set *rs, const ivpn_ikev2_payload_list *l,
                 uint8_t where, unsigned *counts)
{
    for (unsigned i = 0; i < l->count; i++) {
        uint8_t type = l->items[i].type;
        size_t k;
        for (k = 0; k < rs->n && rs->rules[k].type != type; k++)
            ;
        if (k == rs->n)
            FAIL("%s: %s payload not allowed", rs->name, ivpn_ikev2_payload_name(type));
        if (rs->rules[k].where != where)
            FAIL("%s: %s payload must be %s SK", rs->name, ivpn_ikev2_payload_name(type),
                 rs->rules[k].where == INNER ? "inside" : "outside");
        counts[k]++;
    }
    return IPSECVPN_OK;
}

int ivpn_ikev2_check_rules_variant(const ipsecvpn_ctx *ctx, uint8_t exchange,
                                   ivpn_ikev2_variant variant, bool is_response,
                                   const ivpn_ikev2_payload_list *outer,
                                   const ivpn_ikev2_payload_list *inner)
{
    unsigned counts[16] = {0};
    bool error_only;
    const rule_set *rs;
    int rc;

    if (!outer)
        return IPSECVPN_ERR_INVALID_ARG;
    if (exchange == IVPN_IKEV2_EXCH_CREATE_CHILD_SA && variant == IVPN_IKEV2_VARIANT_DEFAULT)
        variant = inner ? ivpn_ikev2_infer_variant(inner) : IVPN_IKEV2_VARIANT_NEW_CHILD;
    else if (exchange != IVPN_IKEV2_EXCH_CREATE_CHILD_SA)
        variant = IVPN_IKEV2_VARIANT_DEFAULT;
    rs = find_set(exchange, variant, is_response);
    if (!rs)
        FAIL("no payload rules for exchange type %u", exchange);
    if (rs->n > sizeof(counts) / sizeof(counts[0]))
        return IPSECVPN_ERR_INTERNAL;

    if (rs->encrypted) {
        /* §3.14: everything travels inside one SK (or, fragmented, one SKF) payload. */
        if (outer->count != 1 || (outer->items[0].type != IVPN_IKEV2_PL_SK &&
                                  outer->items[0].type != IVPN_IKEV2_PL_SKF))
            FAIL("%s: needs exactly one SK payload and nothing outside it", rs->name);
        if (!inner)
            return IPSECVPN_OK; /* inner payloads are checked after decryption */
    } else if (inner && inner->count) {
        FAIL("%s: is not encrypted but has inner payloads", rs->name);
    }

    rc = tally(ctx, rs, outer, OUTER, counts);
    if (rc == IPSECVPN_OK && inner)
        rc = tally(ctx, rs, inner, INNER, counts);
    if (rc != IPSECVPN_OK)
        return rc;

    error_only = is_response && is_error_response(exchange, rs->encrypted ? inner : outer);
    for (size_t k = 0; k < rs->n; k++) {
        const payload_rule *r = &rs->rules[k];
        if (counts[k] > r->max)
            FAIL("%s: %u %s payloads, at most %u", rs->name, counts[k],
                 ivpn_ikev2_payload_name(r->type), r->max);
        if (r->type == IVPN_IKEV2_PL_SK || r->type == IVPN_IKEV2_PL_SKF || error_only)
            continue;
        if (counts[k] < r->min)
            FAIL("%s: %s payload missing", rs->name, ivpn_ikev2_payload_name(r->type));
        if (r->group) {
            for (size_t j = 0; j < rs->n; j++)
                if (rs->rules[j].group == r->group && (counts[j] == 0) != (counts[k] == 0))
                    FAIL("%s: %s without %s", rs->name,
                         ivpn_ikev2_payload_name(counts[k] ? r->type : rs->rules[j].type),
                         ivpn_ikev2_payload_name(counts[k] ? rs->rules[j].type : r->type));
        }
    }
    if (variant == IVPN_IKEV2_VARIANT_REKEY_CHILD && !is_response && !error_only &&
        !has_notify(inner, IVPN_IKEV2_N_REKEY_SA))
        FAIL("%s: REKEY_SA notify missing", rs->name);
    return IPSECVPN_OK;
}

int ivpn_ikev2_check_rules(const ipsecvpn_ctx *ctx, uint8_t exchange, bool is_response,
                           const ivpn_ikev2_payload_list *outer,
                           const ivpn_ikev2_payload_list *inner)
{
    return ivpn_ikev2_check_rules_variant(ctx, exchange, IVPN_IKEV2_VARIANT_DEFAULT,
                                          is_response, outer, inner);
}
