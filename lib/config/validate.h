/*
 * Validation rules: per-field text rules used while parsing, and the whole-object rules
 * (ranges per profile, cross-field rules, required fields) run before anything is committed.
 */
#ifndef IVPN_CONFIG_VALIDATE_H
#define IVPN_CONFIG_VALIDATE_H

#include <stdbool.h>

#include "config/fields.h"
#include "config/model.h"
#include "config/report.h"

/* Text rules of ivpn_text_rule (fields.h). Returns IPSECVPN_OK, IPSECVPN_ERR_CONFIG_LENGTH,
 * IPSECVPN_ERR_CONFIG_CHARSET (control characters, bad UTF-8, non-ASCII in a REF) or
 * IPSECVPN_ERR_CONFIG_SYNTAX (a name starting with http:// or https://). */
int ivpn_check_text(ivpn_text_rule rule, const char *text, const char *field, ivpn_findings *f);

/* Number of UTF-8 code points, or -1 if text is not well-formed UTF-8 (overlong forms,
 * surrogates and values above U+10FFFF are refused). */
long ivpn_utf8_length(const char *text);

/* Longest LocalId/RemoteId of a profile: 100 (cloud, strict), 255 (OpenStack). */
size_t ivpn_identity_max(ipsecvpn_profile profile);

/* Whole-object validation. Findings are prefixed like connection paths ("ike.lifetime").
 * require_addresses: also report a missing local_address / peer_address
 * (IPSECVPN_ERR_CONFIG_REQUIRED); updates skip that so a connection can be built up in steps.
 * Return IPSECVPN_OK or the first error; warnings do not fail. */
int ivpn_validate_ike(const ivpn_ike_values *v, ipsecvpn_profile profile, ivpn_findings *f);
int ivpn_validate_ipsec(const ivpn_ipsec_values *v, ipsecvpn_profile profile, ivpn_findings *f);
int ivpn_validate_connection(const ivpn_connection_values *v, ipsecvpn_profile profile,
                             bool require_addresses, ivpn_findings *f);

#endif

/*
 * The all-or-nothing update shared by the three objects: copy the live values (size bytes)
 * to a staging copy, parse every pair onto it, let the object adjust derived values
 * (connections: a DPD timeout that follows the IKE version), validate the whole copy, and
 * copy it over the live values only if no error was found. The staging copy is wiped (it may
 * hold a PSK) and freed. Returns IPSECVPN_OK, IPSECVPN_ERR_INVALID_ARG, IPSECVPN_ERR_NOMEM or
 * the first error found.
 */
int ivpn_stage_update(ipsecvpn_object_kind kind, const ipsecvpn_ctx *ctx,
                      ipsecvpn_profile profile, void *live, size_t size,
                      const char *const *fields, const char *const *values, size_t n,
                      ipsecvpn_report *rep);

/* Run the whole-object validation of a kind on values (require_addresses as above). */
int ivpn_validate_values(ipsecvpn_object_kind kind, const void *values, ipsecvpn_profile profile,
                         bool require_addresses, ivpn_findings *f);

/* Derived values of a connection: a DPD timeout never set explicitly follows the profile's
 * default for the current IKE version. */
void ivpn_connection_derive(ivpn_connection_values *v, ipsecvpn_profile profile);
