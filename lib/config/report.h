/*
 * Validation reports as lib/config/ fills them. Every configuration finding goes through
 * ivpn_report_add() so the message always reads "field: rule, got value".
 */
#ifndef IVPN_CONFIG_REPORT_H
#define IVPN_CONFIG_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "ipsecvpn/config.h"

#define IVPN_REPORT_FIELD_MAX 96   /* longer field paths are cut */
#define IVPN_REPORT_RULE_MAX 192   /* longer rule texts are cut */
#define IVPN_REPORT_VALUE_MAX 128  /* the offending value is cut at 128 bytes (config.h) */

/*
 * Record one finding. rep may be NULL (nothing recorded). In IPSECVPN_REPORT_FIRST mode a
 * report that already holds an error records nothing more. If the report cannot grow (no
 * memory) the finding is dropped: the return value still tells the caller what happened.
 * Returns code for an error, 0 for a warning.
 */
int ivpn_report_add(ipsecvpn_report *rep, int code, bool warning, const char *field,
                    const char *rule, const char *value);

/* True when rep is in FIRST mode and already holds an error: callers stop checking. */
bool ivpn_report_stop(const ipsecvpn_report *rep);

/*
 * Findings of one operation. A report passed in by the caller may already hold findings
 * from earlier calls, so an operation tracks its own first error here instead of asking the
 * report. all = collect everything (the report's mode; FIRST when there is no report).
 */
typedef struct ivpn_findings {
    ipsecvpn_report *rep;
    int first_error;   /* 0 until the first error of this operation */
    bool all;
} ivpn_findings;

void ivpn_findings_init(ivpn_findings *f, ipsecvpn_report *rep);
/* Record a finding (error when code < 0 and !warning). Returns code, or 0 for a warning. */
int ivpn_find(ivpn_findings *f, int code, bool warning, const char *field, const char *rule,
              const char *value);
/* Like ivpn_find with the rule built by printf. */
int ivpn_findf(ivpn_findings *f, int code, bool warning, const char *field, const char *value,
               const char *rule_fmt, ...) __attribute__((format(printf, 6, 7)));
/* True when this operation found an error and should not look further. */
bool ivpn_find_stop(const ivpn_findings *f);

#endif
