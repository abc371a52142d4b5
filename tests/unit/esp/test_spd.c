/* Security policy database: validation, ordering, actions, protocol/port/ICMP selectors,
 * IPv6, fragments, route-based and policy-based sets, the inbound checks, bad packets. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ipsecvpn/ipsecvpn.h"
#include "test_spd_pkt.h"

/* ---- fixtures ---------------------------------------------------------------------------- */

static int fixed_random(void *ud, uint8_t *buf, size_t len)
{
    (void)ud;
    memset(buf, 0x42, len);
    return 0;
}

struct log_capture {
    int calls;
    char line[600];
};

static void capture_log(void *ud, ipsecvpn_log_level level, const char *msg, size_t len)
{
    (void)level;
    struct log_capture *lc = ud;
    lc->calls++;
    memcpy(lc->line, msg, len);
    lc->line[len] = '\0';
}

static int fail_realloc;
static size_t alloc_calls;
static void *t_malloc(size_t n, void *ud) { (void)ud; alloc_calls++; return malloc(n); }
static void *t_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    alloc_calls++;
    return fail_realloc ? NULL : realloc(p, n);
}
static void t_free(void *p, void *ud) { (void)ud; free(p); }
static const ipsecvpn_mem test_mem = {IPSECVPN_MEM_VERSION, NULL, t_malloc, t_realloc, t_free};

static struct log_capture logs;
static ipsecvpn_ctx *ctx;
static ipsecvpn_spd *spd;

static void setup(void)
{
    memset(&logs, 0, sizeof(logs));
    fail_realloc = 0;
    ipsecvpn_host host = {.version = IPSECVPN_HOST_VERSION, .user_data = &logs, .mem = &test_mem,
                          .log = capture_log, .log_level = IPSECVPN_LOG_DEBUG,
                          .random = fixed_random};
    cr_assert_eq(ipsecvpn_ctx_new(&host, &ctx), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_new(ctx, &spd), IPSECVPN_OK);
}

static void teardown(void)
{
    ipsecvpn_spd_free(spd);
    ipsecvpn_ctx_free(ctx);
}

static ipsecvpn_ip_prefix v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len)
{
    ipsecvpn_ip_prefix p = {.family = IPSECVPN_IPV4, .prefix_len = len};
    p.addr[0] = a; p.addr[1] = b; p.addr[2] = c; p.addr[3] = d;
    return p;
}

static ipsecvpn_ip_prefix v6(const uint8_t addr[16], uint8_t len)
{
    ipsecvpn_ip_prefix p = {.family = IPSECVPN_IPV6, .prefix_len = len};
    memcpy(p.addr, addr, 16);
    return p;
}

/* A policy with any protocol and any port. */
static ipsecvpn_spd_policy pol(uint8_t dir, uint8_t action, uint32_t prio, uint32_t reqid,
                               ipsecvpn_ip_prefix local, ipsecvpn_ip_prefix remote)
{
    ipsecvpn_spd_policy p;
    memset(&p, 0, sizeof(p));
    p.version = IPSECVPN_SPD_POLICY_VERSION;
    p.dir = dir;
    p.action = action;
    p.priority = prio;
    p.reqid = reqid;
    p.sel.local = local;
    p.sel.remote = remote;
    p.sel.local_port_max = 0xffff;
    p.sel.remote_port_max = 0xffff;
    return p;
}

static const uint8_t H1[4] = {10, 0, 1, 5};      /* local host */
static const uint8_t R1[4] = {192, 168, 7, 9};   /* remote host */
static const uint8_t L6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 5};
static const uint8_t R6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 9};

#define ANY4 v4(0, 0, 0, 0, 0)

TestSuite(spd, .init = setup, .fini = teardown);

/* ---- validation -------------------------------------------------------------------------- */

Test(spd, each_invalid_policy_has_its_own_code_and_changes_nothing)
{
    ipsecvpn_spd_policy ok = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_PROTECT, 1, 7, ANY4, ANY4);
    ipsecvpn_spd_policy p;
    uint32_t id = 1234;

    cr_assert_eq(ipsecvpn_spd_add(NULL, &ok, &id), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_spd_add(spd, NULL, &id), IPSECVPN_ERR_INVALID_ARG);
    p = ok; p.version = 2;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_ERR_VERSION);
    p = ok; p.dir = 3;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_ERR_CONFIG_SYNTAX);
    p = ok; p.action = 0;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_ERR_CONFIG_SYNTAX);
    p = ok; p.action = 4;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_ERR_CONFIG_SYNTAX);
    p = ok; p.sel.remote.family = 5;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_ERR_CONFIG_SYNTAX);
    p = ok; p.sel.local.prefix_len = 33;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_ERR_CONFIG_RANGE);
    p = ok; p.sel.local = v6(L6, 129); p.sel.remote = v6(R6, 64);
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_ERR_CONFIG_RANGE);
    p = ok; p.sel.proto = 6; p.sel.remote_port_min = 100; p.sel.remote_port_max = 99;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_ERR_CONFIG_RANGE);
    p = ok; p.sel.remote = v6(R6, 64);
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_ERR_CONFIG_FAMILY);
    p = ok; p.reqid = 0;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_ERR_CONFIG_REQUIRED);
    p = ok; p.sel.local_port_min = 80; p.sel.local_port_max = 80; /* proto any: no ports */
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_ERR_CONFIG_CONFLICT);
    p.sel.proto = 47; /* GRE has none either */
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_ERR_CONFIG_CONFLICT);
    cr_assert_str_eq(logs.line, "spd.sel.proto: port ranges need a protocol with ports, got 47");

    cr_assert_eq(id, 1234, "id untouched on error");
    cr_assert_eq(ipsecvpn_spd_count(spd), 0);
    /* bypass/discard need no reqid */
    p = ok; p.reqid = 0; p.action = IPSECVPN_SPD_BYPASS;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_OK);
    cr_assert_neq(id, 0);
    cr_assert_eq(ipsecvpn_spd_count(spd), 1);
}

Test(spd, rejected_fields_are_named_in_the_log)
{
    ipsecvpn_spd_policy p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_PROTECT, 1, 7, ANY4, ANY4);
    p.sel.remote.prefix_len = 40;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_str_eq(logs.line, "spd.sel.remote.prefix_len: must be 0..32, got 40");
    p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_PROTECT, 1, 0, ANY4, ANY4);
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_ERR_CONFIG_REQUIRED);
    cr_assert_str_eq(logs.line, "spd.reqid: required (non-zero) for a protect policy");
}

Test(spd, host_bits_are_cleared_and_read_back)
{
    ipsecvpn_spd_policy p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_PROTECT, 1, 7,
                                v4(10, 1, 2, 3, 20), v4(192, 168, 255, 255, 17));
    uint32_t id;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id), IPSECVPN_OK);
    ipsecvpn_spd_policy back;
    cr_assert_eq(ipsecvpn_spd_get(spd, id, &back), IPSECVPN_OK);
    const uint8_t l[4] = {10, 1, 0, 0}, r[4] = {192, 168, 128, 0};
    cr_assert_arr_eq(back.sel.local.addr, l, 4);
    cr_assert_arr_eq(back.sel.remote.addr, r, 4);
    cr_assert_eq(back.reqid, 7);
    cr_assert_eq(back.sel.local.prefix_len, 20);
    cr_assert_eq(ipsecvpn_spd_get(spd, id + 100, &back), IPSECVPN_ERR_NOT_FOUND);
    cr_assert_eq(ipsecvpn_spd_get(spd, id, NULL), IPSECVPN_ERR_INVALID_ARG);

    /* 10.1.15.255 is inside 10.1.0.0/20, 10.1.16.0 is not */
    uint8_t pkt[PKT_MAX];
    const uint8_t in[4] = {10, 1, 15, 255}, out[4] = {10, 1, 16, 0}, rem[4] = {192, 168, 200, 1};
    size_t n = pkt4_ports(pkt, 17, in, rem, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
    n = pkt4_ports(pkt, 17, out, rem, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);
}

/* ---- ordering and actions ---------------------------------------------------------------- */

Test(spd, lower_priority_first_ties_by_insertion)
{
    uint8_t pkt[PKT_MAX];
    size_t n = pkt4_ports(pkt, 6, H1, R1, 33000, 22);
    uint32_t id_bypass, id_protect, id_discard, reqid = 0, pid = 0;

    ipsecvpn_spd_policy p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_BYPASS, 100, 0, ANY4, ANY4);
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id_bypass), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, &reqid, &pid), IPSECVPN_SPD_BYPASS);
    cr_assert_eq(pid, id_bypass);

    p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_PROTECT, 50, 9, v4(10, 0, 0, 0, 8), ANY4);
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id_protect), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, &reqid, &pid), IPSECVPN_SPD_PROTECT);
    cr_assert_eq(reqid, 9);
    cr_assert_eq(pid, id_protect);

    /* same priority as the protect policy, added later: loses the tie */
    p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_DISCARD, 50, 0, ANY4, ANY4);
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, &id_discard), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, &reqid, &pid), IPSECVPN_SPD_PROTECT);

    cr_assert_eq(ipsecvpn_spd_remove(spd, id_protect), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, &reqid, &pid), IPSECVPN_SPD_DISCARD);
    cr_assert_eq(pid, id_discard);
    cr_assert_eq(ipsecvpn_spd_remove(spd, id_protect), IPSECVPN_ERR_NOT_FOUND);
    cr_assert_eq(ipsecvpn_spd_remove(NULL, id_discard), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_spd_remove(spd, id_discard), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, &reqid, &pid), IPSECVPN_SPD_BYPASS);
    cr_assert_eq(ipsecvpn_spd_remove(spd, id_bypass), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, &reqid, &pid), IPSECVPN_ERR_ESP_NO_POLICY);
}

Test(spd, many_policies_keep_order)
{
    /* 200 policies inserted in scrambled priority order; the lowest matching one wins. */
    uint8_t pkt[PKT_MAX];
    const uint8_t src[4] = {10, 0, 0, 1};
    for (uint32_t i = 0; i < 200; i++) {
        uint32_t prio = (i * 73) % 200 + 10; /* a permutation of 10..209 */
        ipsecvpn_spd_policy p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_PROTECT, prio, prio,
                                    v4(10, 0, 0, 0, 8), ANY4);
        cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    }
    size_t n = pkt4_ports(pkt, 17, src, R1, 1, 2);
    uint32_t reqid = 0;
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, &reqid, NULL), IPSECVPN_SPD_PROTECT);
    cr_assert_eq(reqid, 10);
    size_t removed = 0;
    cr_assert_eq(ipsecvpn_spd_remove_reqid(spd, 10, &removed), IPSECVPN_OK);
    cr_assert_eq(removed, 1);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, &reqid, NULL), IPSECVPN_SPD_PROTECT);
    cr_assert_eq(reqid, 11);
    cr_assert_eq(ipsecvpn_spd_count(spd), 199);
}

Test(spd, lookups_do_not_allocate)
{
    uint8_t pkt[PKT_MAX];
    cr_assert_eq(ipsecvpn_spd_add_route_based(spd, 3, 10, 1, 1), IPSECVPN_OK);
    size_t before = alloc_calls;
    for (int i = 0; i < 100; i++) {
        size_t n = pkt4_ports(pkt, 17, H1, R1, (uint16_t)i, 2);
        cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
        cr_assert_eq(ipsecvpn_spd_lookup_in(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
        cr_assert_eq(ipsecvpn_spd_check_in(spd, 3, pkt, n), IPSECVPN_OK);
        cr_assert_eq(ipsecvpn_spd_check_in(spd, 4, pkt, n), IPSECVPN_ERR_ESP_SELECTOR);
    }
    cr_assert_eq(alloc_calls, before);
}

Test(spd, directions_are_separate_and_mirrored)
{
    uint8_t pkt[PKT_MAX];
    ipsecvpn_spd_policy p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_PROTECT, 1, 5,
                                v4(10, 0, 1, 0, 24), v4(192, 168, 7, 0, 24));
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    size_t n = pkt4_ports(pkt, 17, H1, R1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
    cr_assert_eq(ipsecvpn_spd_lookup_in(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);
    /* the reply R1 -> H1 is outbound-unmatched, inbound-matched once an IN policy exists */
    n = pkt4_ports(pkt, 17, R1, H1, 2, 1);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);
    p.dir = IPSECVPN_SPD_IN;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    uint32_t reqid = 0;
    cr_assert_eq(ipsecvpn_spd_lookup_in(spd, pkt, n, &reqid, NULL), IPSECVPN_SPD_PROTECT);
    cr_assert_eq(reqid, 5);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 5, pkt, n), IPSECVPN_OK);
}

/* ---- protocol, ports, ICMP ---------------------------------------------------------------- */

Test(spd, protocol_and_port_ranges)
{
    uint8_t pkt[PKT_MAX];
    /* protect TCP from local ports 1024..65535 to remote 443 only */
    ipsecvpn_spd_policy p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_PROTECT, 1, 3, ANY4, ANY4);
    p.sel.proto = 6;
    p.sel.local_port_min = 1024;
    p.sel.remote_port_min = 443;
    p.sel.remote_port_max = 443;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    p.dir = IPSECVPN_SPD_IN;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);

    size_t n = pkt4_ports(pkt, 6, H1, R1, 50000, 443);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
    n = pkt4_ports(pkt, 6, H1, R1, 1024, 443);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
    n = pkt4_ports(pkt, 6, H1, R1, 1023, 443);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);
    n = pkt4_ports(pkt, 6, H1, R1, 50000, 444);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);
    n = pkt4_ports(pkt, 17, H1, R1, 50000, 443);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY,
                 "UDP is not TCP");

    /* inbound: the remote's source port is 443, our destination port is the local one */
    n = pkt4_ports(pkt, 6, R1, H1, 443, 50000);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 3, pkt, n), IPSECVPN_OK);
    n = pkt4_ports(pkt, 6, R1, H1, 50000, 443);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 3, pkt, n), IPSECVPN_ERR_ESP_SELECTOR);
}

Test(spd, icmp_type_and_code_in_the_port_fields)
{
    uint8_t pkt[PKT_MAX];
    /* protect ICMP echo request (type 8, any code) in both directions */
    ipsecvpn_spd_policy p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_PROTECT, 1, 4, ANY4, ANY4);
    p.sel.proto = 1;
    p.sel.local_port_min = p.sel.local_port_max = 8;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    /* inbound, the sender is the remote side: its range holds the type */
    p.dir = IPSECVPN_SPD_IN;
    p.sel.local_port_min = 0;
    p.sel.local_port_max = 0xffff;
    p.sel.remote_port_min = p.sel.remote_port_max = 8;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    /* discard destination unreachable / fragmentation needed (3/4) only */
    p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_DISCARD, 2, 0, ANY4, ANY4);
    p.sel.proto = 1;
    p.sel.local_port_min = p.sel.local_port_max = 3;
    p.sel.remote_port_min = p.sel.remote_port_max = 4;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);

    size_t n = pkt4_icmp(pkt, H1, R1, 8, 0);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
    n = pkt4_icmp(pkt, H1, R1, 0, 0);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);
    n = pkt4_icmp(pkt, H1, R1, 3, 4);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_DISCARD);
    n = pkt4_icmp(pkt, H1, R1, 3, 3);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);
    /* inbound echo request from the remote: type 8 in remote_port */
    n = pkt4_icmp(pkt, R1, H1, 8, 0);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 4, pkt, n), IPSECVPN_OK);
    n = pkt4_icmp(pkt, R1, H1, 0, 8); /* type 0 code 8: type and code are not interchangeable */
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 4, pkt, n), IPSECVPN_ERR_ESP_SELECTOR);
    n = pkt4_icmp(pkt, R1, H1, 0, 0);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 4, pkt, n), IPSECVPN_ERR_ESP_SELECTOR);
}

Test(spd, non_first_fragments_match_only_any_ports)
{
    uint8_t pkt[PKT_MAX];
    ipsecvpn_spd_policy p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_DISCARD, 1, 0, ANY4, ANY4);
    p.sel.proto = 17;
    p.sel.remote_port_min = p.sel.remote_port_max = 53;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_PROTECT, 2, 8, ANY4, ANY4);
    p.sel.proto = 17;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);

    uint8_t l4[8] = {0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0}; /* 12345 -> 53 */
    size_t n = pkt4(pkt, 17, H1, R1, 0x2000, l4, sizeof(l4)); /* first fragment */
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_DISCARD);
    n = pkt4(pkt, 17, H1, R1, 0x0010, l4, sizeof(l4)); /* later fragment: OPAQUE */
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
}

/* ---- IPv6 --------------------------------------------------------------------------------- */

Test(spd, ipv6_prefixes)
{
    uint8_t pkt[PKT_MAX];
    ipsecvpn_spd_policy p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_PROTECT, 1, 6,
                                v6(L6, 48), v6(R6, 57));
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    size_t n = pkt6_ports(pkt, 17, L6, R6, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);

    uint8_t r[16];
    memcpy(r, R6, 16);
    r[7] = 0x7f; /* bit 57 is the top bit of byte 7: still inside /57 */
    n = pkt6_ports(pkt, 17, L6, r, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
    r[7] = 0x80; /* bit 57 set: outside */
    n = pkt6_ports(pkt, 17, L6, r, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);

    /* an IPv4 packet never matches an IPv6 policy, even 0/0 vs ::/0 */
    const uint8_t zero[16] = {0};
    p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_BYPASS, 9, 0, v6(zero, 0), v6(zero, 0));
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    n = pkt4_ports(pkt, 17, H1, R1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);
    n = pkt6_ports(pkt, 17, L6, r, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_BYPASS);

    /* /128 host selectors with ICMPv6 echo request (128) */
    p = pol(IPSECVPN_SPD_OUT, IPSECVPN_SPD_DISCARD, 0, 0, v6(L6, 128), v6(R6, 128));
    p.sel.proto = 58;
    p.sel.local_port_min = p.sel.local_port_max = 128;
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    uint8_t echo[8] = {128, 0, 0, 0, 0, 1, 0, 1};
    n = pkt6(pkt, 58, L6, R6, echo, sizeof(echo));
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_DISCARD);
    echo[0] = 129;
    n = pkt6(pkt, 58, L6, R6, echo, sizeof(echo));
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
}

/* ---- routing modes ------------------------------------------------------------------------ */

Test(spd, route_based_set)
{
    uint8_t pkt[PKT_MAX];
    cr_assert_eq(ipsecvpn_spd_add_route_based(spd, 0, 10, 1, 1), IPSECVPN_ERR_CONFIG_REQUIRED);
    cr_assert_eq(ipsecvpn_spd_add_route_based(spd, 77, 10, 0, 0), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_spd_add_route_based(NULL, 77, 10, 1, 1), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_spd_count(spd), 0);

    cr_assert_eq(ipsecvpn_spd_add_route_based(spd, 77, 10, 1, 1), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_count(spd), 4);

    uint32_t reqid = 0;
    size_t n = pkt4_ports(pkt, 6, H1, R1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, &reqid, NULL), IPSECVPN_SPD_PROTECT);
    cr_assert_eq(reqid, 77);
    const uint8_t a[4] = {8, 8, 8, 8}, b[4] = {1, 1, 1, 1};
    n = pkt4_icmp(pkt, a, b, 8, 0);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, &reqid, NULL), IPSECVPN_SPD_PROTECT);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 77, pkt, n), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 78, pkt, n), IPSECVPN_ERR_ESP_SELECTOR);
    n = pkt6_ports(pkt, 17, R6, L6, 1, 2);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 77, pkt, n), IPSECVPN_OK);

    /* only IPv4 */
    size_t removed = 0;
    cr_assert_eq(ipsecvpn_spd_remove_reqid(spd, 77, &removed), IPSECVPN_OK);
    cr_assert_eq(removed, 4);
    cr_assert_eq(ipsecvpn_spd_add_route_based(spd, 5, 10, 1, 0), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_count(spd), 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);

    /* a second route-based tunnel in the same SPD: the inbound check still tells them apart */
    cr_assert_eq(ipsecvpn_spd_add_route_based(spd, 6, 10, 1, 0), IPSECVPN_OK);
    n = pkt4_ports(pkt, 6, R1, H1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 5, pkt, n), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 6, pkt, n), IPSECVPN_OK);
}

Test(spd, policy_based_set_from_cidr_pairs)
{
    uint8_t pkt[PKT_MAX];
    const uint8_t fd1[16] = {0xfd, 0, 0, 1}, fd2[16] = {0xfd, 0, 0, 2};
    ipsecvpn_ip_prefix local[3] = {v4(10, 1, 0, 0, 16), v4(10, 2, 0, 0, 16), v6(fd1, 64)};
    ipsecvpn_ip_prefix remote[2] = {v4(192, 168, 10, 0, 24), v6(fd2, 64)};

    cr_assert_eq(ipsecvpn_spd_add_flows(spd, 42, 100, local, 3, remote, 2), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_count(spd), 6, "3 same-family pairs, both directions");

    const uint8_t l1[4] = {10, 1, 2, 3}, l2[4] = {10, 2, 200, 1}, l3[4] = {10, 3, 0, 1};
    const uint8_t r1[4] = {192, 168, 10, 4}, r2[4] = {192, 168, 11, 4};
    uint32_t reqid = 0;
    size_t n = pkt4_ports(pkt, 17, l1, r1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, &reqid, NULL), IPSECVPN_SPD_PROTECT);
    cr_assert_eq(reqid, 42);
    n = pkt4_ports(pkt, 17, l2, r1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
    n = pkt4_ports(pkt, 17, l3, r1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);
    n = pkt4_ports(pkt, 17, l1, r2, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);
    n = pkt4_ports(pkt, 17, r1, l1, 1, 2); /* reversed: that is inbound traffic */
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 42, pkt, n), IPSECVPN_OK);
    n = pkt4_ports(pkt, 17, r2, l1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 42, pkt, n), IPSECVPN_ERR_ESP_SELECTOR);

    uint8_t a6[16], b6[16];
    memcpy(a6, fd1, 16); a6[15] = 1;
    memcpy(b6, fd2, 16); b6[15] = 2;
    n = pkt6_ports(pkt, 6, a6, b6, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
}

Test(spd, policy_based_errors_leave_spd_unchanged)
{
    const uint8_t fd2[16] = {0xfd, 0, 0, 2};
    ipsecvpn_ip_prefix l4only[1] = {v4(10, 1, 0, 0, 16)};
    ipsecvpn_ip_prefix r6only[1] = {v6(fd2, 64)};
    ipsecvpn_ip_prefix bad[2] = {v4(192, 168, 0, 0, 16), v4(1, 2, 3, 4, 33)};
    ipsecvpn_ip_prefix badfam[1] = {v4(1, 2, 3, 4, 8)};
    badfam[0].family = 0;

    cr_assert_eq(ipsecvpn_spd_add_flows(spd, 1, 1, l4only, 1, r6only, 1),
                 IPSECVPN_ERR_CONFIG_FAMILY);
    cr_assert_eq(ipsecvpn_spd_add_flows(spd, 1, 1, l4only, 1, bad, 2), IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(ipsecvpn_spd_add_flows(spd, 1, 1, badfam, 1, l4only, 1),
                 IPSECVPN_ERR_CONFIG_SYNTAX);
    cr_assert_eq(ipsecvpn_spd_add_flows(spd, 0, 1, l4only, 1, l4only, 1),
                 IPSECVPN_ERR_CONFIG_REQUIRED);
    cr_assert_eq(ipsecvpn_spd_add_flows(spd, 1, 1, l4only, 0, l4only, 1),
                 IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_spd_add_flows(spd, 1, 1, NULL, 1, l4only, 1), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_spd_add_flows(spd, 1, 1, l4only, 5000, l4only, 5000),
                 IPSECVPN_ERR_CONFIG_RANGE);
    cr_assert_eq(ipsecvpn_spd_count(spd), 0);

    /* allocation failure while growing: nothing added */
    fail_realloc = 1;
    cr_assert_eq(ipsecvpn_spd_add_flows(spd, 1, 1, l4only, 1, bad, 1), IPSECVPN_ERR_NOMEM);
    cr_assert_eq(ipsecvpn_spd_add_route_based(spd, 1, 1, 1, 1), IPSECVPN_ERR_NOMEM);
    ipsecvpn_spd_policy p = pol(IPSECVPN_SPD_IN, IPSECVPN_SPD_BYPASS, 1, 0, ANY4, ANY4);
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_ERR_NOMEM);
    cr_assert_eq(ipsecvpn_spd_count(spd), 0);
    fail_realloc = 0;
    cr_assert_eq(ipsecvpn_spd_add_flows(spd, 1, 1, l4only, 1, bad, 1), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_count(spd), 2);
}

/* ---- inbound ------------------------------------------------------------------------------ */

Test(spd, check_in_rules)
{
    uint8_t pkt[PKT_MAX];
    /* discard one remote host first, bypass a management net, protect the rest via 7 and 8 */
    ipsecvpn_spd_policy p = pol(IPSECVPN_SPD_IN, IPSECVPN_SPD_DISCARD, 1, 0, ANY4,
                                v4(192, 168, 7, 66, 32));
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    p = pol(IPSECVPN_SPD_IN, IPSECVPN_SPD_BYPASS, 2, 0, ANY4, v4(192, 168, 7, 0, 24));
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    p = pol(IPSECVPN_SPD_IN, IPSECVPN_SPD_PROTECT, 3, 8, ANY4, v4(192, 168, 7, 0, 25));
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);
    p = pol(IPSECVPN_SPD_IN, IPSECVPN_SPD_PROTECT, 4, 7, ANY4, v4(192, 168, 0, 0, 16));
    cr_assert_eq(ipsecvpn_spd_add(spd, &p, NULL), IPSECVPN_OK);

    const uint8_t evil[4] = {192, 168, 7, 66}, low[4] = {192, 168, 7, 9};
    const uint8_t far[4] = {192, 168, 99, 1}, out[4] = {172, 16, 0, 1};
    size_t n = pkt4_ports(pkt, 17, evil, H1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 7, pkt, n), IPSECVPN_ERR_ESP_DISCARD);
    cr_assert_eq(ipsecvpn_spd_lookup_in(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_DISCARD);
    /* low: bypass matches first in plain lookup, but through ESP the protect policies count */
    n = pkt4_ports(pkt, 17, low, H1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_in(spd, pkt, n, NULL, NULL), IPSECVPN_SPD_BYPASS);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 8, pkt, n), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 7, pkt, n), IPSECVPN_OK);
    n = pkt4_ports(pkt, 17, far, H1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 7, pkt, n), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 8, pkt, n), IPSECVPN_ERR_ESP_SELECTOR);
    uint32_t reqid = 0;
    cr_assert_eq(ipsecvpn_spd_lookup_in(spd, pkt, n, &reqid, NULL), IPSECVPN_SPD_PROTECT,
                 "in clear but a protect policy covers it: the caller drops it");
    cr_assert_eq(reqid, 7);
    n = pkt4_ports(pkt, 17, out, H1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 7, pkt, n), IPSECVPN_ERR_ESP_SELECTOR);
    cr_assert_eq(ipsecvpn_spd_lookup_in(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_NO_POLICY);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 0, pkt, n), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_spd_check_in(NULL, 7, pkt, n), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 7, NULL, n), IPSECVPN_ERR_INVALID_ARG);
}

/* ---- bad packets -------------------------------------------------------------------------- */

Test(spd, bad_packets_each_get_a_code)
{
    uint8_t pkt[PKT_MAX];
    cr_assert_eq(ipsecvpn_spd_add_route_based(spd, 1, 1, 1, 1), IPSECVPN_OK);
    size_t n = pkt4_ports(pkt, 6, H1, R1, 1, 2);

    cr_assert_eq(ipsecvpn_spd_lookup_out(NULL, pkt, n, NULL, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, NULL, n, NULL, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, 0, NULL, NULL), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, 19, NULL, NULL), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ipsecvpn_spd_lookup_in(spd, pkt, n - 1, NULL, NULL), IPSECVPN_ERR_ESP_SHORT);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 1, pkt, 21), IPSECVPN_ERR_ESP_SHORT);
    pkt[0] = 0x75;
    cr_assert_eq(ipsecvpn_spd_lookup_out(spd, pkt, n, NULL, NULL), IPSECVPN_ERR_ESP_MALFORMED);
    cr_assert_eq(ipsecvpn_spd_check_in(spd, 1, pkt, n), IPSECVPN_ERR_ESP_MALFORMED);
    cr_assert(strstr(logs.line, "does not parse") != NULL, "got log: %s", logs.line);

    /* pseudo-random garbage of every length: a defined result, never a crash */
    uint32_t x = 0xdeadbeef;
    for (size_t len = 0; len < 200; len++) {
        for (int round = 0; round < 20; round++) {
            for (size_t i = 0; i < len; i++) {
                x ^= x << 13; x ^= x >> 17; x ^= x << 5;
                pkt[i] = (uint8_t)x;
            }
            if (len && round % 2)
                pkt[0] = (uint8_t)((pkt[0] & 0x0f) | (round % 4 == 1 ? 0x40 : 0x60));
            int rc = ipsecvpn_spd_lookup_out(spd, pkt, len, NULL, NULL);
            cr_assert(rc == IPSECVPN_SPD_PROTECT || rc == IPSECVPN_ERR_ESP_SHORT ||
                      rc == IPSECVPN_ERR_ESP_MALFORMED, "len %zu rc %d", len, rc);
            rc = ipsecvpn_spd_check_in(spd, 1, pkt, len);
            cr_assert(rc == IPSECVPN_OK || rc == IPSECVPN_ERR_ESP_SHORT ||
                      rc == IPSECVPN_ERR_ESP_MALFORMED, "len %zu rc %d", len, rc);
        }
    }
}

Test(spd_noctx, works_without_a_context)
{
    ipsecvpn_spd *s = NULL;
    cr_assert_eq(ipsecvpn_spd_new(NULL, NULL), IPSECVPN_ERR_INVALID_ARG);
    cr_assert_eq(ipsecvpn_spd_new(NULL, &s), IPSECVPN_OK);
    cr_assert_eq(ipsecvpn_spd_add_route_based(s, 3, 0, 1, 0), IPSECVPN_OK);
    uint8_t pkt[PKT_MAX];
    size_t n = pkt4_ports(pkt, 6, H1, R1, 1, 2);
    cr_assert_eq(ipsecvpn_spd_lookup_out(s, pkt, n, NULL, NULL), IPSECVPN_SPD_PROTECT);
    cr_assert_eq(ipsecvpn_spd_count(NULL), 0);
    cr_assert_eq(ipsecvpn_spd_remove_reqid(NULL, 3, NULL), IPSECVPN_ERR_INVALID_ARG);
    ipsecvpn_spd_free(s);
    ipsecvpn_spd_free(NULL);
}
