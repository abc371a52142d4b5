/*
 * Child SA installation shared by the IKE engines (child_sa.h): the ESP SA pair in the
 * engine's own ESP layer and the event that hands the same keys and selectors to the host.
 */
#include <string.h>

#include "ike/common/child_sa.h"
#include "ike/common/ts.h"

int ivpn_child_new_spi(ipsecvpn_engine *e, uint32_t *spi)
{
    for (int tries = 0; tries < 16; tries++) {
        uint8_t b[4];
        int rc = ivpn_random(e->ctx, b, 4);
        if (rc != IPSECVPN_OK)
            return rc;
        uint32_t s = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (s < 256)
            continue;
        bool used = false;
        for (ivpn_conn *c = e->conns; c && !used; c = c->next)
            used = ivpn_child_find(c, s) != NULL;
        if (!used) {
            *spi = s;
            return IPSECVPN_OK;
        }
    }
    return IPSECVPN_ERR_RANDOM;
}

ivpn_child *ivpn_child_first(const ivpn_conn *c) { return c->children; }

ivpn_child *ivpn_child_next(const ivpn_child *ch) { return ch->next; }

ivpn_child *ivpn_child_find(ivpn_conn *c, uint32_t spi_in)
{
    for (ivpn_child *ch = c->children; ch; ch = ch->next)
        if (ch->spi_in == spi_in)
            return ch;
    return NULL;
}

ivpn_child *ivpn_child_find_out(ivpn_conn *c, uint32_t spi_out)
{
    for (ivpn_child *ch = c->children; ch; ch = ch->next)
        if (ch->spi_out == spi_out)
            return ch;
    return NULL;
}

ivpn_child *ivpn_child_current(const ivpn_conn *c)
{
    for (ivpn_child *ch = c->children; ch; ch = ch->next)
        if (!ch->retired)
            return ch;
    return NULL;
}

size_t ivpn_child_count(const ivpn_conn *c)
{
    size_t n = 0;
    for (const ivpn_child *ch = c->children; ch; ch = ch->next)
        n++;
    return n;
}

ivpn_child *ivpn_child_route(const ivpn_conn *c, uint8_t family, const uint8_t *src,
                             const uint8_t *dst)
{
    ivpn_child *fallback = NULL;
    for (ivpn_child *ch = c->children; ch; ch = ch->next) {
        if (!ch->sa_out || !ivpn_ts_contains(&ch->local_ts, family, src) ||
            !ivpn_ts_contains(&ch->remote_ts, family, dst))
            continue;
        if (!ch->retired)
            return ch;
        if (!fallback)
            fallback = ch;
    }
    return fallback;
}

void ivpn_child_retire(ivpn_child *ch, uint32_t by)
{
    ch->retired = true;
    ch->replaced_by = by;
    ch->rekey_at = 0;
}

ivpn_child *ivpn_child_detach(ivpn_conn *c)
{
    ivpn_child *list = c->children;
    c->children = NULL;
    return list;
}

void ivpn_child_reattach(ivpn_conn *c, ivpn_child *list)
{
    if (!list)
        return;
    ivpn_child *tail = list;
    while (tail->next)
        tail = tail->next;
    tail->next = c->children;
    c->children = list;
}

int ivpn_child_key_lengths(const ivpn_algs *a, size_t *encr_len, size_t *integ_len)
{
    const ivpn_cipher_info *ci = ivpn_cipher_lookup(a->encr, a->encr_bits);
    const ivpn_integ_info *ii = a->integ ? ivpn_integ_lookup(a->integ) : NULL;
    if (!ci || (!ci->aead && !ii))
        return IPSECVPN_ERR_CRYPTO_ALG;
    *encr_len = (size_t)ci->key_len + ci->salt_len;
    *integ_len = ii ? ii->key_len : 0;
    return IPSECVPN_OK;
}

/* Inbound selectors: every local prefix with every remote prefix. Protocol and ports are
 * carried over when each side is one selector (the configuration never narrows them). */
static size_t selectors(const ivpn_ts_set *l, const ivpn_ts_set *r, ipsecvpn_selector *out)
{
    ipsecvpn_ip_prefix lp[IPSECVPN_ESP_MAX_SELECTORS], rp[IPSECVPN_ESP_MAX_SELECTORS];
    size_t nl = ivpn_ts_to_prefixes(l, lp, IPSECVPN_ESP_MAX_SELECTORS);
    size_t nr = ivpn_ts_to_prefixes(r, rp, IPSECVPN_ESP_MAX_SELECTORS);
    bool one = l->n == 1 && r->n == 1;
    size_t k = 0;
    for (size_t i = 0; i < nl; i++)
        for (size_t j = 0; j < nr && k < IPSECVPN_ESP_MAX_SELECTORS; j++) {
            if (lp[i].family != rp[j].family)
                continue;
            ipsecvpn_selector *s = &out[k++];
            memset(s, 0, sizeof(*s));
            s->local = lp[i];
            s->remote = rp[j];
            s->local_port_max = s->remote_port_max = 65535;
            if (one && (l->ts[0].proto == r->ts[0].proto || !l->ts[0].proto || !r->ts[0].proto)) {
                s->proto = l->ts[0].proto ? l->ts[0].proto : r->ts[0].proto;
                s->local_port_min = l->ts[0].port_lo;
                s->local_port_max = l->ts[0].port_hi;
                s->remote_port_min = r->ts[0].port_lo;
                s->remote_port_max = r->ts[0].port_hi;
            }
        }
    return k;
}

uint64_t ivpn_soft_lifetime_ms(ipsecvpn_engine *e, uint32_t hard_s)
{
    uint8_t r = 0;
    (void)ivpn_random(e->ctx, &r, 1);
    uint32_t jitter = e->settings.rekey_jitter_pct > 50 ? 50 : e->settings.rekey_jitter_pct;
    uint32_t pct = 90 - (jitter ? r % (jitter + 1) : 0);
    return (uint64_t)hard_s * 10 * pct; /* hard_s * 1000 * pct / 100 */
}

/* The pair in the engine's own ESP layer: inbound with the selectors it must enforce. */
static int esp_pair_new(ipsecvpn_engine *e, const ivpn_child_params *cp, ivpn_child *ch,
                        uint64_t now)
{
    const ivpn_algs *a = cp->algs;
    const ivpn_child_keys *k = cp->keys;
    ipsecvpn_selector sel[IPSECVPN_ESP_MAX_SELECTORS];
    ipsecvpn_esp_sa_params p;
    memset(&p, 0, sizeof(p));
    p.version = IPSECVPN_ESP_SA_PARAMS_VERSION;
    p.mode = cp->transport ? IPSECVPN_ESP_MODE_TRANSPORT : IPSECVPN_ESP_MODE_TUNNEL;
    p.encr = a->encr;
    p.encr_key_bits = a->encr_bits;
    p.integ = a->integ;
    p.esn = a->esn;
    p.encr_key_len = k->encr_len;
    p.integ_key_len = k->integ_len;
    p.local_addr = cp->local.addr;
    p.remote_addr = cp->remote.addr;
    if (cp->encap) {
        p.local_port = cp->local.port;
        p.remote_port = cp->remote.port;
    }
    p.hard.seconds = cp->lifetime_s ? cp->lifetime_s + 60u : 0; /* the engine deletes first */
    p.spi = cp->spi_in;
    p.direction = IPSECVPN_ESP_DIR_IN;
    p.encr_key = k->encr_in;
    p.integ_key = k->integ_in;
    p.replay_window = IVPN_REPLAY_WINDOW;
    p.selectors = sel;
    p.selector_count = selectors(cp->local_ts, cp->remote_ts, sel);
    int rc = ipsecvpn_esp_sa_new(e->ctx, &p, now, &ch->sa_in);
    if (rc == IPSECVPN_OK) {
        p.spi = cp->spi_out;
        p.direction = IPSECVPN_ESP_DIR_OUT;
        p.encr_key = k->encr_out;
        p.integ_key = k->integ_out;
        p.replay_window = 0;
        p.selectors = NULL;
        p.selector_count = 0;
        rc = ipsecvpn_esp_sa_new(e->ctx, &p, now, &ch->sa_out);
    }
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(e->ctx, "%s: ESP SA could not be created: %s", cp->log_prefix,
                      ipsecvpn_strerror(rc));
        ipsecvpn_esp_sa_free(ch->sa_in);
        ch->sa_in = NULL;
    }
    return rc;
}

static void child_free(ipsecvpn_engine *e, ivpn_child *ch)
{
    ipsecvpn_esp_sa_free(ch->sa_in);
    ipsecvpn_esp_sa_free(ch->sa_out);
    ivpn_ts_set_free(e->ctx, &ch->local_ts);
    ivpn_ts_set_free(e->ctx, &ch->remote_ts);
    ivpn_wipe(ch, sizeof(*ch));
    ivpn_free(e->ctx, ch);
}

int ivpn_child_sa_install(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_child_params *cp,
                          bool rekey, uint64_t now)
{
    const ivpn_algs *a = cp->algs;
    const ivpn_child_keys *k = cp->keys;
    const ivpn_cipher_info *ci = ivpn_cipher_lookup(a->encr, a->encr_bits);
    if (!ci)
        return IPSECVPN_ERR_CRYPTO_ALG;

    ivpn_child *ch = ivpn_zalloc(e->ctx, sizeof(*ch));
    if (!ch)
        return IPSECVPN_ERR_NOMEM;
    ch->used = true;
    ch->spi_in = cp->spi_in;
    ch->spi_out = cp->spi_out;
    ch->algs = *a;
    ch->encap = cp->encap;
    ch->local = cp->local;
    ch->remote = cp->remote;
    ch->created_ms = now;
    if (cp->lifetime_s) {
        ch->expire_at = now + (uint64_t)cp->lifetime_s * 1000;
        ch->rekey_at = now + ivpn_soft_lifetime_ms(e, cp->lifetime_s);
    }
    int rc = ivpn_ts_set_copy(e->ctx, cp->local_ts, &ch->local_ts);
    if (rc == IPSECVPN_OK)
        rc = ivpn_ts_set_copy(e->ctx, cp->remote_ts, &ch->remote_ts);
    if (rc == IPSECVPN_OK && e->settings.install_sas)
        rc = esp_pair_new(e, cp, ch, now);
    if (rc != IPSECVPN_OK) {
        child_free(e, ch);
        return rc;
    }

    ipsecvpn_ip_prefix lp[IVPN_TS_MAX], rp[IVPN_TS_MAX];
    ipsecvpn_child_sa_info info;
    memset(&info, 0, sizeof(info));
    info.version = IPSECVPN_CHILD_SA_INFO_VERSION;
    info.spi_in = cp->spi_in;
    info.spi_out = cp->spi_out;
    info.encr = a->encr;
    info.encr_key_bits = a->encr_bits ? a->encr_bits : (uint16_t)(ci->key_len * 8);
    info.integ = a->integ;
    info.esn = a->esn;
    info.tunnel = !cp->transport;
    info.encr_key_in = k->encr_in;
    info.encr_key_out = k->encr_out;
    info.encr_key_len = k->encr_len;
    info.integ_key_in = k->integ_in;
    info.integ_key_out = k->integ_out;
    info.integ_key_len = k->integ_len;
    info.local = cp->local;
    info.remote = cp->remote;
    if (!ch->encap) {
        info.local.port = 0;
        info.remote.port = 0;
    }
    info.encap = ch->encap;
    info.n_local_ts = ivpn_ts_to_prefixes(cp->local_ts, lp, IVPN_TS_MAX);
    info.local_ts = lp;
    info.n_remote_ts = ivpn_ts_to_prefixes(cp->remote_ts, rp, IVPN_TS_MAX);
    info.remote_ts = rp;
    info.lifetime_soft_s = ch->rekey_at ? (ch->rekey_at - now) / 1000 : 0;
    info.lifetime_hard_s = cp->lifetime_s;

    if (rekey) {
        /* make-before-break: the replaced pair receives until its Delete is done */
        ivpn_child *old = cp->rekey_of ? ivpn_child_find(c, cp->rekey_of) : ivpn_child_current(c);
        if (old)
            ivpn_child_retire(old, ch->spi_in);
    }
    ivpn_child **tail = &c->children;
    while (*tail)
        tail = &(*tail)->next;
    *tail = ch;
    IVPN_LOG_INFO(e->ctx, "%s: Child SA %s, SPIs in 0x%08x out 0x%08x%s", cp->log_prefix,
                  rekey ? "rekeyed" : "up", cp->spi_in, cp->spi_out,
                  ch->encap ? ", UDP-encapsulated" : "");
    ivpn_engine_emit(e, rekey ? IPSECVPN_EVENT_CHILD_REKEYED : IPSECVPN_EVENT_CHILD_UP, c, 0,
                     &info);
    return IPSECVPN_OK;
}

void ivpn_child_remove(ipsecvpn_engine *e, ivpn_conn *c, ivpn_child *ch, bool event)
{
    if (!ch)
        return;
    for (ivpn_child **pp = &c->children; *pp; pp = &(*pp)->next)
        if (*pp == ch) {
            *pp = ch->next;
            break;
        }
    if (!ch->retired) {
        /* its predecessor (not deleted yet) carries the traffic again */
        for (ivpn_child *o = c->children; o; o = o->next)
            if (o->retired && o->replaced_by == ch->spi_in) {
                o->retired = false;
                o->replaced_by = 0;
            }
    }
    if (event) {
        ipsecvpn_child_sa_info info;
        memset(&info, 0, sizeof(info));
        info.version = IPSECVPN_CHILD_SA_INFO_VERSION;
        info.spi_in = ch->spi_in;
        info.spi_out = ch->spi_out;
        ivpn_engine_emit(e, IPSECVPN_EVENT_CHILD_DOWN, c, 0, &info);
    }
    child_free(e, ch);
}

void ivpn_child_remove_all(ipsecvpn_engine *e, ivpn_conn *c, bool event)
{
    while (c->children)
        ivpn_child_remove(e, c, c->children, event);
}
