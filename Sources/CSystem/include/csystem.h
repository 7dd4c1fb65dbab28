// Linux calls the engine needs that Swift cannot import directly (variadic in glibc's headers).
#ifndef VPT_CSYSTEM_H
#define VPT_CSYSTEM_H
#include <stddef.h>

/// Moves `size` bytes of mapped pages from `from` to `to` (replacing whatever is mapped there) with mremap: the pages
/// keep their contents and stay resident, nothing is copied or zeroed. `from .. from+size` must lie in one mapping.
/// Returns 0, or the errno of the failure (the source is then left as it was).
int vpt_move_pages(void *from, void *to, size_t size);

#endif
