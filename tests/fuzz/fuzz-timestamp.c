/* fuzz-timestamp: libFuzzer target for the timestamp parser; a parsed instant is in range and round-trips. */
#include "fuzz.h"
#include "timestamp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = input_copy(data, size), out[TS_BUFSIZE], again[TS_BUFSIZE];
	struct instant t, u;
	size_t n;

	memset(&t, 0xa5, sizeof t);
	if (ts_parse(buf, size, &t) == NULL) {
		CHECK(t.sec >= INSTANT_MIN_SEC && t.sec <= INSTANT_MAX_SEC);
		CHECK(t.nsec >= 0 && t.nsec < 1000000000);
		ts_format(out, t);
		n = strlen(out);
		CHECK(n >= 20 && n < TS_BUFSIZE && out[n - 1] == 'Z');
		memset(&u, 0xa5, sizeof u);
		CHECK(ts_parse(out, n, &u) == NULL);
		CHECK(instant_cmp(t, u) == 0 && t.sec == u.sec && t.nsec == u.nsec);
		/* The printed form is canonical: printing it again changes nothing. */
		CHECK(strcmp(ts_format(again, u), out) == 0);
	}
	free(buf);
	return 0;
}
