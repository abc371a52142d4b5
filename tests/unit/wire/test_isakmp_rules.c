/* IKEv1 payload rules per message kind (ivpn_isakmp_rules_check), on hand-made payload lists
 * (the real strongSwan messages are checked in test_isakmp_message.c). */
#include "wire_util.h"

#include "wire/isakmp.h"

static ipsecvpn_ctx *ctx;
static ivpn_isakmp_payload_list l;

static void setup(void) { ctx = wire_ctx_new(); }
static void teardown(void) { ipsecvpn_ctx_free(ctx); }

TestSuite(isakmp_rules, .init = setup, .fini = teardown);

enum { SA = IVPN_ISAKMP_PL_SA, KE = IVPN_ISAKMP_PL_KE, ID = IVPN_ISAKMP_PL_ID,
       CERT = IVPN_ISAKMP_PL_CERT, CR = IVPN_ISAKMP_PL_CR, HASH = IVPN_ISAKMP_PL_HASH,
       SIG = IVPN_ISAKMP_PL_SIG, NONCE = IVPN_ISAKMP_PL_NONCE, N = IVPN_ISAKMP_PL_N,
       D = IVPN_ISAKMP_PL_D, VID = IVPN_ISAKMP_PL_VID, NATD = IVPN_ISAKMP_PL_NATD,
       NATOA = IVPN_ISAKMP_PL_NATOA, NATD_DRAFT = IVPN_ISAKMP_PL_NATD_DRAFT,
       NATOA_DRAFT = IVPN_ISAKMP_PL_NATOA_DRAFT };

/* A payload list holding the given types (0-terminated); bodies are irrelevant here. */
static const ivpn_isakmp_payload_list *mk(const uint8_t *types)
{
    memset(&l, 0, sizeof(l));
    for (; *types; types++)
        l.items[l.count++].type = *types;
    return &l;
}

#define L(...) mk((const uint8_t[]){__VA_ARGS__, 0})
#define OK(kind, ...) cr_assert_eq(ivpn_isakmp_rules_check(ctx, kind, L(__VA_ARGS__)), IPSECVPN_OK, \
                                   #kind " " #__VA_ARGS__ ": %s", wire_log.last)
#define BAD(kind, why, ...) do { \
        cr_assert_eq(ivpn_isakmp_rules_check(ctx, kind, L(__VA_ARGS__)), IPSECVPN_ERR_IKE_MALFORMED, \
                     #kind " " #__VA_ARGS__); \
        cr_assert_not_null(strstr(wire_log.last, why), "log: %s", wire_log.last); \
    } while (0)

Test(isakmp_rules, main_mode)
{
    OK(IVPN_V1_MSG_MM1, SA);
    OK(IVPN_V1_MSG_MM1, SA, VID, VID, VID, N);
    OK(IVPN_V1_MSG_MM2, VID, SA, VID);
    BAD(IVPN_V1_MSG_MM1, "SA payload missing", VID);
    BAD(IVPN_V1_MSG_MM1, "2 SA payloads", SA, SA);
    BAD(IVPN_V1_MSG_MM2, "KE payload not allowed", SA, KE);
    OK(IVPN_V1_MSG_MM3, KE, NONCE);
    OK(IVPN_V1_MSG_MM3, KE, NONCE, NATD, NATD, VID);
    OK(IVPN_V1_MSG_MM4, KE, NONCE, NATD_DRAFT, NATD_DRAFT);
    OK(IVPN_V1_MSG_MM4, NONCE, KE, NATD, NATD, NATD);
    BAD(IVPN_V1_MSG_MM3, "NONCE payload missing", KE, NATD);
    BAD(IVPN_V1_MSG_MM4, "KE payload missing", NONCE);
    BAD(IVPN_V1_MSG_MM3, "SA payload not allowed", SA, KE, NONCE);
    BAD(IVPN_V1_MSG_MM3, "CR payload not allowed", KE, NONCE, CR);
    OK(IVPN_V1_MSG_MM5, ID, HASH, N);
    OK(IVPN_V1_MSG_MM6, ID, HASH);
    BAD(IVPN_V1_MSG_MM5, "HASH payload missing", ID);
    BAD(IVPN_V1_MSG_MM5, "2 ID payloads", ID, ID, HASH);
    BAD(IVPN_V1_MSG_MM6, "CERT payload not allowed", ID, CERT, HASH);
    BAD(IVPN_V1_MSG_MM6, "SIG payload not allowed", ID, SIG);
}

Test(isakmp_rules, aggressive_mode)
{
    OK(IVPN_V1_MSG_AM1, SA, KE, NONCE, ID, VID, VID);
    BAD(IVPN_V1_MSG_AM1, "ID payload missing", SA, KE, NONCE);
    BAD(IVPN_V1_MSG_AM1, "HASH payload not allowed", SA, KE, NONCE, ID, HASH);
    OK(IVPN_V1_MSG_AM2, SA, KE, NONCE, ID, VID, NATD, NATD, HASH);
    OK(IVPN_V1_MSG_AM2, SA, KE, NONCE, ID, HASH, N);
    BAD(IVPN_V1_MSG_AM2, "HASH payload missing", SA, KE, NONCE, ID);
    BAD(IVPN_V1_MSG_AM2, "2 HASH payloads", SA, KE, NONCE, ID, HASH, HASH);
    OK(IVPN_V1_MSG_AM3, HASH);
    OK(IVPN_V1_MSG_AM3, HASH, NATD, NATD_DRAFT, N, VID);
    BAD(IVPN_V1_MSG_AM3, "HASH payload missing", NATD, NATD);
    BAD(IVPN_V1_MSG_AM3, "ID payload not allowed", ID, HASH);
}

Test(isakmp_rules, quick_mode)
{
    OK(IVPN_V1_MSG_QM1, HASH, SA, NONCE);
    OK(IVPN_V1_MSG_QM1, HASH, SA, NONCE, KE, ID, ID);
    OK(IVPN_V1_MSG_QM1, HASH, SA, NONCE, ID, ID, NATOA, NATOA_DRAFT);
    OK(IVPN_V1_MSG_QM2, HASH, SA, NONCE, KE, ID, ID, N);
    BAD(IVPN_V1_MSG_QM1, "HASH is not the first", SA, HASH, NONCE);
    BAD(IVPN_V1_MSG_QM2, "HASH payload missing", SA, NONCE);
    BAD(IVPN_V1_MSG_QM1, "come as a pair", HASH, SA, NONCE, ID);
    BAD(IVPN_V1_MSG_QM1, "3 ID payloads", HASH, SA, NONCE, ID, ID, ID);
    BAD(IVPN_V1_MSG_QM1, "2 SA payloads", HASH, SA, SA, NONCE);
    BAD(IVPN_V1_MSG_QM1, "2 KE payloads", HASH, SA, NONCE, KE, KE);
    BAD(IVPN_V1_MSG_QM2, "NONCE payload missing", HASH, SA);
    BAD(IVPN_V1_MSG_QM1, "3 NAT-OA payloads", HASH, SA, NONCE, NATOA, NATOA, NATOA_DRAFT);
    BAD(IVPN_V1_MSG_QM1, "VID payload not allowed", HASH, SA, NONCE, VID);
    BAD(IVPN_V1_MSG_QM2, "NAT-D payload not allowed", HASH, SA, NONCE, NATD);
    OK(IVPN_V1_MSG_QM3, HASH);
    BAD(IVPN_V1_MSG_QM3, "N payload not allowed", HASH, N);
    BAD(IVPN_V1_MSG_QM3, "2 HASH payloads", HASH, HASH);
    memset(&l, 0, sizeof(l));
    cr_assert_eq(ivpn_isakmp_rules_check(ctx, IVPN_V1_MSG_QM3, &l), IPSECVPN_ERR_IKE_MALFORMED);
}

Test(isakmp_rules, informational)
{
    OK(IVPN_V1_MSG_INFO, HASH, N);
    OK(IVPN_V1_MSG_INFO, HASH, D);
    OK(IVPN_V1_MSG_INFO, HASH, D, D, N);
    BAD(IVPN_V1_MSG_INFO, "HASH is not the first", N, HASH);
    BAD(IVPN_V1_MSG_INFO, "HASH payload missing", N);
    BAD(IVPN_V1_MSG_INFO, "neither N nor D", HASH);
    BAD(IVPN_V1_MSG_INFO, "VID payload not allowed", HASH, N, VID);
    OK(IVPN_V1_MSG_INFO_PLAIN, N);
    OK(IVPN_V1_MSG_INFO_PLAIN, N, VID);
    BAD(IVPN_V1_MSG_INFO_PLAIN, "N payload missing", VID);
    BAD(IVPN_V1_MSG_INFO_PLAIN, "HASH payload not allowed", HASH, N);
    BAD(IVPN_V1_MSG_INFO_PLAIN, "D payload not allowed", N, D);
}

Test(isakmp_rules, unknown_types_and_bad_kinds)
{
    L(SA);
    l.skipped_unknown = 1;
    cr_assert_eq(ivpn_isakmp_rules_check(ctx, IVPN_V1_MSG_MM1, &l), IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_not_null(strstr(wire_log.last, "unknown type"));
    /* a known type no message uses, and a type number no table knows */
    BAD(IVPN_V1_MSG_MM1, "payload not allowed", SA, 99);
    cr_assert_eq(ivpn_isakmp_rules_check(ctx, (ivpn_isakmp_msg_kind)0, L(SA)),
                 IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(ivpn_isakmp_rules_check(ctx, (ivpn_isakmp_msg_kind)99, L(SA)),
                 IPSECVPN_ERR_IKE_MALFORMED);
    cr_assert_eq(ivpn_isakmp_rules_check(ctx, IVPN_V1_MSG_MM1, NULL), IPSECVPN_ERR_INVALID_ARG);
}

Test(isakmp_rules, vid_and_n_anywhere_in_phase_1)
{
    static const struct { ivpn_isakmp_msg_kind kind; uint8_t types[8]; } minimal[] = {
        {IVPN_V1_MSG_MM1, {SA}}, {IVPN_V1_MSG_MM2, {SA}}, {IVPN_V1_MSG_MM3, {KE, NONCE}},
        {IVPN_V1_MSG_MM4, {KE, NONCE}}, {IVPN_V1_MSG_MM5, {ID, HASH}},
        {IVPN_V1_MSG_MM6, {ID, HASH}}, {IVPN_V1_MSG_AM1, {SA, KE, NONCE, ID}},
        {IVPN_V1_MSG_AM2, {SA, KE, NONCE, ID, HASH}}, {IVPN_V1_MSG_AM3, {HASH}},
    };
    for (size_t i = 0; i < sizeof(minimal) / sizeof(minimal[0]); i++) {
        uint8_t t[16] = {0};
        size_t n = strlen((const char *)minimal[i].types);
        memcpy(t, minimal[i].types, n);
        cr_assert_eq(ivpn_isakmp_rules_check(ctx, minimal[i].kind, mk(t)), IPSECVPN_OK,
                     "kind %d: %s", minimal[i].kind, wire_log.last);
        t[n] = VID; t[n + 1] = N; t[n + 2] = VID; t[n + 3] = N;
        cr_assert_eq(ivpn_isakmp_rules_check(ctx, minimal[i].kind, mk(t)), IPSECVPN_OK,
                     "kind %d with VID and N: %s", minimal[i].kind, wire_log.last);
        t[n] = D;
        cr_assert_eq(ivpn_isakmp_rules_check(ctx, minimal[i].kind, mk(t)),
                     IPSECVPN_ERR_IKE_MALFORMED, "kind %d with D", minimal[i].kind);
    }
}
