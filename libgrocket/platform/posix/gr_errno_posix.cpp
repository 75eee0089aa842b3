/* gr_errno_posix.cpp - gr_errno.h on POSIX systems: strerror, whose table
 * has every code the seam returns. */
#include "gr_errno.h"

#include <string.h>

const char *gr_errno_text(int e) { return strerror(e); }
