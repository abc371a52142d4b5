/*
 * host_config: read a connection for the example host from a file, either the cloud API's
 * connection config JSON (starts with '{') or `field=value` lines in the library's field
 * paths (`ike.encryption=aes256`; blank lines and lines starting with '#' are ignored),
 * then apply command-line `field=value` overrides in one atomic update.
 */
#ifndef HOST_CONFIG_H
#define HOST_CONFIG_H

#include <ipsecvpn/config.h>

#include <stddef.h>

/*
 * Build the connection. @p path may be NULL (only the overrides). Every problem is printed
 * to stderr with the field and the rule. Returns 0 or -1.
 */
int host_config_load(ipsecvpn_ctx *ctx, const char *path, const char *const *overrides,
                     size_t n_overrides, ipsecvpn_connection **out);

/* Print the connection's main fields on one line each (the PSK is not shown). */
void host_config_print(const ipsecvpn_connection *c);

#endif
