/* Validation reports: a growable list of findings, each "field: rule, got value". */
#include "config/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/ctx.h"

typedef struct ivpn_finding {
    int code;       /* negative error code, 0 for a warning */
    bool warning;
    char field[IVPN_REPORT_FIELD_MAX + 1];
    char rule[IVPN_REPORT_RULE_MAX + 1];
    char value[IVPN_REPORT_VALUE_MAX + 1];
    char message[IVPN_REPORT_FIELD_MAX + IVPN_REPORT_RULE_MAX + IVPN_REPORT_VALUE_MAX + 16];
} ivpn_finding;

struct ipsecvpn_report {
    ipsecvpn_ctx *ctx;
    ipsecvpn_report_mode mode;
    size_t count, cap, errors;
    ivpn_finding *items;
};

IPSECVPN_EXPORT int ipsecvpn_report_new(ipsecvpn_ctx *ctx, ipsecvpn_report_mode mode,
                                        ipsecvpn_report **out)
{
    if (!out)
        return IPSECVPN_ERR_INVALID_ARG;
    *out = NULL;
    if (!ctx || (mode != IPSECVPN_REPORT_FIRST && mode != IPSECVPN_REPORT_ALL))
        return IPSECVPN_ERR_INVALID_ARG;
    ipsecvpn_report *r = ivpn_zalloc(ctx, sizeof(*r));
    if (!r)
        return IPSECVPN_ERR_NOMEM;
    r->ctx = ctx;
    r->mode = mode;
    *out = r;
    return IPSECVPN_OK;
}

IPSECVPN_EXPORT void ipsecvpn_report_free(ipsecvpn_report *rep)
{
    if (!rep)
        return;
    ivpn_free(rep->ctx, rep->items);
    ivpn_free(rep->ctx, rep);
}

IPSECVPN_EXPORT void ipsecvpn_report_clear(ipsecvpn_report *rep)
{
    if (rep)
        rep->count = rep->errors = 0;
}

IPSECVPN_EXPORT size_t ipsecvpn_report_count(const ipsecvpn_report *rep)
{
    return rep ? rep->count : 0;
}

IPSECVPN_EXPORT size_t ipsecvpn_report_errors(const ipsecvpn_report *rep)
{
    return rep ? rep->errors : 0;
}

static const ivpn_finding *item(const ipsecvpn_report *rep, size_t i)
{
    return rep && i < rep->count ? &rep->items[i] : NULL;
}

IPSECVPN_EXPORT int ipsecvpn_report_code(const ipsecvpn_report *rep, size_t i)
{
    const ivpn_finding *f = item(rep, i);
    return f ? f->code : 0;
}

IPSECVPN_EXPORT int ipsecvpn_report_is_warning(const ipsecvpn_report *rep, size_t i)
{
    const ivpn_finding *f = item(rep, i);
    return f && f->warning ? 1 : 0;
}

IPSECVPN_EXPORT const char *ipsecvpn_report_field(const ipsecvpn_report *rep, size_t i)
{
    const ivpn_finding *f = item(rep, i);
    return f ? f->field : "";
}

IPSECVPN_EXPORT const char *ipsecvpn_report_rule(const ipsecvpn_report *rep, size_t i)
{
    const ivpn_finding *f = item(rep, i);
    return f ? f->rule : "";
}

IPSECVPN_EXPORT const char *ipsecvpn_report_value(const ipsecvpn_report *rep, size_t i)
{
    const ivpn_finding *f = item(rep, i);
    return f ? f->value : "";
}

IPSECVPN_EXPORT const char *ipsecvpn_report_message(const ipsecvpn_report *rep, size_t i)
{
    const ivpn_finding *f = item(rep, i);
    return f ? f->message : "";
}

/* Copy at most max bytes, never splitting a UTF-8 sequence, always NUL-terminated. */
static void copy_cut(char *dst, size_t max, const char *src)
{
    size_t n = 0;
    if (src) {
        n = strlen(src);
        if (n > max) {
            n = max;
            while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
                n--;
        }
        memcpy(dst, src, n);
    }
    dst[n] = '\0';
}

bool ivpn_report_stop(const ipsecvpn_report *rep)
{
    return rep && rep->mode == IPSECVPN_REPORT_FIRST && rep->errors > 0;
}

int ivpn_report_add(ipsecvpn_report *rep, int code, bool warning, const char *field,
                    const char *rule, const char *value)
{
    int ret = warning ? 0 : code;
    if (!rep || ivpn_report_stop(rep))
        return ret;
    if (rep->count == rep->cap) {
        size_t cap = rep->cap ? rep->cap * 2 : 4;
        ivpn_finding *n = ivpn_realloc(rep->ctx, rep->items, cap * sizeof(*n));
        if (!n) {
            IVPN_LOG_WARN(rep->ctx, "report: finding dropped (no memory): %s", field ? field : "");
            return ret;
        }
        rep->items = n;
        rep->cap = cap;
    }
    ivpn_finding *f = &rep->items[rep->count++];
    f->code = ret;
    f->warning = warning;
    copy_cut(f->field, IVPN_REPORT_FIELD_MAX, field);
    copy_cut(f->rule, IVPN_REPORT_RULE_MAX, rule);
    copy_cut(f->value, IVPN_REPORT_VALUE_MAX, value);
    snprintf(f->message, sizeof(f->message), "%s: %s, got %s", f->field, f->rule, f->value);
    if (!warning)
        rep->errors++;
    IVPN_LOG_DEBUG(rep->ctx, "config %s: %s", warning ? "warning" : "error", f->message);
    return ret;
}

void ivpn_findings_init(ivpn_findings *f, ipsecvpn_report *rep)
{
    f->rep = rep;
    f->first_error = 0;
    f->all = rep && rep->mode == IPSECVPN_REPORT_ALL;
}

int ivpn_find(ivpn_findings *f, int code, bool warning, const char *field, const char *rule,
              const char *value)
{
    if (!warning && f->first_error == 0)
        f->first_error = code;
    else if (!warning && !f->all)
        return code; /* FIRST mode: only the first error of this operation is recorded */
    return ivpn_report_add(f->rep, code, warning, field, rule, value);
}

int ivpn_findf(ivpn_findings *f, int code, bool warning, const char *field, const char *value,
               const char *rule_fmt, ...)
{
    char rule[IVPN_REPORT_RULE_MAX + 1];
    va_list ap;
    va_start(ap, rule_fmt);
    vsnprintf(rule, sizeof(rule), rule_fmt, ap);
    va_end(ap);
    return ivpn_find(f, code, warning, field, rule, value);
}

bool ivpn_find_stop(const ivpn_findings *f)
{
    return f->first_error != 0 && !f->all;
}
