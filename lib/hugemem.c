/* hugemem: zeroed memory for big tables, mapped on its own and backed by huge pages where it can be. */
#define _DEFAULT_SOURCE		/* MAP_ANONYMOUS, madvise */
#include <sys/mman.h>
#include <stdlib.h>

#include "hugemem.h"

#define HUGE_MIN ((size_t)4 << 20)	/* memory this big gets its own mapping */

/*
 * size bytes of zeroes, NULL if they cannot be had. A big block is its own
 * mapping, asked to be backed by huge pages: a hash table's lookups land
 * anywhere in it, and with 4 KiB pages nearly each one would also miss the
 * TLB. Freed with huge_free, given the same size.
 */
void *
huge_calloc(size_t size)
{
	void *p;

	if (size < HUGE_MIN)
		return calloc(1, size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, size, MADV_HUGEPAGE);
#endif
	return p;
}

void
huge_free(void *p, size_t size)
{
	if (size < HUGE_MIN)
		free(p);
	else
		munmap(p, size);
}
