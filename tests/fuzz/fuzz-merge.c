/* fuzz-merge: libFuzzer target for sr-reduce's merge of sorted intermediate files, against a slow exact oracle. */
#include <sys/stat.h>
#include <sys/wait.h>

#include "fuzz.h"

/*
 * sr-reduce itself, its main renamed; at most 8 inputs open at once, so that
 * more files go through the merge in passes (of groups of 4: 16 files at most).
 */
#define FANIN_MAX 8
#define main sr_reduce_main
#include "../../cmd/sr-reduce.c"
#undef main

#define FILES_MAX 16
#define PARTS_MAX 400
#define KEYS 12

/*
 * The input, read as a program: a byte for the number of files, then for
 * each part a key (one of KEYS, made from the input's bytes: long ids,
 * plain integers that sr-reduce packs, ids that are prefixes of others), a
 * value (near the 64-bit limits, or from the bytes), how it is written
 * (leading zeros up to thousands, a '+'), the file it goes to and whether
 * that file is taken away (-s).
 */
struct part {
	int key, file, neg;
	int64_t v;
	char text[8192];
};

static struct part parts[PARTS_MAX];
static size_t nparts;
static char keys[KEYS][2 * IDENT_MAX + 2];
static size_t keylens[KEYS];
static const uint8_t *cur, *cur_end;

static unsigned
byte(void)
{
	return cur < cur_end ? *cur++ : 0;
}

static uint64_t
word(void)
{
	uint64_t w = 0;
	int i;

	for (i = 0; i < 8; i++)
		w = w << 8 | byte();
	return w;
}

/* An id of n bytes: printable, never a tab; sometimes all digits. */
static size_t
make_id(char *p, size_t n, int digits)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (char)(digits ? '0' + (i == 0 ? 1 + byte() % 9 : byte() % 10) : ' ' + 1 + byte() % 94);
	return n;
}

static void
make_keys(void)
{
	static const size_t lens[] = { 1, 2, 5, 8, 12, 16, 31, 33, 100, 255 };
	size_t i, a, b;

	for (i = 0; i < KEYS; i++) {
		a = make_id(keys[i], lens[byte() % 10], byte() % 2);
		keys[i][a] = '\t';
		b = make_id(keys[i] + a + 1, lens[byte() % 10], byte() % 2);
		keylens[i] = a + 1 + b;
	}
	/* keys 0 and 1 share a category; key 3's product begins with key 2's */
	if (byte() % 2) {
		char t[sizeof keys[0]];
		const char *p1 = memchr(keys[1], '\t', keylens[1]);

		a = (size_t)((char *)memchr(keys[0], '\t', keylens[0]) - keys[0]);
		b = keylens[1] - (size_t)(p1 - keys[1]);	/* the tab and product */
		memcpy(t, keys[0], a);
		memcpy(t + a, p1, b);
		memcpy(keys[1], t, a + b);
		keylens[1] = a + b;
	}
	if (byte() % 2) {
		memcpy(keys[3], keys[2], keylens[2]);
		keylens[3] = keylens[2] + 1 + byte() % 8;
		if ((size_t)((char *)memchr(keys[3], '\t', keylens[2]) - keys[3]) + IDENT_MAX < keylens[3] - 1)
			keylens[3] = keylens[2];
		for (i = keylens[2]; i < keylens[3]; i++)
			keys[3][i] = (char)('0' + byte() % 10);
	}
}

static int64_t
make_value(void)
{
	static const int64_t near[] = { INT64_MIN, INT64_MIN + 1, -2, -1, 0, 1, 2, INT64_MAX - 1, INT64_MAX };
	unsigned c = byte();

	if (c < 160)
		return near[c % 9];
	if (c < 200)
		return (int64_t)(int8_t)byte();
	return (int64_t)word();
}

/* v written with zeros leading zeros and a '+' if plus (and v >= 0). */
static void
write_value(char *p, int64_t v, size_t zeros, int plus)
{
	char digits[32];
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	snprintf(digits, sizeof digits, "%llu", (unsigned long long)u);
	if (v < 0)
		*p++ = '-';
	else if (plus)
		*p++ = '+';
	memset(p, '0', zeros);
	strcpy(p + zeros, digits);
}

static int
part_order(const void *x, const void *y)
{
	const struct part *a = x, *b = y;

	return bytes_cmp(keys[a->key], keylens[a->key], keys[b->key], keylens[b->key]);
}

/* Write the parts to files f0.. in dir, each sorted by key. */
static void
write_files(const char *dir, size_t nfiles, char names[][64])
{
	size_t i, f;
	FILE *fp;

	qsort(parts, nparts, sizeof *parts, part_order);
	for (f = 0; f < nfiles; f++) {
		snprintf(names[f], 64, "%s/f%zu", dir, f);
		if ((fp = fopen(names[f], "w")) == NULL)
			abort();
		for (i = 0; i < nparts; i++)
			if (parts[i].file == (int)f)
				fprintf(fp, "%.*s\t%s\n", (int)keylens[parts[i].key], keys[parts[i].key], parts[i].text);
		if (fclose(fp) != 0)
			abort();
	}
}

/* The exact totals, sorted, as sr-reduce writes them; 0 if one does not fit in 64 bits. */
static int
oracle(char *out, size_t size)
{
	__int128 t;
	size_t i, j, len = 0;

	out[0] = '\0';
	/* parts are sorted by key: each run of equal key bytes is a key (two indices may make one) */
	for (i = 0; i < nparts; i = j) {
		for (t = 0, j = i; j < nparts && part_order(&parts[j], &parts[i]) == 0; j++)
			t += parts[j].neg ? -(__int128)parts[j].v : (__int128)parts[j].v;
		if (t < INT64_MIN || t > INT64_MAX)
			return 0;
		len += (size_t)snprintf(out + len, size - len, "%.*s\t%lld\n", (int)keylens[parts[i].key],
		    keys[parts[i].key], (long long)t);
		CHECK(len < size);
	}
	return 1;
}

static char tmpdir[64];

/* At the fuzzer's exit: the files of the last input and the directory go. */
static void
cleanup(void)
{
	char path[96];
	int f;

	for (f = 0; f < FILES_MAX; f++) {
		snprintf(path, sizeof path, "%s/f%d", tmpdir, f);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/out", tmpdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/err", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

static void
child_exit(void)
{
	fflush(stderr);
	_exit(1);
}

/*
 * Run sr-reduce's merge of argv (operands, then -s files) with stdout in the
 * file outpath; the output is read back into out. A run that must fail
 * (fits is 0) goes in a child, whose exit must come from the overflow
 * message.
 */
static size_t
run(char **ops, char **subs, size_t nsubs, int fits, char *out, size_t size)
{
	char outpath[96], errpath[96], buf[512];
	int fd, saved, status;
	FILE *e;
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	snprintf(outpath, sizeof outpath, "%s/out", tmpdir);
	snprintf(errpath, sizeof errpath, "%s/err", tmpdir);
	if ((fd = open(outpath, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
		abort();
	if (!fits) {
		if ((pid = fork()) < 0)
			abort();
		if (pid == 0) {
			atexit(child_exit);	/* before libFuzzer's own: exit is the tool's */
			if (freopen(errpath, "w", stderr) == NULL || dup2(fd, STDOUT_FILENO) < 0)
				_exit(2);
			make_inputs(ops, subs, nsubs);
			merge_passes(given, ngiven, NULL, NULL, NULL);
			_exit(0);
		}
		while (waitpid(pid, &status, 0) != pid)	/* libFuzzer's timer interrupts it */
			CHECK(errno == EINTR);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
		e = fopen(errpath, "r");
		CHECK(e != NULL && fgets(buf, sizeof buf, e) != NULL && strstr(buf, "overflows 64 bits") != NULL);
		fclose(e);
		close(fd);
		return 0;
	}
	out_flush();
	saved = dup(STDOUT_FILENO);
	CHECK(saved >= 0 && dup2(fd, STDOUT_FILENO) >= 0);
	make_inputs(ops, subs, nsubs);
	CHECK(merge_passes(given, ngiven, NULL, NULL, NULL) == 0);
	free(given);
	out_flush();
	CHECK(dup2(saved, STDOUT_FILENO) >= 0 && close(saved) == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	while ((n = read(fd, out + len, size - len)) > 0)
		len += (size_t)n;
	CHECK(len < size);
	close(fd);
	return len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char want[1 << 20], got[1 << 20];
	char names[FILES_MAX][64], *ops[FILES_MAX + 1], *subs[FILES_MAX + 1];
	size_t nfiles, f, nops = 0, nsubs = 0, len, i;
	int fits, subfile[FILES_MAX];

	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof tmpdir, "/tmp/fuzz-merge.%d", (int)getpid());
		if (mkdir(tmpdir, 0700) != 0 && errno != EEXIST)
			abort();
		setenv("TMPDIR", tmpdir, 1);
		atexit(cleanup);
	}
	cur = data, cur_end = data + size;
	nfiles = 1 + byte() % FILES_MAX;
	for (f = 0; f < nfiles; f++)
		subfile[f] = f > 0 && byte() % 4 == 0;
	make_keys();
	for (nparts = 0; nparts < PARTS_MAX && cur < cur_end; nparts++) {
		struct part *p = &parts[nparts];
		unsigned z = byte();

		p->key = (int)(byte() % KEYS);
		p->file = (int)(byte() % nfiles);
		p->neg = subfile[p->file];
		p->v = make_value();
		/* -s of a file: its text is what is taken away, any 64-bit value */
		write_value(p->text, p->v, z < 200 ? z % 4 : z < 250 ? z : (size_t)(z - 249) * 1000, byte() % 3 == 0);
	}
	write_files(tmpdir, nfiles, names);
	for (f = 0; f < nfiles; f++)
		if (subfile[f])
			subs[nsubs++] = names[f];
		else
			ops[nops++] = names[f];
	ops[nops] = subs[nsubs] = NULL;
	fits = oracle(want, sizeof want);
	len = run(ops, subs, nsubs, fits, got, sizeof got);
	if (fits && getenv("FUZZ_MERGE_SHOW") != NULL && (len != strlen(want) || memcmp(got, want, len) != 0))
		fprintf(stderr, "want:\n%s-- got:\n%.*s-- files in %s\n", want, (int)len, got, tmpdir);
	if (fits)
		CHECK(len == strlen(want) && memcmp(got, want, len) == 0);
	for (i = 0; i < nfiles && getenv("FUZZ_MERGE_SHOW") == NULL; i++)
		unlink(names[i]);
	return 0;
}
