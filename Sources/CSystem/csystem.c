#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>
#include "csystem.h"

int vpt_move_pages(void *from, void *to, size_t size) {
    void *r = mremap(from, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, to);
    return r == MAP_FAILED ? errno : 0;
}
