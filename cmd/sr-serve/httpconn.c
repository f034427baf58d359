/* httpconn: sr-serve's guard over evhttp's connections: strict request heads, a deadline for each request, the limit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "httpconn.h"
#include "httphead.h"

#define LINGER_MS 2000		/* what a refused client still sends is read and dropped this long */

/*
 * IDLE: between requests; HEAD and BODY: a request is being read, against
 * the deadline; REFUSED: answered with an error, closing.
 */
enum mode { IDLE, HEAD, BODY, REFUSED };

/*
 * One connection. Offsets count the bytes read on it since it opened; the
 * input buffer holds those from in - its length to in: evhttp takes only
 * whole lines of a head, so the line being read is always there.
 */
struct conn {
	struct conn *prev, *next;	/* oldest first: see touch */
	struct bufferevent *bev;
	struct evhttp_connection *evcon;	/* once evhttp has taken it up */
	struct evbuffer_cb_entry *watch;
	struct event *timer;		/* the deadline, the linger, and a first turn to attach */
	enum mode mode;
	int attaching;			/* the timer's first turn is to attach */
	uint64_t in, pos, line, head, body;
	struct httphead h;
};

static struct {
	struct conn *oldest, *newest;
	long n, max;
	void (*count)(int status);
	unsigned long dropped, late;
} conns;

static void
unlink_conn(struct conn *c)
{
	if (c->prev == NULL && conns.oldest != c)
		return;		/* not in the list */
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns.oldest = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		conns.newest = c->prev;
	c->prev = c->next = NULL;
}

/*
 * c starts a new mode now: the list stays ordered by the start of each
 * connection's mode, so its head is the connection that has waited longest
 * for a request (idle, or its request still not whole); a refused one goes
 * first of all.
 */
static void
touch(struct conn *c, enum mode mode)
{
	unlink_conn(c);
	c->mode = mode;
	if (mode == REFUSED) {
		c->next = conns.oldest;
		if (conns.oldest != NULL)
			conns.oldest->prev = c;
		conns.oldest = c;
		if (conns.newest == NULL)
			conns.newest = c;
		return;
	}
	c->prev = conns.newest;
	if (conns.newest != NULL)
		conns.newest->next = c;
	conns.newest = c;
	if (conns.oldest == NULL)
		conns.oldest = c;
}

/* evhttp frees the connection: so is c. */
static void
on_close(struct evhttp_connection *evcon, void *arg)
{
	struct conn *c = arg;

	(void)evcon;
	unlink_conn(c);
	conns.n--;
	evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->watch);
	event_free(c->timer);
	free(c);
}

/*
 * The evhttp connection c->bev belongs to. evhttp has no public call that
 * names a connection before its first request is whole (2.2's
 * evhttp_set_newreqcb); the argument of the callbacks it sets on the
 * bufferevent is that connection, which bufferevent_getcb reads. 0, or -1
 * if evhttp has not taken the bufferevent up.
 */
static int
attach(struct conn *c)
{
	void *evcon = NULL;

	if (c->evcon != NULL)
		return 0;
	bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
	if (evcon == NULL)
		return -1;
	c->evcon = evcon;
	evhttp_connection_set_closecb(c->evcon, on_close, c);
	return 0;
}

/*
 * Answer the request being read with status and {"error":why} and close:
 * the reply goes straight to the socket (evhttp is not writing one, or it
 * is not sent), then what the client still sends is read and dropped for
 * LINGER_MS, so that closing does not reset the connection before the
 * client has read the reply.
 */
static void
refuse(struct conn *c, int status, const char *why)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct timeval linger = { 0, 0 };
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	char reply[512], body[256];
	int n, blen;

	conns.count(status);
	touch(c, REFUSED);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (fd >= 0 && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		blen = snprintf(body, sizeof body, "{\"error\":\"%s\"}\n", why);
		n = snprintf(reply, sizeof reply, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
		    "Cache-Control: no-store\r\n%sConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		    status, http_reason(status), status == 405 ? "Allow: GET, HEAD\r\n" : "", blen, body);
		if (n > 0 && (size_t)n < sizeof reply && send(fd, reply, (size_t)n, MSG_NOSIGNAL) >= 0)
			shutdown(fd, SHUT_WR);
		linger.tv_usec = LINGER_MS * 1000L;
		linger.tv_sec = linger.tv_usec / 1000000;
		linger.tv_usec %= 1000000;
	}
	evtimer_add(c->timer, &linger);
}

static void
request_start(struct conn *c)
{
	struct timeval deadline = { HTTPCONN_DEADLINE_S, 0 };

	memset(&c->h, 0, sizeof c->h);
	c->head = c->line = c->pos;
	touch(c, HEAD);
	evtimer_add(c->timer, &deadline);
}

static void
request_done(struct conn *c)
{
	evtimer_del(c->timer);
	touch(c, IDLE);
}

/* The next line of the head, if it is whole: 1 and its end (the LF) in *nl, or 0. */
static int
next_line(struct conn *c, struct evbuffer *buf, uint64_t start, uint64_t *nl)
{
	struct evbuffer_ptr p;

	if (evbuffer_ptr_set(buf, &p, (size_t)(c->pos - start), EVBUFFER_PTR_SET) < 0)
		return 0;
	p = evbuffer_search(buf, "\n", 1, &p);
	if (p.pos < 0)
		return 0;
	*nl = start + (uint64_t)p.pos;
	return 1;
}

/* Check the whole lines of the head that have come in; 0, or -1 once it is refused. */
static int
scan_head(struct conn *c, struct evbuffer *buf, uint64_t start)
{
	char line[HTTPHEAD_MAX + 2];
	struct evbuffer_ptr p;
	uint64_t nl;
	size_t n;
	int status, r;
	const char *why;

	while (c->mode == HEAD) {
		if (!next_line(c, buf, start, &nl))
			nl = c->in;
		if (nl - c->head > HTTPHEAD_MAX || c->line < start) {
			refuse(c, c->h.lines == 0 ? 414 : 431, c->h.lines == 0 ?
			    "request line longer than 8192 bytes" : "request head longer than 8192 bytes");
			return -1;
		}
		if (nl == c->in) {
			c->pos = c->in;
			return 0;
		}
		n = (size_t)(nl - c->line);
		evbuffer_ptr_set(buf, &p, (size_t)(c->line - start), EVBUFFER_PTR_SET);
		if (evbuffer_copyout_from(buf, &p, line, n) != (ev_ssize_t)n) {
			refuse(c, 400, "malformed request");
			return -1;
		}
		if (n > 0 && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		c->pos = c->line = nl + 1;
		if ((r = httphead_line(&c->h, line, n, &status, &why)) == HTTPHEAD_REFUSED) {
			refuse(c, status, why);
			return -1;
		}
		if (r == HTTPHEAD_DONE) {
			c->body = c->pos + (uint64_t)c->h.length;
			touch(c, BODY);
		}
	}
	return 0;
}

/*
 * Bytes came in (this runs before evhttp reads them): follow the requests
 * they hold, head by head and body by body, and refuse a bad head before
 * evhttp sees it.
 */
static void
on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;
	uint64_t start;

	if (info->n_added == 0)
		return;
	attach(c);
	c->in += info->n_added;
	if (c->mode == REFUSED) {
		evbuffer_drain(buf, evbuffer_get_length(buf));
		return;
	}
	start = c->in - evbuffer_get_length(buf);
	while (c->pos < c->in || (c->mode == BODY && c->pos >= c->body)) {
		if (c->mode == BODY) {
			if (c->in < c->body) {
				c->pos = c->in;
				return;
			}
			c->pos = c->body;
			request_done(c);
		} else if (c->mode == IDLE)
			request_start(c);
		else if (scan_head(c, buf, start) < 0)
			return;
	}
}

/* The deadline of a request, the end of a linger, or the first turn after the connection came. */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->attaching) {
		c->attaching = 0;
		attach(c);
		return;
	}
	if (attach(c) < 0)
		return;
	if (c->mode == REFUSED)
		evhttp_connection_free(c->evcon);	/* frees c */
	else if (c->mode == HEAD || c->mode == BODY) {
		conns.late++;
		refuse(c, 408, "request not complete within 10 seconds");
	}
}

/*
 * evhttp accepted a connection and asks for its bufferevent. At the limit,
 * the connection that has waited longest for a request is dropped first.
 */
static struct bufferevent *
on_new(struct event_base *base, void *arg)
{
	struct conn *c = calloc(1, sizeof *c), *old;

	(void)arg;
	if (c == NULL)
		return NULL;
	c->bev = bufferevent_socket_new(base, -1, 0);
	c->timer = evtimer_new(base, on_timer, c);
	if (c->bev == NULL || c->timer == NULL ||
	    (c->watch = evbuffer_add_cb(bufferevent_get_input(c->bev), on_input, c)) == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		if (c->timer != NULL)
			event_free(c->timer);
		free(c);
		return NULL;
	}
	while ((old = conns.oldest) != NULL && conns.n >= conns.max && attach(old) == 0) {
		conns.dropped++;
		evhttp_connection_free(old->evcon);	/* frees old, by on_close */
		if (conns.oldest == old)
			break;
	}
	touch(c, IDLE);
	conns.n++;
	/* evhttp takes the bufferevent up after this returns: attach in the loop's next turn. */
	c->attaching = 1;
	event_active(c->timer, EV_TIMEOUT, 1);
	return c->bev;
}

void
httpconn_watch(struct evhttp *http, long max, void (*count)(int status))
{
	conns.max = max;
	conns.count = count;
	evhttp_set_bevcb(http, on_new, NULL);
}

unsigned long
httpconn_dropped(void)
{
	return conns.dropped;
}

unsigned long
httpconn_late(void)
{
	return conns.late;
}

void
httpconn_free(void)
{
	struct conn *c, *next;

	for (c = conns.oldest; c != NULL; c = next) {
		next = c->next;
		if (attach(c) < 0) {
			unlink_conn(c);
			event_free(c->timer);
			free(c);
		}
	}
}
