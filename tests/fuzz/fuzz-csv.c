/* fuzz-csv: libFuzzer target for the CSV log reader: quoted records, maybe over several lines, through logread(). */
#define _GNU_SOURCE
#include "fuzz-logread.h"

/*
 * A byte LONG_RUN and the byte k after it stand for a run of 'x' from 4 bytes
 * short of LINE_MAX_BYTES to 4 past it: inputs of a few KiB reach the records
 * too long to keep, with quotes, CRs and newlines placed about the edge.
 */
#define LONG_RUN 0x01
#define LONG_SPREAD 9

static char *
expand(const uint8_t *data, size_t size, size_t *n)
{
	size_t i, len, runs = 0, o = 0;
	char *p;

	for (i = 0; i + 1 < size; i++)
		runs += data[i] == LONG_RUN;
	if ((p = malloc(size + runs * (LINE_MAX_BYTES + LONG_SPREAD) + 1)) == NULL)
		abort();
	for (i = 0; i < size; i++) {
		if (data[i] == LONG_RUN && i + 1 < size) {
			len = LINE_MAX_BYTES - 4 + data[++i] % LONG_SPREAD;
			memset(p + o, 'x', len);
			o += len;
		} else
			p[o++] = (char)data[i];
	}
	*n = o;
	return p;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_logread_init("fuzz-csv", 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;
	char *p = expand(data, size, &n);

	fuzz_logread_one((const uint8_t *)p, n);
	free(p);
	return 0;
}
