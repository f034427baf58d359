/* page: the page sr-serve serves at /, self-contained: it reads the API as any client would. */
#ifndef SR_PAGE_H
#define SR_PAGE_H

#include <stddef.h>

extern const char page_html[];
extern const size_t page_html_len;

#endif
