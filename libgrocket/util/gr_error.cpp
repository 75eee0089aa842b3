/* gr_error.cpp - the one table of grocket error texts. */
#include "gr_error.h"

#include "gr_errno.h"

const char *gr_strerror(int err)
{
    switch (err) {
    case GR_OK: return "success";
    case GR_EINVAL: return "invalid argument";
    case GR_ENOMEM: return "out of memory";
    case GR_EMODULE: return "module could not be loaded";
    case GR_ECONFIG: return "configuration error";
    case GR_EFULL: return "queue full";
    case GR_EREFUSED: return "refused by the module";
    case GR_ESYS: return "system call failed";
    default: break;
    }
    if (err < 0 && err > GR_E_BASE)
        return gr_errno_text(-err); /* the system's text (platform/gr_errno.h) */
    return "unknown error";
}
