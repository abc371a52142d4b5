/*
 * Child SA installation (RFC 7296 §2.17): KEYMAT is taken in the order
 *   encr key (initiator -> responder), integ key (i -> r), encr key (r -> i), integ key (r -> i)
 * where "initiator" is the initiator of the exchange that created the Child SA. The pair goes
 * into the engine's own ESP SAs (tunnel mode, UDP-encapsulated behind a NAT) and is reported
 * to the host in an IPSECVPN_EVENT_CHILD_UP (or CHILD_REKEYED) event.
 */
#include <string.h>

#include "ike/common/ts.h"
#include "ike/v2/v2_internal.h"

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
            for (int i = 0; i < IVPN_CHILD_SLOTS; i++)
                used |= ivpn_conn_slot(c, i)->used && ivpn_conn_slot(c, i)->spi_in == s;
        if (!used) {
            *spi = s;
            return IPSECVPN_OK;
        }
    }
    return IPSECVPN_ERR_RANDOM;
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

int ivpn_child_install(ipsecvpn_engine *e, ivpn_conn *c, const ivpn_algs *a, uint32_t spi_in,
                       uint32_t spi_out, const ivpn_ts_set *local_ts,
                       const ivpn_ts_set *remote_ts, const uint8_t *gir, size_t gir_len,
                       const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
                       bool we_initiated, bool rekey, uint64_t now)
{
    ivpn_ike_sa *sa = c->ike;
    const ivpn_connection_values *v = ivpn_conn_values(c);
    const ivpn_cipher_info *ci = ivpn_cipher_lookup(a->encr, a->encr_bits);
    const ivpn_integ_info *ii = a->integ ? ivpn_integ_lookup(a->integ) : NULL;
    if (!ci || (!ci->aead && !ii))
        return IPSECVPN_ERR_CRYPTO_ALG;
    size_t ek = (size_t)ci->key_len + ci->salt_len, ak = ii ? ii->key_len : 0;
    uint8_t km[4 * IVPN_KEY_MAX];
    int rc = ivpn_ikev2_child_keymat(sa, gir, gir_len, ni, ni_len, nr, nr_len, km, 2 * (ek + ak));
    if (rc != IPSECVPN_OK)
        return rc;
    const uint8_t *e_ir = km, *a_ir = km + ek, *e_ri = km + ek + ak, *a_ri = e_ri + ek;
    const uint8_t *e_in = we_initiated ? e_ri : e_ir, *a_in = we_initiated ? a_ri : a_ir;
    const uint8_t *e_out = we_initiated ? e_ir : e_ri, *a_out = we_initiated ? a_ir : a_ri;

    ivpn_child ch;
    memset(&ch, 0, sizeof(ch));
    ch.used = true;
    ch.spi_in = spi_in;
    ch.spi_out = spi_out;
    ch.algs = *a;
    ch.local_ts = *local_ts;
    ch.remote_ts = *remote_ts;
    ch.encap = sa->nat_local || sa->nat_remote || v->nat_traversal;
    ch.created_ms = now;
    if (v->ipsec.lifetime) {
        ch.expire_at = now + (uint64_t)v->ipsec.lifetime * 1000;
        ch.rekey_at = now + ivpn_soft_lifetime_ms(e, v->ipsec.lifetime);
    }

    ipsecvpn_selector sel[IPSECVPN_ESP_MAX_SELECTORS];
    ipsecvpn_esp_sa_params p;
    memset(&p, 0, sizeof(p));
    p.version = IPSECVPN_ESP_SA_PARAMS_VERSION;
    p.mode = IPSECVPN_ESP_MODE_TUNNEL;
    p.encr = a->encr;
    p.encr_key_bits = a->encr_bits;
    p.integ = a->integ;
    p.encr_key_len = ek;
    p.integ_key_len = ak;
    p.local_addr = sa->local.addr;
    p.remote_addr = sa->remote.addr;
    if (ch.encap) {
        p.local_port = sa->local.port;
        p.remote_port = sa->remote.port;
    }
    p.hard.seconds = v->ipsec.lifetime ? v->ipsec.lifetime + 60u : 0; /* engine deletes first */
    if (e->settings.install_sas) {
        p.spi = spi_in;
        p.direction = IPSECVPN_ESP_DIR_IN;
        p.encr_key = e_in;
        p.integ_key = ii ? a_in : NULL;
        p.replay_window = IVPN_REPLAY_WINDOW;
        p.selectors = sel;
        p.selector_count = selectors(local_ts, remote_ts, sel);
        rc = ipsecvpn_esp_sa_new(e->ctx, &p, now, &ch.sa_in);
        if (rc == IPSECVPN_OK) {
            p.spi = spi_out;
            p.direction = IPSECVPN_ESP_DIR_OUT;
            p.encr_key = e_out;
            p.integ_key = ii ? a_out : NULL;
            p.replay_window = 0;
            p.selectors = NULL;
            p.selector_count = 0;
            rc = ipsecvpn_esp_sa_new(e->ctx, &p, now, &ch.sa_out);
        }
        if (rc != IPSECVPN_OK) {
            IVPN_LOG_WARN(e->ctx, "IKEv2: ESP SA could not be created: %s", ipsecvpn_strerror(rc));
            ipsecvpn_esp_sa_free(ch.sa_in);
            ivpn_wipe(km, sizeof(km));
            return rc;
        }
    }

    ipsecvpn_ip_prefix lp[IVPN_TS_MAX], rp[IVPN_TS_MAX];
    ipsecvpn_child_sa_info info;
    memset(&info, 0, sizeof(info));
    info.version = IPSECVPN_CHILD_SA_INFO_VERSION;
    info.spi_in = spi_in;
    info.spi_out = spi_out;
    info.encr = a->encr;
    info.encr_key_bits = a->encr_bits ? a->encr_bits : (uint16_t)(ci->key_len * 8);
    info.integ = a->integ;
    info.esn = a->esn;
    info.tunnel = 1;
    info.encr_key_in = e_in;
    info.encr_key_out = e_out;
    info.encr_key_len = ek;
    info.integ_key_in = ii ? a_in : NULL;
    info.integ_key_out = ii ? a_out : NULL;
    info.integ_key_len = ak;
    info.local = sa->local;
    info.remote = sa->remote;
    if (!ch.encap) {
        info.local.port = 0;
        info.remote.port = 0;
    }
    info.encap = ch.encap;
    info.n_local_ts = ivpn_ts_to_prefixes(local_ts, lp, IVPN_TS_MAX);
    info.local_ts = lp;
    info.n_remote_ts = ivpn_ts_to_prefixes(remote_ts, rp, IVPN_TS_MAX);
    info.remote_ts = rp;
    info.lifetime_soft_s = ch.rekey_at ? (ch.rekey_at - now) / 1000 : 0;
    info.lifetime_hard_s = v->ipsec.lifetime;

    if (rekey) {
        if (c->child[1].used)
            ivpn_child_remove(e, c, &c->child[1], true);
        c->child[1] = c->child[0];
    } else if (c->child[0].used) {
        ivpn_child_remove(e, c, &c->child[0], true);
    }
    c->child[0] = ch;
    IVPN_LOG_INFO(e->ctx, "IKEv2: Child SA %s, SPIs in 0x%08x out 0x%08x%s",
                  rekey ? "rekeyed" : "up", spi_in, spi_out, ch.encap ? ", UDP-encapsulated" : "");
    ivpn_engine_emit(e, rekey ? IPSECVPN_EVENT_CHILD_REKEYED : IPSECVPN_EVENT_CHILD_UP, c, 0,
                     &info);
    ivpn_wipe(km, sizeof(km));
    return IPSECVPN_OK;
}

void ivpn_child_remove(ipsecvpn_engine *e, ivpn_conn *c, ivpn_child *ch, bool event)
{
    if (!ch->used)
        return;
    if (event) {
        ipsecvpn_child_sa_info info;
        memset(&info, 0, sizeof(info));
        info.version = IPSECVPN_CHILD_SA_INFO_VERSION;
        info.spi_in = ch->spi_in;
        info.spi_out = ch->spi_out;
        ivpn_engine_emit(e, IPSECVPN_EVENT_CHILD_DOWN, c, 0, &info);
    }
    ipsecvpn_esp_sa_free(ch->sa_in);
    ipsecvpn_esp_sa_free(ch->sa_out);
    memset(ch, 0, sizeof(*ch));
}
