/* page: the page sr-serve serves at /, self-contained: it reads the API as any client would. */
#ifndef SR_PAGE_H
#define SR_PAGE_H

#include <stddef.h>

/* The bytes of cmd/sr-serve/page.html, as make found them (no NUL after them). */
extern const unsigned char page_html[];
extern const size_t page_html_len;

#endif
