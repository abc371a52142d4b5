/*
 * The enumerated configuration values: one table per kind, with the products' canonical
 * spelling, the accepted aliases (OpenStack API spellings among them) and the value.
 */
#ifndef IVPN_CONFIG_ENUMS_H
#define IVPN_CONFIG_ENUMS_H

#include <stddef.h>
#include <stdint.h>

#define IVPN_ENUM_ALIASES 6

typedef struct ivpn_enum_entry {
    const char *name;                        /* canonical spelling */
    int value;                               /* IANA ID (algorithms, groups) or list position */
    uint16_t key_bits;                       /* encryption only: key size in bits, else 0 */
    const char *aliases[IVPN_ENUM_ALIASES];  /* other accepted spellings, NULL-terminated */
} ivpn_enum_entry;

typedef struct ivpn_enum_kind {
    const char *kind;
    const ivpn_enum_entry *entries;          /* NULL for "status" (names from the registry) */
    size_t count;
} ivpn_enum_kind;

/* The table of a kind, NULL if unknown. */
const ivpn_enum_kind *ivpn_enum_kind_find(const char *kind);

/*
 * Find the entry whose canonical name or alias equals text (ASCII case-insensitive).
 * NULL if none. Not for "status" (use ipsecvpn_enum_parse).
 */
const ivpn_enum_entry *ivpn_enum_lookup(const char *kind, const char *text);

/* The entry of kind with this value (and key_bits, for encryption; 0 matches any). */
const ivpn_enum_entry *ivpn_enum_by_value(const char *kind, int value, unsigned key_bits);

/* Canonical spelling for a value, "" if the value is not in the table. */
const char *ivpn_enum_canonical(const char *kind, int value, unsigned key_bits);

/* Key size in bits of an encryption spelling ("aes256" -> 256), 0 if not an encryption. */
unsigned ivpn_enum_key_bits(const char *text);

/* ASCII case-insensitive equality (locale-independent). */
int ivpn_ascii_casecmp(const char *a, const char *b);

#endif
