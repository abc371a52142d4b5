/*
 * The engine object (include/ipsecvpn/engine.h): host callbacks and settings, the table of
 * connections with their status machine (DOWN -> BUILD -> ACTIVE, or ERROR with a reason),
 * events, timers (the next deadline is the minimum over every connection's timers), and
 * the data path through the engine's own ESP SAs. The IKE protocols are lib/ike/v2 and lib/ike/v1, behind ivpn_ike_ops.
 */
#include <string.h>

#include "core/engine_internal.h"
#include "ike/common/child_sa.h"
#include "ike/common/ts.h"
#include "ike/v2/ikev2.h"
#ifdef IPSECVPN_HAVE_IKEV1
#include "ike/v1/ikev1.h"
#endif
#include "ipsecvpn/udp_encap.h"

#define ACQUIRE_INTERVAL_MS 2000

IPSECVPN_EXPORT void ipsecvpn_engine_settings_default(ipsecvpn_engine_settings *s)
{
    if (!s)
        return;
    memset(s, 0, sizeof(*s));
    s->version = IPSECVPN_ENGINE_SETTINGS_VERSION;
    s->retransmit_base_ms = 500;
    s->retransmit_tries = 5;
    s->cookie_threshold = 32;
    s->keepalive_s = 20;
    s->rekey_jitter_pct = 10;
    s->install_sas = 1;
    s->natt_port = 4500;
}

IPSECVPN_EXPORT int ipsecvpn_engine_new(ipsecvpn_ctx *ctx, const ipsecvpn_engine_callbacks *cb,
                                        const ipsecvpn_engine_settings *settings,
                                        void *user_data, ipsecvpn_engine **out)
{
    if (!ctx || !cb || !cb->send || !out)
        return IPSECVPN_ERR_INVALID_ARG;
    if (cb->version != IPSECVPN_ENGINE_CALLBACKS_VERSION ||
        (settings && settings->version != IPSECVPN_ENGINE_SETTINGS_VERSION))
        return IPSECVPN_ERR_VERSION;
    ipsecvpn_engine *e = ivpn_zalloc(ctx, sizeof(*e));
    if (!e)
        return IPSECVPN_ERR_NOMEM;
    e->ctx = ctx;
    e->cb = *cb;
    e->user_data = user_data;
    if (settings)
        e->settings = *settings;
    else
        ipsecvpn_engine_settings_default(&e->settings);
    if (e->settings.retransmit_base_ms == 0)
        e->settings.retransmit_base_ms = 500;
    if (e->settings.natt_port == 0)
        e->settings.natt_port = IPSECVPN_NATT_PORT;
    e->next_id = 1;
    if (ivpn_random(ctx, e->cookie_secret, sizeof(e->cookie_secret)) != IPSECVPN_OK) {
        ivpn_free(ctx, e);
        return IPSECVPN_ERR_RANDOM;
    }
    *out = e;
    return IPSECVPN_OK;
}

static void conn_free(ipsecvpn_engine *e, ivpn_conn *c)
{
    c->ops->close(e, c, 0, false);
    ivpn_child_remove_all(e, c, false); /* whatever the engine left */
    ivpn_ts_set_free(e->ctx, &c->cfg_local_ts);
    ivpn_ts_set_free(e->ctx, &c->cfg_remote_ts);
    if (c->cfg) {
        ivpn_wipe(c->cfg, c->cfg->size); /* the PSK is in it */
        ivpn_free(e->ctx, c->cfg);
    }
    ivpn_free(e->ctx, c);
}

/* Append a string to the compact copy's string area. */
static const char *put_str(char **at, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(*at, s, n);
    const char *r = *at;
    *at += n;
    return r;
}

/* The engine-side copy of a configuration: what the IKE engines read, nothing else (no
 * names, descriptions, BGP or health check), with the PSK and IDs sized to their text. */
static ivpn_conn_cfg *cfg_compact(const ipsecvpn_ctx *ctx, const ivpn_connection_values *v)
{
    size_t size = sizeof(ivpn_conn_cfg) + strlen(v->psk) + strlen(v->ike.local_id.text) +
                  strlen(v->ike.remote_id.text) + 3;
    ivpn_conn_cfg *k = ivpn_zalloc(ctx, size);
    if (!k)
        return NULL;
    char *at = (char *)(k + 1);
    k->size = size;
    k->admin_up = v->admin_up;
    k->effective_immediately = v->effective_immediately;
    k->nat_traversal = v->nat_traversal;
    k->local_address = v->local_address;
    k->peer_address = v->peer_address;
    k->gateway_type = v->gateway_type;
    k->routing_mode = v->routing_mode;
    k->initiator = v->initiator;
    k->mtu = v->mtu;
    k->psk = put_str(&at, v->psk);
    k->dpd = v->dpd;
    k->ike.version = v->ike.version;
    k->ike.mode = v->ike.mode;
    k->ike.encryption = v->ike.encryption;
    k->ike.integrity = v->ike.integrity;
    k->ike.dh_group = v->ike.dh_group;
    k->ike.lifetime = v->ike.lifetime;
    k->ike.local_id.type = v->ike.local_id.type;
    k->ike.local_id.text = put_str(&at, v->ike.local_id.text);
    k->ike.remote_id.type = v->ike.remote_id.type;
    k->ike.remote_id.text = put_str(&at, v->ike.remote_id.text);
    k->ipsec.mode = v->ipsec.mode;
    k->ipsec.encryption = v->ipsec.encryption;
    k->ipsec.integrity = v->ipsec.integrity;
    k->ipsec.pfs = v->ipsec.pfs;
    k->ipsec.lifetime = v->ipsec.lifetime;
    return k;
}

/* The configuration's selectors, each side in an allocation of exactly its size. */
static int cfg_selectors(const ipsecvpn_ctx *ctx, const ivpn_connection_values *v, ivpn_conn *c)
{
    IVPN_TS_SET_LOCAL(l);
    IVPN_TS_SET_LOCAL(r);
    ivpn_ts_from_config(v, true, &l);
    ivpn_ts_from_config(v, false, &r);
    int rc = ivpn_ts_set_copy(ctx, &l, &c->cfg_local_ts);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ts_set_copy(ctx, &r, &c->cfg_remote_ts);
    return rc;
}

IPSECVPN_EXPORT void ipsecvpn_engine_free(ipsecvpn_engine *e)
{
    if (!e)
        return;
    /* no events from a dying engine: the host is tearing down */
    e->cb.event = NULL;
    while (e->conns) {
        ivpn_conn *c = e->conns;
        e->conns = c->next;
        conn_free(e, c);
    }
    ivpn_wipe(e->cookie_secret, sizeof(e->cookie_secret));
    ivpn_free(e->ctx, e);
}

ivpn_conn *ivpn_engine_find_conn(ipsecvpn_engine *e, uint32_t id)
{
    for (ivpn_conn *c = e->conns; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

ivpn_conn *ivpn_engine_conn_for_peer(ipsecvpn_engine *e, const ivpn_ike_ops *ops,
                                     const ipsecvpn_endpoint *local,
                                     const ipsecvpn_endpoint *remote)
{
    for (ivpn_conn *c = e->conns; c; c = c->next) {
        size_t n = c->remote.addr.family == IPSECVPN_IPV6 ? 16 : 4;
        if (c->ops != ops || c->remote.addr.family != remote->addr.family ||
            memcmp(c->remote.addr.bytes, remote->addr.bytes, n) != 0)
            continue;
        if (c->local.addr.family == 0 || (c->local.addr.family == local->addr.family &&
                                           memcmp(c->local.addr.bytes, local->addr.bytes, n) == 0))
            return c;
    }
    return NULL;
}

void ivpn_engine_emit(ipsecvpn_engine *e, ipsecvpn_event_type type, const ivpn_conn *c,
                      int reason, const ipsecvpn_child_sa_info *child)
{
    if (!e->cb.event)
        return;
    ipsecvpn_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = IPSECVPN_EVENT_VERSION;
    ev.type = type;
    ev.conn_id = c->id;
    ev.status = c->status;
    ev.reason = reason;
    ev.child = child;
    e->cb.event(e->user_data, &ev);
}

void ivpn_engine_set_status(ipsecvpn_engine *e, ivpn_conn *c, ipsecvpn_status s, int reason)
{
    if (c->status == s && c->reason == reason)
        return;
    c->status = s;
    c->reason = reason;
    IVPN_LOG_INFO(e->ctx, "connection %u: %s%s%s", c->id, ipsecvpn_status_name(s),
                  reason ? ": " : "", reason ? ipsecvpn_strerror(reason) : "");
    ivpn_engine_emit(e, IPSECVPN_EVENT_STATUS, c, reason, NULL);
}

int ivpn_engine_send_raw(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                         const ipsecvpn_endpoint *remote, const uint8_t *msg, size_t len,
                         bool marker)
{
    if (!marker)
        return e->cb.send(e->user_data, local, remote, msg, len) ? IPSECVPN_ERR_CALLBACK
                                                                 : IPSECVPN_OK;
    uint8_t *buf = ivpn_malloc(e->ctx, len + IPSECVPN_NON_ESP_MARKER_LEN);
    if (!buf)
        return IPSECVPN_ERR_NOMEM;
    memset(buf, 0, IPSECVPN_NON_ESP_MARKER_LEN);
    memcpy(buf + IPSECVPN_NON_ESP_MARKER_LEN, msg, len);
    int rc = e->cb.send(e->user_data, local, remote, buf, len + IPSECVPN_NON_ESP_MARKER_LEN);
    ivpn_free(e->ctx, buf);
    return rc ? IPSECVPN_ERR_CALLBACK : IPSECVPN_OK;
}

int ivpn_engine_send_ike(ipsecvpn_engine *e, const ivpn_ike_sa *sa, const uint8_t *msg,
                         size_t len)
{
    /* the receiver's port decides: anywhere but 500, IKE travels behind the non-ESP marker */
    return ivpn_engine_send_raw(e, &sa->local, &sa->remote, msg, len,
                                sa->remote.port != IPSECVPN_IKE_PORT);
}

void ivpn_engine_test_extra_ke_group(ipsecvpn_engine *e, uint16_t group)
{
    e->test_extra_ke_group = group;
}

static void endpoint_from(const ivpn_ip *ip, ipsecvpn_endpoint *ep)
{
    memset(ep, 0, sizeof(*ep));
    ep->addr.family = ip->family;
    memcpy(ep->addr.bytes, ip->addr, 16);
    ep->port = IPSECVPN_IKE_PORT;
}

/* The IKE engine of a configured version; NULL when it is not in this build. */
static const ivpn_ike_ops *ops_for(ivpn_ike_version v)
{
#ifdef IPSECVPN_HAVE_IKEV1
    if (v == IVPN_IKEV1)
        return &ivpn_ikev1_ops;
#endif
    return v == IVPN_IKEV2 ? &ivpn_ikev2_ops : NULL;
}

static bool may_initiate(const ivpn_conn *c)
{
    const ivpn_conn_cfg *v = ivpn_conn_values(c);
    return v->admin_up && v->initiator == IVPN_INITIATOR_BIDIRECTIONAL;
}

IPSECVPN_EXPORT int ipsecvpn_engine_add_connection(ipsecvpn_engine *e,
                                                   const ipsecvpn_connection *conn,
                                                   const ipsecvpn_endpoint *local,
                                                   const ipsecvpn_endpoint *remote,
                                                   uint64_t now, uint32_t *conn_id)
{
    if (!e || !conn || !conn_id)
        return IPSECVPN_ERR_INVALID_ARG;
    int rc = ipsecvpn_connection_validate(conn, NULL);
    if (rc != IPSECVPN_OK)
        return rc;
    const ivpn_ike_ops *ops = ops_for(conn->v.ike.version);
    if (!ops) {
        IVPN_LOG_WARN(e->ctx, "engine: IKEv1 was left out of this build (meson -Dikev1=false)");
        return IPSECVPN_ERR_UNSUPPORTED;
    }
    ivpn_conn *c = ivpn_zalloc(e->ctx, sizeof(*c));
    if (!c)
        return IPSECVPN_ERR_NOMEM;
    c->ops = ops;
    c->cfg = cfg_compact(e->ctx, &conn->v);
    rc = c->cfg ? cfg_selectors(e->ctx, &conn->v, c) : IPSECVPN_ERR_NOMEM;
    if (rc != IPSECVPN_OK) {
        ivpn_ts_set_free(e->ctx, &c->cfg_local_ts);
        ivpn_ts_set_free(e->ctx, &c->cfg_remote_ts);
        ivpn_free(e->ctx, c->cfg);
        ivpn_free(e->ctx, c);
        return rc;
    }
    if (local)
        c->local = *local;
    else
        endpoint_from(&conn->v.local_address, &c->local);
    if (remote)
        c->remote = *remote;
    else
        endpoint_from(&conn->v.peer_address, &c->remote);
    c->id = e->next_id++;
    c->status = IPSECVPN_STATUS_DOWN;
    c->next = e->conns;
    e->conns = c;
    *conn_id = c->id;
    if (conn->v.effective_immediately && may_initiate(c))
        (void)c->ops->initiate(e, c, now);
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT int ipsecvpn_engine_remove_connection(ipsecvpn_engine *e, uint32_t conn_id,
                                                      uint64_t now)
{
    if (!e)
        return IPSECVPN_ERR_INVALID_ARG;
    for (ivpn_conn **pp = &e->conns; *pp; pp = &(*pp)->next) {
        ivpn_conn *c = *pp;
        if (c->id != conn_id)
            continue;
        c->ops->close(e, c, now, true);
        *pp = c->next;
        conn_free(e, c);
        return IPSECVPN_OK;
    }
    return IPSECVPN_ERR_NOT_FOUND;
}

IPSECVPN_EXPORT int ipsecvpn_engine_initiate(ipsecvpn_engine *e, uint32_t conn_id, uint64_t now)
{
    if (!e)
        return IPSECVPN_ERR_INVALID_ARG;
    ivpn_conn *c = ivpn_engine_find_conn(e, conn_id);
    if (!c)
        return IPSECVPN_ERR_NOT_FOUND;
    if (!may_initiate(c) || c->ops->busy(c))
        return IPSECVPN_ERR_STATE;
    c->restart_at = 0;
    return c->ops->initiate(e, c, now);
}

IPSECVPN_EXPORT int ipsecvpn_engine_get_status(const ipsecvpn_engine *e, uint32_t conn_id,
                                               ipsecvpn_status *status, int *reason)
{
    if (!e)
        return IPSECVPN_ERR_INVALID_ARG;
    ivpn_conn *c = ivpn_engine_find_conn((ipsecvpn_engine *)e, conn_id);
    if (!c)
        return IPSECVPN_ERR_NOT_FOUND;
    if (status)
        *status = c->status;
    if (reason)
        *reason = c->reason;
    return IPSECVPN_OK;
}

/* ---- data path ----------------------------------------------------------------------------- */

static int esp_in(ipsecvpn_engine *e, uint8_t *data, size_t off, size_t len, uint64_t now,
                  ipsecvpn_read_result *res)
{
    uint32_t spi = (uint32_t)data[off] << 24 | (uint32_t)data[off + 1] << 16 |
                   (uint32_t)data[off + 2] << 8 | data[off + 3];
    for (ivpn_conn *c = e->conns; c; c = c->next) {
        ivpn_child *ch = ivpn_child_find(c, spi);
        if (ch && ch->sa_in) {
            res->conn_id = c->id;
            size_t ioff = 0, ilen = 0;
            int rc = ipsecvpn_esp_decrypt(ch->sa_in, data + off, len - off, now, 0, &ioff, &ilen,
                                          NULL);
            if (rc != IPSECVPN_OK)
                return rc;
            c->ops->peer_alive(c, now);
            res->kind = IPSECVPN_READ_PLAINTEXT;
            res->offset = off + ioff;
            res->len = ilen;
            return IPSECVPN_OK;
        }
    }
    IVPN_LOG_DEBUG(e->ctx, "engine: ESP for unknown SPI 0x%08x dropped", spi);
    return IPSECVPN_ERR_ESP_SPI;
}

IPSECVPN_EXPORT int ipsecvpn_engine_read(ipsecvpn_engine *e, const ipsecvpn_endpoint *local,
                                         const ipsecvpn_endpoint *remote, uint8_t *data,
                                         size_t len, uint64_t now, ipsecvpn_read_result *res)
{
    if (!e || !local || !remote || !res || (!data && len))
        return IPSECVPN_ERR_INVALID_ARG;
    memset(res, 0, sizeof(*res));
    res->kind = IPSECVPN_READ_CONSUMED;
    size_t off = 0;
    if (local->port != IPSECVPN_IKE_PORT) {
        int kind = ipsecvpn_udp_classify(data, len, &off);
        if (kind < 0)
            return kind;
        if (kind == IPSECVPN_UDP_KEEPALIVE)
            return IPSECVPN_OK;
        if (kind == IPSECVPN_UDP_ESP)
            return esp_in(e, data, off, len, now, res);
    }
    /* ISAKMP and IKEv2 share the ports: the major version (high nibble of octet 17) says
     * which engine the message is for */
    if (len - off > 17 && data[off + 17] >> 4 == 1) {
#ifdef IPSECVPN_HAVE_IKEV1
        return ivpn_ikev1_receive(e, local, remote, data + off, len - off, now, &res->conn_id);
#else
        IVPN_LOG_DEBUG(e->ctx, "engine: IKEv1 message dropped: IKEv1 is not in this build");
        return IPSECVPN_ERR_UNSUPPORTED;
#endif
    }
    return ivpn_ikev2_receive(e, local, remote, data + off, len - off, now, &res->conn_id);
}

/* Source and destination of an IP packet, without trusting more than the fixed header. */
static int ip_addrs(const uint8_t *p, size_t len, uint8_t *family, const uint8_t **src,
                    const uint8_t **dst)
{
    if (len >= 20 && p[0] >> 4 == 4) {
        *family = 4;
        *src = p + 12;
        *dst = p + 16;
        return IPSECVPN_OK;
    }
    if (len >= 40 && p[0] >> 4 == 6) {
        *family = 6;
        *src = p + 8;
        *dst = p + 24;
        return IPSECVPN_OK;
    }
    return IPSECVPN_ERR_ESP_MALFORMED;
}

static void esp_endpoints(const ivpn_child *ch, ipsecvpn_endpoint *local,
                          ipsecvpn_endpoint *remote)
{
    *local = ch->local;
    *remote = ch->remote;
    if (!ch->encap) {
        local->port = 0; /* plain ESP: IP protocol 50, no UDP */
        remote->port = 0;
    }
}

IPSECVPN_EXPORT int ipsecvpn_engine_protect(ipsecvpn_engine *e, uint8_t *buf, size_t buf_size,
                                            size_t off, size_t len, uint64_t now,
                                            ipsecvpn_endpoint *local, ipsecvpn_endpoint *remote,
                                            size_t *out_off, size_t *out_len)
{
    if (!e || !buf || !local || !remote || !out_off || !out_len || off > buf_size ||
        len > buf_size - off)
        return IPSECVPN_ERR_INVALID_ARG;
    uint8_t family;
    const uint8_t *src, *dst;
    int rc = ip_addrs(buf + off, len, &family, &src, &dst);
    if (rc != IPSECVPN_OK)
        return rc;
    /* the Child SA pair whose selectors hold the packet (a connection may hold several) */
    for (ivpn_conn *c = e->conns; c; c = c->next) {
        ivpn_child *ch = ivpn_child_route(c, family, src, dst);
        if (ch) {
            rc = ipsecvpn_esp_encrypt(ch->sa_out, buf, buf_size, off, len, now, 0, out_off,
                                      out_len);
            if (rc == IPSECVPN_OK)
                esp_endpoints(ch, local, remote);
            return rc;
        }
    }
    for (ivpn_conn *c = e->conns; c; c = c->next) {
        if (!ivpn_ts_contains(&c->cfg_local_ts, family, src) ||
            !ivpn_ts_contains(&c->cfg_remote_ts, family, dst))
            continue;
        if (c->status == IPSECVPN_STATUS_ACTIVE && !e->settings.install_sas)
            return IPSECVPN_ERR_UNSUPPORTED; /* the host runs its own data plane */
        /* at most one traffic-triggered negotiation per ACQUIRE_INTERVAL_MS, so a stream of
         * packets toward a peer that keeps refusing us does not become an IKE_SA_INIT storm */
        if (!c->ops->busy(c) && may_initiate(c) &&
            (c->last_acquire == 0 || now >= c->last_acquire + ACQUIRE_INTERVAL_MS)) {
            c->last_acquire = now ? now : 1;
            c->restart_at = 0;
            ivpn_engine_emit(e, IPSECVPN_EVENT_ACQUIRE, c, 0, NULL);
            (void)c->ops->initiate(e, c, now);
        }
        return IPSECVPN_ERR_STATE;
    }
    return IPSECVPN_ERR_ESP_NO_POLICY;
}

IPSECVPN_EXPORT uint64_t ipsecvpn_engine_get_expiry(const ipsecvpn_engine *e)
{
    uint64_t t = UINT64_MAX;
    if (!e)
        return t;
    for (const ivpn_conn *c = e->conns; c; c = c->next) {
        uint64_t ct = c->ops->next_expiry(c);
        if (ct < t)
            t = ct;
    }
    return t;
}

IPSECVPN_EXPORT int ipsecvpn_engine_handle_expiry(ipsecvpn_engine *e, uint64_t now)
{
    if (!e)
        return IPSECVPN_ERR_INVALID_ARG;
    for (ivpn_conn *c = e->conns; c; c = c->next)
        if (c->ops->next_expiry(c) <= now)
            c->ops->handle_expiry(e, c, now);
    return IPSECVPN_OK;
}
