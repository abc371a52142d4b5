/* The per-exchange payload rule tables, one test per exchange. */
#include "wire_util.h"

#include "wire/ikev2_rules.h"

/* A payload list from a type string; notify bodies carry the given notify type. */
static uint8_t notify_bodies[IVPN_IKEV2_MAX_PAYLOADS][4];

static ivpn_ikev2_payload_list list_of(const uint8_t *types, size_t n, const uint16_t *ntypes)
{
    ivpn_ikev2_payload_list l;
    size_t k = 0;
    memset(&l, 0, sizeof(l));
    for (size_t i = 0; i < n; i++) {
        l.items[i].type = types[i];
        if (types[i] == IVPN_IKEV2_PL_NOTIFY) {
            uint16_t t = ntypes ? ntypes[k++] : IVPN_IKEV2_N_INITIAL_CONTACT;
            notify_bodies[i][2] = (uint8_t)(t >> 8);
            notify_bodies[i][3] = (uint8_t)t;
            l.items[i].body = (ivpn_span){notify_bodies[i], 4};
        }
    }
    l.count = (uint8_t)n;
    return l;
}

#define LIST(...) ({ static const uint8_t t_[] = {__VA_ARGS__}; list_of(t_, sizeof(t_), NULL); })
#define NLIST(nt, ...) ({ static const uint8_t t_[] = {__VA_ARGS__}; list_of(t_, sizeof(t_), nt); })

enum { SA = 33, KE = 34, IDI = 35, IDR = 36, CERT = 37, CERTREQ = 38, AUTH = 39, NO = 40, N = 41,
       D = 42, V = 43, TSI = 44, TSR = 45, SK = 46, CP = 47, EAP = 48, SKF = 53 };

static ipsecvpn_ctx *ctx;
static void setup(void) { ctx = wire_ctx_new(); }
static void teardown(void) { ipsecvpn_ctx_free(ctx); }

#define OK(ex, resp, o, i) cr_assert_eq(ivpn_ikev2_check_rules(ctx, ex, resp, o, i), IPSECVPN_OK, "log: %s", wire_log.last)
#define BAD(ex, resp, o, i) cr_assert_eq(ivpn_ikev2_check_rules(ctx, ex, resp, o, i), IPSECVPN_ERR_IKE_MALFORMED)

TestSuite(rules, .init = setup, .fini = teardown);

Test(rules, ike_sa_init)
{
    const uint8_t X = IVPN_IKEV2_EXCH_IKE_SA_INIT;
    ivpn_ikev2_payload_list l = LIST(N, SA, KE, NO, N, N, V);
    OK(X, false, &l, NULL);
    l = LIST(SA, KE, NO, CERTREQ);
    BAD(X, false, &l, NULL);
    cr_assert(strstr(wire_log.last, "CERTREQ payload not allowed"), "log: %s", wire_log.last);
    OK(X, true, &l, NULL);
    l = LIST(SA, NO);
    BAD(X, false, &l, NULL);
    cr_assert(strstr(wire_log.last, "KE payload missing"), "log: %s", wire_log.last);
    l = LIST(SA, KE, NO, SA);
    BAD(X, false, &l, NULL);
    l = LIST(SA, KE, NO, D);
    BAD(X, true, &l, NULL);
    l = LIST(SK);
    BAD(X, false, &l, NULL);
    ivpn_ikev2_payload_list in = LIST(N);
    l = LIST(SA, KE, NO);
    BAD(X, false, &l, &in);
}

Test(rules, ike_sa_init_error_and_cookie_responses)
{
    const uint8_t X = IVPN_IKEV2_EXCH_IKE_SA_INIT;
    static const uint16_t ke[] = {IVPN_IKEV2_N_INVALID_KE_PAYLOAD};
    static const uint16_t cookie[] = {IVPN_IKEV2_N_COOKIE};
    static const uint16_t status[] = {IVPN_IKEV2_N_NAT_DETECTION_SOURCE_IP};
    ivpn_ikev2_payload_list l = NLIST(ke, N);
    OK(X, true, &l, NULL);
    BAD(X, false, &l, NULL); /* a request is never an error report */
    l = NLIST(cookie, N);
    OK(X, true, &l, NULL);
    l = NLIST(status, N);
    BAD(X, true, &l, NULL);
}

Test(rules, ike_auth)
{
    const uint8_t X = IVPN_IKEV2_EXCH_IKE_AUTH;
    ivpn_ikev2_payload_list o = LIST(SK);
    ivpn_ikev2_payload_list in = LIST(IDI, N, IDR, AUTH, SA, TSI, TSR, N, N, N);
    OK(X, false, &o, NULL);
    OK(X, false, &o, &in);
    ivpn_ikev2_payload_list frag = LIST(SKF);
    OK(X, false, &frag, &in);
    in = LIST(IDI, AUTH); /* childless */
    OK(X, false, &o, &in);
    in = LIST(IDI, AUTH, SA, TSI);
    BAD(X, false, &o, &in);
    cr_assert(strstr(wire_log.last, "without TSr"), "log: %s", wire_log.last);
    in = LIST(IDI, SA, TSI, TSR);
    BAD(X, false, &o, &in);
    in = LIST(IDR, AUTH, SA, TSI, TSR);
    OK(X, true, &o, &in);
    BAD(X, false, &o, &in);
    static const uint16_t ts[] = {IVPN_IKEV2_N_TS_UNACCEPTABLE};
    in = NLIST(ts, IDR, AUTH, N); /* IKE SA up, child refused */
    OK(X, true, &o, &in);
    static const uint16_t af[] = {IVPN_IKEV2_N_AUTHENTICATION_FAILED};
    in = NLIST(af, N);
    OK(X, true, &o, &in);
    BAD(X, false, &o, &in);
    /* nothing may travel outside SK */
    ivpn_ikev2_payload_list o2 = LIST(N, SK);
    BAD(X, false, &o2, NULL);
    ivpn_ikev2_payload_list plain = LIST(IDI, AUTH);
    BAD(X, false, &plain, NULL);
    in = LIST(IDI, AUTH, SK);
    BAD(X, false, &o, &in);
    in = LIST(IDI, AUTH, EAP);
    BAD(X, false, &o, &in);
}

Test(rules, create_child_sa_new_child)
{
    const uint8_t X = IVPN_IKEV2_EXCH_CREATE_CHILD_SA;
    ivpn_ikev2_payload_list o = LIST(SK);
    ivpn_ikev2_payload_list in = LIST(SA, NO, KE, TSI, TSR, N);
    cr_assert_eq(ivpn_ikev2_infer_variant(&in), IVPN_IKEV2_VARIANT_NEW_CHILD);
    OK(X, false, &o, &in);
    in = LIST(SA, NO, TSI, TSR);
    OK(X, true, &o, &in);
    in = LIST(SA, NO, TSI);
    BAD(X, false, &o, &in);
    in = LIST(SA, TSI, TSR);
    BAD(X, true, &o, &in);
    static const uint16_t nas[] = {IVPN_IKEV2_N_NO_ADDITIONAL_SAS};
    in = NLIST(nas, N);
    OK(X, true, &o, &in);
}

Test(rules, create_child_sa_rekey_child)
{
    const uint8_t X = IVPN_IKEV2_EXCH_CREATE_CHILD_SA;
    static const uint16_t rk[] = {IVPN_IKEV2_N_REKEY_SA};
    ivpn_ikev2_payload_list o = LIST(SK);
    ivpn_ikev2_payload_list in = NLIST(rk, N, SA, NO, TSI, TSR);
    cr_assert_eq(ivpn_ikev2_infer_variant(&in), IVPN_IKEV2_VARIANT_REKEY_CHILD);
    OK(X, false, &o, &in);
    ivpn_ikev2_payload_list plain = LIST(SA, NO, TSI, TSR);
    cr_assert_eq(ivpn_ikev2_check_rules_variant(ctx, X, IVPN_IKEV2_VARIANT_REKEY_CHILD, false,
                                                &o, &plain),
                 IPSECVPN_ERR_IKE_MALFORMED, "the engine expected a rekey");
    cr_assert(strstr(wire_log.last, "REKEY_SA"), "log: %s", wire_log.last);
    cr_assert_eq(ivpn_ikev2_check_rules_variant(ctx, X, IVPN_IKEV2_VARIANT_REKEY_CHILD, true,
                                                &o, &plain),
                 IPSECVPN_OK);
}

Test(rules, create_child_sa_rekey_ike)
{
    const uint8_t X = IVPN_IKEV2_EXCH_CREATE_CHILD_SA;
    ivpn_ikev2_payload_list o = LIST(SK);
    ivpn_ikev2_payload_list in = LIST(SA, NO, KE);
    cr_assert_eq(ivpn_ikev2_infer_variant(&in), IVPN_IKEV2_VARIANT_REKEY_IKE);
    OK(X, false, &o, &in);
    OK(X, true, &o, &in);
    in = LIST(SA, NO);
    BAD(X, false, &o, &in);
    cr_assert(strstr(wire_log.last, "rekey IKE"), "log: %s", wire_log.last);
    in = LIST(SA, NO, KE, KE);
    BAD(X, true, &o, &in);
    in = LIST(SA, NO, KE, D);
    BAD(X, false, &o, &in);
}

Test(rules, informational)
{
    const uint8_t X = IVPN_IKEV2_EXCH_INFORMATIONAL;
    ivpn_ikev2_payload_list o = LIST(SK);
    ivpn_ikev2_payload_list in = LIST();
    OK(X, false, &o, &in); /* liveness check */
    OK(X, true, &o, &in);
    in = LIST(D, D, N);
    OK(X, false, &o, &in);
    OK(X, true, &o, &in);
    in = LIST(D, SA);
    BAD(X, false, &o, &in);
    in = LIST(CP, CP);
    BAD(X, false, &o, &in);
    ivpn_ikev2_payload_list none = LIST();
    BAD(X, false, &none, NULL);
}

Test(rules, unknown_exchange)
{
    ivpn_ikev2_payload_list o = LIST(SK);
    BAD(43, false, &o, NULL);
    cr_assert(strstr(wire_log.last, "exchange type 43"), "log: %s", wire_log.last);
}
