/* listen: sr-serve's socket: the address parsed, bound, the open-file limit fitted, accepting paused when it is reached. */
#ifndef SR_LISTEN_H
#define SR_LISTEN_H

#include <event2/event.h>
#include <event2/listener.h>

#define ACCEPT_PAUSE_MS 100	/* no accept() for this long once the connections are all taken */

/* address:port, the address numeric, IPv6 in brackets, port 0 for any; exits 2 if it is not. */
void listen_check(const char *addr);
/*
 * Bind and listen on addr, and say where on stderr (its port may have been
 * 0); exits 1 if it cannot. Should accept() fail for want of descriptors,
 * accepting pauses for a while instead of spinning on the error.
 */
struct evconnlistener *listen_on(struct event_base *base, const char *addr);
/* Before event_base_free. */
void listen_free(void);

/* Set the open-file limit to allow what is open now, max connections and a few for the database; exits 1 if it cannot. */
void limit_connections(long max);

#endif
