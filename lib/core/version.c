/* Version of the linked library, which may differ from the headers a program used. */
#include "ipsecvpn/common.h"

IPSECVPN_EXPORT const char *ipsecvpn_version(int *major, int *minor, int *patch)
{
    if (major)
        *major = IPSECVPN_VERSION_MAJOR;
    if (minor)
        *minor = IPSECVPN_VERSION_MINOR;
    if (patch)
        *patch = IPSECVPN_VERSION_PATCH;
    return IPSECVPN_VERSION_STRING;
}
