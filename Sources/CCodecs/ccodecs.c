// C shim: libjpeg / libpng decoding with setjmp-based error handling, zlib inflate.
#include "ccodecs.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <zlib.h>

void ccodecs_free(void *p) { free(p); }

static ccodecs_image fail(const char *msg) {
    ccodecs_image r;
    memset(&r, 0, sizeof r);
    snprintf(r.message, sizeof r.message, "%s", msg);
    return r;
}

// ---------------------------------------------------------------- JPEG
typedef struct {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} jpeg_err;

static void jpeg_error_exit(j_common_ptr cinfo) {
    jpeg_err *e = (jpeg_err *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->message);
    longjmp(e->jump, 1);
}

// Warnings (msg_level == -1) are ignored except "premature end of JPEG file": libjpeg pads a
// truncated stream with an EOI and carries on, yielding grey garbage rows. A strict loader (and
// PIL without LOAD_TRUNCATED_IMAGES, which raises "image file is truncated") must fail instead.
static void jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        jpeg_error_exit(cinfo);
    }
}

ccodecs_image ccodecs_decode_jpeg(const uint8_t *data, size_t size) {
    struct jpeg_decompress_struct cinfo;
    jpeg_err err;
    ccodecs_image r;
    memset(&r, 0, sizeof r);
    uint8_t *volatile pixels = NULL;
    uint8_t *volatile row = NULL;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_error_exit;
    err.mgr.emit_message = jpeg_emit_message;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(row);
        return fail(err.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, (unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    // Pinned settings (PIL's defaults): accurate integer IDCT, fancy (triangle) chroma upsampling.
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    int cmyk = (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK);
    int gray = (cinfo.jpeg_color_space == JCS_GRAYSCALE);
    cinfo.out_color_space = cmyk ? JCS_CMYK : (gray ? JCS_GRAYSCALE : JCS_RGB);
    jpeg_start_decompress(&cinfo);
    int w = (int)cinfo.output_width, h = (int)cinfo.output_height, nc = cinfo.output_components;
    pixels = malloc((size_t)w * h * 3);
    row = malloc((size_t)w * nc);
    if (!pixels || !row) { strcpy(err.message, "out of memory"); longjmp(err.jump, 1); }
    // Adobe CMYK JPEGs store inverted values (PIL's rawmode "CMYK;I").
    int inverted = cmyk && cinfo.saw_Adobe_marker;
    while (cinfo.output_scanline < cinfo.output_height) {
        int y = (int)cinfo.output_scanline;
        JSAMPROW rows[1] = { row };
        jpeg_read_scanlines(&cinfo, rows, 1);
        uint8_t *o = pixels + (size_t)y * w * 3;
        for (int x = 0; x < w; x++) {
            if (nc == 1) {
                o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = row[x];
            } else if (nc == 3) {
                o[3 * x] = row[3 * x]; o[3 * x + 1] = row[3 * x + 1]; o[3 * x + 2] = row[3 * x + 2];
            } else {
                // PIL cmyk2rgb: out = nk - nk*c/255 (rounded MULDIV255), nk = 255 - k.
                int k = row[4 * x + 3];
                if (inverted) k = 255 - k;
                int nk = 255 - k;
                for (int c = 0; c < 3; c++) {
                    int v = row[4 * x + c];
                    if (inverted) v = 255 - v;
                    int t = v * nk + 128;
                    int m = ((t >> 8) + t) >> 8;
                    int out = nk - m;
                    o[3 * x + c] = (uint8_t)(out < 0 ? 0 : (out > 255 ? 255 : out));
                }
            }
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    r.ok = 1; r.width = w; r.height = h; r.pixels = pixels;
    return r;
}

// ---------------------------------------------------------------- PNG
// NOTE: the regular libpng API is used rather than the simplified png_image_* API, because the
// simplified API reduces 16-bit samples by scaling (v*255/65535) with gamma handling, while PIL keeps
// the high byte (rawmode "RGB;16B"), and it composites alpha onto a background, while PIL's
// convert("RGB") just drops alpha. The transforms below reproduce PIL's results exactly.
typedef struct { const uint8_t *data; size_t size, pos; } png_mem;
typedef struct { jmp_buf jump; char message[256]; } png_err;

static void png_read_mem(png_structp p, png_bytep out, png_size_t n) {
    png_mem *m = (png_mem *)png_get_io_ptr(p);
    if (m->pos + n > m->size) { png_error(p, "unexpected end of PNG data (truncated file)"); }
    memcpy(out, m->data + m->pos, n);
    m->pos += n;
}
static void png_on_error(png_structp p, png_const_charp msg) {
    png_err *e = (png_err *)png_get_error_ptr(p);
    snprintf(e->message, sizeof e->message, "%s", msg);
    longjmp(e->jump, 1);
}
static void png_on_warning(png_structp p, png_const_charp msg) { (void)p; (void)msg; }

ccodecs_image ccodecs_decode_png(const uint8_t *data, size_t size) {
    png_err err;
    png_mem mem = { data, size, 0 };
    err.message[0] = 0;
    if (size < 8 || png_sig_cmp(data, 0, 8)) return fail("not a PNG signature");
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &err, png_on_error, png_on_warning);
    if (!png) return fail("png_create_read_struct failed");
    png_infop info = png_create_info_struct(png);
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    uint16_t *volatile wide = NULL;
    if (setjmp(err.jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels); free(rows); free(wide);
        return fail(err.message);
    }
    png_set_read_fn(png, &mem, png_read_mem);
    png_read_info(png, info);
    int w = (int)png_get_image_width(png, info), h = (int)png_get_image_height(png, info);
    int ct = png_get_color_type(png, info), bd = png_get_bit_depth(png, info);
    // 16-bit grayscale opens in PIL as mode "I;16"; its convert("RGB") clips values to 255 rather than
    // scaling, so we keep the 16-bit values and clip below.
    int gray16 = (bd == 16) && !(ct & PNG_COLOR_MASK_COLOR) && ct != PNG_COLOR_TYPE_PALETTE
                 && !(ct & PNG_COLOR_MASK_ALPHA);
    if (ct == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);   // palette; tRNS is not expanded: dropped like PIL
    if (ct == PNG_COLOR_TYPE_GRAY && bd < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (bd == 16 && !gray16) png_set_strip_16(png);    // high byte, as PIL's ";16B" raw modes
    // png_set_palette_to_rgb also turns a tRNS chunk into an alpha channel; strip it (PIL drops it).
    if ((ct & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
    if (!gray16 && !(ct & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
    if (gray16) png_set_swap(png); // host little-endian uint16
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (rowbytes != (size_t)w * (gray16 ? 2 : 3)) png_error(png, "unexpected PNG row layout after transforms");
    uint8_t *buf = malloc(rowbytes * h);
    pixels = buf;
    rows = malloc(sizeof(png_bytep) * h);
    if (!buf || !rows) png_error(png, "out of memory");
    for (int y = 0; y < h; y++) rows[y] = buf + rowbytes * y;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    if (gray16) {
        uint8_t *rgb = malloc((size_t)w * h * 3);
        const uint16_t *src = (const uint16_t *)buf;
        for (size_t i = 0; i < (size_t)w * h; i++) {
            uint16_t v = src[i];
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = v > 255 ? 255 : (uint8_t)v;
        }
        free(buf);
        buf = rgb;
    }
    ccodecs_image r;
    memset(&r, 0, sizeof r);
    r.ok = 1; r.width = w; r.height = h; r.pixels = buf;
    return r;
}

// ---------------------------------------------------------------- zlib
int ccodecs_inflate(const uint8_t *data, size_t size, uint8_t **out, size_t *out_size, char message[256]) {
    z_stream s;
    memset(&s, 0, sizeof s);
    *out = NULL; *out_size = 0;
    if (inflateInit(&s) != Z_OK) { snprintf(message, 256, "inflateInit failed"); return 0; }
    size_t cap = size * 4 + 1024, n = 0;
    uint8_t *buf = malloc(cap);
    s.next_in = (Bytef *)data;
    s.avail_in = (uInt)size;
    int rc;
    do {
        if (n == cap) { cap *= 2; uint8_t *nb = realloc(buf, cap); if (!nb) { free(buf); inflateEnd(&s); snprintf(message, 256, "out of memory"); return 0; } buf = nb; }
        s.next_out = buf + n;
        s.avail_out = (uInt)(cap - n);
        rc = inflate(&s, Z_NO_FLUSH);
        n = cap - s.avail_out;
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            snprintf(message, 256, "zlib: %s", s.msg ? s.msg : "inflate error");
            free(buf); inflateEnd(&s); return 0;
        }
        if (rc == Z_BUF_ERROR && s.avail_in == 0 && n < cap) {
            snprintf(message, 256, "zlib: truncated compressed stream");
            free(buf); inflateEnd(&s); return 0;
        }
    } while (rc != Z_STREAM_END);
    inflateEnd(&s);
    *out = buf; *out_size = n;
    return 1;
}

// ---------------------------------------------------------------- gzip files (tar.gz archives)
void *ccodecs_gz_open(const char *path) { return (void *)gzopen(path, "rb"); }

long ccodecs_gz_read(void *file, uint8_t *buf, unsigned size, char message[256]) {
    int n = gzread((gzFile)file, buf, size);
    if (n < 0) {
        int err = 0;
        const char *m = gzerror((gzFile)file, &err);
        snprintf(message, 256, "zlib: %s", m ? m : "read error");
        return -1;
    }
    return n;
}

void ccodecs_gz_close(void *file) { gzclose((gzFile)file); }
