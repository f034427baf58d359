/* hugemem: zeroed memory for big tables, mapped on its own and backed by huge pages where it can be. */
#ifndef SR_HUGEMEM_H
#define SR_HUGEMEM_H

#include <stddef.h>

void *huge_calloc(size_t size);
void huge_free(void *p, size_t size);

#endif
