/*
 * Import of the cloud API's connection config JSON (the shape export_json.c writes), read as
 * the device that holds it: its Local is our local_address, its LocalSubnet our local_cidrs.
 *
 * The document is only parsed and type-checked here; every value then goes, as text, through
 * one ipsecvpn_connection_update() on a fresh connection, so the model's parsers and rules
 * decide what is valid and the result is all-or-nothing. Keys this shape does not have are
 * ignored (a newer API may add some). Required: Local, Remote, IkeConfig with Psk (without a
 * shared key the document cannot configure a working tunnel).
 *
 * cJSON allocates with its own global hooks (setting them would be global state): the parsed
 * tree is freed before returning and the PSK's copy in it wiped first.
 */
#include <stdio.h>
#include <string.h>

#include "config/model.h"
#include "config/report.h"
#include "crypto/crypto.h"

#ifdef IPSECVPN_HAVE_CJSON
#include <cjson/cJSON.h>

typedef enum { JT_STRING, JT_NUMBER } json_type;

typedef struct json_key {
    const char *key;      /* member name in the document */
    const char *field;    /* connection field path */
    json_type type;
    bool required;
} json_key;

static const json_key top_keys[] = {
    {"Local", "local_address", JT_STRING, true},
    {"Remote", "peer_address", JT_STRING, true},
    {NULL, NULL, JT_STRING, false},
};
static const json_key ike_keys[] = {
    {"IkeVersion", "ike.version", JT_STRING, false},
    {"IkeMode", "ike.mode", JT_STRING, false},
    {"IkeEncAlg", "ike.encryption", JT_STRING, false},
    {"IkeAuthAlg", "ike.integrity", JT_STRING, false},
    {"IkePfs", "ike.dh_group", JT_STRING, false},
    {"IkeLifetime", "ike.lifetime", JT_NUMBER, false},
    {"LocalId", "ike.local_id", JT_STRING, false},
    {"RemoteId", "ike.remote_id", JT_STRING, false},
    {"Psk", "psk", JT_STRING, true},
    {NULL, NULL, JT_STRING, false},
};
static const json_key ipsec_keys[] = {
    {"IpsecEncAlg", "ipsec.encryption", JT_STRING, false},
    {"IpsecAuthAlg", "ipsec.integrity", JT_STRING, false},
    {"IpsecPfs", "ipsec.pfs", JT_STRING, false},
    {"IpsecLifetime", "ipsec.lifetime", JT_NUMBER, false},
    {NULL, NULL, JT_STRING, false},
};

#define MAX_PAIRS 24

/* The update being assembled: fields and values point into the tree or into numbers[]. */
typedef struct import_job {
    ipsecvpn_ctx *ctx;
    ipsecvpn_report *rep;
    const char *fields[MAX_PAIRS];
    const char *values[MAX_PAIRS];
    size_t n;
    char numbers[MAX_PAIRS][16];
    const char *local, *remote;   /* the document's addresses, to recognise default ids */
} import_job;

static int import_error(import_job *job, const char *key, const char *rule, const char *value)
{
    IVPN_LOG_WARN(job->ctx, "import: %s: %s", key, rule);
    /* "field: rule, got value" names an absent value "" as the model's findings do */
    ivpn_report_add(job->rep, IPSECVPN_ERR_CONFIG_IMPORT, false, key, rule,
                    value && *value ? value : "\"\"");
    return IPSECVPN_ERR_CONFIG_IMPORT;
}

static void add_pair(import_job *job, const char *field, const char *value)
{
    if (job->n < MAX_PAIRS) {
        job->fields[job->n] = field;
        job->values[job->n] = value;
        job->n++;
    }
}

static const char *type_name(const cJSON *item)
{
    if (cJSON_IsString(item)) return "a string";
    if (cJSON_IsNumber(item)) return "a number";
    if (cJSON_IsBool(item)) return "a boolean";
    if (cJSON_IsNull(item)) return "null";
    if (cJSON_IsArray(item)) return "an array";
    if (cJSON_IsObject(item)) return "an object";
    return "invalid";
}

/* Read one member; *text is NULL when an optional member is absent. */
static int read_member(import_job *job, const cJSON *obj, const char *prefix, const json_key *k,
                       const char **text)
{
    char path[64];
    snprintf(path, sizeof(path), "%s%s", prefix, k->key);
    *text = NULL;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, k->key);
    if (!item)
        return k->required ? import_error(job, path, "required key is missing", "") : IPSECVPN_OK;
    if (k->type == JT_STRING) {
        if (!cJSON_IsString(item) || !item->valuestring)
            return import_error(job, path, "must be a string", type_name(item));
        *text = item->valuestring;
        return IPSECVPN_OK;
    }
    if (!cJSON_IsNumber(item))
        return import_error(job, path, "must be a number", type_name(item));
    double d = item->valuedouble;
    if (!(d >= 0 && d <= 4294967295.0) || (double)(uint32_t)d != d) {
        char got[32];
        snprintf(got, sizeof(got), "%.17g", d);
        return import_error(job, path, "must be a whole number 0..4294967295", got);
    }
    char *buf = job->numbers[job->n < MAX_PAIRS ? job->n : MAX_PAIRS - 1];
    snprintf(buf, sizeof(job->numbers[0]), "%.0f", d);
    *text = buf;
    return IPSECVPN_OK;
}

static bool same_text(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static int read_section(import_job *job, const cJSON *obj, const char *prefix,
                        const json_key *keys)
{
    for (const json_key *k = keys; k->key; k++) {
        const char *text;
        int rc = read_member(job, obj, prefix, k, &text);
        if (rc != IPSECVPN_OK)
            return rc;
        if (!text)
            continue;
        /* an identity equal to its gateway's address is the default: keep it empty */
        if ((strcmp(k->field, "ike.local_id") == 0 && same_text(text, job->local)) ||
            (strcmp(k->field, "ike.remote_id") == 0 && same_text(text, job->remote)))
            continue;
        if (strcmp(k->field, "local_address") == 0)
            job->local = text;
        if (strcmp(k->field, "peer_address") == 0)
            job->remote = text;
        add_pair(job, k->field, text);
    }
    return IPSECVPN_OK;
}

static bool all_traffic(const char *s)
{
    return strcmp(s, "0.0.0.0/0") == 0 || strcmp(s, "::/0") == 0;
}

/* Subnets: all-traffic on both sides is destination (route-based) mode, as export writes it;
 * anything else is protected flows. Neither present keeps the default. */
static int read_subnets(import_job *job, const cJSON *root)
{
    static const json_key local = {"LocalSubnet", "local_cidrs", JT_STRING, false};
    static const json_key remote = {"RemoteSubnet", "remote_cidrs", JT_STRING, false};
    const char *l, *r;
    int rc = read_member(job, root, "", &local, &l);
    if (rc == IPSECVPN_OK)
        rc = read_member(job, root, "", &remote, &r);
    if (rc != IPSECVPN_OK)
        return rc;
    if (!l && !r)
        return IPSECVPN_OK;
    if (l && r && all_traffic(l) && all_traffic(r)) {
        add_pair(job, "routing_mode", "destination");
        return IPSECVPN_OK;
    }
    add_pair(job, "routing_mode", "protected-flows");
    if (l)
        add_pair(job, "local_cidrs", l);
    if (r)
        add_pair(job, "remote_cidrs", r);
    return IPSECVPN_OK;
}

static int read_object(import_job *job, const cJSON *root, const char *key, bool required,
                       const cJSON **out)
{
    *out = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!*out)
        return required ? import_error(job, key, "required key is missing", "") : IPSECVPN_OK;
    if (!cJSON_IsObject(*out))
        return import_error(job, key, "must be an object", type_name(*out));
    return IPSECVPN_OK;
}

static int read_document(import_job *job, const cJSON *root)
{
    const cJSON *ike, *ipsec;
    int rc;
    if (!cJSON_IsObject(root))
        return import_error(job, "document", "must be a JSON object", type_name(root));
    if ((rc = read_section(job, root, "", top_keys)) != IPSECVPN_OK ||
        (rc = read_subnets(job, root)) != IPSECVPN_OK ||
        (rc = read_object(job, root, "IkeConfig", true, &ike)) != IPSECVPN_OK ||
        (rc = read_section(job, ike, "IkeConfig.", ike_keys)) != IPSECVPN_OK ||
        (rc = read_object(job, root, "IpsecConfig", false, &ipsec)) != IPSECVPN_OK)
        return rc;
    if (ipsec)
        rc = read_section(job, ipsec, "IpsecConfig.", ipsec_keys);
    return rc;
}

/*
 * Whether a JSON string in the document holds a NUL character, raw or as \u0000. cJSON keeps
 * strings NUL-terminated, so such a value would arrive cut short: a PSK "k\u0000x" would be
 * silently imported as "k". Scans only inside strings, following escapes.
 */
static bool has_nul_in_string(const char *json, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char ch = json[i];
        if (!in_string) {
            in_string = ch == '"';
            continue;
        }
        if (ch == '\0')
            return true;
        if (ch == '"') {
            in_string = false;
        } else if (ch == '\\' && i + 1 < len) {
            if (json[i + 1] == 'u' && i + 5 < len && memcmp(json + i + 2, "0000", 4) == 0)
                return true;
            i++; /* the escaped character */
        }
    }
    return false;
}

static void wipe_psk(cJSON *root)
{
    cJSON *ike = cJSON_GetObjectItemCaseSensitive(root, "IkeConfig");
    cJSON *psk = cJSON_IsObject(ike) ? cJSON_GetObjectItemCaseSensitive(ike, "Psk") : NULL;
    if (cJSON_IsString(psk) && psk->valuestring)
        ivpn_wipe(psk->valuestring, strlen(psk->valuestring));
}

IPSECVPN_EXPORT int ipsecvpn_connection_import_json(ipsecvpn_ctx *ctx, ipsecvpn_profile profile,
                                                    const char *json, size_t len,
                                                    ipsecvpn_connection **out,
                                                    ipsecvpn_report *rep)
{
    if (!out)
        return IPSECVPN_ERR_INVALID_ARG;
    *out = NULL;
    if (!ctx || (!json && len > 0))
        return IPSECVPN_ERR_INVALID_ARG;
    import_job job = {.ctx = ctx, .rep = rep};
    if (json && has_nul_in_string(json, len))
        return import_error(&job, "document", "strings must not contain NUL characters", "");
    cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
    if (!root)
        return import_error(&job, "document", "not valid JSON", "");

    int rc = read_document(&job, root);
    ipsecvpn_connection *c = NULL;
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_new(ctx, profile, &c);
    if (rc == IPSECVPN_OK)
        rc = ipsecvpn_connection_update(c, job.fields, job.values, job.n, rep);
    /* update checks what it changes; a new connection must also be complete (e.g. a Local
     * of "" leaves local_address unset) */
    if (rc == IPSECVPN_OK && ipsecvpn_connection_validate(c, NULL) != IPSECVPN_OK)
        rc = ipsecvpn_connection_validate(c, rep); /* again, to report (warnings only once) */
    wipe_psk(root);
    cJSON_Delete(root);
    if (rc != IPSECVPN_OK) {
        ipsecvpn_connection_free(c);
        return rc;
    }
    *out = c;
    return IPSECVPN_OK;
}

#else /* !IPSECVPN_HAVE_CJSON */

IPSECVPN_EXPORT int ipsecvpn_connection_import_json(ipsecvpn_ctx *ctx, ipsecvpn_profile profile,
                                                    const char *json, size_t len,
                                                    ipsecvpn_connection **out,
                                                    ipsecvpn_report *rep)
{
    (void)profile; (void)json; (void)len; (void)rep;
    if (out)
        *out = NULL;
    IVPN_LOG_WARN(ctx, "import: JSON needs a build with cJSON");
    return IPSECVPN_ERR_UNSUPPORTED;
}

#endif
