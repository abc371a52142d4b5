/*
 * The field table: every configurable field of the three objects with its path, where it is
 * stored, how it is parsed from text and written back canonically, and its range per profile.
 * IKE and IPsec policies use their sub-tables directly ("lifetime"); a connection reaches the
 * same sub-tables under "ike." and "ipsec." and has its own fields besides.
 */
#ifndef IVPN_CONFIG_FIELDS_H
#define IVPN_CONFIG_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/model.h"
#include "config/report.h"

typedef enum ivpn_field_type {
    IVPN_FT_TEXT,       /* char[]; text_rule says which */
    IVPN_FT_ENUM,       /* an int-sized ivpn_* enum equal to the kind's list position */
    IVPN_FT_IANA,       /* uint16_t IANA id (integrity, dh_group, pfs) */
    IVPN_FT_ENCR,       /* ivpn_encr_choice */
    IVPN_FT_VERSION,    /* ivpn_ike_version (list position + 1) */
    IVPN_FT_ONOFF,      /* bool, written on/off */
    IVPN_FT_YESNO,      /* bool, written yes/no */
    IVPN_FT_ADMIN,      /* bool admin_up, written up/down */
    IVPN_FT_U32,        /* uint32_t with a per-profile range */
    IVPN_FT_IP,         /* ivpn_ip; "" = unset */
    IVPN_FT_CIDR,       /* ivpn_cidr; "" = unset */
    IVPN_FT_CIDR_LIST,  /* ivpn_cidr[IVPN_CIDRS_MAX] with a uint8_t count at aux */
    IVPN_FT_IDENTITY,   /* ivpn_identity */
    IVPN_FT_PSK,        /* char[IVPN_PSK_MAX + 1]; "" = generate */
    IVPN_FT_ASN,        /* uint32_t, plain or asdot */
    IVPN_FT_PROTOCOL    /* not stored: always esp */
} ivpn_field_type;

typedef enum ivpn_text_rule {
    IVPN_TEXT_NAME,     /* 1..100 characters, not http:// or https://, no control characters */
    IVPN_TEXT_DESC,     /* 0..255 characters, no control characters */
    IVPN_TEXT_REF       /* 0..100 printable ASCII characters without space (resource ids) */
} ivpn_text_rule;

typedef struct ivpn_range {
    uint32_t min, max;
} ivpn_range;

typedef struct ivpn_field {
    const char *path;         /* "lifetime", "dpd.timeout" */
    const char *alias;        /* another accepted path ("authentication"), or NULL */
    ivpn_field_type type;
    size_t offset;            /* in the values struct of the table */
    size_t size;              /* bytes at offset (text: buffer size) */
    size_t aux;               /* CIDR list: offset of the uint8_t count */
    const char *kind;         /* enum kind for ENUM / IANA / ENCR / VERSION */
    ivpn_text_rule text_rule;
    ivpn_range range[3];      /* U32: per ipsecvpn_profile */
    const char *unit;         /* U32: " seconds" or "" */
} ivpn_field;

/* What ivpn_field_set needs besides the value. */
typedef struct ivpn_field_ctx {
    const ipsecvpn_ctx *ctx;  /* random source for PSK generation */
    ipsecvpn_profile profile;
    ivpn_findings *findings;
} ivpn_field_ctx;

/* Resolve a path of an object kind ("lifetime" for policies, "ike.lifetime" for connections;
 * aliases accepted). *base (may be NULL) receives the offset of the field's sub-table in the
 * object's values struct (0 for policies). NULL if there is no such field. */
const ivpn_field *ivpn_field_find(ipsecvpn_object_kind kind, const char *path, size_t *base);

/* Number of canonical field paths of a kind (aliases excluded), and the i-th, written with
 * its prefix into buf ("ike.lifetime"). Returns NULL past the end. */
size_t ivpn_field_count(ipsecvpn_object_kind kind);
const char *ivpn_field_path(ipsecvpn_object_kind kind, size_t i, char *buf, size_t len);

/* Parse text into the field (values points at the whole object's values struct). report_path
 * names the field in findings; policies report with the connection prefix ("ike.lifetime")
 * so a message reads the same wherever the value was set. Returns IPSECVPN_OK or the error. */
int ivpn_field_set(const ivpn_field *fd, size_t base, void *values, const char *text,
                   const char *report_path, const ivpn_field_ctx *fc);

/* Write the canonical text (snprintf convention: returns the length; buf "" if too small). */
size_t ivpn_field_get(const ivpn_field *fd, size_t base, const void *values, char *buf,
                      size_t len);

/* Check every U32 field of a kind's values against the profile's range, and every enumerated
 * field for a value of its table (whole-object validation: values may come from a policy of
 * another profile, or from code that wrote the model directly). */
int ivpn_fields_check_ranges(ipsecvpn_object_kind kind, const void *values,
                             ipsecvpn_profile profile, ivpn_findings *f);

/* The rule text of a U32 field's range in a profile, e.g. "must be 0..86400 seconds". */
void ivpn_range_rule(const ivpn_field *fd, ipsecvpn_profile profile, char *buf, size_t len);

/* Shared by the generic get()ters of the three objects: look up, format, size check. */
int ivpn_fields_get_text(ipsecvpn_object_kind kind, const void *values, const char *field,
                         char *buf, size_t buflen, size_t *needed);

/* Parse n pairs onto values (a staged copy). Unknown paths, bad values and out-of-range
 * numbers are recorded. Returns IPSECVPN_OK or the first error. */
int ivpn_fields_apply(ipsecvpn_object_kind kind, void *values, const char *const *fields,
                      const char *const *texts, size_t n, const ivpn_field_ctx *fc);

/* Parse a decimal ASN, plain "4200000000" or asdot "a.b" (a, b <= 65535). Returns
 * IPSECVPN_OK, IPSECVPN_ERR_CONFIG_SYNTAX or IPSECVPN_ERR_CONFIG_RANGE (0 or > 4294967295). */
int ivpn_asn_parse(const char *text, uint32_t *out);

#endif
