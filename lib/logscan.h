/* logscan: the fast path of the log-line parser, one pass over a line that is valid. */
#ifndef SR_LOGSCAN_H
#define SR_LOGSCAN_H

#include <stddef.h>

#include "logrec.h"

int logrec_scan(struct logrec *r, const char *p, size_t len, size_t avail);
long logrec_scan_line(struct logrec *r, const char *p, size_t n);

#endif
