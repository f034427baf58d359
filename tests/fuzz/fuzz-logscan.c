/* fuzz-logscan: the fast log-line path agrees with the full checks: it never takes a line they reject. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "logrec.h"
#include "logscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = input_copy(data, size), *padded;
	struct logrec fast, slow, fastpad;
	size_t nf;
	int field, i, taken;
	long len;

	/*
	 * With room to read in blocks, the scan must give the same answer, whatever
	 * follows the line: tabs here, which a careless mask would count.
	 */
	if ((padded = malloc(size + 64)) == NULL)
		abort();
	memcpy(padded, data, size);
	memset(padded + size, '\t', 64);
	taken = logrec_scan(&fastpad, padded, size, size + 64);
	CHECK(taken == logrec_scan(&fast, buf, size, size));
	if (taken)
		for (i = 0; i < NFIELDS; i++)
			CHECK(fastpad.f[i].p - padded == fast.f[i].p - buf && fastpad.f[i].len == fast.f[i].len);
	/* Straight from a buffer: a line it takes ends at a newline and passes the full checks. */
	memset(padded + size, '\n', 64);
	if (size > 0 && (len = logrec_scan_line(&fastpad, padded, size)) >= 0) {
		CHECK((size_t)len < size && padded[len] == '\n' && memchr(padded, '\n', (size_t)len) == NULL);
		nf = logrec_split(&slow, padded, (size_t)len);
		CHECK(nf == NFIELDS && logrec_check(&slow, &field) == NULL);
		for (i = 0; i < NFIELDS; i++)
			CHECK(fastpad.f[i].p == slow.f[i].p && fastpad.f[i].len == slow.f[i].len);
		CHECK(instant_cmp(fastpad.ts, slow.ts) == 0 && fastpad.qty == slow.qty);
	}
	free(padded);
	if (taken) {
		nf = logrec_split(&slow, buf, size);
		CHECK(nf == NFIELDS);
		CHECK(logrec_check(&slow, &field) == NULL);
		for (i = 0; i < NFIELDS; i++)
			CHECK(fast.f[i].p == slow.f[i].p && fast.f[i].len == slow.f[i].len);
		CHECK(instant_cmp(fast.ts, slow.ts) == 0);
		CHECK(fast.qty == slow.qty);
	}
	free(buf);
	return 0;
}
