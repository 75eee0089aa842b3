/* sys/filio.h - TESTS ONLY: FreeBSD's FIONWRITE for the -fsyntax-only check
 * (tests/bsd_decls/check.sh), from ioctl(2)'s list of generic requests. */
#ifndef GR_DECLS_SYS_FILIO_H
#define GR_DECLS_SYS_FILIO_H
#include <sys/ioctl.h>
#define FIONWRITE _IOR('f', 119, int) /* bytes in the send queue */
#endif
