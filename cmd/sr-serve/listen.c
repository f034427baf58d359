/* listen: sr-serve's socket: the address parsed, bound, the open-file limit fitted, accepting paused when it is reached. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/util.h>

#include "listen.h"
#include "metrics.h"
#include "msg.h"

#define LISTEN_BACKLOG 1024
#define FDS_SPARE 16		/* beside the connections: the database's, the loader's */

static struct event *resume_accept;

static int
parse_listen(const char *s, struct sockaddr_storage *ss, int *salen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(s, ':'), *h = s;
	char host[64];
	size_t hl = colon != NULL ? (size_t)(colon - s) : 0;
	long port = -1;
	int v6 = hl >= 2 && s[0] == '[' && s[hl - 1] == ']';

	memset(ss, 0, sizeof *ss);
	if (colon != NULL && colon[1] != '\0' && strlen(colon + 1) <= 5 &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1))
		port = strtol(colon + 1, NULL, 10);
	if (v6) {
		h++;
		hl -= 2;
	}
	if (port < 0 || port > 65535 || hl == 0 || hl >= sizeof host)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*salen = (int)sizeof *sin6;
		return inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1 ? 0 : -1;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	*salen = (int)sizeof *sin;
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

static void
parse_or_exit(const char *addr, struct sockaddr_storage *ss, int *salen)
{
	if (parse_listen(addr, ss, salen) < 0)
		fatal(EXIT_USAGE, "--listen: want a numeric address and a port, as 127.0.0.1:8080 or [::1]:8080: '%s'",
		    addr);
}

void
listen_check(const char *addr)
{
	parse_or_exit(addr, &(struct sockaddr_storage){ 0 }, &(int){ 0 });
}

/*
 * accept() failed: with EMFILE, every connection the open-file limit allows
 * is taken, so stop accepting for a while instead of spinning on the error;
 * new connections wait in the listen queue.
 */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct timeval pause = { 0, ACCEPT_PAUSE_MS * 1000L };
	int err = EVUTIL_SOCKET_ERROR();

	(void)arg;
	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
		warnmsg("accept: %s", strerror(err));
	metrics_accept_paused();
	evconnlistener_disable(lev);
	evtimer_add(resume_accept, &pause);
}

static void
on_resume_accept(evutil_socket_t fd, short what, void *lev)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(lev);
}

/* Where lev listens, on stderr. */
static void
say_where(struct evconnlistener *lev)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof sa;
	char host[64];

	getsockname(evconnlistener_get_fd(lev), (struct sockaddr *)&sa, &salen);
	if (sa.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host, sizeof host);
		warnmsg("listening on http://[%s]:%d/", host, ntohs(((struct sockaddr_in6 *)&sa)->sin6_port));
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof host);
		warnmsg("listening on http://%s:%d/", host, ntohs(((struct sockaddr_in *)&sa)->sin_port));
	}
}

struct evconnlistener *
listen_on(struct event_base *base, const char *addr)
{
	struct sockaddr_storage sa;
	int salen;
	struct evconnlistener *lev;

	parse_or_exit(addr, &sa, &salen);
	lev = evconnlistener_new_bind(base, NULL, NULL,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, LISTEN_BACKLOG,
	    (struct sockaddr *)&sa, salen);
	if (lev == NULL)
		fatal(EXIT_DATA, "--listen: %s: %s", addr, strerror(errno));
	say_where(lev);
	if ((resume_accept = evtimer_new(base, on_resume_accept, lev)) == NULL)
		fatal(EXIT_DATA, "cannot set up the event loop");
	evconnlistener_set_error_cb(lev, on_accept_error);
	return lev;
}

void
listen_free(void)
{
	event_free(resume_accept);
	resume_accept = NULL;
}

void
limit_connections(long max)
{
	struct rlimit rl;
	int probe = dup(STDERR_FILENO);

	if (probe >= 0)
		close(probe);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		fatal(EXIT_DATA, "getrlimit: %s", strerror(errno));
	if (rl.rlim_max != RLIM_INFINITY && (rlim_t)(probe + max + FDS_SPARE) > rl.rlim_max)
		fatal(EXIT_DATA, "--max-connections: %ld is more than the open-file limit allows (%llu)",
		    max, (unsigned long long)rl.rlim_max);
	rl.rlim_cur = (rlim_t)(probe + max + FDS_SPARE);
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		fatal(EXIT_DATA, "setrlimit: %s", strerror(errno));
}
