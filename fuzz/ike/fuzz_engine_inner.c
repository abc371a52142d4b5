/*
 * The IKEv2 exchange handlers behind a valid SK payload. Input: exchange (1 byte),
 * is_response (1 byte), first inner payload type (1 byte), then the inner payload chain:
 * the same layout as fuzz/corpus/ikev2_inner (decrypted strongSwan messages). Two engines
 * are brought to the state the message expects (deterministic random), the chain is
 * encrypted with the sending side's real keys and read by the other engine, so every
 * handler (IKE_AUTH, INFORMATIONAL, CREATE_CHILD_SA, their responses) sees fuzzed content.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/v2/v2_internal.h"
#include "ipsecvpn/ipsecvpn.h"

typedef struct side {
    uint64_t rng;
    ipsecvpn_ctx *ctx;
    ipsecvpn_engine *e;
    uint32_t id;
    uint8_t out[4][4200];
    size_t out_len[4];
    ipsecvpn_endpoint l, r;
    int n_out;
} side;

static int rng_cb(void *user, uint8_t *buf, size_t len)
{
    side *s = user;
    for (size_t i = 0; i < len; i++) {
        s->rng ^= s->rng << 13;
        s->rng ^= s->rng >> 7;
        s->rng ^= s->rng << 17;
        buf[i] = (uint8_t)(s->rng >> 24);
    }
    return 0;
}

static int send_cb(void *user, const ipsecvpn_endpoint *l, const ipsecvpn_endpoint *r,
                   const uint8_t *data, size_t len)
{
    side *s = user;
    if (s->n_out < 4 && len <= sizeof(s->out[0])) {
        memcpy(s->out[s->n_out], data, len);
        s->out_len[s->n_out++] = len;
        s->l = *l;
        s->r = *r;
    }
    return 0;
}

static void log_cb(void *user, ipsecvpn_log_level level, const char *msg, size_t len)
{
    (void)level;
    fprintf(stderr, "[%s] %.*s\n", ((side *)user)->rng & 1 ? "?" : "-", (int)len, msg);
}

static ipsecvpn_endpoint ep(uint8_t last)
{
    ipsecvpn_endpoint e;
    memset(&e, 0, sizeof(e));
    e.addr.family = IPSECVPN_IPV4;
    e.addr.bytes[0] = 192;
    e.addr.bytes[2] = 2;
    e.addr.bytes[3] = last;
    e.port = 500;
    return e;
}

static int setup(side *s, int me)
{
    ipsecvpn_host host = { .version = IPSECVPN_HOST_VERSION, .user_data = s,
                           .log_level = IPSECVPN_LOG_ERROR, .random = rng_cb };
    s->rng = me ? 0x1111222233334444ull : 0x5555666677778888ull;
    if (getenv("FUZZ_LOG")) {
        host.log = log_cb;
        host.log_level = IPSECVPN_LOG_DEBUG;
    }
    if (ipsecvpn_ctx_new(&host, &s->ctx) != IPSECVPN_OK)
        return -1;
    ipsecvpn_connection *c = NULL;
    const char *f[] = { "local_address", "peer_address", "psk", "ike.version", "ike.dh_group",
                        "ipsec.pfs", "dpd.enabled" };
    const char *v[] = { me ? "192.0.2.2" : "192.0.2.1", me ? "192.0.2.1" : "192.0.2.2", "fuzz",
                        "ikev2", "group1", "group1", "on" };
    ipsecvpn_engine_callbacks cb = { .version = IPSECVPN_ENGINE_CALLBACKS_VERSION,
                                     .send = send_cb };
    int rc = -1;
    if (ipsecvpn_connection_new(s->ctx, IPSECVPN_PROFILE_CLOUD, &c) == IPSECVPN_OK &&
        ipsecvpn_connection_update(c, f, v, 7, NULL) == IPSECVPN_OK &&
        ipsecvpn_engine_new(s->ctx, &cb, NULL, s, &s->e) == IPSECVPN_OK) {
        ipsecvpn_endpoint l = ep(me ? 2 : 1), r = ep(me ? 1 : 2);
        rc = ipsecvpn_engine_add_connection(s->e, c, &l, &r, 1000, &s->id);
    }
    ipsecvpn_connection_free(c);
    return rc;
}

/* Deliver everything `from` sent to `to`. */
static void deliver(side *from, side *to)
{
    int n = from->n_out;
    from->n_out = 0;
    for (int i = 0; i < n; i++) {
        ipsecvpn_read_result res;
        (void)ipsecvpn_engine_read(to->e, &from->r, &from->l, from->out[i], from->out_len[i],
                                   2000, &res);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 3000)
        return 0;
    uint8_t exch = data[0];
    int response = data[1] & 1;
    side a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    if (setup(&a, 0) != 0 || setup(&b, 1) != 0)
        goto done;
    ipsecvpn_engine_initiate(a.e, a.id, 1000);
    deliver(&a, &b); /* IKE_SA_INIT request */
    deliver(&b, &a); /* response; A sends IKE_AUTH */
    bool auth = exch == IVPN_IKEV2_EXCH_IKE_AUTH;
    if (!auth) {
        deliver(&a, &b);
        deliver(&b, &a);
    } else {
        a.n_out = 0;
    }
    ivpn_conn *ca = ivpn_engine_find_conn(a.e, a.id), *cb = ivpn_engine_find_conn(b.e, b.id);
    if (!ca || !cb || !ca->ike || !cb->ike)
        goto done;
    /* the sender: A for requests, B for responses (to the request A has outstanding) */
    ivpn_ike_sa *sender = response ? cb->ike : ca->ike;
    uint32_t msgid = ca->ike->msgid_out;
    if (response && !auth) {
        if (exch == IVPN_IKEV2_EXCH_CREATE_CHILD_SA)
            (void)ivpn_ikev2_rekey_child_send(a.e, ca, 3000);
        else
            (void)ivpn_ikev2_dpd_send(a.e, ca, 3000);
        msgid = ca->ike->req_id;
    } else if (response) {
        msgid = 1;
    }
    a.n_out = 0;
    ivpn_msg *m = malloc(sizeof(*m));
    if (!m)
        goto done;
    ivpn_msg_begin(m);
    m->buf[0] = data[2];
    size_t chain = size - 3;
    if (chain + 1 > sizeof(m->buf)) {
        free(m);
        goto done;
    }
    memcpy(m->buf + 1, data + 3, chain);
    m->w.len = 1 + chain;
    m->cw.open = false;
    uint8_t *out = NULL;
    size_t len = 0;
    ipsecvpn_engine *sender_e = response ? b.e : a.e;
    if (ivpn_msg_finish_sk(sender_e, sender, exch, response, msgid, m, &out, &len) == IPSECVPN_OK) {
        ipsecvpn_engine *to = response ? a.e : b.e;
        ipsecvpn_endpoint from = sender->local, dst = sender->remote;
        uint8_t *buf = malloc(len + 4);
        if (buf) {
            size_t off = 0;
            if (dst.port != 500) {
                memset(buf, 0, 4);
                off = 4;
            }
            memcpy(buf + off, out, len);
            ipsecvpn_read_result res;
            (void)ipsecvpn_engine_read(to, &dst, &from, buf, len + off, 4000, &res);
            (void)ipsecvpn_engine_handle_expiry(to, ipsecvpn_engine_get_expiry(to));
            free(buf);
        }
        ivpn_free(response ? b.ctx : a.ctx, out);
    }
    free(m);
done:
    ipsecvpn_engine_free(a.e);
    ipsecvpn_engine_free(b.e);
    ipsecvpn_ctx_free(a.ctx);
    ipsecvpn_ctx_free(b.ctx);
    return 0;
}
