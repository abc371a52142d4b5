/*
 * Which changes the registry allows, and when: the status table (may an object in this
 * status be edited, deleted; which status changes are accepted) and the explicit field
 * table (may this field of a policy / of a connection with this association be edited).
 * Pure tables and look-ups: no allocation, no state.
 */
#ifndef IVPN_CONFIG_EDIT_RULES_H
#define IVPN_CONFIG_EDIT_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "config/model.h"

/* Status rules. Out-of-range statuses allow nothing. */
bool ivpn_status_allows_edit(ipsecvpn_status s);
bool ivpn_status_allows_delete(ipsecvpn_status s);
bool ivpn_status_transition_allowed(ipsecvpn_status from, ipsecvpn_status to);

/*
 * Field rule of @p field (aliases resolved) for an object of @p kind; @p assoc is used for
 * connections only. Status is not looked at here (see ivpn_status_allows_edit).
 * Returns IPSECVPN_OK (editable), IPSECVPN_ERR_CONFIG_IMMUTABLE (a known field that may not
 * change), IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD (not in the table), IPSECVPN_ERR_INVALID_ARG.
 * @p canonical (may be NULL) receives the table's spelling of the field (static text).
 */
int ivpn_edit_rule_check(ipsecvpn_object_kind kind, const char *field, ivpn_assoc_type assoc,
                         const char **canonical);

/* Canonical spelling of an association type ("none", "vpn-gateway", "transit-router"). */
const char *ivpn_assoc_name(ivpn_assoc_type t);
/* Parse a canonical association spelling; NULL means none. false if unknown. */
bool ivpn_assoc_parse(const char *text, ivpn_assoc_type *out);

/*
 * Walk the table, for tests and documentation: row @p i of @p kind's table. For policies
 * every element of @p editable[] holds the same answer. Returns false past the end.
 * editable[] is indexed by ivpn_assoc_type.
 */
bool ivpn_edit_rule_row(ipsecvpn_object_kind kind, size_t i, const char **field,
                        bool editable[3]);

#endif
