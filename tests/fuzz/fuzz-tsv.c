/* fuzz-tsv: libFuzzer target for the TSV log reader: files of lines through logread(). */
#define _GNU_SOURCE
#include "fuzz-logread.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_logread_init("fuzz-tsv", 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_logread_one(data, size);
}
