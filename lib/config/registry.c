/*
 * The registry: named IKE policies, IPsec policies and connections, each connection with a
 * status and the names of the policies it uses. It enforces the rule tables of
 * edit_rules.c and keeps every change all-or-nothing: an edit is staged on copies (a policy
 * and a clone of each connection it touches) and committed only when every copy took it.
 *
 * Field parsing and validation are the connection/policy API's job (policy.c,
 * connection.c); the registry only decides whether a change is allowed and where it goes.
 * Committing swaps a staged copy's contents into the live object, so pointers handed out by
 * the look-up functions stay valid across edits.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "config/edit_rules.h"
#include "config/model.h"
#include "config/report.h"
#include "core/ctx.h"

/* The two policy kinds share one code path; this says how to handle each. */
enum { POL_IKE = 0, POL_IPSEC = 1, POL_KINDS = 2 };

typedef struct policy_ops {
    ipsecvpn_object_kind kind;
    const char *label;  /* for messages */
    const char *prefix; /* the policy's fields inside a connection */
    size_t size;        /* of the policy struct, for staging copies */
    int (*update)(void *p, const char *const *f, const char *const *v, size_t n,
                  ipsecvpn_report *rep);
    int (*get)(const void *p, const char *field, char *buf, size_t len, size_t *needed);
    int (*set_on)(ipsecvpn_connection *c, const void *p, ipsecvpn_report *rep);
    const char *(*name)(const void *p);
    void (*destroy)(void *p);
} policy_ops;

static int ike_update(void *p, const char *const *f, const char *const *v, size_t n,
                      ipsecvpn_report *rep)
{
    return ipsecvpn_ike_policy_update(p, f, v, n, rep);
}
static int ike_get(const void *p, const char *field, char *buf, size_t len, size_t *needed)
{
    return ipsecvpn_ike_policy_get(p, field, buf, len, needed);
}
static int ike_set_on(ipsecvpn_connection *c, const void *p, ipsecvpn_report *rep)
{
    return ipsecvpn_connection_set_ike_policy(c, p, rep);
}
static const char *ike_name(const void *p)
{
    return ((const ipsecvpn_ike_policy *)p)->v.name;
}
static void ike_destroy(void *p)
{
    ipsecvpn_ike_policy_free(p);
}

static int ipsec_update(void *p, const char *const *f, const char *const *v, size_t n,
                        ipsecvpn_report *rep)
{
    return ipsecvpn_ipsec_policy_update(p, f, v, n, rep);
}
static int ipsec_get(const void *p, const char *field, char *buf, size_t len, size_t *needed)
{
    return ipsecvpn_ipsec_policy_get(p, field, buf, len, needed);
}
static int ipsec_set_on(ipsecvpn_connection *c, const void *p, ipsecvpn_report *rep)
{
    return ipsecvpn_connection_set_ipsec_policy(c, p, rep);
}
static const char *ipsec_name(const void *p)
{
    return ((const ipsecvpn_ipsec_policy *)p)->v.name;
}
static void ipsec_destroy(void *p)
{
    ipsecvpn_ipsec_policy_free(p);
}

static const policy_ops pol_ops[POL_KINDS] = {
    [POL_IKE] = {IPSECVPN_OBJECT_IKE_POLICY, "IKE policy", "ike.",
                 sizeof(struct ipsecvpn_ike_policy), ike_update, ike_get, ike_set_on,
                 ike_name, ike_destroy},
    [POL_IPSEC] = {IPSECVPN_OBJECT_IPSEC_POLICY, "IPsec policy", "ipsec.",
                   sizeof(struct ipsecvpn_ipsec_policy), ipsec_update, ipsec_get,
                   ipsec_set_on, ipsec_name, ipsec_destroy},
};

typedef struct policy_list {
    void **items;
    size_t n, cap;
} policy_list;

typedef struct conn_entry {
    ipsecvpn_connection *c;
    ipsecvpn_status status;
    char policy[POL_KINDS][IVPN_NAME_BUF]; /* names of the policies used; "" = none */
} conn_entry;

struct ipsecvpn_registry {
    ipsecvpn_ctx *ctx;
    ipsecvpn_profile profile;
    policy_list policies[POL_KINDS];
    conn_entry *conns;
    size_t n_conns, cap_conns;
};

/* --- small helpers ------------------------------------------------------------------- */

static int grow(const ipsecvpn_ctx *ctx, void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return IPSECVPN_OK;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = ivpn_realloc(ctx, *arr, ncap * elem);
    if (p == NULL)
        return IPSECVPN_ERR_NOMEM;
    *arr = p;
    *cap = ncap;
    return IPSECVPN_OK;
}

/* Swap two objects' contents byte by byte: no temporary copy of a PSK is left behind. */
static void swap_contents(void *a, void *b, size_t n)
{
    unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        unsigned char t = x[i];
        x[i] = y[i];
        y[i] = t;
    }
}

/* Put a staged clone's contents into the live connection and free the old contents. */
static void commit_connection(ipsecvpn_connection *live, ipsecvpn_connection *staged)
{
    swap_contents(live, staged, sizeof(*live));
    ipsecvpn_connection_free(staged);
}

/* Names live in IVPN_NAME_BUF buffers everywhere (model.h); copy one, always terminated. */
static void copy_name(char dst[IVPN_NAME_BUF], const char *src)
{
    size_t len = strlen(src);
    if (len >= IVPN_NAME_BUF)
        len = IVPN_NAME_BUF - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static bool args_ok(const char *const *fields, const char *const *values, size_t n)
{
    if (n > 0 && (fields == NULL || values == NULL))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (fields[i] == NULL || values[i] == NULL)
            return false;
    }
    return true;
}

static ptrdiff_t find_policy(const ipsecvpn_registry *reg, int pk, const char *name)
{
    const policy_list *l = &reg->policies[pk];
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(pol_ops[pk].name(l->items[i]), name) == 0)
            return (ptrdiff_t)i;
    }
    return -1;
}

static conn_entry *find_conn(const ipsecvpn_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->n_conns; i++) {
        if (strcmp(reg->conns[i].c->v.name, name) == 0)
            return &reg->conns[i];
    }
    return NULL;
}

/* --- registry lifetime --------------------------------------------------------------- */

IPSECVPN_EXPORT int ipsecvpn_registry_new(ipsecvpn_ctx *ctx, ipsecvpn_profile profile,
                                          ipsecvpn_registry **out)
{
    if (out == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    *out = NULL;
    if (ctx == NULL || (unsigned)profile > IPSECVPN_PROFILE_STRICT)
        return IPSECVPN_ERR_INVALID_ARG;
    ipsecvpn_registry *reg = ivpn_zalloc(ctx, sizeof(*reg));
    if (reg == NULL)
        return IPSECVPN_ERR_NOMEM;
    reg->ctx = ctx;
    reg->profile = profile;
    *out = reg;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT void ipsecvpn_registry_free(ipsecvpn_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->n_conns; i++)
        ipsecvpn_connection_free(reg->conns[i].c);
    ivpn_free(reg->ctx, reg->conns);
    for (int pk = 0; pk < POL_KINDS; pk++) {
        for (size_t i = 0; i < reg->policies[pk].n; i++)
            pol_ops[pk].destroy(reg->policies[pk].items[i]);
        ivpn_free(reg->ctx, reg->policies[pk].items);
    }
    ivpn_free(reg->ctx, reg);
}

/* --- policies ------------------------------------------------------------------------ */

static int add_policy(ipsecvpn_registry *reg, int pk, void *p)
{
    if (reg == NULL || p == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    const char *name = pol_ops[pk].name(p);
    if (name[0] == '\0') {
        IVPN_LOG_WARN(reg->ctx, "registry: %s refused: it has no name", pol_ops[pk].label);
        return IPSECVPN_ERR_CONFIG_REQUIRED;
    }
    if (find_policy(reg, pk, name) >= 0) {
        IVPN_LOG_WARN(reg->ctx, "registry: %s '%s' refused: the name is taken",
                      pol_ops[pk].label, name);
        return IPSECVPN_ERR_EXISTS;
    }
    policy_list *l = &reg->policies[pk];
    int rc = grow(reg->ctx, (void **)&l->items, &l->cap, l->n, sizeof(void *));
    if (rc != IPSECVPN_OK)
        return rc;
    l->items[l->n++] = p;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT int ipsecvpn_registry_add_ike_policy(ipsecvpn_registry *reg,
                                                     ipsecvpn_ike_policy *p)
{
    return add_policy(reg, POL_IKE, p);
}

IPSECVPN_EXPORT int ipsecvpn_registry_add_ipsec_policy(ipsecvpn_registry *reg,
                                                       ipsecvpn_ipsec_policy *p)
{
    return add_policy(reg, POL_IPSEC, p);
}

static const void *lookup_policy(const ipsecvpn_registry *reg, int pk, const char *name)
{
    if (reg == NULL || name == NULL)
        return NULL;
    ptrdiff_t i = find_policy(reg, pk, name);
    return i < 0 ? NULL : reg->policies[pk].items[i];
}

IPSECVPN_EXPORT const ipsecvpn_ike_policy *ipsecvpn_registry_ike_policy(
    const ipsecvpn_registry *reg, const char *name)
{
    return lookup_policy(reg, POL_IKE, name);
}

IPSECVPN_EXPORT const ipsecvpn_ipsec_policy *ipsecvpn_registry_ipsec_policy(
    const ipsecvpn_registry *reg, const char *name)
{
    return lookup_policy(reg, POL_IPSEC, name);
}

static int delete_policy(ipsecvpn_registry *reg, int pk, const char *name)
{
    if (reg == NULL || name == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    ptrdiff_t i = find_policy(reg, pk, name);
    if (i < 0) {
        IVPN_LOG_WARN(reg->ctx, "registry: delete of %s '%s' refused: no such policy",
                      pol_ops[pk].label, name);
        return IPSECVPN_ERR_NOT_FOUND;
    }
    for (size_t k = 0; k < reg->n_conns; k++) {
        if (strcmp(reg->conns[k].policy[pk], name) == 0) {
            IVPN_LOG_WARN(reg->ctx, "registry: delete of %s '%s' refused: connection '%s' uses it",
                          pol_ops[pk].label, name, reg->conns[k].c->v.name);
            return IPSECVPN_ERR_CONFIG_IN_USE;
        }
    }
    policy_list *l = &reg->policies[pk];
    pol_ops[pk].destroy(l->items[i]);
    memmove(&l->items[i], &l->items[i + 1], (l->n - (size_t)i - 1) * sizeof(void *));
    l->n--;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT int ipsecvpn_registry_delete_ike_policy(ipsecvpn_registry *reg, const char *name)
{
    return delete_policy(reg, POL_IKE, name);
}

IPSECVPN_EXPORT int ipsecvpn_registry_delete_ipsec_policy(ipsecvpn_registry *reg,
                                                          const char *name)
{
    return delete_policy(reg, POL_IPSEC, name);
}

/* The change a policy edit makes to its users: "ike.<field>" = canonical value. */
#define CHANGE_FIELD_MAX 64

typedef struct change {
    char field[CHANGE_FIELD_MAX];
    char *value; /* allocated: descriptions run to IVPN_DESC_BUF bytes */
} change;

typedef struct change_set {
    change *items;
    size_t n;
    const char **fields;
    const char **values;
} change_set;

static void change_set_free(const ipsecvpn_ctx *ctx, change_set *cs)
{
    for (size_t i = 0; cs->items != NULL && i < cs->n; i++)
        ivpn_free(ctx, cs->items[i].value);
    ivpn_free(ctx, cs->items);
    ivpn_free(ctx, cs->fields);
    ivpn_free(ctx, cs->values);
}

/* A field's canonical text from a policy, in a buffer of the right size. */
static int read_value(const ipsecvpn_ctx *ctx, int pk, const void *p, const char *field,
                      char **out)
{
    char probe[1];
    size_t needed = 0;
    int rc = pol_ops[pk].get(p, field, probe, sizeof(probe), &needed);
    if (rc != IPSECVPN_OK && rc != IPSECVPN_ERR_BUFFER_TOO_SMALL)
        return rc;
    *out = ivpn_malloc(ctx, needed + 1);
    if (*out == NULL)
        return IPSECVPN_ERR_NOMEM;
    rc = pol_ops[pk].get(p, field, *out, needed + 1, NULL);
    return rc == IPSECVPN_ERR_BUFFER_TOO_SMALL ? IPSECVPN_ERR_INTERNAL : rc;
}

/* Read the staged policy's canonical values of the edited fields, prefixed for connections. */
static int change_set_build(const ipsecvpn_ctx *ctx, int pk, const void *staged,
                            const char *const *canon, size_t n, change_set *cs)
{
    size_t slots = n ? n : 1;
    cs->items = ivpn_zalloc(ctx, slots * sizeof(change));
    cs->fields = ivpn_zalloc(ctx, slots * sizeof(char *));
    cs->values = ivpn_zalloc(ctx, slots * sizeof(char *));
    if (cs->items == NULL || cs->fields == NULL || cs->values == NULL)
        return IPSECVPN_ERR_NOMEM;
    cs->n = n;
    for (size_t i = 0; i < n; i++) {
        change *ch = &cs->items[i];
        size_t plen = strlen(pol_ops[pk].prefix), flen = strlen(canon[i]);
        if (plen + flen >= sizeof(ch->field))
            return IPSECVPN_ERR_INTERNAL;
        memcpy(ch->field, pol_ops[pk].prefix, plen);
        memcpy(ch->field + plen, canon[i], flen + 1);
        int rc = read_value(ctx, pk, staged, canon[i], &ch->value);
        if (rc != IPSECVPN_OK)
            return rc;
        cs->fields[i] = ch->field;
        cs->values[i] = ch->value;
    }
    return IPSECVPN_OK;
}

/* Is the edit allowed at all: every user in a status that allows edits, every field
 * editable by the table. Fills canon[] with the table's spellings. */
static int policy_edit_allowed(ipsecvpn_registry *reg, int pk, const char *name,
                               const char *const *fields, const char *const *values,
                               size_t n, const char **canon, ivpn_findings *f)
{
    for (size_t k = 0; k < reg->n_conns; k++) {
        const conn_entry *e = &reg->conns[k];
        if (strcmp(e->policy[pk], name) != 0 || ivpn_status_allows_edit(e->status))
            continue;
        ivpn_findf(f, IPSECVPN_ERR_STATE, false, "status", ipsecvpn_status_name(e->status),
                   "connection '%s' uses %s '%s' and cannot be edited in this status",
                   e->c->v.name, pol_ops[pk].label, name);
        IVPN_LOG_WARN(reg->ctx, "registry: edit of %s '%s' refused: user '%s' is %s",
                      pol_ops[pk].label, name, e->c->v.name, ipsecvpn_status_name(e->status));
        return IPSECVPN_ERR_STATE;
    }
    int first = IPSECVPN_OK;
    for (size_t i = 0; i < n && !ivpn_find_stop(f); i++) {
        int rc = ivpn_edit_rule_check(pol_ops[pk].kind, fields[i], IVPN_ASSOC_NONE, &canon[i]);
        if (rc == IPSECVPN_OK)
            continue;
        ivpn_find(f, rc, false, fields[i],
                  rc == IPSECVPN_ERR_CONFIG_IMMUTABLE ? "cannot be edited on a named policy"
                                                      : "no such policy field",
                  values[i]);
        if (first == IPSECVPN_OK) {
            first = rc;
            IVPN_LOG_WARN(reg->ctx, "registry: edit of %s '%s' refused: field '%s' %s",
                          pol_ops[pk].label, name, fields[i],
                          rc == IPSECVPN_ERR_CONFIG_IMMUTABLE ? "is immutable" : "is unknown");
        }
    }
    return first;
}

static void free_clones(ipsecvpn_connection **clones, size_t n)
{
    for (size_t i = 0; clones != NULL && i < n; i++)
        ipsecvpn_connection_free(clones[i]);
}

/* Stage the policy edit and its copy into every user; commit only if all of them take it. */
static int update_policy(ipsecvpn_registry *reg, int pk, const char *name,
                         const char *const *fields, const char *const *values, size_t n,
                         ipsecvpn_report *rep)
{
    if (reg == NULL || name == NULL || !args_ok(fields, values, n))
        return IPSECVPN_ERR_INVALID_ARG;
    const policy_ops *ops = &pol_ops[pk];
    ptrdiff_t idx = find_policy(reg, pk, name);
    if (idx < 0) {
        IVPN_LOG_WARN(reg->ctx, "registry: edit of %s '%s' refused: no such policy", ops->label,
                      name);
        return IPSECVPN_ERR_NOT_FOUND;
    }
    void *live = reg->policies[pk].items[idx];
    char old_name[IVPN_NAME_BUF];
    copy_name(old_name, ops->name(live));

    ivpn_findings f;
    ivpn_findings_init(&f, rep);
    void *staged = NULL;
    ipsecvpn_connection **clones = NULL;
    size_t n_users = 0;
    change_set cs = {0};
    const char **canon = ivpn_zalloc(reg->ctx, (n ? n : 1) * sizeof(*canon));
    if (canon == NULL)
        return IPSECVPN_ERR_NOMEM;

    int rc = policy_edit_allowed(reg, pk, old_name, fields, values, n, canon, &f);
    if (rc != IPSECVPN_OK)
        goto out;

    staged = ivpn_malloc(reg->ctx, ops->size);
    if (staged == NULL) {
        rc = IPSECVPN_ERR_NOMEM;
        goto out;
    }
    memcpy(staged, live, ops->size);
    rc = ops->update(staged, fields, values, n, rep);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(reg->ctx, "registry: edit of %s '%s' refused: %s", ops->label, old_name,
                      ipsecvpn_strerror(rc));
        goto out;
    }
    const char *new_name = ops->name(staged);
    if (strcmp(new_name, old_name) != 0 && find_policy(reg, pk, new_name) >= 0) {
        rc = ivpn_find(&f, IPSECVPN_ERR_EXISTS, false, "name", "another policy has this name",
                       new_name);
        IVPN_LOG_WARN(reg->ctx, "registry: rename of %s '%s' to '%s' refused: the name is taken",
                      ops->label, old_name, new_name);
        goto out;
    }

    /* Every user takes the same change on a clone; any failure drops them all. */
    rc = change_set_build(reg->ctx, pk, staged, canon, n, &cs);
    if (rc != IPSECVPN_OK)
        goto out;
    clones = ivpn_zalloc(reg->ctx, (reg->n_conns ? reg->n_conns : 1) * sizeof(*clones));
    if (clones == NULL) {
        rc = IPSECVPN_ERR_NOMEM;
        goto out;
    }
    for (size_t k = 0; k < reg->n_conns; k++) {
        conn_entry *e = &reg->conns[k];
        if (strcmp(e->policy[pk], old_name) != 0)
            continue;
        rc = ipsecvpn_connection_clone(e->c, &clones[n_users]);
        if (rc != IPSECVPN_OK)
            goto out;
        n_users++;
        rc = ipsecvpn_connection_update(clones[n_users - 1], cs.fields, cs.values, n, rep);
        if (rc != IPSECVPN_OK) {
            ivpn_findf(&f, rc, false, "connection", e->c->v.name,
                       "would become invalid with this %s edit", ops->label);
            IVPN_LOG_WARN(reg->ctx, "registry: edit of %s '%s' refused: connection '%s' would "
                          "become invalid (%s)", ops->label, old_name, e->c->v.name,
                          ipsecvpn_strerror(rc));
            goto out;
        }
    }

    /* Commit: users, their references (on a rename), then the policy itself. */
    for (size_t k = 0, j = 0; k < reg->n_conns; k++) {
        conn_entry *e = &reg->conns[k];
        if (strcmp(e->policy[pk], old_name) != 0)
            continue;
        commit_connection(e->c, clones[j]);
        clones[j++] = NULL;
        copy_name(e->policy[pk], new_name);
    }
    memcpy(live, staged, ops->size);
    rc = IPSECVPN_OK;
out:
    free_clones(clones, n_users);
    ivpn_free(reg->ctx, clones);
    change_set_free(reg->ctx, &cs);
    ivpn_free(reg->ctx, staged);
    ivpn_free(reg->ctx, canon);
    return rc;
}

IPSECVPN_EXPORT int ipsecvpn_registry_update_ike_policy(ipsecvpn_registry *reg, const char *name,
                                                        const char *const *fields,
                                                        const char *const *values, size_t n,
                                                        ipsecvpn_report *rep)
{
    return update_policy(reg, POL_IKE, name, fields, values, n, rep);
}

IPSECVPN_EXPORT int ipsecvpn_registry_update_ipsec_policy(ipsecvpn_registry *reg,
                                                          const char *name,
                                                          const char *const *fields,
                                                          const char *const *values, size_t n,
                                                          ipsecvpn_report *rep)
{
    return update_policy(reg, POL_IPSEC, name, fields, values, n, rep);
}

/* --- connections --------------------------------------------------------------------- */

IPSECVPN_EXPORT int ipsecvpn_registry_add_connection(ipsecvpn_registry *reg,
                                                     ipsecvpn_connection *c,
                                                     const char *ike_policy,
                                                     const char *ipsec_policy,
                                                     ipsecvpn_report *rep)
{
    if (reg == NULL || c == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    ivpn_findings f;
    ivpn_findings_init(&f, rep);
    const char *name = c->v.name;
    if (name[0] == '\0') {
        IVPN_LOG_WARN(reg->ctx, "registry: connection refused: it has no name");
        return ivpn_find(&f, IPSECVPN_ERR_CONFIG_REQUIRED, false, "name",
                         "a registered connection needs a name", "\"\"");
    }
    if (find_conn(reg, name) != NULL) {
        IVPN_LOG_WARN(reg->ctx, "registry: connection '%s' refused: the name is taken", name);
        return ivpn_find(&f, IPSECVPN_ERR_EXISTS, false, "name",
                         "another connection has this name", name);
    }
    const char *wanted[POL_KINDS] = {ike_policy, ipsec_policy};
    const void *policy[POL_KINDS] = {NULL, NULL};
    for (int pk = 0; pk < POL_KINDS; pk++) {
        if (wanted[pk] == NULL)
            continue;
        policy[pk] = lookup_policy(reg, pk, wanted[pk]);
        if (policy[pk] == NULL) {
            IVPN_LOG_WARN(reg->ctx, "registry: connection '%s' refused: no %s '%s'", name,
                          pol_ops[pk].label, wanted[pk]);
            return ivpn_findf(&f, IPSECVPN_ERR_NOT_FOUND, false,
                              pk == POL_IKE ? "ike.name" : "ipsec.name", wanted[pk],
                              "no such %s in the registry", pol_ops[pk].label);
        }
    }
    int rc = grow(reg->ctx, (void **)&reg->conns, &reg->cap_conns, reg->n_conns,
                  sizeof(conn_entry));
    if (rc != IPSECVPN_OK)
        return rc;

    /* Bind and validate a clone, so a refused connection is handed back untouched. */
    ipsecvpn_connection *staged = NULL;
    rc = ipsecvpn_connection_clone(c, &staged);
    if (rc != IPSECVPN_OK)
        return rc;
    for (int pk = 0; pk < POL_KINDS && rc == IPSECVPN_OK; pk++) {
        if (policy[pk] != NULL)
            rc = pol_ops[pk].set_on(staged, policy[pk], rep);
    }
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_validate(staged, rep);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(reg->ctx, "registry: connection '%s' refused: %s", name,
                      ipsecvpn_strerror(rc));
        ipsecvpn_connection_free(staged);
        return rc;
    }
    commit_connection(c, staged);

    conn_entry *e = &reg->conns[reg->n_conns++];
    memset(e, 0, sizeof(*e));
    e->c = c;
    e->status = IPSECVPN_STATUS_DOWN;
    for (int pk = 0; pk < POL_KINDS; pk++) {
        if (policy[pk] != NULL)
            copy_name(e->policy[pk], pol_ops[pk].name(policy[pk]));
    }
    return IPSECVPN_OK;
}

/* Every field editable for this connection's current association, or the first refusal. */
static int connection_fields_allowed(ipsecvpn_registry *reg, const conn_entry *e,
                                     const char *const *fields, const char *const *values,
                                     size_t n, ivpn_findings *f)
{
    ivpn_assoc_type assoc = e->c->v.association.type;
    int first = IPSECVPN_OK;
    for (size_t i = 0; i < n && !ivpn_find_stop(f); i++) {
        int rc = ivpn_edit_rule_check(IPSECVPN_OBJECT_CONNECTION, fields[i], assoc, NULL);
        if (rc == IPSECVPN_OK)
            continue;
        if (rc == IPSECVPN_ERR_CONFIG_IMMUTABLE)
            ivpn_findf(f, rc, false, fields[i], values[i],
                       "cannot be edited on a connection with association %s",
                       ivpn_assoc_name(assoc));
        else
            ivpn_find(f, rc, false, fields[i], "no such connection field", values[i]);
        if (first == IPSECVPN_OK) {
            first = rc;
            IVPN_LOG_WARN(reg->ctx, "registry: edit of connection '%s' refused: field '%s' %s "
                          "(association %s)", e->c->v.name, fields[i],
                          rc == IPSECVPN_ERR_CONFIG_IMMUTABLE ? "is immutable" : "is unknown",
                          ivpn_assoc_name(assoc));
        }
    }
    return first;
}

IPSECVPN_EXPORT int ipsecvpn_registry_update_connection(ipsecvpn_registry *reg, const char *name,
                                                        const char *const *fields,
                                                        const char *const *values, size_t n,
                                                        ipsecvpn_report *rep)
{
    if (reg == NULL || name == NULL || !args_ok(fields, values, n))
        return IPSECVPN_ERR_INVALID_ARG;
    conn_entry *e = find_conn(reg, name);
    if (e == NULL) {
        IVPN_LOG_WARN(reg->ctx, "registry: edit of connection '%s' refused: no such connection",
                      name);
        return IPSECVPN_ERR_NOT_FOUND;
    }
    ivpn_findings f;
    ivpn_findings_init(&f, rep);
    if (!ivpn_status_allows_edit(e->status)) {
        IVPN_LOG_WARN(reg->ctx, "registry: edit of connection '%s' refused: status %s",
                      e->c->v.name, ipsecvpn_status_name(e->status));
        return ivpn_find(&f, IPSECVPN_ERR_STATE, false, "status",
                         "a connection cannot be edited in this status",
                         ipsecvpn_status_name(e->status));
    }
    int rc = connection_fields_allowed(reg, e, fields, values, n, &f);
    if (rc != IPSECVPN_OK)
        return rc;

    char old_name[IVPN_NAME_BUF];
    copy_name(old_name, e->c->v.name);
    ipsecvpn_connection *staged = NULL;
    rc = ipsecvpn_connection_clone(e->c, &staged);
    if (rc != IPSECVPN_OK)
        return rc;
    rc = ipsecvpn_connection_update(staged, fields, values, n, rep);
    if (rc != IPSECVPN_OK) {
        IVPN_LOG_WARN(reg->ctx, "registry: edit of connection '%s' refused: %s", old_name,
                      ipsecvpn_strerror(rc));
        ipsecvpn_connection_free(staged);
        return rc;
    }
    if (strcmp(staged->v.name, old_name) != 0 && find_conn(reg, staged->v.name) != NULL) {
        IVPN_LOG_WARN(reg->ctx, "registry: rename of connection '%s' to '%s' refused: the "
                      "name is taken", old_name, staged->v.name);
        rc = ivpn_find(&f, IPSECVPN_ERR_EXISTS, false, "name",
                       "another connection has this name", staged->v.name);
        ipsecvpn_connection_free(staged);
        return rc;
    }
    commit_connection(e->c, staged);
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT int ipsecvpn_registry_delete_connection(ipsecvpn_registry *reg, const char *name)
{
    if (reg == NULL || name == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    conn_entry *e = find_conn(reg, name);
    if (e == NULL) {
        IVPN_LOG_WARN(reg->ctx, "registry: delete of connection '%s' refused: no such connection",
                      name);
        return IPSECVPN_ERR_NOT_FOUND;
    }
    if (!ivpn_status_allows_delete(e->status)) {
        IVPN_LOG_WARN(reg->ctx, "registry: delete of connection '%s' refused: status %s", name,
                      ipsecvpn_status_name(e->status));
        return IPSECVPN_ERR_STATE;
    }
    size_t i = (size_t)(e - reg->conns);
    ipsecvpn_connection_free(e->c);
    memmove(&reg->conns[i], &reg->conns[i + 1], (reg->n_conns - i - 1) * sizeof(conn_entry));
    reg->n_conns--;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT const ipsecvpn_connection *ipsecvpn_registry_connection(
    const ipsecvpn_registry *reg, const char *name)
{
    if (reg == NULL || name == NULL)
        return NULL;
    const conn_entry *e = find_conn(reg, name);
    return e == NULL ? NULL : e->c;
}

IPSECVPN_EXPORT int ipsecvpn_registry_set_status(ipsecvpn_registry *reg, const char *name,
                                                 ipsecvpn_status status)
{
    if (reg == NULL || name == NULL ||
        (unsigned)status > (unsigned)IPSECVPN_STATUS_DELETING)
        return IPSECVPN_ERR_INVALID_ARG;
    conn_entry *e = find_conn(reg, name);
    if (e == NULL) {
        IVPN_LOG_WARN(reg->ctx, "registry: status of connection '%s' refused: no such "
                      "connection", name);
        return IPSECVPN_ERR_NOT_FOUND;
    }
    if (!ivpn_status_transition_allowed(e->status, status)) {
        IVPN_LOG_WARN(reg->ctx, "registry: status of connection '%s' refused: %s -> %s is not "
                      "a transition", name, ipsecvpn_status_name(e->status),
                      ipsecvpn_status_name(status));
        return IPSECVPN_ERR_STATE;
    }
    e->status = status;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT int ipsecvpn_registry_get_status(const ipsecvpn_registry *reg, const char *name,
                                                 ipsecvpn_status *status)
{
    if (reg == NULL || name == NULL || status == NULL)
        return IPSECVPN_ERR_INVALID_ARG;
    const conn_entry *e = find_conn(reg, name);
    if (e == NULL)
        return IPSECVPN_ERR_NOT_FOUND;
    *status = e->status;
    return IPSECVPN_OK;
}
