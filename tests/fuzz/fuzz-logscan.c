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
	char *buf = input_copy(data, size);
	struct logrec fast, slow;
	size_t nf;
	int field, i;

	if (logrec_scan(&fast, buf, size)) {
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
