/* Shared helpers of the crypto tests: load a JSON vector file, decode hex, make a context. */
#ifndef TEST_CRYPTO_VECTORS_H
#define TEST_CRYPTO_VECTORS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "ipsecvpn/common.h"

/* Parses $IPSECVPN_VECTORS/name; fails the test if it cannot. */
cJSON *vec_load(const char *name);
/* The string member `key` of obj (fails the test if missing). */
const char *vec_str(const cJSON *obj, const char *key);
/* Whether the case carries "verified": true (the only cases we run). */
int vec_verified(const cJSON *obj);
/* Decodes hex into a fresh buffer (malloc, at least 1 byte); *len gets the byte count. */
uint8_t *vec_hex(const char *hex, size_t *len);
/* Decodes the hex string member `key` of obj. */
uint8_t *vec_hex_field(const cJSON *obj, const char *key, size_t *len);
/* A context whose random source is the system CSPRNG. */
ipsecvpn_ctx *vec_ctx(void);

#endif
