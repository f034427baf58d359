/* msg: program name, diagnostics on stderr and the exit statuses every tool shares. */
#ifndef SR_MSG_H
#define SR_MSG_H


enum { EXIT_DATA = 1, EXIT_USAGE = 2 };

/*
 * Long-option numbers of --help and --version, which every tool takes: each
 * tool's table has { "help", no_argument, NULL, OPT_HELP } and the same for
 * "version" in its alphabetical place, and hands every option it does not
 * take itself to std_option.
 */
enum { OPT_HELP = 0x0f00, OPT_VERSION };

extern const char *progname;

void prog_init(char *argv[]);
void warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(int status, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3), __noreturn__));
void fatal_hook(void (*f)(int status));
void usage_exit(const char *usage) __attribute__((__noreturn__));
void help(const char *usage, const char *about) __attribute__((__noreturn__));
void version(void) __attribute__((__noreturn__));
void std_option(int opt, const char *usage, const char *about) __attribute__((__noreturn__));
char *quote(char *buf, size_t size, const char *p, size_t n);
void warn_at(const char *file, unsigned long long line, int field, const char *fieldname,
    const char *why, const char *value, size_t vlen);

#endif
