/* gr_error.h - error codes: 0 or a negative GR_E* value, one table, one
 * gr_strerror(). System errors travel as -errno (always < GR_E_BASE). */
#ifndef GR_ERROR_H
#define GR_ERROR_H

#define GR_OK 0
#define GR_E_BASE (-10000)
#define GR_EINVAL (GR_E_BASE - 1)    /* bad argument or configuration value */
#define GR_ENOMEM (GR_E_BASE - 2)    /* allocation failed */
#define GR_EMODULE (GR_E_BASE - 3)   /* module could not be loaded or is incompatible */
#define GR_ECONFIG (GR_E_BASE - 4)   /* configuration error */
#define GR_EFULL (GR_E_BASE - 5)     /* a queue or buffer is full */
#define GR_EREFUSED (GR_E_BASE - 6)  /* the module refused start-up */
#define GR_ESYS (GR_E_BASE - 7)      /* system call failed (see the log for errno) */

/* Text for a GR_E* code or a negative errno. Never NULL. */
const char *gr_strerror(int err);

#endif
