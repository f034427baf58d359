/* routes: each request to its endpoint, answered from the newest ranking the loader has read. */
#ifndef SR_ROUTES_H
#define SR_ROUTES_H

#include <event2/http.h>

/* evhttp's callback for every request. */
void routes_request(struct evhttp_request *req, void *arg);
/* Take the newest ranking the loader has read, if any, to answer from. */
void routes_take_fresh(void);
/* After evhttp_free, when no reply is left to write: drop the ranking answered from. */
void routes_free(void);

#endif
