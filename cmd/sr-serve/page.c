/* page: the page sr-serve serves at /: the bytes of page.html, which make writes out as page.inc (see the Makefile). */
#include "page.h"

/* <>, not "": the page.inc of this build's O, not one an in-tree build left beside this file. */
const unsigned char page_html[] = {
#include <page.inc>
};

const size_t page_html_len = sizeof page_html;
