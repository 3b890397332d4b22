/*
 * capture.c: the pcap writer of capture.h. The file is written little-endian
 * whatever the host (readers detect the order from the magic number).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "capture.h"
#include "err.h"

struct synack_capture {
  FILE *f;
};

static void le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void le32(uint8_t *p, uint32_t v) {
  le16(p, (uint16_t)v);
  le16(p + 2, (uint16_t)(v >> 16));
}

static int neg_errno(void) {
  return errno > 0 ? -errno : -EIO;
}

synack_capture *synack_capture_open(const char *path, int *err) {
  uint8_t h[24];
  synack_capture *c = (synack_capture *)malloc(sizeof *c);
  if (c == NULL) {
    *err = SYNACK_ENOMEM;
    return NULL;
  }
  errno = 0;
  c->f = fopen(path, "wb");
  if (c->f == NULL) {
    *err = neg_errno();
    free(c);
    return NULL;
  }
  le32(h, 0xa1b2c3d4u); /* microsecond timestamps */
  le16(h + 4, 2);       /* version 2.4 */
  le16(h + 6, 4);
  le32(h + 8, 0);  /* UTC */
  le32(h + 12, 0); /* accuracy */
  le32(h + 16, SYNACK_CAPTURE_SNAPLEN);
  le32(h + 20, SYNACK_LINKTYPE_RAW);
  if (fwrite(h, sizeof h, 1, c->f) != 1) {
    *err = neg_errno();
    fclose(c->f);
    free(c);
    return NULL;
  }
  *err = 0;
  return c;
}

int synack_capture_write(synack_capture *c, const uint8_t *pkt, size_t len,
                         uint64_t t_us) {
  uint8_t r[16];
  size_t incl = len > SYNACK_CAPTURE_SNAPLEN ? SYNACK_CAPTURE_SNAPLEN : len;
  le32(r, (uint32_t)(t_us / 1000000u));
  le32(r + 4, (uint32_t)(t_us % 1000000u));
  le32(r + 8, (uint32_t)incl);
  le32(r + 12, (uint32_t)(len > 0xffffffffu ? 0xffffffffu : len));
  errno = 0;
  if (fwrite(r, sizeof r, 1, c->f) != 1)
    return neg_errno();
  if (incl > 0 && fwrite(pkt, incl, 1, c->f) != 1)
    return neg_errno();
  return 0;
}

int synack_capture_flush(synack_capture *c) {
  errno = 0;
  return fflush(c->f) == 0 ? 0 : neg_errno();
}

void synack_capture_close(synack_capture *c) {
  if (c == NULL)
    return;
  fclose(c->f);
  free(c);
}
