#ifndef CCODECS_H
#define CCODECS_H
// C shim over libjpeg, libpng and zlib. libjpeg's and libpng's default error handlers call exit()
// or abort; Swift cannot setjmp/longjmp, so the shim installs handlers that longjmp back here and
// report libjpeg's/libpng's message as an error code + text instead.
#include <stddef.h>
#include <stdint.h>

/// Result of a decode: pixels are malloc'ed HWC RGB (3 channels), freed with ccodecs_free.
typedef struct {
    int ok;              // 1 on success, 0 on error (message in `message`)
    int width, height;   // pixel size
    uint8_t *pixels;     // width*height*3 bytes, RGB, row-major
    char message[256];   // libjpeg/libpng/zlib error text when ok == 0
} ccodecs_image;

/// JPEG from memory to RGB, JDCT_ISLOW + fancy upsampling (PIL's libjpeg settings);
/// grayscale replicated, CMYK converted as PIL's convert("RGB").
ccodecs_image ccodecs_decode_jpeg(const uint8_t *data, size_t size);
/// PNG from memory to RGB the PIL convert("RGB") way (alpha dropped, 16-bit -> high byte).
ccodecs_image ccodecs_decode_png(const uint8_t *data, size_t size);

/// zlib inflate of a complete zlib stream; *out malloc'ed (free with ccodecs_free). Returns 1 on
/// success, 0 on error with message set.
int ccodecs_inflate(const uint8_t *data, size_t size, uint8_t **out, size_t *out_size, char message[256]);

/// Streaming gzip (or plain, passed through) file reading over zlib's gzopen/gzread, for .tar/.tgz
/// archives too large to hold in memory. NULL when the file cannot be opened.
void *ccodecs_gz_open(const char *path);
/// Reads up to `size` bytes; returns the count (0 at the end), or -1 on error with message set
/// (a truncated gzip stream is an error: "unexpected end of file").
long ccodecs_gz_read(void *file, uint8_t *buf, unsigned size, char message[256]);
void ccodecs_gz_close(void *file);

void ccodecs_free(void *p);
#endif
