/**
 * @file common.h
 * @brief Version, error codes, allocator hooks, host callbacks and the library context.
 *
 * Everything else in the API is created from an ::ipsecvpn_ctx, which carries the
 * host's allocator, its log sink and its random source. The library never reads a
 * clock, opens a socket or spawns a thread: the host supplies those through callbacks.
 *
 * Thread-safety: a context and every object created from it may be used by one thread
 * at a time. Distinct contexts are independent and may be used from different threads.
 */
#ifndef IPSECVPN_COMMON_H
#define IPSECVPN_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @cond INTERNAL */
#if defined(IPSECVPN_BUILDING) && defined(__GNUC__)
#define IPSECVPN_EXPORT __attribute__((visibility("default")))
#else
#define IPSECVPN_EXPORT
#endif
/** @endcond */

/**
 * @defgroup version Version
 * @{
 */
/** Major version of the headers the program was compiled against. */
#define IPSECVPN_VERSION_MAJOR 0
/** Minor version of the headers the program was compiled against. */
#define IPSECVPN_VERSION_MINOR 1
/** Patch version of the headers the program was compiled against. */
#define IPSECVPN_VERSION_PATCH 0
/** Version as text, "major.minor.patch". */
#define IPSECVPN_VERSION_STRING "0.1.0"
/** Version as one number, `major * 10000 + minor * 100 + patch`. */
#define IPSECVPN_VERSION_NUMBER \
    (IPSECVPN_VERSION_MAJOR * 10000 + IPSECVPN_VERSION_MINOR * 100 + IPSECVPN_VERSION_PATCH)

/**
 * @brief Version of the library actually linked.
 * @param[out] major may be NULL
 * @param[out] minor may be NULL
 * @param[out] patch may be NULL
 * @return the version string, e.g. "0.1.0" (static storage).
 */
IPSECVPN_EXPORT const char *ipsecvpn_version(int *major, int *minor, int *patch);
/** @} */

/**
 * @defgroup errors Error codes
 * Every function that can fail returns 0 (::IPSECVPN_OK) or a negative code below.
 * Codes are append-only: a released code never changes meaning.
 * Ranges: general -1..-99, configuration -100..-199, crypto -200..-299,
 * ESP -300..-399, IKE -400..-499.
 * @{
 */
/** Error codes returned by every fallible function (negative; 0 is success). */
typedef enum ipsecvpn_error {
    IPSECVPN_OK = 0,                      /**< success */
    /* general */
    IPSECVPN_ERR_INVALID_ARG = -1,        /**< a NULL or out-of-range argument from the caller */
    IPSECVPN_ERR_NOMEM = -2,              /**< the allocator returned NULL (fatal) */
    IPSECVPN_ERR_BUFFER_TOO_SMALL = -3,   /**< the output buffer is too small; nothing written */
    IPSECVPN_ERR_NOT_FOUND = -4,          /**< no object by that name or id */
    IPSECVPN_ERR_EXISTS = -5,             /**< an object by that name or id exists already */
    IPSECVPN_ERR_STATE = -6,              /**< not allowed in the object's current state */
    IPSECVPN_ERR_UNSUPPORTED = -7,        /**< valid but not supported by this build */
    IPSECVPN_ERR_RANDOM = -8,             /**< the host's random callback failed (fatal) */
    IPSECVPN_ERR_INTERNAL = -9,           /**< a broken invariant inside the library (fatal) */
    IPSECVPN_ERR_CALLBACK = -10,          /**< a host callback reported failure (fatal) */
    IPSECVPN_ERR_VERSION = -11,           /**< a versioned struct carries an unknown version */
    /* configuration */
    IPSECVPN_ERR_CONFIG_UNKNOWN_FIELD = -100, /**< no such field */
    IPSECVPN_ERR_CONFIG_SYNTAX = -101,    /**< the value does not parse (bad enum, address, number) */
    IPSECVPN_ERR_CONFIG_RANGE = -102,     /**< a number outside its allowed range */
    IPSECVPN_ERR_CONFIG_LENGTH = -103,    /**< text too short or too long */
    IPSECVPN_ERR_CONFIG_CHARSET = -104,   /**< a character that is not allowed */
    IPSECVPN_ERR_CONFIG_CONFLICT = -105,  /**< a rule across fields is broken */
    IPSECVPN_ERR_CONFIG_IMMUTABLE = -106, /**< the field cannot be edited on this object now */
    IPSECVPN_ERR_CONFIG_IN_USE = -107,    /**< the object is referenced and cannot be deleted */
    IPSECVPN_ERR_CONFIG_FAMILY = -108,    /**< IPv4 and IPv6 mixed where one family is required */
    IPSECVPN_ERR_CONFIG_REQUIRED = -109,  /**< a required field is missing */
    IPSECVPN_ERR_CONFIG_IMPORT = -110,    /**< imported document is malformed */
    /* crypto */
    IPSECVPN_ERR_CRYPTO = -200,           /**< the crypto backend failed */
    IPSECVPN_ERR_CRYPTO_ALG = -201,       /**< unknown or unsupported algorithm */
    IPSECVPN_ERR_CRYPTO_KEY_LEN = -202,   /**< key of the wrong length */
    IPSECVPN_ERR_DH_PUBLIC = -203,        /**< peer's Diffie-Hellman value is invalid */
    /* ESP */
    IPSECVPN_ERR_ESP_SHORT = -300,        /**< packet too short for its headers */
    IPSECVPN_ERR_ESP_SPI = -301,          /**< SPI does not belong to this SA / no SA for SPI */
    IPSECVPN_ERR_ESP_REPLAY = -302,       /**< sequence number replayed or left of the window */
    IPSECVPN_ERR_ESP_ICV = -303,          /**< integrity check failed */
    IPSECVPN_ERR_ESP_PADDING = -304,      /**< padding or pad length invalid */
    IPSECVPN_ERR_ESP_SELECTOR = -305,     /**< decrypted packet does not match the SA's selectors */
    IPSECVPN_ERR_ESP_SEQ_EXHAUSTED = -306,/**< sequence number would wrap (no ESN): rekey */
    IPSECVPN_ERR_ESP_EXPIRED = -307,      /**< the SA passed a hard lifetime */
    IPSECVPN_ERR_ESP_DUMMY = -308,        /**< dummy packet (next header 59): drop silently */
    IPSECVPN_ERR_ESP_NO_POLICY = -309,    /**< no security policy matches the packet */
    IPSECVPN_ERR_ESP_DISCARD = -310,      /**< the matching policy says discard */
    IPSECVPN_ERR_ESP_ROOM = -311,         /**< not enough headroom or tailroom in the buffer */
    IPSECVPN_ERR_ESP_MALFORMED = -312,    /**< inner or outer IP packet malformed */
    IPSECVPN_ERR_ESP_NOT_ESP = -313,      /**< UDP datagram is not ESP (IKE or keepalive) */
    /* IKE */
    IPSECVPN_ERR_IKE_MALFORMED = -400,    /**< message does not parse */
    IPSECVPN_ERR_IKE_NO_PROPOSAL = -401,  /**< no acceptable proposal */
    IPSECVPN_ERR_IKE_AUTH = -402,         /**< authentication failed */
    IPSECVPN_ERR_IKE_TS = -403,           /**< traffic selectors unacceptable */
    IPSECVPN_ERR_IKE_INVALID_KE = -404,   /**< peer asked for another DH group */
    IPSECVPN_ERR_IKE_UNEXPECTED = -405,   /**< message not expected in this state */
    IPSECVPN_ERR_IKE_TIMEOUT = -406,      /**< peer did not answer after all retransmits */
    IPSECVPN_ERR_IKE_INTEGRITY = -407,    /**< encrypted payload failed its integrity check */
    IPSECVPN_ERR_IKE_COOKIE = -408,       /**< cookie missing or wrong */
    IPSECVPN_ERR_IKE_PEER_DEAD = -409     /**< dead peer detection declared the peer dead */
} ipsecvpn_error;

/**
 * @brief A short English description of an error code.
 * @return static text; "unknown error" for a code the library does not know.
 */
IPSECVPN_EXPORT const char *ipsecvpn_strerror(int code);

/**
 * @brief Whether an error leaves the object unusable.
 *
 * Fatal errors (::IPSECVPN_ERR_NOMEM, ::IPSECVPN_ERR_RANDOM, ::IPSECVPN_ERR_INTERNAL,
 * ::IPSECVPN_ERR_CALLBACK) mean the object that returned them should be freed.
 * Every other error rejects one input and changes nothing already established.
 * @return 1 if fatal, 0 otherwise (also 0 for ::IPSECVPN_OK).
 */
IPSECVPN_EXPORT int ipsecvpn_err_is_fatal(int code);
/** @} */

/**
 * @defgroup host Host callbacks
 * @{
 */

/** Version of ::ipsecvpn_mem this header describes. */
#define IPSECVPN_MEM_VERSION 1

/**
 * @brief Allocator hooks. All allocations of a context go through them.
 *
 * Versioned: set @c version to ::IPSECVPN_MEM_VERSION. The struct is read once when a
 * context is created and must stay valid for the context's lifetime.
 */
typedef struct ipsecvpn_mem {
    uint32_t version;  /**< ::IPSECVPN_MEM_VERSION */
    void *user_data;   /**< passed to every hook */
    /** like malloc(3); may return NULL */
    void *(*malloc)(size_t size, void *user_data);
    /** like realloc(3); may return NULL, leaving @p ptr valid */
    void *(*realloc)(void *ptr, size_t size, void *user_data);
    /** like free(3); must accept NULL */
    void (*free)(void *ptr, void *user_data);
} ipsecvpn_mem;

/**
 * @brief The allocator that uses the C library's malloc, realloc and free.
 * @return a pointer to static storage.
 */
IPSECVPN_EXPORT const ipsecvpn_mem *ipsecvpn_mem_default(void);

/** Log levels, most severe first. */
typedef enum ipsecvpn_log_level {
    IPSECVPN_LOG_ERROR = 0,   /**< an object failed */
    IPSECVPN_LOG_WARNING = 1, /**< rejected input, suspicious configuration */
    IPSECVPN_LOG_INFO = 2,    /**< state changes: SA up, rekeyed, down */
    IPSECVPN_LOG_DEBUG = 3    /**< per-message detail */
} ipsecvpn_log_level;

/**
 * @brief Receives one finished log line (no trailing newline, not NUL-terminated
 * necessarily: use @p len). No varargs, so any language can implement it.
 */
typedef void (*ipsecvpn_log_cb)(void *user_data, ipsecvpn_log_level level,
                                const char *msg, size_t len);

/**
 * @brief Fills @p buf with @p len bytes from a cryptographically secure source.
 * @return 0 on success, non-zero on failure (the library then returns ::IPSECVPN_ERR_RANDOM).
 */
typedef int (*ipsecvpn_random_cb)(void *user_data, uint8_t *buf, size_t len);

/** Version of ::ipsecvpn_host this header describes. */
#define IPSECVPN_HOST_VERSION 1

/**
 * @brief What the host provides to every object of a context.
 *
 * Versioned: set @c version to ::IPSECVPN_HOST_VERSION. Copied when the context is created.
 */
typedef struct ipsecvpn_host {
    uint32_t version;             /**< ::IPSECVPN_HOST_VERSION */
    void *user_data;              /**< passed to @c log and @c random */
    const ipsecvpn_mem *mem;      /**< allocator; NULL for ipsecvpn_mem_default() */
    ipsecvpn_log_cb log;          /**< log sink; NULL to discard log lines */
    ipsecvpn_log_level log_level; /**< lines less severe than this are not produced */
    ipsecvpn_random_cb random;    /**< required: a CSPRNG */
} ipsecvpn_host;

/** @brief A library context: allocator, log sink and random source. Opaque. */
typedef struct ipsecvpn_ctx ipsecvpn_ctx;

/**
 * @brief Create a context.
 * @param host the host callbacks; @c random is required.
 * @param[out] out the new context.
 * @return ::IPSECVPN_OK, ::IPSECVPN_ERR_INVALID_ARG (NULL host, out or random),
 *         ::IPSECVPN_ERR_VERSION, ::IPSECVPN_ERR_NOMEM.
 */
IPSECVPN_EXPORT int ipsecvpn_ctx_new(const ipsecvpn_host *host, ipsecvpn_ctx **out);

/**
 * @brief Free a context. Every object created from it must be freed first. NULL is a no-op.
 */
IPSECVPN_EXPORT void ipsecvpn_ctx_free(ipsecvpn_ctx *ctx);
/** @} */

#ifdef __cplusplus
}
#endif
#endif /* IPSECVPN_COMMON_H */
