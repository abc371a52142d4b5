/*
 * Security policy database (RFC 4301 §4.4.1), see ipsecvpn/spd.h.
 *
 * Each direction keeps an array of entries sorted by (priority, insertion sequence), so a
 * lookup is one parse of the packet (ivpn_ip_flow) and a linear scan that stops at the first
 * match. Prefixes are stored with their mask expanded to bytes, so matching an address is an
 * AND and a compare per byte. Adding may grow the array; looking up never allocates.
 */
#include "ipsecvpn/spd.h"

#include <string.h>

#include "core/ctx.h"
#include "esp/ip_parse.h"
#include "esp/selector.h"

typedef struct spd_entry {
    ipsecvpn_spd_policy pol; /* normalised copy: host bits of the prefixes cleared */
    uint32_t id;
    uint64_t seq;            /* insertion order, breaks priority ties */
} spd_entry;

typedef struct spd_list {
    spd_entry *v;
    size_t n, cap;
} spd_list;

struct ipsecvpn_spd {
    ipsecvpn_ctx *ctx;
    spd_list out, in;
    uint32_t next_id;
    uint64_t next_seq;
};

/* ---- selector validation ----------------------------------------------------------------- */

static int check_policy(const ipsecvpn_ctx *ctx, const ipsecvpn_spd_policy *p)
{
    if (p->version != IPSECVPN_SPD_POLICY_VERSION) {
        IVPN_LOG_WARN(ctx, "spd.version: must be %d, got %u", IPSECVPN_SPD_POLICY_VERSION,
                      (unsigned)p->version);
        return IPSECVPN_ERR_VERSION;
    }
    if (p->dir != IPSECVPN_SPD_OUT && p->dir != IPSECVPN_SPD_IN) {
        IVPN_LOG_WARN(ctx, "spd.dir: must be out(1) or in(2), got %u", p->dir);
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    }
    if (p->action < IPSECVPN_SPD_PROTECT || p->action > IPSECVPN_SPD_DISCARD) {
        IVPN_LOG_WARN(ctx, "spd.action: must be protect(1), bypass(2) or discard(3), got %u",
                      p->action);
        return IPSECVPN_ERR_CONFIG_SYNTAX;
    }
    int rc = ivpn_selector_check(ctx, &p->sel, "spd.sel");
    if (rc != IPSECVPN_OK)
        return rc;
    if (p->action == IPSECVPN_SPD_PROTECT && p->reqid == 0) {
        IVPN_LOG_WARN(ctx, "spd.reqid: required (non-zero) for a protect policy");
        return IPSECVPN_ERR_CONFIG_REQUIRED;
    }
    return IPSECVPN_OK;
}

/* ---- the database ------------------------------------------------------------------------ */

IPSECVPN_EXPORT int ipsecvpn_spd_new(ipsecvpn_ctx *ctx, ipsecvpn_spd **out)
{
    if (out == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    *out = ivpn_zalloc(ctx, sizeof(ipsecvpn_spd));
    if (*out == NULL)
        return IPSECVPN_ERR_NOMEM;
    (*out)->ctx = ctx;
    (*out)->next_id = 1;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT void ipsecvpn_spd_free(ipsecvpn_spd *spd)
{
    if (spd == NULL)
        return;
    ivpn_free(spd->ctx, spd->out.v);
    ivpn_free(spd->ctx, spd->in.v);
    ivpn_free(spd->ctx, spd);
}

static spd_list *list_of(ipsecvpn_spd *spd, uint8_t dir)
{
    return dir == IPSECVPN_SPD_OUT ? &spd->out : &spd->in;
}

static spd_entry *find_id(const spd_list *l, uint32_t id, size_t *index)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].id == id) {
            if (index)
                *index = i;
            return &l->v[i];
        }
    }
    return NULL;
}

static int id_in_use(const ipsecvpn_spd *spd, uint32_t id)
{
    return find_id(&spd->out, id, NULL) != NULL || find_id(&spd->in, id, NULL) != NULL;
}

/* Next free id: counts up, skips 0 and ids still in use after a wrap. */
static uint32_t take_id(ipsecvpn_spd *spd)
{
    uint32_t id = spd->next_id;
    while (id == 0 || id_in_use(spd, id))
        id++;
    spd->next_id = id + 1;
    return id;
}

static int reserve(ipsecvpn_spd *spd, spd_list *l, size_t extra)
{
    if (l->cap - l->n >= extra)
        return IPSECVPN_OK;
    size_t cap = l->cap ? l->cap : 8;
    while (cap - l->n < extra) {
        if (cap > SIZE_MAX / 2 / sizeof(spd_entry))
            return IPSECVPN_ERR_NOMEM;
        cap *= 2;
    }
    spd_entry *v = ivpn_realloc(spd->ctx, l->v, cap * sizeof(spd_entry));
    if (v == NULL)
        return IPSECVPN_ERR_NOMEM;
    l->v = v;
    l->cap = cap;
    return IPSECVPN_OK;
}

/* Insert a validated policy; capacity must have been reserved. */
static uint32_t insert(ipsecvpn_spd *spd, const ipsecvpn_spd_policy *policy)
{
    spd_list *l = list_of(spd, policy->dir);
    spd_entry e;
    memset(&e, 0, sizeof(e));
    e.pol = *policy;
    ivpn_prefix_normalise(&e.pol.sel.local);
    ivpn_prefix_normalise(&e.pol.sel.remote);
    e.id = take_id(spd);
    e.seq = spd->next_seq++;

    /* after every entry of lower or equal priority: ties keep insertion order */
    size_t pos = l->n;
    while (pos > 0 && l->v[pos - 1].pol.priority > e.pol.priority)
        pos--;
    memmove(&l->v[pos + 1], &l->v[pos], (l->n - pos) * sizeof(spd_entry));
    l->v[pos] = e;
    l->n++;
    return e.id;
}

IPSECVPN_EXPORT int ipsecvpn_spd_add(ipsecvpn_spd *spd, const ipsecvpn_spd_policy *policy,
                                     uint32_t *id)
{
    if (spd == NULL || policy == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    int rc = check_policy(spd->ctx, policy);
    if (rc != IPSECVPN_OK)
        return rc;
    rc = reserve(spd, list_of(spd, policy->dir), 1);
    if (rc != IPSECVPN_OK)
        return rc;
    uint32_t new_id = insert(spd, policy);
    if (id)
        *id = new_id;
    return IPSECVPN_OK;
}

static void erase(spd_list *l, size_t i)
{
    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(spd_entry));
    l->n--;
}

IPSECVPN_EXPORT int ipsecvpn_spd_remove(ipsecvpn_spd *spd, uint32_t id)
{
    if (spd == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    size_t i;
    if (find_id(&spd->out, id, &i)) {
        erase(&spd->out, i);
        return IPSECVPN_OK;
    }
    if (find_id(&spd->in, id, &i)) {
        erase(&spd->in, i);
        return IPSECVPN_OK;
    }
    return IPSECVPN_ERR_NOT_FOUND;
}

static size_t remove_reqid_from(spd_list *l, uint32_t reqid)
{
    size_t kept = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].pol.reqid != reqid)
            l->v[kept++] = l->v[i];
    size_t removed = l->n - kept;
    l->n = kept;
    return removed;
}

IPSECVPN_EXPORT int ipsecvpn_spd_remove_reqid(ipsecvpn_spd *spd, uint32_t reqid,
                                              size_t *removed)
{
    if (spd == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    size_t n = remove_reqid_from(&spd->out, reqid) + remove_reqid_from(&spd->in, reqid);
    if (removed)
        *removed = n;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT int ipsecvpn_spd_get(const ipsecvpn_spd *spd, uint32_t id,
                                     ipsecvpn_spd_policy *out)
{
    if (spd == NULL || out == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    const spd_entry *e = find_id(&spd->out, id, NULL);
    if (e == NULL)
        e = find_id(&spd->in, id, NULL);
    if (e == NULL)
        return IPSECVPN_ERR_NOT_FOUND;
    *out = e->pol;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT size_t ipsecvpn_spd_count(const ipsecvpn_spd *spd)
{
    return spd ? spd->out.n + spd->in.n : 0;
}

/* ---- matching ---------------------------------------------------------------------------- */

/* Does entry e match the flow, seen from e's direction? */
static int entry_match(const spd_entry *e, const ivpn_flow *f)
{
    return ivpn_selector_match(&e->pol.sel, f, e->pol.dir == IPSECVPN_SPD_OUT);
}

static const spd_entry *first_match(const spd_list *l, const ivpn_flow *f)
{
    for (size_t i = 0; i < l->n; i++)
        if (entry_match(&l->v[i], f))
            return &l->v[i];
    return NULL;
}

static int lookup(const ipsecvpn_spd *spd, const spd_list *l, const char *dir,
                  const uint8_t *pkt, size_t len, uint32_t *reqid, uint32_t *policy_id)
{
    ivpn_flow f;
    int rc = ivpn_ip_flow(pkt, len, &f);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_DEBUG(spd->ctx, "spd %s: packet of %zu bytes does not parse: %s", dir, len,
                       ipsecvpn_strerror(rc));
        return rc;
    }
    const spd_entry *e = first_match(l, &f);
    if (e == NULL)
        return IPSECVPN_ERR_ESP_NO_POLICY;
    if (reqid)
        *reqid = e->pol.reqid;
    if (policy_id)
        *policy_id = e->id;
    return e->pol.action;
}

IPSECVPN_EXPORT int ipsecvpn_spd_lookup_out(const ipsecvpn_spd *spd, const uint8_t *pkt,
                                            size_t len, uint32_t *reqid, uint32_t *policy_id)
{
    if (spd == NULL || pkt == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    return lookup(spd, &spd->out, "out", pkt, len, reqid, policy_id);
}

IPSECVPN_EXPORT int ipsecvpn_spd_lookup_in(const ipsecvpn_spd *spd, const uint8_t *pkt,
                                           size_t len, uint32_t *reqid, uint32_t *policy_id)
{
    if (spd == NULL || pkt == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    return lookup(spd, &spd->in, "in", pkt, len, reqid, policy_id);
}

IPSECVPN_EXPORT int ipsecvpn_spd_check_in(const ipsecvpn_spd *spd, uint32_t reqid,
                                          const uint8_t *pkt, size_t len)
{
    if (spd == NULL || pkt == NULL || reqid == 0)
        return IPSECVPN_ERR_INVALID_ARG;
    ivpn_flow f;
    int rc = ivpn_ip_flow(pkt, len, &f);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(spd->ctx, "spd check reqid %u: inner packet does not parse: %s",
                      (unsigned)reqid, ipsecvpn_strerror(rc));
        return rc;
    }
    for (size_t i = 0; i < spd->in.n; i++) {
        const spd_entry *e = &spd->in.v[i];
        int relevant = e->pol.action == IPSECVPN_SPD_DISCARD ||
                       (e->pol.action == IPSECVPN_SPD_PROTECT && e->pol.reqid == reqid);
        if (!relevant || !entry_match(e, &f))
            continue;
        if (e->pol.action == IPSECVPN_SPD_PROTECT)
            return IPSECVPN_OK;
        IVPN_LOG_DEBUG(spd->ctx, "spd check reqid %u: discard policy %u matches",
                       (unsigned)reqid, (unsigned)e->id);
        return IPSECVPN_ERR_ESP_DISCARD;
    }
    IVPN_LOG_WARN(spd->ctx, "spd check reqid %u: inner packet outside the SA's selectors",
                  (unsigned)reqid);
    return IPSECVPN_ERR_ESP_SELECTOR;
}

/* ---- routing-mode helpers ---------------------------------------------------------------- */

static ipsecvpn_spd_policy protect_policy(uint8_t dir, uint32_t reqid, uint32_t priority,
                                          const ipsecvpn_ip_prefix *local,
                                          const ipsecvpn_ip_prefix *remote)
{
    ipsecvpn_spd_policy p;
    memset(&p, 0, sizeof(p));
    p.version = IPSECVPN_SPD_POLICY_VERSION;
    p.dir = dir;
    p.action = IPSECVPN_SPD_PROTECT;
    p.priority = priority;
    p.reqid = reqid;
    p.sel.local = *local;
    p.sel.remote = *remote;
    p.sel.proto = IPSECVPN_PROTO_ANY;
    p.sel.local_port_max = 0xffff;
    p.sel.remote_port_max = 0xffff;
    return p;
}

/* Adds an out and an in policy per pair; pairs[] holds (local, remote) pointers.
 * Validates all and reserves room first, so it cannot fail half-way. */
static int add_pairs(ipsecvpn_spd *spd, uint32_t reqid, uint32_t priority,
                     const ipsecvpn_ip_prefix *const *locals,
                     const ipsecvpn_ip_prefix *const *remotes, size_t n_pairs)
{
    for (size_t i = 0; i < n_pairs; i++) {
        ipsecvpn_spd_policy p = protect_policy(IPSECVPN_SPD_OUT, reqid, priority, locals[i],
                                               remotes[i]);
        int rc = check_policy(spd->ctx, &p);
        if (rc != IPSECVPN_OK)
            return rc;
    }
    int rc = reserve(spd, &spd->out, n_pairs);
    if (rc == IPSECVPN_OK)
        rc = reserve(spd, &spd->in, n_pairs);
    if (rc != IPSECVPN_OK)
        return rc;
    for (size_t i = 0; i < n_pairs; i++) {
        ipsecvpn_spd_policy p = protect_policy(IPSECVPN_SPD_OUT, reqid, priority, locals[i],
                                               remotes[i]);
        insert(spd, &p);
        p.dir = IPSECVPN_SPD_IN;
        insert(spd, &p);
    }
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT int ipsecvpn_spd_add_route_based(ipsecvpn_spd *spd, uint32_t reqid,
                                                 uint32_t priority, int ipv4, int ipv6)
{
    static const ipsecvpn_ip_prefix any4 = {.family = IPSECVPN_IPV4, .prefix_len = 0};
    static const ipsecvpn_ip_prefix any6 = {.family = IPSECVPN_IPV6, .prefix_len = 0};

    if (spd == NULL || (!ipv4 && !ipv6))
        return IPSECVPN_ERR_INVALID_ARG;
    if (reqid == 0) {
        IVPN_LOG_WARN(spd->ctx, "spd.reqid: required (non-zero) for a route-based tunnel");
        return IPSECVPN_ERR_CONFIG_REQUIRED;
    }
    const ipsecvpn_ip_prefix *pfx[2];
    size_t n = 0;
    if (ipv4)
        pfx[n++] = &any4;
    if (ipv6)
        pfx[n++] = &any6;
    return add_pairs(spd, reqid, priority, pfx, pfx, n);
}

IPSECVPN_EXPORT int ipsecvpn_spd_add_flows(ipsecvpn_spd *spd, uint32_t reqid,
                                           uint32_t priority,
                                           const ipsecvpn_ip_prefix *local, size_t n_local,
                                           const ipsecvpn_ip_prefix *remote, size_t n_remote)
{
    if (spd == NULL || local == NULL || remote == NULL || n_local == 0 || n_remote == 0)
        return IPSECVPN_ERR_INVALID_ARG;
    if (reqid == 0) {
        IVPN_LOG_WARN(spd->ctx, "spd.reqid: required (non-zero) for protected flows");
        return IPSECVPN_ERR_CONFIG_REQUIRED;
    }
    if (n_local > IPSECVPN_SPD_MAX_FLOW_PAIRS ||
        n_remote > IPSECVPN_SPD_MAX_FLOW_PAIRS / n_local) {
        IVPN_LOG_WARN(spd->ctx, "spd.flows: at most %d local x remote pairs, got %zu x %zu",
                      IPSECVPN_SPD_MAX_FLOW_PAIRS, n_local, n_remote);
        return IPSECVPN_ERR_CONFIG_RANGE;
    }
    /* Validate every prefix, also those of pairs that will be skipped. */
    for (size_t i = 0; i < n_local; i++) {
        int rc = ivpn_prefix_check(spd->ctx, &local[i], "spd.flows", "local");
        if (rc != IPSECVPN_OK)
            return rc;
    }
    for (size_t j = 0; j < n_remote; j++) {
        int rc = ivpn_prefix_check(spd->ctx, &remote[j], "spd.flows", "remote");
        if (rc != IPSECVPN_OK)
            return rc;
    }
    size_t n = n_local * n_remote;
    const ipsecvpn_ip_prefix **pairs = ivpn_malloc(spd->ctx, 2 * n * sizeof(*pairs));
    if (pairs == NULL)
        return IPSECVPN_ERR_NOMEM;
    size_t n_pairs = 0;
    for (size_t i = 0; i < n_local; i++) {
        for (size_t j = 0; j < n_remote; j++) {
            if (local[i].family != remote[j].family)
                continue;
            pairs[n_pairs] = &local[i];
            pairs[n + n_pairs] = &remote[j];
            n_pairs++;
        }
    }
    int rc;
    if (n_pairs == 0) {
        IVPN_LOG_WARN(spd->ctx, "spd.flows: no local/remote CIDR pair of the same family");
        rc = IPSECVPN_ERR_CONFIG_FAMILY;
    } else {
        rc = add_pairs(spd, reqid, priority, pairs, pairs + n, n_pairs);
    }
    ivpn_free(spd->ctx, pairs);
    return rc;
}
